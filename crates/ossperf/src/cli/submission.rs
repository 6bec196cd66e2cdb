//! Arguments of `ossperf submission`; the command is `crate::submission`.

use std::path::PathBuf;

/// Subcommands of `ossperf submission`.
#[derive(Debug, clap::Subcommand)]
pub enum SubmissionCommand {
    /// Run one scenario's whole sequence (performance, accuracy and its score, TEST07, TEST09),
    /// each step in its own process and its own new directory; run it again to resume
    Run(SubmissionRunArgs),
}

/// Arguments of `ossperf submission run`.
#[derive(Debug, clap::Args)]
pub struct SubmissionRunArgs {
    /// Where the sequence goes: `<dir>/<scenario>/` holds one new directory per step and
    /// `submission.json`, the record of finished steps that a second call resumes from
    #[arg(short = 'o', long, value_name = "DIR")]
    pub output_dir: PathBuf,
    /// Reference data for the accuracy score (`ossperf eval --reference-data`)
    #[arg(long, value_name = "FILE")]
    pub reference_data: PathBuf,
    /// Dataset of the accuracy run [default: the run flags' `--input-file`]
    #[arg(long, value_name = "FILE")]
    pub accuracy_input: Option<PathBuf>,
    /// TEST07's GPQA compliance set, both its audit run's input and its reference data
    #[arg(long, value_name = "FILE")]
    pub test07_data: PathBuf,
    /// LiveCodeBench test files for the score (`ossperf eval --lcb-tests`)
    #[arg(long, value_name = "PATH")]
    pub lcb_tests: Option<PathBuf>,
    /// Skip sub-datasets with no evaluator when scoring (`ossperf eval`'s flag)
    #[arg(long)]
    pub skip_unscored_datasets: bool,
    /// `ossperf run` flags shared by every step (scenario, server, dataset, user.conf,
    /// --loadgen); `--output-dir` and `--accuracy` are set by each step
    #[arg(last = true, value_name = "RUN FLAGS")]
    pub run: Vec<String>,
}
