//! `ossperf run`.

use std::process::ExitCode;

/// Arguments of `ossperf run`.
#[derive(Debug, clap::Args)]
pub struct RunArgs {}

/// Runs `ossperf run`.
pub fn run(_args: RunArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf run` is not built yet")
}
