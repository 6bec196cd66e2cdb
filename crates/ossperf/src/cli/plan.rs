//! `ossperf plan`.

use std::process::ExitCode;

/// Arguments of `ossperf plan`.
#[derive(Debug, clap::Args)]
pub struct PlanArgs {}

/// Runs `ossperf plan`.
pub fn run(_args: PlanArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf plan` is not built yet")
}
