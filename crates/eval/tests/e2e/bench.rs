//! Benchmark figures, `#[ignore]`d (timings never decide a test). Run in release:
//! `cargo test --release -p ossperf-eval --test e2e -- --ignored --nocapture --test-threads 1`.

use std::time::{Duration, Instant};

use ossperf_eval::lcb::{load_suites, run_jobs, LcbJob, LcbOptions};
use ossperf_eval::{score_log, EvalOptions, ReferenceRow};

use crate::common::*;

/// A harmony answer of exactly `len` tokens: filler analysis, then a final answer.
fn answer_of_len(len: usize, fin: &str, filler: &[u32]) -> Vec<u32> {
    let head = tokens(A);
    let tail = tokens(&format!("{F}{fin}{R}"));
    let mut ids = head;
    while ids.len() + tail.len() < len {
        let room = len - tail.len() - ids.len();
        ids.extend_from_slice(&filler[..room.min(filler.len())]);
    }
    ids.extend(tail);
    ids
}

fn filler() -> Vec<u32> {
    tokens(
        "We consider the quadrilateral and compute its area step by step, checking each case \
            (including degenerate ones) so that the final count is right; 17 + 25 = 42. ",
    )
}

fn reference(n: usize) -> Vec<ReferenceRow> {
    (0..n)
        .map(|i| {
            if i % 2 == 0 {
                ReferenceRow {
                    dataset: "aime25".into(),
                    ground_truth: Some("42".into()),
                }
            } else {
                ReferenceRow {
                    dataset: "gpqa_diamond".into(),
                    ground_truth: Some("C".into()),
                }
            }
        })
        .collect()
}

/// CPU seconds (user + system) of the whole process so far: on a shared machine wall time
/// measures the neighbours, CPU time measures us.
fn cpu_seconds() -> f64 {
    // Fields 14 and 15 of /proc/self/stat, after the `)` that ends the command name, in ticks
    // of 1/100 s.
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    ticks / 100.0
}

fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kb: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0);
    kb / 1024.0
}

fn write_bench_log(path: &std::path::Path, n: usize, len: usize) {
    let fill = filler();
    write_log(
        path,
        (0..n).map(|i| {
            let fin = if i % 2 == 0 {
                "The answer is \\boxed{42}."
            } else {
                "C"
            };
            (i as u64, answer_of_len(len, fin, &fill))
        }),
    );
}

#[test]
#[ignore = "benchmark: prints a figure"]
fn bench_scoring_4395_entries_of_2000_tokens() {
    let path = std::path::Path::new("/tmp/ossperf-bench-4395x2000.json");
    write_bench_log(path, 4395, 2000);
    let reference = reference(4395);
    ossperf_harmony::tokenizer();
    let cpu = cpu_seconds();
    let start = Instant::now();
    let score = score_log(path, &reference, &EvalOptions::default()).unwrap();
    let took = start.elapsed();
    let cpu = cpu_seconds() - cpu;
    assert_eq!(score.total_correct(), 4395);
    let mb = std::fs::metadata(path).unwrap().len() as f64 / 1e6;
    println!(
        "FIGURE scoring 4395 x 2000-token entries ({mb:.0} MB log): {:.3} s wall, {cpu:.2} s CPU",
        took.as_secs_f64()
    );
    let _ = std::fs::remove_file(path);
}

#[test]
#[ignore = "benchmark: prints a figure"]
fn bench_peak_memory_on_a_1_gb_log() {
    let path = std::path::Path::new("/tmp/ossperf-bench-1gb.json");
    // 4395 entries of 30,000 tokens: 4395 · 30000 · 8 hex digits ≈ 1.05 GB.
    write_bench_log(path, 4395, 30_000);
    let reference = reference(4395);
    let before = peak_rss_mb();
    let cpu = cpu_seconds();
    let start = Instant::now();
    let score = score_log(path, &reference, &EvalOptions::default()).unwrap();
    let took = start.elapsed();
    let cpu = cpu_seconds() - cpu;
    assert_eq!(score.total_correct(), 4395);
    let gb = std::fs::metadata(path).unwrap().len() as f64 / 1e9;
    println!(
        "FIGURE 1 GB log ({gb:.2} GB): peak RSS {:.0} MB (before scoring {before:.0} MB), {:.1} s wall, {cpu:.1} s CPU",
        peak_rss_mb(),
        took.as_secs_f64()
    );
    let _ = std::fs::remove_file(path);
}

#[test]
#[ignore = "benchmark: prints a figure"]
fn bench_livecodebench_runs_per_second_per_core() {
    if !sandbox_ready("bench_lcb") {
        return;
    }
    let text = std::fs::read_to_string(data("sample_lcb_solutions.jsonl")).unwrap();
    let jobs: Vec<LcbJob> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            LcbJob {
                question_id: v["question_id"].as_str().unwrap().into(),
                // lcb_runner's stdin has no `.buffer` (see the lcb tests).
                code: v["solution"]
                    .as_str()
                    .unwrap()
                    .replace("sys.stdin.buffer.read()", "sys.stdin.read()"),
            }
        })
        .cycle()
        .take(48)
        .collect();
    let needed = jobs.iter().map(|j| j.question_id.clone()).collect();
    let suites = load_suites(&data("sample_lcb_tests.jsonl"), &needed).unwrap();
    let tests: usize = jobs
        .iter()
        .map(|j| suites[&j.question_id].inputs.len())
        .sum();
    let options = LcbOptions {
        workers: 1,
        per_test_timeout: Duration::from_secs(60),
        ..LcbOptions::default()
    };
    let start = Instant::now();
    let verdicts = run_jobs(&jobs, &suites, &options, &|_| {});
    let took = start.elapsed().as_secs_f64();
    assert!(verdicts.iter().all(|v| v.passed));
    println!(
        "FIGURE LiveCodeBench: {} programs ({tests} tests) on 1 worker in {took:.2} s = {:.1} programs/s per core",
        jobs.len(),
        jobs.len() as f64 / took
    );
}
