//! Faults end to end (issue #9): the real binary against simulators that fail on purpose.
//! Whatever the server does, the run ends within its timeout, every log is complete and
//! parses, the summary says INVALID with the count of failed samples, the exit status is 1
//! and nothing panics. The helpers here are shared with `signals.rs` and `bad_input.rs`.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use ossperf_testkit::ossperf_sim::{Faults, Outcome, OutputLen, SimConfig, Timing};
use serde_json::Value;

/// A user.conf for short runs over a few samples: the QSL's own count, no minimum duration,
/// 40 Server queries at 100/s.
pub const FAST_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Offline.min_query_count = 20
gpt-oss-120b.Server.min_duration = 0
gpt-oss-120b.Server.min_query_count = 40
gpt-oss-120b.Server.target_qps = 100
";

/// No run in these tests should come near this; past it the child is killed as hung.
pub const HANG: Duration = Duration::from_secs(60);

/// What a finished `ossperf` process left.
pub struct Ran {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub took: Duration,
}

impl Ran {
    /// Everything, for assertion messages.
    pub fn text(&self) -> String {
        format!(
            "status {:?} after {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status, self.took, self.stdout, self.stderr
        )
    }

    /// Asserts no thread panicked (the standard panic message names `panicked`).
    pub fn assert_no_panic(&self) {
        assert!(!self.stderr.contains("panicked"), "{}", self.text());
    }
}

/// `ossperf run <args> --user-conf <dir>/user.conf --output-dir <dir>/out`, not yet waited on.
/// A `--user-conf` among `args` replaces the written one.
pub fn spawn_run(args: &[&str], dir: &Path, conf: &str) -> Child {
    crate::util::in_dir("run", args, dir, conf)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ossperf")
}

/// Waits for `child` (killing it and failing the test after [`HANG`]) and collects its output.
pub fn finish(mut child: Child, started: Instant) -> Ran {
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let err_reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for ossperf") {
            break status;
        }
        if started.elapsed() > HANG {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "ossperf hung for {HANG:?}; stderr so far:\n{}",
                err_reader.join().unwrap_or_default()
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Ran {
        status,
        stdout: reader.join().unwrap_or_default(),
        stderr: err_reader.join().unwrap_or_default(),
        took: started.elapsed(),
    }
}

/// Runs `ossperf run` with [`FAST_CONF`] to the end.
pub fn run(args: &[&str], dir: &Path) -> Ran {
    let started = Instant::now();
    finish(spawn_run(args, dir, FAST_CONF), started)
}

/// The four logs, `results.json` and `report.html` of one test, each parsed.
pub struct Logs {
    pub summary: String,
    pub accuracy: Vec<Value>,
    pub results: Value,
    /// The detail log's `:::MLLOG` records.
    pub detail: Vec<Value>,
}

impl Logs {
    /// Reads and parses every file under `<dir>/out/<scenario>/<mode>/`, failing the test
    /// on a missing file or one that does not parse.
    pub fn read(dir: &Path, scenario: &str, mode: &str, ran: &Ran) -> Logs {
        let logs: PathBuf = dir.join("out").join(scenario).join(mode);
        let read = |name: &str| {
            std::fs::read_to_string(logs.join(name))
                .unwrap_or_else(|e| panic!("{name}: {e}\n{}", ran.text()))
        };
        let parse = |name: &str, text: &str| -> Value {
            serde_json::from_str(text)
                .unwrap_or_else(|e| panic!("{name} is not JSON: {e}\n{}", ran.text()))
        };
        let accuracy = parse(
            "mlperf_log_accuracy.json",
            &read("mlperf_log_accuracy.json"),
        );
        let detail = read("mlperf_log_detail.txt")
            .lines()
            .map(|line| {
                let record = line
                    .strip_prefix(":::MLLOG ")
                    .unwrap_or_else(|| panic!("detail line without `:::MLLOG`: {line}"));
                parse("mlperf_log_detail.txt", record)
            })
            .collect();
        let html = read("report.html");
        assert!(html.trim_end().ends_with("</html>"), "a whole report.html");
        Logs {
            summary: read("mlperf_log_summary.txt"),
            accuracy: accuracy.as_array().expect("an accuracy array").clone(),
            results: parse("results.json", &read("results.json")),
            detail,
        }
    }

    /// The per-request records of `results.json`.
    pub fn requests(&self) -> &[Value] {
        self.results["requests"].as_array().expect("requests")
    }

    /// How many requests `results.json` records as failed.
    pub fn failed(&self) -> usize {
        self.requests()
            .iter()
            .filter(|r| !r["error"].is_null())
            .count()
    }

    /// Asserts the summary is INVALID because exactly `failed` samples failed, with the
    /// reason `reason` among the kept ones.
    pub fn assert_invalid_with(&self, failed: usize, reason: &str) {
        assert!(
            self.summary.contains("Result is : INVALID"),
            "{}",
            self.summary
        );
        let line = format!("{failed} samples failed");
        assert!(
            self.summary.contains(&line),
            "expected `{line}` in:\n{}",
            self.summary
        );
        assert!(
            self.summary.contains(reason),
            "expected `{reason}` in:\n{}",
            self.summary
        );
        assert_eq!(self.results["verdict"]["valid"], false);
    }
}

/// A simulator with 8-token answers, no modeled cost and `faults`.
pub fn faulty(faults: Faults) -> ossperf_testkit::ossperf_sim::SimHandle {
    ossperf_testkit::sim_with(SimConfig {
        faults,
        ..ossperf_testkit::zero_config(8)
    })
}

/// Runs Offline against `sim` and checks what every fault run must show: exit 1, no
/// panic, every sample recorded once, the failed ones in the summary with `reason`.
fn offline_against_a_fault(sim_url: &str, extra: &[&str], reason: &str) -> (Ran, Logs) {
    let dir = ossperf_testkit::temp_dir();
    let mut args = vec!["--server-url", sim_url, "--max-samples", "20"];
    args.extend_from_slice(extra);
    let ran = run(&args, dir.path());
    ran.assert_no_panic();
    let logs = Logs::read(dir.path(), "offline", "performance", &ran);
    let failed = logs.failed();
    assert!(failed > 0, "some requests failed\n{}", ran.text());
    assert_eq!(ran.status.code(), Some(1), "{}", ran.text());
    assert_eq!(logs.requests().len(), 20, "every sample recorded once");
    logs.assert_invalid_with(failed, reason);
    (ran, logs)
}

#[test]
fn http_errors_are_counted_failures_and_the_run_is_invalid() {
    let sim = faulty(Faults {
        error_rate: 0.3,
        error_status: 503,
        ..Faults::default()
    });
    let (_, logs) = offline_against_a_fault(&sim.url(), &[], "HTTP 503");
    let failed_on_server = sim
        .truth()
        .iter()
        .filter(|t| t.outcome == Outcome::Failed(503))
        .count();
    assert_eq!(logs.failed(), failed_on_server, "each 503 is one failure");
}

#[test]
fn a_connection_reset_mid_stream_is_a_failure_not_a_hang() {
    let sim = faulty(Faults {
        disconnect_rate: 0.3,
        ..Faults::default()
    });
    offline_against_a_fault(&sim.url(), &["--stream"], "connection");
}

#[test]
fn a_connection_reset_before_a_whole_answer_is_a_failure() {
    let sim = faulty(Faults {
        disconnect_rate: 0.3,
        ..Faults::default()
    });
    offline_against_a_fault(&sim.url(), &["--no-stream"], "connection");
}

#[test]
fn a_stream_that_stalls_fails_at_the_timeout_and_the_run_ends() {
    let sim = faulty(Faults {
        stall_rate: 0.2,
        ..Faults::default()
    });
    let (ran, _) = offline_against_a_fault(&sim.url(), &["--stream", "--timeout", "1"], "timeout");
    assert!(ran.took < HANG, "{}", ran.text());
}

#[test]
fn a_whole_answer_that_never_comes_fails_at_the_timeout() {
    let sim = faulty(Faults {
        stall_rate: 0.2,
        ..Faults::default()
    });
    offline_against_a_fault(&sim.url(), &["--no-stream", "--timeout", "1"], "timeout");
}

#[test]
fn a_malformed_event_fails_its_request_with_the_reason() {
    let sim = faulty(Faults {
        malformed_rate: 0.3,
        ..Faults::default()
    });
    offline_against_a_fault(&sim.url(), &["--stream"], "JSON");
}

#[test]
fn a_truncated_json_answer_fails_its_request_with_the_reason() {
    let sim = faulty(Faults {
        malformed_rate: 0.3,
        ..Faults::default()
    });
    offline_against_a_fault(&sim.url(), &["--no-stream"], "JSON");
}

#[test]
fn a_retraction_is_not_a_failure_and_the_count_is_the_servers() {
    let sim = faulty(Faults {
        retract_rate: 0.5,
        ..Faults::default()
    });
    let dir = ossperf_testkit::temp_dir();
    let ran = run(
        &[
            "--server-url",
            &sim.url(),
            "--max-samples",
            "20",
            "--stream",
        ],
        dir.path(),
    );
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(0), "{}", ran.text());
    let logs = Logs::read(dir.path(), "offline", "performance", &ran);
    assert!(logs.summary.contains("Result is : VALID"), "{}", ran.text());
    assert!(
        logs.requests().iter().all(|r| r["output_tokens"] == 8),
        "the count is the server's (SGLang never lowers it on a retraction)"
    );
}

#[test]
fn a_server_that_refuses_connections_is_one_clear_error_before_any_load() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let url = format!("http://127.0.0.1:{port}");
    let dir = ossperf_testkit::temp_dir();
    let ran = run(&["--server-url", &url], dir.path());
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(2), "{}", ran.text());
    assert!(
        ran.stderr
            .contains("the server is not ready; no load was sent")
            && ran.stderr.contains(&url),
        "{}",
        ran.text()
    );
    assert!(!dir.path().join("out").join("offline").exists());
}

#[test]
fn one_refusing_server_of_two_is_left_out_with_a_warning_and_the_run_is_valid() {
    let good = faulty(Faults::default());
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let bad = format!("http://127.0.0.1:{port}");
    let dir = ossperf_testkit::temp_dir();
    let ran = run(
        &[
            "--server-url",
            &bad,
            "--server-url",
            &good.url(),
            "--max-samples",
            "10",
        ],
        dir.path(),
    );
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(0), "{}", ran.text());
    assert!(
        ran.stderr.contains("is left out of the run"),
        "{}",
        ran.text()
    );
    assert_eq!(
        ossperf_testkit::served_load(&good).len(),
        20,
        "every query went to the good one"
    );
}

#[test]
fn a_slow_start_fails_at_once_with_a_clear_message() {
    let sim = faulty(Faults {
        slow_start: Duration::from_secs(30),
        ..Faults::default()
    });
    let dir = ossperf_testkit::temp_dir();
    let ran = run(&["--server-url", &sim.url()], dir.path());
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(2), "{}", ran.text());
    assert!(
        ran.stderr
            .contains("the server is not ready; no load was sent")
            && ran.stderr.contains("HTTP 503"),
        "{}",
        ran.text()
    );
    assert!(ran.took < Duration::from_secs(30), "no waiting for health");
    assert!(sim.truth().is_empty(), "no load was sent");
}

#[test]
fn a_server_that_exits_mid_run_and_comes_back_costs_only_the_queries_sent_while_it_was_away() {
    let first = ossperf_testkit::sim_with(SimConfig {
        faults: Faults {
            exit_after: Some(5),
            ..Faults::default()
        },
        ..ossperf_testkit::zero_config(8)
    });
    let addr = first.addr();
    let url = first.url();
    let dir = ossperf_testkit::temp_dir();
    // 40 Server queries at 20/s: about two seconds, so the server is away for a while in
    // the middle and back for the rest.
    let conf = FAST_CONF.replace("target_qps = 100", "target_qps = 20");
    let started = Instant::now();
    let child = spawn_run(
        &["--scenario", "server", "--server-url", &url],
        dir.path(),
        &conf,
    );
    while !first.is_stopping() && started.elapsed() < HANG {
        std::thread::sleep(Duration::from_millis(5));
    }
    let served_first = ossperf_testkit::served_load(&first).len();
    first.wait();
    std::thread::sleep(Duration::from_millis(500));
    let second = (0..100)
        .find_map(|_| {
            let config = SimConfig {
                addr,
                ..ossperf_testkit::zero_config(8)
            };
            ossperf_testkit::ossperf_sim::Simulator::start(config)
                .map_err(|_| std::thread::sleep(Duration::from_millis(20)))
                .ok()
        })
        .expect("the port is free again");
    let ran = finish(child, started);
    ran.assert_no_panic();
    let logs = Logs::read(dir.path(), "server", "performance", &ran);
    let failed = logs.failed();
    let served_second = ossperf_testkit::served_load(&second).len();
    // Five requests: the start-up generation, then four of the run's.
    assert_eq!(served_first, 4, "{}", ran.text());
    assert!(failed > 0, "queries sent while it was away failed");
    assert!(served_second > 0, "queries after it came back were served");
    assert_eq!(
        served_first + served_second + failed,
        logs.requests().len(),
        "every query answered or failed once"
    );
    assert_eq!(ran.status.code(), Some(1), "{}", ran.text());
    logs.assert_invalid_with(failed, "connect");
}

#[test]
fn every_fault_at_once_on_a_server_run_still_ends_with_complete_logs() {
    let sim = ossperf_testkit::sim_with(SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(8),
        faults: Faults {
            error_rate: 0.1,
            disconnect_rate: 0.1,
            stall_rate: 0.1,
            malformed_rate: 0.1,
            retract_rate: 0.1,
            ..Faults::default()
        },
        ..SimConfig::default()
    });
    let dir = ossperf_testkit::temp_dir();
    let ran = run(
        &[
            "--scenario",
            "server",
            "--server-url",
            &sim.url(),
            "--timeout",
            "1",
        ],
        dir.path(),
    );
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(1), "{}", ran.text());
    let logs = Logs::read(dir.path(), "server", "performance", &ran);
    assert!(logs.requests().len() >= 40, "at least min_query_count");
    let failed = logs.failed();
    logs.assert_invalid_with(failed, "samples failed");
    assert!(logs.accuracy.is_empty(), "performance mode logs no outputs");
}
