//! Every numeric setting with a negative, zero, NaN, huge and non-numeric value (issue 17):
//! what LoadGen 6.0.17 does with each (`FromConfig` and `TestSettingsInternal` in
//! `loadgen/test_settings_internal.cc`), or a refusal where LoadGen would loop, run out of
//! memory or read out of range. Nothing may hang. `docs/CONF.md` has the table.

use super::*;
use crate::config::apply::{reference_settings, ConfLoader};
use crate::effective::{EffectiveSettings, SettingsIssue};
use crate::settings::{TestMode, TestSettings};

/// Every numeric key a user.conf may set, under the scenario LoadGen reads it with.
const INT_KEYS: &[&str] = &[
    "*.*.mode",
    "*.*.use_token_latencies",
    "*.Server.ttft_latency",
    "*.Server.tpot_latency",
    "*.*.infer_token_latencies",
    "*.*.token_latency_scaling_factor",
    "*.MultiStream.samples_per_query",
    "*.Server.target_latency",
    "*.*.performance_issue_unique",
    "*.*.performance_issue_same",
    "*.*.performance_issue_same_index",
    "*.*.sample_concatenate_permutation",
    "*.Server.coalesce_queries",
    "*.Server.max_async_queries",
    "*.*.min_duration",
    "*.*.max_duration",
    "*.*.min_query_count",
    "*.*.max_query_count",
    "*.*.performance_sample_count_override",
    "*.*.accuracy_sample_count_override",
    "*.*.print_timestamps",
    "*.*.accuracy_log_rng_seed",
    "*.*.accuracy_log_sampling_target",
];
const PERCENTILE_KEYS: &[&str] = &[
    "*.SingleStream.target_latency_percentile",
    "*.MultiStream.target_latency_percentile",
    "*.Server.target_latency_percentile",
];
const LATENCY_KEYS: &[&str] = &[
    "*.SingleStream.target_latency",
    "*.MultiStream.target_latency",
];

/// Token-latency keys are read only once their switch is on: turn both on first.
const SWITCHES: &str = "*.*.use_token_latencies = 1\n*.*.infer_token_latencies = 1\n";

/// `key = value` applied as a user.conf line (line 3, after [`SWITCHES`]).
fn apply_line(key: &str, value: &str) -> Result<TestSettings, String> {
    let file = ConfFile::parse("t.conf", &format!("{SWITCHES}{key} = {value}\n"))
        .map_err(|e| e.to_string())?;
    let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
    ConfLoader::with_embedded(ConfFile::parse("e", "").unwrap())
        .from_config(&mut s, &file, "m", Scenario::Server, ConfType::Other)
        .map_err(|e| e.to_string())?;
    Ok(s)
}

/// The gpt-oss-120b settings with `user` as the user.conf, derived for a 6396-sample QSL.
fn gpt_oss(scenario: Scenario, user: &str) -> Result<EffectiveSettings, String> {
    let l = reference_settings(
        "gpt-oss-120b",
        scenario,
        TestMode::PerformanceOnly,
        &ConfFile::builtin_mlperf().unwrap(),
        Some(&ConfFile::parse("user.conf", user).map_err(|e| e.to_string())?),
        None,
    )
    .map_err(|e| e.to_string())?;
    Ok(EffectiveSettings::derive(&l.settings, 6396, 6396))
}

fn qps_issue(name: &str, requested: &str) -> SettingsIssue {
    SettingsIssue {
        key: "error_invalid_test_settings",
        message: format!("Invalid value for {name} requested. requested: {requested} using: 1"),
    }
}

#[test]
fn a_non_numeric_value_of_any_key_is_refused_naming_the_line() {
    // LoadGen logs "value needs to be integer or double, line=3" and drops the whole file.
    for key in INT_KEYS.iter().chain(PERCENTILE_KEYS).chain(LATENCY_KEYS) {
        for value in ["fast", "1O", "1,5", "10ms"] {
            assert_eq!(
                apply_line(key, value).unwrap_err(),
                format!("`t.conf` line 3: `{key}` expects an integer or a number (no inline comments), found `{value}`"),
            );
        }
    }
    assert_eq!(
        apply_line("*.Server.target_qps", "fast").unwrap_err(),
        "`t.conf` line 3: `*.Server.target_qps` expects an integer or a number (no inline comments), found `fast`"
    );
}

#[test]
fn a_negative_nan_or_fractional_count_is_refused_naming_the_line() {
    // LoadGen reads counts with strtoull: `-1` wraps to 2^64-1, `2.5` truncates to 2, `nan`
    // gives 0. Each is refused here.
    for key in INT_KEYS {
        for value in ["-1", "nan", "2.5", "-inf"] {
            assert_eq!(
                apply_line(key, value).unwrap_err(),
                format!("`t.conf` line 3: `{key}` expects a non-negative integer, found `{value}`"),
            );
        }
    }
}

#[test]
fn a_count_past_64_bits_or_a_millisecond_limit_past_nanoseconds_is_refused() {
    // strtoull saturates at 2^64-1; LoadGen's ms -> ns multiplication then wraps.
    for key in INT_KEYS {
        assert_eq!(
            apply_line(key, "18446744073709551616").unwrap_err(),
            format!("`t.conf` line 3: `{key}` expects a non-negative integer, found `18446744073709551616`"),
        );
    }
    for key in [
        "*.Server.ttft_latency",
        "*.Server.tpot_latency",
        "*.Server.target_latency",
    ] {
        assert_eq!(
            apply_line(key, "18446744073709551615").unwrap_err(),
            format!("`t.conf` line 3: `{key}` expects an integer small enough to convert to nanoseconds, found `18446744073709551615`"),
        );
    }
}

#[test]
fn zero_counts_keep_loadgens_meaning() {
    let s = apply_line("*.Server.max_async_queries", "0").unwrap();
    assert_eq!(s.server_max_async_queries, 0, "0 = no limit");
    let s = apply_line("*.*.performance_sample_count_override", "0").unwrap();
    assert_eq!(
        s.performance_sample_count_override, 0,
        "0 = the QSL's count"
    );
    let s = apply_line("*.*.min_duration", "0").unwrap();
    assert_eq!(s.min_duration_ms, 0);
    let s = apply_line("*.*.mode", "0").unwrap();
    assert_eq!(s.mode, TestMode::SubmissionRun);
}

#[test]
fn a_percentile_outside_0_to_below_100_or_nan_is_refused() {
    // LoadGen reads `sorted[n × p]`: from 100 on, past the end of the latencies.
    for key in PERCENTILE_KEYS {
        for value in ["-1", "100", "100.5", "nan", "inf", "1e300"] {
            assert_eq!(
                apply_line(key, value).unwrap_err(),
                format!(
                    "`t.conf` line 3: `{key}` expects a percentile from 0 to below 100, found `{value}`"
                ),
            );
        }
        assert!(apply_line(key, "0").is_ok() && apply_line(key, "99.9").is_ok());
    }
}

#[test]
fn a_singlestream_or_multistream_latency_of_zero_negative_nan_or_inf_is_refused() {
    // LoadGen's query period is 1/latency: 0 loops forever building the schedule.
    for key in LATENCY_KEYS {
        for value in ["0", "-1", "nan", "inf"] {
            assert_eq!(
                apply_line(key, value).unwrap_err(),
                format!("`t.conf` line 3: `{key}` expects a latency in ms above 0 (LoadGen's query period), found `{value}`"),
            );
        }
    }
}

#[test]
fn a_negative_or_nan_target_qps_falls_back_to_1_with_loadgens_error_line() {
    let cases = [
        ("-1", "-1"),
        ("-0.5", "-0.5"),
        ("nan", "nan"),
        ("-nan", "-nan"),
        ("-inf", "-inf"),
        ("-1e-7", "-1e-07"),
    ];
    for (value, printed) in cases {
        let e = gpt_oss(
            Scenario::Offline,
            &format!("gpt-oss-120b.Offline.target_qps = {value}\n"),
        )
        .unwrap();
        assert_eq!(e.target_qps, 1.0);
        assert_eq!(e.issues, [qps_issue("offline_expected_qps", printed)]);
        let e = gpt_oss(
            Scenario::Server,
            &format!("gpt-oss-120b.Server.target_qps = {value}\n"),
        )
        .unwrap();
        assert_eq!(e.target_qps, 1.0);
        assert_eq!(e.issues, [qps_issue("server_target_qps", printed)]);
    }
}

#[test]
fn a_zero_server_target_qps_is_refused_before_anything_runs() {
    // LoadGen schedules the second query at infinity and runs out of memory (the old ossperf
    // waited 2^64-1 ns for it).
    assert_eq!(
        gpt_oss(Scenario::Server, "gpt-oss-120b.Server.target_qps = 0\n").unwrap_err(),
        "the Server run cannot be scheduled: `target_qps` is `0`; expected a number above 0 (LoadGen schedules each Server query 1/target_qps seconds after the previous one, so the second would never come; the official LoadGen 6.0.17 runs out of memory building that schedule)"
    );
}

#[test]
fn a_zero_offline_target_qps_is_loadgens_one_query_of_min_query_count_samples() {
    let e = gpt_oss(
        Scenario::Offline,
        "gpt-oss-120b.Offline.target_qps = 0\ngpt-oss-120b.Offline.min_query_count = 100\n",
    )
    .unwrap();
    assert_eq!(
        (e.target_qps, e.samples_per_query, e.issues.len()),
        (0.0, 100, 0)
    );
}

#[test]
fn an_infinite_or_huge_target_qps_duration_or_count_is_refused_before_anything_runs() {
    let refused = |scenario, user: &str, samples: &str, qps: &str, ms: u64, count: u64| {
        let name = match scenario {
            Scenario::Server => "Server",
            _ => "Offline",
        };
        assert_eq!(
            gpt_oss(scenario, user).unwrap_err(),
            format!("the {name} run cannot be scheduled: its schedule would hold {samples} samples (`target_qps` {qps}, `min_duration` {ms} ms, `min_query_count` {count}); expected at most 67108864 (LoadGen builds the whole schedule before the first query; the official LoadGen 6.0.17 runs out of memory on such values)"),
            "{user}"
        );
    };
    let srv = Scenario::Server;
    let off = Scenario::Offline;
    refused(
        srv,
        "*.Server.target_qps = inf\n",
        "inf",
        "inf",
        600000,
        100,
    );
    refused(
        srv,
        "*.Server.target_qps = 1e12\n",
        "6e+14",
        "1e+12",
        600000,
        100,
    );
    refused(
        off,
        "*.Offline.target_qps = 1e400\n",
        "inf",
        "inf",
        600000,
        100,
    );
    refused(
        off,
        "*.Offline.target_qps = 1e12\n",
        "6.6e+14",
        "1e+12",
        600000,
        100,
    );
    refused(
        srv,
        "*.*.min_duration = 18446744073709551615\n",
        "1.84467e+16",
        "1",
        u64::MAX,
        100,
    );
    refused(
        off,
        "*.*.min_query_count = 100000000\n",
        "1e+08",
        "1",
        600000,
        100_000_000,
    );
    // At the limit it runs.
    assert!(gpt_oss(off, "*.Offline.target_qps = 101680\n").is_ok());
}
