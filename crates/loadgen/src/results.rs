//! Metrics and validity of a performance run (docs/LOADGEN.md §9.1–9.4), computed from the
//! per-sample records of the issue loop exactly as LoadGen's `PerformanceSummary` does.
//!
//! Failed samples ([`crate::Responder::fail`]) are left out of every latency array and make
//! the result INVALID with their own reason; the LoadGen checks are unchanged otherwise.

use std::sync::atomic::Ordering;

use crate::early_stopping::{self, EarlyStopping};
use crate::issue::Issued;
use crate::responder::{FailureSummary, Series, NO_TIME};
use crate::settings::Scenario;
use crate::stats::LatencyStats;
use crate::EffectiveSettings;

/// The raw figures of one performance run (LoadGen's `PerformanceResult`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawResults {
    /// Latency of every completed (not failed) sample, ns.
    pub sample_latencies: Vec<i64>,
    /// MultiStream: latency of every query, ns.
    pub query_latencies: Vec<i64>,
    /// Token mode, non-Offline: time to first token per sample, ns.
    pub ttft: Vec<i64>,
    /// Token mode, non-Offline: time per output token per sample, ns.
    pub tpot: Vec<i64>,
    /// Σ n_tokens.
    pub token_count: i64,
    /// Queries issued.
    pub queries_issued: u64,
    /// The largest sample latency, s.
    pub max_latency_s: f64,
    /// The last issued query's scheduled time after the start, s.
    pub final_query_scheduled_s: f64,
    /// The last issued query's issue time after the start, s.
    pub final_query_issued_s: f64,
    /// When the last issued query's samples were all done, after the start, s.
    pub final_query_all_samples_done_s: f64,
}

impl RawResults {
    /// Collects the figures of the issued queries of a series.
    pub(crate) fn collect(series: &Series, issued: &Issued, eff: &EffectiveSettings) -> Self {
        let token_mode = eff.requested.use_token_latencies;
        let first_token = eff.needs_first_token();
        let mut raw = RawResults {
            queries_issued: issued.queries as u64,
            ..RawResults::default()
        };
        let mut max_latency = 0i64;
        let was_issued = |qi: usize| {
            qi < issued.end && series.queries[qi].issued_ns.load(Ordering::Acquire) != NO_TIME
        };
        for slot in series
            .samples
            .iter()
            .filter(|s| was_issued(s.query as usize))
        {
            if slot.failed() {
                continue;
            }
            let query = &series.queries[slot.query as usize];
            let scheduled = query.scheduled_ns.load(Ordering::Acquire) as i64;
            let done = slot.complete_ns.load(Ordering::Acquire);
            if done == NO_TIME {
                continue;
            }
            let latency = done as i64 - scheduled;
            max_latency = max_latency.max(latency);
            raw.sample_latencies.push(latency);
            if token_mode {
                let n = slot.n_tokens.load(Ordering::Relaxed);
                raw.token_count += n;
                if first_token {
                    let ft = slot.first_token_ns.load(Ordering::Acquire);
                    let ttft = if ft == NO_TIME {
                        latency
                    } else {
                        ft as i64 - scheduled
                    };
                    raw.ttft.push(ttft);
                    let divisor = if n - 1 == 0 { 1 } else { n - 1 };
                    raw.tpot.push((latency - ttft) / divisor);
                }
            }
        }
        let secs = |ns: i64| ns as f64 / 1e9;
        let start = issued.start_ns as i64;
        if eff.scenario == Scenario::MultiStream {
            for (_, q) in series
                .queries
                .iter()
                .enumerate()
                .filter(|(i, _)| was_issued(*i))
            {
                let done = q.done_ns.load(Ordering::Acquire);
                if done != NO_TIME {
                    raw.query_latencies
                        .push(done as i64 - q.scheduled_ns.load(Ordering::Acquire) as i64);
                }
            }
        }
        if let Some(last) = issued.queries.checked_sub(1).map(|i| &series.queries[i]) {
            let at = |v: u64| {
                if v == NO_TIME {
                    0.0
                } else {
                    secs(v as i64 - start)
                }
            };
            raw.final_query_scheduled_s = at(last.scheduled_ns.load(Ordering::Acquire));
            raw.final_query_issued_s = at(last.issued_ns.load(Ordering::Acquire));
            raw.final_query_all_samples_done_s = at(last.done_ns.load(Ordering::Acquire));
        }
        raw.max_latency_s = secs(max_latency);
        raw
    }
}

/// Every metric of the summary and the detail log, and the validity verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct PerformanceResult {
    /// VALID iff every check below passed (and no sample failed, and the run was not aborted).
    pub valid: bool,
    /// Server only: the latency (or TTFT/TPOT) constraints.
    pub perf_constraints_met: Option<bool>,
    /// The min-duration check.
    pub min_duration_met: bool,
    /// The min-queries and min-samples check.
    pub min_queries_met: bool,
    /// The early-stopping check.
    pub early_stopping_met: bool,
    /// LoadGen's recommendation when the perf constraints failed.
    pub perf_recommendation: Option<String>,
    /// LoadGen's recommendation when the min duration failed.
    pub min_duration_recommendation: Option<String>,
    /// Non-token mode: the early-stopping outcome (Offline: empty text).
    pub early_stopping: Option<EarlyStopping>,
    /// Token mode: TTFT early stopping (`None` when TPOT failed first or for Offline).
    pub ttft_early_stopping: Option<EarlyStopping>,
    /// Token mode: TPOT early stopping.
    pub tpot_early_stopping: Option<EarlyStopping>,
    /// Reasons outside LoadGen's checks: failed samples, an abort.
    pub extra_reasons: Vec<String>,
    /// `result_query_count`.
    pub query_count: u64,
    /// Completed (not failed) samples.
    pub sample_count: u64,
    /// Server: samples over the target latency.
    pub overlatency_count: Option<u64>,
    /// Sample latency statistics at the scenario's target percentile.
    pub latency: Option<LatencyStats>,
    /// MultiStream: per-query latency statistics.
    pub query_latency: Option<LatencyStats>,
    /// Token mode, non-Offline: TTFT statistics.
    pub ttft: Option<LatencyStats>,
    /// Token mode, non-Offline: TPOT statistics.
    pub tpot: Option<LatencyStats>,
    /// Token mode: Σ n_tokens.
    pub token_count: Option<i64>,
    /// The throughput figures.
    pub metrics: Metrics,
    /// The raw figures the metrics came from.
    pub raw_times: RawTimes,
}

/// The seconds LoadGen divides by.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RawTimes {
    /// Largest sample latency, s.
    pub max_latency_s: f64,
    /// Last issued query's scheduled time, s.
    pub final_query_scheduled_s: f64,
    /// Last issued query's issue time, s.
    pub final_query_issued_s: f64,
    /// Last issued query's completion, s.
    pub final_query_all_samples_done_s: f64,
}

/// Throughput figures; each is `Some` for the scenarios that report it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Metrics {
    /// Offline: n / max_latency.
    pub samples_per_second: Option<f64>,
    /// Server: (n − 1) / final_query_scheduled_time.
    pub scheduled_samples_per_sec: Option<f64>,
    /// Server: (n − 1) / final_query_all_samples_done_time.
    pub completed_samples_per_sec: Option<f64>,
    /// SingleStream: (n − 1) / final_query_issued_time.
    pub qps_with_loadgen_overhead: Option<f64>,
    /// SingleStream: 1 / mean latency.
    pub qps_without_loadgen_overhead: Option<f64>,
    /// Offline token mode: tokens / max_latency.
    pub tokens_per_second: Option<f64>,
    /// Non-Offline token mode: tokens / final_query_all_samples_done_time.
    pub completed_tokens_per_second: Option<f64>,
    /// Non-Offline token mode: tokens / final_query_issued_time.
    pub token_throughput_with_loadgen_overhead: Option<f64>,
    /// Non-Offline token mode: tokens / (mean latency ns × n) (tokens per ns, as LoadGen).
    pub token_throughput: Option<f64>,
    /// Offline with `infer_token_latencies`: factor × n / max_latency.
    pub inferred_tokens_per_second: Option<f64>,
    /// Server with `infer_token_latencies`: factor × (n − 1) / final_query_all_samples_done.
    pub inferred_completed_tokens_per_second: Option<f64>,
}

impl PerformanceResult {
    /// Computes every metric and check from the raw figures.
    pub fn compute(
        mut raw: RawResults,
        eff: &EffectiveSettings,
        failures: &FailureSummary,
        aborted: Option<String>,
    ) -> Self {
        let token_mode = eff.requested.use_token_latencies;
        let scenario = eff.scenario;
        let n = raw.sample_latencies.len();
        let p = eff.target_latency_percentile;
        let latency = LatencyStats::compute(&mut raw.sample_latencies, n, p);
        let query_latency = (scenario == Scenario::MultiStream)
            .then(|| {
                let q = raw.query_latencies.len();
                LatencyStats::compute(&mut raw.query_latencies, q, p)
            })
            .flatten();
        let ttft = LatencyStats::compute(&mut raw.ttft, n, p);
        let tpot = LatencyStats::compute(&mut raw.tpot, n, p);
        let times = RawTimes {
            max_latency_s: raw.max_latency_s,
            final_query_scheduled_s: raw.final_query_scheduled_s,
            final_query_issued_s: raw.final_query_issued_s,
            final_query_all_samples_done_s: raw.final_query_all_samples_done_s,
        };
        let metrics = metrics(eff, n, raw.token_count, &latency, &times);
        let (min_duration_met, min_duration_recommendation) = min_duration(eff, &times);
        let min_queries_met =
            raw.queries_issued >= eff.min_query_count && n as u64 >= eff.min_sample_count;
        let (perf_constraints_met, perf_recommendation) =
            perf_constraints(eff, latency.as_ref(), ttft.as_ref(), tpot.as_ref());
        let checks = early_stopping_checks(eff, &raw);
        let early_stopping_met = checks.met;
        let extra_reasons: Vec<String> = [
            (failures.count > 0).then(|| failures.reason_line()),
            aborted,
            (token_mode && n > 0 && raw.token_count <= 0)
                .then(|| crate::run::NO_OUTPUT_TOKENS.to_string()),
        ]
        .into_iter()
        .flatten()
        .collect();
        let valid = min_duration_met
            && min_queries_met
            && perf_constraints_met.unwrap_or(true)
            && early_stopping_met
            && extra_reasons.is_empty();
        let threshold = eff.target_latency_ns as i64;
        let overlatency_count = (scenario == Scenario::Server).then(|| {
            raw.sample_latencies
                .iter()
                .filter(|&&l| l > threshold)
                .count() as u64
        });
        PerformanceResult {
            valid,
            perf_constraints_met,
            min_duration_met,
            min_queries_met,
            early_stopping_met,
            perf_recommendation,
            min_duration_recommendation,
            early_stopping: checks.plain,
            ttft_early_stopping: checks.ttft,
            tpot_early_stopping: checks.tpot,
            extra_reasons,
            query_count: raw.queries_issued,
            sample_count: n as u64,
            overlatency_count,
            latency,
            query_latency,
            ttft: ttft.filter(|_| scenario != Scenario::Offline),
            tpot: tpot.filter(|_| scenario != Scenario::Offline),
            token_count: token_mode.then_some(raw.token_count),
            metrics,
            raw_times: times,
        }
    }

    /// `result_invalid_reason`: LoadGen's recommendations joined by spaces, then ours.
    pub fn invalid_reason(&self) -> String {
        let mut reason = self.loadgen_invalid_reason();
        for extra in &self.extra_reasons {
            if !reason.is_empty() && !reason.ends_with(' ') {
                reason.push(' ');
            }
            reason.push_str(extra);
        }
        reason
    }

    /// Why the result is INVALID, one reason each: every recommendation LoadGen prints under
    /// `Recommendations:`, then, when early stopping failed, which check and what it needs
    /// (LoadGen's own text, on one line: `... Would need to run at least 362 more queries ...`).
    pub fn reasons(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        if let Some(r) = &self.perf_recommendation {
            out.extend(r.split("\n * ").map(str::to_string));
        }
        out.extend(self.min_duration_recommendation.clone());
        if !self.min_queries_met {
            out.push("The test exited early, before enough queries were issued.".to_string());
        }
        if !self.early_stopping_met {
            let failed = [
                ("", &self.early_stopping),
                ("TTFT ", &self.ttft_early_stopping),
                ("TPOT ", &self.tpot_early_stopping),
            ];
            let mut named = false;
            for (on, es) in failed {
                if let Some(es) = es.as_ref().filter(|es| !es.met) {
                    let text: Vec<&str> = es
                        .text
                        .lines()
                        .map(|l| l.trim().trim_start_matches("* "))
                        .filter(|l| !l.is_empty())
                        .collect();
                    out.push(format!(
                        "{on}Early stopping not satisfied: {}",
                        text.join(" ")
                    ));
                    named = true;
                }
            }
            if !named {
                out.push("Early stopping not satisfied.".to_string());
            }
        }
        out
    }

    /// LoadGen's own `result_invalid_reason` (empty when only early stopping failed).
    pub fn loadgen_invalid_reason(&self) -> String {
        let mut reason = String::new();
        if let Some(r) = &self.perf_recommendation {
            reason.push_str(&r.replace('\n', " "));
            reason.push(' ');
        }
        if let Some(r) = &self.min_duration_recommendation {
            reason.push_str(r);
            reason.push(' ');
        }
        if !self.min_queries_met {
            reason.push_str("The test exited early, before enough queries were issued.");
        }
        reason
    }
}

/// The min-duration check and LoadGen's recommendation when it fails.
fn min_duration(eff: &EffectiveSettings, times: &RawTimes) -> (bool, Option<String>) {
    let min_duration_s = eff.min_duration_ms as f64 / 1000.0;
    let (met, recommendation) = match eff.scenario {
        Scenario::Offline => (
            times.max_latency_s >= min_duration_s,
            "Increase expected QPS so the loadgen pre-generates a larger (coalesced) query.",
        ),
        Scenario::Server => (
            times.final_query_scheduled_s >= min_duration_s,
            "Increase the target QPS so the loadgen pre-generates more queries.",
        ),
        Scenario::SingleStream | Scenario::MultiStream => (
            times.final_query_issued_s >= min_duration_s,
            "Decrease the expected latency so the loadgen pre-generates more queries.",
        ),
    };
    (met, (!met).then(|| recommendation.to_string()))
}

/// The early-stopping outcomes: plain mode on sample latencies; token mode on TPOT and, only
/// if that passes, on TTFT (LoadGen's short circuit).
struct EarlyStoppingChecks {
    met: bool,
    plain: Option<EarlyStopping>,
    ttft: Option<EarlyStopping>,
    tpot: Option<EarlyStopping>,
}

fn early_stopping_checks(eff: &EffectiveSettings, raw: &RawResults) -> EarlyStoppingChecks {
    let issued = i64::try_from(raw.queries_issued).unwrap_or(i64::MAX);
    let queries = &raw.query_latencies;
    if !eff.requested.use_token_latencies {
        let es = run_early_stopping(
            eff,
            issued,
            &raw.sample_latencies,
            queries,
            eff.target_latency_ns,
        );
        return EarlyStoppingChecks {
            met: es.met,
            plain: Some(es),
            ttft: None,
            tpot: None,
        };
    }
    let tpot = run_early_stopping(
        eff,
        issued,
        &raw.tpot,
        queries,
        eff.requested.server_tpot_latency,
    );
    let ttft = tpot.met.then(|| {
        run_early_stopping(
            eff,
            issued,
            &raw.ttft,
            queries,
            eff.requested.server_ttft_latency,
        )
    });
    EarlyStoppingChecks {
        met: tpot.met && ttft.as_ref().is_some_and(|e| e.met),
        plain: None,
        ttft,
        tpot: Some(tpot),
    }
}

fn run_early_stopping(
    eff: &EffectiveSettings,
    issued: i64,
    samples: &[i64],
    queries: &[i64],
    threshold: u64,
) -> EarlyStopping {
    let p = eff.target_latency_percentile;
    match eff.scenario {
        Scenario::Offline => EarlyStopping::offline(),
        Scenario::Server => early_stopping::server(issued, samples, threshold as i64, p),
        Scenario::SingleStream => early_stopping::stream(issued, samples, p, true),
        Scenario::MultiStream => early_stopping::stream(issued, queries, p, false),
    }
}

fn perf_constraints(
    eff: &EffectiveSettings,
    latency: Option<&LatencyStats>,
    ttft: Option<&LatencyStats>,
    tpot: Option<&LatencyStats>,
) -> (Option<bool>, Option<String>) {
    if eff.scenario != Scenario::Server {
        return (None, None);
    }
    let at_target = |s: Option<&LatencyStats>| s.map_or(0, |s| s.target.1);
    if !eff.requested.use_token_latencies {
        if at_target(latency) > eff.target_latency_ns as i64 {
            return (
                Some(false),
                Some("Reduce target QPS to improve latency.".into()),
            );
        }
        return (Some(true), None);
    }
    let mut rec = String::new();
    if at_target(ttft) > eff.requested.server_ttft_latency as i64 {
        rec.push_str("TTFT constrain not met: Reduce target QPS to improve latency.");
    }
    if at_target(tpot) > eff.requested.server_tpot_latency as i64 {
        if !rec.is_empty() {
            rec.push_str("\n * ");
        }
        rec.push_str("TPOT constrain not met: Reduce target QPS to improve latency.");
    }
    if rec.is_empty() {
        (Some(true), None)
    } else {
        (Some(false), Some(rec))
    }
}

fn metrics(
    eff: &EffectiveSettings,
    n: usize,
    tokens: i64,
    latency: &Option<LatencyStats>,
    t: &RawTimes,
) -> Metrics {
    let scenario = eff.scenario;
    let token_mode = eff.requested.use_token_latencies;
    let n_f = n as f64;
    let n_minus_1 = n as f64 - 1.0;
    let tokens_f = tokens as f64;
    let mean_ns = latency.as_ref().map_or(0, |l| l.mean) as f64;
    let mut m = Metrics::default();
    match scenario {
        Scenario::Offline => {
            m.samples_per_second = Some(n_f / t.max_latency_s);
            if token_mode {
                m.tokens_per_second = Some(tokens_f / t.max_latency_s);
            }
        }
        Scenario::Server => {
            m.scheduled_samples_per_sec = Some(n_minus_1 / t.final_query_scheduled_s);
            m.completed_samples_per_sec = Some(n_minus_1 / t.final_query_all_samples_done_s);
        }
        Scenario::SingleStream => {
            m.qps_with_loadgen_overhead = Some(n_minus_1 / t.final_query_issued_s);
            m.qps_without_loadgen_overhead = Some(1.0 / (mean_ns / 1e9));
        }
        Scenario::MultiStream => {}
    }
    if token_mode && scenario != Scenario::Offline {
        m.completed_tokens_per_second = Some(tokens_f / t.final_query_all_samples_done_s);
        m.token_throughput_with_loadgen_overhead = Some(tokens_f / t.final_query_issued_s);
        m.token_throughput = Some(tokens_f / (mean_ns * n_f));
    }
    if eff.requested.infer_token_latencies {
        let factor = eff.requested.token_latency_scaling_factor as f64;
        match scenario {
            Scenario::Offline => {
                m.inferred_tokens_per_second = Some(factor * n_f / t.max_latency_s)
            }
            Scenario::Server => {
                m.inferred_completed_tokens_per_second =
                    Some(factor * n_minus_1 / t.final_query_all_samples_done_s);
            }
            _ => {}
        }
    }
    m
}
