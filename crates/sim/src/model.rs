//! The performance model: continuous batching with chunked prefill, in virtual time.
//!
//! A [`Batcher`] holds the waiting queue and the running batch and advances one scheduler step
//! at a time. Each step admits queued requests up to `max_running_requests`, spends up to
//! `chunked_prefill_size` prompt tokens on prefill, and decodes one token for every running
//! request whose prefill is done (SGLang's mixed chunked prefill). The step's duration comes
//! from a [`CostModel`]; TTFT and TPOT are what emerges. The batcher is pure (no clock, no I/O),
//! so tests run thousands of steps in microseconds and the server task only has to sleep until
//! each step's end.

use std::collections::VecDeque;
use std::time::Duration;

/// The cost of one scheduler step, in microseconds per unit of work.
///
/// `step = base + prefill_token · P + decode_seq · B + context_token · C`, where `P` is the
/// number of prompt tokens prefilled in the step, `B` the number of sequences decoding one
/// token, and `C` the sum of their context lengths (the KV cache the attention reads).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostModel {
    /// Fixed cost of a step: reading the active weights once, launch overhead.
    pub base_us: f64,
    /// Cost per prompt token prefilled (compute-bound).
    pub prefill_token_us: f64,
    /// Cost per decoding sequence (MoE expert reads and compute that grow with the batch).
    pub decode_seq_us: f64,
    /// Cost per token of context read by the decoding sequences' attention.
    pub context_token_us: f64,
}

impl CostModel {
    /// gpt-oss-120b (MXFP4) on one H100 SXM (3.35 TB/s HBM3). No H100 result is published
    /// (MLPerf v6.0 has none): the H200 calibration scaled by memory bandwidth, about 2.5k
    /// output tokens/s per GPU Offline. See docs/SIMULATOR.md.
    pub const H100: Self = Self {
        base_us: 7_000.0,
        prefill_token_us: 40.0,
        decode_seq_us: 333.0,
        context_token_us: 0.011,
    };

    /// gpt-oss-120b (MXFP4) on one H200 SXM, calibrated to MLPerf v6.0's 8×H200 result (vLLM
    /// via llm-d): 3,585 output tokens/s per GPU Offline. Hopper has no FP4 tensor cores, so
    /// the per-sequence MoE cost is well above what bandwidth alone predicts. See
    /// docs/SIMULATOR.md.
    pub const H200: Self = Self {
        base_us: 4_900.0,
        prefill_token_us: 40.0,
        decode_seq_us: 221.0,
        context_token_us: 0.0077,
    };

    /// The duration of one step with `prefill` prompt tokens, `decoding` sequences and
    /// `context` tokens of their KV cache.
    pub fn step(&self, prefill: u64, decoding: u64, context: u64) -> Duration {
        let us = self.base_us
            + self.prefill_token_us * prefill as f64
            + self.decode_seq_us * decoding as f64
            + self.context_token_us * context as f64;
        Duration::from_nanos((us * 1_000.0).round() as u64)
    }
}

/// One request inside the batcher.
#[derive(Debug)]
struct Job<T> {
    tag: T,
    prompt: u32,
    prefilled: u32,
    total: u32,
    produced: u32,
}

/// What a step did to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Progress<T> {
    /// The request's tag, as pushed.
    pub tag: T,
    /// Output tokens produced so far.
    pub produced: u32,
    /// True when the request produced its last token (or had none to produce).
    pub finished: bool,
}

/// Continuous batching in virtual time.
#[derive(Debug)]
pub struct Batcher<T> {
    cost: CostModel,
    max_running: usize,
    chunk: u32,
    waiting: VecDeque<Job<T>>,
    running: Vec<Job<T>>,
}

impl<T: Clone> Batcher<T> {
    /// An empty batcher.
    pub fn new(cost: CostModel, max_running: u32, chunked_prefill_size: u32) -> Self {
        Self {
            cost,
            max_running: max_running.max(1) as usize,
            chunk: chunked_prefill_size.max(1),
            waiting: VecDeque::new(),
            running: Vec::new(),
        }
    }

    /// Queues a request with `prompt` input tokens that will produce `output` tokens.
    pub fn push(&mut self, tag: T, prompt: u32, output: u32) {
        self.waiting.push_back(Job {
            tag,
            prompt: prompt.max(1),
            prefilled: 0,
            total: output,
            produced: 0,
        });
    }

    /// Requests in the running batch (prefilling or decoding).
    pub fn running(&self) -> usize {
        self.running.len()
    }

    /// Requests waiting for a slot in the batch.
    pub fn queued(&self) -> usize {
        self.waiting.len()
    }

    /// True when nothing is queued or running.
    pub fn is_idle(&self) -> bool {
        self.running.is_empty() && self.waiting.is_empty()
    }

    /// Drops every request whose tag matches (a client went away).
    pub fn abort(&mut self, gone: impl Fn(&T) -> bool) {
        self.running.retain(|job| !gone(&job.tag));
        self.waiting.retain(|job| !gone(&job.tag));
    }

    /// Runs one step: pushes what happened to each request into `out` and returns the step's
    /// duration, or `None` when idle.
    pub fn step(&mut self, out: &mut Vec<Progress<T>>) -> Option<Duration> {
        while self.running.len() < self.max_running {
            match self.waiting.pop_front() {
                Some(job) => self.running.push(job),
                None => break,
            }
        }
        if self.running.is_empty() {
            return None;
        }
        let mut budget = self.chunk;
        let (mut prefill, mut decoding, mut context) = (0u64, 0u64, 0u64);
        for job in &mut self.running {
            if job.prefilled < job.prompt {
                let take = budget.min(job.prompt - job.prefilled);
                job.prefilled += take;
                budget -= take;
                prefill += u64::from(take);
                if job.prefilled == job.prompt {
                    // The forward pass that completes the prompt samples the first token.
                    job.produced = job.total.min(1);
                    out.push(Progress {
                        tag: job.tag.clone(),
                        produced: job.produced,
                        finished: job.produced == job.total,
                    });
                }
            } else if job.produced < job.total {
                decoding += 1;
                context += u64::from(job.prompt + job.produced);
                job.produced += 1;
                out.push(Progress {
                    tag: job.tag.clone(),
                    produced: job.produced,
                    finished: job.produced == job.total,
                });
            }
        }
        self.running
            .retain(|job| job.prefilled < job.prompt || job.produced < job.total);
        Some(self.cost.step(prefill, decoding, context))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs `n` identical requests pushed at once; returns (virtual seconds, per-request TTFT).
    fn burst(
        cost: CostModel,
        n: u32,
        max_running: u32,
        prompt: u32,
        output: u32,
    ) -> (f64, Vec<f64>) {
        let mut b = Batcher::new(cost, max_running, 16_384);
        for i in 0..n {
            b.push(i, prompt, output);
        }
        let (mut now, mut ttft, mut out) = (Duration::ZERO, vec![0.0; n as usize], Vec::new());
        while let Some(dt) = b.step(&mut out) {
            now += dt;
            for p in out.drain(..) {
                if p.produced == 1 {
                    ttft[p.tag as usize] = now.as_secs_f64();
                }
            }
        }
        (now.as_secs_f64(), ttft)
    }

    #[test]
    fn step_cost_adds_its_four_parts() {
        let c = CostModel {
            base_us: 1.0,
            prefill_token_us: 2.0,
            decode_seq_us: 3.0,
            context_token_us: 0.5,
        };
        assert_eq!(c.step(10, 4, 100), Duration::from_micros(1 + 20 + 12 + 50));
    }

    #[test]
    fn a_single_request_gets_one_token_per_step_after_its_prefill() {
        let mut b = Batcher::new(CostModel::H100, 8, 100);
        b.push("a", 250, 3);
        let mut out = Vec::new();
        let mut steps = Vec::new();
        while let Some(dt) = b.step(&mut out) {
            steps.push((
                dt,
                out.drain(..)
                    .map(|p| (p.produced, p.finished))
                    .collect::<Vec<_>>(),
            ));
        }
        // 250 prompt tokens in chunks of 100: three prefill steps, the third samples token 1.
        let shapes: Vec<_> = steps.iter().map(|(_, p)| p.clone()).collect();
        assert_eq!(
            shapes,
            vec![
                vec![],
                vec![],
                vec![(1, false)],
                vec![(2, false)],
                vec![(3, true)]
            ]
        );
        assert_eq!(steps[0].0, CostModel::H100.step(100, 0, 0));
        assert_eq!(steps[3].0, CostModel::H100.step(0, 1, 251));
        assert!(b.is_idle());
    }

    #[test]
    fn throughput_grows_with_batch_size_up_to_the_running_limit() {
        let limit = 64;
        let rate = |n: u32| {
            let (secs, _) = burst(CostModel::H100, n, limit, 1000, 500);
            f64::from(n * 500) / secs
        };
        let rates: Vec<f64> = [1, 4, 16, 64, 128, 256].iter().map(|&n| rate(n)).collect();
        for w in rates[..4].windows(2) {
            assert!(
                w[1] > w[0] * 1.5,
                "throughput must grow below the limit: {rates:?}"
            );
        }
        // Past the limit requests only queue: throughput stays at the limit's level.
        for r in &rates[4..] {
            assert!(
                (r / rates[3] - 1.0).abs() < 0.05,
                "flat past the limit: {rates:?}"
            );
        }
    }

    #[test]
    fn ttft_grows_with_the_queue() {
        let (_, ttft) = burst(CostModel::H100, 32, 8, 1000, 200);
        // Each wave of eight waits for the previous wave to finish.
        let waves: Vec<f64> = ttft
            .chunks(8)
            .map(|w| w.iter().sum::<f64>() / 8.0)
            .collect();
        for w in waves.windows(2) {
            assert!(w[1] > w[0] + 0.5, "later waves wait longer: {waves:?}");
        }
    }

    #[test]
    fn h200_decodes_faster_than_h100() {
        let (h100, _) = burst(CostModel::H100, 16, 512, 1000, 500);
        let (h200, _) = burst(CostModel::H200, 16, 512, 1000, 500);
        assert!(h200 < h100 * 0.8);
    }

    #[test]
    fn a_request_with_no_output_finishes_after_its_prefill() {
        let mut b = Batcher::new(CostModel::H100, 8, 16_384);
        b.push(7u32, 10, 0);
        let mut out = Vec::new();
        assert!(b.step(&mut out).is_some());
        assert_eq!(
            out,
            vec![Progress {
                tag: 7,
                produced: 0,
                finished: true
            }]
        );
        assert!(b.step(&mut out).is_none());
    }
}
