//! The bench program behind `bench/run.sh` (not a test): drives `run_test` with a null SUT
//! that completes every sample inside `issue_query`.
//!
//! `null_sut rate <queries>`: Server at an unreachable target QPS, so the issue loop never
//! sleeps; prints `result_completed_samples_per_sec` (the issue rate).
//! `null_sut lateness <qps> <duration_ms>`: Server at `qps`; prints issue lateness
//! (actual − scheduled issue time) p50/p99/max in µs.
//! `null_sut schedule <qps> <duration_ms>`: the scheduled times (ns) of that run, one per
//! line, for measuring the official LoadGen's lateness on the same schedule.

use std::io::Write;
use std::process::ExitCode;

use ossperf_loadgen::{
    generate_queries, loadable_sets, run_test, EffectiveSettings, LogSettings, Phase, QuerySample,
    QuerySampleIndex, QuerySampleLibrary, Responder, RunControl, Scenario, SystemUnderTest,
    TestMode, TestSettings,
};

struct NullSut;

impl SystemUnderTest for NullSut {
    fn name(&self) -> String {
        "NullSUT".into()
    }
    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        for s in samples {
            responder.complete(s.id, &[], 0);
        }
    }
    fn flush_queries(&self) {}
}

struct NullQsl;

impl QuerySampleLibrary for NullQsl {
    fn name(&self) -> String {
        "NullQSL".into()
    }
    fn total_sample_count(&self) -> usize {
        1024
    }
    fn performance_sample_count(&self) -> usize {
        1024
    }
    fn load_samples_to_ram(&self, _: &[QuerySampleIndex]) {}
    fn unload_samples_from_ram(&self, _: &[QuerySampleIndex]) {}
}

fn settings(qps: f64, min_queries: u64, min_duration_ms: u64) -> TestSettings {
    let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
    s.server_target_qps = qps;
    s.min_query_count = min_queries;
    s.min_duration_ms = min_duration_ms;
    s.server_target_latency_ns = 1_000_000_000;
    s.schedule_rng_seed = 2_023_080_168;
    s
}

fn percentile(sorted: &[u64], p: f64) -> u64 {
    ossperf_loadgen::stats::percentile(sorted, p).unwrap_or(0)
}

fn run(args: &[String]) -> Result<String, String> {
    let dir = std::env::temp_dir().join(format!("ossperf-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let mut log = LogSettings::default();
    log.log_output.outdir = dir.clone();
    log.enable_trace = false;
    let num = |i: usize| -> Result<f64, String> {
        args.get(i)
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("argument {i}: expected a number"))
    };
    let control = RunControl::new();
    let out = match args.first().map(String::as_str) {
        Some("rate") => {
            let s = settings(1e9, num(1)? as u64, 0);
            let report =
                run_test(&NullSut, &NullQsl, &s, &log, &control).map_err(|e| e.to_string())?;
            let perf = report.performance.ok_or("no performance result")?;
            let rate = perf.metrics.completed_samples_per_sec.unwrap_or(0.0);
            format!("ours_issue_rate_qps {rate:.0} queries {}", perf.query_count)
        }
        Some("lateness") => {
            let qps = num(1)?;
            let s = settings(qps, 100, num(2)? as u64);
            let report =
                run_test(&NullSut, &NullQsl, &s, &log, &control).map_err(|e| e.to_string())?;
            let mut late: Vec<u64> = report
                .samples
                .iter()
                .map(|r| r.issued_ns.saturating_sub(r.scheduled_ns))
                .collect();
            late.sort_unstable();
            if late.is_empty() {
                return Err("no samples".into());
            }
            format!(
                "lateness_us qps {qps:.0} n {} p50 {:.1} p99 {:.1} max {:.1}",
                late.len(),
                percentile(&late, 0.5) as f64 / 1e3,
                percentile(&late, 0.99) as f64 / 1e3,
                late[late.len() - 1] as f64 / 1e3
            )
        }
        Some("schedule") => {
            // The Server schedule of `lateness <qps> <duration_ms>`, ns after the start.
            let s = settings(num(1)?, 100, num(2)? as u64);
            let eff = EffectiveSettings::derive(&s, 1024, 1024);
            let sets = loadable_sets(&eff, 1024, Phase::Performance);
            let set = sets.first().ok_or("no loadable set")?;
            let generated = generate_queries(&eff, set, Phase::Performance).map_err(|e| e.to_string())?;
            let times: Vec<String> = generated.queries.iter().map(|q| q.scheduled_ns.to_string()).collect();
            times.join("\n")
        }
        _ => {
            return Err(
                "usage: null_sut rate <queries> | lateness <qps> <duration_ms> | schedule <qps> <duration_ms>"
                    .into(),
            )
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    Ok(out)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(line) => {
            let _ = writeln!(std::io::stdout(), "{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "null_sut: {e}");
            ExitCode::FAILURE
        }
    }
}
