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

/// True when the error chain ends in a broken pipe (`ossperf plan | head`), which is no error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
