//! `ossperf eval`.

use std::process::ExitCode;

/// Arguments of `ossperf eval`.
#[derive(Debug, clap::Args)]
pub struct EvalArgs {}

/// Runs `ossperf eval`.
pub fn run(_args: EvalArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf eval` is not built yet")
}
