//! `ossperf report`.

use std::process::ExitCode;

/// Arguments of `ossperf report`.
#[derive(Debug, clap::Args)]
pub struct ReportArgs {}

/// Runs `ossperf report`.
pub fn run(_args: ReportArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf report` is not built yet")
}
