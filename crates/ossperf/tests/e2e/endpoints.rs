//! Many endpoints end to end: `--endpoints-file`, one of three simulators stopping mid-run,
//! per-endpoint figures in the summary and `results.json`, and the servers' own `/metrics`
//! scraped into `results.json`.

use std::path::Path;
use std::process::Output;

use crate::util::text;
use serde_json::Value;

/// A Server run of 60 queries at 100 per second over the QSL's own sample count.
const CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.Server.min_duration = 0
gpt-oss-120b.Server.min_query_count = 60
gpt-oss-120b.Server.target_qps = 100
";

fn run(dir: &Path, args: &[&str]) -> Output {
    let all: Vec<&str> = ["--scenario", "server", "--max-samples", "20"]
        .into_iter()
        .chain(args.iter().copied())
        .collect();
    crate::util::in_dir("run", &all, dir, CONF)
        .output()
        .unwrap()
}

fn results(dir: &Path) -> Value {
    let path = dir.join("out/server/performance/results.json");
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

fn count(v: &Value, field: &str) -> u64 {
    v[field]
        .as_u64()
        .unwrap_or_else(|| panic!("no `{field}` in {v}"))
}

#[test]
fn a_run_where_one_of_three_servers_stops_completes_on_the_other_two_and_says_so() {
    let a = ossperf_testkit::sim();
    let b = ossperf_testkit::sim();
    let mut config = ossperf_testkit::zero_config(16);
    // Five of the run's requests after the start-up generation.
    config.faults.exit_after = Some(6);
    let stopping = ossperf_testkit::sim_with(config);
    let dir = ossperf_testkit::temp_dir();
    let file = dir.path().join("endpoints.txt");
    let listing = format!(
        "# replicas\n{}\n\n{}  # stops after 5\n",
        b.url(),
        stopping.url()
    );
    std::fs::write(&file, listing).unwrap();
    let out = run(
        dir.path(),
        &[
            "--server-url",
            &a.url(),
            "--endpoints-file",
            file.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let results = results(dir.path());
    let endpoints = results["endpoints"].as_array().unwrap();
    let urls: Vec<&str> = endpoints
        .iter()
        .map(|e| e["url"].as_str().unwrap())
        .collect();
    assert_eq!(urls, [a.url(), b.url(), stopping.url()]);
    let requests = results["requests"].as_array().unwrap();
    assert_eq!(requests.len(), 60);
    assert!(
        requests.iter().all(|r| r["error"].is_null()),
        "{}",
        text(&out)
    );
    let completed: Vec<u64> = endpoints.iter().map(|e| count(e, "completed")).collect();
    assert_eq!(completed.iter().sum::<u64>(), 60);
    for (i, e) in endpoints.iter().enumerate() {
        let here = requests.iter().filter(|r| r["endpoint"] == i).count() as u64;
        assert_eq!(here, completed[i], "endpoint {i}: records and counts agree");
        assert_eq!(count(e, "failed"), 0);
        assert_eq!(e["healthy"], true);
    }
    let third = &endpoints[2];
    assert_eq!(
        completed[2],
        ossperf_testkit::served_load(&stopping).len() as u64
    );
    assert!(completed[2] >= 5, "{third}");
    assert_eq!(third["down"], true, "{third}");
    assert!(count(third, "retried_away") >= 3, "{third}");
    assert!(count(third, "connect_failures") >= 3, "{third}");
    assert_eq!(endpoints[0]["down"], false);
    assert_eq!(count(&endpoints[0], "retried_away"), 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = format!(
        "  [2] {}: sent {}, completed {}, failed 0, retried elsewhere {}, {} output tokens; \
         DOWN at the end: {} connection(s) could not be made; its requests went to the others",
        stopping.url(),
        count(third, "sent"),
        completed[2],
        count(third, "retried_away"),
        count(third, "output_tokens"),
        count(third, "connect_failures"),
    );
    assert!(stdout.contains("\nPer endpoint:\n"), "{}", text(&out));
    assert!(stdout.contains(&line), "{line}\n{}", text(&out));
    assert_eq!(count(third, "output_tokens"), 16 * completed[2]);
}

#[test]
fn the_servers_metrics_are_scraped_into_results_json() {
    let sim = ossperf_testkit::sim();
    let dir = ossperf_testkit::temp_dir();
    let out = run(dir.path(), &["--server-url", &sim.url()]);
    assert!(out.status.success(), "{}", text(&out));
    let results = results(dir.path());
    let series = results["server_metrics"].as_array().unwrap();
    let names: Vec<&str> = series.iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "sglang:gen_throughput",
            "sglang:num_queue_reqs",
            "sglang:num_running_reqs",
            "sglang:token_usage",
        ]
    );
    for s in series {
        assert_eq!(s["endpoint"], 0);
        let points = s["points"].as_array().unwrap();
        assert!(points.len() >= 2, "a first and a last sample: {s}");
        let times: Vec<u64> = points.iter().map(|p| p["t_ns"].as_u64().unwrap()).collect();
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "in time order: {s}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        !stdout.contains("Per endpoint:"),
        "one healthy endpoint needs no table"
    );
}

#[test]
fn a_bad_line_in_the_endpoints_file_is_named_with_its_line_number() {
    let dir = ossperf_testkit::temp_dir();
    let file = dir.path().join("endpoints.txt");
    std::fs::write(&file, "http://127.0.0.1:1\nftp://127.0.0.1:2\n").unwrap();
    let out = run(dir.path(), &["--endpoints-file", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(&format!("invalid `--endpoints-file` `{}`", file.display())),
        "{}",
        text(&out)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains(":2: `ftp://127.0.0.1:2`: scheme `ftp` is not supported"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_endpoint_that_fails_the_health_check_is_left_out_and_reported() {
    let sim = ossperf_testkit::sim();
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    let dir = ossperf_testkit::temp_dir();
    let out = run(
        dir.path(),
        &["--server-url", &sim.url(), "--server-url", &closed],
    );
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("warning: endpoint 1 is left out of the run"),
        "{}",
        text(&out)
    );
    let results = results(dir.path());
    let left_out = &results["endpoints"][1];
    assert_eq!(left_out["healthy"], false);
    assert_eq!(count(left_out, "sent"), 0);
    assert_eq!(count(&results["endpoints"][0], "completed"), 60);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = format!(
        "  [1] {closed}: sent 0, completed 0, failed 0, retried elsewhere 0, 0 output tokens; \
         left out: failed the start-up health check"
    );
    assert!(stdout.contains(&line), "{line}\n{}", text(&out));
}
