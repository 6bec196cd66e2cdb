//! The crate's one error type.

/// Everything that can go wrong in tokenizing, rendering or parsing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A token id that is not in the o200k_harmony vocabulary.
    #[error(
        "token id `{id}` at position {position} is outside the o200k_harmony vocabulary \
         (expected an id below `{vocab_size}`)"
    )]
    UnknownToken {
        /// The offending id.
        id: u32,
        /// Its index in the id slice.
        position: usize,
        /// The vocabulary size, for the message.
        vocab_size: usize,
    },
    /// A sub-dataset name with no prompt template.
    #[error(
        "unknown dataset `{name}`: expected one of `aime25`, `gpqa_diamond`, \
         `livecodebench_v6`, `pubmed_summarization` (or a name containing `aime`, `gpqa`, \
         `livecodebench` or `summarization`)"
    )]
    UnknownDataset {
        /// The name as given.
        name: String,
    },
    /// A reasoning effort that is not `low`, `medium` or `high`.
    #[error("unknown reasoning effort `{0}`: expected `low`, `medium` or `high`")]
    UnknownReasoningEffort(String),
    /// A role name that is not a harmony role.
    #[error("unknown role `{0}`: expected `system`, `developer`, `user` or `assistant`")]
    UnknownRole(String),
}
