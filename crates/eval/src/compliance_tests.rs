//! TEST07 and TEST09 on crafted logs, and the checker's layout.

use super::*;

fn audit(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../loadgen/conf")
        .join(name)
        .join("audit.config")
}

#[test]
fn the_shipped_audit_configs_give_the_thresholds() {
    assert_eq!(
        audit_value(&audit("TEST07"), "test07_accuracy_threshold").unwrap(),
        Some(60.698)
    );
    assert_eq!(
        audit_value(&audit("TEST09"), "test09_min_output_tokens").unwrap(),
        Some(1150.38)
    );
    assert_eq!(
        audit_value(&audit("TEST09"), "test09_max_output_tokens").unwrap(),
        Some(1406.02)
    );
    assert_eq!(
        audit_value(&audit("TEST09"), "test07_accuracy_threshold").unwrap(),
        None
    );
}

#[test]
fn an_inline_comment_is_dropped_and_a_bad_value_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("audit.config");
    std::fs::write(
        &path,
        "# c\n*.*.test09_min_output_tokens = 10.5 # lower\n*.*.test09_max_output_tokens = x\n",
    )
    .unwrap();
    assert_eq!(
        audit_value(&path, "test09_min_output_tokens").unwrap(),
        Some(10.5)
    );
    let err = audit_value(&path, "test09_max_output_tokens")
        .unwrap_err()
        .to_string();
    assert!(
        err.ends_with(
            "audit.config` line 3: `test09_max_output_tokens` has the value `x`, expected a number"
        ),
        "{err}"
    );
}

fn tokens_hex(n: usize) -> String {
    "01000000".repeat(n)
}

#[test]
fn test09_takes_the_mean_of_whole_tokens_over_every_entry() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mlperf_log_accuracy.json");
    let entries = [
        format!("{{\"qsl_idx\": 0, \"data\": \"{}\"}}", tokens_hex(1200)),
        format!("{{\"qsl_idx\": 1, \"data\": \"{}AB\"}}", tokens_hex(1300)),
        "{\"qsl_idx\": 2}".to_owned(),
        format!("{{\"qsl_idx\": 3, \"data\": \"{}\"}}", tokens_hex(2500)),
    ];
    std::fs::write(&log, format!("[{}]", entries.join(",\n"))).unwrap();
    let v = verify_test09(&log, 1150.38, 1406.02).unwrap();
    assert_eq!((v.samples, v.min, v.max), (4, 0, 2500));
    assert_eq!(v.mean, 1250.0);
    assert!(v.passed);
    assert!(
        v.text
            .ends_with("Min check pass: True\nMax check pass: True\nTEST PASS\n"),
        "{}",
        v.text
    );
    let v = verify_test09(&log, 1260.0, 1406.02).unwrap();
    assert!(!v.passed);
    assert!(v
        .text
        .ends_with("Min check pass: False\nMax check pass: True\nTEST FAIL\n"));
}

#[test]
fn test07_compares_the_printed_score_with_the_threshold_and_writes_the_layout() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir_all(&run).unwrap();
    let tok = ossperf_harmony::tokenizer();
    let hex = |t: &str| -> String {
        tok.encode_with_special_tokens(t)
            .iter()
            .map(|i| hex::encode_upper(i.to_le_bytes()))
            .collect()
    };
    let answers = ["A", "B", "C", "D", "A"];
    let entries: Vec<String> = answers
        .iter()
        .enumerate()
        .map(|(i, a)| {
            format!(
                "{{\"seq_id\": {i}, \"qsl_idx\": {i}, \"data\": \"{}\"}}",
                hex(&format!("<|channel|>final<|message|>{a}<|return|>"))
            )
        })
        .collect();
    std::fs::write(
        run.join("mlperf_log_accuracy.json"),
        format!("[{}]", entries.join(",\n")),
    )
    .unwrap();
    std::fs::write(run.join("mlperf_log_summary.txt"), "summary").unwrap();
    let reference: Vec<ReferenceRow> = ["A", "B", "C", "A", "B"]
        .iter()
        .map(|g| ReferenceRow {
            dataset: "gpqa_diamond".into(),
            ground_truth: Some((*g).into()),
        })
        .collect();
    let v = verify_test07(
        &run.join("mlperf_log_accuracy.json"),
        &reference,
        60.0,
        &EvalOptions::default(),
    )
    .unwrap();
    assert!(v.passed);
    assert!(v.text.contains("'exact_match': 60.000\n"));
    assert!(v.text.ends_with("Accuracy score: 60.000\nAccuracy threshold: 60\nAccuracy check pass: True\nTEST PASS\n"), "{}", v.text);
    let v = verify_test07(
        &run.join("mlperf_log_accuracy.json"),
        &reference,
        60.698,
        &EvalOptions::default(),
    )
    .unwrap();
    assert!(!v.passed);
    assert!(v.text.ends_with("TEST FAIL\n"));
    let out = dir.path().join("out");
    let test_dir = write_layout("TEST07", &run, &out, "verify_accuracy.txt", &v.text).unwrap();
    assert_eq!(test_dir, out.join("TEST07"));
    assert!(test_dir.join("accuracy/mlperf_log_accuracy.json").is_file());
    assert_eq!(
        std::fs::read_to_string(test_dir.join("performance/run_1/mlperf_log_summary.txt")).unwrap(),
        "summary"
    );
    assert!(
        std::fs::read_to_string(test_dir.join("verify_accuracy.txt"))
            .unwrap()
            .contains("TEST FAIL")
    );
}
