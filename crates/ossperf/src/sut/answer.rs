//! The time to the first *answer* token of each request (issue 24): the client hands every
//! chunk's output ids to the SUT's handler with the read's kernel stamp, and this follows the
//! harmony channels through them ([`ChannelTracker`], O(1) per new id, nothing allocated), so
//! the first final-channel content token is stamped with the read that carried it, as the
//! first token is.
//!
//! Where there are no channels to follow, the answer's time is *unavailable*, never replaced
//! by the first token's: a server that sends text only (OpenAI without token ids), or ids
//! without any `<|channel|>`/`<|message|>` (special tokens dropped). An answer whose ids have
//! channels but never reach the final channel's content (cut by `max_new_tokens` while still
//! reasoning) is `no_answer`: counted and listed, with its reasoning tokens, and no time.

use std::time::{Duration, Instant};

use ossperf_harmony::{ChannelTracker, Step};

/// What the channels of one completed answer showed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub(crate) enum AnswerStatus {
    /// The final channel's first content token arrived.
    Answered,
    /// Channels were followed, but the final channel never brought content.
    NoAnswer,
    /// The server sent text, not token ids: no channels to follow.
    TextOnly,
    /// The ids carried no channel markers (the server dropped special tokens).
    NoMarkers,
    /// Not completed (failed), or not known.
    #[default]
    Unknown,
}

impl AnswerStatus {
    /// Every status, in a fixed order (its index is its packed code).
    pub(crate) const ALL: [AnswerStatus; 5] = [
        AnswerStatus::Answered,
        AnswerStatus::NoAnswer,
        AnswerStatus::TextOnly,
        AnswerStatus::NoMarkers,
        AnswerStatus::Unknown,
    ];

    /// Its name in `results.json`.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            AnswerStatus::Answered => "answered",
            AnswerStatus::NoAnswer => "no_answer",
            AnswerStatus::TextOnly => "text_only",
            AnswerStatus::NoMarkers => "no_markers",
            AnswerStatus::Unknown => "unknown",
        }
    }

    pub(crate) fn code(self) -> u8 {
        Self::ALL.iter().position(|&s| s == self).unwrap_or(4) as u8
    }

    pub(crate) fn from_code(code: u8) -> AnswerStatus {
        Self::ALL
            .get(usize::from(code))
            .copied()
            .unwrap_or(AnswerStatus::Unknown)
    }
}

/// The channel facts of one completed answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AnswerFacts {
    pub status: AnswerStatus,
    /// How long before the completion's read the first answer token's read came (zero when
    /// both came in one read); `Some` only when `status` is `Answered`.
    pub before_end: Option<Duration>,
    /// Content tokens outside the final channel.
    pub reasoning_tokens: u32,
    /// Content tokens on the final channel.
    pub answer_tokens: u32,
}

/// Follows one response's output ids as the chunks arrive.
#[derive(Debug, Clone, Default)]
pub(crate) struct AnswerTracker {
    channels: ChannelTracker,
    /// Ids read so far, and the last of them (to notice a tail that was replaced).
    fed: usize,
    last: u32,
    /// The read that carried the first answer token, and that token's position.
    answer: Option<(Instant, usize)>,
}

impl AnswerTracker {
    /// Reads the ids not yet seen of the output so far (`ids`), stamped `at`.
    pub(crate) fn on_tokens(&mut self, at: Instant, ids: &[u32]) {
        let replaced =
            ids.len() < self.fed || (self.fed > 0 && ids.get(self.fed - 1) != Some(&self.last));
        if replaced {
            self.reread(at, ids);
        }
        for (k, &id) in ids.iter().enumerate().skip(self.fed) {
            if self.channels.push(id) == Step::FirstAnswer {
                self.answer = Some((at, k));
            }
        }
        self.fed = ids.len();
        self.last = ids.last().copied().unwrap_or(0);
    }

    /// A retraction took ids back, or replaced the tail (rare): the channels are followed
    /// again from the start over the ids already seen that remain. The answer keeps its time
    /// when its token is found again at the same place; an answer token found elsewhere is
    /// stamped with this read, the earliest instant known to have carried it.
    fn reread(&mut self, at: Instant, ids: &[u32]) {
        let keep = ids.len().min(self.fed);
        let before = self.answer.take();
        self.channels = ChannelTracker::new();
        for (k, &id) in ids[..keep].iter().enumerate() {
            if self.channels.push(id) == Step::FirstAnswer {
                self.answer = Some(match before {
                    Some((t, pos)) if pos == k => (t, k),
                    _ => (at, k),
                });
            }
        }
        self.fed = keep;
    }

    /// The facts of the answer that completed at `end`; `had_ids` is false when the server
    /// sent no token ids at all.
    pub(crate) fn facts(&self, end: Instant, had_ids: bool) -> AnswerFacts {
        let status = if !had_ids {
            AnswerStatus::TextOnly
        } else if !self.channels.saw_markers() {
            AnswerStatus::NoMarkers
        } else if self.answer.is_some() {
            AnswerStatus::Answered
        } else {
            AnswerStatus::NoAnswer
        };
        let channels_known = matches!(status, AnswerStatus::Answered | AnswerStatus::NoAnswer);
        AnswerFacts {
            status,
            before_end: self.answer.map(|(at, _)| end.saturating_duration_since(at)),
            reasoning_tokens: if channels_known {
                self.channels.reasoning_tokens()
            } else {
                0
            },
            answer_tokens: if channels_known {
                self.channels.answer_tokens()
            } else {
                0
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ossperf_harmony::tokenizer;

    fn ids(text: &str) -> Vec<u32> {
        tokenizer().encode_with_special_tokens(text)
    }

    const ANSWER: &str = "<|channel|>analysis<|message|>think hard<|end|><|start|>assistant\
        <|channel|>final<|message|>forty two<|return|>";

    #[test]
    fn the_answer_is_stamped_with_the_read_that_carried_its_first_token() {
        let out = ids(ANSWER);
        let first = ids(
            "<|channel|>analysis<|message|>think hard<|end|><|start|>assistant\
            <|channel|>final<|message|>",
        )
        .len();
        let t0 = Instant::now();
        let at = |ms| t0 + Duration::from_millis(ms);
        let mut a = AnswerTracker::default();
        // Reads of 3 ids each: the answer token is in the read that covers position `first`.
        for end in (3..=out.len() + 2).step_by(3) {
            a.on_tokens(at(end as u64), &out[..end.min(out.len())]);
        }
        let carried = (first / 3 + 1) * 3;
        let facts = a.facts(at(100), true);
        assert_eq!(facts.status, AnswerStatus::Answered);
        assert_eq!(
            facts.before_end,
            Some(at(100).duration_since(at(carried as u64)))
        );
        let answer = tokenizer().encode("forty two").len() as u32;
        assert_eq!((facts.reasoning_tokens, facts.answer_tokens), (2, answer));
    }

    #[test]
    fn no_final_channel_no_markers_and_no_ids_are_told_apart() {
        let now = Instant::now();
        let mut cut = AnswerTracker::default();
        cut.on_tokens(now, &ids("<|channel|>analysis<|message|>think and think"));
        let f = cut.facts(now, true);
        assert_eq!(
            (f.status, f.before_end, f.reasoning_tokens),
            (AnswerStatus::NoAnswer, None, 3)
        );
        let mut plain = AnswerTracker::default();
        plain.on_tokens(now, &ids("think hard. forty two"));
        assert_eq!(plain.facts(now, true).status, AnswerStatus::NoMarkers);
        let text = AnswerTracker::default();
        assert_eq!(
            text.facts(now, false),
            AnswerFacts {
                status: AnswerStatus::TextOnly,
                ..AnswerFacts::default()
            }
        );
    }

    #[test]
    fn a_retraction_keeps_the_answer_time_only_when_its_token_survived() {
        let out = ids(ANSWER);
        let t0 = Instant::now();
        let later = t0 + Duration::from_millis(50);
        let mut a = AnswerTracker::default();
        a.on_tokens(t0, &out);
        // The last two ids taken back, then sent again: the answer token stays where it was.
        a.on_tokens(later, &out[..out.len() - 2]);
        a.on_tokens(later, &out);
        assert_eq!(a.facts(later, true).before_end, Some(later - t0));
        let answer = tokenizer().encode("forty two").len() as u32;
        assert_eq!(a.facts(later, true).answer_tokens, answer);
        // Taken back to the analysis channel: the answer comes again, at the later read.
        let mut b = AnswerTracker::default();
        b.on_tokens(t0, &out);
        b.on_tokens(later, &out[..4]);
        assert_eq!(b.facts(later, true).status, AnswerStatus::NoAnswer);
        b.on_tokens(later, &out);
        assert_eq!(b.facts(later, true).before_end, Some(Duration::ZERO));
    }

    #[test]
    fn statuses_round_trip_through_their_codes() {
        for s in AnswerStatus::ALL {
            assert_eq!(AnswerStatus::from_code(s.code()), s);
        }
    }
}
