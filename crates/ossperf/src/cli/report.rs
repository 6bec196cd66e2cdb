//! Arguments of `ossperf report`; the command is `crate::report::command`.

use std::path::PathBuf;

/// Arguments of `ossperf report`.
#[derive(Debug, clap::Args)]
#[command(after_help = "Examples:\n  ossperf report results/run-1\n  \
    ossperf report results/qps-8 results/qps-10 --output compare.html")]
pub struct ReportArgs {
    /// Result directories written by `ossperf run` (each holds `results.json`); with several,
    /// one report overlays them, one colour per run, with a table of differences
    #[arg(value_name = "DIR", required = true)]
    pub dirs: Vec<PathBuf>,

    /// Where to write the report [default: `DIR/report.html` for one directory,
    /// `report.html` in the current directory for several]
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Write a synthetic run of N requests as `DIR/results.json` first (to try the report or
    /// time it without a server)
    #[arg(long, value_name = "N", hide = true)]
    pub synthetic: Option<usize>,
}
