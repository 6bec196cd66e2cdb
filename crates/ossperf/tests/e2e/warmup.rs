//! `--warmup`, `--salt-prompts` and `--telemetry` end to end (issue 24, items 3 and 4): the
//! real binary against the simulator, a recording OpenAI-compatible server and a fixed DCGM
//! exporter page, each a few lines of HTTP/1.1 on a loopback port.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use serde_json::Value;

use crate::util::{in_dir, json, text};

const FAST_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Server.min_duration = 0
gpt-oss-120b.Server.min_query_count = 40
gpt-oss-120b.Server.target_qps = 100
";

/// The samples LoadGen issued and logged: `generated_query_count` ×
/// `generated_samples_per_query` from `mlperf_log_detail.txt`.
fn logged_samples(log_dir: &Path) -> u64 {
    let detail = std::fs::read_to_string(log_dir.join("mlperf_log_detail.txt")).unwrap();
    let value = |key: &str| -> u64 {
        let needle = format!("\"key\": \"{key}\", \"value\": ");
        let at = detail.find(&needle).unwrap_or_else(|| panic!("no `{key}`")) + needle.len();
        detail[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    value("generated_query_count") * value("generated_samples_per_query")
}

#[test]
fn warm_up_requests_reach_the_server_but_neither_loadgens_logs_nor_its_figures() {
    let mut loadgens = vec!["native"];
    if ossperf_loadgen_official::version().is_some() {
        loadgens.push("official");
    } else {
        eprintln!("official LoadGen part skipped: built without --features official-loadgen");
    }
    for loadgen in loadgens {
        for scenario in ["offline", "server"] {
            let sim = ossperf_testkit::sim();
            let dir = ossperf_testkit::temp_dir();
            let args = [
                "--scenario",
                scenario,
                "--loadgen",
                loadgen,
                "--server-url",
                &sim.url(),
                "--max-samples",
                "10",
                "--warmup",
                "13",
            ];
            let out = in_dir("run", &args, dir.path(), FAST_CONF)
                .output()
                .unwrap();
            assert!(out.status.success(), "{}", text(&out));
            let stderr = ossperf_testkit::filter_times(&String::from_utf8_lossy(&out.stderr));
            assert!(
                stderr.contains(
                    "warm-up: 13 requests (dataset rows 0-9, wrapping) in [TIME]: 13 completed, \
                     0 failed, 832 output tokens; not timed, not logged to LoadGen\n"
                ),
                "{}",
                text(&out)
            );
            let stdout = ossperf_testkit::filter_times(&String::from_utf8_lossy(&out.stdout));
            assert!(
                stdout.contains(
                    "Note: 13 warm-up requests (13 completed, 0 failed) in [TIME] before the timed run, not in LoadGen's figures\n"
                ),
                "{}",
                text(&out)
            );
            let log_dir = dir.path().join("out").join(scenario).join("performance");
            let logged = logged_samples(&log_dir);
            // The server saw exactly the warm-up more than LoadGen issued and logged.
            assert_eq!(
                ossperf_testkit::served_load(&sim).len() as u64,
                logged + 13,
                "{loadgen} {scenario}"
            );
            let results = json(&log_dir.join("results.json"));
            assert_eq!(results["requests"].as_array().unwrap().len() as u64, logged);
            let warmup = &results["warmup"];
            assert_eq!(
                (
                    &warmup["requests"],
                    &warmup["completed"],
                    &warmup["failed"],
                    &warmup["output_tokens"],
                    &warmup["first_failure"]
                ),
                (
                    &Value::from(13),
                    &Value::from(13),
                    &Value::from(0),
                    &Value::from(13 * 64),
                    &Value::Null
                )
            );
            assert!(warmup["duration_ns"].as_u64().unwrap() > 0);
            // No log line of LoadGen's counts a warm-up request: the issued samples, the
            // endpoint counters and the records are the timed run's alone.
            assert_eq!(
                results["endpoints"][0]["sent"].as_u64().unwrap(),
                logged,
                "{loadgen} {scenario}"
            );
        }
    }
}

#[test]
fn an_accuracy_log_holds_each_sample_once_after_a_warm_up() {
    let sim = ossperf_testkit::sim();
    let dir = ossperf_testkit::temp_dir();
    let args = [
        "--accuracy",
        "--server-url",
        &sim.url(),
        "--max-samples",
        "10",
        "--warmup",
        "4",
    ];
    let out = in_dir("run", &args, dir.path(), FAST_CONF)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let log = json(
        &dir.path()
            .join("out/offline/accuracy/mlperf_log_accuracy.json"),
    );
    let mut indices: Vec<u64> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["qsl_idx"].as_u64().unwrap())
        .collect();
    indices.sort_unstable();
    assert_eq!(indices, (0..10).collect::<Vec<_>>());
    assert_eq!(ossperf_testkit::served_load(&sim).len(), 10 + 4);
}

/// A recording OpenAI-compatible server (a vLLM that returns token ids): every
/// `/v1/completions` prompt, in arrival order.
fn recording_server() -> (String, Arc<Mutex<Vec<Vec<u32>>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let prompts: Arc<Mutex<Vec<Vec<u32>>>> = Arc::default();
    let log = prompts.clone();
    std::thread::spawn(move || {
        for socket in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                serve(socket, |path, body| match path {
                    "/health" => (200, String::new()),
                    "/v1/models" => (
                        200,
                        r#"{"data":[{"id":"gpt-oss-120b","owned_by":"vllm"}]}"#.to_string(),
                    ),
                    "/v1/completions" => {
                        let request: Value = serde_json::from_slice(body).unwrap();
                        let prompt: Vec<u32> = request["prompt"]
                            .as_array()
                            .unwrap()
                            .iter()
                            .map(|id| id.as_u64().unwrap() as u32)
                            .collect();
                        log.lock().unwrap().push(prompt);
                        let answer = serde_json::json!({
                            "id": "cmpl-1",
                            "choices": [{"index": 0, "text": "", "finish_reason": "length",
                                         "token_ids": [17, 18, 19]}],
                            "usage": {"prompt_tokens": 1, "completion_tokens": 3},
                        });
                        (200, answer.to_string())
                    }
                    _ => (404, r#"{"detail":"Not Found"}"#.to_string()),
                })
            });
        }
    });
    (url, prompts)
}

/// Answers each request on a keep-alive connection with `route(path, body)`.
fn serve(socket: TcpStream, route: impl Fn(&str, &[u8]) -> (u16, String)) {
    let mut reader = BufReader::new(socket.try_clone().unwrap());
    let mut socket = socket;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or("").to_owned();
        let mut len = 0;
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((k, v)) = header.split_once(':') {
                if k.eq_ignore_ascii_case("content-length") {
                    len = v.trim().parse().unwrap();
                }
            }
        }
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let (status, answer) = route(&path, &body);
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        if socket.write_all(head.as_bytes()).is_err()
            || socket.write_all(answer.as_bytes()).is_err()
        {
            return;
        }
    }
}

/// Salt number `seq` (modulo 10¹²) as text: its digits in groups of three, lowest group first.
fn salt_text(seq: u64) -> String {
    let seq = seq % 1_000_000_000_000;
    (0..4)
        .map(|g| format!("{:03}", (seq / 1000u64.pow(g)) % 1000))
        .collect()
}

#[test]
fn salted_prompts_each_begin_with_their_own_salt_then_the_rendered_row() {
    let (url, prompts) = recording_server();
    let dir = ossperf_testkit::temp_dir();
    let args = [
        "--backend",
        "openai",
        "--server-url",
        &url,
        "--max-samples",
        "5",
        "--warmup",
        "3",
        "--salt-prompts",
    ];
    let out = in_dir("run", &args, dir.path(), FAST_CONF)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let sample = ossperf_dataset::bundled_sample().unwrap();
    let tokenizer = ossperf_harmony::tokenizer();
    // The start-up check's 3-token generation is not a dataset prompt.
    let seen: Vec<Vec<u32>> = prompts
        .lock()
        .unwrap()
        .iter()
        .filter(|p| p.len() != 3)
        .cloned()
        .collect();
    let log_dir = dir.path().join("out/offline/performance");
    let results = json(&log_dir.join("results.json"));
    let first = results["config"]["first_salt"].as_u64().unwrap();
    let total = logged_samples(&log_dir) + 3;
    assert_eq!(seen.len() as u64, total);
    let mut salts = Vec::new();
    for prompt in &seen {
        // Each prompt is a salt's four tokens, then one of the rows exactly as rendered; the
        // salts run on from `first_salt`.
        let seq = (0..total)
            .find(|&i| prompt.starts_with(&tokenizer.encode(&salt_text(first + i))))
            .unwrap_or_else(|| panic!("no salt at the start of {:?}", &prompt[..8]));
        let seq_number = (first + seq) % 1_000_000_000_000;
        let salt = tokenizer.encode(&salt_text(seq_number));
        assert_eq!(salt.len(), 4);
        let row = &prompt[4..];
        let rows: Vec<usize> = (0..5).filter(|&i| sample.tokens(i) == row).collect();
        assert_eq!(rows.len(), 1, "salt {seq}: the rest is one row");
        if seq < 3 {
            // The warm-up takes the first three salts and rows 0, 1, 2.
            assert_eq!(rows[0] as u64, seq);
        }
        salts.push(seq);
    }
    salts.sort_unstable();
    assert_eq!(salts, (0..total).collect::<Vec<_>>(), "each salt once");
    let firsts: std::collections::BTreeSet<u32> = seen.iter().map(|p| p[0]).collect();
    assert_eq!(firsts.len() as u64, total, "every first token differs");
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&format!(
            "Note: prompts salted (--salt-prompts, from salt {first}): each began with a unique 4-token salt, so no prefix cache served an earlier request's prompt\n"
        )),
        "{}",
        text(&out)
    );
}

#[test]
fn salting_is_refused_for_accuracy_runs_and_a_bad_telemetry_url_before_anything_is_sent() {
    let dir = ossperf_testkit::temp_dir();
    let out = in_dir(
        "run",
        &["--accuracy", "--salt-prompts"],
        dir.path(),
        FAST_CONF,
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: `--salt-prompts` changes what the model reads, so it is for performance runs only: leave it out of accuracy and compliance runs\n"
    );
    let out = in_dir(
        "run",
        &["--telemetry", "ftp://h:9400/metrics"],
        dir.path(),
        FAST_CONF,
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: invalid `--telemetry` `ftp://h:9400/metrics`: server URL `ftp://h:9400/metrics`: scheme `ftp` is not supported, use `http://` or `https://`\n"
    );
}

/// The DCGM exporter's page for two GPUs at a fixed 400 + 350 W (NVIDIA/dcgm-exporter's
/// default counters and labels).
const DCGM_PAGE: &str = "\
# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-0\",device=\"nvidia0\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"h\"} 400
DCGM_FI_DEV_POWER_USAGE{gpu=\"1\",UUID=\"GPU-1\",device=\"nvidia1\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"h\"} 350
# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-0\"} 100
DCGM_FI_DEV_GPU_UTIL{gpu=\"1\",UUID=\"GPU-1\"} 80
# HELP DCGM_FI_DEV_FB_USED Framebuffer memory used (in MiB).
# TYPE DCGM_FI_DEV_FB_USED gauge
DCGM_FI_DEV_FB_USED{gpu=\"0\",UUID=\"GPU-0\"} 71000
DCGM_FI_DEV_FB_USED{gpu=\"1\",UUID=\"GPU-1\"} 70500
";

/// A loopback exporter: `/metrics` is [`DCGM_PAGE`], `/html` a page with no metric.
fn exporter() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for socket in listener.incoming().flatten() {
            std::thread::spawn(move || {
                serve(socket, |path, _| match path {
                    "/metrics" => (200, DCGM_PAGE.to_string()),
                    "/html" => (200, "<html><body>a dashboard</body></html>".to_string()),
                    _ => (404, "not found".to_string()),
                })
            });
        }
    });
    url
}

#[test]
fn telemetry_lands_in_results_json_with_energy_from_the_fixed_power_and_bad_pages_only_warn() {
    let sim = ossperf_testkit::sim();
    let gpus = exporter();
    // A port that was free a moment ago: nothing listens there.
    let dead = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let html = format!("{gpus}/html");
    let dir = ossperf_testkit::temp_dir();
    let args = [
        "--server-url",
        &sim.url(),
        "--max-samples",
        "10",
        "--telemetry",
        &gpus,
        "--telemetry",
        &dead,
        "--telemetry",
        &html,
    ];
    let out = in_dir("run", &args, dir.path(), FAST_CONF)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let log_dir = dir.path().join("out/offline/performance");
    let results = json(&log_dir.join("results.json"));
    let telemetry = &results["telemetry"];
    let sources = telemetry["sources"].as_array().unwrap();
    assert_eq!(
        sources.iter().map(|s| s["url"].clone()).collect::<Vec<_>>(),
        vec![
            Value::from(format!("{gpus}/metrics")),
            Value::from(format!("{dead}/metrics")),
            Value::from(html.clone())
        ]
    );
    let scrapes = sources[0]["scrapes"].as_u64().unwrap();
    assert!(scrapes >= 2, "a sample at the start and one at the end");
    assert_eq!(sources[0]["failed_scrapes"], 0);
    assert_eq!(sources[0]["warning"], Value::Null);
    for bad in &sources[1..] {
        assert_eq!(bad["scrapes"], 0);
        assert_eq!(bad["failed_scrapes"].as_u64().unwrap(), scrapes);
    }
    let dead_reason =
        format!("{dead} is unreachable: cannot connect: Connection refused (os error 111)");
    let html_reason = "the page has none of the known metrics (DCGM_FI_DEV_POWER_USAGE, ...); is it a Prometheus exporter's?";
    assert_eq!(sources[1]["warning"], dead_reason.as_str());
    assert_eq!(sources[2]["warning"], html_reason);
    let stderr = String::from_utf8_lossy(&out.stderr);
    for (url, reason) in [
        (format!("{dead}/metrics"), dead_reason.as_str()),
        (html.clone(), html_reason),
    ] {
        // Once when it first fails, once after the run with the count.
        for line in [
            format!("warning: telemetry `{url}`: {reason}; still trying once a second, the run goes on\n"),
            format!("warning: telemetry `{url}`: {reason} ({scrapes} of {scrapes} scrapes failed; the run goes on without them)\n"),
        ] {
            assert!(stderr.contains(&line), "{line}\n{}", text(&out));
        }
    }
    // Each series, its exact values: power and memory summed over the two GPUs, utilisation
    // averaged.
    let series = telemetry["series"].as_array().unwrap();
    let expected = [
        ("DCGM_FI_DEV_FB_USED", "MiB", "sum", 141_500.0),
        ("DCGM_FI_DEV_GPU_UTIL", "%", "mean", 90.0),
        ("DCGM_FI_DEV_POWER_USAGE", "W", "sum", 750.0),
    ];
    assert_eq!(series.len(), expected.len());
    for (s, (name, unit, combined, value)) in series.iter().zip(expected) {
        assert_eq!(
            (
                s["name"].as_str(),
                s["unit"].as_str(),
                s["combined"].as_str()
            ),
            (Some(name), Some(unit), Some(combined))
        );
        assert_eq!(
            (s["source"].as_u64(), s["label_sets"].as_u64()),
            (Some(0), Some(2))
        );
        let points = s["points"].as_array().unwrap();
        assert_eq!(points.len() as u64, scrapes);
        assert!(points.iter().all(|p| p["value"].as_f64() == Some(value)));
    }
    // Energy: 750 W over the span the samples cover; tokens per joule from it exactly.
    let times: Vec<u64> = series[2]["points"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["t_ns"].as_u64().unwrap())
        .collect();
    let joules: f64 = times
        .windows(2)
        .map(|w| (750.0 + 750.0) / 2.0 * (w[1] - w[0]) as f64 / 1e9)
        .sum();
    let span_ns = times[times.len() - 1] - times[0];
    let tokens: u64 = results["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["output_tokens"].as_u64().unwrap())
        .sum();
    assert_eq!(tokens, logged_samples(&log_dir) * 64);
    let energy = &telemetry["energy"];
    assert_eq!(energy["from"], "telemetry");
    assert_eq!(energy["metric"], "DCGM_FI_DEV_POWER_USAGE");
    assert_eq!(energy["span_ns"].as_u64(), Some(span_ns));
    assert_eq!(energy["joules"].as_f64(), Some(joules));
    assert_eq!(energy["output_tokens"].as_u64(), Some(tokens));
    assert_eq!(
        energy["output_tokens_per_joule"].as_f64(),
        Some(tokens as f64 / joules)
    );
    let per_joule = tokens as f64 / (750.0 * span_ns as f64 / 1e9);
    assert!((energy["output_tokens_per_joule"].as_f64().unwrap() / per_joule - 1.0).abs() < 1e-12);
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("Note: energy (from telemetry, DCGM_FI_DEV_POWER_USAGE): "));
    let report = std::fs::read_to_string(log_dir.join("report.html")).unwrap();
    for needle in [
        "Telemetry (from --telemetry exporters, not measured by ossperf)",
        "DCGM_FI_DEV_POWER_USAGE (W)",
        "DCGM_FI_DEV_GPU_UTIL (%)",
        "energy (from telemetry, DCGM_FI_DEV_POWER_USAGE)",
    ] {
        assert!(report.contains(needle), "report.html lacks `{needle}`");
    }
}
