//! `ossperf tune`.

use std::process::ExitCode;

/// Arguments of `ossperf tune`.
#[derive(Debug, clap::Args)]
pub struct TuneArgs {}

/// Runs `ossperf tune`.
pub fn run(_args: TuneArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf tune` is not built yet")
}
