//! SIGINT and SIGTERM in the middle of a run (issue #9): issuing stops, what is in flight is
//! cancelled, and the logs of what finished are complete and valid; the exit status is the
//! shell's 128 + signal (130, 143). The signal is sent once the simulator has answered a few
//! requests, so the run is surely past its start.

use std::time::{Duration, Instant};

use ossperf_testkit::ossperf_sim::{OutputLen, SimConfig, Timing};

use crate::faults::{finish, spawn_run, Logs, FAST_CONF, HANG};

/// A run long enough to be interrupted: 5 ms per token, 100-token answers (about half a
/// second per request), many queries.
const LONG_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 600000
gpt-oss-120b.Offline.min_query_count = 100000
gpt-oss-120b.Server.min_duration = 600000
gpt-oss-120b.Server.min_query_count = 100000
gpt-oss-120b.Server.target_qps = 50
";

/// A simulator of half-second answers (5 ms per token, 100 tokens), so requests are in
/// flight when a signal comes.
pub(crate) fn half_second_answers() -> ossperf_testkit::ossperf_sim::SimHandle {
    ossperf_testkit::sim_with(SimConfig {
        timing: Timing::Fixed {
            ttft: Duration::from_millis(5),
            tpot: Duration::from_millis(5),
        },
        output_len: OutputLen::Fixed(100),
        ..ossperf_testkit::zero_config(100)
    })
}

fn interrupt(scenario: &str, signal: i32, expected: i32) {
    assert!(FAST_CONF.contains("Offline"), "shares the e2e helpers");
    let sim = half_second_answers();
    let dir = ossperf_testkit::temp_dir();
    let started = Instant::now();
    let child = spawn_run(
        &[
            "--scenario",
            scenario,
            "--server-url",
            &sim.url(),
            "--max-samples",
            "20",
            "--max-concurrency",
            "8",
            "--timeout",
            "30",
        ],
        dir.path(),
        LONG_CONF,
    );
    while sim.truth().len() < 4 && started.elapsed() < HANG {
        std::thread::sleep(Duration::from_millis(10));
    }
    // Give the client a moment to read those answers; nothing below depends on it.
    std::thread::sleep(Duration::from_millis(200));
    crate::util::send_signal(&child, signal);
    let ran = finish(child, started);
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(expected), "{}", ran.text());
    assert!(ran.stderr.contains("interrupted"), "{}", ran.text());
    let logs = Logs::read(dir.path(), scenario, "performance", &ran);
    let completed = logs
        .requests()
        .iter()
        .filter(|r| r["error"].is_null())
        .count();
    let failed = logs.failed();
    assert_eq!(
        completed + failed,
        logs.requests().len(),
        "every issued sample is logged once, finished or cancelled"
    );
    if failed > 0 {
        logs.assert_invalid_with(failed, "cancelled");
    }
    assert!(
        logs.summary.contains("Result is : INVALID"),
        "an interrupted run is never valid\n{}",
        logs.summary
    );
    let served = sim
        .truth()
        .iter()
        .filter(|t| t.outcome == ossperf_testkit::ossperf_sim::Outcome::Completed)
        .count();
    assert!(
        completed <= served,
        "no request is logged as completed that the server did not finish"
    );
    assert!(
        logs.detail
            .iter()
            .any(|r| r["key"] == "result_validity" || r["key"] == "error_invalid_test"),
        "the detail log is complete to its end"
    );
}

#[test]
fn sigint_in_the_middle_of_an_offline_run_leaves_valid_logs_and_exits_130() {
    interrupt("offline", libc::SIGINT, 130);
}

#[test]
fn sigterm_in_the_middle_of_an_offline_run_leaves_valid_logs_and_exits_143() {
    interrupt("offline", libc::SIGTERM, 143);
}

#[test]
fn sigint_in_the_middle_of_a_server_run_leaves_valid_logs_and_exits_130() {
    interrupt("server", libc::SIGINT, 130);
}

#[test]
fn sigterm_in_the_middle_of_a_server_run_leaves_valid_logs_and_exits_143() {
    interrupt("server", libc::SIGTERM, 143);
}
