//! Arguments of `ossperf run`: `run_mlperf.py`'s flags, plus the server choice and the
//! built-in simulator's. The command is `crate::runner`.

use std::path::PathBuf;

/// The kind of server behind `--server-url`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BackendArg {
    /// SGLang's native `/generate` with token ids
    Sglang,
    /// OpenAI `/v1/completions` with token-id prompts (vLLM, TensorRT-LLM, SGLang's OpenAI server)
    #[value(alias = "vllm", alias = "trtllm")]
    Openai,
    /// The built-in simulated SGLang server (the default without `--server-url`)
    Sim,
}

/// Which LoadGen drives the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LoadgenArg {
    /// ossperf's own LoadGen (the same samples, schedules and logs as the official 6.0.17)
    #[default]
    Native,
    /// The official C++ library, in a build with `--features official-loadgen`
    Official,
}

/// Arguments of `ossperf run`.
#[derive(Debug, Clone, PartialEq, clap::Args)]
pub struct RunArgs {
    /// Scenario, mode and conf files
    #[command(flatten)]
    pub conf: crate::cli::conf_args::ConfArgs,

    /// Tokenized dataset (MLCommons parquet, pandas pickle or JSONL) [default: the bundled sample]
    #[arg(long, value_name = "FILE")]
    pub input_file: Option<PathBuf>,

    /// Use only the first N rows of the dataset
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_samples: Option<u64>,

    /// LoadGen to drive the test (`official` needs a build with `--features official-loadgen`)
    #[arg(long, value_enum, default_value = "native")]
    pub loadgen: LoadgenArg,

    /// Directory for the logs, laid out `<dir>/<scenario>/<performance|accuracy>/`
    #[arg(long, value_name = "DIR", default_value = "mlperf_results")]
    pub output_dir: PathBuf,

    /// Write the logs into exactly this directory instead of `<output-dir>/<scenario>/<mode>/`
    /// (for commands that run `ossperf run` as a child process)
    #[arg(long, value_name = "DIR", hide = true)]
    pub log_dir: Option<PathBuf>,

    /// Server kind [default: `sglang` with `--server-url`, else `sim`]
    #[arg(long, value_enum)]
    pub backend: Option<BackendArg>,

    /// Server URL; repeat it to balance over several servers [default: the built-in simulator]
    #[arg(long, value_name = "URL")]
    pub server_url: Vec<String>,

    /// File of server URLs, one per line (`#` starts a comment); adds to `--server-url`
    #[arg(long, value_name = "FILE")]
    pub endpoints_file: Option<PathBuf>,

    /// https, keys, headers and waiting for a loading server
    #[command(flatten)]
    pub connection: crate::cli::connection::ConnectionArgs,

    /// The reference's generation_config.json (max_new_tokens, temperature, top_k, top_p)
    #[arg(long, value_name = "FILE")]
    pub generation_config: Option<PathBuf>,

    /// Most tokens per answer [default: 10240 for performance, 32768 for accuracy]
    #[arg(long, alias = "max-tokens", value_name = "N",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_new_tokens: Option<u32>,

    /// Sampling temperature (overrides the generation config)
    #[arg(long, value_name = "T")]
    pub temperature: Option<f64>,

    /// Top-k, -1 to disable (overrides the generation config)
    #[arg(long, value_name = "K", allow_negative_numbers = true)]
    pub top_k: Option<i32>,

    /// Top-p (overrides the generation config)
    #[arg(long, value_name = "P")]
    pub top_p: Option<f64>,

    /// Accepted for compatibility with run_mlperf.py; ossperf needs no worker threads
    #[arg(long, value_name = "N", hide = true)]
    pub num_workers: Option<u32>,

    /// Most requests in flight at once in Offline
    #[arg(long, value_name = "N", default_value_t = 128,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_concurrency: u32,

    /// Per-request timeout in seconds
    #[arg(long, value_name = "SECONDS", default_value_t = 1200,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,

    /// Once every server has been down this long, answer the remaining queries as failed at
    /// once and end the run INVALID, instead of sending into the void to the schedule's end
    #[arg(long, value_name = "SECONDS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub abandon_after: u64,

    /// Stream answers (the default in Server and Interactive)
    #[arg(long, conflicts_with = "no_stream")]
    pub stream: bool,

    /// Do not stream answers (the default in Offline)
    #[arg(long)]
    pub no_stream: bool,

    /// Timing profile of the built-in simulator (without `--server-url`)
    #[arg(
        long,
        value_enum,
        default_value = "h100",
        help_heading = "Built-in simulator"
    )]
    pub sim_profile: crate::cli::simulate::ProfileArg,

    /// Every simulated answer has exactly N tokens [default: about 1,278 on average]
    #[arg(long, value_name = "N", help_heading = "Built-in simulator",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub sim_output_len: Option<u32>,

    /// Probability that the simulator answers a known question correctly
    #[arg(long, value_name = "P", default_value_t = 0.83, help_heading = "Built-in simulator",
          value_parser = crate::cli::simulate::probability)]
    pub sim_accuracy: f64,

    /// Send N requests before the timed run (dataset rows 0, 1, ... in order, wrapping), await
    /// them all, then start LoadGen: they are neither timed nor logged to LoadGen
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub warmup: u32,

    /// Begin every prompt with a unique 4-token salt, so that no server's prefix cache can
    /// reuse an earlier request's prompt (performance runs only; docs/WARMUP.md)
    #[arg(long)]
    pub salt_prompts: bool,

    /// Prometheus endpoint (DCGM or node exporter) to scrape once a second during the run;
    /// repeatable. A URL without a path means `/metrics`
    #[arg(long, value_name = "URL")]
    pub telemetry: Vec<String>,

    /// Exit with status 1 when the result is INVALID, not only when requests failed (for
    /// scripts and CI)
    #[arg(long)]
    pub fail_on_invalid: bool,

    /// Accepted for compatibility with run_mlperf.py (`--debug-mode` too)
    #[arg(long, alias = "debug-mode", hide = true)]
    pub debug: bool,
}
