//! The one error type of the crate. Every variant that comes from a user's file names the file,
//! and, where it applies, the row (0-based, equal to the QSL index) and the column, so a bad
//! dataset is fixed from the message alone.

use std::path::PathBuf;

/// Result alias of this crate.
pub type Result<T, E = DatasetError> = std::result::Result<T, E>;

/// Everything that can go wrong while reading, checking, building or writing a dataset.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DatasetError {
    /// The file could not be read or written.
    #[error("cannot access `{}`: {source}", file.display())]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file is none of the formats this crate reads.
    #[error(
        "`{}` is not a parquet, pandas pickle or JSONL dataset: {found}; expected parquet (`PAR1`), a pickle (`\\x80` protocol 2-5) or JSON Lines (`{{`)",
        file.display()
    )]
    UnknownFormat {
        /// The file.
        file: PathBuf,
        /// What the file looks like (its first bytes).
        found: String,
    },
    /// The parquet reader failed: a truncated, damaged or foreign file.
    #[error("`{}` is not a readable parquet file: {source}", file.display())]
    Parquet {
        /// The file.
        file: PathBuf,
        /// The parquet reader's error.
        source: Box<parquet::errors::ParquetError>,
    },
    /// The pickle could not be decoded.
    #[error("`{}` is not a readable pandas pickle: {source}", file.display())]
    Pickle {
        /// The file.
        file: PathBuf,
        /// What the unpickler found.
        source: crate::pickle::PickleError,
    },
    /// A JSONL line is not a JSON object.
    #[error("`{}` line {line} column {column}: {message}", file.display())]
    Json {
        /// The file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// Column of the error in the line, as the JSON parser counts it.
        column: usize,
        /// The JSON parser's message.
        message: String,
    },
    /// No token column.
    #[error(
        "`{}` has no token column: expected `input_tokens` or `tok_input`, found {found}",
        file.display()
    )]
    MissingTokenColumn {
        /// The file.
        file: PathBuf,
        /// The columns that are there, each in backticks.
        found: String,
    },
    /// A required column other than the tokens is missing.
    #[error("`{}` has no `{column}` column", file.display())]
    MissingColumn {
        /// The file.
        file: PathBuf,
        /// The column.
        column: String,
    },
    /// A prompt is null.
    #[error("`{}` row {row} column `{column}`: the prompt is null, expected a list of token ids", file.display())]
    NullPrompt {
        /// The file.
        file: PathBuf,
        /// 0-based row (QSL index).
        row: usize,
        /// The token column.
        column: String,
    },
    /// A prompt has no tokens.
    #[error("`{}` row {row} column `{column}`: the prompt is empty, expected at least one token id", file.display())]
    EmptyPrompt {
        /// The file.
        file: PathBuf,
        /// 0-based row (QSL index).
        row: usize,
        /// The token column.
        column: String,
    },
    /// A token is not an integer.
    #[error("`{}` row {row} column `{column}` position {position}: expected an integer token id, found {found}", file.display())]
    NonIntegerToken {
        /// The file.
        file: PathBuf,
        /// 0-based row (QSL index).
        row: usize,
        /// The token column.
        column: String,
        /// 0-based position in the prompt.
        position: usize,
        /// What is there instead.
        found: String,
    },
    /// A token id is outside the o200k_harmony vocabulary.
    #[error("`{}` row {row} column `{column}` position {position}: token id `{id}` is outside the vocabulary, expected 0 to {}", file.display(), ossperf_harmony::VOCAB_SIZE - 1)]
    TokenOutOfVocabulary {
        /// The file.
        file: PathBuf,
        /// 0-based row (QSL index).
        row: usize,
        /// The token column.
        column: String,
        /// 0-based position in the prompt.
        position: usize,
        /// The id found.
        id: i64,
    },
    /// A cell or a whole column has the wrong type.
    #[error("`{}` {where_} column `{column}`: expected {expected}, found {found}", file.display())]
    WrongType {
        /// The file.
        file: PathBuf,
        /// `row N`, or `every row` for a column type.
        where_: String,
        /// The column.
        column: String,
        /// What was expected.
        expected: &'static str,
        /// What is there.
        found: String,
    },
    /// A row of a `build` input cannot be rendered.
    #[error("`{}` line {line}: {message}", file.display())]
    BuildRow {
        /// The file.
        file: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what was expected.
        message: String,
    },
    /// Writing parquet failed.
    #[error("cannot write parquet `{}`: {source}", file.display())]
    WriteParquet {
        /// The file.
        file: PathBuf,
        /// The writer's error.
        source: Box<parquet::errors::ParquetError>,
    },
}

impl DatasetError {
    pub(crate) fn io(file: &std::path::Path, source: std::io::Error) -> Self {
        Self::Io {
            file: file.to_path_buf(),
            source,
        }
    }
}
