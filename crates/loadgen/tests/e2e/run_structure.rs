//! The structure of our logs against the official LoadGen 6.0.17 in the scenario/token-mode
//! combinations the golden files do not cover (fixtures recorded by
//! `tests/fixtures/official_structure.py`): the summary line by line with timing figures
//! filtered out, and the exact sequence of detail keys with their JSON kinds.

use std::path::{Path, PathBuf};

use ossperf_loadgen::{
    run_test, LogSettings, QuerySample, Responder, RunControl, Scenario, SystemUnderTest, TestMode,
    TestSettings,
};
use serde_json::Value;

use crate::support::Qsl;

struct Sut {
    first_token: bool,
}

impl SystemUnderTest for Sut {
    fn name(&self) -> String {
        "PySUT".into()
    }
    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        for s in samples {
            if self.first_token {
                responder.first_token(s.id, &[], 1);
            }
        }
        for s in samples {
            responder.complete(s.id, &[], 3);
        }
    }
    fn flush_queries(&self) {}
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/structure")
        .join(name)
}

/// Replaces machine-dependent figures by `[X]`; LoadGen's buffer warnings become "none".
fn normalize(summary: &str) -> Vec<String> {
    const TIMED: [&str; 7] = [
        "latency (ns)",
        "per second",
        "loadgen overhead",
        "Time per Output Token",
        "time to output token",
        "percentile estimate:",
        "Tokens per second",
    ];
    summary
        .lines()
        .map(|line| {
            if line.ends_with("encountered. See detailed log.") && line.contains("warning") {
                return "No warnings encountered during test.".to_string();
            }
            match line.rfind(": ") {
                Some(at)
                    if TIMED.iter().any(|t| line.contains(t)) && !line.contains("_latency") =>
                {
                    format!("{}: [X]", &line[..at])
                }
                _ => line.to_string(),
            }
        })
        .collect()
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        _ => "object",
    }
}

fn check(scenario: Scenario, tokens: bool) {
    let name = format!(
        "{}_{}",
        scenario.as_str(),
        if tokens { "tokens" } else { "plain" }
    );
    let mut settings = TestSettings::new(scenario, TestMode::PerformanceOnly);
    settings.min_duration_ms = 0;
    settings.min_query_count = 100;
    settings.server_target_qps = 100_000.0;
    settings.use_token_latencies = tokens;
    let dir = tempfile::tempdir().unwrap();
    let mut log = LogSettings::default();
    log.log_output.outdir = dir.path().to_path_buf();
    log.enable_trace = false;
    let sut = Sut {
        first_token: tokens && scenario != Scenario::Offline,
    };
    let qsl = Qsl::new("PyQSL", 256, 256);
    let report = run_test(&sut, &qsl, &settings, &log, &RunControl::new()).unwrap();

    let theirs = std::fs::read_to_string(fixture(&format!("{name}.summary.txt"))).unwrap();
    assert_eq!(
        normalize(&report.summary),
        normalize(&theirs),
        "{name}: summary"
    );

    let ours: Vec<(String, &'static str)> = std::fs::read_to_string(&report.logs.detail)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l.strip_prefix(":::MLLOG ").unwrap()).unwrap())
        .skip_while(|e| e["key"] != "requested_scenario")
        .map(|e| (e["key"].as_str().unwrap().to_string(), kind(&e["value"])))
        .collect();
    let text = std::fs::read_to_string(fixture(&format!("{name}.detail_keys.json"))).unwrap();
    let theirs: Vec<(String, String)> = serde_json::from_str(&text).unwrap();
    let theirs: Vec<(String, &str)> = theirs
        .iter()
        .map(|(k, t)| (k.clone(), t.as_str()))
        .collect();
    assert_eq!(ours, theirs, "{name}: detail keys");
}

#[test]
fn single_stream_logs_have_loadgens_structure() {
    check(Scenario::SingleStream, false);
}

#[test]
fn single_stream_token_logs_have_loadgens_structure() {
    check(Scenario::SingleStream, true);
}

#[test]
fn multi_stream_logs_have_loadgens_structure() {
    check(Scenario::MultiStream, false);
}

#[test]
fn multi_stream_token_logs_have_loadgens_structure() {
    check(Scenario::MultiStream, true);
}

#[test]
fn server_logs_without_token_latencies_have_loadgens_structure() {
    check(Scenario::Server, false);
}

#[test]
fn offline_logs_without_token_latencies_have_loadgens_structure() {
    check(Scenario::Offline, false);
}
