//! The command line's argument types, one module per subcommand, and nothing else: each
//! subcommand's logic lives in the crate-level module named for it (`run`'s in `runner`), and
//! nothing here imports from those modules. Doc comments are the help text.

use clap::{Parser, Subcommand};

pub mod compliance;
pub mod conf;
pub mod conf_args;
pub mod connection;
pub mod dataset;
pub mod eval;
pub mod plan;
pub mod report;
pub mod run;
pub mod run_argv;
pub mod serve;
pub mod simulate;
pub mod submission;
pub mod sweep;
pub mod tune;

/// The MLPerf Inference benchmark for gpt-oss-120b: LoadGen, the SGLang client, the accuracy
/// scorer and the compliance checks in one fast binary.
#[derive(Debug, Parser)]
#[command(name = "ossperf", version, about, max_term_width = 100)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// Every subcommand takes a negative number as a value (`--max-samples -1`), so its range
/// check can say what is wrong with it, not "unexpected argument '-1'".
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Benchmark a server (or the built-in simulator) and write the MLPerf logs and a report
    #[command(allow_negative_numbers = true)]
    Run(run::RunArgs),
    /// Print the effective settings and the query sequence of a run, without a server
    #[command(allow_negative_numbers = true)]
    Plan(plan::PlanArgs),
    /// Start the simulated SGLang server
    #[command(allow_negative_numbers = true)]
    Simulate(simulate::SimulateArgs),
    /// Inspect, convert and build datasets
    #[command(subcommand)]
    Dataset(dataset::DatasetCommand),
    /// Score an accuracy log
    #[command(allow_negative_numbers = true)]
    Eval(eval::EvalArgs),
    /// Run and verify the TEST07 / TEST09 compliance tests
    #[command(subcommand)]
    Compliance(compliance::ComplianceCommand),
    /// Write out the built-in conf files
    #[command(subcommand)]
    Conf(conf::ConfCommand),
    /// Run a scenario's whole submission sequence, resumably
    #[command(subcommand)]
    Submission(submission::SubmissionCommand),
    /// Write an HTML report for one or more result directories
    #[command(allow_negative_numbers = true)]
    Report(report::ReportArgs),
    /// Launch SGLang or vLLM with the MLPerf arguments
    #[command(allow_negative_numbers = true)]
    Serve(serve::ServeArgs),
    /// Find the highest load whose run stays VALID
    #[command(allow_negative_numbers = true)]
    Tune(tune::TuneArgs),
    /// Measure a series of loads up to saturation: throughput, interactivity and goodput
    #[command(allow_negative_numbers = true)]
    Sweep(sweep::SweepArgs),
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        super::Cli::command().debug_assert();
    }
}
