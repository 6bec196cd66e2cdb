//! ossperf: the MLPerf Inference benchmark for gpt-oss-120b.
//!
//! The binary crate: the command line, the gpt-oss SUT that joins LoadGen to the inference
//! client, progress and reports. [`cli`] holds the argument types; `run` dispatches each
//! subcommand to the module named for it (see docs/ARCHITECTURE.md).

#![warn(unreachable_pub)]

mod child;
pub mod cli;
mod compliance;
mod conf;
mod dataset;
mod estimate;
mod eval;
pub mod output;
mod plan;
pub mod report;
mod results_dir;
mod runner;
mod serve;
mod settings;
pub mod simulate;
mod submission;
mod submittable;
mod sut;
mod sweep;
mod tune;

use std::process::ExitCode;

pub use cli::Cli;
use cli::Command;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Run(args) => runner::run(args),
        Command::Plan(args) => plan::run(args),
        Command::Simulate(args) => simulate::run(args),
        Command::Dataset(cmd) => dataset::run(cmd),
        Command::Eval(args) => eval::run(args),
        Command::Compliance(cmd) => compliance::run(cmd),
        Command::Conf(cmd) => conf::run(cmd),
        Command::Submission(cmd) => submission::run(cmd),
        Command::Report(args) => report::command::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Tune(args) => tune::run(args),
        Command::Sweep(args) => sweep::run(args),
    }
}

/// The error and its causes on one line, `outer: inner: root`, leaving out a cause whose text
/// the line already carries (many library errors print their source themselves).
pub fn error_message(err: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in err.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// True when the error chain ends in a broken pipe (`ossperf plan | head`), which is no error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_error_line_names_each_cause_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "No such file");
        let err = anyhow::Error::new(io).context("cannot read `a.conf`: No such file");
        let err = err.context("cannot resolve the settings");
        assert_eq!(
            super::error_message(&err),
            "cannot resolve the settings: cannot read `a.conf`: No such file"
        );
    }
}
