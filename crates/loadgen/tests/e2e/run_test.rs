//! `run_test` end to end with an instant SUT: the official LoadGen's golden summaries and
//! detail keys (tests/golden, recorded from the 6.0.17 wheel with a SUT that answers every
//! sample at once with 3 tokens and, in Server, a first token), failed samples, and aborts.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use ossperf_loadgen::{
    reference_settings, run_test, ConfFile, LogSettings, QuerySample, QuerySampleIndex, Responder,
    RunControl, Scenario, SystemUnderTest, TestMode, TestReport, TestSettings,
};
use serde_json::Value;

use crate::support::Qsl;

/// Answers every sample inside `issue_query`: a first token (outside Offline) and 3 tokens.
/// `fail_every` > 0 fails every n-th sample instead; `abort` aborts the run after n issues.
#[derive(Default)]
struct InstantSut {
    first_token: bool,
    fail_every: usize,
    abort_after: Option<(usize, RunControl)>,
    issued: Mutex<Vec<QuerySampleIndex>>,
}

impl SystemUnderTest for InstantSut {
    fn name(&self) -> String {
        "PySUT".into()
    }
    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        let mut issued = self.issued.lock().unwrap();
        for s in samples {
            issued.push(s.index);
            let tokens: Vec<u8> = (0..3u32)
                .flat_map(|t| (s.index as u32 * 10 + t).to_le_bytes())
                .collect();
            if self.first_token {
                responder.first_token(s.id, &tokens[..4], 1);
            }
            if self.fail_every > 0 && issued.len() % self.fail_every == 0 {
                responder.fail(s.id, "request timed out");
            } else {
                responder.complete(s.id, &tokens, 3);
            }
        }
        if let Some((n, control)) = &self.abort_after {
            if issued.len() >= *n {
                control.abort();
            }
        }
    }
    fn flush_queries(&self) {}
}

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// A JSON object's entries in file order (serde_json's map sorts its keys).
struct Ordered(Vec<(String, Value)>);

impl<'de> serde::Deserialize<'de> for Ordered {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Ordered;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Ordered, A::Error> {
                let mut entries = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    entries.push(entry);
                }
                Ok(Ordered(entries))
            }
        }
        d.deserialize_map(Visit)
    }
}

#[derive(serde::Deserialize)]
struct GoldenDetail {
    detail: Ordered,
}

fn golden(file: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(golden_dir().join(file)).unwrap()).unwrap()
}

fn settings_for(g: &Value, user_conf: &str) -> TestSettings {
    let scenario = Scenario::from_name(g["scenario"].as_str().unwrap()).unwrap();
    let mode = match g["mode"].as_str().unwrap() {
        "PerformanceOnly" => TestMode::PerformanceOnly,
        _ => TestMode::AccuracyOnly,
    };
    let mlperf = ConfFile::builtin_mlperf().unwrap();
    let user = ConfFile::read(&golden_dir().join(user_conf)).unwrap();
    let model = g["model"].as_str().unwrap();
    reference_settings(model, scenario, mode, &mlperf, Some(&user), None)
        .unwrap()
        .settings
}

fn log_settings(dir: &Path) -> LogSettings {
    let mut log = LogSettings::default();
    log.log_output.outdir = dir.to_path_buf();
    log.enable_trace = false;
    log
}

/// The detail log as (key, value) pairs in file order.
fn detail_entries(report: &TestReport) -> Vec<(String, Value)> {
    std::fs::read_to_string(&report.logs.detail)
        .unwrap()
        .lines()
        .map(|line| {
            let json: Value =
                serde_json::from_str(line.strip_prefix(":::MLLOG ").unwrap()).unwrap();
            (
                json["key"].as_str().unwrap().to_string(),
                json["value"].clone(),
            )
        })
        .collect()
}

/// Replaces the figure after the last `:` of lines that report machine-dependent timings.
fn filter_timings(summary: &str) -> Vec<String> {
    const TIMED: [&str; 8] = [
        "Completed samples per second",
        "Completed tokens per second",
        "Samples per second",
        "Tokens per second",
        "latency (ns)",
        "Time per Output Token (ns)",
        "time to output token (ns)",
        "Min First Token",
    ];
    summary
        .lines()
        .map(|line| match line.rfind(": ") {
            Some(at) if TIMED.iter().any(|t| line.contains(t)) && !line.contains("_latency") => {
                format!("{}: [TIME]", &line[..at])
            }
            _ => line.to_string(),
        })
        .collect()
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Bool(_) => "bool",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
        Value::Null => "null",
    }
}

/// Values that do not depend on the machine's timing.
fn is_deterministic(key: &str) -> bool {
    key.starts_with("effective_")
        || key.starts_with("generated_")
        || key == "loaded_qsl_set"
        || key == "result_validity"
        || key.ends_with("_met")
        || key.starts_with("early_stopping_")
        || key == "result_invalid_reason"
        || key == "result_query_count"
        || key == "result_overlatency_query_count"
}

fn check_golden(file: &str, user_conf: &str) -> (TestReport, Value) {
    let g = golden(file);
    let settings = settings_for(&g, user_conf);
    let dir = tempfile::tempdir().unwrap();
    let sut = InstantSut {
        first_token: settings.scenario != Scenario::Offline,
        ..InstantSut::default()
    };
    let qsl = Qsl::new(
        "PyQSL",
        g["qsl_total"].as_u64().unwrap() as usize,
        g["qsl_perf"].as_u64().unwrap() as usize,
    );
    let report = run_test(
        &sut,
        &qsl,
        &settings,
        &log_settings(dir.path()),
        &RunControl::new(),
    )
    .unwrap();

    let as_indices = |v: &Value| -> Vec<usize> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    assert_eq!(
        *qsl.loaded.lock().unwrap(),
        as_indices(&g["loaded"]),
        "{file}: load order"
    );
    assert_eq!(
        *sut.issued.lock().unwrap(),
        as_indices(&g["issued"]),
        "{file}: issue order"
    );

    let ours = filter_timings(&report.summary);
    // LoadGen's own logger warns when a thread logs over 1024 entries between IO polls
    // ("Logging allocation detected"); the golden runs' warnings are all of that kind, and
    // this port has no such buffer, hence no warning.
    let mut theirs = filter_timings(g["summary"].as_str().unwrap());
    for line in &mut theirs {
        if line.ends_with("encountered. See detailed log.") && line.contains("warning") {
            *line = "No warnings encountered during test.".to_string();
        }
    }
    assert_eq!(ours, theirs, "{file}: summary");
    assert_eq!(
        std::fs::read_to_string(&report.logs.summary).unwrap(),
        report.summary
    );

    let entries = detail_entries(&report);
    let mut from = 0;
    let text = std::fs::read_to_string(golden_dir().join(file)).unwrap();
    let ordered: GoldenDetail = serde_json::from_str(&text).unwrap();
    for (key, value) in &ordered.detail.0 {
        let at = entries[from..]
            .iter()
            .position(|(k, _)| k == key)
            .unwrap_or_else(|| {
                let next: Vec<&str> = entries[from..]
                    .iter()
                    .take(4)
                    .map(|(k, _)| k.as_str())
                    .collect();
                panic!("{file}: `{key}` missing or out of order; next: {next:?}")
            });
        let ours = &entries[from + at].1;
        assert_eq!(json_kind(ours), json_kind(value), "{file}: type of `{key}`");
        if is_deterministic(key) {
            assert_eq!(ours, value, "{file}: value of `{key}`");
        }
        from += at + 1;
    }
    let accuracy: Value =
        serde_json::from_str(&std::fs::read_to_string(&report.logs.accuracy).unwrap()).unwrap();
    let _ = dir.keep();
    (report, accuracy)
}

#[test]
fn offline_performance_matches_the_official_summary_and_detail() {
    let (report, accuracy) = check_golden("off_perf.json", "u_off.conf");
    assert!(!report.valid);
    assert_eq!(
        report.invalid_reasons,
        ["Increase expected QPS so the loadgen pre-generates a larger (coalesced) query."]
    );
    let perf = report.performance.unwrap();
    assert_eq!(perf.token_count, Some(3 * 12792));
    assert_eq!(report.samples.len(), 12792);
    assert_eq!(accuracy.as_array().unwrap().len(), 0);
}

#[test]
fn server_performance_matches_the_official_summary_and_detail() {
    let (report, _) = check_golden("srv_perf.json", "u_srv.conf");
    assert!(report.valid, "{:?}", report.invalid_reasons);
    let perf = report.performance.unwrap();
    assert_eq!(perf.query_count, 12792);
    assert_eq!(perf.token_count, Some(3 * 12792));
    assert!(report
        .samples
        .iter()
        .all(|s| s.first_token_ns.is_some() && s.n_tokens == 3));
    for s in &report.samples {
        let first = s.first_token_ns.unwrap();
        assert!(s.scheduled_ns <= s.issued_ns, "{s:?}");
        assert!(s.issued_ns <= first && first <= s.complete_ns, "{s:?}");
    }
    let scheduled: Vec<u64> = report.samples.iter().map(|s| s.scheduled_ns).collect();
    assert!(
        scheduled.windows(2).all(|w| w[0] <= w[1]),
        "issued in schedule order"
    );
}

#[test]
fn interactive_performance_matches_the_official_summary_and_detail() {
    let (report, _) = check_golden("int_perf.json", "u_srv.conf");
    assert!(report.valid, "{:?}", report.invalid_reasons);
    assert_eq!(report.settings.requested.server_tpot_latency, 15_000_000);
}

#[test]
fn offline_accuracy_logs_every_sample_once_with_its_token_count() {
    let (report, accuracy) = check_golden("off_acc.json", "u_off.conf");
    assert!(report.performance.is_none());
    assert_eq!(
        report.summary,
        "\nNo warnings encountered during test.\n\nNo errors encountered during test.\n"
    );
    let records = accuracy.as_array().unwrap();
    let mut indices: Vec<u64> = records
        .iter()
        .map(|r| r["qsl_idx"].as_u64().unwrap())
        .collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..4395).collect::<Vec<u64>>());
    assert_eq!(records[0]["token_count"], 3);
    assert!(records[0].get("token_data").is_none());
    let idx = records[0]["qsl_idx"].as_u64().unwrap() as u32;
    let first = (idx * 10).to_le_bytes();
    let expected = format!(
        "{:02X}{:02X}{:02X}{:02X}",
        first[0], first[1], first[2], first[3]
    );
    assert!(records[0]["data"].as_str().unwrap().starts_with(&expected));
}

#[test]
fn server_accuracy_logs_first_token_data_with_every_sample() {
    let (report, accuracy) = check_golden("srv_acc.json", "u_srv.conf");
    assert!(report.valid);
    let records = accuracy.as_array().unwrap();
    assert_eq!(records.len(), 4395);
    assert_eq!(records[0]["token_data"].as_str().unwrap().len(), 8);
    assert_eq!(records[0]["data"].as_str().unwrap().len(), 24);
}

fn short_server(mode: TestMode, qps: f64) -> TestSettings {
    let mlperf = ConfFile::builtin_mlperf().unwrap();
    let mut s = reference_settings("gpt-oss-120b", Scenario::Server, mode, &mlperf, None, None)
        .unwrap()
        .settings;
    s.server_target_qps = qps;
    s.min_duration_ms = 10;
    s.performance_sample_count_override = 500;
    s.accuracy_sample_count_override = 500;
    s
}

#[test]
fn failed_samples_make_the_result_invalid_with_their_count_and_reason() {
    let dir = tempfile::tempdir().unwrap();
    let sut = InstantSut {
        first_token: true,
        fail_every: 10,
        ..InstantSut::default()
    };
    let qsl = Qsl::new("PyQSL", 500, 500);
    let settings = short_server(TestMode::SubmissionRun, 50_000.0);
    let report = run_test(
        &sut,
        &qsl,
        &settings,
        &log_settings(dir.path()),
        &RunControl::new(),
    )
    .unwrap();
    // Accuracy: 500 samples (50 failed); performance: 500 queries (50 failed).
    assert_eq!(report.failures.count, 100);
    assert_eq!(
        report.failures.reasons,
        [("request timed out".to_string(), 100)]
    );
    assert!(!report.valid);
    let perf = report.performance.as_ref().unwrap();
    assert!(!perf.valid);
    assert_eq!(perf.sample_count, 450);
    assert_eq!(perf.query_count, 500);
    assert_eq!(
        report.invalid_reasons,
        ["100 samples failed: `request timed out` (x100)"]
    );
    assert_eq!(
        perf.extra_reasons,
        ["50 samples failed: `request timed out` (x50)"]
    );
    assert!(report.summary.contains("Result is : INVALID\n"));
    assert!(report
        .summary
        .contains("\n * 50 samples failed: `request timed out` (x50)\n"));
    let entries = detail_entries(&report);
    let validity = entries
        .iter()
        .find(|(k, _)| k == "result_validity")
        .unwrap();
    assert_eq!(validity.1, "INVALID");
    let failed = report.samples.iter().filter(|s| s.error.is_some()).count();
    assert_eq!(failed, 100);
    let accuracy: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&report.logs.accuracy).unwrap()).unwrap();
    assert_eq!(accuracy.len(), 500);
    assert_eq!(accuracy.iter().filter(|r| r["data"] == "").count(), 50);
}

#[test]
fn an_aborted_run_leaves_a_valid_accuracy_log_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let control = RunControl::new();
    let sut = InstantSut {
        first_token: true,
        abort_after: Some((40, control.clone())),
        ..InstantSut::default()
    };
    let qsl = Qsl::new("PyQSL", 500, 500);
    let settings = short_server(TestMode::AccuracyOnly, 2_000.0);
    let report = run_test(&sut, &qsl, &settings, &log_settings(dir.path()), &control).unwrap();
    assert!(report.aborted);
    assert!(!report.valid);
    assert_eq!(
        report.invalid_reasons,
        ["The run was aborted before every query was issued."]
    );
    assert_eq!(report.samples.len(), 40);
    let accuracy: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(&report.logs.accuracy).unwrap()).unwrap();
    assert_eq!(accuracy.len(), 40);
    assert!(
        report
            .summary
            .ends_with("1 ERROR encountered. See detailed log.\n"),
        "{}",
        report.summary
    );
}

#[test]
fn a_zero_server_target_qps_is_refused_before_any_log_instead_of_waiting_forever() {
    let dir = tempfile::tempdir().unwrap();
    let qsl = Qsl::new("PyQSL", 500, 500);
    let settings = short_server(TestMode::PerformanceOnly, 0.0);
    let err = run_test(
        &InstantSut::default(),
        &qsl,
        &settings,
        &log_settings(dir.path()),
        &RunControl::new(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the settings cannot be run: `target_qps` is `0`; expected a number above 0 (LoadGen schedules each Server query 1/target_qps seconds after the previous one, so the second would never come; the official LoadGen 6.0.17 runs out of memory building that schedule)"
    );
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "no log written"
    );
}
