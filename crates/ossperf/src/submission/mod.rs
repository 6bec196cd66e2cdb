//! `ossperf submission`: from runs to a submission tree.
//!
//! `run` makes one scenario's sequence of tests ([`run`]).

mod run;

use std::process::ExitCode;

use crate::cli::submission::SubmissionCommand;

/// Runs `ossperf submission`.
pub(crate) fn run(cmd: SubmissionCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SubmissionCommand::Run(args) => run::run(args),
    }
}
