//! The tokens a simulated gpt-oss answer is made of, pre-tokenized once.
//!
//! Every answer has the harmony shape gpt-oss emits (docs/REFERENCE.md §2.2):
//! `<|channel|>analysis<|message|>…reasoning…<|end|><|start|>assistant<|channel|>final<|message|>ANSWER<|return|>`.
//! The reasoning is a fixed paragraph cycled to the wanted length from a random offset; the
//! final part is chosen per request. Each distinct token becomes a [`Piece`] holding its id and
//! its JSON-escaped text already as bytes, so writing an event copies bytes and never formats or
//! tokenizes. Nothing here is built per request except a few integers.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use ossperf_harmony::{special, tokenizer};

use crate::config::{OutputLen, SimConfig};
use crate::reference::{ReferenceSet, Task};
use crate::rng::{hash_ids, Rng};

/// The reasoning text cycled through the analysis channel. ASCII only, so any token boundary
/// is a character boundary, and free of anything the scorers parse (no `\boxed`, no "answer").
const REASONING: &str = "We need to work through the problem carefully. First restate what is \
given and what is asked, then consider the simplest approach that could work. Check small cases \
by hand to see the pattern, and make sure each step follows from the previous one. Consider edge \
conditions and whether any assumption was hidden in the wording. Compare two candidate methods, \
keep the one that is easier to verify, and recheck the arithmetic once before moving on. ";

/// The final text of rows with no known ground truth (the performance set).
const SUMMARY: &str = "The paper studies the stated research question with a clear method. It \
reports its main findings with supporting measurements and discusses their significance and \
limits.";

/// One distinct output token, ready to be copied into events.
#[derive(Debug)]
pub struct Piece {
    /// The token id.
    pub id: u32,
    /// The id in decimal ASCII.
    pub id_text: Box<[u8]>,
    /// The token's text, JSON-escaped (without quotes); invalid UTF-8 becomes U+FFFD.
    pub text: Box<[u8]>,
    /// True for harmony special tokens (dropped from `text` when `skip_special_tokens`).
    pub special: bool,
}

/// How a request's generation ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Finish {
    /// The model emitted this stop token (`<|return|>`).
    Stop(u32),
    /// `max_new_tokens` cut the answer at this many tokens.
    Length(u32),
}

/// The plan for one request's output: which pieces, how many, how it ends.
#[derive(Debug, Clone)]
pub struct Answer {
    filler_start: u32,
    filler_len: u32,
    tail: Arc<[u32]>,
    /// Shorter than the harmony frame: the frame's first `len − 1` tokens, then `<|return|>`.
    short: bool,
    /// Output tokens actually produced (after the `max_new_tokens` cap).
    pub len: u32,
    /// How the generation ends.
    pub finish: Finish,
    /// The reference row answered, if the prompt is one.
    pub row: Option<usize>,
    /// Whether the final answer is correct, for rows the simulator can answer.
    pub correct: Option<bool>,
}

/// What the harmony channels of an answer's first tokens hold: the simulator's own count, from
/// its plan, for checking a client's channel tracking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelCounts {
    /// Content tokens on the analysis channel.
    pub reasoning_tokens: u32,
    /// Content tokens on the final channel (`<|return|>` excluded).
    pub answer_tokens: u32,
    /// The position (0-based) of the first final-channel content token, when there is one.
    pub first_answer: Option<u32>,
}

/// A row's correct and wrong final parts, as piece indices.
type Tails = (Arc<[u32]>, Arc<[u32]>);

/// Every piece an answer can use, and the per-row final answers.
#[derive(Debug)]
pub struct AnswerBank {
    pieces: Vec<Piece>,
    prefix: Vec<u32>,
    filler: Vec<u32>,
    bridge: Vec<u32>,
    generic: Arc<[u32]>,
    ret: u32,
    /// Per reference row: (correct, wrong) final parts, or `None` for free-text rows.
    tails: Vec<Option<Tails>>,
    reference: Option<Arc<ReferenceSet>>,
    /// How many times each prompt (by hash) has been answered.
    seen: Mutex<HashMap<u64, u32>>,
}

struct Interner {
    pieces: Vec<Piece>,
    index: HashMap<u32, u32>,
}

impl Interner {
    fn intern(&mut self, ids: &[u32]) -> Vec<u32> {
        ids.iter().map(|&id| self.piece(id)).collect()
    }

    fn piece(&mut self, id: u32) -> u32 {
        if let Some(&i) = self.index.get(&id) {
            return i;
        }
        let bytes = tokenizer().token_bytes(id).unwrap_or_default();
        let text = String::from_utf8_lossy(bytes);
        let json = serde_json::to_string(&text).unwrap_or_else(|_| "\"\"".into());
        let i = self.pieces.len() as u32;
        self.pieces.push(Piece {
            id,
            id_text: id.to_string().into_bytes().into(),
            text: json.as_bytes()[1..json.len() - 1].into(),
            special: tokenizer().is_special(id),
        });
        self.index.insert(id, i);
        i
    }

    fn text(&mut self, text: &str) -> Arc<[u32]> {
        let mut ids = tokenizer().encode(text);
        ids.push(special::RETURN);
        self.intern(&ids).into()
    }
}

impl AnswerBank {
    /// Tokenizes the fixed parts and every reference row's correct and wrong final answers.
    pub fn new(reference: Option<Arc<ReferenceSet>>) -> Self {
        let tok = tokenizer();
        let mut it = Interner {
            pieces: Vec::new(),
            index: HashMap::new(),
        };
        let prefix = it.intern(&tok.encode_with_special_tokens("<|channel|>analysis<|message|>"));
        let filler = it.intern(&tok.encode(REASONING));
        let bridge = it.intern(
            &tok.encode_with_special_tokens("<|end|><|start|>assistant<|channel|>final<|message|>"),
        );
        let generic = it.text(SUMMARY);
        let ret = it.piece(special::RETURN);
        let tails = match &reference {
            None => Vec::new(),
            Some(set) => set
                .rows()
                .iter()
                .map(|row| {
                    let (right, wrong) = final_texts(&row.task(), set)?;
                    Some((it.text(&right), it.text(&wrong)))
                })
                .collect(),
        };
        Self {
            pieces: it.pieces,
            prefix,
            filler,
            bridge,
            generic,
            ret,
            tails,
            reference,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// The piece with index `i`.
    pub fn piece(&self, i: u32) -> &Piece {
        &self.pieces[i as usize]
    }

    /// The piece of output token `k` (0-based) of `answer`.
    pub fn piece_at(&self, answer: &Answer, k: u32) -> &Piece {
        let (p, f, b) = (
            self.prefix.len() as u32,
            answer.filler_len,
            self.bridge.len() as u32,
        );
        let i = if answer.short && k + 1 == answer.len {
            self.ret
        } else if k < p {
            self.prefix[k as usize]
        } else if k < p + f {
            let n = self.filler.len() as u32;
            self.filler[((answer.filler_start + k - p) % n) as usize]
        } else if k < p + f + b {
            self.bridge[(k - p - f) as usize]
        } else {
            answer.tail[(k - p - f - b) as usize]
        };
        self.piece(i)
    }

    /// The channels of the first `sent` output tokens of `answer`. The frame is
    /// `prefix · filler · bridge · tail` (the tail ends with `<|return|>`); a short answer is
    /// the frame's first `len − 1` tokens then `<|return|>`.
    pub fn channel_counts(&self, answer: &Answer, sent: u32) -> ChannelCounts {
        let (p, f, b) = (
            self.prefix.len() as u32,
            answer.filler_len,
            self.bridge.len() as u32,
        );
        let cut = if answer.short {
            sent.min(answer.len.saturating_sub(1))
        } else {
            sent
        };
        let content_end = p + f + b + (answer.tail.len() as u32).saturating_sub(1);
        let answer_tokens = cut.min(content_end).saturating_sub(p + f + b);
        ChannelCounts {
            reasoning_tokens: cut.min(p + f).saturating_sub(p),
            answer_tokens,
            first_answer: (answer_tokens > 0).then_some(p + f + b),
        }
    }

    /// All output token ids of `answer`, in order.
    pub fn ids(&self, answer: &Answer) -> Vec<u32> {
        (0..answer.len)
            .map(|k| self.piece_at(answer, k).id)
            .collect()
    }

    /// Plans the answer to a request with prompt `ids`, capped at `max_new`.
    ///
    /// Every random choice is keyed by the seed, the prompt and how many times this prompt was
    /// seen before, not by arrival order: the same run gives the same answers at any concurrency.
    pub fn plan(&self, config: &SimConfig, ids: &[u32], max_new: u32) -> Answer {
        let row = self.reference.as_ref().and_then(|set| set.find(ids));
        let known = row.and_then(|i| self.tails.get(i)?.as_ref());
        let prompt = hash_ids(ids);
        let nth = match self.seen.lock() {
            Ok(mut seen) => {
                let n = seen.entry(prompt).or_insert(0);
                *n += 1;
                u64::from(*n - 1)
            }
            Err(_) => 0,
        };
        let mut rng = Rng::keyed(config.seed ^ prompt, nth, 1);
        let (tail, correct) = match known {
            Some((right, wrong)) => {
                let ok = rng.chance(config.accuracy);
                (if ok { right.clone() } else { wrong.clone() }, Some(ok))
            }
            None => (self.generic.clone(), None),
        };
        let own = || row.and_then(|i| self.reference.as_ref()?.rows().get(i)?.output_len);
        let target = match config.output_len {
            OutputLen::Fixed(n) => n,
            OutputLen::Mean(m) => rng.between(m / 2, m + m / 2),
            OutputLen::FromData(m) => own().unwrap_or_else(|| rng.between(m / 2, m + m / 2)),
        };
        let frame = (self.prefix.len() + self.bridge.len() + tail.len()) as u32;
        // A scored answer needs its whole final part; free text may be cut to any length.
        let natural = if correct.is_some() {
            target.max(frame)
        } else {
            target.max(1)
        };
        let (len, finish) = if natural > max_new {
            (max_new, Finish::Length(max_new))
        } else {
            (natural, Finish::Stop(special::RETURN))
        };
        Answer {
            filler_start: rng.between(0, self.filler.len() as u32 - 1),
            filler_len: natural.saturating_sub(frame),
            tail,
            short: natural < frame,
            len,
            finish,
            row,
            correct,
        }
    }
}

/// The correct and a wrong final text for a task, or `None` when no correct one can be made.
fn final_texts(task: &Task, set: &ReferenceSet) -> Option<(String, String)> {
    match task {
        Task::Aime(n) => {
            let wrong = n.parse::<u32>().map_or(0, |v| (v + 1) % 1000);
            Some((
                format!("The answer is \\boxed{{{n}}}."),
                format!("The answer is \\boxed{{{wrong}}}."),
            ))
        }
        Task::Gpqa(c) => {
            let wrong = (b'A' + (*c as u8 - b'A' + 1) % 4) as char;
            Some((format!("Answer: {c}"), format!("Answer: {wrong}")))
        }
        Task::Lcb(id) => {
            let code = set.solution(id)?;
            let wrong = "print('simulated wrong answer')";
            Some((python_block(code), python_block(wrong)))
        }
        Task::Other => None,
    }
}

fn python_block(code: &str) -> String {
    format!(
        "Here is the solution.\n\n```python\n{}\n```",
        code.trim_end()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::ReferenceRow;

    fn bank_with(rows: Vec<ReferenceRow>, solutions: &[(&str, &str)]) -> AnswerBank {
        let sol = solutions
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect();
        AnswerBank::new(Some(Arc::new(ReferenceSet::new(rows, sol))))
    }

    fn text(bank: &AnswerBank, a: &Answer) -> String {
        tokenizer().decode(&bank.ids(a)).unwrap()
    }

    #[test]
    fn an_answer_is_harmony_analysis_then_final_and_ends_with_return() {
        let bank = AnswerBank::new(None);
        let cfg = SimConfig {
            output_len: OutputLen::Fixed(120),
            ..SimConfig::default()
        };
        let a = bank.plan(&cfg, &[1, 2, 3], 10_240);
        assert_eq!(a.len, 120);
        assert_eq!(a.finish, Finish::Stop(special::RETURN));
        let t = text(&bank, &a);
        assert!(t.starts_with("<|channel|>analysis<|message|>"), "{t}");
        assert!(
            t.ends_with(&format!(
                "<|end|><|start|>assistant<|channel|>final<|message|>{SUMMARY}<|return|>"
            )),
            "{t}"
        );
    }

    #[test]
    fn a_free_text_answer_shorter_than_the_frame_still_ends_with_return() {
        let bank = AnswerBank::new(None);
        let cfg = SimConfig {
            output_len: OutputLen::Fixed(4),
            ..SimConfig::default()
        };
        let a = bank.plan(&cfg, &[1], 100);
        assert_eq!((a.len, a.finish), (4, Finish::Stop(special::RETURN)));
        assert_eq!(text(&bank, &a), "<|channel|>analysis<|message|><|return|>");
    }

    #[test]
    fn max_new_tokens_cuts_the_answer_with_a_length_finish() {
        let bank = AnswerBank::new(None);
        let cfg = SimConfig {
            output_len: OutputLen::Fixed(500),
            ..SimConfig::default()
        };
        let a = bank.plan(&cfg, &[1], 5);
        assert_eq!((a.len, a.finish), (5, Finish::Length(5)));
        assert_eq!(
            &bank.ids(&a)[..3],
            &[special::CHANNEL, bank.piece_at(&a, 1).id, special::MESSAGE]
        );
    }

    #[test]
    fn mean_lengths_stay_within_half_the_mean() {
        let bank = AnswerBank::new(None);
        let cfg = SimConfig {
            output_len: OutputLen::Mean(1278),
            ..SimConfig::default()
        };
        let lens: Vec<u32> = (0..200)
            .map(|_| bank.plan(&cfg, &[1], 10_240).len)
            .collect();
        assert!(lens.iter().all(|&n| (639..=1917).contains(&n)));
        let mean = lens.iter().sum::<u32>() as f64 / 200.0;
        assert!((mean - 1278.0).abs() < 60.0, "{mean}");
    }

    #[test]
    fn answers_depend_on_the_prompt_and_its_repeat_not_on_arrival_order() {
        let cfg = SimConfig {
            output_len: OutputLen::Mean(1000),
            ..SimConfig::default()
        };
        let (one, two) = (AnswerBank::new(None), AnswerBank::new(None));
        let a = [
            one.plan(&cfg, &[1], 10_240).len,
            one.plan(&cfg, &[2], 10_240).len,
            one.plan(&cfg, &[1], 10_240).len,
        ];
        let b = [
            two.plan(&cfg, &[2], 10_240).len,
            two.plan(&cfg, &[1], 10_240).len,
            two.plan(&cfg, &[1], 10_240).len,
        ];
        assert_eq!((a[0], a[1], a[2]), (b[1], b[0], b[2]));
        assert_ne!(a[0], a[2], "a repeat gets its own draw");
    }

    #[test]
    fn lengths_from_data_use_the_rows_own_length_else_the_mean() {
        let row = ReferenceRow {
            input_ids: vec![3, 4],
            dataset: "pubmed_summarization".into(),
            ground_truth: String::new(),
            output_len: Some(777),
        };
        let bank = bank_with(vec![row], &[]);
        let cfg = SimConfig {
            output_len: OutputLen::FromData(100),
            ..SimConfig::default()
        };
        assert_eq!(bank.plan(&cfg, &[3, 4], 10_240).len, 777);
        assert!((50..=150).contains(&bank.plan(&cfg, &[9], 10_240).len));
    }

    #[test]
    fn known_rows_get_the_form_their_scorer_parses() {
        let rows = vec![
            ReferenceRow {
                input_ids: vec![10],
                dataset: "aime25".into(),
                ground_truth: "70".into(),
                output_len: None,
            },
            ReferenceRow {
                input_ids: vec![11],
                dataset: "gpqa_diamond".into(),
                ground_truth: "D".into(),
                output_len: None,
            },
            ReferenceRow {
                input_ids: vec![12],
                dataset: "livecodebench_v6".into(),
                ground_truth: "q1".into(),
                output_len: None,
            },
        ];
        let bank = bank_with(rows, &[("q1", "print(input())")]);
        let cfg = SimConfig {
            output_len: OutputLen::Fixed(50),
            accuracy: 1.0,
            ..SimConfig::default()
        };
        let ends = |ids: &[u32]| {
            let a = bank.plan(&cfg, ids, 10_240);
            assert_eq!(a.correct, Some(true));
            text(&bank, &a)
        };
        assert!(ends(&[10]).ends_with("final<|message|>The answer is \\boxed{70}.<|return|>"));
        assert!(ends(&[11]).ends_with("final<|message|>Answer: D<|return|>"));
        assert!(ends(&[12]).ends_with("```python\nprint(input())\n```<|return|>"));
        let wrong = SimConfig {
            accuracy: 0.0,
            ..cfg
        };
        let a = bank.plan(&wrong, &[11], 10_240);
        assert_eq!(a.correct, Some(false));
        assert!(text(&bank, &a).ends_with("Answer: A<|return|>"));
    }

    /// The plan's own channel counts agree with following the channels of its ids, for whole
    /// answers, answers cut by `max_new_tokens` anywhere, and answers shorter than the frame.
    #[test]
    fn channel_counts_agree_with_the_ids_the_answer_is_made_of() {
        let bank = AnswerBank::new(None);
        for (len, max_new) in [
            (120, 10_240),
            (120, 3),
            (120, 40),
            (120, 119),
            (4, 100),
            (12, 100),
        ] {
            let cfg = SimConfig {
                output_len: OutputLen::Fixed(len),
                ..SimConfig::default()
            };
            let a = bank.plan(&cfg, &[1, 2], max_new);
            let ids = bank.ids(&a);
            for sent in 0..=a.len {
                let mut t = ossperf_harmony::ChannelTracker::new();
                let mut first = None;
                for (k, &id) in ids[..sent as usize].iter().enumerate() {
                    if t.push(id) == ossperf_harmony::Step::FirstAnswer {
                        first = Some(k as u32);
                    }
                }
                let want = ChannelCounts {
                    reasoning_tokens: t.reasoning_tokens(),
                    answer_tokens: t.answer_tokens(),
                    first_answer: first,
                };
                assert_eq!(
                    bank.channel_counts(&a, sent),
                    want,
                    "len {len} max {max_new} sent {sent}"
                );
            }
        }
    }
}
