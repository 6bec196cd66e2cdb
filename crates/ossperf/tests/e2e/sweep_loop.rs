//! A sweep's concurrency points (closed loops outside LoadGen) end to end: Ctrl-C ends the
//! point in progress as it ends a run, and the points' answers are followed through their
//! harmony channels as a run's are. The signal is sent once the simulator has answered a few
//! of the loop's requests; no assertion depends on a timing.

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use ossperf::report::sweep::SweepResults;
use ossperf_testkit::ossperf_sim::{OutputLen, Personality, SimConfig, Timing};
use serde_json::Value;

use crate::faults::{finish, HANG};
use crate::sweep::{cells, HEADER, TABLE_WIDTH};
use crate::util::text;

/// Points long enough to be interrupted; the limits are the sweep tests' own.
const CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.Server.ttft_latency = 60000
gpt-oss-120b.Server.tpot_latency = 1000
";

fn spawn_sweep(args: &[&str], dir: &Path) -> Child {
    crate::util::in_dir("sweep", args, dir, CONF)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ossperf")
}

fn results(dir: &Path) -> SweepResults {
    let text = std::fs::read_to_string(dir.join("results.json")).expect("results.json");
    serde_json::from_str(&text).expect("the sweep's results.json parses into its typed model")
}

fn records(dir: &Path) -> Vec<Value> {
    std::fs::read_to_string(dir.join("requests.jsonl"))
        .expect("requests.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON record"))
        .collect()
}

/// A sweep with `axis` against a simulator of half-second answers (so requests are in flight
/// when the signal comes), sent SIGINT once the simulator has answered 4 of its requests.
fn interrupted_sweep(
    axis: &[&str],
) -> (
    ossperf_testkit::ossperf_sim::SimHandle,
    tempfile::TempDir,
    crate::faults::Ran,
) {
    let sim = crate::signals::half_second_answers();
    let dir = ossperf_testkit::temp_dir();
    let url = sim.url();
    let started = Instant::now();
    let mut args = vec!["--scenario", "server", "--server-url", &url];
    args.extend_from_slice(axis);
    args.extend_from_slice(&["--point-duration", "10m"]);
    let child = spawn_sweep(&args, dir.path());
    while ossperf_testkit::served_load(&sim).len() < 4 && started.elapsed() < HANG {
        std::thread::sleep(Duration::from_millis(10));
    }
    crate::util::send_signal(&child, libc::SIGINT);
    let ran = finish(child, started);
    (sim, dir, ran)
}

#[test]
fn sigint_during_a_concurrency_point_writes_the_partial_point_as_interrupted_and_exits_130() {
    let (sim, dir, ran) = interrupted_sweep(&["--concurrency", "2,4"]);
    ran.assert_no_panic();
    // As `ossperf run` after Ctrl-C: 128 + SIGINT, long before the point's ten minutes.
    assert_eq!(ran.status.code(), Some(130), "{}", ran.text());
    assert!(ran.took < HANG, "{}", ran.text());

    let sweep_dir = dir.path().join("out/sweep/server-concurrency");
    let r = results(&sweep_dir);
    assert_eq!(r.stop_reason, "interrupted (exit code 130)");
    assert_eq!(r.points.len(), 1, "the listed second point never ran");
    assert!(!sweep_dir.join("point-02").exists());
    let p = &r.points[0];
    assert!(p.interrupted, "{p:?}");
    assert_eq!((p.concurrency, p.valid), (Some(2), None));
    // Every request sent is recorded once: those that finished, and those in flight when
    // the signal came, cancelled.
    let records = records(&p.dir);
    assert_eq!(records.len() as u64, p.requests);
    let cancelled = records
        .iter()
        .filter(|r| r["error"]["kind"] == "cancelled")
        .count() as u64;
    assert_eq!(cancelled, p.failed, "every failure is a cancellation");
    // Both streams always have an answer in flight but for the microseconds between one
    // answer and the next send, against half a second per answer.
    assert!((1..=2).contains(&cancelled), "at most 2 in flight: {p:?}");
    let served = ossperf_testkit::served_load(&sim)
        .iter()
        .filter(|t| t.outcome == ossperf_testkit::ossperf_sim::Outcome::Completed)
        .count() as u64;
    assert!(p.requests - p.failed <= served, "{p:?}");

    // stdout: the header and the partial point's row, marked.
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", ran.text());
    assert_eq!(lines[0], HEADER[0]);
    assert_eq!(
        lines[1],
        " #    conc   done   good   total  /user    p50    p99    p50    p99  MLPerf"
    );
    assert!(lines[2].chars().count() <= TABLE_WIDTH, "{}", lines[2]);
    let row = cells(lines[2]);
    assert_eq!(row.len(), 11, "{}", lines[2]);
    assert_eq!((row[0], row[1], row[10]), ("1", "2", "interrupted"));

    // stderr, from the point's start to the end, line by line.
    let stderr: Vec<String> = ran
        .stderr
        .lines()
        .skip_while(|l| !l.starts_with("point  1:"))
        .map(ossperf_testkit::filter_times)
        .collect();
    let expected: Vec<String> = [
        "point  1: 2 streams for 600 s, then the drain (not an MLPerf scenario)".to_string(),
        "warning: interrupted: no more requests are sent; cancelling what is in flight and \
         writing the point (press Ctrl-C again to exit at once)"
            .to_string(),
        format!(
            "point  1:         2 streams, {:>6} requests in {:>6.1} s, {} failed (interrupted; \
             not an MLPerf scenario)",
            p.requests, 0.0, p.failed
        ),
        "warning: stopped: interrupted (exit code 130)".to_string(),
        format!(
            "wrote `{}` and `{}`",
            sweep_dir.join("results.json").display(),
            sweep_dir.join("report.html").display()
        ),
    ]
    .iter()
    .map(|l| ossperf_testkit::filter_times(l))
    .collect();
    assert_eq!(stderr, expected, "{}", ran.text());

    // The report shows the partial point, marked.
    let html = std::fs::read_to_string(sweep_dir.join("report.html")).unwrap();
    assert!(
        html.contains(
            "<span class=\"bad\">interrupted</span><small>not an MLPerf scenario</small>"
        ),
        "{html}"
    );
}

#[test]
fn a_concurrency_points_answers_follow_the_harmony_channels_as_a_runs_do() {
    // Every token streamed on its own, `TPOT` apart, in SGLang's native API (token ids).
    const TPOT: Duration = Duration::from_millis(50);
    let sim = ossperf_testkit::sim_with(SimConfig {
        timing: Timing::Fixed {
            ttft: Duration::from_millis(20),
            tpot: TPOT,
        },
        output_len: OutputLen::Fixed(40),
        stream_interval: 1,
        ..SimConfig::for_personality(Personality::Sglang)
    });
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
        "5s",
    ];
    let out = crate::util::in_dir("sweep", &args, dir.path(), CONF)
        .output()
        .expect("run ossperf");
    assert!(out.status.success(), "{}", text(&out));
    let r = results(&dir.path().join("out/sweep/server-concurrency"));
    let p = &r.points[0];
    assert!(!p.interrupted);
    let records = records(&p.dir);
    let truth = ossperf_testkit::served_load(&sim);
    assert_eq!(records.len(), truth.len());
    assert!(records.len() >= 4, "{p:?}");

    crate::answers::assert_channels_match(&records, &truth, TPOT);

    // The point's summary is a run's `beyond_loadgen`, from the same records.
    let b = p.beyond_loadgen.as_ref().expect("the point's answers");
    assert_eq!(
        (
            b.answers.answered,
            b.answers.no_answer,
            b.answers.unavailable
        ),
        (records.len() as u64, 0, 0)
    );
    let ttfa = b.answers.time_to_first_answer_ns.expect("times");
    assert_eq!(ttfa.count, records.len() as u64);
    let finish = &b.finish_reasons;
    assert_eq!(
        (finish.len(), finish[0].reason.as_str(), finish[0].count),
        (1, "stop", records.len() as u64)
    );
    let html = std::fs::read_to_string(dir.path().join("out/sweep/server-concurrency/report.html"))
        .unwrap();
    let answers = html
        .split("<section id=\"answers\">")
        .nth(1)
        .expect("an Answers section");
    assert!(
        answers.contains(&format!(
            "<tr><td>point 1 · 2 streams</td><td>{}</td><td>0</td><td>0</td>",
            records.len()
        )),
        "{answers}"
    );
}

#[test]
fn sigint_during_a_rate_point_writes_it_as_interrupted_beside_loadgens_logs_and_exits_130() {
    let (_sim, dir, ran) = interrupted_sweep(&["--rates", "50,100"]);
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(130), "{}", ran.text());
    let sweep_dir = dir.path().join("out/sweep/server-rate");
    let r = results(&sweep_dir);
    assert_eq!(r.stop_reason, "interrupted (exit code 130)");
    assert_eq!(r.points.len(), 1, "the listed second point never ran");
    let p = &r.points[0];
    // LoadGen's verdict of an interrupted run, and its logs of what finished.
    assert!(p.interrupted, "{p:?}");
    assert_eq!((p.target_qps, p.valid), (Some(50.0), Some(false)));
    let summary = std::fs::read_to_string(p.dir.join("mlperf_log_summary.txt")).unwrap();
    assert!(summary.contains("Result is : INVALID"), "{summary}");
    let lines: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", ran.text());
    assert_eq!(
        lines[1],
        " #     qps   done   good   total  /user    p50    p99    p50    p99  MLPerf"
    );
    let row = cells(lines[2]);
    assert_eq!((row[0], row[1], row[10]), ("1", "50", "interrupted"));
    let stderr: Vec<&str> = ran.stderr.lines().collect();
    let tail = &stderr[stderr.len() - 2..];
    assert_eq!(
        tail,
        [
            "warning: stopped: interrupted (exit code 130)".to_string(),
            format!(
                "wrote `{}` and `{}`",
                sweep_dir.join("results.json").display(),
                sweep_dir.join("report.html").display()
            )
        ],
        "{}",
        ran.text()
    );
}
