//! The same settings under both LoadGens, ossperf's and the official C++ library, with the same
//! instant SUT: the loaded sets, the issue order, every `generated_*` value, the detail logs'
//! keys and effective settings, and the verdicts must be identical.
//!
//! The official library keeps process-wide state, so each official test runs in a child
//! process: this test binary runs itself again with `OSSPERF_OFFICIAL_CHILD` naming the case.
//! Without the library (a build without the `official` feature) the test says why and returns.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use ossperf_loadgen::{
    reference_settings, run_test, ConfFile, LogSettings, QuerySample, QuerySampleLibrary,
    Responder, RunControl, Scenario, SystemUnderTest, TestMode,
};
use serde_json::Value;

const MODEL: &str = "gpt-oss-120b";

struct Case {
    name: &'static str,
    scenario: Scenario,
    mode: TestMode,
    total: usize,
    user_conf: &'static str,
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "offline-performance",
            scenario: Scenario::Offline,
            mode: TestMode::PerformanceOnly,
            total: 6396,
            user_conf:
                "gpt-oss-120b.Offline.target_qps = 1\ngpt-oss-120b.Offline.min_duration = 0\n",
        },
        Case {
            name: "server-performance",
            scenario: Scenario::Server,
            mode: TestMode::PerformanceOnly,
            total: 6396,
            user_conf: "gpt-oss-120b.Server.target_qps = 2000\n\
                        gpt-oss-120b.Server.min_duration = 0\n\
                        gpt-oss-120b.Server.min_query_count = 300\n",
        },
        Case {
            name: "offline-accuracy",
            scenario: Scenario::Offline,
            mode: TestMode::AccuracyOnly,
            total: 500,
            user_conf: "gpt-oss-120b.Offline.min_duration = 0\n",
        },
    ]
}

/// Answers every sample at once: a first token (in token mode) and two tokens of data.
struct Echo {
    token_mode: bool,
}

impl SystemUnderTest for Echo {
    fn name(&self) -> String {
        "Echo".into()
    }
    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        for s in samples {
            let data = (s.index as u32).to_le_bytes();
            if self.token_mode {
                responder.first_token(s.id, &data[..2], 1);
            }
            responder.complete(s.id, &data, 2);
        }
    }
    fn flush_queries(&self) {}
}

/// Records every `LoadSamplesToRam` call.
struct Library {
    total: usize,
    loaded: Mutex<Vec<Vec<usize>>>,
}

impl QuerySampleLibrary for Library {
    fn name(&self) -> String {
        "Library".into()
    }
    fn total_sample_count(&self) -> usize {
        self.total
    }
    fn performance_sample_count(&self) -> usize {
        self.total
    }
    fn load_samples_to_ram(&self, indices: &[usize]) {
        self.loaded.lock().unwrap().push(indices.to_vec());
    }
    fn unload_samples_from_ram(&self, _: &[usize]) {}
}

/// What one LoadGen did with a case.
#[derive(Debug, serde::Serialize, serde::Deserialize, PartialEq)]
struct Seen {
    loaded_sets: Vec<Vec<usize>>,
    issue_order: Vec<usize>,
}

fn library(case: &Case) -> Library {
    Library {
        total: case.total,
        loaded: Mutex::new(Vec::new()),
    }
}

fn run_native(case: &Case, dir: &Path) -> Seen {
    let mlperf = ConfFile::builtin_mlperf().unwrap();
    let user = ConfFile::parse("user.conf", case.user_conf).unwrap();
    let loaded =
        reference_settings(MODEL, case.scenario, case.mode, &mlperf, Some(&user), None).unwrap();
    let mut log = LogSettings::default();
    log.log_output.outdir = dir.to_path_buf();
    log.enable_trace = false;
    let qsl = library(case);
    let sut = Echo {
        token_mode: loaded.settings.use_token_latencies,
    };
    let report = run_test(&sut, &qsl, &loaded.settings, &log, &RunControl::new()).unwrap();
    Seen {
        loaded_sets: qsl.loaded.into_inner().unwrap(),
        issue_order: report.samples.iter().map(|s| s.qsl_idx).collect(),
    }
}

/// In the child: one official test, its outcome as JSON in `outcome.json` beside the logs.
fn run_official(case: &Case, dir: &Path) {
    let user = dir.join("user.conf");
    std::fs::write(&user, case.user_conf).unwrap();
    let qsl = library(case);
    let token_mode = case.scenario == Scenario::Server;
    let outcome = ossperf_loadgen_official::start_test(
        &Echo { token_mode },
        &qsl,
        &ossperf_loadgen_official::Test {
            model: MODEL,
            scenario: case.scenario,
            mode: case.mode,
            mlperf_conf: None,
            user_conf: Some(&user),
            audit_config: &dir.join("audit.config"),
            outdir: dir,
        },
    )
    .unwrap();
    let seen = Seen {
        loaded_sets: outcome.loaded_sets,
        issue_order: outcome.samples.iter().map(|s| s.index).collect(),
    };
    std::fs::write(dir.join("outcome.json"), serde_json::to_vec(&seen).unwrap()).unwrap();
}

/// `key` → `value` of every `:::MLLOG` line, the last one for a repeated key. The official
/// logger's own "Logging allocation detected" warning (a thread logged more than its buffer
/// held) says how that process's logger grew, not what the test did: it is left out.
fn detail(dir: &Path) -> BTreeMap<String, Value> {
    let text = std::fs::read_to_string(dir.join("mlperf_log_detail.txt")).unwrap();
    text.lines()
        .filter_map(|line| line.strip_prefix(":::MLLOG "))
        .map(|json| serde_json::from_str::<Value>(json).unwrap())
        .filter(|v| {
            !v["value"]
                .as_str()
                .is_some_and(|s| s.starts_with("Logging allocation detected"))
        })
        .map(|v| (v["key"].as_str().unwrap().to_string(), v["value"].clone()))
        .collect()
}

/// Keys whose values are times, dates, versions, build facts or the logger's own state (its
/// retry counts): present in both, not compared.
fn varies(key: &str) -> bool {
    key.starts_with("loadgen_")
        || key.starts_with("logger_")
        || key.starts_with("result_")
        || key.starts_with("power_")
        || key.contains("datetime")
        || key.contains("duration")
        || matches!(
            key,
            "test_datetime"
                | "sut_name"
                | "qsl_name"
                | "error_invalid_config"
                | "warning_generic_message"
        )
}

/// The summary's `Result is :` line (an accuracy run has none).
fn verdict(dir: &Path) -> Option<String> {
    let text = std::fs::read_to_string(dir.join("mlperf_log_summary.txt")).unwrap();
    text.lines()
        .find(|l| l.starts_with("Result is : "))
        .map(str::to_string)
}

#[test]
fn both_loadgens_load_issue_and_log_the_same() {
    if let Ok(name) = std::env::var("OSSPERF_OFFICIAL_CHILD") {
        let case = cases().into_iter().find(|c| c.name == name).unwrap();
        let dir = std::env::var("OSSPERF_OFFICIAL_DIR").unwrap();
        run_official(&case, Path::new(&dir));
        return;
    }
    let Some(version) = ossperf_loadgen_official::version() else {
        eprintln!(
            "skipped: built without the official LoadGen (set MLPERF_LOADGEN_SRC and build with \
             --features official)"
        );
        return;
    };
    eprintln!("official LoadGen {version}");
    for case in cases() {
        let native_dir = tempfile::tempdir().unwrap();
        let official_dir = tempfile::tempdir().unwrap();
        let native = run_native(&case, native_dir.path());
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "both_loadgens_load_issue_and_log_the_same",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("OSSPERF_OFFICIAL_CHILD", case.name)
            .env("OSSPERF_OFFICIAL_DIR", official_dir.path())
            .output()
            .unwrap();
        assert!(
            child.status.success(),
            "{}: the official run failed: {}",
            case.name,
            String::from_utf8_lossy(&child.stderr)
        );
        let outcome = std::fs::read(official_dir.path().join("outcome.json")).unwrap();
        let official: Seen = serde_json::from_slice(&outcome).unwrap();
        assert_eq!(
            native.loaded_sets, official.loaded_sets,
            "{}: loaded sets",
            case.name
        );
        assert_eq!(
            native.issue_order, official.issue_order,
            "{}: issue order",
            case.name
        );
        let (ours, theirs) = (detail(native_dir.path()), detail(official_dir.path()));
        let only = |a: &BTreeMap<String, Value>, b: &BTreeMap<String, Value>| {
            a.keys()
                .filter(|k| !b.contains_key(*k))
                .cloned()
                .collect::<Vec<_>>()
        };
        let (only_ours, only_theirs) = (only(&ours, &theirs), only(&theirs, &ours));
        assert!(
            only_ours.is_empty() && only_theirs.is_empty(),
            "{}: detail log keys only in ossperf's: {:?}; only in the official: {:?}",
            case.name,
            only_ours.iter().map(|k| (k, &ours[k])).collect::<Vec<_>>(),
            only_theirs
                .iter()
                .map(|k| (k, &theirs[k]))
                .collect::<Vec<_>>(),
        );
        for (key, value) in &theirs {
            if !varies(key) {
                assert_eq!(&ours[key], value, "{}: `{key}`", case.name);
            }
        }
        assert_eq!(
            verdict(native_dir.path()),
            verdict(official_dir.path()),
            "{}: verdict",
            case.name
        );
        eprintln!(
            "{}: {} loaded sets, {} samples issued, {} detail keys: identical",
            case.name,
            official.loaded_sets.len(),
            official.issue_order.len(),
            theirs.len()
        );
    }
}
