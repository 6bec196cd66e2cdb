//! `ossperf simulate`.

use std::process::ExitCode;

/// Arguments of `ossperf simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {}

/// Runs `ossperf simulate`.
pub fn run(_args: SimulateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf simulate` is not built yet")
}
