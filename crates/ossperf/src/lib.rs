//! ossperf: the MLPerf Inference benchmark for gpt-oss-120b.
//!
//! The binary crate: the command line, the gpt-oss SUT that joins LoadGen to the inference
//! client, progress and reports. `run` dispatches to one module per subcommand.

pub mod cli;
pub mod output;
pub mod report;
pub mod runner;
pub mod serve;
pub mod sut;
pub mod tune;

use std::process::ExitCode;

pub use cli::Cli;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    cli::dispatch(cli)
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
