//! Following the harmony channels of an answer while its token ids arrive.
//!
//! gpt-oss reasons on the `analysis` channel (and calls tools on `commentary`) before it
//! answers on `final`, so the time a person waits is the time to the first *final* content
//! token, not to the first token. A [`ChannelTracker`] reads the ids one at a time, in O(1)
//! and without allocating, so the client's read path can feed it every chunk; it counts
//! content tokens per side and says when the first answer token went by.
//!
//! It follows the rules of [`parse_messages`](crate::parse_messages): a header runs from the
//! start of the output (or a `<|start|>`) to `<|message|>`, unless a terminator or a new
//! `<|start|>` comes first; content runs to `<|end|>`, `<|return|>`, `<|call|>`,
//! `<|endoftext|>` or a new `<|start|>`. The channel is the header's text after
//! `<|channel|>`: `final` only when that is exactly the one token `final` before `<|message|>`
//! or `<|constrain|>` (the header gpt-oss writes, openai/harmony `src/encoding.rs`,
//! docs/REFERENCE.md §2.2); every other channel's content counts as reasoning. Header and
//! marker tokens count on neither side, so reasoning + answer ≤ output tokens.

use crate::tokenizer::special;

/// `analysis` in o200k_harmony: one ordinary token (checked against the tokenizer in tests).
pub(crate) const ANALYSIS: u32 = 35_644;
/// `final` in o200k_harmony: one ordinary token.
pub(crate) const FINAL: u32 = 17_196;
/// `comment`, the first of the two tokens of `commentary` in o200k_harmony (`comment`, `ary`).
pub(crate) const COMMENTARY: u32 = 12_606;
/// A lone space: what ends a channel's name before `<|constrain|>` or a recipient.
const SPACE: u32 = 220;

/// The channel of the message being read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    /// `analysis`: the model's reasoning.
    Analysis,
    /// `commentary`: preambles and tool calls.
    Commentary,
    /// `final`: the answer the user sees.
    Final,
    /// No `<|channel|>` in the header, or a name harmony does not define.
    Other,
}

/// Where in the harmony structure the next id falls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// In a header, before `<|channel|>` (the role, a recipient).
    Header,
    /// In a header after `<|channel|>`: the name's first ordinary token and whether another
    /// ordinary token followed it without a space between (`final` + `ize`).
    ChannelName { first: u32, longer: bool },
    /// In a header after the channel's name (`<|constrain|>`, a recipient).
    AfterName(Channel),
    /// In a message's content.
    Content(Channel),
    /// After a terminator, waiting for `<|start|>`; stray ids are skipped.
    Between,
}

/// What one id did, for the caller that timestamps the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Nothing the caller needs to know.
    Nothing,
    /// This id is the first content token of a `final` message.
    FirstAnswer,
}

/// Follows the channels of one answer, id by id: a few words of state, no heap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelTracker {
    state: State,
    /// Whether any `<|channel|>` or `<|message|>` went by: without them the ids carry no
    /// channels to follow (a server that drops special tokens).
    saw_markers: bool,
    reasoning: u32,
    answer: u32,
}

impl Default for ChannelTracker {
    fn default() -> Self {
        Self::new()
    }
}

impl ChannelTracker {
    /// A tracker at the start of the output (just after the prompt's `<|start|>assistant`).
    pub const fn new() -> ChannelTracker {
        ChannelTracker {
            state: State::Header,
            saw_markers: false,
            reasoning: 0,
            answer: 0,
        }
    }

    /// Reads one id.
    #[inline]
    pub fn push(&mut self, id: u32) -> Step {
        match id {
            special::START => {
                self.state = State::Header;
                return Step::Nothing;
            }
            special::END | special::RETURN | special::CALL | special::ENDOFTEXT => {
                self.state = State::Between;
                return Step::Nothing;
            }
            _ => {}
        }
        match self.state {
            State::Between => {}
            State::Header => match id {
                special::CHANNEL => {
                    self.saw_markers = true;
                    self.state = State::ChannelName {
                        first: NONE,
                        longer: false,
                    };
                }
                special::MESSAGE => self.open(Channel::Other),
                _ => {}
            },
            State::ChannelName { first, longer } => match id {
                special::MESSAGE => self.open(channel_of(first, longer)),
                special::CONSTRAIN | SPACE => {
                    self.state = State::AfterName(channel_of(first, longer))
                }
                _ if id >= special::FIRST => {}
                _ if first == NONE => {
                    self.state = State::ChannelName {
                        first: id,
                        longer: false,
                    }
                }
                _ => {
                    self.state = State::ChannelName {
                        first,
                        longer: true,
                    }
                }
            },
            State::AfterName(channel) => {
                if id == special::MESSAGE {
                    self.open(channel);
                }
            }
            State::Content(Channel::Final) if id < special::FIRST => {
                self.answer += 1;
                if self.answer == 1 {
                    return Step::FirstAnswer;
                }
            }
            State::Content(_) if id < special::FIRST => self.reasoning += 1,
            State::Content(_) => {}
        }
        Step::Nothing
    }

    fn open(&mut self, channel: Channel) {
        self.saw_markers = true;
        self.state = State::Content(channel);
    }

    /// Whether any channel marker (`<|channel|>`, `<|message|>`) has been read.
    pub fn saw_markers(&self) -> bool {
        self.saw_markers
    }

    /// Content tokens read outside the `final` channel (analysis, commentary).
    pub fn reasoning_tokens(&self) -> u32 {
        self.reasoning
    }

    /// Content tokens read on the `final` channel.
    pub fn answer_tokens(&self) -> u32 {
        self.answer
    }

    /// Whether the first answer token has been read.
    pub fn answered(&self) -> bool {
        self.answer > 0
    }

    /// The channel of the message being read, if the tracker is inside one's content.
    pub fn channel(&self) -> Option<Channel> {
        match self.state {
            State::Content(channel) => Some(channel),
            _ => None,
        }
    }
}

/// No channel name read yet (no token has this id).
const NONE: u32 = u32::MAX;

fn channel_of(first: u32, longer: bool) -> Channel {
    match (first, longer) {
        (FINAL, false) => Channel::Final,
        (ANALYSIS, _) => Channel::Analysis,
        (COMMENTARY, _) => Channel::Commentary,
        _ => Channel::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tokenizer::tokenizer;

    fn ids(text: &str) -> Vec<u32> {
        tokenizer().encode_with_special_tokens(text)
    }

    /// Feeds `ids` in chunks of the given sizes (the rest in one); returns the position of
    /// the first answer token, if any, and the tracker.
    fn feed(ids: &[u32], chunks: &[usize]) -> (Option<usize>, ChannelTracker) {
        let mut t = ChannelTracker::new();
        let mut first = None;
        let mut pos = 0;
        let mut sizes = chunks.iter().copied().chain(std::iter::once(usize::MAX));
        while pos < ids.len() {
            let end = pos
                .saturating_add(sizes.next().unwrap_or(usize::MAX))
                .min(ids.len());
            for (k, &id) in ids[pos..end].iter().enumerate() {
                if t.push(id) == Step::FirstAnswer {
                    assert!(first.is_none(), "a second first answer at {}", pos + k);
                    first = Some(pos + k);
                }
            }
            pos = end;
        }
        (first, t)
    }

    #[test]
    fn the_channel_names_and_markers_have_their_o200k_harmony_ids() {
        let tok = tokenizer();
        assert_eq!(tok.encode("analysis"), [ANALYSIS]);
        assert_eq!(tok.encode("final"), [FINAL]);
        assert_eq!(tok.encode("commentary")[0], COMMENTARY);
        assert_eq!(tok.encode("final "), [FINAL, SPACE]);
        for (markup, id) in [
            ("<|channel|>", special::CHANNEL),
            ("<|message|>", special::MESSAGE),
            ("<|start|>", special::START),
            ("<|end|>", special::END),
            ("<|return|>", special::RETURN),
            ("<|call|>", special::CALL),
            ("<|constrain|>", special::CONSTRAIN),
        ] {
            assert_eq!(tok.special_token_id(markup), Some(id), "{markup}");
        }
    }

    #[test]
    fn analysis_then_final_counts_each_side_and_finds_the_first_answer_token() {
        let out = ids(
            "<|channel|>analysis<|message|>Six times seven is forty-two.<|end|>\
             <|start|>assistant<|channel|>final<|message|>The answer is 42.<|return|>",
        );
        let reasoning = tokenizer().encode("Six times seven is forty-two.").len() as u32;
        let answer = tokenizer().encode("The answer is 42.").len() as u32;
        let header = ids(
            "<|channel|>analysis<|message|>Six times seven is forty-two.<|end|>\
             <|start|>assistant<|channel|>final<|message|>",
        )
        .len();
        let (first, t) = feed(&out, &[]);
        assert_eq!(first, Some(header));
        assert_eq!(out[header], tokenizer().encode("The")[0]);
        assert_eq!(
            (t.reasoning_tokens(), t.answer_tokens(), t.saw_markers()),
            (reasoning, answer, true)
        );
    }

    #[test]
    fn markers_split_across_chunks_of_every_size_give_the_same_result() {
        let out = ids(
            "<|channel|>analysis<|message|>think<|end|><|start|>assistant\
             <|channel|>final<|message|>done<|return|>",
        );
        let (whole, t) = feed(&out, &[]);
        for size in 1..out.len() {
            let chunks = vec![size; out.len()];
            let (first, split) = feed(&out, &chunks);
            assert_eq!((first, split), (whole, t), "chunks of {size}");
        }
        // One id per chunk everywhere, and a chunk boundary right inside each header.
        let (first, _) = feed(&out, &[1, 2, 3, 1, 1, 4]);
        assert_eq!(first, whole);
    }

    #[test]
    fn an_answer_cut_before_the_final_channel_has_no_answer() {
        // max_new_tokens hit inside the analysis channel, then inside the final header.
        let cut = ids("<|channel|>analysis<|message|>still thinking about");
        let (first, t) = feed(&cut, &[]);
        assert_eq!((first, t.answered(), t.saw_markers()), (None, false, true));
        assert_eq!(t.channel(), Some(Channel::Analysis));
        let header_only =
            ids("<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final");
        let (first, t) = feed(&header_only, &[]);
        assert_eq!(
            (first, t.answer_tokens(), t.reasoning_tokens()),
            (None, 0, 1)
        );
    }

    #[test]
    fn a_final_channel_only_answer_has_no_reasoning() {
        let out = ids("<|channel|>final<|message|>42<|return|>");
        assert_eq!(feed(&out, &[]).0, Some(3));
        let t = feed(&out, &[]).1;
        assert_eq!((t.reasoning_tokens(), t.answer_tokens()), (0, 1));
    }

    #[test]
    fn commentary_tool_calls_and_preambles_count_as_reasoning() {
        let out = ids("<|channel|>analysis<|message|>Need weather.<|end|>\
             <|start|>assistant<|channel|>commentary to=functions.get_weather \
             <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>");
        let (first, t) = feed(&out, &[]);
        let call = tokenizer().encode("{\"city\":\"Paris\"}").len() as u32;
        let thought = tokenizer().encode("Need weather.").len() as u32;
        assert_eq!((first, t.answer_tokens()), (None, 0));
        assert_eq!(t.reasoning_tokens(), thought + call);
        // A constrained final answer is still the final channel.
        let json = ids("<|channel|>final <|constrain|>json<|message|>{}<|return|>");
        assert!(feed(&json, &[]).1.answered());
    }

    #[test]
    fn ids_without_any_marker_show_no_channels() {
        // A server that drops special tokens from its ids: only the words remain.
        let out = ids("analysisthink about itfinalThe answer is 42.");
        let (first, t) = feed(&out, &[]);
        assert_eq!((first, t.saw_markers(), t.answered()), (None, false, false));
        assert_eq!((t.reasoning_tokens(), t.answer_tokens()), (0, 0));
    }

    #[test]
    fn a_channel_named_like_final_but_longer_is_not_the_answer() {
        assert_eq!(tokenizer().encode("finalize")[0], FINAL);
        let out = ids("<|channel|>finalize<|message|>x<|end|>");
        let (first, t) = feed(&out, &[]);
        assert_eq!((first, t.reasoning_tokens()), (None, 1));
    }

    #[test]
    fn stray_ids_between_messages_and_a_new_start_mid_content_are_handled() {
        let out = ids("<|channel|>analysis<|message|>a<|end|>stray<|start|>assistant\
             <|channel|>analysis<|message|>b<|start|>assistant<|channel|>final<|message|>c<|return|>");
        let (first, t) = feed(&out, &[]);
        assert!(first.is_some());
        assert_eq!((t.reasoning_tokens(), t.answer_tokens()), (2, 1));
    }
}
