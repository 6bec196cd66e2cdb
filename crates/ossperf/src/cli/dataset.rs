//! Arguments of `ossperf dataset`; the command is `crate::dataset`.

use std::path::PathBuf;

/// Subcommands of `ossperf dataset`.
#[derive(Debug, clap::Subcommand)]
pub enum DatasetCommand {
    /// Show a dataset's rows, columns and types, sub-dataset counts, input lengths and token
    /// ids outside the vocabulary
    Inspect(InspectArgs),
    /// Render and tokenize a JSONL file of questions into a parquet in the MLCommons schema
    Build(BuildArgs),
    /// Convert a dataset: pandas pickle or JSONL to parquet, parquet to JSONL (by OUT's
    /// extension)
    Convert(ConvertArgs),
}

/// Arguments of `ossperf dataset inspect`.
#[derive(Debug, clap::Args)]
pub struct InspectArgs {
    /// The dataset file: parquet, pandas pickle or JSONL
    pub file: PathBuf,
    /// Also print row ROW (0-based, the QSL index) decoded to text
    #[arg(long, value_name = "ROW")]
    pub decode: Option<usize>,
}

/// Arguments of `ossperf dataset build`.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// JSONL rows of `{dataset, question or messages, ground_truth, ...}`
    pub input: PathBuf,
    /// The parquet file to write
    pub output: PathBuf,
    /// The reasoning effort written into every prompt (the reference uses low for the
    /// performance set, high for accuracy)
    #[arg(long, value_enum)]
    pub reasoning_effort: Effort,
}

/// Arguments of `ossperf dataset convert`.
#[derive(Debug, clap::Args)]
pub struct ConvertArgs {
    /// The dataset to read: parquet, pandas pickle or JSONL
    pub input: PathBuf,
    /// The file to write: `.parquet` or `.jsonl`
    pub output: PathBuf,
}

/// The reasoning effort on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Effort {
    /// `Reasoning: low`
    Low,
    /// `Reasoning: medium`
    Medium,
    /// `Reasoning: high`
    High,
}
