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

    /// The server to behave like: routes, validation, chunk shapes, identity, metrics
    /// [default: sglang-0.5.4.post2, the image the MLPerf reference pins]
    #[arg(long, value_name = "NAME", value_parser = personality)]
    pub personality: Option<ossperf_sim::Personality>,

    /// Tokens per streamed chunk (the first token is sent alone) [default: 500 for SGLang and
    /// vLLM as the reference launches them, 1 for the others]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub stream_interval: Option<u32>,

    /// Delta or cumulative `output_ids` and `text` in SGLang's native stream [default:
    /// cumulative, SGLang's own default]
    #[arg(long, value_enum)]
    pub stream_output: Option<StreamOutputArg>,

    /// Speculative decoding as the reference's Interactive launch (EAGLE3, 3 steps, top-k 1):
    /// up to 4 tokens per step, so chunks are uneven
    #[arg(long)]
    pub eagle3: bool,

    /// SGLang's --max-queued-requests: beyond it requests are aborted with status 503
    #[arg(long, value_name = "N")]
    pub max_queued_requests: Option<u32>,

    /// Close idle keep-alive connections after this many seconds (uvicorn's default is 5;
    /// 0 never closes them)
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub keep_alive: f64,

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

    /// Share of streams with one retraction (counted in meta_info; SGLang's completion_tokens
    /// never goes back)
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub retract_rate: f64,

    /// Refuse connections for this many seconds after start (loading weights)
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub loading: f64,

    /// Answer 503 to health checks for this many seconds after start (SGLang's warm-up);
    /// generation is served
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

/// Parses a personality by its name (a clap value parser).
pub fn personality(s: &str) -> Result<ossperf_sim::Personality, String> {
    ossperf_sim::Personality::from_name(s).ok_or_else(|| {
        let names: Vec<&str> = ossperf_sim::Personality::ALL
            .iter()
            .map(|p| p.name())
            .collect();
        format!("expected one of {}, got `{s}`", names.join(", "))
    })
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
