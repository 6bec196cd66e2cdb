//! ossperf's own expectations, stricter than the checker's rules, reported as warnings:
//! Interactive's own latency limits (the checker applies the Server ones, because an
//! Interactive log says Server), LoadGen's VALID verdict (the checker does not read it), and the
//! official LoadGen library for the closed division (the checker cannot tell the logs apart).

use ossperf_loadgen::logs::read::DetailLog;
use serde_json::Value;

use super::{first, Findings, Scenario};
use crate::submission::layout::DETAIL;

/// The interactive conf key's limits (`gpt-oss-120b-interactive.Server` in mlperf.conf; the
/// checker's `LLM_LATENCY_LIMITS["gpt-oss-120b"]["Interactive"]`), in ns.
const INTERACTIVE_TTFT_NS: f64 = 2000.0 * 1e6;
const INTERACTIVE_TPOT_NS: f64 = 15.0 * 1e6;

pub(super) fn check(findings: &mut Findings, s: &Scenario<'_>, perf: Option<&DetailLog>) {
    let Some(log) = perf else {
        return;
    };
    let path = s.dir.performance().join(DETAIL);
    let validity = first(log, "result_validity").and_then(Value::as_str);
    if validity != Some("VALID") {
        findings.ossperf(
            "ossperf.result_validity",
            &path,
            format!(
                "LoadGen's verdict is {}; ossperf expects VALID (the checker does not read it)",
                validity.unwrap_or("absent")
            ),
        );
    }
    if s.name.eq_ignore_ascii_case("interactive") {
        let ttft =
            first(log, "result_first_token_99.00_percentile_latency_ns").and_then(Value::as_f64);
        let tpot =
            first(log, "result_time_per_output_token_99.00_percentile_ns").and_then(Value::as_f64);
        if let (Some(ttft), Some(tpot)) = (ttft, tpot) {
            if !(ttft < INTERACTIVE_TTFT_NS && tpot < INTERACTIVE_TPOT_NS) {
                findings.ossperf(
                    "ossperf.interactive_latency",
                    &path,
                    format!(
                        "99th-percentile TTFT {} ms, TPOT {} ms; Interactive's own limits are 2000 ms and 15 ms (the checker applies the Server limits here)",
                        ttft / 1e6,
                        tpot / 1e6
                    ),
                );
            }
        }
    }
    let version = first(log, "loadgen_version")
        .and_then(Value::as_str)
        .unwrap_or("");
    if s.division == "closed" && version.contains("@ ossperf") {
        findings.ossperf(
            "ossperf.official_loadgen",
            &path,
            format!("ossperf's own LoadGen ran (`loadgen_version` is `{version}`); the closed division expects the official LoadGen library (`--loadgen official`)"),
        );
    }
}
