//! `ossperf sweep` end to end, against a small simulated server over loopback: an automatic
//! sweep that stops at saturation on its own, a listed sweep's table, `results.json` and
//! report, a concurrency sweep's labels, and the report in headless Chromium. Assertions are
//! about structure (columns, order, verdict marks, stop reason), never about timings.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ossperf::report::sweep::SweepResults;
use ossperf_testkit::ossperf_sim::{CostModel, OutputLen, SimConfig, Timing};

use crate::util::text;

/// Short points judged at p90 (so 100 queries can pass early stopping) under limits the small
/// server meets at any load: only the throughput ends an automatic sweep.
const CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.Server.min_duration = 1000
gpt-oss-120b.Server.min_query_count = 100
gpt-oss-120b.Server.target_latency_percentile = 90
gpt-oss-120b.Server.ttft_latency = 60000
gpt-oss-120b.Server.tpot_latency = 1000
";

/// The table's two header lines of a rate sweep with `--gpus`, exactly.
pub const HEADER: [&str; 2] = [
    "             requests/s       tok/s         TTFT s       TPOT ms",
    " #     qps   done   good    /GPU  /user    p50    p99    p50    p99  MLPerf",
];

/// The widest line the table may print.
pub const TABLE_WIDTH: usize = 80;

/// The cells of a table row.
pub fn cells(row: &str) -> Vec<&str> {
    row.split(' ').filter(|c| !c.is_empty()).collect()
}

/// Asserts that `cell` shows `value` as the table does: at most 5 characters, rounded to the
/// digits it shows.
#[track_caller]
pub fn assert_shows(cell: &str, value: f64, row: &str) {
    assert!(cell.len() <= 5, "`{cell}` is over 5 characters: {row}");
    let decimals = cell.split_once('.').map_or(0, |(_, d)| d.len());
    let shown: f64 = cell.parse().unwrap_or_else(|_| panic!("`{cell}`: {row}"));
    let half = 0.5 * 10f64.powi(-(decimals as i32));
    assert!(
        (shown - value).abs() <= half + 1e-9,
        "`{cell}` does not show {value}: {row}"
    );
}

/// 8 running requests, 10 ms a step, 4-token answers: about 160 queries/s at most.
fn small_server() -> SimConfig {
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

fn sweep(args: &[&str], dir: &Path) -> Output {
    crate::util::in_dir("sweep", args, dir, CONF)
        .output()
        .expect("run ossperf")
}

fn results(dir: &Path) -> SweepResults {
    let text = std::fs::read_to_string(dir.join("results.json")).expect("results.json");
    serde_json::from_str(&text).expect("the sweep's results.json parses into its typed model")
}

/// The `<svg>` element whose `aria-label` is `title`.
fn svg<'a>(html: &'a str, title: &str) -> &'a str {
    let at = html
        .find(&format!("aria-label=\"{title}\""))
        .unwrap_or_else(|| panic!("no chart `{title}`"));
    let start = html[..at].rfind("<svg").unwrap();
    let end = at + html[at..].find("</svg>").unwrap();
    &html[start..end]
}

#[test]
fn an_automatic_rate_sweep_grows_the_load_until_throughput_stops_rising_and_says_why() {
    let sim = ossperf_testkit::sim_with(small_server());
    let dir = ossperf_testkit::temp_dir();
    let url = sim.url();
    let args = [
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--rates",
        "auto",
        "--start",
        "40",
        "--point-duration",
        "1s",
        "--max-points",
        "9",
    ];
    let out = sweep(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let sweep_dir = dir.path().join("out/sweep/server-rate");
    let r = results(&sweep_dir);
    assert_eq!(
        r.stop_reason,
        "throughput saturated: 2 points in a row raised output tokens/s by less than 5 %",
        "{}",
        text(&out)
    );
    assert!(r.auto);
    let loads: Vec<f64> = r.points.iter().filter_map(|p| p.target_qps).collect();
    assert_eq!(loads[..4], [40.0, 80.0, 160.0, 320.0], "{}", text(&out));
    assert!(loads.windows(2).all(|w| w[1] == w[0] * 2.0), "{loads:?}");
    assert!(r.points.len() < 9, "stopped before the cap: {loads:?}");
    // The last two points gained less than 5 % over the best before them.
    let best = r.points[..r.points.len() - 2]
        .iter()
        .map(|p| p.output_tokens_per_s)
        .fold(0.0, f64::max);
    for p in &r.points[r.points.len() - 2..] {
        assert!(p.output_tokens_per_s < best * 1.05, "{}", text(&out));
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "stopped: throughput saturated: 2 points in a row raised output tokens/s by less than 5 %"
        ),
        "{stderr}"
    );
}

#[test]
fn a_listed_rate_sweep_prints_an_80_column_table_writes_results_json_and_marks_valid_points_on_the_frontier(
) {
    let sim = ossperf_testkit::sim_with(small_server());
    let dir = ossperf_testkit::temp_dir();
    let url = sim.url();
    let args = [
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--rates",
        "20,50",
        "--point-duration",
        "1s",
        "--gpus",
        "2",
    ];
    let out = sweep(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let sweep_dir = dir.path().join("out/sweep/server-rate");
    let r = results(&sweep_dir);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert_eq!(lines[..2], HEADER);
    for (line, p) in lines[2..].iter().zip(&r.points) {
        assert!(line.chars().count() <= TABLE_WIDTH, "{line}");
        let cells = cells(line);
        assert_eq!(cells.len(), 11, "{line}");
        assert_eq!(cells[0], p.index.to_string());
        assert_eq!(cells[1], format!("{}", p.target_qps.unwrap()));
        // Each figure as results.json has it, in fewer digits: completed and good
        // requests/s, output tokens/s per GPU, tokens/s per user, TTFT (s), TPOT (ms).
        assert_shows(cells[2], p.requests_per_s, line);
        assert_shows(cells[3], p.goodput_rps, line);
        assert_shows(cells[4], p.output_tokens_per_s_per_gpu.unwrap(), line);
        assert_shows(cells[5], p.tokens_per_s_per_user.unwrap(), line);
        assert_shows(cells[6], p.ttft_p50_ms.unwrap() / 1e3, line);
        assert_shows(cells[7], p.ttft_p99_ms.unwrap() / 1e3, line);
        assert_shows(cells[8], p.tpot_p50_ms.unwrap(), line);
        assert_shows(cells[9], p.tpot_p99_ms.unwrap(), line);
        assert_eq!(cells[10], "VALID", "{line}");
        // Every answer has 4 tokens: tokens/s is 4 × requests/s, and per GPU half of it.
        assert!((p.output_tokens_per_s - 4.0 * p.requests_per_s).abs() < 1e-6);
        assert!(
            (p.output_tokens_per_s_per_gpu.unwrap() - p.output_tokens_per_s / 2.0).abs() < 1e-9
        );
    }
    // A one-second point on the bundled sample: VALID, but never submittable (said on stderr,
    // kept in results.json and the report).
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.matches("is VALID but not submittable").count(),
        2,
        "{stderr}"
    );

    assert_eq!(
        (r.kind.as_str(), r.axis.as_str(), r.scenario.as_str()),
        ("sweep", "rate", "Server")
    );
    // A server of its own, not the built-in simulator.
    assert!(!r.auto && !r.simulated);
    assert_eq!(r.gpus, Some(2));
    assert_eq!(r.point_duration_s, 1.0);
    assert_eq!(r.limits.ttft_ns, 60_000_000_000);
    assert_eq!(r.limits.tpot_ns, 1_000_000_000);
    assert_eq!(r.stop_reason, "every listed load measured (2 points)");
    for (p, qps) in r.points.iter().zip([20.0, 50.0]) {
        assert_eq!(p.target_qps, Some(qps));
        assert_eq!(p.concurrency, None);
        assert_eq!(p.valid, Some(true));
        assert_eq!(p.submittable, Some(false));
        assert!(p.requests >= 100, "min_query_count: {p:?}");
        assert_eq!(p.failed, 0);
        // Within limits this wide, every completed request is good.
        assert_eq!(p.goodput_rps, p.requests_per_s);
        assert!(p.tokens_per_s_per_user.is_some());
        // Each point keeps its own run, with LoadGen's logs and its own results.json.
        assert_eq!(p.dir, sweep_dir.join(format!("point-{:02}", p.index)));
        assert!(p.dir.join("mlperf_log_summary.txt").is_file());
        let own = crate::util::json(&p.dir.join("results.json"));
        assert_eq!(own["verdict"]["valid"], true);
    }

    let html = std::fs::read_to_string(sweep_dir.join("report.html")).unwrap();
    let frontier = svg(&html, "Frontier: throughput against interactivity");
    assert!(
        frontier.contains("tokens/s per user (1 / TPOT p50)"),
        "{frontier}"
    );
    assert!(frontier.contains("output tokens/s per GPU"), "{frontier}");
    assert_eq!(
        frontier.matches("class=\"point valid\"").count(),
        2,
        "{frontier}"
    );
    assert_eq!(frontier.matches("class=\"point invalid\"").count(), 0);
    assert!(frontier.contains("data-points=\"2\""), "{frontier}");
    for title in [
        "Goodput against load",
        "TTFT against load (limit 60 s)",
        "TPOT against load (limit 1 s)",
    ] {
        assert_eq!(
            svg(&html, title).matches("class=\"point valid\"").count(),
            2
        );
    }

    // A second sweep never overwrites the first.
    let again = sweep(&args, dir.path());
    assert!(again.status.success(), "{}", text(&again));
    assert!(dir
        .path()
        .join("out/sweep/server-rate-2/results.json")
        .is_file());
    assert_eq!(results(&sweep_dir), r);
}

#[test]
fn a_concurrency_sweep_is_labelled_not_an_mlperf_scenario_and_has_no_verdict() {
    let sim = ossperf_testkit::sim_with(small_server());
    let dir = ossperf_testkit::temp_dir();
    let url = sim.url();
    let args = [
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--concurrency",
        "1,4",
        "--point-duration",
        "1s",
        "--warmup",
        "2",
        "--salt-prompts",
    ];
    let out = sweep(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let r = results(&dir.path().join("out/sweep/server-concurrency"));
    assert_eq!(r.axis, "concurrency");
    let streams: Vec<Option<u32>> = r.points.iter().map(|p| p.concurrency).collect();
    assert_eq!(streams, [Some(1), Some(4)]);
    for p in &r.points {
        assert_eq!(p.scenario, "not an MLPerf scenario");
        assert_eq!((p.valid, p.submittable, p.target_qps), (None, None, None));
        assert_eq!(p.why, "");
        assert!(p.ttft_p50_ms.is_some() && p.tpot_p50_ms.is_some(), "{p:?}");
        // The point's directory holds its records: a closed loop never has more than N
        // requests in flight, and each TTFT counts from the send.
        let text = std::fs::read_to_string(p.dir.join("requests.jsonl")).unwrap();
        let records: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(records.len() as u64, p.requests);
        let mut events = Vec::new();
        for r in &records {
            assert_eq!(r["scheduled_ns"], r["issued_ns"], "{r}");
            assert!(r["error"].is_null(), "{r}");
            events.push((r["complete_ns"].as_u64().unwrap(), -1));
            events.push((r["issued_ns"].as_u64().unwrap(), 1));
        }
        events.sort_unstable();
        let peak = events
            .iter()
            .scan(0i64, |n, (_, d)| {
                *n += d;
                Some(*n)
            })
            .max()
            .unwrap();
        assert_eq!(peak, i64::from(p.concurrency.unwrap()), "in flight at most");
    }
    // A second of 4 streams of 50 ms answers: far more than 4 requests.
    assert!(r.points[1].requests >= 16, "{:?}", r.points[1]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    // Without `--gpus` the first tokens/s column is the whole system's.
    assert_eq!(lines[0], HEADER[0]);
    assert_eq!(
        lines[1],
        " #    conc   done   good   total  /user    p50    p99    p50    p99  MLPerf"
    );
    for (row, (index, load)) in lines[2..].iter().zip([("1", "1"), ("2", "4")]) {
        let cells = cells(row);
        assert_eq!(cells.len(), 11, "{row}");
        assert_eq!(
            (cells[0], cells[1], cells[10]),
            (index, load, "n/a"),
            "{row}"
        );
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("point  1: 1 streams for 1 s, then the drain (not an MLPerf scenario)"),
        "{stderr}"
    );
    // Each closed loop warms up as a run does, outside its records.
    assert_eq!(
        stderr
            .matches("warm-up: 2 requests (dataset rows 0-1) in ")
            .count(),
        2,
        "{stderr}"
    );
}

#[test]
fn an_automatic_concurrency_sweep_doubles_the_streams_until_the_servers_batch_is_full() {
    let sim = ossperf_testkit::sim_with(small_server());
    let dir = ossperf_testkit::temp_dir();
    let url = sim.url();
    let args = [
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--concurrency",
        "auto",
        "--point-duration",
        "1s",
    ];
    let out = sweep(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let r = results(&dir.path().join("out/sweep/server-concurrency"));
    assert!(r.auto);
    let streams: Vec<u32> = r.points.iter().filter_map(|p| p.concurrency).collect();
    // The server runs 8 requests at once: past 8 streams, throughput stops rising.
    assert_eq!(streams[..4], [1, 2, 4, 8], "{}", text(&out));
    assert!(streams.windows(2).all(|w| w[1] == w[0] * 2), "{streams:?}");
    assert!(*streams.last().unwrap() >= 16, "{streams:?}");
    assert_eq!(
        r.stop_reason,
        "throughput saturated: 2 points in a row raised output tokens/s by less than 5 %",
        "{}",
        text(&out)
    );
}

#[test]
fn an_offline_sweep_and_a_sweep_without_an_axis_are_refused_before_any_load() {
    let dir = ossperf_testkit::temp_dir();
    let out = sweep(&["--rates", "auto"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: `ossperf sweep` measures loads against the Server or Interactive latency \
         limits; add `--scenario server` or `--scenario interactive` (a concurrency sweep uses \
         that scenario's limits for goodput)\n"
    );
    assert!(!dir.path().join("out").exists());
    let out = sweep(&["--scenario", "server"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with(
            "error: the following required arguments were not provided:\n  <--rates <auto|QPS,...>|--concurrency <auto|N,...>>"
        ),
        "{stderr}"
    );
    let out = sweep(
        &["--scenario", "server", "--concurrency", "2,x"],
        dir.path(),
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "`x` in `2,x` is not a whole number of streams above zero; expected `auto` or a list like `1,2,4`"
        ),
        "{stderr}"
    );
}

/// The sweep's own flags in `ossperf sweep -h`.
const SWEEP_HELP: &str = "\
Sweep:
      --rates <auto|QPS,...>       Sweep over Server rates: `auto`, or queries/s as a list
                                   (`1,2,4.5`); each point is a LoadGen Server (or Interactive) run
      --concurrency <auto|N,...>   Sweep over concurrencies: `auto`, or streams as a list (`1,2,4`);
                                   each point is a closed loop of N streams, not an MLPerf scenario
      --point-duration <DURATION>  Shortest time each point issues load (`30s`, `2m`); a rate point
                                   also issues at least the conf's min_query_count [default: the
                                   conf's min_duration]
      --gpus <N>                   GPUs serving the model, for throughput per GPU
      --start <LOAD>               First load of an automatic sweep (queries/s, or streams)
                                   [default: 1]
      --growth <F>                 Factor between the loads of an automatic sweep [default: 2]
      --max-points <N>             Most points an automatic sweep makes before it stops without
                                   saturation [default: 12]
";

#[test]
fn sweep_help_lists_its_own_flags_with_their_defaults() {
    let out = crate::util::ossperf()
        .args(["sweep", "-h"])
        .output()
        .expect("run ossperf");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    let own = &help[help.find("Sweep:\n").expect("a Sweep section")..];
    assert_eq!(own, SWEEP_HELP);
}

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(profile: &Path, extra: &[&str], url: &str) -> Output {
    Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

#[test]
fn the_sweep_report_draws_its_frontier_in_chromium() {
    if !Path::new(CHROMIUM).exists() {
        println!("skipped: `{CHROMIUM}` is absent (apt-get install chromium)");
        return;
    }
    let sim = ossperf_testkit::sim_with(small_server());
    let dir = ossperf_testkit::temp_dir();
    let url = sim.url();
    let args = [
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--rates",
        "20,50",
        "--point-duration",
        "1s",
    ];
    let out = sweep(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let report: PathBuf = dir.path().join("out/sweep/server-rate/report.html");
    let page = format!("file://{}", report.display());
    let profile = tempfile::tempdir().unwrap();
    let dumped = chromium(profile.path(), &["--dump-dom"], &page);
    let dom = String::from_utf8_lossy(&dumped.stdout);
    let html_tag = dom.find("<html").unwrap_or(0);
    let head = &dom[html_tag..html_tag + dom[html_tag..].find('>').unwrap_or(0)];
    assert!(
        head.contains("data-load-ms"),
        "the page did not load:\n{dom:.400}"
    );
    assert!(!head.contains("data-errors"), "script errors: {head}");
    assert!(head.contains("data-charts=\"4\""), "{head}");
    assert!(head.contains("data-empty-charts=\"0\""), "{head}");
    // The browser's DOM holds the frontier with its line and both VALID marks.
    let frontier = svg(&dom, "Frontier: throughput against interactivity");
    assert!(frontier.contains("<path d=\"M"), "{frontier}");
    assert_eq!(
        frontier.matches("class=\"point valid\"").count(),
        2,
        "{frontier}"
    );

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("sweep-report.png");
    let profile = tempfile::tempdir().unwrap();
    let screenshot = format!("--screenshot={}", shot.display());
    let taken = chromium(
        profile.path(),
        &[&screenshot, "--window-size=1400,1600"],
        &page,
    );
    assert!(
        taken.status.success(),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    assert!(std::fs::metadata(&shot)
        .map(|m| m.len() > 10_000)
        .unwrap_or(false));
    println!("screenshot: {}", shot.display());
}

#[test]
fn a_closed_loop_whose_server_goes_away_stops_after_abandon_after_with_its_failures_recorded() {
    let mut config = small_server();
    // The start-up generation and a few of the loop's requests, then the server is gone.
    config.faults.exit_after = Some(6);
    let sim = ossperf_testkit::sim_with(config);
    let dir = ossperf_testkit::temp_dir();
    let url = sim.url();
    let args = [
        "--scenario",
        "server",
        "--server-url",
        &url,
        "--concurrency",
        "2",
        "--point-duration",
        "10m",
        "--abandon-after",
        "1",
    ];
    let out = sweep(&args, dir.path());
    assert!(out.status.success(), "{}", text(&out));
    let r = results(&dir.path().join("out/sweep/server-concurrency"));
    let p = &r.points[0];
    assert!(p.failed > 0 && p.failed < p.requests, "{p:?}");
    let text = std::fs::read_to_string(p.dir.join("requests.jsonl")).unwrap();
    let records: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(records[0]["error"].is_null(), "{}", records[0]);
    assert!(records.last().unwrap()["error"].is_object());
}
