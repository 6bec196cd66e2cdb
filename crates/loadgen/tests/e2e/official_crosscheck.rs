//! Cross-check against the official LoadGen (PyPI `mlcommons-loadgen`, module `mlperf_loadgen`)
//! over settings that are not in the golden files: other seeds (set on the wheel's
//! `TestSettings` after the conf files; ossperf takes them from a stand-in built-in mlperf.conf,
//! `reference_settings_with_builtin`),
//! QSL sizes 990 and 500, several loadable sets, Offline and Server (and SingleStream and
//! MultiStream), performance, accuracy and submission runs, equal issue on and off, TEST07's
//! audit.config, and accuracy-log sampling. About 0.8 s per case, mostly Python start-up.
//!
//! `tests/crosscheck/record_loadgen.py` runs the official build with a recording SUT; this test
//! runs ossperf's generation on the same settings and compares the loaded sets, every issued
//! sample, every `generated_*` value and the accuracy-log choices. Without python3 or the
//! module the test prints why and returns.
//!
//! `conf_semantics_*`: custom mlperf.conf files given the way `run_mlperf.py` gives them
//! (`FromConfig(path, model, scenario, 2)`, then the user.conf as type 1), and numeric values
//! LoadGen falls back from: ossperf's effective settings, error lines, loaded sets and issue
//! order against the wheel's (live) and against `tests/golden/conf_semantics.json`, what
//! the wheel 6.0.17 produced for the same cases (always). `OSSPERF_WRITE_CONF_GOLDEN=1`
//! rewrites that file from the wheel.

use std::path::{Path, PathBuf};
use std::process::Command;

use ossperf_loadgen::config::{BUILTIN_MLPERF_CONF, TEST07_AUDIT_CONFIG};
use ossperf_loadgen::{
    generate_queries, loadable_sets, reference_settings, reference_settings_with_builtin,
    AccuracyLogSampler, ConfFile, ConfLoader, ConfType, EffectiveSettings, Phase, Scenario,
    SettingValue, TestMode, TestSettings,
};
use serde_json::{json, Value};

/// One comparison: the QSL, the mode, extra user.conf lines and mlperf.conf-only values.
struct Case {
    name: &'static str,
    scenario: Scenario,
    mode: TestMode,
    total: u64,
    user_conf: &'static str,
    /// (qsl, sample_index, schedule) seeds and accuracy_log_probability in percent.
    seeds: (u64, u64, u64),
    log_percent: f64,
    audit: bool,
}

const USER_BASE: &str = "gpt-oss-120b.Server.target_qps = 20000\n\
gpt-oss-120b.Server.min_duration = 50\n\
gpt-oss-120b.Offline.target_qps = 10\n\
gpt-oss-120b.Offline.min_duration = 100\n";

fn cases() -> Vec<Case> {
    let base = |name, scenario, mode, total| Case {
        name,
        scenario,
        mode,
        total,
        user_conf: "",
        seeds: (12345, 678, 99),
        log_percent: 10.0,
        audit: false,
    };
    vec![
        base(
            "server performance, qsl 990",
            Scenario::Server,
            TestMode::PerformanceOnly,
            990,
        ),
        Case {
            seeds: (1, 2, 3),
            log_percent: 5.0,
            ..base(
                "offline performance, qsl 990",
                Scenario::Offline,
                TestMode::PerformanceOnly,
                990,
            )
        },
        Case {
            user_conf: "gpt-oss-120b.*.performance_sample_count_override = 200\n",
            seeds: (0xDEAD_BEEF_0000_0001, 42, 7),
            ..base(
                "server accuracy, qsl 500, three sets",
                Scenario::Server,
                TestMode::AccuracyOnly,
                500,
            )
        },
        Case {
            user_conf: "gpt-oss-120b.*.performance_sample_count_override = 200\n",
            ..base(
                "offline accuracy, qsl 500, three sets",
                Scenario::Offline,
                TestMode::AccuracyOnly,
                500,
            )
        },
        Case {
            user_conf: "gpt-oss-120b.Server.sample_concatenate_permutation = 0\n\
                        gpt-oss-120b.Server.accuracy_log_rng_seed = 7\n\
                        gpt-oss-120b.Server.accuracy_log_sampling_target = 50\n",
            ..base(
                "server performance without equal issue",
                Scenario::Server,
                TestMode::PerformanceOnly,
                990,
            )
        },
        Case {
            seeds: (31, 41, 59),
            log_percent: 20.0,
            ..base(
                "server submission run, qsl 500",
                Scenario::Server,
                TestMode::SubmissionRun,
                500,
            )
        },
        Case {
            user_conf: "gpt-oss-120b.SingleStream.target_latency = 1\n\
                        gpt-oss-120b.SingleStream.min_duration = 50\n",
            ..base(
                "singlestream performance, qsl 500",
                Scenario::SingleStream,
                TestMode::PerformanceOnly,
                500,
            )
        },
        Case {
            user_conf: "gpt-oss-120b.MultiStream.target_latency = 1\n\
                        gpt-oss-120b.MultiStream.min_duration = 50\n\
                        gpt-oss-120b.MultiStream.min_query_count = 20\n",
            ..base(
                "multistream performance, qsl 500",
                Scenario::MultiStream,
                TestMode::PerformanceOnly,
                500,
            )
        },
        Case {
            user_conf: "gpt-oss-120b.MultiStream.target_latency = 1\n",
            ..base(
                "multistream accuracy, qsl 990",
                Scenario::MultiStream,
                TestMode::AccuracyOnly,
                990,
            )
        },
        Case {
            audit: true,
            ..base(
                "server TEST07 audit.config, qsl 500",
                Scenario::Server,
                TestMode::PerformanceOnly,
                500,
            )
        },
        Case {
            user_conf: "gpt-oss-120b.*.performance_sample_count_override = 500\n\
                        gpt-oss-120b.Offline.performance_issue_same = 1\n\
                        gpt-oss-120b.Offline.performance_issue_same_index = 3\n\
                        gpt-oss-120b.Offline.target_qps = 10000\n",
            ..base(
                "offline performance_issue_same",
                Scenario::Offline,
                TestMode::PerformanceOnly,
                500,
            )
        },
    ]
}

fn python_reason() -> Option<String> {
    match Command::new("python3").args(["-c", "import mlperf_loadgen"]).output() {
        Err(e) => Some(format!("python3 cannot be run: {e}")),
        Ok(o) if !o.status.success() => Some(format!(
            "the Python module `mlperf_loadgen` is missing (pip install mlcommons-loadgen==6.0.17): {}",
            String::from_utf8_lossy(&o.stderr).trim()
        )),
        Ok(_) => None,
    }
}

#[test]
fn ossperf_generates_what_the_official_loadgen_issues() {
    if let Some(reason) = python_reason() {
        eprintln!("SKIPPED official LoadGen cross-check: {reason}");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("official_crosscheck");
    std::fs::create_dir_all(&dir).unwrap();
    for (i, case) in cases().iter().enumerate() {
        let official = run_official(case, &dir.join(i.to_string()));
        let mut ours = run_ours(case, &dir.join(i.to_string()));
        let stops_early = matches!(
            case.scenario,
            Scenario::SingleStream | Scenario::MultiStream
        ) && case.mode == TestMode::PerformanceOnly;
        if stops_early {
            // LoadGen stops issuing once the minimum count and duration are met: what it issued
            // must be a prefix of what was generated, and only issued samples can be logged.
            let issued = official["issued"].as_array().unwrap().len();
            assert!(issued > 0, "{}: nothing issued", case.name);
            ours["issued"].as_array_mut().unwrap().truncate(issued);
            let kept: Vec<Value> = ours["logged_seq_ids"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|id| id.as_u64().unwrap() < issued as u64)
                .cloned()
                .collect();
            ours["logged_seq_ids"] = Value::from(kept);
        }
        for key in ["loaded", "issued", "generated", "logged_seq_ids"] {
            assert_eq!(ours[key], official[key], "{}: {key}", case.name);
        }
    }
}

/// The files of a case: the custom mlperf.conf (official + other seeds), user.conf, audit.
fn write_files(case: &Case, dir: &Path) -> (PathBuf, PathBuf, PathBuf, PathBuf) {
    std::fs::create_dir_all(dir).unwrap();
    let (qsl, sample, schedule) = case.seeds;
    let mlperf = format!(
        "{BUILTIN_MLPERF_CONF}\n*.*.qsl_rng_seed = {qsl}\n*.*.sample_index_rng_seed = {sample}\n\
         *.*.schedule_rng_seed = {schedule}\n*.*.accuracy_log_probability = {}\n",
        case.log_percent
    );
    let paths = (
        dir.join("mlperf.conf"),
        dir.join("official-copy.conf"),
        dir.join("user.conf"),
        dir.join("audit.config"),
    );
    std::fs::write(&paths.0, mlperf).unwrap();
    std::fs::write(&paths.1, BUILTIN_MLPERF_CONF).unwrap();
    std::fs::write(&paths.2, format!("{USER_BASE}{}", case.user_conf)).unwrap();
    std::fs::write(&paths.3, TEST07_AUDIT_CONFIG).unwrap();
    (paths.0, paths.1, paths.2, paths.3)
}

fn run_official(case: &Case, dir: &Path) -> Value {
    let (mlperf, _, user, audit) = write_files(case, dir);
    let (qsl, sample, schedule) = case.seeds;
    let arg = json!({
        "model": "gpt-oss-120b",
        "scenario": case.scenario.as_str(),
        "mode": case.mode.as_str(),
        "total": case.total,
        "perf": case.total,
        "mlperf_conf": mlperf,
        "user_conf": user,
        "audit_config": if case.audit { Some(audit) } else { None },
        // The wheel reads these only from its own embedded mlperf.conf.
        "overrides": {
            "qsl_rng_seed": qsl, "sample_index_rng_seed": sample, "schedule_rng_seed": schedule,
            "accuracy_log_probability": case.log_percent * 0.01,
        },
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crosscheck/record_loadgen.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(arg.to_string())
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn run_ours(case: &Case, dir: &Path) -> Value {
    let (mlperf, _, user, audit) = write_files(case, dir);
    let mlperf = ConfFile::read(&mlperf).unwrap();
    let user = ConfFile::read(&user).unwrap();
    let audit = ConfFile::read(&audit).unwrap();
    let audit = case.audit.then_some(&audit);
    // The wheel gets the seeds by attribute after the conf files, as if its built-in
    // mlperf.conf held them: here the custom file stands in for the built-in.
    let l = reference_settings_with_builtin(
        &mlperf,
        "gpt-oss-120b",
        case.scenario,
        case.mode,
        &mlperf,
        Some(&user),
        audit,
    )
    .unwrap();
    let e = EffectiveSettings::derive(&l.settings, case.total, case.total);
    let (mut loaded, mut issued, mut generated, mut logged_ids) = (vec![], vec![], vec![], vec![]);
    let mut sampler = AccuracyLogSampler::new();
    let mut seq = 0u64;
    for &phase in Phase::for_mode(e.mode) {
        let sets = loadable_sets(&e, case.total as usize, phase);
        for set in phase.sets_used(&sets) {
            loaded.push(json!(set.samples));
            let g = generate_queries(&e, set, phase).unwrap();
            issued.extend(
                g.queries
                    .iter()
                    .flat_map(|q| q.sample_indices.iter().map(|&i| json!(i))),
            );
            generated.push(json!(["generated_query_count", g.query_count()]));
            generated.push(json!(["generated_samples_per_query", g.samples_per_query]));
            generated.push(json!(["generated_query_duration", g.query_duration_ns]));
            for logged in sampler.select(&e, &g, phase) {
                if logged {
                    logged_ids.push(json!(seq));
                }
                seq += 1;
            }
        }
    }
    json!({"loaded": loaded, "issued": issued, "generated": generated, "logged_seq_ids": logged_ids})
}

/// A conf-semantics case: a custom `--mlperf-conf`, a user.conf and the scenario (QSL 50/50,
/// performance mode).
struct ConfCase {
    name: &'static str,
    scenario: Scenario,
    mlperf_conf: String,
    user_conf: String,
    /// How many times the user.conf is given (LoadGen allows one).
    user_conf_calls: usize,
}

/// A Server run that ends in about a second even at LoadGen's fallback of 1 qps.
const ONE_QUERY_SERVER: &str = "gpt-oss-120b.Server.min_query_count = 1\n\
gpt-oss-120b.Server.sample_concatenate_permutation = 0\n";

fn conf_cases() -> Vec<ConfCase> {
    let case = |name, scenario, mlperf_conf: &str, user_extra: &str| ConfCase {
        name,
        scenario,
        mlperf_conf: mlperf_conf.to_owned(),
        user_conf: format!("{USER_BASE}{user_extra}"),
        user_conf_calls: 1,
    };
    let other_seeds = format!(
        "{BUILTIN_MLPERF_CONF}\n*.*.qsl_rng_seed = 12345\n*.*.sample_index_rng_seed = 678\n\
         *.*.schedule_rng_seed = 99\n*.*.accuracy_log_probability = 10\n"
    );
    let some_keys = "*.*.qsl_rng_seed = 1234567890123\n\
                     gpt-oss-120b.Server.target_qps = 7\n\
                     gpt-oss-120b.*.sample_concatenate_permutation = 0\n\
                     gpt-oss-120b.*.performance_sample_count_override = 40\n\
                     gpt-oss-120b.Server.ttft_latency = 5\n";
    let builtin_lacks = "gpt-oss-120b.Server.min_query_count = 1500\n\
                         gpt-oss-120b.Offline.min_query_count = 700\n\
                         gpt-oss-120b.*.max_query_count = 2000\n\
                         gpt-oss-120b.Server.max_async_queries = 3\n\
                         gpt-oss-120b.*.accuracy_log_sampling_target = 20\n\
                         gpt-oss-120b.*.performance_issue_same_index = 2\n";
    vec![
        case(
            "official file with other seeds, Server",
            Scenario::Server,
            &other_seeds,
            "",
        ),
        case(
            "official file with other seeds, Offline",
            Scenario::Offline,
            &other_seeds,
            "",
        ),
        case("some keys only, Server", Scenario::Server, some_keys, ""),
        case("some keys only, Offline", Scenario::Offline, some_keys, ""),
        case(
            "keys the built-in lacks, Server",
            Scenario::Server,
            builtin_lacks,
            "",
        ),
        case(
            "keys the built-in lacks, Offline",
            Scenario::Offline,
            builtin_lacks,
            "",
        ),
        case(
            "Offline target_qps nan",
            Scenario::Offline,
            "",
            "gpt-oss-120b.Offline.target_qps = nan\n",
        ),
        case(
            "Offline target_qps -1",
            Scenario::Offline,
            "",
            "gpt-oss-120b.Offline.target_qps = -1\n",
        ),
        case(
            "Offline target_qps -inf in the custom mlperf.conf",
            Scenario::Offline,
            "*.Offline.target_qps = -inf\n",
            "gpt-oss-120b.Offline.target_qps = -1e-7\n",
        ),
        ConfCase {
            user_conf_calls: 2,
            ..case(
                "the user.conf given twice, Offline",
                Scenario::Offline,
                "",
                "gpt-oss-120b.Offline.min_query_count = 30\n",
            )
        },
        case(
            "Server target_qps -nan",
            Scenario::Server,
            "",
            &format!("{ONE_QUERY_SERVER}gpt-oss-120b.Server.target_qps = -nan\n"),
        ),
    ]
}

const CONF_TOTAL: u64 = 50;

fn conf_golden_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/conf_semantics.json")
}

/// What ossperf resolves and generates for a conf case, in the wheel's terms.
fn conf_ours(case: &ConfCase) -> Value {
    let mlperf = ConfFile::parse("mlperf.conf", &case.mlperf_conf).unwrap();
    let user = ConfFile::parse("user.conf", &case.user_conf).unwrap();
    // `run_mlperf.py`'s calls, through the loader so that a second user.conf can be given.
    let mut loader = ConfLoader::new().unwrap();
    let mut settings = TestSettings::new(case.scenario, TestMode::PerformanceOnly);
    let model = "gpt-oss-120b";
    loader
        .from_config(
            &mut settings,
            &mlperf,
            model,
            case.scenario,
            ConfType::Other,
        )
        .unwrap();
    for _ in 0..case.user_conf_calls {
        loader
            .from_config(&mut settings, &user, model, case.scenario, ConfType::User)
            .unwrap();
    }
    if case.user_conf_calls == 1 {
        let l = reference_settings(
            model,
            case.scenario,
            TestMode::PerformanceOnly,
            &mlperf,
            Some(&user),
            None,
        )
        .unwrap();
        // Compared as text: a NaN target_qps is not equal to itself.
        assert_eq!(
            format!("{:?}", l.settings),
            format!("{settings:?}"),
            "{}",
            case.name
        );
    }
    let e = EffectiveSettings::derive(&settings, CONF_TOTAL, CONF_TOTAL);
    let (mut loaded, mut issued, mut generated) = (vec![], vec![], vec![]);
    let phase = Phase::Performance;
    let sets = loadable_sets(&e, CONF_TOTAL as usize, phase);
    for set in phase.sets_used(&sets) {
        loaded.push(json!(set.samples));
        let g = generate_queries(&e, set, phase).unwrap();
        issued.extend(
            g.queries
                .iter()
                .flat_map(|q| q.sample_indices.iter().map(|&i| json!(i))),
        );
        generated.push(json!(["generated_query_count", g.query_count()]));
        generated.push(json!(["generated_samples_per_query", g.samples_per_query]));
        generated.push(json!(["generated_query_duration", g.query_duration_ns]));
    }
    let effective: serde_json::Map<String, Value> = e
        .effective_values()
        .into_iter()
        .map(|(key, value)| {
            let v = match value {
                SettingValue::Str(s) => json!(s),
                SettingValue::UInt(v) => json!(v),
                SettingValue::Double(v) => json!(v),
                SettingValue::Bool(v) => json!(v),
            };
            (key.to_owned(), v)
        })
        .collect();
    let errors: Vec<Value> = loader
        .issues()
        .iter()
        .chain(&e.issues)
        .map(|i| json!([i.key, i.message]))
        .collect();
    json!({"loaded": loaded, "issued": issued, "generated": generated,
           "effective": effective, "errors": errors})
}

/// The wheel's output for a conf case (the keys [`conf_ours`] has).
fn conf_official(case: &ConfCase, dir: &Path) -> Value {
    std::fs::create_dir_all(dir).unwrap();
    let (mlperf, user) = (dir.join("mlperf.conf"), dir.join("user.conf"));
    std::fs::write(&mlperf, &case.mlperf_conf).unwrap();
    std::fs::write(&user, &case.user_conf).unwrap();
    let arg = json!({
        "model": "gpt-oss-120b",
        "scenario": case.scenario.as_str(),
        "mode": "PerformanceOnly",
        "total": CONF_TOTAL,
        "perf": CONF_TOTAL,
        "mlperf_conf": mlperf,
        "user_conf": user,
        "user_conf_calls": case.user_conf_calls,
    });
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/crosscheck/record_loadgen.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(arg.to_string())
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        case.name,
        String::from_utf8_lossy(&out.stderr)
    );
    let mut v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("logged_seq_ids");
    v
}

/// Equal as the detail log has them: doubles by value (`20000` = `20000.0`), seeds exactly.
fn same_value(ours: &Value, official: &Value) -> bool {
    match (ours, official) {
        (Value::Number(a), Value::Number(b)) => match (a.as_u64(), b.as_u64()) {
            (Some(a), Some(b)) => a == b,
            _ => a.as_f64() == b.as_f64(),
        },
        _ => ours == official,
    }
}

fn assert_conf_case(case: &ConfCase, ours: &Value, official: &Value, against: &str) {
    for key in ["loaded", "issued", "generated", "errors"] {
        assert_eq!(ours[key], official[key], "{} ({against}): {key}", case.name);
    }
    let (o, w) = (
        ours["effective"].as_object().unwrap(),
        official["effective"].as_object().unwrap(),
    );
    assert_eq!(
        o.keys().collect::<Vec<_>>(),
        w.keys().collect::<Vec<_>>(),
        "{} ({against}): effective keys",
        case.name
    );
    for (key, value) in o {
        assert!(
            same_value(value, &w[key]),
            "{} ({against}): {key}: ossperf {value}, official {}",
            case.name,
            w[key]
        );
    }
}

#[test]
fn conf_semantics_match_the_wheels_golden_output() {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(conf_golden_path()).unwrap()).unwrap();
    let cases = conf_cases();
    assert_eq!(golden.as_object().unwrap().len(), cases.len());
    for case in &cases {
        assert_conf_case(case, &conf_ours(case), &golden[case.name], "golden");
    }
}

#[test]
fn conf_semantics_match_the_official_loadgen() {
    if let Some(reason) = python_reason() {
        eprintln!("SKIPPED official LoadGen conf-semantics cross-check: {reason}");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("conf_semantics");
    let mut golden = serde_json::Map::new();
    for (i, case) in conf_cases().iter().enumerate() {
        let official = conf_official(case, &dir.join(i.to_string()));
        assert_conf_case(case, &conf_ours(case), &official, "official LoadGen");
        golden.insert(case.name.to_owned(), official);
    }
    if std::env::var_os("OSSPERF_WRITE_CONF_GOLDEN").is_some() {
        let text = serde_json::to_string(&Value::Object(golden)).unwrap();
        std::fs::write(conf_golden_path(), text + "\n").unwrap();
    }
}
