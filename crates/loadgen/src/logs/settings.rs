//! The settings half of the detail log: the header, every `requested_*` key and every
//! `effective_*` key, in LoadGen's order and with LoadGen's types (docs/LOADGEN.md §10.3).

use std::io;

use super::detail::{DetailLog, Value};
use crate::settings::{Scenario, TestSettings};
use crate::EffectiveSettings;

/// The version string this port logs as `loadgen_version`.
pub(crate) const VERSION: &str = concat!("6.0.17 @ ossperf-", env!("CARGO_PKG_VERSION"));

/// The header keys up to `qsl_reported_performance_count`.
pub(crate) struct Header<'a> {
    /// `test_datetime`.
    pub datetime: &'a str,
    /// `sut_name`.
    pub sut_name: &'a str,
    /// `get_sut_name_duration_ns`.
    pub sut_name_ns: u64,
    /// `qsl_name`.
    pub qsl_name: &'a str,
    /// `qsl_reported_total_count`.
    pub qsl_total: usize,
    /// `qsl_reported_performance_count`.
    pub qsl_performance: usize,
}

/// Logs the version block and the test header.
pub(crate) fn log_header(d: &mut DetailLog, h: &Header<'_>) -> io::Result<()> {
    d.log("loadgen_version", Value::Str(VERSION))?;
    d.log("loadgen_build_date_local", Value::Str("NA"))?;
    d.log("loadgen_build_date_utc", Value::Str("NA"))?;
    d.log("loadgen_git_commit_date", Value::Str("NA"))?;
    d.log("loadgen_git_log_message", Value::Str("NA"))?;
    d.log("loadgen_git_status_message", Value::Str("NA"))?;
    d.log("loadgen_file_sha1", Value::Map(&[]))?;
    d.log("test_datetime", Value::Str(h.datetime))?;
    d.log("sut_name", Value::Str(h.sut_name))?;
    d.log("get_sut_name_duration_ns", Value::UInt(h.sut_name_ns))?;
    d.log("qsl_name", Value::Str(h.qsl_name))?;
    d.log("qsl_reported_total_count", Value::UInt(h.qsl_total as u64))?;
    d.log(
        "qsl_reported_performance_count",
        Value::UInt(h.qsl_performance as u64),
    )
}

/// Logs every `requested_*` key.
pub(crate) fn log_requested(d: &mut DetailLog, r: &TestSettings) -> io::Result<()> {
    d.log("requested_scenario", Value::Str(r.scenario.as_str()))?;
    d.log("requested_test_mode", Value::Str(r.mode.as_str()))?;
    match r.scenario {
        Scenario::SingleStream => {
            d.log(
                "requested_single_stream_expected_latency_ns",
                Value::Float(r.single_stream_expected_latency_ns),
            )?;
            d.log(
                "requested_single_stream_target_latency_percentile",
                Value::Float(r.single_stream_target_latency_percentile),
            )?;
        }
        Scenario::MultiStream => {
            d.log(
                "requested_multi_stream_expected_latency_ns",
                Value::Float(r.multi_stream_expected_latency_ns),
            )?;
            d.log(
                "requested_multi_stream_target_latency_percentile",
                Value::Float(r.multi_stream_target_latency_percentile),
            )?;
            d.log(
                "requested_multi_stream_samples_per_query",
                Value::UInt(r.multi_stream_samples_per_query),
            )?;
        }
        Scenario::Server => {
            d.log(
                "requested_server_target_qps",
                Value::Float(r.server_target_qps),
            )?;
            d.log(
                "requested_server_target_latency_ns",
                Value::UInt(r.server_target_latency_ns),
            )?;
            d.log(
                "requested_server_target_latency_percentile",
                Value::Float(r.server_target_latency_percentile),
            )?;
            d.log(
                "requested_server_coalesce_queries",
                Value::Bool(r.server_coalesce_queries),
            )?;
            d.log(
                "requested_server_find_peak_qps_decimals_of_precision",
                Value::Int(i64::from(r.server_find_peak_qps_decimals_of_precision)),
            )?;
            d.log(
                "requested_server_find_peak_qps_boundary_step_size",
                Value::Float(r.server_find_peak_qps_boundary_step_size),
            )?;
            d.log(
                "requested_server_max_async_queries",
                Value::UInt(r.server_max_async_queries),
            )?;
            d.log(
                "requested_server_num_issue_query_threads",
                Value::UInt(r.server_num_issue_query_threads),
            )?;
        }
        Scenario::Offline => {
            d.log(
                "requested_offline_expected_qps",
                Value::Float(r.offline_expected_qps),
            )?;
        }
    }
    let u = Value::UInt;
    d.log("requested_min_duration_ms", u(r.min_duration_ms))?;
    d.log("requested_max_duration_ms", u(r.max_duration_ms))?;
    d.log("requested_min_query_count", u(r.min_query_count))?;
    d.log("requested_max_query_count", u(r.max_query_count))?;
    d.log("requested_qsl_rng_seed", u(r.qsl_rng_seed))?;
    d.log(
        "requested_sample_index_rng_seed",
        u(r.sample_index_rng_seed),
    )?;
    d.log("requested_schedule_rng_seed", u(r.schedule_rng_seed))?;
    d.log(
        "requested_accuracy_log_rng_seed",
        u(r.accuracy_log_rng_seed),
    )?;
    d.log(
        "requested_accuracy_log_probability",
        Value::Float(r.accuracy_log_probability),
    )?;
    d.log(
        "requested_accuracy_log_sampling_target",
        u(r.accuracy_log_sampling_target),
    )?;
    d.log(
        "requested_print_timestamps",
        Value::Bool(r.print_timestamps),
    )?;
    d.log(
        "requested_performance_issue_unique",
        Value::Bool(r.performance_issue_unique),
    )?;
    d.log(
        "requested_performance_issue_same",
        Value::Bool(r.performance_issue_same),
    )?;
    d.log(
        "requested_performance_issue_same_index",
        u(r.performance_issue_same_index),
    )?;
    d.log(
        "requested_performance_sample_count_override",
        u(r.performance_sample_count_override),
    )?;
    d.log(
        "requested_accuracy_sample_count_override",
        u(r.accuracy_sample_count_override),
    )?;
    d.log(
        "requested_sample_concatenate_permutation",
        Value::Bool(r.sample_concatenate_permutation),
    )?;
    if r.use_token_latencies {
        d.log("requested_use_token_latencies", Value::Bool(true))?;
        if r.scenario != Scenario::Offline {
            d.log("requested_server_ttft_latency", u(r.server_ttft_latency))?;
            d.log("requested_server_tpot_latency", u(r.server_tpot_latency))?;
        }
    }
    Ok(())
}

/// Logs every `effective_*` key.
pub(crate) fn log_effective(d: &mut DetailLog, e: &EffectiveSettings) -> io::Result<()> {
    let u = Value::UInt;
    d.log("effective_scenario", Value::Str(e.scenario.as_str()))?;
    d.log("effective_test_mode", Value::Str(e.mode.as_str()))?;
    d.log("effective_samples_per_query", u(e.samples_per_query))?;
    d.log("effective_target_qps", Value::Float(e.target_qps))?;
    d.log("effective_target_latency_ns", u(e.target_latency_ns))?;
    d.log(
        "effective_target_latency_percentile",
        Value::Float(e.target_latency_percentile),
    )?;
    d.log("effective_max_async_queries", u(e.max_async_queries))?;
    d.log("effective_target_duration_ms", u(e.target_duration_ms))?;
    d.log("effective_min_duration_ms", u(e.min_duration_ms))?;
    d.log("effective_max_duration_ms", u(e.max_duration_ms))?;
    d.log("effective_min_query_count", u(e.min_query_count))?;
    d.log("effective_max_query_count", u(e.max_query_count))?;
    d.log("effective_min_sample_count", u(e.min_sample_count))?;
    d.log("effective_qsl_rng_seed", u(e.qsl_rng_seed))?;
    d.log(
        "effective_sample_index_rng_seed",
        u(e.sample_index_rng_seed),
    )?;
    d.log("effective_schedule_rng_seed", u(e.schedule_rng_seed))?;
    d.log(
        "effective_accuracy_log_rng_seed",
        u(e.accuracy_log_rng_seed),
    )?;
    d.log(
        "effective_accuracy_log_probability",
        Value::Float(e.accuracy_log_probability),
    )?;
    d.log(
        "effective_accuracy_log_sampling_target",
        u(e.accuracy_log_sampling_target),
    )?;
    d.log(
        "effective_print_timestamps",
        Value::Bool(e.print_timestamps),
    )?;
    d.log(
        "effective_performance_issue_unique",
        Value::Bool(e.performance_issue_unique),
    )?;
    d.log(
        "effective_performance_issue_same",
        Value::Bool(e.performance_issue_same),
    )?;
    d.log(
        "effective_performance_issue_same_index",
        u(e.performance_issue_same_index),
    )?;
    d.log(
        "effective_performance_sample_count",
        u(e.performance_sample_count),
    )?;
    d.log(
        "effective_accuracy_sample_count",
        u(e.accuracy_sample_count),
    )?;
    d.log(
        "effective_sample_concatenate_permutation",
        Value::Bool(e.sample_concatenate_permutation),
    )
}
