//! Before a submission run (issue 22): the estimate printed before the first query against what
//! each run really issued, the `submittable` verdict in the terminal, `results.json` and the
//! report, the configuration record, and `ossperf conf dump`.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

use crate::util::{json, text};

const OSSPERF: &str = env!("CARGO_BIN_EXE_ossperf");

/// A short user.conf: no QSL-size overrides, a few seconds at most of Server arrivals.
const SHORT_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b-interactive.*.performance_sample_count_override = 0
gpt-oss-120b-interactive.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 2000
gpt-oss-120b.Offline.target_qps = 12.5
gpt-oss-120b.Server.min_duration = 300
gpt-oss-120b.Server.min_query_count = 30
gpt-oss-120b.Server.target_qps = 100
gpt-oss-120b-interactive.Server.min_duration = 200
gpt-oss-120b-interactive.Server.min_query_count = 45
gpt-oss-120b-interactive.Server.target_qps = 150
";

/// What a finished run left: its stderr, `results.json` and the detail log's keys.
struct Ran {
    stderr: String,
    results: Value,
    detail: Vec<Value>,
}

impl Ran {
    fn detail(&self, key: &str) -> &Value {
        self.detail
            .iter()
            .find(|e| e["key"] == key)
            .map(|e| &e["value"])
            .unwrap_or_else(|| panic!("no `{key}` in the detail log"))
    }

    fn setting(&self, key: &str) -> &Value {
        self.results["settings"]
            .as_array()
            .and_then(|s| s.iter().find(|s| s["key"] == key))
            .map(|s| &s["value"])
            .unwrap_or_else(|| panic!("no setting `{key}`"))
    }
}

fn run(args: &[&str], conf: Option<&str>, dir: &Path) -> Ran {
    let mut cmd = Command::new(OSSPERF);
    cmd.arg("run")
        .args(["--sim-profile", "zero", "--sim-output-len", "4"])
        .args(args)
        .arg("--output-dir")
        .arg(dir.join("out"));
    if let Some(conf) = conf {
        let path = dir.join("user.conf");
        std::fs::write(&path, conf).unwrap();
        cmd.arg("--user-conf").arg(path);
    }
    let out = cmd.output().unwrap();
    let scenario = args
        .windows(2)
        .find(|w| w[0] == "--scenario")
        .map_or("offline", |w| w[1]);
    let mode = if args.contains(&"--accuracy") {
        "accuracy"
    } else {
        "performance"
    };
    let logs = dir.join("out").join(scenario).join(mode);
    assert!(logs.join("results.json").is_file(), "{}", text(&out));
    let detail = std::fs::read_to_string(logs.join("mlperf_log_detail.txt")).unwrap();
    Ran {
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        results: json(&logs.join("results.json")),
        detail: detail
            .lines()
            .filter_map(|l| l.strip_prefix(":::MLLOG "))
            .map(|l| serde_json::from_str(l).unwrap())
            .collect(),
    }
}

/// The estimate recorded before the run is what LoadGen then generated and issued.
fn assert_estimate_matches(ran: &Ran, phase: &str) {
    let estimate = &ran.results["config"]["estimate"][0];
    assert_eq!(estimate["phase"], phase);
    assert_eq!(estimate["queries"], *ran.detail("generated_query_count"));
    assert_eq!(
        estimate["issued_samples_per_query"],
        *ran.detail("generated_samples_per_query")
    );
    // results.json keeps settings as LoadGen prints them (strings).
    assert_eq!(
        estimate["logged_samples_per_query"].to_string(),
        ran.setting("effective_samples_per_query").as_str().unwrap()
    );
    let requests = ran.results["requests"].as_array().unwrap();
    assert_eq!(estimate["samples"], requests.len());
    let scheduled: Vec<u64> = requests
        .iter()
        .map(|r| r["scheduled_ns"].as_u64().unwrap())
        .collect();
    // Recorded times count from the test start, a little before the first query's slot.
    let first = *scheduled.iter().min().unwrap();
    let scheduled = scheduled.iter().max().unwrap() - first;
    let issued = requests
        .iter()
        .map(|r| r["issued_ns"].as_u64().unwrap())
        .max()
        .unwrap();
    let duration = estimate["duration_ns"].as_u64().unwrap();
    if ran.results["scenario"] == "Server" {
        // The schedule is exact; the run cannot issue its last query before it.
        assert_eq!(duration, scheduled);
        assert!(
            issued - first >= duration,
            "issued {issued} < expected {duration}"
        );
    }
}

/// The estimate's line was printed before the run's own lines (which follow the summary).
fn assert_printed_before_the_run(ran: &Ran, target_qps: &str) {
    let e = &ran.results["config"]["estimate"][0];
    let queries = e["queries"].as_u64().unwrap();
    let prefix = format!(
        "{}: {queries} {} issuing {} samples (samples_per_query logged {}, issued {}); expected ",
        e["phase"].as_str().unwrap(),
        if queries == 1 { "query" } else { "queries" },
        e["samples"],
        e["logged_samples_per_query"],
        e["issued_samples_per_query"],
    );
    let lines: Vec<&str> = ran.stderr.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no line `{prefix}...` in\n{}", ran.stderr));
    assert!(
        lines[at].ends_with(&format!(" at target_qps {target_qps}")),
        "{}",
        lines[at]
    );
    let after = lines
        .iter()
        .position(|l| l.starts_with("LoadGen: "))
        .unwrap();
    assert!(at < after);
}

#[test]
fn offline_issues_the_estimated_whole_copies_and_the_terminal_says_so_first() {
    let dir = ossperf_testkit::temp_dir();
    let ran = run(&["--max-samples", "20"], Some(SHORT_CONF), dir.path());
    assert_estimate_matches(&ran, "performance");
    // 1.1 × 2 s × 12.5/s = 27 logged; equal issue pads to whole copies of the 20 loaded.
    let e = &ran.results["config"]["estimate"][0];
    assert_eq!(
        (
            &e["queries"],
            &e["logged_samples_per_query"],
            &e["issued_samples_per_query"],
            &e["duration_ns"]
        ),
        (
            &1.into(),
            &100.into(),
            &100.into(),
            &8_000_000_000u64.into()
        )
    );
    assert!(ran.stderr.contains(
        "performance: 1 query issuing 100 samples (samples_per_query logged 100, issued 100); expected 8.00 s at target_qps 12.5\n"
    ), "{}", ran.stderr);
    assert_printed_before_the_run(&ran, "12.5");
}

#[test]
fn server_and_interactive_issue_the_estimated_queries_on_the_estimated_schedule() {
    for (scenario, qps) in [("server", "100"), ("interactive", "150")] {
        let dir = ossperf_testkit::temp_dir();
        let ran = run(
            &["--scenario", scenario, "--max-samples", "12"],
            Some(SHORT_CONF),
            dir.path(),
        );
        assert_estimate_matches(&ran, "performance");
        assert_printed_before_the_run(&ran, qps);
    }
}

#[test]
fn an_accuracy_run_issues_every_sample_once_as_estimated() {
    let dir = ossperf_testkit::temp_dir();
    let ran = run(
        &["--accuracy", "--max-samples", "15"],
        Some(SHORT_CONF),
        dir.path(),
    );
    assert_estimate_matches(&ran, "accuracy");
    assert_eq!(ran.results["config"]["estimate"][0]["samples"], 15);
}

#[test]
fn the_demo_user_conf_run_matches_its_estimate_and_is_marked_simulated_everywhere() {
    let dir = ossperf_testkit::temp_dir();
    let ran = run(&["--max-samples", "30"], None, dir.path());
    assert_estimate_matches(&ran, "performance");
    assert_printed_before_the_run(&ran, "8");
    let marked = ran.stderr.matches(
        "SIMULATED: the built-in simulator answers the requests; no real server is measured\n",
    );
    assert_eq!(marked.count(), 2, "before and after the run");
    let config = &ran.results["config"];
    assert_eq!(config["simulated"], true);
    assert_eq!(config["backend"], "sim");
    assert_eq!(config["dataset"]["path"], Value::Null);
    assert_eq!(config["dataset"]["rows"], 30);
    assert_eq!(config["conf_files"][0]["origin"], "built-in");
    assert_eq!(config["conf_files"][1]["origin"], "built-in demo");
    assert_eq!(config["generation"]["max_new_tokens"], 10240);
    let verdict = &ran.results["submittable"];
    assert_eq!(verdict["submittable"], false);
    let reasons: Vec<&str> = verdict["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        reasons[..2],
        [
            "`effective_performance_sample_count` is `30`; the checker needs at least `6396`",
            "the dataset has `30` rows; the performance dataset has `6396`",
        ]
    );
    assert!(reasons.contains(
        &"the built-in simulator answered the requests: the result measures no real server"
    ));
    // The terminal's lines after the summary are the same verdict.
    let after: Vec<&str> = ran
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("LoadGen: "))
        .skip(2)
        .take(1 + reasons.len())
        .collect();
    let mut expected = vec!["submittable: no".to_string()];
    expected.extend(reasons.iter().map(|r| format!("  - {r}")));
    assert_eq!(after, expected);
    let html =
        std::fs::read_to_string(dir.path().join("out/offline/performance/report.html")).unwrap();
    assert!(html.contains("data-submittable=\"no\"><b>Submittable: no</b>"));
    assert!(html.contains("data-simulated=\"true\""));
}

#[test]
fn the_recorded_dataset_hash_is_the_files_sha256() {
    let dir = ossperf_testkit::temp_dir();
    let data = dir.path().join("sample.parquet");
    let bytes = include_bytes!("../../../../data/sample.parquet");
    std::fs::write(&data, bytes).unwrap();
    let ran = run(
        &[
            "--input-file",
            data.to_str().unwrap(),
            "--max-samples",
            "10",
        ],
        Some(SHORT_CONF),
        dir.path(),
    );
    let dataset = &ran.results["config"]["dataset"];
    assert_eq!(dataset["path"], data.to_str().unwrap());
    assert_eq!(dataset["rows"], 10);
    let conf = &ran.results["config"]["conf_files"][1];
    assert_eq!(conf["text"], SHORT_CONF);
    // Same bytes as the bundled sample, so the same hash as a run without --input-file.
    let bundled = run(&["--max-samples", "10"], None, &dir.path().join("b"));
    assert_eq!(
        dataset["sha256"],
        bundled.results["config"]["dataset"]["sha256"]
    );
    assert_eq!(dataset["sha256"].as_str().unwrap().len(), 64);
}

fn plan_stderr(args: &[&str]) -> String {
    let out = Command::new(OSSPERF)
        .arg("plan")
        .args(args)
        .args(["--output", "/dev/null"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn tail(stderr: &str, from: &str) -> Vec<String> {
    stderr
        .lines()
        .skip_while(|l| !l.starts_with(from))
        .map(str::to_string)
        .collect()
}

#[test]
fn plan_with_the_reference_user_conf_says_server_takes_an_hour_and_47_minutes() {
    let stderr = plan_stderr(&["--scenario", "server", "--total-sample-count", "6396"]);
    assert_eq!(
        tail(&stderr, "performance: "),
        [
            "performance: 6396 queries issuing 6396 samples (samples_per_query logged 1, issued 1); expected 1 h 46 min 33 s at target_qps 1",
            "submittable: no",
            "  - `effective_min_duration_ms` is `60000`; the checker needs at least `600000`",
            "  - ossperf's own LoadGen ran (`--loadgen native`); the closed division expects the official LoadGen library (`--loadgen official`)",
        ]
    );
}

#[test]
fn plan_offline_at_one_qps_shows_the_logged_and_the_padded_samples_per_query() {
    let stderr = plan_stderr(&["--loadgen", "official", "--total-sample-count", "6396"]);
    assert_eq!(
        tail(&stderr, "performance: "),
        [
            "performance: 1 query issuing 6396 samples (samples_per_query logged 660, issued 6396); expected 1 h 46 min 36 s at target_qps 1",
            "submittable: no",
            "  - `effective_samples_per_query` is `660`; the closed division needs at least `6396` in Offline",
        ]
    );
}

fn conf_dump(args: &[&str]) -> Output {
    Command::new(OSSPERF)
        .args(["conf", "dump"])
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn conf_dump_writes_the_builtin_files_byte_for_byte_and_never_replaces_one() {
    let mlperf = conf_dump(&["mlperf"]);
    assert_eq!(
        mlperf.stdout,
        include_bytes!("../../../loadgen/conf/mlperf.conf")
    );
    let dir = ossperf_testkit::temp_dir();
    let path = dir.path().join("user.conf");
    let user = conf_dump(&["user", "--output", path.to_str().unwrap()]);
    assert!(user.status.success(), "{}", text(&user));
    assert_eq!(
        std::fs::read(&path).unwrap(),
        include_bytes!("../../../loadgen/conf/user.conf")
    );
    let again = conf_dump(&["user", "--output", path.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    assert_eq!(
        String::from_utf8_lossy(&again.stderr),
        format!(
            "error: cannot create `{}` (an existing file is never replaced): File exists (os error 17)\n",
            path.display()
        )
    );
}

fn submission_run(dir: &Path, extra: &[&str]) -> Output {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let sample = data.join("sample.parquet");
    let conf = dir.join("short.conf");
    std::fs::write(
        &conf,
        "gpt-oss-120b.*.performance_sample_count_override = 0\n\
         gpt-oss-120b.*.accuracy_sample_count_override = 0\n\
         gpt-oss-120b.Offline.min_duration = 0\n\
         gpt-oss-120b.Offline.target_qps = 100\n",
    )
    .unwrap();
    Command::new(OSSPERF)
        .args(["submission", "run", "-o"])
        .arg(dir.join("sub"))
        .arg("--reference-data")
        .arg(&sample)
        .arg("--test07-data")
        .arg(dir.join("gpqa.parquet"))
        .arg("--skip-unscored-datasets")
        .args(extra)
        .arg("--")
        .arg("--input-file")
        .arg(&sample)
        .arg("--user-conf")
        .arg(&conf)
        .args(["--sim-profile", "zero", "--sim-output-len", "1278"])
        .output()
        .unwrap()
}

fn steps(dir: &Path) -> Vec<(String, String, i64)> {
    json(&dir.join("sub/offline/submission.json"))["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap().to_string(),
                s["dir"]
                    .as_str()
                    .unwrap()
                    .rsplit('/')
                    .next()
                    .unwrap()
                    .to_string(),
                s["exit_code"].as_i64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn submission_run_stops_at_a_failed_step_and_resumes_there_without_touching_finished_ones() {
    let dir = ossperf_testkit::temp_dir();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    // TEST07's set: the sample's GPQA rows.
    let gpqa: String = std::fs::read_to_string(data.join("sample.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| l.contains("gpqa"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(dir.path().join("gpqa.jsonl"), gpqa).unwrap();
    let built = Command::new(OSSPERF)
        .args(["dataset", "build"])
        .arg(dir.path().join("gpqa.jsonl"))
        .arg(dir.path().join("gpqa.parquet"))
        .args(["--reasoning-effort", "high"])
        .output()
        .unwrap();
    assert!(built.status.success(), "{}", text(&built));

    // Without the LiveCodeBench tests the score cannot be made: the sequence stops there.
    let first = submission_run(dir.path(), &[]);
    assert_eq!(first.status.code(), Some(2), "{}", text(&first));
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains(&format!(
        "error: score stopped (exit code 2); `{}` is kept as it is. Run the same command again to resume from score\n",
        dir.path().join("sub/offline/score").display()
    )), "{stderr}");
    assert_eq!(
        steps(dir.path()),
        [
            ("performance".into(), "performance".into(), 0),
            ("accuracy".into(), "accuracy".into(), 0),
        ]
    );
    let detail = dir
        .path()
        .join("sub/offline/performance/offline/performance/mlperf_log_detail.txt");
    let before = std::fs::read(&detail).unwrap();

    let lcb = data.join("sample_lcb_tests.jsonl");
    let second = submission_run(dir.path(), &["--lcb-tests", lcb.to_str().unwrap()]);
    assert!(second.status.success(), "{}", text(&second));
    let stderr = String::from_utf8_lossy(&second.stderr);
    let sub = dir.path().join("sub/offline");
    assert!(
        stderr.starts_with(&format!(
            "performance: done earlier, in `{}`\naccuracy: done earlier, in `{}`\nscore: in `{}`\n",
            sub.join("performance").display(),
            sub.join("accuracy").display(),
            sub.join("score-2").display()
        )),
        "{stderr}"
    );
    assert_eq!(
        steps(dir.path()),
        [
            ("performance".into(), "performance".into(), 0),
            ("accuracy".into(), "accuracy".into(), 0),
            ("score".into(), "score-2".into(), 0),
            ("TEST07".into(), "TEST07".into(), 0),
            ("TEST09".into(), "TEST09".into(), 0),
        ]
    );
    // The finished steps were not run again; the failed step's directory is kept.
    assert_eq!(std::fs::read(&detail).unwrap(), before);
    assert!(sub.join("score").is_dir());
    let score = std::fs::read_to_string(sub.join("score-2/accuracy.txt")).unwrap();
    assert!(!score.is_empty());
    for (file, verdict) in [
        ("TEST07/TEST07/verify_accuracy.txt", "TEST PASS"),
        ("TEST09/TEST09/verify_output_len.txt", "TEST PASS"),
    ] {
        let text = std::fs::read_to_string(sub.join(file)).unwrap();
        assert!(text.contains(verdict), "{file}: {text}");
    }

    // A third call finds everything done and runs nothing.
    let third = submission_run(dir.path(), &["--lcb-tests", lcb.to_str().unwrap()]);
    assert!(third.status.success(), "{}", text(&third));
    assert_eq!(
        String::from_utf8_lossy(&third.stderr)
            .lines()
            .filter(|l| l.contains("done earlier"))
            .count(),
        5
    );
}

#[test]
fn ctrl_c_stops_the_step_once_and_a_second_call_resumes_in_a_new_directory() {
    let dir = ossperf_testkit::temp_dir();
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let sample = data.join("sample.parquet");
    let conf = dir.path().join("server.conf");
    // Arrivals for 30 s: long enough that the signal always lands inside the step.
    std::fs::write(
        &conf,
        "gpt-oss-120b.*.performance_sample_count_override = 0\n\
         gpt-oss-120b.Server.min_duration = 30000\n\
         gpt-oss-120b.Server.min_query_count = 1\n\
         gpt-oss-120b.Server.target_qps = 20\n",
    )
    .unwrap();
    let child = Command::new(OSSPERF)
        .args(["submission", "run", "-o"])
        .arg(dir.path().join("sub"))
        .arg("--reference-data")
        .arg(&sample)
        .arg("--test07-data")
        .arg(&sample)
        .args(["--", "--scenario", "server", "--input-file"])
        .arg(&sample)
        .arg("--user-conf")
        .arg(&conf)
        .args(["--sim-profile", "zero", "--sim-output-len", "8"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let step = dir.path().join("sub/server/performance");
    // The step's run has started once its results directory is being laid out.
    while !step.join("server/performance").exists() {
        assert!(started.elapsed().as_secs() < 60, "the step never started");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    std::thread::sleep(std::time::Duration::from_millis(300));
    crate::util::send_signal(&child, libc::SIGINT);
    let ran = crate::faults::finish(child, started);
    assert_eq!(ran.status.code(), Some(130), "{}", ran.stderr);
    assert!(
        ran.stderr
            .contains("forwarding signal 2 to the performance step\n"),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains(&format!(
        "error: performance stopped (exit code 130); `{}` is kept as it is. Run the same command again to resume from performance\n",
        step.display()
    )), "{}", ran.stderr);
    // Nothing finished, so nothing is recorded; the stopped run's logs are kept.
    assert!(!dir.path().join("sub/server/submission.json").exists());
    assert!(step
        .join("server/performance/mlperf_log_summary.txt")
        .is_file());
    let summary = std::fs::read(step.join("server/performance/mlperf_log_summary.txt")).unwrap();

    // The same command again, after shortening the run: performance starts over in a new
    // directory; the sequence then stops at the score (no LiveCodeBench tests given).
    std::fs::write(
        &conf,
        "gpt-oss-120b.*.performance_sample_count_override = 0\n\
         gpt-oss-120b.*.accuracy_sample_count_override = 0\n\
         gpt-oss-120b.Server.min_duration = 100\n\
         gpt-oss-120b.Server.min_query_count = 1\n\
         gpt-oss-120b.Server.target_qps = 500\n",
    )
    .unwrap();
    let again = Command::new(OSSPERF)
        .args(["submission", "run", "-o"])
        .arg(dir.path().join("sub"))
        .arg("--reference-data")
        .arg(&sample)
        .arg("--test07-data")
        .arg(&sample)
        .args(["--", "--scenario", "server", "--input-file"])
        .arg(&sample)
        .arg("--user-conf")
        .arg(&conf)
        .args(["--sim-profile", "zero", "--sim-output-len", "8"])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2), "{}", text(&again));
    let state = json(&dir.path().join("sub/server/submission.json"));
    let dirs: Vec<(&str, &str)> = state["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap(),
                s["dir"].as_str().unwrap().rsplit('/').next().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        dirs,
        [("performance", "performance-2"), ("accuracy", "accuracy")]
    );
    assert_eq!(
        std::fs::read(step.join("server/performance/mlperf_log_summary.txt")).unwrap(),
        summary
    );
}
