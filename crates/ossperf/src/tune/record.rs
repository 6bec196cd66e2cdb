//! What each run of a search found, in the forms a user reads: one progress line per run, the
//! closing table, and `tune.json` (the runs' own `results.json` sit in their directories, so
//! `ossperf report` can chart latency against load).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use ossperf_loadgen::{Scenario, TestReport};
use serde::Serialize;

/// The version of `tune.json`'s layout.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Why a run was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Kind {
    /// The Offline throughput measurement.
    Measure,
    /// A short Server probe.
    Probe,
    /// The run with the submission settings.
    Confirm,
    /// A point of `ossperf sweep`.
    Point,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Measure => "measure",
            Kind::Probe => "probe",
            Kind::Confirm => "confirm",
            Kind::Point => "point",
        }
    }
}

/// One run of the search.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Run {
    /// 1-based, in order.
    pub index: usize,
    /// Why it was made.
    pub kind: Kind,
    /// Its `target_qps` (none for the throughput measurement).
    pub target_qps: Option<f64>,
    /// Samples completed.
    pub samples: u64,
    /// Wall time of the run, s.
    pub seconds: f64,
    /// TTFT at the target percentile, ms (Server).
    pub ttft_p99_ms: Option<f64>,
    /// TPOT at the target percentile, ms (Server).
    pub tpot_p99_ms: Option<f64>,
    /// Sustained completed samples per second (between the 10th and 90th percentile of
    /// completion times: what the search sizes the next run by).
    pub samples_per_second: Option<f64>,
    /// LoadGen's own figure, as the run's summary prints it: Offline's `Samples per second`,
    /// Server's `Completed samples per second`.
    pub loadgen_samples_per_second: Option<f64>,
    /// That figure printed exactly as the summary prints it (`%g` in Offline, two decimals
    /// in Server), for the table.
    #[serde(skip)]
    pub summary_rate: String,
    /// LoadGen's verdict.
    pub valid: bool,
    /// The failed checks, `; `-separated (empty when VALID).
    pub why: String,
    /// The run's directory (MLPerf logs, `results.json`, `report.html`).
    pub dir: PathBuf,
    /// Mean sample latency, for sizing the next probe.
    #[serde(skip)]
    pub mean_latency: Option<Duration>,
    /// Target-percentile sample latency, for estimating the next run's drain.
    #[serde(skip)]
    pub tail_latency: Option<Duration>,
}

impl Run {
    /// The record of a finished run.
    pub(crate) fn from_report(
        index: usize,
        kind: Kind,
        target_qps: Option<f64>,
        report: &TestReport,
        wall: Duration,
        dir: &Path,
    ) -> Run {
        let ms = |ns: i64| ns as f64 / 1e6;
        let perf = report.performance.as_ref();
        let server = report.scenario == Scenario::Server;
        let at_target = |s: Option<&ossperf_loadgen::stats::LatencyStats>| {
            s.filter(|_| server).map(|s| ms(s.target.1))
        };
        let nanos = |ns: i64| Duration::from_nanos(u64::try_from(ns).unwrap_or(0));
        Run {
            index,
            kind,
            target_qps,
            samples: perf.map_or(0, |p| p.sample_count),
            seconds: wall.as_secs_f64(),
            ttft_p99_ms: at_target(perf.and_then(|p| p.ttft.as_ref())),
            tpot_p99_ms: at_target(perf.and_then(|p| p.tpot.as_ref())),
            samples_per_second: sustained_rate(report),
            loadgen_samples_per_second: perf.and_then(|p| {
                p.metrics
                    .samples_per_second
                    .or(p.metrics.completed_samples_per_sec)
            }),
            summary_rate: perf.map_or_else(
                || "-".to_string(),
                |p| match (
                    p.metrics.samples_per_second,
                    p.metrics.completed_samples_per_sec,
                ) {
                    (Some(v), _) => ossperf_loadgen::logs::format::format_g(v),
                    (None, Some(v)) => format!("{v:.2}"),
                    (None, None) => "-".to_string(),
                },
            ),
            valid: report.valid,
            why: why(report),
            dir: dir.to_path_buf(),
            mean_latency: perf.and_then(|p| p.latency.as_ref()).map(|l| nanos(l.mean)),
            tail_latency: perf
                .and_then(|p| p.latency.as_ref())
                .map(|l| nanos(l.target.1)),
        }
    }

    /// The progress line printed when the run ends.
    pub(crate) fn line(&self) -> String {
        format!(
            "{} {:>2}: {:>9} qps, {:>6} samples in {:>6.1} s, TTFT p99 {:>9}, TPOT p99 {:>9}, {}{}",
            self.kind.label(),
            self.index,
            opt_rate(self.target_qps),
            self.samples,
            self.seconds,
            opt_ms(self.ttft_p99_ms),
            opt_ms(self.tpot_p99_ms),
            if self.valid { "VALID" } else { "INVALID" },
            if self.why.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.why)
            }
        )
    }
}

fn opt_rate(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |q| format!("{q}"))
}

fn opt_ms(v: Option<f64>) -> String {
    match v {
        Some(ms) if ms >= 1000.0 => format!("{:.3} s", ms / 1000.0),
        Some(ms) => format!("{ms:.1} ms"),
        None => "-".to_string(),
    }
}

/// Completed samples per second between the 10th and the 90th percentile of completion
/// times: the steady rate, without the ramp-up and the tail.
pub(crate) fn sustained_rate(report: &TestReport) -> Option<f64> {
    let mut done: Vec<u64> = report
        .samples
        .iter()
        .filter(|s| s.error.is_none())
        .map(|s| s.complete_ns)
        .collect();
    done.sort_unstable();
    let n = done.len();
    let (a, b) = (n / 10, (n * 9 / 10).saturating_sub(1));
    let span = done.get(b)?.saturating_sub(*done.get(a)?);
    if b > a && span > 0 {
        return Some((b - a) as f64 / (span as f64 / 1e9));
    }
    let first = report.samples.iter().map(|s| s.issued_ns).min()?;
    let last = *done.last()?;
    (last > first).then(|| n as f64 / ((last - first) as f64 / 1e9))
}

/// The checks a run failed, in words.
fn why(report: &TestReport) -> String {
    let mut out = Vec::new();
    if let Some(perf) = &report.performance {
        let s = &report.settings.requested;
        let over = |stats: Option<&ossperf_loadgen::stats::LatencyStats>, limit: u64| {
            stats.is_some_and(|st| st.target.1 > i64::try_from(limit).unwrap_or(i64::MAX))
        };
        if report.scenario == Scenario::Server && s.use_token_latencies {
            if over(perf.ttft.as_ref(), s.server_ttft_latency) {
                out.push("TTFT p99 over the limit".to_string());
            }
            if over(perf.tpot.as_ref(), s.server_tpot_latency) {
                out.push("TPOT p99 over the limit".to_string());
            }
        } else if perf.perf_constraints_met == Some(false) {
            out.push("latency over the limit".to_string());
        }
        if !perf.early_stopping_met {
            out.push("early stopping not met".to_string());
        }
        if !perf.min_duration_met {
            out.push("min duration not met".to_string());
        }
        if !perf.min_queries_met {
            out.push("min queries not met".to_string());
        }
    }
    if report.failures.count > 0 {
        out.push(format!("{} failed requests", report.failures.count));
    }
    if report.aborted {
        out.push("interrupted".to_string());
    }
    out.join("; ")
}

/// `tune.json`: the search's settings, every run and the answer.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Summary {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// `server`, `interactive` or `offline`.
    pub scenario: String,
    /// The conf key of the answer (`gpt-oss-120b.Server.target_qps`…).
    pub key: String,
    /// The relative precision of the bisection.
    pub precision: f64,
    /// Queries of each probe, from the early-stopping arithmetic.
    pub probe_queries: u64,
    /// The answer, if one was found.
    pub found_qps: Option<f64>,
    /// The lowest rate that failed, when the search bracketed the peak.
    pub lowest_failed_qps: Option<f64>,
    /// How the search ended, in words.
    pub outcome: String,
    /// The confirmation run's verdict, when one ran.
    pub confirmed: Option<bool>,
    /// Wall time of the whole search, s.
    pub total_seconds: f64,
    /// The user.conf written.
    pub user_conf: Option<PathBuf>,
    /// Every run, in order.
    pub runs: Vec<Run>,
}

/// Writes `tune.json` into `dir`.
pub(crate) fn write_summary(dir: &Path, summary: &Summary) -> anyhow::Result<PathBuf> {
    let path = dir.join("tune.json");
    let json = serde_json::to_string_pretty(summary).context("cannot encode tune.json")?;
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(path)
}

/// The closing table, one row per run. `samples/s` is LoadGen's figure (the one in the run's
/// summary); `steady/s`, the rate between the 10th and 90th percentile of completions that
/// the search works with.
pub(crate) fn table(runs: &[Run]) -> Vec<String> {
    let rate = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
    let mut rows = vec![format!(
        "{:>3}  {:<8} {:>10} {:>8} {:>8} {:>10} {:>10} {:>9} {:>9}  verdict",
        "#",
        "kind",
        "target_qps",
        "samples",
        "seconds",
        "TTFT p99",
        "TPOT p99",
        "samples/s",
        "steady/s"
    )];
    for r in runs {
        rows.push(format!(
            "{:>3}  {:<8} {:>10} {:>8} {:>8.1} {:>10} {:>10} {:>9} {:>9}  {}",
            r.index,
            r.kind.label(),
            opt_rate(r.target_qps),
            r.samples,
            r.seconds,
            opt_ms(r.ttft_p99_ms),
            opt_ms(r.tpot_p99_ms),
            r.summary_rate,
            rate(r.samples_per_second),
            if r.valid { "VALID" } else { "INVALID" },
        ));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_read_in_ms_below_a_second_and_in_s_above() {
        assert_eq!(opt_ms(Some(45.06)), "45.1 ms");
        assert_eq!(opt_ms(Some(2345.0)), "2.345 s");
        assert_eq!(opt_ms(None), "-");
    }
}
