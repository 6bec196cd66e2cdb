//! Arguments of `ossperf serve`: start SGLang or vLLM with the MLPerf reference's launch
//! arguments. The command is `crate::serve`.

/// The inference engine to launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Engine {
    /// SGLang (`python -m sglang.launch_server`), the reference's server
    Sglang,
    /// vLLM (`python -m vllm.entrypoints.openai.api_server`)
    Vllm,
}

/// Arguments of `ossperf serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// The engine to launch
    #[arg(value_enum)]
    pub engine: Engine,

    /// Model directory or Hugging Face id
    #[arg(long, value_name = "PATH", default_value = "openai/gpt-oss-120b")]
    pub model_path: String,

    /// Data-parallel replicas (one per GPU at tensor parallelism 1)
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub dp: u32,

    /// Tensor-parallel size; left to the engine unless given (the reference uses 1)
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub tp: Option<u32>,

    /// Address to listen on
    #[arg(long, value_name = "ADDR", default_value = "0.0.0.0")]
    pub host: String,

    /// Port to listen on [default: 30000 for SGLang, 8000 for vLLM]
    #[arg(long, value_name = "PORT", value_parser = clap::value_parser!(u16).range(1..))]
    pub port: Option<u16>,

    /// Tokens per streamed chunk (the reference's default is 500)
    #[arg(long, value_name = "N", default_value_t = 500,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub stream_interval: u32,

    /// Speculative decoding with the EAGLE3 draft head at PATH
    #[arg(long, value_name = "PATH", conflicts_with = "speculative")]
    pub eagle_path: Option<String>,

    /// The reference's speculative decoding for Interactive: EAGLE3, 3 steps, top-k 1, draft
    /// `nvidia/gpt-oss-120b-Eagle3-long-context`
    #[arg(long)]
    pub speculative: bool,

    /// Python interpreter that has the engine installed
    #[arg(long, value_name = "PATH", default_value = "python3")]
    pub python: String,

    /// Seconds to wait for `GET /health` to answer 200 (loading 120B weights takes minutes)
    #[arg(long, value_name = "SECONDS", default_value_t = 1800,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub ready_timeout: u64,

    /// Print the launch command and exit
    #[arg(long)]
    pub dry_run: bool,

    /// Extra engine arguments, after `--`
    #[arg(last = true, value_name = "ARGS", allow_hyphen_values = true)]
    pub extra: Vec<String>,
}
