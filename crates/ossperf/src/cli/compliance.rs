//! `ossperf compliance`.

use std::process::ExitCode;

/// Subcommands of `ossperf compliance`.
#[derive(Debug, clap::Subcommand)]
pub enum ComplianceCommand {
    /// Placeholder until the subcommands land
    Todo,
}

/// Runs `ossperf compliance`.
pub fn run(_cmd: ComplianceCommand) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`ossperf compliance` is not built yet")
}
