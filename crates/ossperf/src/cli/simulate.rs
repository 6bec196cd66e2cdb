//! Arguments of `ossperf simulate`; the command is `crate::simulate`.

use std::net::IpAddr;
use std::path::PathBuf;

/// The timing profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    /// gpt-oss-120b on one H100 SXM (continuous batching model)
    H100,
    /// gpt-oss-120b on one H200 SXM (continuous batching model)
    H200,
    /// No modeled cost: every token is ready at once (for measuring clients)
    Zero,
}

/// How streamed chunks carry `output_ids` and `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StreamOutputArg {
    /// Only what is new since the previous chunk (`--incremental-streaming-output`)
    Delta,
    /// Everything produced so far
    Cumulative,
}

/// Arguments of `ossperf simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 30000)]
    pub port: u16,

    /// Timing profile
    #[arg(long, value_enum, default_value_t = ProfileArg::H100)]
    pub profile: ProfileArg,

    /// Fixed time to first token in ms, independent of load (with --tpot-ms; overrides --profile)
    #[arg(long, value_name = "MS", requires = "tpot_ms")]
    pub ttft_ms: Option<f64>,

    /// Fixed time per output token in ms (with --ttft-ms)
    #[arg(long, value_name = "MS", requires = "ttft_ms")]
    pub tpot_ms: Option<f64>,

    /// Requests in the running batch; more wait in a queue
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_running_requests: u32,

    /// Prompt tokens prefilled per scheduler step
    #[arg(long, value_name = "N", default_value_t = 16384, value_parser = clap::value_parser!(u32).range(1..))]
    pub chunked_prefill_size: u32,

    /// Tokens per streamed chunk (the first token is sent alone)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub stream_interval: u32,

    /// Delta or cumulative `output_ids` and `text` in streamed chunks
    #[arg(long, value_enum, default_value_t = StreamOutputArg::Delta)]
    pub stream_output: StreamOutputArg,

    /// Every answer has exactly N tokens (before max_new_tokens caps it)
    #[arg(long, value_name = "N", conflicts_with = "output_mean")]
    pub output_len: Option<u32>,

    /// Answer lengths drawn uniformly from [M/2, 3M/2] (the performance set's mean is 1278)
    #[arg(long, value_name = "M", default_value_t = ossperf_sim::REFERENCE_MEAN_OUTPUT)]
    pub output_mean: u32,

    /// Use each reference row's own output length (a length column of --reference-data),
    /// drawing the others as --output-mean
    #[arg(long, requires = "reference_data", conflicts_with = "output_len")]
    pub output_from_data: bool,

    /// A dataset whose rows' ground truth the simulator answers (parquet, pickle or JSONL)
    #[arg(long, value_name = "FILE")]
    pub reference_data: Option<PathBuf>,

    /// LiveCodeBench solutions (JSONL of question_id, solution) [default: the bundled sample's]
    #[arg(long, value_name = "FILE")]
    pub lcb_solutions: Option<PathBuf>,

    /// Probability that a row with known ground truth gets a correct final answer
    #[arg(long, value_name = "P", default_value_t = 0.83, value_parser = probability)]
    pub accuracy: f64,

    /// Seed for answers, lengths and faults
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Share of requests answered with an HTTP error
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub fail_rate: f64,

    /// HTTP status of those errors
    #[arg(long, value_name = "CODE", default_value_t = 500, value_parser = clap::value_parser!(u16).range(400..600))]
    pub fail_status: u16,

    /// Share of streams whose connection is closed halfway
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub disconnect_rate: f64,

    /// Share of requests that send headers and then nothing
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub stall_rate: f64,

    /// Share of streams with one malformed (truncated JSON) event
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub malformed_rate: f64,

    /// Share of streams whose completion_tokens goes backwards once (a retraction)
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub retract_rate: f64,

    /// Answer 503 to health checks and generation for this many seconds after start
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub slow_start: f64,

    /// Exit after this many generation requests
    #[arg(long, value_name = "N")]
    pub exit_after: Option<u64>,

    /// Write the true TTFT/TPOT of every request as JSON Lines
    #[arg(long, value_name = "FILE")]
    pub truth_log: Option<PathBuf>,

    /// Also log when every streamed chunk left (`sends_us` in the truth log)
    #[arg(long, requires = "truth_log")]
    pub record_sends: bool,
}

/// Parses a probability in [0, 1] (a clap value parser).
pub fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s
        .parse()
        .map_err(|_| format!("expected a number in [0, 1], got `{s}`"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("expected a number in [0, 1], got `{s}`"))
    }
}
