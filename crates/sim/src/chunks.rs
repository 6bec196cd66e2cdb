//! Where a stream's chunks end. A server decides after each decoding step whether to send:
//! SGLang when the output length is `1 (mod N)`, vLLM and TensorRT-LLM once N tokens wait
//! ([`IntervalRule`]). Without speculative decoding a step adds one token and both rules give
//! 1, N+1, 2N+1, …; with it (EAGLE3) a step adds up to `num_steps + 1` tokens, so SGLang's
//! points can be jumped over and chunks get uneven.

use crate::personality::IntervalRule;
use crate::rng::Rng;

/// Speculative decoding: each step after the first accepts 1 to `max_tokens` tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Speculative {
    /// Tokens a step can add: the draft's `num_steps` plus the verified one (EAGLE3 with
    /// `--speculative-num-steps 3 --speculative-eagle-topk 1`: 4).
    pub max_tokens: u32,
}

impl Speculative {
    /// EAGLE3 as the MLPerf reference launches it for Interactive (`run_server.sh`).
    pub const REFERENCE_EAGLE3: Speculative = Speculative { max_tokens: 4 };
}

/// The chunk ends of one stream, produced in order.
#[derive(Debug, Clone)]
pub struct Chunker {
    rule: IntervalRule,
    interval: u32,
    total: u32,
    spec: Option<(Speculative, Rng)>,
    /// The output length after the latest step considered.
    boundary: u32,
    /// The end of the latest chunk sent.
    sent: u32,
    next: u32,
}

impl Chunker {
    /// Chunk ends for an answer of `total` tokens; `rng` draws speculative step sizes.
    pub fn new(
        rule: IntervalRule,
        interval: u32,
        total: u32,
        spec: Option<Speculative>,
        rng: Rng,
    ) -> Chunker {
        let mut c = Chunker {
            rule,
            interval: interval.max(1),
            total,
            spec: spec.map(|s| (s, rng)),
            boundary: 0,
            sent: 0,
            next: 0,
        };
        c.next = c.find_next();
        c
    }

    /// The end of the next chunk (the answer's length once nothing else is due).
    pub fn peek(&self) -> u32 {
        self.next
    }

    /// Marks the next chunk sent.
    pub fn advance(&mut self) {
        self.sent = self.next;
        self.next = self.find_next();
    }

    fn step(&mut self) -> u32 {
        match (&mut self.spec, self.boundary) {
            (_, 0) | (None, _) => 1,
            (Some((s, rng)), _) => rng.between(1, s.max_tokens.max(1)),
        }
    }

    fn find_next(&mut self) -> u32 {
        loop {
            if self.boundary >= self.total {
                return self.total;
            }
            self.boundary = (self.boundary + self.step()).min(self.total);
            let b = self.boundary;
            let due = match self.rule {
                _ if self.interval == 1 || b == self.total => true,
                IntervalRule::Modulo => b % self.interval == 1,
                IntervalRule::Accumulate => self.sent == 0 || b - self.sent >= self.interval,
            };
            if due {
                return b;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ends(rule: IntervalRule, interval: u32, total: u32, spec: Option<u32>) -> Vec<u32> {
        let spec = spec.map(|max_tokens| Speculative { max_tokens });
        let mut c = Chunker::new(rule, interval, total, spec, Rng::keyed(7, 1, 9));
        let mut out = Vec::new();
        while out.last() != Some(&total) {
            out.push(c.peek());
            c.advance();
        }
        out
    }

    #[test]
    fn without_speculation_both_rules_send_the_first_token_then_every_interval() {
        for rule in [IntervalRule::Modulo, IntervalRule::Accumulate] {
            assert_eq!(ends(rule, 5, 12, None), [1, 6, 11, 12]);
            assert_eq!(ends(rule, 1, 3, None), [1, 2, 3]);
        }
    }

    #[test]
    fn speculative_steps_make_sglang_chunks_uneven_and_vllm_chunks_at_least_the_interval() {
        let sg = ends(IntervalRule::Modulo, 5, 40, Some(4));
        assert_eq!(sg[0], 1);
        assert!(sg[..sg.len() - 1].iter().all(|e| e % 5 == 1), "{sg:?}");
        let gaps: Vec<u32> = sg.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(
            gaps.iter().any(|&g| g > 5),
            "some point is jumped over: {sg:?}"
        );
        let vl = ends(IntervalRule::Accumulate, 5, 40, Some(4));
        assert!(
            vl.windows(2)
                .rev()
                .skip(1)
                .all(|w| (5..=8).contains(&(w[1] - w[0]))),
            "{vl:?}"
        );
    }
}
