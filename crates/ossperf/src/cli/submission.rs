//! Arguments of `ossperf submission`; the command is `crate::submission`.

use std::path::PathBuf;

/// Subcommands of `ossperf submission`.
#[derive(Debug, clap::Subcommand)]
pub enum SubmissionCommand {
    /// Run one scenario's whole sequence (performance, accuracy and its score, TEST07, TEST09),
    /// each step in its own process and its own new directory; run it again to resume
    Run(SubmissionRunArgs),
    /// Lay out the submission checker's directory tree from `submission run` directories:
    /// logs, `accuracy.txt` with its hash line, truncated accuracy logs, conf files,
    /// `measurements.json`, the system description and the TEST07/TEST09 directories
    Assemble(SubmissionAssembleArgs),
    /// Check a submission tree by the submission checker's rules for gpt-oss-120b; ossperf's own
    /// stricter expectations follow as separately labelled warnings. Exit code 1 when the
    /// checker's rules find an error
    Check(SubmissionCheckArgs),
}

/// The submission's division.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Division {
    /// The closed division (every rule applies)
    Closed,
    /// The open division
    Open,
}

/// Arguments of `ossperf submission assemble`.
#[derive(Debug, clap::Args)]
pub struct SubmissionAssembleArgs {
    /// The tree's root; a new directory (`DIR-2`, `DIR-3`, … when the name is taken)
    #[arg(short = 'o', long, value_name = "DIR")]
    pub output_dir: PathBuf,
    /// The submitting organisation (`<division>/<org>/` and the system description's
    /// `submitter`)
    #[arg(long)]
    pub org: String,
    /// The system's name (`results/<system>/`, `systems/<system>.json`)
    #[arg(long)]
    pub system: String,
    /// The division
    #[arg(long, value_enum, default_value = "closed")]
    pub division: Division,
    /// A field of the system description, `KEY=VALUE` (repeatable); the fields the checker
    /// requires and no flag fills are left empty and listed
    #[arg(long = "field", value_name = "KEY=VALUE")]
    pub fields: Vec<String>,
    /// A field of every scenario's `measurements.json`, `KEY=VALUE` (repeatable)
    #[arg(long = "measurement", value_name = "KEY=VALUE")]
    pub measurements: Vec<String>,
    /// `submission run` output directories (`DIR` holding `<scenario>/submission.json`, or a
    /// `DIR/<scenario>` itself)
    #[arg(required = true, value_name = "RUN DIR")]
    pub runs: Vec<PathBuf>,
}

/// How `submission check` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    /// One line per finding, the checker's first, then ossperf's warnings
    Text,
    /// A JSON array of `{source, rule, file, message}`
    Json,
}

/// Arguments of `ossperf submission check`.
#[derive(Debug, clap::Args)]
pub struct SubmissionCheckArgs {
    /// The submission tree's root (holding `closed/`, `open/` or `network/`)
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,
    /// Output format
    #[arg(long, value_enum, default_value = "text")]
    pub format: CheckFormat,
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
