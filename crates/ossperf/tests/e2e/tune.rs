//! `ossperf tune` end to end: searches against simulators over loopback, and bad input that
//! must stop before any load. Assertions are about the structure of the answer (the found rate
//! is the highest VALID probe, every file is written), never about timings.

use std::path::Path;
use std::process::Output;

use crate::util::{json, text};
use ossperf_testkit::ossperf_sim::{CostModel, OutputLen, SimConfig, Timing};

/// Short runs over the bundled sample: no long minimum durations.
const FAST_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 1000
gpt-oss-120b.Server.min_duration = 1000
gpt-oss-120b.Server.ttft_latency = 400
gpt-oss-120b-interactive.Server.min_duration = 1000
";

fn tune(args: &[&str], dir: &Path, conf: &str) -> Output {
    crate::util::in_dir("tune", args, dir, conf)
        .output()
        .expect("run ossperf")
}

/// The value of `key` in a conf text (the last line wins, as in LoadGen).
fn conf_value(conf: &str, key: &str) -> Option<f64> {
    conf.lines()
        .rev()
        .filter_map(|l| {
            l.strip_prefix(key)?
                .trim()
                .strip_prefix('=')?
                .trim()
                .parse()
                .ok()
        })
        .next()
}

/// `x` to 4 significant digits, as tune rounds its rates.
fn round4(x: f64) -> f64 {
    let scale = 10f64.powi(3 - x.log10().floor() as i32);
    (x * scale).round() / scale
}

/// A server of 8 running requests whose every step costs 10 ms: 4-token answers take about
/// 50 ms, so it serves about 160 queries/s and queues beyond.
fn small_batched_server() -> SimConfig {
    SimConfig {
        timing: Timing::Batched(CostModel {
            base_us: 10_000.0,
            prefill_token_us: 0.0,
            decode_seq_us: 0.0,
            context_token_us: 0.0,
        }),
        max_running_requests: 8,
        output_len: OutputLen::Fixed(4),
        ..SimConfig::default()
    }
}

#[test]
fn a_server_search_from_a_measured_start_reports_its_highest_valid_probe_and_writes_every_output() {
    let sim = ossperf_testkit::sim_with(small_batched_server());
    let dir = ossperf_testkit::temp_dir();
    let url = sim.url();
    let args = [
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--max-concurrency",
        "16",
        "--max-time",
        "60s",
        "--precision",
        "50%",
        "--probe-overlatency",
        "0",
        "--no-confirm",
    ];
    let out = tune(&args, dir.path(), FAST_CONF);
    let tune_dir = dir.path().join("out/tune/server");
    let summary = json(&tune_dir.join("tune.json"));
    let runs = summary["runs"].as_array().expect("runs");
    assert!(runs.len() >= 2, "{}", text(&out));
    assert_eq!(summary["probe_queries"], 459);
    assert_eq!(runs[0]["kind"], "measure");
    let measured = runs[0]["samples_per_second"]
        .as_f64()
        .expect("a measured rate");
    assert_eq!(runs[1]["target_qps"].as_f64(), Some(round4(measured)));
    let runs = &runs[1..];
    for run in runs {
        assert_eq!(run["kind"], "probe");
        let results = json(&Path::new(run["dir"].as_str().unwrap()).join("results.json"));
        assert_eq!(results["scenario"], "Server");
        assert_eq!(results["verdict"]["valid"], run["valid"]);
        assert!(run["samples"].as_u64().unwrap() >= 459, "{run}");
    }
    let passed: Vec<f64> = runs
        .iter()
        .filter(|r| r["valid"] == true)
        .map(|r| r["target_qps"].as_f64().unwrap())
        .collect();
    let highest_pass = passed
        .iter()
        .copied()
        .fold(None, |m: Option<f64>, q| Some(m.map_or(q, |m| m.max(q))));
    assert_eq!(
        summary["found_qps"].as_f64(),
        highest_pass,
        "{}",
        text(&out)
    );
    let Some(found) = highest_pass else {
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        return;
    };
    assert!(out.status.success(), "{}", text(&out));
    let failed = summary["lowest_failed_qps"].as_f64();
    let bracketed = !summary["outcome"]
        .as_str()
        .unwrap()
        .starts_with("--max-time");
    if let (Some(failed), true) = (failed, bracketed) {
        assert!(failed > found && failed <= found * 1.5, "{}", text(&out));
    }
    assert!(tune_dir.join("report.html").is_file(), "{}", text(&out));
    let conf = std::fs::read_to_string(tune_dir.join("user.conf")).unwrap();
    assert_eq!(
        conf_value(&conf, "gpt-oss-120b.Server.target_qps"),
        Some(found)
    );
    assert!(
        conf.starts_with(FAST_CONF),
        "the user's lines come first:\n{conf}"
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), runs.len() + 2, "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&format!("found `gpt-oss-120b.Server.target_qps = {found}`")));
}

#[test]
fn an_offline_tune_writes_the_measured_rate_as_target_qps_and_confirms_it() {
    let dir = ossperf_testkit::temp_dir();
    let sim = ossperf_testkit::sim_with(small_batched_server());
    let url = sim.url();
    let args = [
        "--scenario",
        "offline",
        "--server-url",
        &url,
        "--max-concurrency",
        "8",
    ];
    let out = tune(&args, dir.path(), FAST_CONF);
    assert!(out.status.success(), "{}", text(&out));
    let tune_dir = dir.path().join("out/tune/offline");
    let summary = json(&tune_dir.join("tune.json"));
    let runs = summary["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 2, "{}", text(&out));
    assert_eq!(runs[0]["kind"], "measure");
    assert_eq!(runs[0]["samples"], 64);
    assert_eq!(runs[1]["kind"], "confirm");
    assert_eq!(runs[1]["valid"], true, "{}", text(&out));
    assert_eq!(summary["confirmed"], true);
    let found = summary["found_qps"].as_f64().expect("found_qps");
    let measured = runs[0]["samples_per_second"].as_f64().unwrap();
    assert!(
        found >= measured && found <= measured * 1.001,
        "{}",
        text(&out)
    );
    assert_eq!(runs[1]["target_qps"].as_f64(), Some(found));
    let conf = std::fs::read_to_string(tune_dir.join("user.conf")).unwrap();
    assert_eq!(
        conf_value(&conf, "gpt-oss-120b.Offline.target_qps"),
        Some(found)
    );
    for run in runs {
        let results = Path::new(run["dir"].as_str().unwrap()).join("results.json");
        assert_eq!(json(&results)["scenario"], "Offline");
    }
    // issue 17, item 7: the table's samples/s is LoadGen's, as each run's summary prints it.
    let stdout = String::from_utf8_lossy(&out.stdout);
    for (i, run) in runs.iter().enumerate() {
        let dir = Path::new(run["dir"].as_str().unwrap());
        let summary = std::fs::read_to_string(dir.join("mlperf_log_summary.txt")).unwrap();
        let printed = summary
            .lines()
            .find_map(|l| l.strip_prefix("Samples per second:"))
            .expect("LoadGen's samples per second")
            .trim()
            .to_string();
        let ours = run["loadgen_samples_per_second"].as_f64().unwrap();
        let theirs: f64 = printed.parse().unwrap();
        assert!(
            (ours - theirs).abs() <= theirs * 1e-5,
            "run {}: {ours} in tune.json, {printed} in the summary",
            i + 1
        );
        let row = stdout
            .lines()
            .chain(String::from_utf8_lossy(&out.stderr).lines())
            .find(|l| l.trim_start().starts_with(&format!("{}  ", i + 1)))
            .unwrap_or_else(|| panic!("no table row {}\n{}", i + 1, text(&out)))
            .to_string();
        let cells: Vec<&str> = row.split_whitespace().collect();
        let column = cells.len() - 3;
        assert_eq!(cells[column], printed, "{row}");
    }
}

// issue 17, item 2: a second search wrote over the first one's runs, tune.json and user.conf.
#[test]
fn a_second_search_gets_a_directory_of_its_own() {
    let dir = ossperf_testkit::temp_dir();
    let sim = ossperf_testkit::sim_with(small_batched_server());
    let url = sim.url();
    let args = [
        "--scenario",
        "offline",
        "--server-url",
        &url,
        "--no-confirm",
    ];
    let first = tune(&args, dir.path(), FAST_CONF);
    assert!(first.status.success(), "{}", text(&first));
    let tune_json = dir.path().join("out/tune/offline/tune.json");
    let before = std::fs::read(&tune_json).unwrap();
    let second = tune(&args, dir.path(), FAST_CONF);
    assert!(second.status.success(), "{}", text(&second));
    assert!(
        std::fs::read(&tune_json).unwrap() == before,
        "the first search is untouched"
    );
    assert!(dir.path().join("out/tune/offline-2/tune.json").is_file());
    assert!(dir.path().join("out/tune/offline-2/user.conf").is_file());
}

#[test]
fn a_conf_that_fixes_target_qps_is_said_aloud_and_becomes_the_start_of_an_interactive_search() {
    let dir = ossperf_testkit::temp_dir();
    let conf = format!("{FAST_CONF}gpt-oss-120b-interactive.Server.target_qps = 150\n");
    let out_conf = dir.path().join("tuned.conf");
    let args = [
        "--scenario",
        "interactive",
        "--sim-profile",
        "zero",
        "--sim-output-len",
        "4",
        "--max-qps",
        "150",
        "--max-time",
        "60s",
        "--no-confirm",
        "--output",
        out_conf.to_str().unwrap(),
    ];
    let out = tune(&args, dir.path(), &conf);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "user.conf` line 6 already sets `gpt-oss-120b-interactive.Server.target_qps = 150`; \
             tune searches anyway and starts from it"
        ),
        "{}",
        text(&out)
    );
    let summary = json(&dir.path().join("out/tune/interactive/tune.json"));
    assert_eq!(summary["runs"][0]["target_qps"], 150.0, "{}", text(&out));
    assert_eq!(summary["key"], "gpt-oss-120b-interactive.Server.target_qps");
    if let Some(found) = summary["found_qps"].as_f64() {
        let written = std::fs::read_to_string(&out_conf).unwrap();
        assert!(written.contains(
            "# (replaced by ossperf tune) gpt-oss-120b-interactive.Server.target_qps = 150\n"
        ));
        assert_eq!(
            conf_value(&written, "gpt-oss-120b-interactive.Server.target_qps"),
            Some(found)
        );
    }
}

/// A loopback URL where nothing listens.
fn dead_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

#[test]
fn an_unreachable_server_stops_the_search_before_any_load() {
    let dir = ossperf_testkit::temp_dir();
    let url = dead_url();
    let out = tune(
        &[
            "--scenario",
            "server",
            "--server-url",
            &url,
            "--start-qps",
            "5",
        ],
        dir.path(),
        FAST_CONF,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("the server is not ready; no load was sent"),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("out/tune/server/probe-01").exists());
}

#[test]
fn a_max_time_too_short_for_one_probe_is_refused_before_connecting() {
    let dir = ossperf_testkit::temp_dir();
    let url = dead_url();
    let args = [
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--start-qps",
        "10",
        "--max-time",
        "20s",
    ];
    let out = tune(&args, dir.path(), FAST_CONF);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "`--max-time 20s` is too short for even one probe: a probe at `10` queries/s \
             issues `679` queries over `"
        ),
        "{}",
        text(&out)
    );
    assert!(stderr.contains("no load was sent"), "{}", text(&out));
    assert!(!stderr.contains("not ready"), "{}", text(&out));
}

#[test]
fn tune_refuses_accuracy_mode() {
    let dir = ossperf_testkit::temp_dir();
    let out = tune(
        &["--scenario", "server", "--accuracy"],
        dir.path(),
        FAST_CONF,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("`ossperf tune` searches performance runs; drop `--accuracy`"),
        "{}",
        text(&out)
    );
}

/// With the library built in, `official::tune_under_the_official_loadgen_...` runs the search.
#[test]
fn a_build_without_the_official_loadgen_refuses_to_tune_with_it_before_any_load() {
    if ossperf_loadgen_official::version().is_some() {
        return;
    }
    let dir = ossperf_testkit::temp_dir();
    let out = tune(
        &["--scenario", "server", "--loadgen", "official"],
        dir.path(),
        FAST_CONF,
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: this ossperf was built without the official LoadGen: build it with \
         `MLPERF_LOADGEN_SRC=<loadgen sources> cargo build --release --features official-loadgen` \
         (README, \"The official LoadGen\")\n"
    );
    assert!(!dir.path().join("out").exists());
}

/// Issue #11's acceptance check, too slow for CI (an hour or more): against the H100 profile,
/// the found rate's full-length run (the confirmation, mlperf.conf's 600 s) is VALID and a
/// full-length run one precision step above it is INVALID.
#[test]
#[ignore = "runs the H100 profile at full length for an hour or more"]
fn against_the_h100_profile_the_found_rate_is_within_the_precision_of_the_full_length_peak() {
    let dir = ossperf_testkit::temp_dir();
    let conf = "gpt-oss-120b.*.performance_sample_count_override = 0\n";
    let args = [
        "--scenario",
        "server",
        "--sim-profile",
        "h100",
        "--precision",
        "5%",
    ];
    let out = tune(&args, dir.path(), conf);
    assert!(out.status.success(), "{}", text(&out));
    let summary = json(&dir.path().join("out/tune/server/tune.json"));
    assert_eq!(summary["confirmed"], true, "{}", text(&out));
    let found = summary["found_qps"].as_f64().expect("found_qps");
    let above = format!("{conf}gpt-oss-120b.Server.target_qps = {}\n", found * 1.05);
    let above_conf = dir.path().join("above.conf");
    std::fs::write(&above_conf, above).unwrap();
    let run = crate::util::ossperf()
        .args([
            "run",
            "--scenario",
            "server",
            "--sim-profile",
            "h100",
            "--user-conf",
        ])
        .arg(&above_conf)
        .arg("--output-dir")
        .arg(dir.path().join("above"))
        .output()
        .expect("run ossperf");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(stdout.contains("Result is : INVALID"), "{}", text(&run));
}
