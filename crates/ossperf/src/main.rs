//! The `ossperf` binary: parse the command line, run it, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = ossperf::Cli::parse();
    match ossperf::run(cli) {
        Ok(code) => code,
        Err(err) => {
            if ossperf::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            ossperf::output::error(&ossperf::error_message(&err));
            ExitCode::from(2)
        }
    }
}
