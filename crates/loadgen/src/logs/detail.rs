//! `mlperf_log_detail.txt`: one `:::MLLOG {json}` line per event, in LoadGen's exact shape.
//!
//! The submission checker parses every line as JSON and reads settings and results by key, so the
//! field order, the separators and the number formatting follow LoadGen 6.0.17 (docs/LOADGEN.md
//! §10.2). Two deliberate differences keep every line valid JSON where LoadGen's would not be:
//! strings are JSON-escaped and a non-finite double is written as `null`.

use std::io::{self, Write};
use std::time::Instant;

use super::format::format_g;

/// The value of one detail entry.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// A string, written quoted.
    Str(&'a str),
    /// A signed integer.
    Int(i64),
    /// An unsigned integer (seeds up to 2^64 − 1 print in full).
    UInt(u64),
    /// A double, printed like iostream (`%g`, 6 significant digits).
    Float(f64),
    /// `true` / `false`.
    Bool(bool),
    /// A list of QSL indices, `[a,b,c]` without spaces.
    Indices(&'a [usize]),
    /// A string map, `{"k":"v"}` without spaces.
    Map(&'a [(&'a str, &'a str)]),
}

/// Whether a line is plain, a warning or an error (`metadata.is_warning` / `is_error`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Level {
    /// An ordinary entry.
    Info,
    /// Counted in the summary's warning trailer.
    Warning,
    /// Counted in `num_errors` and the summary's error trailer.
    Error,
}

/// Writes detail lines and counts warnings and errors.
pub(crate) struct DetailLog {
    out: Box<dyn Write + Send>,
    origin: Instant,
    pid: u32,
    tid: u64,
    errors: u64,
    warnings: u64,
}

impl std::fmt::Debug for DetailLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DetailLog")
            .field("errors", &self.errors)
            .field("warnings", &self.warnings)
            .finish_non_exhaustive()
    }
}

impl DetailLog {
    /// A detail log whose `time_ms` counts from `origin`, written by the calling thread.
    pub(crate) fn new(out: Box<dyn Write + Send>, origin: Instant) -> Self {
        Self {
            out,
            origin,
            pid: std::process::id(),
            tid: crate::sys::thread_id(),
            errors: 0,
            warnings: 0,
        }
    }

    /// Logs `key: value` now, from this thread.
    pub(crate) fn log(&mut self, key: &str, value: Value<'_>) -> io::Result<()> {
        self.write_entry(key, value, Level::Info, Instant::now(), self.tid)
    }

    /// Logs a `warning_generic_message` (or another warning key) now.
    pub(crate) fn warning(&mut self, key: &str, message: &str) -> io::Result<()> {
        self.write_entry(
            key,
            Value::Str(message),
            Level::Warning,
            Instant::now(),
            self.tid,
        )
    }

    /// Logs an error line (`error_runtime`, `error_invalid_test_settings`, …) now.
    pub(crate) fn error(&mut self, key: &str, message: &str) -> io::Result<()> {
        self.write_entry(
            key,
            Value::Str(message),
            Level::Error,
            Instant::now(),
            self.tid,
        )
    }

    /// Logs an entry produced earlier, possibly by another thread (`tid`).
    pub(crate) fn write_entry(
        &mut self,
        key: &str,
        value: Value<'_>,
        level: Level,
        at: Instant,
        tid: u64,
    ) -> io::Result<()> {
        match level {
            Level::Info => {}
            Level::Warning => self.warnings += 1,
            Level::Error => self.errors += 1,
        }
        let ns =
            u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(u64::MAX);
        let (file, line_no) = origin_of(key, &value);
        let mut line = String::with_capacity(256);
        line.push_str(":::MLLOG {\"key\": ");
        push_json_str(&mut line, key);
        line.push_str(", \"value\": ");
        push_value(&mut line, &value);
        line.push_str(&format!(
            ", \"time_ms\": {}.{:06}, \"namespace\": \"mlperf::logging\", \
             \"event_type\": \"POINT_IN_TIME\", \"metadata\": {{\"is_error\": {}, \
             \"is_warning\": {}, \"file\": \"{}\", \"line_no\": {}, \"pid\": {}, \"tid\": {}}}}}\n",
            ns / 1_000_000,
            ns % 1_000_000,
            level == Level::Error,
            level == Level::Warning,
            file,
            line_no,
            self.pid,
            tid
        ));
        self.out.write_all(line.as_bytes())
    }

    /// Time zero of `time_ms` (the test's origin).
    pub(crate) fn origin(&self) -> Instant {
        self.origin
    }

    /// Errors logged so far (the value of `num_errors`).
    pub(crate) fn errors(&self) -> u64 {
        self.errors
    }

    /// Warnings logged so far.
    pub(crate) fn warnings(&self) -> u64 {
        self.warnings
    }

    /// Flushes the underlying writer.
    pub(crate) fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

fn push_value(line: &mut String, value: &Value<'_>) {
    match *value {
        Value::Str(s) => push_json_str(line, s),
        Value::Int(i) => line.push_str(&i.to_string()),
        Value::UInt(u) => line.push_str(&u.to_string()),
        Value::Float(x) if x.is_finite() => line.push_str(&format_g(x)),
        Value::Float(_) => line.push_str("null"),
        Value::Bool(b) => line.push_str(if b { "true" } else { "false" }),
        Value::Indices(list) => {
            line.push('[');
            for (i, idx) in list.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                line.push_str(&idx.to_string());
            }
            line.push(']');
        }
        Value::Map(pairs) => {
            line.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    line.push(',');
                }
                push_json_str(line, k);
                line.push(':');
                push_json_str(line, v);
            }
            line.push('}');
        }
    }
}

fn push_json_str(line: &mut String, s: &str) {
    line.push('"');
    for c in s.chars() {
        match c {
            '"' => line.push_str("\\\""),
            '\\' => line.push_str("\\\\"),
            '\n' => line.push_str("\\n"),
            '\r' => line.push_str("\\r"),
            '\t' => line.push_str("\\t"),
            c if u32::from(c) < 0x20 => line.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => line.push(c),
        }
    }
    line.push('"');
}

/// The C++ source file and line that emits `key` in LoadGen 6.0.17 (spec Appendix B).
fn origin_of(key: &str, value: &Value<'_>) -> (&'static str, u32) {
    if let Some(rest) = key.strip_prefix("requested_") {
        return ("test_settings_internal.cc", requested_line(rest));
    }
    if let Some(rest) = key.strip_prefix("effective_") {
        return ("test_settings_internal.cc", effective_line(rest));
    }
    if key.starts_with("loadgen_") && !key.starts_with("logger_") {
        return ("version.cc", version_line(key));
    }
    if let Some(line) = loadgen_line(key, value) {
        return ("loadgen.cc", line);
    }
    if key.starts_with("logger_") {
        return ("logging.cc", logger_line(key));
    }
    if key.starts_with("result_") || key.starts_with("early_stopping") || key == "num_errors" {
        return ("results.cc", results_line(key));
    }
    if let Value::Str(message) = value {
        if let Some(origin) = thread_message_origin(message).or_else(|| message_origin(message)) {
            return origin;
        }
    }
    ("loadgen.cc", 0)
}

/// Where LoadGen's issue threads log, whichever thread index the message names.
fn thread_message_origin(message: &str) -> Option<(&'static str, u32)> {
    if message.starts_with("Registered IssueQueryThread[") {
        return Some(("issue_query_controller.cc", 225));
    }
    let rest = message.strip_prefix("IssueQueryThread ")?;
    let rest = rest.trim_start_matches(|c: char| c.is_ascii_digit());
    let line = if rest.starts_with(" Ending early: Too many") {
        465
    } else if rest.starts_with(" Ending early: Max query") {
        504
    } else if rest.starts_with(" Ending early: Max test") {
        524
    } else {
        return None;
    };
    Some(("issue_query_controller.cc", line))
}

/// Where LoadGen emits the warnings and errors whose key is generic.
fn message_origin(message: &str) -> Option<(&'static str, u32)> {
    const ORIGINS: [(&str, &str, u32); 10] = [
        ("Found Audit Config file", "loadgen.cc", 1235),
        ("Test05 flag detected", "loadgen.cc", 1256),
        (
            "Ending early: Ran out of generated queries",
            "loadgen.cc",
            513,
        ),
        ("Ending naturally", "issue_query_controller.cc", 482),
        ("n_tokens argument missing", "logging.cc", 443),
        ("Attempted to record a negative", "logging.cc", 447),
        ("Number of tokens need to be", "logging.cc", 451),
        (
            "Attempted to record a sample latency before",
            "logging.cc",
            429,
        ),
        ("Attempted to record token latency after", "logging.cc", 417),
        ("Attempted to complete a sample twice", "logging.cc", 0),
    ];
    ORIGINS
        .iter()
        .find(|(prefix, _, _)| message.starts_with(prefix))
        .map(|&(_, file, line)| (file, line))
}

fn version_line(key: &str) -> u32 {
    match key {
        "loadgen_version" => 53,
        "loadgen_build_date_local" => 55,
        "loadgen_build_date_utc" => 56,
        "loadgen_git_commit_date" => 57,
        "loadgen_git_log_message" => 58,
        "loadgen_git_status_message" => 60,
        _ => 67,
    }
}

fn loadgen_line(key: &str, value: &Value<'_>) -> Option<u32> {
    let line = match key {
        "generated_query_count" => 427,
        "generated_samples_per_query" => 428,
        "generated_query_duration" => 429,
        "power_begin" => 562,
        "power_end" => 564,
        "loaded_qsl_set" => 608,
        "test_datetime" => 1211,
        "sut_name" => 1212,
        "get_sut_name_duration_ns" => 1213,
        "qsl_name" => 1214,
        "qsl_reported_total_count" => 1215,
        "qsl_reported_performance_count" => 1216,
        "generic_message" => match value {
            Value::Str(s) if s.starts_with("Starting performance") => 848,
            Value::Str(s) if s.starts_with("Starting accuracy") => 1101,
            _ => return None,
        },
        _ => return None,
    };
    Some(line)
}

fn logger_line(key: &str) -> u32 {
    match key {
        "logger_swap_request_slots_retry_count" => 902,
        "logger_swap_request_slots_retry_retry_count" => 904,
        "logger_swap_request_slots_retry_reencounter_count" => 906,
        "logger_start_reading_entries_retry_count" => 908,
        "logger_tls_total_log_cas_fail_count" => 910,
        _ => 912,
    }
}

fn requested_line(rest: &str) -> u32 {
    match rest {
        "scenario" => 278,
        "test_mode" => 279,
        "single_stream_expected_latency_ns" => 284,
        "single_stream_target_latency_percentile" => 286,
        "multi_stream_expected_latency_ns" => 290,
        "multi_stream_target_latency_percentile" => 292,
        "multi_stream_samples_per_query" => 294,
        "server_target_qps" => 298,
        "server_target_latency_ns" => 299,
        "server_target_latency_percentile" => 301,
        "server_coalesce_queries" => 303,
        "server_find_peak_qps_decimals_of_precision" => 305,
        "server_find_peak_qps_boundary_step_size" => 308,
        "server_max_async_queries" => 310,
        "server_num_issue_query_threads" => 312,
        "offline_expected_qps" => 316,
        "min_duration_ms" => 322,
        "max_duration_ms" => 323,
        "min_query_count" => 324,
        "max_query_count" => 325,
        "qsl_rng_seed" => 326,
        "sample_index_rng_seed" => 327,
        "schedule_rng_seed" => 329,
        "accuracy_log_rng_seed" => 330,
        "accuracy_log_probability" => 332,
        "accuracy_log_sampling_target" => 334,
        "print_timestamps" => 336,
        "performance_issue_unique" => 337,
        "performance_issue_same" => 339,
        "performance_issue_same_index" => 341,
        "performance_sample_count_override" => 343,
        "accuracy_sample_count_override" => 345,
        "sample_concatenate_permutation" => 347,
        "use_token_latencies" => 351,
        "server_ttft_latency" => 354,
        _ => 356,
    }
}

fn effective_line(rest: &str) -> u32 {
    match rest {
        "scenario" => 428,
        "test_mode" => 429,
        "samples_per_query" => 431,
        "target_qps" => 432,
        "target_latency_ns" => 433,
        "target_latency_percentile" => 434,
        "max_async_queries" => 436,
        "target_duration_ms" => 437,
        "min_duration_ms" => 439,
        "max_duration_ms" => 440,
        "min_query_count" => 441,
        "max_query_count" => 442,
        "min_sample_count" => 443,
        "qsl_rng_seed" => 444,
        "sample_index_rng_seed" => 445,
        "schedule_rng_seed" => 447,
        "accuracy_log_rng_seed" => 448,
        "accuracy_log_probability" => 450,
        "accuracy_log_sampling_target" => 452,
        "print_timestamps" => 454,
        "performance_issue_unique" => 455,
        "performance_issue_same" => 457,
        "performance_issue_same_index" => 459,
        "performance_sample_count" => 461,
        "accuracy_sample_count" => 463,
        _ => 465,
    }
}

fn results_line(key: &str) -> u32 {
    match key {
        "result_validity" => 674,
        "result_perf_constraints_met" => 677,
        "result_min_duration_met" => 679,
        "result_min_queries_met" => 680,
        "early_stopping_met" => 681,
        "result_invalid_reason" => 695,
        "early_stopping_result" => 700,
        "early_stopping_ttft_result" => 706,
        "early_stopping_tpot_result" => 708,
        "result_query_count" => 712,
        "result_overlatency_query_count" => 714,
        "result_min_query_latency_ns" => 719,
        "result_max_query_latency_ns" => 720,
        "result_mean_query_latency_ns" => 721,
        "result_qps_with_loadgen_overhead" => 735,
        "result_qps_without_loadgen_overhead" => 736,
        "early_stopping_latency_ss" => 737,
        "early_stopping_latency_ms" => 739,
        "result_scheduled_samples_per_sec" => 760,
        "result_completed_samples_per_sec" => 763,
        "result_samples_per_second" => 768,
        "result_min_latency_ns" => 774,
        "result_max_latency_ns" => 775,
        "result_mean_latency_ns" => 776,
        "result_first_token_min_latency_ns" => 786,
        "result_first_token_max_latency_ns" => 788,
        "result_first_token_mean_latency_ns" => 790,
        "result_token_throughput_with_loadgen_overhead" => 801,
        "result_token_throughput" => 803,
        "result_time_to_output_token_min" => 810,
        "result_time_to_output_token_max" => 812,
        "result_time_to_output_token_mean" => 814,
        "result_completed_tokens_per_second" => 818,
        "result_tokens_per_second" => 822,
        "num_errors" => 852,
        k if k.ends_with("_percentile_per_query_latency_ns") => 724,
        k if k.starts_with("result_first_token_") => 793,
        k if k.starts_with("result_time_per_output_token_") => 805,
        _ => 778,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::test_sink::Sink;

    fn one_line(key: &str, value: Value<'_>, level: Level, after_ns: u64) -> String {
        let sink = Sink::default();
        let origin = Instant::now();
        let mut log = DetailLog::new(Box::new(sink.clone()), origin);
        let at = origin + std::time::Duration::from_nanos(after_ns);
        log.write_entry(key, value, level, at, 7).unwrap();
        let bytes = sink.0.lock().unwrap().clone();
        String::from_utf8(bytes).unwrap()
    }

    #[test]
    fn a_detail_line_has_loadgens_fields_separators_and_origin() {
        let line = one_line(
            "result_completed_tokens_per_second",
            Value::Float(12499.24),
            Level::Info,
            2_572_083_993,
        );
        let pid = std::process::id();
        assert_eq!(
            line,
            format!(
                ":::MLLOG {{\"key\": \"result_completed_tokens_per_second\", \"value\": 12499.2, \
                 \"time_ms\": 2572.083993, \"namespace\": \"mlperf::logging\", \"event_type\": \
                 \"POINT_IN_TIME\", \"metadata\": {{\"is_error\": false, \"is_warning\": false, \
                 \"file\": \"results.cc\", \"line_no\": 818, \"pid\": {pid}, \"tid\": 7}}}}\n"
            )
        );
    }

    #[test]
    fn lists_maps_bools_and_errors_use_loadgens_compact_forms() {
        let line = one_line(
            "loaded_qsl_set",
            Value::Indices(&[5402, 3543]),
            Level::Info,
            7951,
        );
        assert!(
            line.contains("\"value\": [5402,3543], \"time_ms\": 0.007951"),
            "{line}"
        );
        assert!(
            line.contains("\"file\": \"loadgen.cc\", \"line_no\": 608"),
            "{line}"
        );
        let line = one_line(
            "loadgen_file_sha1",
            Value::Map(&[("/a", "b")]),
            Level::Info,
            0,
        );
        assert!(line.contains("\"value\": {\"/a\":\"b\"}"), "{line}");
        let line = one_line("error_runtime", Value::Str("x \"y\""), Level::Error, 0);
        assert!(line.contains("\"value\": \"x \\\"y\\\"\""), "{line}");
        assert!(
            line.contains("\"is_error\": true, \"is_warning\": false"),
            "{line}"
        );
        let line = one_line(
            "effective_print_timestamps",
            Value::Bool(false),
            Level::Info,
            0,
        );
        assert!(line.contains("\"value\": false"), "{line}");
        assert!(line.contains("\"line_no\": 454"), "{line}");
        let line = one_line(
            "effective_schedule_rng_seed",
            Value::UInt(u64::MAX),
            Level::Info,
            0,
        );
        assert!(line.contains("\"value\": 18446744073709551615"), "{line}");
    }

    #[test]
    fn generic_keys_name_the_source_line_of_their_message() {
        let msg = "Found Audit Config file (audit.config). Overriding TestSettings from audit.config file.";
        let line = one_line(
            "warning_generic_message",
            Value::Str(msg),
            Level::Warning,
            0,
        );
        assert!(
            line.contains("\"file\": \"loadgen.cc\", \"line_no\": 1235"),
            "{line}"
        );
        let msg = "Ending naturally: Minimum query count and test duration met.";
        let line = one_line("generic_message", Value::Str(msg), Level::Info, 0);
        assert!(
            line.contains("\"file\": \"issue_query_controller.cc\", \"line_no\": 482"),
            "{line}"
        );
        let msg = "Number of tokens need to be greater than 1";
        let line = one_line("error_runtime", Value::Str(msg), Level::Error, 0);
        assert!(
            line.contains("\"file\": \"logging.cc\", \"line_no\": 451"),
            "{line}"
        );
    }

    #[test]
    fn every_line_parses_as_json_after_the_marker() {
        for value in [
            Value::Float(f64::NAN),
            Value::Str("a\nb"),
            Value::Float(1.5e-6),
        ] {
            let line = one_line("result_token_throughput", value, Level::Info, 1);
            let json = line.strip_prefix(":::MLLOG ").unwrap();
            let parsed: serde_json::Value = serde_json::from_str(json).unwrap();
            assert_eq!(parsed["key"], "result_token_throughput");
        }
    }
}
