//! `print_timestamps`: LoadGen's five stdout lines around a performance phase
//! (PerformanceOnly and SubmissionRun; nothing in AccuracyOnly or FindPeakPerformance),
//! compared line by line with what the official wheel prints for the same runs: the text
//! exactly, the numbers by their form (they are clock readings).
//!
//! The lines go to the process's stdout, so each run happens in a child: this test binary
//! re-run with [`CHILD`] set, which makes [`child_run`] run the test instead of returning.

use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};

use ossperf_loadgen::{
    run_test, LogSettings, QuerySample, Responder, RunControl, Scenario, SystemUnderTest, TestMode,
    TestSettings,
};

use crate::support::Qsl;

const CHILD: &str = "OSSPERF_LOADGEN_PRINT_TIMESTAMPS_CHILD";

struct Echo;

impl SystemUnderTest for Echo {
    fn name(&self) -> String {
        "Echo".into()
    }
    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        for s in samples {
            responder.complete(s.id, &[0], 1);
        }
    }
    fn flush_queries(&self) {}
}

/// FindPeakPerformance only in Offline, where LoadGen refuses it at once (in Server it is a
/// search over many runs).
const CASES: [(&str, &str); 7] = [
    ("Offline", "PerformanceOnly"),
    ("Offline", "SubmissionRun"),
    ("Offline", "AccuracyOnly"),
    ("Offline", "FindPeakPerformance"),
    ("Server", "PerformanceOnly"),
    ("Server", "SubmissionRun"),
    ("Server", "AccuracyOnly"),
];

/// Runs one test with print_timestamps when this binary is the child; else does nothing.
#[test]
fn child_run() {
    let Ok(case) = std::env::var(CHILD) else {
        return;
    };
    let (scenario, mode) = case.split_once(' ').unwrap();
    let scenario = Scenario::from_name(scenario).unwrap();
    let mode = [
        TestMode::SubmissionRun,
        TestMode::AccuracyOnly,
        TestMode::PerformanceOnly,
        TestMode::FindPeakPerformance,
    ]
    .into_iter()
    .find(|m| m.as_str() == mode)
    .unwrap();
    let mut s = TestSettings::new(scenario, mode);
    s.min_duration_ms = 0;
    s.min_query_count = 1;
    s.server_target_qps = 1000.0;
    s.print_timestamps = true;
    let dir = tempfile::tempdir().unwrap();
    let mut log = LogSettings::default();
    log.log_output.outdir = dir.path().to_path_buf();
    let qsl = Qsl::new("Qsl", 16, 16);
    run_test(&Echo, &qsl, &s, &log, &RunControl::new()).unwrap();
}

fn loadgen_lines(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        // libtest's "test child_run ... " may precede the first line.
        .filter_map(|l| l.find("Loadgen ::").map(|at| l[at..].to_string()))
        .collect()
}

fn ours(scenario: &str, mode: &str) -> Vec<String> {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "print_timestamps::child_run",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{scenario} {mode}"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    loadgen_lines(&out.stdout)
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The text with each number replaced by its form; checks each number's form on the way.
fn shape(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            let (text, value) = line.rsplit_once(" = ").unwrap();
            let form = if let Some(ms) = value.strip_suffix("ms") {
                assert!(ms.parse::<i64>().is_ok(), "{line}");
                "<ms>ms"
            } else if text.ends_with("Timestamp") {
                assert!(value.parse::<i64>().is_ok(), "{line}");
                "<time_t>"
            } else {
                let (int, frac) = value.split_once('.').unwrap_or((value, ""));
                let fixed4 = frac.len() == 4 && int.parse::<i64>().is_ok();
                assert!(fixed4 || value == "-nan" || value == "inf", "{line}");
                "<ratio>"
            };
            format!("{text} = {form}")
        })
        .collect()
}

#[test]
fn performance_runs_print_loadgens_five_lines_and_other_modes_none() {
    for (scenario, mode) in CASES {
        let before = unix_now();
        let lines = ours(scenario, mode);
        let after = unix_now();
        if mode == "PerformanceOnly" || mode == "SubmissionRun" {
            assert_eq!(
                shape(&lines),
                [
                    "Loadgen :: Perf mode start. system_clock Timestamp = <time_t>",
                    "Loadgen :: Perf mode stop. systme_clock Timestamp = <time_t>",
                    "Loadgen :: PerfClock Perf duration = <ms>ms",
                    "Loadgen :: system_clock Perf duration = <ms>ms",
                    "Loadgen :: PerfClock/system_clock ratio = <ratio>",
                ],
                "{scenario} {mode}"
            );
            let stamp =
                |i: usize| -> i64 { lines[i].rsplit_once(" = ").unwrap().1.parse().unwrap() };
            assert!(before <= stamp(0) && stamp(0) <= stamp(1) && stamp(1) <= after);
        } else {
            assert_eq!(lines, Vec::<String>::new(), "{scenario} {mode}");
        }
    }
}

#[test]
fn the_lines_have_the_official_loadgens_text() {
    let python = Command::new("python3")
        .args(["-c", "import mlperf_loadgen"])
        .output();
    if !python.is_ok_and(|o| o.status.success()) {
        eprintln!("SKIPPED print_timestamps cross-check: python3 or mlperf_loadgen is missing");
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crosscheck/print_timestamps.py");
    for (scenario, mode) in CASES {
        let out = Command::new("python3")
            .arg(&script)
            .args([scenario, mode])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let official = loadgen_lines(&out.stdout);
        assert_eq!(
            shape(&ours(scenario, mode)),
            shape(&official),
            "{scenario} {mode}"
        );
    }
}
