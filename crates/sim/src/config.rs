//! What a simulator run is told: timing, output lengths, answers and faults.
//!
//! The axes are separate types that compose ([`Timing`] × [`OutputLen`] × [`Faults`] ×
//! [`StreamFormat`]) instead of one flag per combination.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::chunks::Speculative;
use crate::model::CostModel;
use crate::personality::Personality;
use crate::reference::ReferenceSet;

/// The model name the simulator reports (`/get_model_info`, `/v1/models`, completions).
pub const MODEL_NAME: &str = "openai/gpt-oss-120b";

/// Mean output length of the MLPerf performance set (docs/REFERENCE.md §1.2, TEST09).
pub const REFERENCE_MEAN_OUTPUT: u32 = 1278;

/// Everything a simulator needs to start.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// Which server it behaves like (routes, validation, chunk shapes, identity).
    pub personality: Personality,
    /// How long tokens take.
    pub timing: Timing,
    /// SGLang's `--max-running-requests`: requests beyond it queue.
    pub max_running_requests: u32,
    /// SGLang's `--chunked-prefill-size`: prefill tokens per scheduler step.
    pub chunked_prefill_size: u32,
    /// SGLang's `--stream-interval`: tokens per streamed chunk (the first token goes alone).
    pub stream_interval: u32,
    /// Whether streamed `output_ids` and `text` are deltas or cumulative (SGLang's native
    /// stream only; the OpenAI servers always send deltas).
    pub stream_format: StreamFormat,
    /// Speculative decoding (several tokens per step, uneven chunks), if on.
    pub speculative: Option<Speculative>,
    /// SGLang's `--max-queued-requests`: beyond it, a request is aborted with status 503.
    pub max_queued_requests: Option<u32>,
    /// Idle keep-alive connections are closed after this long (uvicorn's 5 s); `None` never.
    pub keep_alive: Option<Duration>,
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
    /// Loopback on a free port, the H100 profile, the performance set's mean output length, and
    /// what a user of the MLPerf reference runs: SGLang v0.5.4.post2 as `run_server.sh`
    /// launches it (512 running requests, 16,384-token prefill chunks, stream interval 500,
    /// cumulative streams, no speculative decoding outside Interactive).
    fn default() -> Self {
        Self::for_personality(Personality::default())
    }
}

impl SimConfig {
    /// The defaults with `personality` as it is usually launched: SGLang as the reference's
    /// `run_server.sh` does (cumulative, interval 500), vLLM as `ossperf serve` does (interval
    /// 500), and the servers without `--stream-interval` at 1.
    pub fn for_personality(personality: Personality) -> Self {
        Self {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            personality,
            timing: Timing::Batched(CostModel::H100),
            max_running_requests: 512,
            chunked_prefill_size: 16_384,
            stream_interval: match personality {
                Personality::Sglang | Personality::Sglang054 | Personality::Vllm => 500,
                Personality::VllmTextOnly | Personality::Trtllm => 1,
            },
            stream_format: personality.default_stream_format(),
            speculative: None,
            max_queued_requests: None,
            keep_alive: Some(Duration::from_secs(5)),
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
/// (SGLang's `--incremental-streaming-output` and its version differences, docs/REFERENCE.md §8.4).
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
    /// For this long after start the port refuses connections (weights loading).
    pub loading: Duration,
    /// For this long after start (including `loading`) `/health` answers 503 while generation
    /// is served (SGLang's `Starting` state, until its warm-up request answers).
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
