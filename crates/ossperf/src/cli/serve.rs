//! `ossperf serve`.

use std::process::ExitCode;

/// Arguments of `ossperf serve`.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {}

/// Runs `ossperf serve`.
pub fn run(_args: ServeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf serve` is not built yet")
}
