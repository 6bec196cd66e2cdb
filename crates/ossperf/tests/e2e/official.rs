//! `ossperf run --loadgen official`: the official C++ LoadGen driving the same SUT against the
//! simulator, compared with ossperf's LoadGen on the same settings. The comparisons need a
//! build with `--features official-loadgen` (`.ci/run` makes one); elsewhere they say why and
//! return, and the refusal of a build without the library is checked instead.

use std::path::Path;
use std::process::Output;

use crate::util::{json, text};
use serde_json::Value;

const CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Server.min_duration = 0
gpt-oss-120b.Server.min_query_count = 60
gpt-oss-120b.Server.target_qps = 200
";

fn run(loadgen: &str, scenario: &str, dir: &Path) -> Output {
    let args = [
        "--loadgen",
        loadgen,
        "--scenario",
        scenario,
        "--sim-profile",
        "zero",
        "--sim-output-len",
        "8",
        "--max-samples",
        "30",
    ];
    crate::util::in_dir("run", &args, dir, CONF)
        .output()
        .unwrap()
}

fn results(dir: &Path, scenario: &str) -> Value {
    json(
        &dir.join("out")
            .join(scenario)
            .join("performance/results.json"),
    )
}

/// QSL indices in issue order.
fn issue_order(results: &Value) -> Vec<u64> {
    results["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["qsl_idx"].as_u64().unwrap())
        .collect()
}

#[test]
fn a_build_without_the_official_loadgen_refuses_it_before_anything_runs() {
    if ossperf_loadgen_official::version().is_some() {
        return;
    }
    let dir = ossperf_testkit::temp_dir();
    let out = run("official", "offline", dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: this ossperf was built without the official LoadGen: build it with \
         `MLPERF_LOADGEN_SRC=<loadgen sources> cargo build --release --features official-loadgen` \
         (README, \"The official LoadGen\")\n"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn the_official_loadgen_issues_and_judges_as_ossperfs_own() {
    let Some(version) = ossperf_loadgen_official::version() else {
        eprintln!("skipped: built without the official LoadGen (--features official-loadgen)");
        return;
    };
    for scenario in ["offline", "server"] {
        let (native_dir, official_dir) = (ossperf_testkit::temp_dir(), ossperf_testkit::temp_dir());
        let native = run("native", scenario, native_dir.path());
        assert!(native.status.success(), "{}", text(&native));
        let official = run("official", scenario, official_dir.path());
        assert!(official.status.success(), "{}", text(&official));
        let stderr = String::from_utf8_lossy(&official.stderr);
        assert!(
            stderr.contains(&format!(
                "LoadGen: the official LoadGen {version} (C++ library)"
            )),
            "{stderr}"
        );
        let (ours, theirs) = (
            results(native_dir.path(), scenario),
            results(official_dir.path(), scenario),
        );
        assert_eq!(theirs["loadgen"]["kind"], "official");
        assert_eq!(ours["loadgen"]["kind"], "native");
        assert_eq!(
            issue_order(&ours),
            issue_order(&theirs),
            "{scenario}: issue order"
        );
        assert_eq!(
            ours["verdict"]["valid"], theirs["verdict"]["valid"],
            "{scenario}"
        );
        assert_eq!(ours["settings"], theirs["settings"], "{scenario}: settings");
        let names = |r: &Value| -> Vec<String> {
            r["metrics"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["name"].as_str().unwrap().to_string())
                .collect()
        };
        assert_eq!(names(&ours), names(&theirs), "{scenario}: metrics");
        let verdict = |dir: &Path| {
            let path = dir
                .join("out")
                .join(scenario)
                .join("performance/mlperf_log_summary.txt");
            let summary = std::fs::read_to_string(path).unwrap();
            summary
                .lines()
                .filter(|l| l.starts_with("Result is") || l.contains("satisfied"))
                .map(str::to_string)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            verdict(native_dir.path()),
            verdict(official_dir.path()),
            "{scenario}: summary"
        );
    }
}
