//! Conf files end to end: `--mlperf-conf` as `run_mlperf.py` gives it to the official LoadGen
//! (the built-in mlperf.conf applied after it, seeds from the built-in alone) and numeric
//! values LoadGen falls back from or cannot run (issues 16 and 17).

use std::path::Path;
use std::process::Output;
use std::time::Instant;

use crate::faults::{finish, spawn_run};
use crate::util::text;

fn plan(args: &[&str], dir: &Path, user_conf: &str) -> Output {
    let user = dir.join("user.conf");
    std::fs::write(&user, user_conf).expect("write user.conf");
    crate::util::ossperf()
        .arg("plan")
        .args(args)
        .arg("--user-conf")
        .arg(&user)
        .arg("--output")
        .arg(dir.join("plan.jsonl"))
        .output()
        .expect("run ossperf plan")
}

#[test]
fn a_custom_mlperf_conf_keeps_the_builtin_seeds_and_says_which_lines_are_not_used() {
    let dir = ossperf_testkit::temp_dir();
    let custom = dir.path().join("custom.conf");
    // The file: the official LoadGen gives the built-in seeds, target_qps 1 and
    // min_duration 600000 with it.
    std::fs::write(
        &custom,
        "*.*.qsl_rng_seed = 1234567890123\ngpt-oss-120b.Server.target_qps = 7\n",
    )
    .expect("write");
    let custom = custom.to_string_lossy().into_owned();
    let out = plan(
        &["--scenario", "server", "--mlperf-conf", &custom],
        dir.path(),
        "# nothing\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[..2],
        [
            format!("warning: `{custom}` line 1: `*.*.qsl_rng_seed` is not used: LoadGen's built-in mlperf.conf, applied after it, sets `*.*.qsl_rng_seed = 2085463073848966840`"),
            format!("warning: `{custom}` line 2: `gpt-oss-120b.Server.target_qps` is not used: LoadGen's built-in mlperf.conf, applied after it, sets `*.Server.target_qps = 1.0`"),
        ]
    );
    for line in [
        "effective_target_qps: 1",
        "effective_min_duration_ms: 600000",
        "effective_qsl_rng_seed: 2085463073848966840",
        "effective_sample_index_rng_seed: 2747215439041700203",
        "effective_schedule_rng_seed: 16159082839903944936",
    ] {
        assert!(lines.contains(&line), "`{line}`\n{}", text(&out));
    }
}

#[test]
fn a_nan_target_qps_is_loadgens_error_line_and_a_fallback_to_1() {
    let dir = ossperf_testkit::temp_dir();
    let out = plan(
        &["--scenario", "server"],
        dir.path(),
        "gpt-oss-120b.Server.target_qps = nan\n",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines[0],
        "warning: error_invalid_test_settings: Invalid value for server_target_qps requested. requested: nan using: 1"
    );
    assert!(lines.contains(&"effective_target_qps: 1"), "{}", text(&out));
}

#[test]
fn a_zero_server_target_qps_is_one_clear_error_before_any_load_not_a_hang() {
    let dir = ossperf_testkit::temp_dir();
    let started = Instant::now();
    let ran = finish(
        spawn_run(
            &["--scenario", "server", "--sim-profile", "zero"],
            dir.path(),
            "gpt-oss-120b.Server.target_qps = 0\n",
        ),
        started,
    );
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(2), "{}", ran.text());
    assert_eq!(
        ran.stderr,
        "error: cannot resolve the settings of model `gpt-oss-120b`: the Server run cannot be scheduled: `target_qps` is `0`; expected a number above 0 (LoadGen schedules each Server query 1/target_qps seconds after the previous one, so the second would never come; the official LoadGen 6.0.17 runs out of memory building that schedule)\n"
    );
    assert!(!dir.path().join("out").exists(), "nothing written");
}

#[test]
fn a_huge_offline_target_qps_is_one_clear_error_before_any_load() {
    let dir = ossperf_testkit::temp_dir();
    let ran = finish(
        spawn_run(
            &["--sim-profile", "zero"],
            dir.path(),
            "gpt-oss-120b.Offline.target_qps = 1e12\n",
        ),
        Instant::now(),
    );
    assert_eq!(ran.status.code(), Some(2), "{}", ran.text());
    assert_eq!(
        ran.stderr,
        "error: cannot resolve the settings of model `gpt-oss-120b`: the Offline run cannot be scheduled: its schedule would hold 6.6e+14 samples (`target_qps` 1e+12, `min_duration` 600000 ms, `min_query_count` 100); expected at most 67108864 (LoadGen builds the whole schedule before the first query; the official LoadGen 6.0.17 runs out of memory on such values)\n"
    );
}

#[test]
fn an_offline_run_with_a_negative_target_qps_ends_with_loadgens_error_line_in_the_detail_log() {
    let dir = ossperf_testkit::temp_dir();
    let ran = finish(
        spawn_run(
            &["--sim-profile", "zero", "--max-samples", "20"],
            dir.path(),
            "gpt-oss-120b.*.performance_sample_count_override = 0\n\
             gpt-oss-120b.Offline.min_duration = 0\n\
             gpt-oss-120b.Offline.min_query_count = 20\n\
             gpt-oss-120b.Offline.target_qps = -5\n",
        ),
        Instant::now(),
    );
    ran.assert_no_panic();
    let detail = std::fs::read_to_string(
        dir.path()
            .join("out/offline/performance/mlperf_log_detail.txt"),
    )
    .unwrap_or_else(|e| panic!("detail log: {e}\n{}", ran.text()));
    let errors: Vec<&str> = detail
        .lines()
        .filter(|l| l.contains("\"key\": \"error_invalid_test_settings\""))
        .collect();
    assert_eq!(errors.len(), 1, "{detail}");
    assert!(
        errors[0].contains("\"value\": \"Invalid value for offline_expected_qps requested. requested: -5 using: 1\""),
        "{}",
        errors[0]
    );
    assert!(
        detail.contains("\"key\": \"effective_target_qps\", \"value\": 1,"),
        "{detail}"
    );
}

#[test]
fn one_user_conf_per_run_as_a_submission_needs() {
    // LoadGen would log "Multiple conf files are used. This is not valid for official
    // submission." for a second one; the command line takes one.
    let dir = ossperf_testkit::temp_dir();
    let user = dir.path().join("user.conf");
    std::fs::write(&user, "# nothing\n").expect("write");
    let out = plan(
        &["--user-conf", &user.to_string_lossy()],
        dir.path(),
        "# nothing\n",
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().next(),
        Some("error: the argument '--user-conf <FILE>' cannot be used multiple times")
    );
}

#[test]
fn a_run_warns_about_mlperf_conf_lines_the_builtin_replaces_and_keeps_the_official_seeds() {
    let dir = ossperf_testkit::temp_dir();
    let custom = dir.path().join("custom.conf");
    std::fs::write(&custom, "*.*.schedule_rng_seed = 5\n").expect("write");
    let custom = custom.to_string_lossy().into_owned();
    let ran = crate::faults::finish(
        spawn_run(
            &[
                "--sim-profile",
                "zero",
                "--max-samples",
                "20",
                "--mlperf-conf",
                &custom,
            ],
            dir.path(),
            crate::faults::FAST_CONF,
        ),
        Instant::now(),
    );
    assert_eq!(ran.status.code(), Some(0), "{}", ran.text());
    assert!(
        ran.stderr.lines().any(|l| l
            == format!("warning: `{custom}` line 1: `*.*.schedule_rng_seed` is not used: LoadGen's built-in mlperf.conf, applied after it, sets `*.*.schedule_rng_seed = 16159082839903944936`")),
        "{}",
        ran.text()
    );
    let detail = std::fs::read_to_string(
        dir.path()
            .join("out/offline/performance/mlperf_log_detail.txt"),
    )
    .expect("detail log");
    assert!(
        detail
            .contains("\"key\": \"effective_schedule_rng_seed\", \"value\": 16159082839903944936,"),
        "{detail}"
    );
}
