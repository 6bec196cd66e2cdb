//! Conf-parser tests: one per rule of docs/LOADGEN.md §2.3–2.6, and the bad-input errors.

use super::*;
use crate::config::apply::{
    reference_settings, reference_settings_with_builtin, ConfLoader, LoadedSettings,
};

fn conf(text: &str) -> ConfFile {
    ConfFile::parse("t.conf", text).unwrap()
}

fn apply(text: &str, model: &str, scenario: Scenario, conf_type: ConfType) -> TestSettings {
    let mut s = TestSettings::new(scenario, TestMode::PerformanceOnly);
    let mut loader = ConfLoader::with_embedded(conf(""));
    loader
        .from_config(&mut s, &conf(text), model, scenario, conf_type)
        .unwrap();
    s
}

fn err(text: &str) -> String {
    ConfFile::parse("t.conf", text).unwrap_err().to_string()
}

use crate::settings::{TestMode, TestSettings};

#[test]
fn the_most_specific_key_wins_and_scenario_wildcards_beat_model_wildcards() {
    let text = "*.*.min_query_count = 1\nm.*.min_query_count = 2\n*.Server.min_query_count = 3\n";
    assert_eq!(
        apply(text, "m", Scenario::Server, ConfType::Other).min_query_count,
        3
    );
    assert_eq!(
        apply(text, "m", Scenario::Offline, ConfType::Other).min_query_count,
        2
    );
    assert_eq!(
        apply(text, "x", Scenario::Offline, ConfType::Other).min_query_count,
        1
    );
    let exact = format!("{text}m.Server.min_query_count = 4\n");
    assert_eq!(
        apply(&exact, "m", Scenario::Server, ConfType::Other).min_query_count,
        4
    );
}

#[test]
fn a_later_line_for_the_same_key_wins_and_so_does_the_last_value_on_a_line() {
    let s = apply(
        "*.*.min_query_count = 5\n*.*.min_query_count = 6 7\n",
        "m",
        Scenario::Server,
        ConfType::Other,
    );
    assert_eq!(s.min_query_count, 7);
}

#[test]
fn comments_and_blank_lines_are_skipped() {
    let s = apply(
        "# a comment\n\n   \n*.*.min_duration = 5 \n",
        "m",
        Scenario::Server,
        ConfType::Other,
    );
    assert_eq!(s.min_duration_ms, 5);
}

#[test]
fn integers_are_read_like_strtoull_with_hex_and_octal() {
    assert_eq!(
        apply(
            "*.*.min_query_count = 0x10",
            "m",
            Scenario::Server,
            ConfType::Other
        )
        .min_query_count,
        16
    );
    assert_eq!(
        apply(
            "*.*.min_query_count = 010",
            "m",
            Scenario::Server,
            ConfType::Other
        )
        .min_query_count,
        8
    );
}

#[test]
fn percentiles_are_percent_and_latencies_are_milliseconds() {
    let s = apply(
        "*.Server.target_latency_percentile = 99.9\n*.Server.target_latency = 10\n*.SingleStream.target_latency = 2.5\n",
        "m",
        Scenario::Offline,
        ConfType::Other,
    );
    assert_eq!(s.server_target_latency_percentile, 99.9 * 0.01);
    assert_eq!(s.server_target_latency_ns, 10_000_000);
    assert_eq!(s.single_stream_expected_latency_ns, 2_500_000.0);
}

#[test]
fn fixed_scenario_keys_are_filled_in_whatever_the_callers_scenario() {
    let s = apply(
        "*.Server.target_qps = 7\n*.Offline.target_qps = 9\n",
        "m",
        Scenario::Offline,
        ConfType::Other,
    );
    assert_eq!((s.server_target_qps, s.offline_expected_qps), (7.0, 9.0));
}

#[test]
fn token_limits_apply_only_once_token_latencies_are_on() {
    let limits = "*.Server.ttft_latency = 2000\n*.Server.tpot_latency = 15\n";
    let off = apply(limits, "m", Scenario::Server, ConfType::Other);
    assert_eq!(off.server_ttft_latency, 100_000_000);
    let on = apply(
        &format!("*.*.use_token_latencies = 1\n{limits}"),
        "m",
        Scenario::Server,
        ConfType::Other,
    );
    assert_eq!(
        (on.server_ttft_latency, on.server_tpot_latency),
        (2_000_000_000, 15_000_000)
    );
}

#[test]
fn seeds_and_log_probability_are_read_only_from_the_embedded_mlperf_conf() {
    let text = "*.*.qsl_rng_seed = 5\n*.*.accuracy_log_probability = 50\n*.*.test05 = 1\n";
    let user = apply(text, "m", Scenario::Server, ConfType::Other);
    assert_eq!(
        (
            user.qsl_rng_seed,
            user.accuracy_log_probability,
            user.test05
        ),
        (0, 0.0, false)
    );
    // conf_type 0 ignores the file passed and reads the embedded one, like LoadGen.
    let mut embedded = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
    ConfLoader::with_embedded(conf(text))
        .from_config(
            &mut embedded,
            &conf(""),
            "m",
            Scenario::Server,
            ConfType::Embedded,
        )
        .unwrap();
    assert_eq!(
        (
            embedded.qsl_rng_seed,
            embedded.accuracy_log_probability,
            embedded.test05
        ),
        (5, 0.5, true)
    );
}

#[test]
fn the_first_user_conf_applies_the_embedded_mlperf_conf_before_itself() {
    let mut loader =
        ConfLoader::with_embedded(conf("*.*.qsl_rng_seed = 42\n*.*.min_query_count = 3\n"));
    let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
    let user = conf("*.*.min_query_count = 4\n");
    loader
        .from_config(&mut s, &user, "m", Scenario::Server, ConfType::User)
        .unwrap();
    assert_eq!((s.qsl_rng_seed, s.min_query_count), (42, 4));
    assert!(loader.issues().is_empty());
}

#[test]
fn a_second_user_conf_is_loadgens_multiple_conf_files_error_and_is_still_applied_alone() {
    let mut loader = ConfLoader::with_embedded(conf("*.*.min_query_count = 3\n"));
    let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
    loader
        .from_config(&mut s, &conf(""), "m", Scenario::Server, ConfType::User)
        .unwrap();
    assert_eq!(s.min_query_count, 3);
    // LoadGen 6.0.17 logs the error, skips the embedded step and applies the file.
    let second = conf("*.*.min_duration = 5\n");
    s.min_query_count = 9;
    loader
        .from_config(&mut s, &second, "m", Scenario::Server, ConfType::User)
        .unwrap();
    assert_eq!((s.min_query_count, s.min_duration_ms), (9, 5));
    assert_eq!(
        loader.issues(),
        [crate::effective::SettingsIssue {
            key: "error_invalid_config",
            message: "Multiple conf files are used. This is not valid for official submission."
                .to_owned()
        }]
    );
}

/// `--mlperf-conf` as `run_mlperf.py` drives the wheel: type 2, then the user.conf as type 1,
/// which applies the built-in after it.
fn with_custom_mlperf(custom: &str, user: &str, scenario: Scenario) -> LoadedSettings {
    reference_settings(
        "gpt-oss-120b",
        scenario,
        TestMode::PerformanceOnly,
        &ConfFile::parse("custom.conf", custom).unwrap(),
        Some(&ConfFile::parse("user.conf", user).unwrap()),
        None,
    )
    .unwrap()
}

#[test]
fn a_custom_mlperf_conf_never_changes_the_seeds_and_the_builtin_overrides_its_keys() {
    // The issue's example: in the wheel, seeds 2085463073848966840/…, target_qps 1,
    // min_duration 600000.
    let l = with_custom_mlperf(
        "*.*.qsl_rng_seed = 1234567890123\ngpt-oss-120b.Server.target_qps = 7\n",
        "",
        Scenario::Server,
    );
    let s = &l.settings;
    assert_eq!(
        (s.qsl_rng_seed, s.sample_index_rng_seed, s.schedule_rng_seed),
        (
            2085463073848966840,
            2747215439041700203,
            16159082839903944936
        )
    );
    assert_eq!((s.server_target_qps, s.min_duration_ms), (1.0, 600_000));
    assert_eq!(
        l.ignored_lines,
        [
            "`custom.conf` line 1: `*.*.qsl_rng_seed` is not used: LoadGen's built-in mlperf.conf, applied after it, sets `*.*.qsl_rng_seed = 2085463073848966840`",
            "`custom.conf` line 2: `gpt-oss-120b.Server.target_qps` is not used: LoadGen's built-in mlperf.conf, applied after it, sets `*.Server.target_qps = 1.0`",
        ]
    );
}

#[test]
fn custom_keys_the_builtin_lacks_apply_and_the_user_conf_overrides_both() {
    let l = with_custom_mlperf(
        "gpt-oss-120b.Server.min_query_count = 60\ngpt-oss-120b.Server.max_async_queries = 4\n\
         gpt-oss-120b.Server.min_duration = 5\n",
        "gpt-oss-120b.Server.min_duration = 50\ngpt-oss-120b.Server.max_async_queries = 2\n",
        Scenario::Server,
    );
    let s = &l.settings;
    assert_eq!(
        (
            s.min_query_count,
            s.server_max_async_queries,
            s.min_duration_ms
        ),
        (60, 2, 50)
    );
    // min_duration is replaced by the built-in (then by the user.conf); the others are used.
    assert_eq!(
        l.ignored_lines,
        ["`custom.conf` line 3: `gpt-oss-120b.Server.min_duration` is not used: LoadGen's built-in mlperf.conf, applied after it, sets `*.Server.min_duration = 600000`"]
    );
}

#[test]
fn a_copy_of_the_official_mlperf_conf_gives_no_warning() {
    let l = with_custom_mlperf(BUILTIN_MLPERF_CONF, "", Scenario::Offline);
    assert_eq!(l.ignored_lines, Vec::<String>::new());
}

#[test]
fn another_builtin_mlperf_conf_is_an_explicit_choice_that_brings_its_seeds() {
    let builtin = conf(&format!("{BUILTIN_MLPERF_CONF}\n*.*.qsl_rng_seed = 5\n"));
    let l = reference_settings_with_builtin(
        &builtin,
        "gpt-oss-120b",
        Scenario::Offline,
        TestMode::PerformanceOnly,
        &conf(""),
        Some(&conf("")),
        None,
    )
    .unwrap();
    assert_eq!(
        (l.settings.qsl_rng_seed, l.settings.sample_index_rng_seed),
        (5, 2747215439041700203)
    );
}

#[test]
fn the_builtin_mlperf_conf_gives_the_gpt_oss_settings() {
    let mlperf = ConfFile::builtin_mlperf().unwrap();
    let user = ConfFile::reference_user().unwrap();
    let l = reference_settings(
        "gpt-oss-120b-interactive",
        Scenario::Server,
        TestMode::PerformanceOnly,
        &mlperf,
        Some(&user),
        None,
    )
    .unwrap();
    let s = &l.settings;
    assert_eq!(s.qsl_rng_seed, 2085463073848966840);
    assert_eq!(s.sample_index_rng_seed, 2747215439041700203);
    assert_eq!(s.schedule_rng_seed, 16159082839903944936);
    assert_eq!(
        (
            s.performance_sample_count_override,
            s.accuracy_sample_count_override
        ),
        (6396, 4395)
    );
    assert!(s.sample_concatenate_permutation && s.use_token_latencies);
    assert_eq!(
        (s.server_ttft_latency, s.server_tpot_latency),
        (2_000_000_000, 15_000_000)
    );
    assert_eq!(
        (
            s.server_target_latency_ns,
            s.min_duration_ms,
            s.min_query_count
        ),
        (0, 600_000, 100)
    );
    let srv = reference_settings(
        "gpt-oss-120b",
        Scenario::Server,
        TestMode::PerformanceOnly,
        &mlperf,
        Some(&user),
        None,
    )
    .unwrap();
    assert_eq!(
        (
            srv.settings.server_ttft_latency,
            srv.settings.server_tpot_latency
        ),
        (3_000_000_000, 80_000_000)
    );
    // The reference user.conf sets the Server qps to 1 and min_duration to 60 s.
    assert_eq!(
        (srv.settings.server_target_qps, srv.settings.min_duration_ms),
        (1.0, 60_000)
    );
}

#[test]
fn without_a_user_conf_the_seeds_stay_zero_like_loadgen() {
    let mlperf = ConfFile::builtin_mlperf().unwrap();
    let l = reference_settings(
        "gpt-oss-120b",
        Scenario::Offline,
        TestMode::PerformanceOnly,
        &mlperf,
        None,
        None,
    )
    .unwrap();
    assert_eq!(l.settings.qsl_rng_seed, 0);
    assert_eq!(l.settings.performance_sample_count_override, 6396);
}

#[test]
fn an_audit_config_applies_only_wildcard_model_lines_and_cannot_change_seeds() {
    let mlperf = ConfFile::builtin_mlperf().unwrap();
    let user = ConfFile::reference_user().unwrap();
    let audit = ConfFile::parse("audit.config", TEST07_AUDIT_CONFIG).unwrap();
    let l = reference_settings(
        "gpt-oss-120b",
        Scenario::Server,
        TestMode::AccuracyOnly,
        &mlperf,
        Some(&user),
        Some(&audit),
    )
    .unwrap();
    let s = &l.settings;
    assert_eq!(s.mode, TestMode::PerformanceOnly);
    assert_eq!(
        (s.accuracy_log_rng_seed, s.accuracy_log_sampling_target),
        (720381539243781796, 990)
    );
    assert_eq!((s.min_query_count, s.min_duration_ms), (990, 0));
    assert!(s.performance_issue_unique && !s.sample_concatenate_permutation);
    assert_eq!(s.qsl_rng_seed, 2085463073848966840);
    assert_eq!(l.requested.mode, TestMode::AccuracyOnly);
    assert!(l.audit_config_applied);

    let model_line = conf("gpt-oss-120b.Server.min_query_count = 500\n");
    let l = reference_settings(
        "gpt-oss-120b",
        Scenario::Server,
        TestMode::PerformanceOnly,
        &mlperf,
        Some(&user),
        Some(&model_line),
    )
    .unwrap();
    assert_eq!(l.settings.min_query_count, 100);
}

#[test]
fn test05_replaces_the_seeds_when_the_embedded_conf_sets_it() {
    // Only a built-in mlperf.conf sets `test05` (the official one has `test05 = 0`).
    let builtin = conf("*.*.test05 = 1\n*.*.test05_qsl_rng_seed = 11\n*.*.qsl_rng_seed = 3\n");
    let l = reference_settings_with_builtin(
        &builtin,
        "m",
        Scenario::Server,
        TestMode::AccuracyOnly,
        &conf(""),
        Some(&conf("")),
        None,
    )
    .unwrap();
    assert!(l.test05_applied);
    assert_eq!(
        (l.settings.qsl_rng_seed, l.settings.mode),
        (11, TestMode::PerformanceOnly)
    );
}

#[test]
fn the_official_audit_configs_parse_with_their_threshold_keys() {
    ConfFile::parse("TEST07", TEST07_AUDIT_CONFIG).unwrap();
    ConfFile::parse("TEST09", TEST09_AUDIT_CONFIG).unwrap();
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let e = ConfFile::read(Path::new("/nonexistent/user.conf"))
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("cannot read conf file `/nonexistent/user.conf`: "),
        "{e}"
    );
}

#[test]
fn a_key_without_spaces_around_equals_is_refused() {
    assert_eq!(err("\n*.*.min_duration=5\n"), "`t.conf` line 2: expected spaces around `=` as in `key = value`, found `*.*.min_duration=5`");
}

#[test]
fn a_comment_without_a_space_is_refused() {
    assert_eq!(err("#note here\n"), "`t.conf` line 1: expected a comment to start with `# ` (hash and space), found `#note here`");
}

#[test]
fn an_inline_comment_is_refused() {
    assert_eq!(err("*.*.min_duration = 5 # ms\n"), "`t.conf` line 1: `*.*.min_duration` expects an integer or a number (no inline comments), found `#`");
}

#[test]
fn a_missing_value_or_equals_is_refused() {
    assert_eq!(
        err("*.*.min_duration =\n"),
        "`t.conf` line 1: expected a value after `=`, found `*.*.min_duration =`"
    );
    assert_eq!(
        err("*.*.min_duration 5\n"),
        "`t.conf` line 1: expected `=` after the key, found `5`"
    );
    assert_eq!(
        err("*.*.min_duration\n"),
        "`t.conf` line 1: expected `key = value`, found `*.*.min_duration`"
    );
}

#[test]
fn an_unknown_key_is_refused() {
    assert_eq!(err("*.*.min_durration = 5\n"), "`t.conf` line 1: unknown key `min_durration`; expected a LoadGen setting such as `min_duration`, `target_qps` or `min_query_count`");
}

#[test]
fn a_malformed_key_or_unknown_scenario_is_refused() {
    assert_eq!(
        err("min_duration = 5\n"),
        "`t.conf` line 1: expected a key of the form `model.scenario.key`, found `min_duration`"
    );
    assert!(err("*.server.min_duration = 5\n")
        .starts_with("`t.conf` line 1: expected a model and a scenario `*`"));
}

#[test]
fn a_non_numeric_value_is_refused() {
    assert_eq!(err("*.*.target_qps = fast\n"), "`t.conf` line 1: `*.*.target_qps` expects an integer or a number (no inline comments), found `fast`");
}

#[test]
fn a_fraction_or_negative_number_for_a_count_is_refused_at_lookup() {
    let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
    let mut loader = ConfLoader::with_embedded(conf(""));
    let e = loader
        .from_config(
            &mut s,
            &conf("\n*.*.min_query_count = 2.5\n"),
            "m",
            Scenario::Server,
            ConfType::Other,
        )
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "`t.conf` line 2: `*.*.min_query_count` expects a non-negative integer, found `2.5`"
    );
    let e = loader
        .from_config(
            &mut s,
            &conf("*.Server.max_async_queries = -1\n"),
            "m",
            Scenario::Server,
            ConfType::Other,
        )
        .unwrap_err()
        .to_string();
    assert_eq!(
        e,
        "`t.conf` line 1: `*.Server.max_async_queries` expects a non-negative integer, found `-1`"
    );
    assert_eq!(
        s,
        TestSettings::new(Scenario::Server, TestMode::PerformanceOnly),
        "nothing applied"
    );
}

#[test]
fn an_invalid_mode_is_refused() {
    let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
    let e = ConfLoader::with_embedded(conf(""))
        .from_config(
            &mut s,
            &conf("*.*.mode = 7\n"),
            "m",
            Scenario::Server,
            ConfType::Other,
        )
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("`t.conf` line 1: `*.*.mode` expects `0` (submission)"),
        "{e}"
    );
}

#[test]
fn lines_loadgen_would_skip_are_listed_for_a_warning() {
    let mlperf = ConfFile::builtin_mlperf().unwrap();
    let user = ConfFile::parse(
        "user.conf",
        "gpt-oss.Server.target_qps = 3\n*.*.qsl_rng_seed = 1\ngpt-oss-120b.Server.target_qps = 2\n",
    )
    .unwrap();
    let audit = ConfFile::parse("TEST07", TEST07_AUDIT_CONFIG).unwrap();
    let l = reference_settings(
        "gpt-oss-120b",
        Scenario::Server,
        TestMode::PerformanceOnly,
        &mlperf,
        Some(&user),
        Some(&audit),
    )
    .unwrap();
    assert_eq!(
        l.ignored_lines,
        [
            "`user.conf` line 1: `gpt-oss.Server.target_qps` is ignored: it is for model `gpt-oss`, not `gpt-oss-120b`",
            "`user.conf` line 2: `*.*.qsl_rng_seed` is ignored: LoadGen reads this key only from its built-in mlperf.conf",
            "`TEST07` line 37: `*.*.test07_accuracy_threshold` is ignored: LoadGen does not read this key",
        ]
    );
    assert_eq!(l.settings.server_target_qps, 2.0);
}
