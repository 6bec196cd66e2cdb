//! `ossperf compliance`: the audit run through `ossperf run`, then its verification.

use crate::util::text;

#[test]
fn test09_makes_the_audit_run_and_writes_the_checker_layout() {
    let dir = ossperf_testkit::temp_dir();
    let conf = dir.path().join("user.conf");
    std::fs::write(
        &conf,
        "gpt-oss-120b.*.performance_sample_count_override = 0\n",
    )
    .unwrap();
    let out = crate::util::ossperf()
        .args(["compliance", "test09", "-o"])
        .arg(dir.path().join("compliance"))
        .args(["--", "--sim-profile", "zero", "--user-conf"])
        .arg(&conf)
        .arg("--output-dir")
        .arg(dir.path().join("runs"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let verdict = dir.path().join("compliance/TEST09/verify_output_len.txt");
    let verdict = std::fs::read_to_string(&verdict).unwrap_or_default();
    assert!(
        verdict.trim_end().ends_with("TEST PASS"),
        "{verdict}\n{}",
        text(&out)
    );
    let logs = dir.path().join("runs/offline/TEST09");
    let detail = std::fs::read_to_string(logs.join("mlperf_log_detail.txt")).unwrap();
    assert!(
        detail.contains("Found Audit Config file"),
        "the audit.config was applied"
    );
    assert!(dir
        .path()
        .join("compliance/TEST09/accuracy/mlperf_log_accuracy.json")
        .is_file());
}

#[test]
fn a_compliance_dir_and_run_flags_together_are_refused() {
    let out = crate::util::ossperf()
        .args([
            "compliance",
            "test09",
            "-c",
            "somewhere",
            "--",
            "--sim-profile",
            "zero",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not both"),
        "{}",
        text(&out)
    );
}
