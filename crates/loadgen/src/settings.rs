//! What a test is asked to do: every `TestSettings` field of LoadGen 6.0.17 with its built-in
//! default, and the log settings.
//!
//! The built-in defaults are not the MLPerf values: those come from `mlperf.conf`, applied by
//! [`crate::config`]. The effective values a run uses are derived in [`crate::effective`].

use std::fmt;
use std::path::PathBuf;

/// A LoadGen scenario. Interactive is not one: it is a Server run under another model key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Scenario {
    /// One sample per query, the next query after the previous completes.
    #[default]
    SingleStream,
    /// `samples_per_query` contiguous samples per query, one query in flight.
    MultiStream,
    /// One sample per query on a Poisson schedule at `target_qps`.
    Server,
    /// Every sample in one query at time 0.
    Offline,
}

impl Scenario {
    /// All scenarios, in LoadGen's enum order.
    pub const ALL: [Scenario; 4] = [
        Scenario::SingleStream,
        Scenario::MultiStream,
        Scenario::Server,
        Scenario::Offline,
    ];

    /// The name used in conf keys and logs (`"SingleStream"`, `"Server"`…).
    pub fn as_str(self) -> &'static str {
        match self {
            Scenario::SingleStream => "SingleStream",
            Scenario::MultiStream => "MultiStream",
            Scenario::Server => "Server",
            Scenario::Offline => "Offline",
        }
    }

    /// Parses a conf-key / log name; exact and case-sensitive like LoadGen.
    pub fn from_name(name: &str) -> Option<Scenario> {
        Scenario::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a test run does (`mode` in a conf file: 0, 1, 2, 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TestMode {
    /// An accuracy phase, then a performance phase.
    SubmissionRun,
    /// Every sample once, all responses logged; no performance result.
    AccuracyOnly,
    /// The timed run.
    #[default]
    PerformanceOnly,
    /// Server only: search for the highest passing `target_qps`.
    FindPeakPerformance,
}

impl TestMode {
    /// The name LoadGen logs (`"PerformanceOnly"`…).
    pub fn as_str(self) -> &'static str {
        match self {
            TestMode::SubmissionRun => "SubmissionRun",
            TestMode::AccuracyOnly => "AccuracyOnly",
            TestMode::PerformanceOnly => "PerformanceOnly",
            TestMode::FindPeakPerformance => "FindPeakPerformance",
        }
    }

    /// The mode of a conf file's `mode` value (0 Submission, 1 Accuracy, 2 Performance,
    /// 3 FindPeak).
    pub fn from_conf_value(value: u64) -> Option<TestMode> {
        match value {
            0 => Some(TestMode::SubmissionRun),
            1 => Some(TestMode::AccuracyOnly),
            2 => Some(TestMode::PerformanceOnly),
            3 => Some(TestMode::FindPeakPerformance),
            _ => None,
        }
    }
}

impl fmt::Display for TestMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Every field of LoadGen's `TestSettings` (docs/LOADGEN.md §2.1). `Default` gives LoadGen's
/// built-in defaults (not the MLPerf values).
#[derive(Debug, Clone, PartialEq)]
pub struct TestSettings {
    /// The scenario to run.
    pub scenario: Scenario,
    /// What the run does.
    pub mode: TestMode,
    /// SingleStream: expected latency (ns) setting the query rate estimate.
    pub single_stream_expected_latency_ns: f64,
    /// SingleStream: the latency percentile reported (0.90).
    pub single_stream_target_latency_percentile: f64,
    /// MultiStream: expected latency (ns).
    pub multi_stream_expected_latency_ns: f64,
    /// MultiStream: the latency percentile reported (0.99).
    pub multi_stream_target_latency_percentile: f64,
    /// MultiStream: samples per query.
    pub multi_stream_samples_per_query: u64,
    /// Server: the Poisson arrival rate.
    pub server_target_qps: f64,
    /// Server: the latency bound (ns); 0 with token latencies.
    pub server_target_latency_ns: u64,
    /// Server: the percentile that must meet the bound.
    pub server_target_latency_percentile: f64,
    /// Server: issue every query already due in one `issue_query`.
    pub server_coalesce_queries: bool,
    /// FindPeakPerformance: decimals of the qps found.
    pub server_find_peak_qps_decimals_of_precision: i32,
    /// FindPeakPerformance: relative step when widening the bounds.
    pub server_find_peak_qps_boundary_step_size: f64,
    /// Server: stop when more queries than this are outstanding (0 = unlimited).
    pub server_max_async_queries: u64,
    /// Server: number of threads that issue (0 = the caller's thread). LoadGen starts them
    /// for each issuing series: thread t issues queries t, t + N, … with its share of
    /// `max_query_count`, and is logged as `Registered IssueQueryThread[t]` (C++ LoadGen
    /// issues from N threads the SUT registers). Not read from conf files, like LoadGen.
    pub server_num_issue_query_threads: u64,
    /// Offline: expected throughput (samples per second) sizing the query.
    pub offline_expected_qps: f64,
    /// Equal issue: every loaded sample issued equally often.
    pub sample_concatenate_permutation: bool,
    /// Minimum run duration (ms).
    pub min_duration_ms: u64,
    /// Maximum run duration (ms), 0 = unlimited.
    pub max_duration_ms: u64,
    /// Minimum number of queries.
    pub min_query_count: u64,
    /// Maximum number of queries, 0 = unlimited.
    pub max_query_count: u64,
    /// Seed of the loadable-set shuffle.
    pub qsl_rng_seed: u64,
    /// Seed of the sample choice.
    pub sample_index_rng_seed: u64,
    /// Seed of the Server schedule.
    pub schedule_rng_seed: u64,
    /// Seed of the accuracy-log sampling offset.
    pub accuracy_log_rng_seed: u64,
    /// Probability of logging a sample's response in performance mode.
    pub accuracy_log_probability: f64,
    /// Target number of samples to log in performance mode (overrides the probability).
    pub accuracy_log_sampling_target: u64,
    /// TEST05: replace the three seeds by the `test05_*` seeds.
    pub test05: bool,
    /// TEST05 seed of the loadable-set shuffle.
    pub test05_qsl_rng_seed: u64,
    /// TEST05 seed of the sample choice.
    pub test05_sample_index_rng_seed: u64,
    /// TEST05 seed of the Server schedule.
    pub test05_schedule_rng_seed: u64,
    /// Print LoadGen's five `Loadgen :: …` lines (start and stop `time_t`, both clocks'
    /// durations, their ratio) to stdout around the performance phase of PerformanceOnly and
    /// SubmissionRun runs.
    pub print_timestamps: bool,
    /// Issue every loaded sample exactly once.
    pub performance_issue_unique: bool,
    /// Issue the same sample every time.
    pub performance_issue_same: bool,
    /// The position in the loaded set issued with `performance_issue_same`.
    pub performance_issue_same_index: u64,
    /// Performance sample count; 0 = the QSL's.
    pub performance_sample_count_override: u64,
    /// Accuracy sample count; 0 = the QSL's total.
    pub accuracy_sample_count_override: u64,
    /// Record first-token and per-token latencies.
    pub use_token_latencies: bool,
    /// Server TTFT bound (ns).
    pub server_ttft_latency: u64,
    /// Server TPOT bound (ns).
    pub server_tpot_latency: u64,
    /// Infer token throughput from sample throughput.
    pub infer_token_latencies: bool,
    /// Tokens per sample when inferring token latencies (uninitialised in C++; 0 here).
    pub token_latency_scaling_factor: u64,
}

impl Default for TestSettings {
    fn default() -> Self {
        TestSettings {
            scenario: Scenario::SingleStream,
            mode: TestMode::PerformanceOnly,
            single_stream_expected_latency_ns: 1_000_000.0,
            single_stream_target_latency_percentile: 0.90,
            multi_stream_expected_latency_ns: 8_000_000.0,
            multi_stream_target_latency_percentile: 0.99,
            multi_stream_samples_per_query: 8,
            server_target_qps: 1.0,
            server_target_latency_ns: 100_000_000,
            server_target_latency_percentile: 0.99,
            server_coalesce_queries: false,
            server_find_peak_qps_decimals_of_precision: 1,
            server_find_peak_qps_boundary_step_size: 1.0,
            server_max_async_queries: 0,
            server_num_issue_query_threads: 0,
            offline_expected_qps: 1.0,
            sample_concatenate_permutation: false,
            min_duration_ms: 10_000,
            max_duration_ms: 0,
            min_query_count: 100,
            max_query_count: 0,
            qsl_rng_seed: 0,
            sample_index_rng_seed: 0,
            schedule_rng_seed: 0,
            accuracy_log_rng_seed: 0,
            accuracy_log_probability: 0.0,
            accuracy_log_sampling_target: 0,
            test05: false,
            test05_qsl_rng_seed: 0,
            test05_sample_index_rng_seed: 0,
            test05_schedule_rng_seed: 0,
            print_timestamps: false,
            performance_issue_unique: false,
            performance_issue_same: false,
            performance_issue_same_index: 0,
            performance_sample_count_override: 0,
            accuracy_sample_count_override: 0,
            use_token_latencies: false,
            server_ttft_latency: 100_000_000,
            server_tpot_latency: 100_000_000,
            infer_token_latencies: false,
            token_latency_scaling_factor: 0,
        }
    }
}

impl TestSettings {
    /// Built-in defaults for a scenario and mode.
    pub fn new(scenario: Scenario, mode: TestMode) -> Self {
        TestSettings {
            scenario,
            mode,
            ..TestSettings::default()
        }
    }

    /// TEST05 (docs/LOADGEN.md §2.6): if `test05` is set, the mode becomes PerformanceOnly and the
    /// three seeds are replaced by the `test05_*` seeds of `requested` (the pre-audit settings).
    /// Returns whether anything was replaced (LoadGen then logs a warning).
    pub fn apply_test05(&mut self, requested: &TestSettings) -> bool {
        if !self.test05 {
            return false;
        }
        self.mode = TestMode::PerformanceOnly;
        self.qsl_rng_seed = requested.test05_qsl_rng_seed;
        self.sample_index_rng_seed = requested.test05_sample_index_rng_seed;
        self.schedule_rng_seed = requested.test05_schedule_rng_seed;
        true
    }
}

/// Where and how the four log files are written (LoadGen's `LogOutputSettings`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogOutputSettings {
    /// Directory of the log files.
    pub outdir: PathBuf,
    /// File name prefix (`mlperf_log_`).
    pub prefix: String,
    /// File name suffix before the extension.
    pub suffix: String,
    /// Prepend a date-time to the prefix.
    pub prefix_with_datetime: bool,
    /// Also print the detail log to stdout.
    pub copy_detail_to_stdout: bool,
    /// Also print the summary to stdout.
    pub copy_summary_to_stdout: bool,
}

impl Default for LogOutputSettings {
    fn default() -> Self {
        LogOutputSettings {
            outdir: PathBuf::from("."),
            prefix: "mlperf_log_".to_owned(),
            suffix: String::new(),
            prefix_with_datetime: false,
            copy_detail_to_stdout: false,
            copy_summary_to_stdout: false,
        }
    }
}

/// LoadGen's `LogSettings` (docs/LOADGEN.md §2.2). Only `AsyncPoll` exists, so there is no mode
/// field; the poll interval is kept for parity and ignored like LoadGen ignores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// Files and copies to stdout.
    pub log_output: LogOutputSettings,
    /// Ignored by LoadGen (the IO thread polls every 10 ms); kept for parity.
    pub log_mode_async_poll_interval_ms: u64,
    /// Write `mlperf_log_trace.json`.
    pub enable_trace: bool,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            log_output: LogOutputSettings::default(),
            log_mode_async_poll_interval_ms: 1000,
            enable_trace: true,
        }
    }
}

/// The most samples ossperf lets one schedule hold. LoadGen builds the whole schedule of a
/// run before its first query; at about 100 bytes a query this is several GB, far past any
/// real gpt-oss-120b run (Offline at 1,000 samples/s for 600 s is 660,000).
pub const MAX_SCHEDULED_SAMPLES: u64 = 1 << 26;

/// LoadGen's use of a requested Server or Offline `target_qps` (`TestSettingsInternal`'s
/// constructor, LoadGen 6.0.17): used if `>= 0`; otherwise (negative or NaN) LoadGen logs
/// `error_invalid_test_settings` and uses 1, which this returns as `None`.
pub fn usable_qps(requested: f64) -> Option<f64> {
    (requested >= 0.0).then_some(requested)
}

/// Settings the official LoadGen accepts but cannot run: it loops or runs out of memory
/// building the schedule (`GenerateQueries` in `loadgen.cc`, 6.0.17).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// A Server `target_qps` of 0: every query after the first is scheduled at infinity.
    #[error("`target_qps` is `0`; expected a number above 0 (LoadGen schedules each Server query 1/target_qps seconds after the previous one, so the second would never come; the official LoadGen 6.0.17 runs out of memory building that schedule)")]
    ZeroServerQps,
    /// More than [`MAX_SCHEDULED_SAMPLES`] samples (an infinite `target_qps` included).
    #[error("its schedule would hold {samples} samples (`target_qps` {qps}, `min_duration` {min_duration_ms} ms, `min_query_count` {min_query_count}); expected at most {max} (LoadGen builds the whole schedule before the first query; the official LoadGen 6.0.17 runs out of memory on such values)", max = MAX_SCHEDULED_SAMPLES)]
    ScheduleTooLarge {
        /// The expected sample count, as C++ prints a double.
        samples: String,
        /// The queries per second the schedule uses, as C++ prints a double.
        qps: String,
        /// `min_duration`.
        min_duration_ms: u64,
        /// `min_query_count`.
        min_query_count: u64,
    },
}

impl TestSettings {
    /// Refuses settings whose performance schedule would never end or not fit in memory: a
    /// Server `target_qps` of 0 and schedules of more than [`MAX_SCHEDULED_SAMPLES`] samples
    /// (an infinite `target_qps`, or a huge one, `min_duration` or `min_query_count`).
    /// Everything the official LoadGen runs to the end passes.
    pub fn check_schedulable(&self) -> Result<(), SettingsError> {
        if self.mode == TestMode::AccuracyOnly {
            return Ok(()); // Every sample once: bounded by the QSL.
        }
        let seconds = self.min_duration_ms as f64 / 1000.0;
        let min_queries = self.min_query_count as f64;
        // Generation runs for min_duration (twice that outside Server) and min_query_count.
        let (qps, samples) = match self.scenario {
            Scenario::Server => {
                let qps = usable_qps(self.server_target_qps).unwrap_or(1.0);
                if qps == 0.0 {
                    return Err(SettingsError::ZeroServerQps);
                }
                (qps, min_queries.max(qps * seconds))
            }
            Scenario::Offline if self.performance_issue_unique => return Ok(()),
            Scenario::Offline => {
                let qps = usable_qps(self.offline_expected_qps).unwrap_or(1.0);
                (qps, min_queries.max(1.1 * seconds * qps))
            }
            Scenario::SingleStream => {
                let qps = 1e9 / self.single_stream_expected_latency_ns;
                (qps, min_queries.max(2.0 * seconds * qps))
            }
            Scenario::MultiStream => {
                let qps = 1e9 / self.multi_stream_expected_latency_ns;
                let queries = min_queries.max(2.0 * seconds * qps);
                (qps, queries * self.multi_stream_samples_per_query as f64)
            }
        };
        if samples <= MAX_SCHEDULED_SAMPLES as f64 {
            return Ok(());
        }
        Err(SettingsError::ScheduleTooLarge {
            samples: crate::logs::format::format_g(samples),
            qps: crate::logs::format::format_g(qps),
            min_duration_ms: self.min_duration_ms,
            min_query_count: self.min_query_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_loadgens_built_in_values() {
        let s = TestSettings::default();
        assert_eq!(s.scenario, Scenario::SingleStream);
        assert_eq!(s.mode, TestMode::PerformanceOnly);
        assert_eq!(s.min_duration_ms, 10_000);
        assert_eq!(s.min_query_count, 100);
        assert_eq!(s.server_ttft_latency, 100_000_000);
        assert_eq!(s.multi_stream_samples_per_query, 8);
        assert_eq!(LogSettings::default().log_output.prefix, "mlperf_log_");
    }

    #[test]
    fn scenario_names_round_trip_and_are_case_sensitive() {
        for s in Scenario::ALL {
            assert_eq!(Scenario::from_name(s.as_str()), Some(s));
        }
        assert_eq!(Scenario::from_name("server"), None);
    }

    #[test]
    fn test05_replaces_the_seeds_from_the_requested_settings() {
        let mut requested = TestSettings::new(Scenario::Server, TestMode::AccuracyOnly);
        requested.test05 = true;
        requested.test05_qsl_rng_seed = 7;
        requested.test05_sample_index_rng_seed = 8;
        requested.test05_schedule_rng_seed = 9;
        let mut s = requested.clone();
        s.test05_qsl_rng_seed = 1;
        assert!(s.apply_test05(&requested));
        assert_eq!(s.mode, TestMode::PerformanceOnly);
        assert_eq!(
            (s.qsl_rng_seed, s.sample_index_rng_seed, s.schedule_rng_seed),
            (7, 8, 9)
        );
    }
}
