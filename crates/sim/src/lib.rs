//! A simulated inference server that behaves like gpt-oss-120b on a GPU: it speaks the protocol
//! of SGLang, vLLM or trtllm-serve ([`Personality`]: `/generate`, `/v1/completions`, health,
//! info and `/metrics`), its timing comes from
//! a continuous-batching model (or fixed timings, or none), its answers are valid harmony that
//! the accuracy scorer can grade, and it can inject faults. It records the true TTFT and TPOT
//! of every request, so a client's measurement error can be checked.
//!
//! Must not know about LoadGen.
//!
//! ```no_run
//! use ossperf_sim::{SimConfig, Simulator, Timing};
//! use std::time::Duration;
//!
//! let config = SimConfig {
//!     timing: Timing::Fixed { ttft: Duration::from_millis(50), tpot: Duration::from_millis(10) },
//!     ..SimConfig::default()
//! };
//! let sim = Simulator::start(config)?;
//! println!("SGLang simulator at {}", sim.url());
//! // … run a client against sim.url(), then compare with sim.truth() …
//! sim.shutdown();
//! # Ok::<(), ossperf_sim::Error>(())
//! ```

#![warn(unreachable_pub)]
#![warn(missing_docs)]

mod answers;
mod chunks;
mod config;
mod conn;
mod error;
mod metrics;
mod model;
mod personality;
mod reference;
mod rng;
mod scheduler;
mod server;
mod stream;
mod truth;
mod wire;

pub use answers::{AnswerBank, ChannelCounts, Finish};
pub use chunks::{Chunker, Speculative};
pub use config::{
    Faults, OutputLen, SimConfig, StreamFormat, Timing, MODEL_NAME, REFERENCE_MEAN_OUTPUT,
};
pub use error::Error;
pub use model::{Batcher, CostModel, Progress};
pub use personality::{CompletionIds, IntervalRule, Personality};
pub use reference::{
    bundled_lcb_solutions, parse_lcb_solutions, read_lcb_solutions, ReferenceRow, ReferenceSet,
    Task,
};
pub use rng::Rng;
pub use scheduler::is_chunk_end;
pub use server::{SimHandle, Simulator};
pub use truth::{Outcome, TruthRecord};
