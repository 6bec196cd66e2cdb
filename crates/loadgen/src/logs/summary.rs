//! `mlperf_log_summary.txt` (docs/LOADGEN.md §10.4): the human-readable verdict, line for line as
//! LoadGen 6.0.17 prints it, and the `result_*` keys of the detail log in LoadGen's order.
//!
//! Summary values follow iostream rules: integers plain, doubles `%g` unless LoadGen
//! pre-formats them with two decimals, bools as `0`/`1`.

use std::fmt;
use std::io;

use super::detail::{DetailLog, Value};
use super::format::{format_fixed2, format_g, percentile_label};
use crate::results::PerformanceResult;
use crate::settings::Scenario;
use crate::stats::LatencyStats;
use crate::EffectiveSettings;

const RULE: &str = "================================================";

/// The summary body of a performance run (everything before the warning/error trailer).
pub(crate) fn render(r: &PerformanceResult, eff: &EffectiveSettings, sut_name: &str) -> String {
    Body { r, eff, sut_name }.to_string()
}

/// The summary body, written by its [`fmt::Display`].
struct Body<'a> {
    r: &'a PerformanceResult,
    eff: &'a EffectiveSettings,
    sut_name: &'a str,
}

impl fmt::Display for Body<'_> {
    fn fmt(&self, s: &mut fmt::Formatter<'_>) -> fmt::Result {
        let Body { r, eff, sut_name } = *self;
        let token_mode = eff.requested.use_token_latencies;
        writeln!(s, "{RULE}\nMLPerf Results Summary\n{RULE}")?;
        writeln!(s, "SUT name : {sut_name}")?;
        writeln!(s, "Scenario : {}", eff.scenario.as_str())?;
        writeln!(s, "Mode     : {}", eff.mode.as_str())?;
        headline(s, r, eff)?;
        verdict(s, r)?;
        if eff.scenario != Scenario::Offline {
            let text = |e: &Option<crate::early_stopping::EarlyStopping>| {
                e.as_ref().map(|e| e.text.clone()).unwrap_or_default()
            };
            if token_mode {
                writeln!(
                    s,
                    "TTFT Early Stopping Result:\n{}",
                    text(&r.ttft_early_stopping)
                )?;
                writeln!(
                    s,
                    "TPOT Early Stopping Result:\n{}",
                    text(&r.tpot_early_stopping)
                )?;
            } else {
                writeln!(s, "Early Stopping Result:\n{}", text(&r.early_stopping))?;
            }
        }
        writeln!(s, "\n{RULE}\nAdditional Stats\n{RULE}")?;
        additional_stats(s, r, eff)?;
        writeln!(s, "\n{RULE}\nTest Parameters Used\n{RULE}")?;
        parameters(s, eff)
    }
}

/// The trailer every summary ends with (the whole summary of an accuracy-only run).
pub(crate) fn trailer(warnings: u64, errors: u64) -> String {
    let warnings = match warnings {
        0 => "No warnings encountered during test.".to_string(),
        1 => "1 warning encountered. See detailed log.".to_string(),
        n => format!("{n} warnings encountered. See detailed log."),
    };
    let errors = match errors {
        0 => "No errors encountered during test.".to_string(),
        1 => "1 ERROR encountered. See detailed log.".to_string(),
        n => format!("{n} ERRORS encountered. See detailed log."),
    };
    format!("\n{warnings}\n\n{errors}\n")
}

fn headline(
    s: &mut fmt::Formatter<'_>,
    r: &PerformanceResult,
    eff: &EffectiveSettings,
) -> fmt::Result {
    let m = &r.metrics;
    let token_mode = eff.requested.use_token_latencies;
    let target = percentile_label(eff.target_latency_percentile, 1);
    let g = |x: Option<f64>| format_g(x.unwrap_or(0.0));
    let f2 = |x: Option<f64>| format_fixed2(x.unwrap_or(0.0));
    match eff.scenario {
        Scenario::SingleStream => {
            let v = r.latency.as_ref().map_or(0, |l| l.target.1);
            writeln!(s, "{target}th percentile latency (ns) : {v}")?;
        }
        Scenario::MultiStream => {
            let v = r.query_latency.as_ref().map_or(0, |l| l.target.1);
            writeln!(s, "{target}th percentile latency (ns) : {v}")?;
        }
        Scenario::Server => {
            let rate = f2(m.completed_samples_per_sec);
            writeln!(s, "Completed samples per second    : {rate}")?;
        }
        Scenario::Offline => {
            writeln!(s, "Samples per second: {}", g(m.samples_per_second))?;
        }
    }
    if token_mode {
        token_headline(s, r, eff, &target)?;
    }
    if let Some(x) = m.inferred_completed_tokens_per_second {
        writeln!(
            s,
            "Completed tokens per second (inferred): {}",
            format_fixed2(x)
        )?;
    }
    if let Some(x) = m.inferred_tokens_per_second {
        writeln!(s, "Tokens per second (inferred): {}", format_g(x))?;
    }
    Ok(())
}

fn token_headline(
    s: &mut fmt::Formatter<'_>,
    r: &PerformanceResult,
    eff: &EffectiveSettings,
    target: &str,
) -> fmt::Result {
    let m = &r.metrics;
    let g = |x: Option<f64>| format_g(x.unwrap_or(0.0));
    let f2 = |x: Option<f64>| format_fixed2(x.unwrap_or(0.0));
    match eff.scenario {
        Scenario::SingleStream | Scenario::MultiStream => {
            let v = r.ttft.as_ref().map_or(0, |l| l.target.1);
            writeln!(s, "{target}th first token percentile latency (ns) : {v}")?;
        }
        Scenario::Server => {
            writeln!(
                s,
                "Completed tokens per second: {}",
                f2(m.completed_tokens_per_second)
            )?;
        }
        Scenario::Offline => {
            writeln!(s, "Tokens per second: {}", g(m.tokens_per_second))?;
        }
    }
    Ok(())
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "Yes"
    } else {
        "NO"
    }
}

fn verdict(s: &mut fmt::Formatter<'_>, r: &PerformanceResult) -> fmt::Result {
    writeln!(
        s,
        "Result is : {}",
        if r.valid { "VALID" } else { "INVALID" }
    )?;
    if let Some(met) = r.perf_constraints_met {
        writeln!(s, "  Performance constraints satisfied : {}", yes_no(met))?;
    }
    writeln!(
        s,
        "  Min duration satisfied : {}",
        yes_no(r.min_duration_met)
    )?;
    writeln!(s, "  Min queries satisfied : {}", yes_no(r.min_queries_met))?;
    writeln!(
        s,
        "  Early stopping satisfied: {}",
        yes_no(r.early_stopping_met)
    )?;
    if r.valid {
        return Ok(());
    }
    writeln!(s, "Recommendations:")?;
    if let Some(rec) = &r.perf_recommendation {
        writeln!(s, " * {rec}")?;
    }
    if let Some(rec) = &r.min_duration_recommendation {
        writeln!(s, " * {rec}")?;
    }
    if !r.min_queries_met {
        writeln!(
            s,
            " * The test exited early, before enough queries were issued.\n   See the detailed \
             log for why this may have occurred."
        )?;
    }
    for extra in &r.extra_reasons {
        writeln!(s, " * {extra}")?;
    }
    Ok(())
}

fn stats_lines(
    s: &mut fmt::Formatter<'_>,
    st: Option<&LatencyStats>,
    labels: [&str; 4],
) -> fmt::Result {
    let zero = [0i64; 6];
    let (min, max, mean) = st.map_or((0, 0, 0), |l| (l.min, l.max, l.mean));
    writeln!(s, "{}{min}", labels[0])?;
    writeln!(s, "{}{max}", labels[1])?;
    writeln!(s, "{}{mean}", labels[2])?;
    for (i, p) in crate::stats::PERCENTILES.iter().enumerate() {
        let v = st.map_or(zero[i], |l| l.percentiles[i].1);
        writeln!(s, "{}{}{v}", percentile_label(*p, 2), labels[3])?;
    }
    Ok(())
}

const LATENCY_LABELS: [&str; 4] = [
    "Min latency (ns)                : ",
    "Max latency (ns)                : ",
    "Mean latency (ns)               : ",
    " percentile latency (ns)   : ",
];

fn additional_stats(
    s: &mut fmt::Formatter<'_>,
    r: &PerformanceResult,
    eff: &EffectiveSettings,
) -> fmt::Result {
    let m = &r.metrics;
    let token_mode = eff.requested.use_token_latencies;
    let f2 = |x: Option<f64>| format_fixed2(x.unwrap_or(0.0));
    match eff.scenario {
        Scenario::SingleStream => {
            writeln!(
                s,
                "QPS w/ loadgen overhead         : {}",
                f2(m.qps_with_loadgen_overhead)
            )?;
            writeln!(
                s,
                "QPS w/o loadgen overhead        : {}",
                f2(m.qps_without_loadgen_overhead)
            )?;
            writeln!(s)?;
        }
        Scenario::Server => {
            let rate = f2(m.scheduled_samples_per_sec);
            writeln!(s, "Scheduled samples per second : {rate}")?;
        }
        Scenario::MultiStream => {
            writeln!(s, "Per-query latency:  ")?;
            stats_lines(s, r.query_latency.as_ref(), LATENCY_LABELS)?;
        }
        Scenario::Offline => {}
    }
    if eff.scenario != Scenario::MultiStream {
        stats_lines(s, r.latency.as_ref(), LATENCY_LABELS)?;
    }
    if !token_mode {
        return Ok(());
    }
    writeln!(s)?;
    let tokens = r.token_count.unwrap_or(0) as f64;
    match eff.scenario {
        Scenario::SingleStream => {
            let mean_s = r.latency.as_ref().map_or(0, |l| l.mean) as f64 / 1e9;
            let tps_wo = tokens / (mean_s * r.sample_count as f64);
            writeln!(
                s,
                "TPS w/ loadgen overhead         : {}",
                f2(m.token_throughput_with_loadgen_overhead)
            )?;
            writeln!(
                s,
                "TPS w/o loadgen overhead        : {}",
                format_fixed2(tps_wo)
            )?;
        }
        Scenario::Server => {
            writeln!(
                s,
                "Completed tokens per second                 : {}",
                f2(m.completed_tokens_per_second)
            )?;
        }
        _ => {}
    }
    if eff.scenario == Scenario::Offline {
        return Ok(());
    }
    stats_lines(
        s,
        r.ttft.as_ref(),
        [
            "Min First Token latency (ns)                : ",
            "Max First Token latency (ns)                : ",
            "Mean First Token latency (ns)               : ",
            " percentile first token latency (ns)   : ",
        ],
    )?;
    writeln!(s)?;
    stats_lines(
        s,
        r.tpot.as_ref(),
        [
            "Min Time per Output Token (ns)                : ",
            "Max Time per Output Token (ns)                : ",
            "Mean Time per Output Token (ns)               : ",
            " percentile time to output token (ns)   : ",
        ],
    )
}

fn parameters(s: &mut fmt::Formatter<'_>, eff: &EffectiveSettings) -> fmt::Result {
    let b = |v: bool| u8::from(v);
    writeln!(s, "samples_per_query : {}", eff.samples_per_query)?;
    writeln!(s, "target_qps : {}", format_g(eff.target_qps))?;
    if eff.requested.use_token_latencies {
        writeln!(
            s,
            "ttft_latency (ns): {}",
            eff.requested.server_ttft_latency
        )?;
        writeln!(
            s,
            "tpot_latency (ns): {}",
            eff.requested.server_tpot_latency
        )?;
    } else {
        writeln!(s, "target_latency (ns): {}", eff.target_latency_ns)?;
    }
    writeln!(s, "max_async_queries : {}", eff.max_async_queries)?;
    writeln!(s, "min_duration (ms): {}", eff.min_duration_ms)?;
    writeln!(s, "max_duration (ms): {}", eff.max_duration_ms)?;
    writeln!(s, "min_query_count : {}", eff.min_query_count)?;
    writeln!(s, "max_query_count : {}", eff.max_query_count)?;
    writeln!(s, "qsl_rng_seed : {}", eff.qsl_rng_seed)?;
    writeln!(s, "sample_index_rng_seed : {}", eff.sample_index_rng_seed)?;
    writeln!(s, "schedule_rng_seed : {}", eff.schedule_rng_seed)?;
    writeln!(s, "accuracy_log_rng_seed : {}", eff.accuracy_log_rng_seed)?;
    writeln!(
        s,
        "accuracy_log_probability : {}",
        format_g(eff.accuracy_log_probability)
    )?;
    writeln!(
        s,
        "accuracy_log_sampling_target : {}",
        eff.accuracy_log_sampling_target
    )?;
    writeln!(s, "print_timestamps : {}", b(eff.print_timestamps))?;
    writeln!(
        s,
        "performance_issue_unique : {}",
        b(eff.performance_issue_unique)
    )?;
    writeln!(
        s,
        "performance_issue_same : {}",
        b(eff.performance_issue_same)
    )?;
    writeln!(
        s,
        "performance_issue_same_index : {}",
        eff.performance_issue_same_index
    )?;
    writeln!(
        s,
        "performance_sample_count : {}",
        eff.performance_sample_count
    )?;
    writeln!(s, "accuracy_sample_count : {}", eff.accuracy_sample_count)?;
    if eff.sample_concatenate_permutation {
        writeln!(
            s,
            "WARNING: sample_concatenate_permutation was set to true. \nGenerated samples per \
             query might be different as the one in the setting.\nCheck the \
             generated_samples_per_query line in the detailed log for the real\nsamples_per_query \
             value"
        )?;
    }
    Ok(())
}

/// Logs the `result_*` keys of a performance run in LoadGen's order (docs/LOADGEN.md §10.3).
pub(crate) fn log_detail(
    d: &mut DetailLog,
    r: &PerformanceResult,
    eff: &EffectiveSettings,
) -> io::Result<()> {
    let token_mode = eff.requested.use_token_latencies;
    let m = &r.metrics;
    d.log(
        "result_validity",
        Value::Str(if r.valid { "VALID" } else { "INVALID" }),
    )?;
    if let Some(met) = r.perf_constraints_met {
        d.log("result_perf_constraints_met", Value::Bool(met))?;
    }
    d.log("result_min_duration_met", Value::Bool(r.min_duration_met))?;
    d.log("result_min_queries_met", Value::Bool(r.min_queries_met))?;
    d.log("early_stopping_met", Value::Bool(r.early_stopping_met))?;
    if !r.valid {
        d.log("result_invalid_reason", Value::Str(&r.invalid_reason()))?;
    }
    let flat = |e: &Option<crate::early_stopping::EarlyStopping>| {
        e.as_ref()
            .map(|e| e.text.replace('\n', " "))
            .unwrap_or_default()
    };
    if token_mode {
        d.log(
            "early_stopping_ttft_result",
            Value::Str(&flat(&r.ttft_early_stopping)),
        )?;
        d.log(
            "early_stopping_tpot_result",
            Value::Str(&flat(&r.tpot_early_stopping)),
        )?;
    } else {
        d.log(
            "early_stopping_result",
            Value::Str(&flat(&r.early_stopping)),
        )?;
    }
    d.log("result_query_count", Value::UInt(r.query_count))?;
    if let Some(n) = r.overlatency_count {
        d.log("result_overlatency_query_count", Value::UInt(n))?;
    }
    let f = |x: Option<f64>| Value::Float(x.unwrap_or(0.0));
    let es = r.early_stopping.as_ref();
    match eff.scenario {
        Scenario::SingleStream => {
            d.log(
                "result_qps_with_loadgen_overhead",
                f(m.qps_with_loadgen_overhead),
            )?;
            d.log(
                "result_qps_without_loadgen_overhead",
                f(m.qps_without_loadgen_overhead),
            )?;
            d.log(
                "early_stopping_latency_ss",
                Value::Int(es.and_then(|e| e.latency_ss).unwrap_or(0)),
            )?;
            d.log(
                "early_stopping_latency_ms",
                Value::Int(es.and_then(|e| e.latency_ms).unwrap_or(0)),
            )?;
        }
        Scenario::MultiStream => {
            log_stats(
                d,
                r.query_latency.as_ref(),
                "result_{}_query_latency_ns",
                "result_{}_percentile_per_query_latency_ns",
            )?;
            d.log(
                "early_stopping_latency_ms",
                Value::Int(es.and_then(|e| e.latency_ms).unwrap_or(0)),
            )?;
        }
        Scenario::Server => {
            d.log(
                "result_scheduled_samples_per_sec",
                f(m.scheduled_samples_per_sec),
            )?;
            d.log(
                "result_completed_samples_per_sec",
                f(m.completed_samples_per_sec),
            )?;
        }
        Scenario::Offline => d.log("result_samples_per_second", f(m.samples_per_second))?,
    }
    log_stats(
        d,
        r.latency.as_ref(),
        "result_{}_latency_ns",
        "result_{}_percentile_latency_ns",
    )?;
    if token_mode && eff.scenario != Scenario::Offline {
        log_stats(
            d,
            r.ttft.as_ref(),
            "result_first_token_{}_latency_ns",
            "result_first_token_{}_percentile_latency_ns",
        )?;
        d.log(
            "result_token_throughput_with_loadgen_overhead",
            f(m.token_throughput_with_loadgen_overhead),
        )?;
        d.log("result_token_throughput", f(m.token_throughput))?;
        let tpot = r.tpot.as_ref();
        for (i, p) in crate::stats::PERCENTILES.iter().enumerate() {
            let key = format!(
                "result_time_per_output_token_{}_percentile_ns",
                percentile_label(*p, 2)
            );
            d.log(&key, Value::Int(tpot.map_or(0, |t| t.percentiles[i].1)))?;
        }
        d.log(
            "result_time_to_output_token_min",
            Value::Int(tpot.map_or(0, |t| t.min)),
        )?;
        d.log(
            "result_time_to_output_token_max",
            Value::Int(tpot.map_or(0, |t| t.max)),
        )?;
        d.log(
            "result_time_to_output_token_mean",
            Value::Int(tpot.map_or(0, |t| t.mean)),
        )?;
        d.log(
            "result_completed_tokens_per_second",
            f(m.completed_tokens_per_second),
        )?;
    } else if token_mode {
        d.log("result_tokens_per_second", f(m.tokens_per_second))?;
    }
    if let Some(x) = m.inferred_completed_tokens_per_second {
        d.log(
            "result_inferred_completed_tokens_per_second",
            Value::Float(x),
        )?;
    }
    if let Some(x) = m.inferred_tokens_per_second {
        d.log("result_inferred_tokens_per_second", Value::Float(x))?;
    }
    Ok(())
}

fn log_stats(
    d: &mut DetailLog,
    st: Option<&LatencyStats>,
    plain: &str,
    pct: &str,
) -> io::Result<()> {
    let (min, max, mean) = st.map_or((0, 0, 0), |l| (l.min, l.max, l.mean));
    d.log(&plain.replace("{}", "min"), Value::Int(min))?;
    d.log(&plain.replace("{}", "max"), Value::Int(max))?;
    d.log(&plain.replace("{}", "mean"), Value::Int(mean))?;
    for (i, p) in crate::stats::PERCENTILES.iter().enumerate() {
        let v = st.map_or(0, |l| l.percentiles[i].1);
        d.log(&pct.replace("{}", &percentile_label(*p, 2)), Value::Int(v))?;
    }
    Ok(())
}
