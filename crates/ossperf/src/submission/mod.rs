//! `ossperf submission`: from runs to a submission tree.
//!
//! `run` makes one scenario's sequence of tests ([`run`]); `assemble` lays the runs out in the
//! submission checker's tree ([`assemble`], its paths in [`layout`], the truncation in
//! [`truncate`]); `check` applies the checker's rules to a tree ([`check`]).

mod assemble;
mod check;
mod layout;
mod run;
mod truncate;

use std::process::ExitCode;

use crate::cli::submission::SubmissionCommand;

/// Runs `ossperf submission`.
pub(crate) fn run(cmd: SubmissionCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        SubmissionCommand::Run(args) => run::run(args),
        SubmissionCommand::Assemble(args) => assemble::run(args),
        SubmissionCommand::Check(args) => check::run(args),
    }
}
