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
  conf        Write out the built-in conf files
  submission  Run a scenario's whole submission sequence, resumably
  report      Write an HTML report for one or more result directories
  serve       Launch SGLang or vLLM with the MLPerf arguments
  tune        Find the highest load whose run stays VALID
  sweep       Measure a series of loads up to saturation: throughput, interactivity and goodput
  help        Print this message or the help of the given subcommand(s)

Options:
  -h, --help     Print help
  -V, --version  Print version
";

/// `ossperf run -h`, exactly: every flag of `run_mlperf.py` ossperf takes, and its own.
const RUN_HELP: &str = "\
Benchmark a server (or the built-in simulator) and write the MLPerf logs and a report

Usage: ossperf run [OPTIONS]

Options:
      --scenario <SCENARIO>       Scenario (interactive = a Server run under the model key
                                  `gpt-oss-120b-interactive`) [default: offline] [alias: --mode]
                                  [possible values: offline, server, interactive]
      --accuracy                  Accuracy mode (every sample once, all outputs logged) instead of
                                  performance mode
      --mlperf-conf <FILE>        mlperf.conf applied before the user.conf, as run_mlperf.py gives
                                  it to LoadGen: the built-in official one is applied after it (its
                                  keys win) and alone gives the seeds (default: the built-in one)
      --user-conf <FILE>          user.conf (default: the built-in reference user.conf)
      --audit-config <FILE>       audit.config of a compliance test (TEST07, TEST09), applied last
                                  with model `*`
      --input-file <FILE>         Tokenized dataset (MLCommons parquet, pandas pickle or JSONL)
                                  [default: the bundled sample]
      --max-samples <N>           Use only the first N rows of the dataset
      --loadgen <LOADGEN>         LoadGen to drive the test (`official` needs a build with
                                  `--features official-loadgen`) [default: native] [possible values:
                                  native, official]
      --output-dir <DIR>          Directory for the logs, laid out
                                  `<dir>/<scenario>/<performance|accuracy>/` [default:
                                  mlperf_results]
      --backend <BACKEND>         Server kind [default: `sglang` with `--server-url`, else `sim`]
                                  [possible values: sglang, openai, sim]
      --server-url <URL>          Server URL; repeat it to balance over several servers [default:
                                  the built-in simulator]
      --endpoints-file <FILE>     File of server URLs, one per line (`#` starts a comment); adds to
                                  `--server-url`
      --generation-config <FILE>  The reference's generation_config.json (max_new_tokens,
                                  temperature, top_k, top_p)
      --max-new-tokens <N>        Most tokens per answer [default: 10240 for performance, 32768 for
                                  accuracy]
      --temperature <T>           Sampling temperature (overrides the generation config)
      --top-k <K>                 Top-k, -1 to disable (overrides the generation config)
      --top-p <P>                 Top-p (overrides the generation config)
      --max-concurrency <N>       Most requests in flight at once in Offline [default: 128]
      --timeout <SECONDS>         Per-request timeout in seconds [default: 1200]
      --abandon-after <SECONDS>   Once every server has been down this long, answer the remaining
                                  queries as failed at once and end the run INVALID, instead of
                                  sending into the void to the schedule's end [default: 30]
      --stream                    Stream answers (the default in Server and Interactive)
      --no-stream                 Do not stream answers (the default in Offline)
      --warmup <N>                Send N requests before the timed run (dataset rows 0, 1, ... in
                                  order, wrapping), await them all, then start LoadGen: they are
                                  neither timed nor logged to LoadGen [default: 0]
      --salt-prompts              Begin every prompt with a unique 4-token salt, so that no server's
                                  prefix cache can reuse an earlier request's prompt (performance
                                  runs only; docs/WARMUP.md)
      --telemetry <URL>           Prometheus endpoint (DCGM or node exporter) to scrape once a
                                  second during the run; repeatable. A URL without a path means
                                  `/metrics`
      --fail-on-invalid           Exit with status 1 when the result is INVALID, not only when
                                  requests failed (for scripts and CI)
  -h, --help                      Print help (see more with '--help')

Server connection:
      --api-key <KEY>         API key, sent as `Authorization: Bearer KEY` on every request
                              [default: `$OPENAI_API_KEY`]
      --header <NAME:VALUE>   Extra header on every request, e.g. `X-Tenant:team-a`; repeatable
      --ca-cert <FILE>        PEM file of a certificate authority trusted for https besides the
                              system's; repeatable
      --insecure              Accept any https certificate (still encrypted, but the server is not
                              authenticated)
      --wait-ready <SECONDS>  Wait up to this long for a server that is still loading (not
                              listening, or 5xx)

Built-in simulator:
      --sim-profile <SIM_PROFILE>  Timing profile of the built-in simulator (without `--server-url`)
                                   [default: h100] [possible values: h100, h200, zero]
      --sim-output-len <N>         Every simulated answer has exactly N tokens [default: about 1,278
                                   on average]
      --sim-accuracy <P>           Probability that the simulator answers a known question correctly
                                   [default: 0.83]
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
fn run_short_help_shows_every_flag_with_its_default() {
    let out = crate::util::ossperf()
        .args(["run", "-h"])
        .output()
        .expect("run ossperf");
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout), RUN_HELP);
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
