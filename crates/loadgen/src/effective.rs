//! The effective ("internal") settings a run uses, derived once from the final [`TestSettings`] and
//! the QSL's two counts (docs/LOADGEN.md §3). These are the `effective_*` values of the detail log;
//! query generation reads nothing else.

use crate::logs::format::format_g;
use crate::rng::IntAlgorithm;
use crate::settings::{usable_qps, Scenario, TestMode, TestSettings};

/// A problem LoadGen logs (as `error_invalid_test_settings` or `error_runtime`) while
/// deriving the effective settings; the run goes on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsIssue {
    /// The detail-log key LoadGen uses (`error_invalid_test_settings`…).
    pub key: &'static str,
    /// The message.
    pub message: String,
}

/// A typed settings value, as the detail log writes it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SettingValue {
    /// A string (scenario, mode).
    Str(&'static str),
    /// An unsigned integer.
    UInt(u64),
    /// A double.
    Double(f64),
    /// A boolean.
    Bool(bool),
}

impl std::fmt::Display for SettingValue {
    /// Plain text: strings unquoted, doubles with Rust's shortest round-trip form.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SettingValue::Str(s) => f.write_str(s),
            SettingValue::UInt(v) => write!(f, "{v}"),
            SettingValue::Double(v) => write!(f, "{v}"),
            SettingValue::Bool(v) => write!(f, "{v}"),
        }
    }
}

/// Every `effective_*` value of the detail log plus the requested settings it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct EffectiveSettings {
    /// The settings as requested (after audit.config and TEST05), logged as `requested_*`.
    pub requested: TestSettings,
    /// `effective_scenario`.
    pub scenario: Scenario,
    /// `effective_test_mode`.
    pub mode: TestMode,
    /// `effective_samples_per_query` (before equal-issue padding; see
    /// [`crate::generate::GeneratedQueries::samples_per_query`]).
    pub samples_per_query: u64,
    /// `effective_target_qps`.
    pub target_qps: f64,
    /// `effective_target_latency_ns`.
    pub target_latency_ns: u64,
    /// `effective_target_latency_percentile`.
    pub target_latency_percentile: f64,
    /// `effective_max_async_queries`.
    pub max_async_queries: u64,
    /// `effective_target_duration_ms` (0 for Offline).
    pub target_duration_ms: u64,
    /// `effective_min_duration_ms`.
    pub min_duration_ms: u64,
    /// `effective_max_duration_ms`.
    pub max_duration_ms: u64,
    /// `effective_min_query_count` (1 for Offline).
    pub min_query_count: u64,
    /// `effective_max_query_count`.
    pub max_query_count: u64,
    /// `effective_min_sample_count`.
    pub min_sample_count: u64,
    /// `effective_qsl_rng_seed`.
    pub qsl_rng_seed: u64,
    /// `effective_sample_index_rng_seed`.
    pub sample_index_rng_seed: u64,
    /// `effective_schedule_rng_seed`.
    pub schedule_rng_seed: u64,
    /// `effective_accuracy_log_rng_seed`.
    pub accuracy_log_rng_seed: u64,
    /// `effective_accuracy_log_probability`.
    pub accuracy_log_probability: f64,
    /// `effective_accuracy_log_sampling_target`.
    pub accuracy_log_sampling_target: u64,
    /// `effective_print_timestamps`.
    pub print_timestamps: bool,
    /// `effective_performance_issue_unique`.
    pub performance_issue_unique: bool,
    /// `effective_performance_issue_same`.
    pub performance_issue_same: bool,
    /// `effective_performance_issue_same_index`.
    pub performance_issue_same_index: u64,
    /// `effective_performance_sample_count` (P).
    pub performance_sample_count: u64,
    /// `effective_accuracy_sample_count` (A).
    pub accuracy_sample_count: u64,
    /// `effective_sample_concatenate_permutation`.
    pub sample_concatenate_permutation: bool,
    /// `qsl_reported_total_count`.
    pub qsl_total_sample_count: u64,
    /// `qsl_reported_performance_count` (used un-overridden by the SingleStream equal-issue
    /// adjustment).
    pub qsl_performance_sample_count: u64,
    /// What LoadGen would log as errors while deriving these values.
    pub issues: Vec<SettingsIssue>,
    /// Which libstdc++ integer draw to reproduce (default: GCC ≥ 11, the official wheel).
    pub int_algorithm: IntAlgorithm,
}

impl EffectiveSettings {
    /// Derives the effective settings (docs/LOADGEN.md §3) from the final settings and the QSL's
    /// `total_sample_count` and `performance_sample_count`.
    pub fn derive(requested: &TestSettings, qsl_total: u64, qsl_performance: u64) -> Self {
        let r = requested;
        let mut issues = Vec::new();
        let checked_qps = |qps: f64, name: &str, issues: &mut Vec<SettingsIssue>| {
            usable_qps(qps).unwrap_or_else(|| {
                issues.push(SettingsIssue {
                    key: "error_invalid_test_settings",
                    message: format!(
                        "Invalid value for {name} requested. requested: {} using: 1",
                        format_g(qps)
                    ),
                });
                1.0
            })
        };
        let (target_qps, target_latency_ns, target_latency_percentile, max_async_queries) =
            match r.scenario {
                Scenario::SingleStream => (
                    1e9 / r.single_stream_expected_latency_ns,
                    0,
                    r.single_stream_target_latency_percentile,
                    1,
                ),
                Scenario::MultiStream => (
                    1e9 / r.multi_stream_expected_latency_ns,
                    0,
                    r.multi_stream_target_latency_percentile,
                    1,
                ),
                Scenario::Server => (
                    checked_qps(r.server_target_qps, "server_target_qps", &mut issues),
                    r.server_target_latency_ns,
                    r.server_target_latency_percentile,
                    r.server_max_async_queries,
                ),
                Scenario::Offline => (
                    checked_qps(r.offline_expected_qps, "offline_expected_qps", &mut issues),
                    0,
                    0.99,
                    1,
                ),
            };
        let performance_sample_count = match r.performance_sample_count_override {
            0 => qsl_performance,
            p => p,
        };
        let accuracy_sample_count = match r.accuracy_sample_count_override {
            0 => qsl_total,
            a => a,
        };
        let mut samples_per_query = match r.scenario {
            Scenario::MultiStream => r.multi_stream_samples_per_query,
            _ => 1,
        };
        let mut min_query_count = r.min_query_count;
        let mut target_duration_ms = r.min_duration_ms;
        match r.scenario {
            Scenario::Offline => {
                let target_sample_count =
                    (1.1 * (target_duration_ms as f64 / 1000.0) * target_qps) as u64;
                samples_per_query = if r.performance_issue_unique {
                    performance_sample_count
                } else {
                    min_query_count.max(target_sample_count)
                };
                min_query_count = 1;
                target_duration_ms = 0;
            }
            Scenario::SingleStream if r.sample_concatenate_permutation => {
                let expected = (2.0 * (target_duration_ms as f64 / 1000.0) * target_qps) as u64;
                min_query_count = min_query_count.max(expected);
                if let Some(rem) = min_query_count.checked_rem(qsl_performance) {
                    min_query_count += qsl_performance - rem;
                }
            }
            _ => {}
        }
        if r.performance_issue_same && r.performance_issue_same_index >= performance_sample_count {
            issues.push(SettingsIssue {
                key: "error_invalid_test_settings",
                message: format!(
                    "Sample Idx to be repeated in performance_issue_same mode cannot be greater \
                     than loaded performance_sample_count. performance_issue_same_index: {} \
                     performance_sample_count: {performance_sample_count}",
                    r.performance_issue_same_index
                ),
            });
        }
        if r.performance_issue_unique && r.performance_issue_same {
            issues.push(SettingsIssue {
                key: "error_invalid_test_settings",
                message: "Performance_issue_unique and performance_issue_same, both cannot be \
                          true at the same time. performance_issue_unique: true \
                          performance_issue_same: true"
                    .to_owned(),
            });
        }
        EffectiveSettings {
            requested: r.clone(),
            scenario: r.scenario,
            mode: r.mode,
            samples_per_query,
            target_qps,
            target_latency_ns,
            target_latency_percentile,
            max_async_queries,
            target_duration_ms,
            min_duration_ms: r.min_duration_ms,
            max_duration_ms: r.max_duration_ms,
            min_query_count,
            max_query_count: r.max_query_count,
            min_sample_count: min_query_count.wrapping_mul(samples_per_query),
            qsl_rng_seed: r.qsl_rng_seed,
            sample_index_rng_seed: r.sample_index_rng_seed,
            schedule_rng_seed: r.schedule_rng_seed,
            accuracy_log_rng_seed: r.accuracy_log_rng_seed,
            accuracy_log_probability: r.accuracy_log_probability,
            accuracy_log_sampling_target: r.accuracy_log_sampling_target,
            print_timestamps: r.print_timestamps,
            performance_issue_unique: r.performance_issue_unique,
            performance_issue_same: r.performance_issue_same,
            performance_issue_same_index: r.performance_issue_same_index,
            performance_sample_count,
            accuracy_sample_count,
            sample_concatenate_permutation: r.sample_concatenate_permutation,
            qsl_total_sample_count: qsl_total,
            qsl_performance_sample_count: qsl_performance,
            issues,
            int_algorithm: IntAlgorithm::default(),
        }
    }

    /// Every `effective_*` key of the detail log with its value, in LoadGen's order.
    pub fn effective_values(&self) -> Vec<(&'static str, SettingValue)> {
        use SettingValue::{Bool, Double, Str, UInt};
        vec![
            ("effective_scenario", Str(self.scenario.as_str())),
            ("effective_test_mode", Str(self.mode.as_str())),
            ("effective_samples_per_query", UInt(self.samples_per_query)),
            ("effective_target_qps", Double(self.target_qps)),
            ("effective_target_latency_ns", UInt(self.target_latency_ns)),
            (
                "effective_target_latency_percentile",
                Double(self.target_latency_percentile),
            ),
            ("effective_max_async_queries", UInt(self.max_async_queries)),
            (
                "effective_target_duration_ms",
                UInt(self.target_duration_ms),
            ),
            ("effective_min_duration_ms", UInt(self.min_duration_ms)),
            ("effective_max_duration_ms", UInt(self.max_duration_ms)),
            ("effective_min_query_count", UInt(self.min_query_count)),
            ("effective_max_query_count", UInt(self.max_query_count)),
            ("effective_min_sample_count", UInt(self.min_sample_count)),
            ("effective_qsl_rng_seed", UInt(self.qsl_rng_seed)),
            (
                "effective_sample_index_rng_seed",
                UInt(self.sample_index_rng_seed),
            ),
            ("effective_schedule_rng_seed", UInt(self.schedule_rng_seed)),
            (
                "effective_accuracy_log_rng_seed",
                UInt(self.accuracy_log_rng_seed),
            ),
            (
                "effective_accuracy_log_probability",
                Double(self.accuracy_log_probability),
            ),
            (
                "effective_accuracy_log_sampling_target",
                UInt(self.accuracy_log_sampling_target),
            ),
            ("effective_print_timestamps", Bool(self.print_timestamps)),
            (
                "effective_performance_issue_unique",
                Bool(self.performance_issue_unique),
            ),
            (
                "effective_performance_issue_same",
                Bool(self.performance_issue_same),
            ),
            (
                "effective_performance_issue_same_index",
                UInt(self.performance_issue_same_index),
            ),
            (
                "effective_performance_sample_count",
                UInt(self.performance_sample_count),
            ),
            (
                "effective_accuracy_sample_count",
                UInt(self.accuracy_sample_count),
            ),
            (
                "effective_sample_concatenate_permutation",
                Bool(self.sample_concatenate_permutation),
            ),
        ]
    }

    /// Whether a sample's first token is expected (token latencies outside Offline).
    pub fn needs_first_token(&self) -> bool {
        self.requested.use_token_latencies && self.scenario != Scenario::Offline
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{reference_settings, ConfFile};

    fn gpt_oss(scenario: Scenario, user: &str) -> EffectiveSettings {
        let mlperf = ConfFile::builtin_mlperf().unwrap();
        let user = ConfFile::parse("user.conf", user).unwrap();
        let l = reference_settings(
            "gpt-oss-120b",
            scenario,
            TestMode::PerformanceOnly,
            &mlperf,
            Some(&user),
            None,
        )
        .unwrap();
        EffectiveSettings::derive(&l.settings, 6396, 6396)
    }

    #[test]
    fn offline_sizes_its_one_query_from_a_tenth_more_than_the_expected_samples() {
        let e = gpt_oss(Scenario::Offline, "");
        assert_eq!(
            (e.samples_per_query, e.min_query_count, e.target_duration_ms),
            (660, 1, 0)
        );
        assert_eq!((e.min_sample_count, e.max_async_queries), (660, 1));
        let e = gpt_oss(
            Scenario::Offline,
            "gpt-oss-120b.Offline.target_qps = 0.01\n",
        );
        assert_eq!(e.samples_per_query, 100, "never below min_query_count");
    }

    #[test]
    fn offline_unique_takes_the_performance_sample_count() {
        let e = gpt_oss(Scenario::Offline, "*.*.performance_issue_unique = 1\n");
        assert_eq!(e.samples_per_query, 6396);
    }

    #[test]
    fn singlestream_equal_issue_pads_min_query_count_past_a_multiple_of_the_qsl_count() {
        let e = gpt_oss(Scenario::SingleStream, "");
        assert_eq!(e.min_query_count, 121_524);
        let e = gpt_oss(Scenario::MultiStream, "");
        assert_eq!(
            (e.min_query_count, e.samples_per_query, e.min_sample_count),
            (662, 8, 5296)
        );
    }

    #[test]
    fn server_keeps_its_duration_and_query_count() {
        let e = gpt_oss(Scenario::Server, "gpt-oss-120b.Server.target_qps = 2.5\n");
        assert_eq!(
            (e.target_qps, e.target_duration_ms, e.min_query_count),
            (2.5, 600_000, 100)
        );
        assert_eq!(
            (e.target_latency_ns, e.target_latency_percentile),
            (0, 0.99)
        );
        assert!(e.needs_first_token());
    }

    #[test]
    fn a_negative_qps_falls_back_to_one_with_loadgens_error() {
        let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
        s.server_target_qps = -3.0;
        let e = EffectiveSettings::derive(&s, 10, 10);
        assert_eq!(e.target_qps, 1.0);
        assert_eq!(
            e.issues,
            [SettingsIssue {
                key: "error_invalid_test_settings",
                message: "Invalid value for server_target_qps requested. requested: -3 using: 1"
                    .to_owned()
            }]
        );
    }

    #[test]
    fn unique_and_same_together_and_a_same_index_past_the_set_are_reported() {
        let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
        s.performance_issue_unique = true;
        s.performance_issue_same = true;
        s.performance_issue_same_index = 10;
        let e = EffectiveSettings::derive(&s, 10, 10);
        assert_eq!(e.issues.len(), 2);
        assert!(e.issues[0].message.starts_with("Sample Idx to be repeated"));
        assert!(e.issues[1]
            .message
            .starts_with("Performance_issue_unique and performance_issue_same"));
    }

    #[test]
    fn effective_values_list_every_detail_key_in_loadgens_order() {
        let e = gpt_oss(Scenario::Server, "");
        let keys: Vec<&str> = e.effective_values().iter().map(|(k, _)| *k).collect();
        assert_eq!(keys.len(), 26);
        assert_eq!(keys[0], "effective_scenario");
        assert_eq!(keys[25], "effective_sample_concatenate_permutation");
        assert_eq!(e.effective_values()[3].1.to_string(), "1");
    }
}
