//! `ossperf dataset`.

use std::process::ExitCode;

/// Subcommands of `ossperf dataset`.
#[derive(Debug, clap::Subcommand)]
pub enum DatasetCommand {
    /// Placeholder until the subcommands land
    Todo,
}

/// Runs `ossperf dataset`.
pub fn run(_cmd: DatasetCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf dataset` is not built yet")
}
