//! Arguments of `ossperf eval`; the command is `crate::eval`.

use std::path::PathBuf;

/// Arguments of `ossperf eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// The accuracy log (mlperf_log_accuracy.json); it is streamed, so any size works
    #[arg(long, value_name = "LOG")]
    pub mlperf_log: PathBuf,
    /// The reference data: parquet, pandas pickle or JSONL with `dataset` and `ground_truth`
    #[arg(long, value_name = "FILE")]
    pub reference_data: PathBuf,
    /// LiveCodeBench release_v6 test files: one `.jsonl` file or a directory of them
    #[arg(long, value_name = "PATH")]
    pub lcb_tests: Option<PathBuf>,
    /// Write the summary (and, with --verbose, per-entry results) as JSON to this file
    #[arg(long, value_name = "FILE")]
    pub output_file: Option<PathBuf>,
    /// Write per-entry results as JSON Lines, ordered by qsl_idx
    #[arg(long, value_name = "FILE")]
    pub save_outputs: Option<PathBuf>,
    /// Parallel LiveCodeBench workers (capped at the number of cores)
    #[arg(long, default_value_t = 64, value_name = "N")]
    pub num_lcb_workers: usize,
    /// Per-test time limit of LiveCodeBench programs, in seconds (the reference uses 60)
    #[arg(long, default_value_t = 60, value_name = "SECS")]
    pub lcb_timeout: u64,
    /// Address-space limit of each LiveCodeBench program, in MiB
    #[arg(long, default_value_t = 4096, value_name = "MIB")]
    pub lcb_memory_mb: u64,
    /// The Python that runs LiveCodeBench programs: a path, or a name looked for in /usr/bin,
    /// /usr/local/bin, then PATH
    #[arg(long, value_name = "PYTHON", default_value = "python3")]
    pub python: String,
    /// Accepted for compatibility with the reference; the o200k_harmony tokenizer is built in
    #[arg(long, hide = true)]
    pub tokenizer: Option<String>,
    /// Keep per-entry results in --output-file
    #[arg(long)]
    pub verbose: bool,
    /// Skip (and count) entries of sub-datasets with no evaluator, such as the sample's
    /// `pubmed_summarization` rows, instead of stopping as the reference does
    #[arg(long)]
    pub skip_unscored_datasets: bool,
}
