//! Arguments of `ossperf compliance`; the command is `crate::compliance`.

use std::path::PathBuf;

/// Subcommands of `ossperf compliance`.
#[derive(Debug, clap::Subcommand)]
pub enum ComplianceCommand {
    /// Verify TEST07: the GPQA score of a performance-mode run against the audit threshold
    Test07(Test07Args),
    /// Verify TEST09: the mean output length of a performance-mode run within ±10 % of 1278.20
    Test09(Test09Args),
}

/// Arguments of `ossperf compliance test07`.
#[derive(Debug, clap::Args)]
pub struct Test07Args {
    /// The audit run's result directory (with mlperf_log_accuracy.json); without it, the audit
    /// run is made first with the `ossperf run` flags given after `--`
    #[arg(short = 'c', long, value_name = "DIR", required_unless_present = "run")]
    pub compliance_dir: Option<PathBuf>,
    /// Where to write TEST07/ (the submission's compliance directory)
    #[arg(short = 'o', long, value_name = "DIR", default_value = ".")]
    pub output_dir: PathBuf,
    /// The GPQA compliance data (acc_eval_compliance_gpqa.parquet)
    #[arg(long, value_name = "FILE")]
    pub reference_data: PathBuf,
    /// The audit.config to read the threshold from (default: the shipped one)
    #[arg(long, value_name = "FILE")]
    pub audit_config: Option<PathBuf>,
    /// The threshold, overriding the audit.config
    #[arg(long, value_name = "PCT")]
    pub accuracy_threshold: Option<f64>,
    /// `ossperf run` flags for the audit run (e.g. `-- --scenario offline --server-url URL
    /// --input-file acc_eval_compliance_gpqa.parquet --user-conf user.conf`); the audit.config
    /// is added, and Offline loads every row of the compliance set (its 990-sample override)
    #[arg(last = true, value_name = "RUN FLAGS")]
    pub run: Vec<String>,
}

/// Arguments of `ossperf compliance test09`.
#[derive(Debug, clap::Args)]
pub struct Test09Args {
    /// The audit run's result directory (with mlperf_log_accuracy.json); without it, the audit
    /// run is made first with the `ossperf run` flags given after `--`
    #[arg(short = 'c', long, value_name = "DIR", required_unless_present = "run")]
    pub compliance_dir: Option<PathBuf>,
    /// Where to write TEST09/ (the submission's compliance directory)
    #[arg(short = 'o', long, value_name = "DIR", default_value = ".")]
    pub output_dir: PathBuf,
    /// The audit.config to read the bounds from (default: the shipped one)
    #[arg(long, value_name = "FILE")]
    pub audit_config: Option<PathBuf>,
    /// `ossperf run` flags for the audit run (e.g. `-- --scenario offline --server-url URL
    /// --input-file perf_eval_ref.parquet --user-conf user.conf`); the audit.config is added
    #[arg(last = true, value_name = "RUN FLAGS")]
    pub run: Vec<String>,
    /// The lower bound on the mean, overriding the audit.config
    #[arg(long, value_name = "TOKENS")]
    pub min_output_tokens: Option<f64>,
    /// The upper bound on the mean, overriding the audit.config
    #[arg(long, value_name = "TOKENS")]
    pub max_output_tokens: Option<f64>,
}
