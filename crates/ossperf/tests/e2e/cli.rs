//! The command line as a user meets it.

/// `ossperf --help`, exactly: every subcommand with its one-line summary.
const HELP: &str = "\
ossperf: the MLPerf Inference benchmark for gpt-oss-120b

Usage: ossperf <COMMAND>

Commands:
  run         Benchmark a server (or the built-in simulator) and write the MLPerf logs and a report
  plan        Print the effective settings and the query sequence of a run, without a server
  simulate    Start the simulated SGLang server
  dataset     Inspect, convert and build datasets
  eval        Score an accuracy log
  compliance  Run and verify the TEST07 / TEST09 compliance tests
  report      Write an HTML report for one or more result directories
  serve       Launch SGLang or vLLM with the MLPerf arguments
  tune        Find the highest load whose run stays VALID
  help        Print this message or the help of the given subcommand(s)

Options:
  -h, --help     Print help
  -V, --version  Print version
";

#[test]
fn help_lists_every_subcommand_with_its_summary() {
    let out = crate::util::ossperf()
        .arg("--help")
        .output()
        .expect("run ossperf");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), HELP);
}

#[test]
fn a_subcommand_error_is_one_line_and_exit_status_2() {
    let out = crate::util::ossperf()
        .args(["report", "/nonexistent/run"])
        .output()
        .expect("run ossperf");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: `/nonexistent/run` does not exist: expected a result directory of `ossperf run`\n"
    );
}
