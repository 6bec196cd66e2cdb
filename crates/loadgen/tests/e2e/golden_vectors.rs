//! The official LoadGen 6.0.17's own output (`tests/golden/*.json`, recorded from the PyPI
//! wheel) reproduced exactly: the loaded set, every issued sample in order, and every
//! `generated_*` and `effective_*` value of the detail log.

use std::path::{Path, PathBuf};

use ossperf_loadgen::{
    generate_queries, loadable_sets, reference_settings, ConfFile, EffectiveSettings, Phase,
    Scenario, SettingValue, TestMode,
};
use serde_json::Value;

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

/// Runs the whole generation for one golden file and compares it.
fn check(file: &str, user_conf: &str) {
    let text = std::fs::read_to_string(golden_dir().join(file)).unwrap();
    let golden: Value = serde_json::from_str(&text).unwrap();
    let model = golden["model"].as_str().unwrap();
    let scenario = Scenario::from_name(golden["scenario"].as_str().unwrap()).unwrap();
    let (mode, phase) = match golden["mode"].as_str().unwrap() {
        "PerformanceOnly" => (TestMode::PerformanceOnly, Phase::Performance),
        "AccuracyOnly" => (TestMode::AccuracyOnly, Phase::Accuracy),
        other => panic!("unexpected mode {other}"),
    };
    let qsl_total = golden["qsl_total"].as_u64().unwrap();
    let qsl_perf = golden["qsl_perf"].as_u64().unwrap();

    let mlperf = ConfFile::builtin_mlperf().unwrap();
    let user = ConfFile::read(&golden_dir().join(user_conf)).unwrap();
    let loaded = reference_settings(model, scenario, mode, &mlperf, Some(&user), None).unwrap();
    let eff = EffectiveSettings::derive(&loaded.settings, qsl_total, qsl_perf);

    let sets = loadable_sets(&eff, qsl_total as usize, phase);
    let sets = phase.sets_used(&sets);
    let mut load_order = Vec::new();
    let mut issued = Vec::new();
    let mut last = None;
    for set in sets {
        load_order.extend_from_slice(&set.samples);
        let generated = generate_queries(&eff, set, phase).unwrap();
        issued.extend(
            generated
                .queries
                .iter()
                .flat_map(|q| q.sample_indices.iter().copied()),
        );
        last = Some(generated);
    }
    let generated = last.unwrap();
    let as_usize = |v: &Value| -> Vec<usize> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as usize)
            .collect()
    };
    assert_eq!(load_order, as_usize(&golden["loaded"]), "{file}: loaded");
    assert_eq!(issued, as_usize(&golden["issued"]), "{file}: issued");

    let detail = &golden["detail"];
    let ours = ours_by_key(&eff);
    let mut compared = 0;
    for (key, expected) in detail.as_object().unwrap() {
        let actual = match key.as_str() {
            "generated_query_count" => Value::from(generated.query_count()),
            "generated_samples_per_query" => Value::from(generated.samples_per_query),
            "generated_query_duration" => Value::from(generated.query_duration_ns),
            k if k.starts_with("effective_") => ours
                .iter()
                .find(|(name, _)| *name == k)
                .unwrap_or_else(|| panic!("{file}: no value for {k}"))
                .1
                .clone(),
            _ => continue,
        };
        assert!(
            same(&actual, expected),
            "{file}: {key} = {actual}, expected {expected}"
        );
        compared += 1;
    }
    assert_eq!(
        compared, 29,
        "{file}: every generated_* and effective_* key compared"
    );
}

/// Numbers compare by value (the golden files write `100000` for the double 100000.0).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_u64(), y.as_u64()) {
            (Some(x), Some(y)) => x == y,
            _ => x.as_f64() == y.as_f64(),
        },
        _ => a == b,
    }
}

fn ours_by_key(e: &EffectiveSettings) -> Vec<(&'static str, Value)> {
    e.effective_values()
        .into_iter()
        .map(|(k, v)| {
            let v = match v {
                SettingValue::Str(s) => Value::from(s),
                SettingValue::UInt(u) => Value::from(u),
                SettingValue::Double(d) => Value::from(d),
                SettingValue::Bool(b) => Value::from(b),
            };
            (k, v)
        })
        .collect()
}

#[test]
fn offline_performance_matches_the_official_loadgen() {
    check("off_perf.json", "u_off.conf");
}

#[test]
fn server_performance_matches_the_official_loadgen() {
    check("srv_perf.json", "u_srv.conf");
}

#[test]
fn interactive_performance_matches_the_official_loadgen() {
    check("int_perf.json", "u_srv.conf");
}

#[test]
fn offline_accuracy_matches_the_official_loadgen() {
    check("off_acc.json", "u_off.conf");
}

#[test]
fn server_accuracy_matches_the_official_loadgen() {
    check("srv_acc.json", "u_srv.conf");
}
