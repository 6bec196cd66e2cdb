//! The checker's performance checks (`checks/performance_check.py`, `PerformanceCheck`) on
//! `performance/run_1/mlperf_log_detail.txt`, for gpt-oss-120b's LoadGen-format logs.
//!
//! Not modelled because they cannot fire here: `loadgen_errors_check` (it fails only under
//! `--submission-exceptions`), `equal_issue_check` (not for gpt-oss-120b), and the endpoints
//! checks.

use ossperf_loadgen::logs::read::DetailLog;
use serde_json::Value;

use super::{first, read_log, system, Findings, Scenario};
use crate::submittable::{
    MIN_DURATION_MS, OFFLINE_MIN_SAMPLES_PER_QUERY, PERFORMANCE_SAMPLE_COUNT, SEEDS,
};

/// `latency-constraint["gpt-oss-120b"]["Server"]`, against `effective_target_latency_ns`.
const SERVER_LATENCY_CONSTRAINT_NS: f64 = 60_000_000_000.0;
/// `LLM_LATENCY_LIMITS["gpt-oss-120b"]["Server"]` (TTFT, TPOT), both strictly above the p99s.
const SERVER_TTFT_NS: f64 = 3000.0 * 1e6;
const SERVER_TPOT_NS: f64 = 80.0 * 1e6;
/// `min-queries["gpt-oss-120b"]["Offline"]`.
const OFFLINE_MIN_QUERIES: f64 = 1.0;

/// A number in the log, or a finding that it is not there.
fn number(
    findings: &mut Findings,
    s: &Scenario<'_>,
    log: &DetailLog,
    rule: &'static str,
    key: &str,
) -> Option<f64> {
    let v = first(log, key).and_then(Value::as_f64);
    if v.is_none() {
        findings.checker(
            rule,
            &s.dir.performance().join(super::layout::DETAIL),
            format!("`{key}` is not in the log"),
        );
    }
    v
}

/// Runs the checks; returns the log for ossperf's own checks.
pub(super) fn check(findings: &mut Findings, s: &Scenario<'_>) -> Option<DetailLog> {
    let path = s.dir.performance().join(super::layout::DETAIL);
    let log = read_log(findings, "performance.missing", &path)?;
    // The checker takes the scenario from the log: an Interactive run logs Server.
    let scenario = first(&log, "effective_scenario")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();

    if let Some(n) = number(
        findings,
        s,
        &log,
        "performance.sample_count",
        "effective_performance_sample_count",
    ) {
        if n < PERFORMANCE_SAMPLE_COUNT as f64 {
            findings.checker(
                "performance.sample_count",
                &path,
                format!("`effective_performance_sample_count` is {n}; the checker requires at least {PERFORMANCE_SAMPLE_COUNT}"),
            );
        }
    }

    for (name, expected) in SEEDS {
        let key = format!("effective_{name}");
        let found = first(&log, &key).and_then(Value::as_u64);
        if found != Some(expected) {
            let found = found.map_or("absent".to_string(), |v| v.to_string());
            findings.checker(
                "performance.seeds",
                &path,
                format!("`{key}` is {found}; the checker requires {expected}"),
            );
        }
    }

    // latency_check: early stopping covers Server (and Interactive, logged as Server).
    if scenario == "Server" {
        if first(&log, "early_stopping_met").and_then(Value::as_bool) != Some(true) {
            findings.checker(
                "performance.early_stopping",
                &path,
                "`early_stopping_met` is not true; the checker requires the early-stopping condition met in Server (an Interactive run logs Server)".into(),
            );
        }
        if let Some(ns) = first(&log, "effective_target_latency_ns").and_then(Value::as_f64) {
            if ns > SERVER_LATENCY_CONSTRAINT_NS {
                findings.checker(
                    "performance.latency_constraint",
                    &path,
                    format!("`effective_target_latency_ns` is {ns}; the checker allows at most {SERVER_LATENCY_CONSTRAINT_NS}"),
                );
            }
        }
    }

    // min_query_count_check: Offline (the one scenario without early stopping here).
    if scenario == "Offline" {
        if let Some(n) = number(
            findings,
            s,
            &log,
            "performance.min_query_count",
            "effective_min_query_count",
        ) {
            if n < OFFLINE_MIN_QUERIES {
                findings.checker(
                    "performance.min_query_count",
                    &path,
                    format!("`effective_min_query_count` is {n}; the checker requires at least {OFFLINE_MIN_QUERIES}"),
                );
            }
        }
        if s.division == "closed" {
            if let Some(n) = number(
                findings,
                s,
                &log,
                "performance.samples_per_query",
                "effective_samples_per_query",
            ) {
                if n < OFFLINE_MIN_SAMPLES_PER_QUERY as f64 {
                    findings.checker(
                        "performance.samples_per_query",
                        &path,
                        format!("`effective_samples_per_query` is {n}; the closed division requires at least {OFFLINE_MIN_SAMPLES_PER_QUERY} in Offline"),
                    );
                }
            }
        }
    }

    if let Some(ms) = number(
        findings,
        s,
        &log,
        "performance.min_duration",
        "effective_min_duration_ms",
    ) {
        if ms < MIN_DURATION_MS as f64 {
            findings.checker(
                "performance.min_duration",
                &path,
                format!("`effective_min_duration_ms` is {ms}; the checker requires at least {MIN_DURATION_MS} (10 minutes)"),
            );
        }
    }

    // network_check: the system description's network mode against the division.
    if let Some(json) = s.system {
        if let Some(message) = system::network_mismatch(json, s.division) {
            findings.checker("performance.network", &path, message);
        }
    }

    llm_check(findings, &path, &log, &scenario);

    // inferred_check: the log's scenario must be the directory's (Server in Interactive is
    // allowed); inferring is for edge systems, which gpt-oss-120b has none of.
    let fixed = s.name.to_lowercase();
    let logged = scenario.to_lowercase();
    if logged != fixed && (logged.as_str(), fixed.as_str()) != ("server", "interactive") {
        findings.checker(
            "performance.inferred",
            &path,
            format!(
                "the log's scenario is `{scenario}`, in a `{}` directory; the checker infers results only for edge systems",
                s.name
            ),
        );
    }
    Some(log)
}

/// `llm_check`: token latencies on; in Server, the p99 TTFT and TPOT under the Server limits.
fn llm_check(findings: &mut Findings, path: &std::path::Path, log: &DetailLog, scenario: &str) {
    if first(log, "requested_use_token_latencies").and_then(Value::as_bool) != Some(true) {
        findings.checker(
            "performance.token_latencies",
            path,
            "`requested_use_token_latencies` is not true; the checker requires token latencies for gpt-oss-120b".into(),
        );
        return;
    }
    if scenario != "Server" {
        return;
    }
    let ttft = first(log, "result_first_token_99.00_percentile_latency_ns").and_then(Value::as_f64);
    let tpot =
        first(log, "result_time_per_output_token_99.00_percentile_ns").and_then(Value::as_f64);
    let (Some(ttft), Some(tpot)) = (ttft, tpot) else {
        findings.checker(
            "performance.llm_latency",
            path,
            "the 99th-percentile TTFT or TPOT is not in the log".into(),
        );
        return;
    };
    if !(ttft < SERVER_TTFT_NS && tpot < SERVER_TPOT_NS) {
        findings.checker(
            "performance.llm_latency",
            path,
            format!(
                "99th-percentile TTFT {} ms, TPOT {} ms; the checker requires both under 3000 ms and 80 ms (its Server limits, which it also applies to Interactive, whose log says Server)",
                ttft / 1e6,
                tpot / 1e6
            ),
        );
    }
}
