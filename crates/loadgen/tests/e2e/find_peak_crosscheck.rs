//! FindPeakPerformance (Server) against the official LoadGen (PyPI `mlcommons-loadgen`, module
//! `mlperf_loadgen`): the detail log's search messages (every qps checked, the boundaries, the
//! peak or the error) must be the wheel's, for an SUT that answers at once, one whose fixed
//! latency is over the target, and one that is slow past a number of queries per run (a real
//! search, also kept as the golden file `golden/find_peak_fast300.json`).
//! `tests/crosscheck/find_peak.py` runs the wheel; without python3 or the module the
//! cross-checks print why and return.
//!
//! With `min_query_count` 1 and `min_duration` 0 every run is one query, whose latency does not
//! depend on the qps: below the target latency every run passes, so LoadGen doubles from 1000
//! until the qps overflows (1014 runs to 1.7555597e308). The wheel then keeps running at inf
//! until its recursion overflows the stack; ossperf stops there with an error instead.

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ossperf_loadgen::{
    run_test, LogSettings, QuerySample, Responder, RunControl, Scenario, SystemUnderTest, TestMode,
    TestReport, TestSettings,
};
use serde_json::Value;

use crate::support::Qsl;

/// Answers every sample `latency` after it was issued (reported with `complete_at`), except
/// the first `fast` queries of each run (counted until `flush_queries`), answered at once.
struct Fixed {
    latency: Duration,
    fast: usize,
    issued: AtomicUsize,
}

impl Fixed {
    fn new(latency: Duration, fast: usize) -> Self {
        Fixed {
            latency,
            fast,
            issued: AtomicUsize::new(0),
        }
    }
}

impl SystemUnderTest for Fixed {
    fn name(&self) -> String {
        "Fixed".into()
    }
    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        let now = Instant::now();
        let fast = self.issued.fetch_add(1, Ordering::Relaxed) < self.fast;
        for s in samples {
            if self.latency.is_zero() || fast {
                responder.complete(s.id, &[0], 1);
            } else {
                responder.complete_at(s.id, &[0], 1, now + self.latency);
            }
        }
    }
    fn flush_queries(&self) {
        self.issued.store(0, Ordering::Relaxed);
    }
}

/// The detail log's messages about the search, in order: generic messages and errors.
fn search_messages(detail: &str) -> Vec<String> {
    detail_lines(detail, &["generic_message", "error_"])
        .map(|v| {
            format!(
                "{}: {}",
                v["key"].as_str().unwrap(),
                v["value"].as_str().unwrap()
            )
        })
        .collect()
}

/// Each run's `generated_query_count`.
fn query_counts(detail: &str) -> Vec<u64> {
    detail_lines(detail, &["generated_query_count"])
        .map(|v| v["value"].as_u64().unwrap())
        .collect()
}

/// The detail log's entries whose key starts with one of `keys`.
fn detail_lines<'a>(detail: &'a str, keys: &'a [&str]) -> impl Iterator<Item = Value> + 'a {
    detail
        .lines()
        .filter_map(|l| l.strip_prefix(":::MLLOG "))
        // Only these lines: the wheel writes some values as `-nan`, which is not JSON.
        .filter(|l| {
            keys.iter()
                .any(|k| l.starts_with(&format!(r#"{{"key": "{k}"#)))
        })
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
}

fn ours(sut: &Fixed, min_duration_ms: u64) -> (TestReport, String) {
    let mut s = TestSettings::new(Scenario::Server, TestMode::FindPeakPerformance);
    s.min_duration_ms = min_duration_ms;
    s.min_query_count = 1;
    s.server_target_qps = 1000.0;
    let dir = tempfile::tempdir().unwrap();
    let mut log = LogSettings::default();
    log.log_output.outdir = dir.path().to_path_buf();
    log.enable_trace = false;
    let report = run_test(sut, &Qsl::new("Qsl", 16, 16), &s, &log, &RunControl::new()).unwrap();
    let detail = std::fs::read_to_string(&report.logs.detail).unwrap();
    (report, detail)
}

/// The wheel's detail log; `args`: latency_ms [fast_queries min_duration_ms].
fn official(args: &[u64]) -> Option<String> {
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
        .args(args.iter().map(u64::to_string))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(std::fs::read_to_string(dir.path().join("mlperf_log_detail.txt")).unwrap())
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
    let (report, detail) = ours(&Fixed::new(Duration::ZERO, 0), 0);
    let messages = search_messages(&detail);
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
    let Some(official) = official(&[0]) else {
        return;
    };
    let official = search_messages(&official);
    let messages = search_messages(&ours(&Fixed::new(Duration::ZERO, 0), 0).1);
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
    let (report, detail) = ours(&Fixed::new(Duration::from_millis(150), 0), 0);
    let messages = search_messages(&detail);
    let expected = [
        START[0],
        START[1],
        "error_runtime: FindPeakPerformance: Initial lower bound does not satisfy performance \
         constraints, msg: Reduce target QPS to improve latency.",
    ];
    assert_eq!(messages, expected);
    assert_eq!(report.samples.len(), 1);
    assert_eq!(report.settings.target_qps, 1000.0);
    if let Some(official) = official(&[150]) {
        assert_eq!(search_messages(&official), expected);
    }
}

/// 300 queries a run at once, the rest after 150 ms (over the 100 ms target), min_duration
/// 100 ms: a run fails once it has more than 303 queries (4 slow ones reach the 99th
/// percentile), so the peak is where the official schedule's query count passes 303, near
/// 3162 qps. The count at a qps comes from the seeded schedule, so the search is exact.
#[test]
fn an_sut_slow_past_300_queries_a_run_finds_the_official_peak() {
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/find_peak_fast300.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let expected: Vec<String> = golden["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m.as_str().unwrap().to_string())
        .collect();
    let counts: Vec<u64> = golden["generated_query_count"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_u64().unwrap())
        .collect();
    let (report, detail) = ours(&Fixed::new(Duration::from_millis(150), 300), 100);
    assert_eq!(search_messages(&detail), expected);
    assert_eq!(query_counts(&detail), counts);
    assert_eq!(report.settings.target_qps, 3161.865234375);
    assert_eq!(report.performance.unwrap().perf_constraints_met, Some(true));
    if let Some(official) = official(&[150, 300, 100]) {
        assert_eq!(search_messages(&official), expected);
        assert_eq!(query_counts(&official), counts);
    }
}
