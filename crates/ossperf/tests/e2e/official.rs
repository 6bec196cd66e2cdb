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

/// `ossperf tune` under `loadgen` in `dir`: a Server search from a measured start capped at
/// 200 queries/s (the zero-cost simulator passes it), or an Offline measurement and its
/// confirmation run.
fn tune(loadgen: &str, scenario: &str, dir: &Path) -> Output {
    let mut args = vec![
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
        "--max-concurrency",
        "8",
    ];
    if scenario == "server" {
        args.extend([
            "--max-qps",
            "200",
            "--probe-overlatency",
            "0",
            "--no-confirm",
        ]);
    }
    crate::util::in_dir("tune", &args, dir, &measured_conf())
        .output()
        .unwrap()
}

/// [`CONF`] without its Server `target_qps`: a search then starts from a measurement.
fn measured_conf() -> String {
    CONF.lines()
        .filter(|l| !l.contains("Server.target_qps"))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// Each run of a search: what `tune.json` says of it that does not depend on timing (an
/// Offline search's rates are the measured throughput's).
fn search_runs(summary: &Value) -> Vec<(String, Value, u64, bool, String)> {
    let offline = summary["scenario"] == "offline";
    summary["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["kind"].as_str().unwrap().to_string(),
                if r["kind"] == "measure" || offline {
                    Value::Null
                } else {
                    r["target_qps"].clone()
                },
                r["samples"].as_u64().unwrap(),
                r["valid"].as_bool().unwrap(),
                r["why"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// The closing table's rows without their measured columns (seconds, latencies, rates; an
/// Offline search's target_qps).
fn table_rows(out: &Output, offline: bool) -> Vec<String> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.first() == Some(&"#") {
                return l.to_string();
            }
            let rate = if offline || f[1] == "measure" {
                "-"
            } else {
                f[2]
            };
            format!("{} {} {rate} {} {}", f[0], f[1], f[3], f[f.len() - 1])
        })
        .collect()
}

#[test]
fn tune_under_the_official_loadgen_runs_each_test_in_a_child_and_searches_as_with_ossperfs_own() {
    if ossperf_loadgen_official::version().is_none() {
        eprintln!("skipped: built without the official LoadGen (--features official-loadgen)");
        return;
    }
    for scenario in ["server", "offline"] {
        let (native_dir, official_dir) = (ossperf_testkit::temp_dir(), ossperf_testkit::temp_dir());
        let native = tune("native", scenario, native_dir.path());
        assert!(native.status.success(), "{}", text(&native));
        let official = tune("official", scenario, official_dir.path());
        assert!(official.status.success(), "{}", text(&official));
        let summary = |dir: &Path| json(&dir.join("out/tune").join(scenario).join("tune.json"));
        let (ours, theirs) = (summary(native_dir.path()), summary(official_dir.path()));
        let kinds: Vec<String> = search_runs(&ours).into_iter().map(|r| r.0).collect();
        let expected = match scenario {
            "server" => ["measure", "probe"],
            _ => ["measure", "confirm"],
        };
        assert_eq!(kinds, expected, "{scenario}: {}", text(&native));
        assert_eq!(search_runs(&ours), search_runs(&theirs), "{scenario}");
        for key in [
            "found_qps",
            "lowest_failed_qps",
            "confirmed",
            "probe_queries",
            "key",
        ] {
            if scenario == "offline" && key == "found_qps" {
                continue; // the measured throughput's rate
            }
            assert_eq!(ours[key], theirs[key], "{scenario}: {key}");
        }
        let offline = scenario == "offline";
        assert_eq!(
            table_rows(&native, offline),
            table_rows(&official, offline),
            "{scenario}"
        );
        for (a, b) in ours["runs"]
            .as_array()
            .unwrap()
            .iter()
            .zip(theirs["runs"].as_array().unwrap())
        {
            let (a, b) = (a["dir"].as_str().unwrap(), b["dir"].as_str().unwrap());
            let tail = |d: &str| d.rsplit('/').next().unwrap().to_string();
            assert_eq!(tail(a), tail(b), "each run in a directory of the same name");
            let (a, b) = (Path::new(a), Path::new(b));
            let (ra, rb) = (json(&a.join("results.json")), json(&b.join("results.json")));
            assert_eq!(ra["loadgen"]["kind"], "native");
            assert_eq!(rb["loadgen"]["kind"], "official");
            if ra["scenario"] == "Server" {
                // An Offline measurement's settings carry the measured rate.
                assert_eq!(ra["settings"], rb["settings"], "{}: settings", a.display());
            }
            assert_eq!(issue_order(&ra), issue_order(&rb), "{}", a.display());
            // The child's own settings file and what it printed stay with its logs.
            assert!(b.join("user.conf").is_file() && b.join("ossperf-run.log").is_file());
            assert!(b.join("mlperf_log_detail.txt").is_file());
        }
    }
}

/// Ctrl-C under the official LoadGen: its `AbortTest` stops the logger that records answers,
/// so a run with samples out used to wait for them forever. The SUT answers them as failed
/// instead, and the run ends with 130 and complete logs.
#[test]
fn ctrl_c_under_the_official_loadgen_ends_the_run_with_its_logs_not_a_hang() {
    use ossperf_testkit::ossperf_sim::{OutputLen, SimConfig, Timing};
    if ossperf_loadgen_official::version().is_none() {
        eprintln!("skipped: built without the official LoadGen (--features official-loadgen)");
        return;
    }
    // About half a second per request, 8 at a time, 2,000 samples: long enough to interrupt.
    let sim = ossperf_testkit::sim_with(SimConfig {
        timing: Timing::Fixed {
            ttft: std::time::Duration::from_millis(5),
            tpot: std::time::Duration::from_millis(5),
        },
        output_len: OutputLen::Fixed(100),
        ..ossperf_testkit::zero_config(100)
    });
    let dir = ossperf_testkit::temp_dir();
    let conf = "gpt-oss-120b.*.performance_sample_count_override = 0\n\
                gpt-oss-120b.Offline.min_duration = 0\n\
                gpt-oss-120b.Offline.min_query_count = 2000\n";
    let started = std::time::Instant::now();
    let url = sim.url();
    let args = [
        "--loadgen",
        "official",
        "--server-url",
        &url,
        "--max-samples",
        "20",
        "--max-concurrency",
        "8",
    ];
    let child = crate::faults::spawn_run(&args, dir.path(), conf);
    while sim.truth().len() < 4 && started.elapsed() < crate::faults::HANG {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    crate::util::send_signal(&child, libc::SIGINT);
    let ran = crate::faults::finish(child, started);
    assert_eq!(ran.status.code(), Some(130), "{}", ran.text());
    let results = results(dir.path(), "offline");
    assert_eq!(results["loadgen"]["kind"], "official");
    assert_eq!(results["requests"].as_array().unwrap().len(), 2000);
    assert_eq!(results["verdict"]["valid"], false);
    let summary = std::fs::read_to_string(
        dir.path()
            .join("out/offline/performance/mlperf_log_summary.txt"),
    )
    .unwrap();
    assert!(summary.contains("Result is"), "{summary}");
}

/// Ctrl-C during `tune --loadgen official` reaches the running child once; the child ends
/// with its logs, and tune records the search so far and exits with 130, as in one process.
#[test]
fn ctrl_c_during_an_official_tune_ends_the_child_and_the_search_with_130() {
    use ossperf_testkit::ossperf_sim::{OutputLen, SimConfig, Timing};
    if ossperf_loadgen_official::version().is_none() {
        eprintln!("skipped: built without the official LoadGen (--features official-loadgen)");
        return;
    }
    let sim = ossperf_testkit::sim_with(SimConfig {
        timing: Timing::Fixed {
            ttft: std::time::Duration::from_millis(5),
            tpot: std::time::Duration::from_millis(5),
        },
        output_len: OutputLen::Fixed(100),
        ..ossperf_testkit::zero_config(100)
    });
    let dir = ossperf_testkit::temp_dir();
    let started = std::time::Instant::now();
    let url = sim.url();
    let args = [
        "--loadgen",
        "official",
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--max-samples",
        "20",
        "--max-concurrency",
        "8",
    ];
    let child = crate::util::in_dir("tune", &args, dir.path(), &measured_conf())
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The measurement's child is past its start once the server has answered a few.
    while sim.truth().len() < 4 && started.elapsed() < crate::faults::HANG {
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    crate::util::send_signal(&child, libc::SIGINT);
    let ran = crate::faults::finish(child, started);
    assert_eq!(ran.status.code(), Some(130), "{}", ran.text());
    assert!(
        ran.stderr.contains("forwarding signal 2 to the"),
        "{}",
        ran.text()
    );
    let summary = json(&dir.path().join("out/tune/server/tune.json"));
    assert_eq!(summary["outcome"], "interrupted");
    let runs = summary["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 1, "{summary}");
    assert_eq!(runs[0]["kind"], "measure");
    assert_eq!(runs[0]["valid"], false);
}
