//! What a simulator run is told: timing, output lengths, answers and faults.
//!
//! The axes are separate types that compose ([`Timing`] × [`OutputLen`] × [`Faults`] ×
//! [`StreamFormat`]) instead of one flag per combination.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::model::CostModel;
use crate::reference::ReferenceSet;

/// The model name the simulator reports (`/get_model_info`, `/v1/models`, completions).
pub const MODEL_NAME: &str = "openai/gpt-oss-120b";

/// Mean output length of the MLPerf performance set (accuracy spec §1.2, TEST09).
pub const REFERENCE_MEAN_OUTPUT: u32 = 1278;

/// Everything a simulator needs to start.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// How long tokens take.
    pub timing: Timing,
    /// SGLang's `--max-running-requests`: requests beyond it queue.
    pub max_running_requests: u32,
    /// SGLang's `--chunked-prefill-size`: prefill tokens per scheduler step.
    pub chunked_prefill_size: u32,
    /// SGLang's `--stream-interval`: tokens per streamed chunk (the first token goes alone).
    pub stream_interval: u32,
    /// Whether streamed `output_ids` and `text` are deltas or cumulative.
    pub stream_format: StreamFormat,
    /// How many tokens each answer has before `max_new_tokens` caps it.
    pub output_len: OutputLen,
    /// Rows whose ground truth the simulator knows, to answer them correctly or not.
    pub reference: Option<Arc<ReferenceSet>>,
    /// Probability that a known row gets a correct final answer.
    pub accuracy: f64,
    /// Seed for every random choice (answers, lengths, faults).
    pub seed: u64,
    /// Faults to inject.
    pub faults: Faults,
    /// Append one JSON line of ground-truth timing per finished request to this file.
    pub truth_log: Option<PathBuf>,
    /// Also record when every streamed frame left and how many tokens it completed
    /// ([`crate::TruthRecord::sends`]), for checking inter-token latency measurements.
    pub record_sends: bool,
}

impl Default for SimConfig {
    /// Loopback on a free port, the H100 profile, the performance set's mean output length,
    /// SGLang's MLPerf launch flags (512 running requests, 16,384-token prefill chunks) and a
    /// stream interval of 1 so every token is an event.
    fn default() -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            timing: Timing::Batched(CostModel::H100),
            max_running_requests: 512,
            chunked_prefill_size: 16_384,
            stream_interval: 1,
            stream_format: StreamFormat::Delta,
            output_len: OutputLen::Mean(REFERENCE_MEAN_OUTPUT),
            reference: None,
            accuracy: 0.83,
            seed: 0,
            faults: Faults::default(),
            truth_log: None,
            record_sends: false,
        }
    }
}

/// How long tokens take to appear.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Timing {
    /// No modeled cost: every token is ready when the request arrives. For measuring clients.
    Zero,
    /// Fixed per-request timing, independent of load: the first token `ttft` after arrival,
    /// each next one `tpot` later. The ground truth for measurement-error benchmarks.
    Fixed {
        /// Time to first token.
        ttft: Duration,
        /// Time per output token after the first.
        tpot: Duration,
    },
    /// Continuous batching on a scheduler whose step time comes from a cost model.
    Batched(CostModel),
}

/// Whether streamed chunks carry new tokens only or everything so far
/// (SGLang's `--incremental-streaming-output` and its version differences, spec §8.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamFormat {
    /// Each chunk carries only the tokens and text produced since the previous chunk.
    Delta,
    /// Each chunk carries all tokens and text produced so far.
    Cumulative,
}

/// How many tokens an answer has before `max_new_tokens` caps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputLen {
    /// Every answer has this many tokens.
    Fixed(u32),
    /// Lengths drawn uniformly from `[mean/2, 3·mean/2]`, so their mean is `mean`.
    Mean(u32),
    /// Each reference row's own output length ([`crate::ReferenceRow::output_len`], from a
    /// column of the dataset); prompts without one are drawn as [`OutputLen::Mean`] of this.
    FromData(u32),
}

/// Faults to inject. Rates are probabilities per `/generate` or `/v1/completions` request,
/// decided from the seed and the request's arrival number, so a run is reproducible.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Share of requests answered with an HTTP error instead of tokens.
    pub error_rate: f64,
    /// The status of those errors (default 500 when 0).
    pub error_status: u16,
    /// Share of streams whose connection is closed halfway, without `[DONE]`.
    pub disconnect_rate: f64,
    /// Share of streams that send headers and then nothing, forever.
    pub stall_rate: f64,
    /// Share of streams with one malformed event (truncated JSON) halfway.
    pub malformed_rate: f64,
    /// Share of streams whose `completion_tokens` goes backwards once (a retraction).
    pub retract_rate: f64,
    /// For this long after start, health checks and generation answer 503.
    pub slow_start: Duration,
    /// Stop serving after this many generation requests have finished.
    pub exit_after: Option<u64>,
}

impl Faults {
    /// The HTTP status for injected errors.
    pub fn status(&self) -> u16 {
        if self.error_status == 0 {
            500
        } else {
            self.error_status
        }
    }
}
