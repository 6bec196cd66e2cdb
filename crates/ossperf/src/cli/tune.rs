//! `ossperf tune`: find the highest `target_qps` whose Server or Interactive run stays VALID
//! (or, Offline, the `target_qps` that fills the minimum duration) and write it as a
//! user.conf. The search lives in [`crate::tune`]; see docs/TUNE.md.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Arguments of `ossperf tune`: every flag of `ossperf run`, plus the search's own.
#[derive(Debug, clap::Args)]
pub struct TuneArgs {
    /// The connection, dataset and conf flags of `ossperf run`
    #[command(flatten)]
    pub run: crate::cli::run::RunArgs,

    /// Stop bisecting when the bracket is this narrow relative to its passing end (`2%`, `0.02`)
    #[arg(long, value_name = "PCT", default_value = "2%",
          value_parser = crate::tune::parse_precision, help_heading = "Search")]
    pub precision: f64,

    /// Bound on the whole search (`90s`, `30m`, `2h`), checked before each run [default: none]
    #[arg(long, value_name = "DURATION", value_parser = crate::tune::parse_max_time,
          help_heading = "Search")]
    pub max_time: Option<Duration>,

    /// Skip the confirmation run with the submission settings at the found value
    #[arg(long, help_heading = "Search")]
    pub no_confirm: bool,

    /// Where to write the tuned user.conf (by default `<output-dir>/tune/<scenario>/user.conf`)
    #[arg(long, value_name = "FILE", help_heading = "Search")]
    pub output: Option<PathBuf>,

    /// First rate to probe [default: the user.conf's target_qps, else a short Offline
    /// throughput measurement]
    #[arg(long, value_name = "QPS", value_parser = crate::tune::parse_rate,
          help_heading = "Search")]
    pub start_qps: Option<f64>,

    /// Never probe above this rate
    #[arg(long, value_name = "QPS", value_parser = crate::tune::parse_rate,
          help_heading = "Search")]
    pub max_qps: Option<f64>,

    /// Queries over the latency limits a probe may have and still pass; sets the probe size
    /// from LoadGen's early stopping (0: 459 queries, 1: 662, 2: 838)
    #[arg(long, value_name = "N", default_value_t = 1, help_heading = "Search",
          value_parser = clap::value_parser!(u32).range(0..=50))]
    pub probe_overlatency: u32,
}

/// Runs `ossperf tune`.
pub fn run(args: TuneArgs) -> anyhow::Result<ExitCode> {
    crate::tune::run(args)
}
