//! FindPeakPerformance (Server) against the official LoadGen (PyPI `mlcommons-loadgen`, module
//! `mlperf_loadgen`): the detail log's search messages (every qps checked, the boundaries, the
//! peak or the error) must be the wheel's, for an SUT that answers at once and one whose fixed
//! latency is over the target. `tests/crosscheck/find_peak.py` runs the wheel; without python3
//! or the module the cross-check prints why and returns.
//!
//! With `min_query_count` 1 and `min_duration` 0 every run is one query, whose latency does not
//! depend on the qps: below the target latency every run passes, so LoadGen doubles from 1000
//! until the qps overflows (1014 runs to 1.7555597e308). The wheel then keeps running at inf
//! until its recursion overflows the stack; ossperf stops there with an error instead.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use ossperf_loadgen::{
    run_test, LogSettings, QuerySample, QuerySampleIndex, QuerySampleLibrary, Responder,
    RunControl, Scenario, SystemUnderTest, TestMode, TestReport, TestSettings,
};
use serde_json::Value;

/// Answers every sample `latency` after it was issued (reported with `complete_at`).
struct Fixed {
    latency: Duration,
}

impl SystemUnderTest for Fixed {
    fn name(&self) -> String {
        "Fixed".into()
    }
    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        let now = Instant::now();
        for s in samples {
            if self.latency.is_zero() {
                responder.complete(s.id, &[0], 1);
            } else {
                responder.complete_at(s.id, &[0], 1, now + self.latency);
            }
        }
    }
    fn flush_queries(&self) {}
}

struct Qsl;

impl QuerySampleLibrary for Qsl {
    fn name(&self) -> String {
        "Qsl".into()
    }
    fn total_sample_count(&self) -> usize {
        16
    }
    fn performance_sample_count(&self) -> usize {
        16
    }
    fn load_samples_to_ram(&self, _: &[QuerySampleIndex]) {}
    fn unload_samples_from_ram(&self, _: &[QuerySampleIndex]) {}
}

/// The detail log's messages about the search, in order: generic messages and errors.
fn search_messages(detail: &str) -> Vec<String> {
    detail
        .lines()
        .filter_map(|l| l.strip_prefix(":::MLLOG "))
        // Only these lines: the wheel writes some values as `-nan`, which is not JSON.
        .filter(|l| {
            l.starts_with(r#"{"key": "generic_message""#) || l.starts_with(r#"{"key": "error_"#)
        })
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            format!(
                "{}: {}",
                v["key"].as_str().unwrap(),
                v["value"].as_str().unwrap()
            )
        })
        .collect()
}

fn ours(latency: Duration) -> (TestReport, Vec<String>) {
    let mut s = TestSettings::new(Scenario::Server, TestMode::FindPeakPerformance);
    s.min_duration_ms = 0;
    s.min_query_count = 1;
    s.server_target_qps = 1000.0;
    let dir = tempfile::tempdir().unwrap();
    let mut log = LogSettings::default();
    log.log_output.outdir = dir.path().to_path_buf();
    log.enable_trace = false;
    let report = run_test(&Fixed { latency }, &Qsl, &s, &log, &RunControl::new()).unwrap();
    let detail = std::fs::read_to_string(&report.logs.detail).unwrap();
    (report, search_messages(&detail))
}

fn official(latency_ms: u64) -> Option<Vec<String>> {
    let python = Command::new("python3")
        .args(["-c", "import mlperf_loadgen"])
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED FindPeakPerformance cross-check: python3 or mlperf_loadgen is missing");
        return None;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crosscheck/find_peak.py");
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("python3")
        .arg(&script)
        .arg(dir.path())
        .arg(latency_ms.to_string())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let detail = std::fs::read_to_string(dir.path().join("mlperf_log_detail.txt")).unwrap();
    Some(search_messages(&detail))
}

/// The qps LoadGen doubles to from 1000 before `2 ·` it overflows: `1000 · 2^1014`.
fn last_finite() -> f64 {
    (0..1014).fold(1000.0, |q, _| q * 2.0)
}

const START: [&str; 2] = [
    "generic_message: Starting FindPeakPerformance mode",
    "generic_message: FindPeakPerformance: Check validity of the base settings field: 1000.000000",
];

#[test]
fn an_sut_that_answers_at_once_doubles_the_qps_until_it_overflows() {
    let (report, messages) = ours(Duration::ZERO);
    let checks: Vec<String> = (0..1014)
        .map(|k| {
            let lower = 1000.0 * 2f64.powi(k);
            format!(
                "generic_message: FindBoundaries: Checking fields [{lower:.6}, {:.6})",
                lower * 2.0
            )
        })
        .collect();
    assert_eq!(messages[..2], START);
    assert_eq!(messages[2..messages.len() - 1], checks);
    assert_eq!(
        messages.last().unwrap(),
        &format!(
            "error_runtime: every run passed up to `{}` queries/s; the SUT never failed, so \
             there is no peak to find",
            last_finite()
        )
    );
    // The last run (the best seen) is the one reported.
    assert_eq!(report.settings.target_qps, last_finite());
    assert_eq!(report.samples.len(), 1015);
}

#[test]
fn an_sut_that_answers_at_once_matches_the_official_search_up_to_inf() {
    let Some(official) = official(0) else {
        return;
    };
    let (_, messages) = ours(Duration::ZERO);
    let at_inf = official.iter().position(|m| m.contains("inf)")).unwrap();
    assert_eq!(official[..at_inf], messages[..messages.len() - 1]);
    assert_eq!(
        official[at_inf],
        format!(
            "generic_message: FindBoundaries: Checking fields [{:.6}, inf)",
            last_finite()
        )
    );
}

#[test]
fn an_sut_slower_than_the_target_latency_fails_the_base_run_like_the_official_loadgen() {
    let (report, messages) = ours(Duration::from_millis(150));
    let expected = [
        START[0],
        START[1],
        "error_runtime: FindPeakPerformance: Initial lower bound does not satisfy performance \
         constraints, msg: Reduce target QPS to improve latency.",
    ];
    assert_eq!(messages, expected);
    assert_eq!(report.samples.len(), 1);
    assert_eq!(report.settings.target_qps, 1000.0);
    if let Some(official) = official(150) {
        assert_eq!(official, expected);
    }
}
