//! From runs to a submission tree (issue 23): `submission assemble` lays short simulator runs out
//! in the checker's tree, and `submission check` lists exactly the violations their short
//! settings cause, each with its file and rule, the checker's apart from ossperf's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use sha2::Digest as _;

use crate::util::text;

const OSSPERF: &str = env!("CARGO_BIN_EXE_ossperf");

/// Short runs: the sample set (97 rows), Offline at once, Interactive for 0.2 s.
const SHORT_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b-interactive.*.performance_sample_count_override = 0
gpt-oss-120b-interactive.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Offline.target_qps = 100
gpt-oss-120b-interactive.Server.min_duration = 200
gpt-oss-120b-interactive.Server.min_query_count = 45
gpt-oss-120b-interactive.Server.target_qps = 150
";

/// The system description's meaningful fields and the measurements' fields, all given.
const FIELDS: [&str; 23] = [
    "status=available",
    "system_type=datacenter",
    "number_of_nodes=1",
    "host_processor_model_name=sim",
    "host_processors_per_node=1",
    "host_processor_core_count=2",
    "host_memory_capacity=1 GB",
    "host_memory_configuration=sim",
    "host_storage_capacity=1 GB",
    "host_storage_type=sim",
    "host_networking=loopback",
    "host_network_card_count=0",
    "host_networking_topology=loopback",
    "accelerators_per_node=1",
    "accelerator_model_name=ossperf simulator",
    "accelerator_memory_capacity=0",
    "accelerator_host_interconnect=none",
    "accelerator_memory_configuration=none",
    "accelerator_interconnect=none",
    "cooling=air",
    "framework=ossperf-sim",
    "operating_system=Linux",
    "other_software_stack=ossperf",
];
const MEASUREMENTS: [&str; 5] = [
    "input_data_types=int32",
    "retraining=no",
    "starting_weights_filename=openai/gpt-oss-120b",
    "weight_data_types=mxfp4",
    "weight_transformations=none",
];

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// One `submission run` of `scenario` in `dir/runs`, with extra run flags.
fn submission_run(dir: &Path, scenario: &str, extra: &[&str]) {
    let sample = data().join("sample.parquet");
    let conf = dir.join("short.conf");
    std::fs::write(&conf, SHORT_CONF).unwrap();
    let gpqa = dir.join("gpqa.parquet");
    if !gpqa.exists() {
        // TEST07's set: the sample's GPQA rows.
        let rows: String = std::fs::read_to_string(data().join("sample.jsonl"))
            .unwrap()
            .lines()
            .filter(|l| l.contains("gpqa"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(dir.join("gpqa.jsonl"), rows).unwrap();
        let built = Command::new(OSSPERF)
            .args(["dataset", "build"])
            .arg(dir.join("gpqa.jsonl"))
            .arg(&gpqa)
            .args(["--reasoning-effort", "high"])
            .output()
            .unwrap();
        assert!(built.status.success(), "{}", text(&built));
    }
    let out = Command::new(OSSPERF)
        .args(["submission", "run", "-o"])
        .arg(dir.join("runs"))
        .arg("--reference-data")
        .arg(&sample)
        .arg("--test07-data")
        .arg(&gpqa)
        .arg("--lcb-tests")
        .arg(data().join("sample_lcb_tests.jsonl"))
        .arg("--skip-unscored-datasets")
        .args(["--", "--scenario", scenario, "--input-file"])
        .arg(&sample)
        .arg("--user-conf")
        .arg(&conf)
        .args(["--sim-profile", "zero", "--sim-output-len", "1278"])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.code().is_some_and(|c| c <= 1), "{}", text(&out));
}

/// Offline and Interactive runs, made once for every test here, in cargo's scratch directory
/// for integration tests (replaced by the next test process, so one copy stays).
fn runs() -> &'static Path {
    static RUNS: OnceLock<PathBuf> = OnceLock::new();
    RUNS.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("submission_tree");
        if dir.exists() {
            std::fs::remove_dir_all(&dir).unwrap();
        }
        std::fs::create_dir_all(&dir).unwrap();
        submission_run(&dir, "offline", &[]);
        submission_run(&dir, "interactive", &[]);
        dir.join("runs")
    })
}

fn assemble(out: &Path, runs: &[&Path], flags: &[&str]) -> Output {
    Command::new(OSSPERF)
        .args([
            "submission",
            "assemble",
            "--org",
            "Acme",
            "--system",
            "sim1",
            "-o",
        ])
        .arg(out)
        .args(flags)
        .args(runs)
        .output()
        .unwrap()
}

/// `assemble` with every field the checker requires given.
fn assemble_complete(out: &Path, runs: &[&Path]) {
    let mut flags = Vec::new();
    for f in FIELDS {
        flags.extend(["--field", f]);
    }
    for m in MEASUREMENTS {
        flags.extend(["--measurement", m]);
    }
    let done = assemble(out, runs, &flags);
    assert!(done.status.success(), "{}", text(&done));
}

/// `check --format json`: its exit code and each finding as (source, rule, file, message).
fn check(tree: &Path) -> (i32, Vec<[String; 4]>) {
    let out = Command::new(OSSPERF)
        .args(["submission", "check", "--format", "json"])
        .arg(tree)
        .output()
        .unwrap();
    let list: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)));
    let findings = list
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f.as_object().unwrap().len(), 4, "{f}");
            ["source", "rule", "file", "message"].map(|k| f[k].as_str().unwrap().to_string())
        })
        .collect();
    (out.status.code().unwrap(), findings)
}

const OFFLINE: &str = "closed/Acme/results/sim1/gpt-oss-120b/Offline";
const INTERACTIVE: &str = "closed/Acme/results/sim1/gpt-oss-120b/Interactive";

fn finding(source: &str, rule: &str, file: &str, message: &str) -> [String; 4] {
    [source, rule, file, message].map(String::from)
}

/// What the short settings cause, and nothing else.
fn short_settings_findings() -> Vec<[String; 4]> {
    let perf = |s: &str| format!("{s}/performance/run_1/mlperf_log_detail.txt");
    let acc = |s: &str| format!("{s}/accuracy/mlperf_log_detail.txt");
    let ours = "ossperf's own LoadGen ran (`loadgen_version` is `6.0.17 @ ossperf-0.1.0`); the closed division expects the official LoadGen library (`--loadgen official`)";
    vec![
        finding("checker", "performance.sample_count", &perf(INTERACTIVE), "`effective_performance_sample_count` is 97; the checker requires at least 6396"),
        finding("checker", "performance.early_stopping", &perf(INTERACTIVE), "`early_stopping_met` is not true; the checker requires the early-stopping condition met in Server (an Interactive run logs Server)"),
        finding("checker", "performance.min_duration", &perf(INTERACTIVE), "`effective_min_duration_ms` is 200; the checker requires at least 600000 (10 minutes)"),
        finding("checker", "accuracy.sample_count", &acc(INTERACTIVE), "`effective_accuracy_sample_count` is 97; the accuracy run must cover the 4395 samples of the dataset"),
        finding("ossperf", "ossperf.result_validity", &perf(INTERACTIVE), "LoadGen's verdict is INVALID; ossperf expects VALID (the checker does not read it)"),
        finding("ossperf", "ossperf.official_loadgen", &perf(INTERACTIVE), ours),
        finding("checker", "performance.sample_count", &perf(OFFLINE), "`effective_performance_sample_count` is 97; the checker requires at least 6396"),
        finding("checker", "performance.samples_per_query", &perf(OFFLINE), "`effective_samples_per_query` is 100; the closed division requires at least 6396 in Offline"),
        finding("checker", "performance.min_duration", &perf(OFFLINE), "`effective_min_duration_ms` is 0; the checker requires at least 600000 (10 minutes)"),
        finding("checker", "accuracy.sample_count", &acc(OFFLINE), "`effective_accuracy_sample_count` is 97; the accuracy run must cover the 4395 samples of the dataset"),
        finding("ossperf", "ossperf.official_loadgen", &perf(OFFLINE), ours),
    ]
}

#[test]
fn assemble_lays_out_the_checkers_tree_and_lists_what_it_left_for_you() {
    let runs = runs();
    let dir = ossperf_testkit::temp_dir();
    let tree = dir.path().join("tree");
    let out = assemble(&tree, &[&runs.join("offline")], &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!(
            "assembled `{t}` from 1 run (Offline)\n\
             left for you (the checker requires them; fill them in before submitting):\n  \
             closed/Acme/src: the code of the system under test\n  \
             closed/Acme/systems/sim1.json: status, number_of_nodes, host_processor_model_name, host_processors_per_node, host_processor_core_count, host_memory_capacity, host_storage_capacity, host_storage_type, accelerators_per_node, accelerator_model_name, accelerator_memory_capacity, framework, operating_system, system_type, other_software_stack, host_processor_frequency, host_processor_caches, host_memory_configuration, host_processor_interconnect, host_networking, host_networking_topology, accelerator_frequency, accelerator_host_interconnect, accelerator_interconnect, accelerator_interconnect_topology, accelerator_memory_configuration, accelerator_on-chip_memories, cooling, hw_notes, sw_notes, host_network_card_count, system_type_detail\n  \
             {OFFLINE}/measurements.json: input_data_types, retraining, starting_weights_filename, weight_data_types, weight_transformations\n\
             then: ossperf submission check {t}\n",
            t = tree.display()
        )
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "warning: Offline: the performance run was served by ossperf's built-in simulator; it measures no system\n"
    );
    let mut files: Vec<String> = walk(&tree)
        .iter()
        .map(|p| p.strip_prefix(&tree).unwrap().display().to_string())
        .collect();
    files.sort();
    let expected: Vec<String> = [
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/README.md",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST07/accuracy/accuracy.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST07/accuracy/mlperf_log_accuracy.json",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST07/performance/run_1/mlperf_log_detail.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST07/performance/run_1/mlperf_log_summary.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST07/verify_accuracy.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST09/accuracy/accuracy.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST09/accuracy/mlperf_log_accuracy.json",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST09/performance/run_1/mlperf_log_detail.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST09/performance/run_1/mlperf_log_summary.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/TEST09/verify_output_len.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/accuracy/accuracy.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/accuracy/mlperf_log_accuracy.json",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/accuracy/mlperf_log_detail.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/accuracy/mlperf_log_summary.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/measurements.json",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/mlperf.conf",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/performance/run_1/mlperf_log_detail.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/performance/run_1/mlperf_log_summary.txt",
        "closed/Acme/results/sim1/gpt-oss-120b/Offline/user.conf",
        "closed/Acme/src/README.md",
        "closed/Acme/systems/sim1.json",
    ]
    .map(String::from)
    .into();
    assert_eq!(files, expected);

    // accuracy.txt: the score's output, then the hash line as the truncation tool appends it;
    // the log: its first and last 4096 bytes around "\n\n...\n\n".
    let run_acc = runs.join("offline/accuracy/offline/accuracy/mlperf_log_accuracy.json");
    let original = std::fs::read(&run_acc).unwrap();
    let hash = hex::encode(sha2::Sha256::digest(&original));
    let score = std::fs::read_to_string(runs.join("offline/score/accuracy.txt")).unwrap();
    let acc = tree.join(OFFLINE).join("accuracy");
    assert_eq!(
        std::fs::read_to_string(acc.join("accuracy.txt")).unwrap(),
        format!("{score}\nhash={hash}\n")
    );
    let mut truncated = original[..4096].to_vec();
    truncated.extend_from_slice(b"\n\n...\n\n");
    truncated.extend_from_slice(&original[original.len() - 4096..]);
    assert_eq!(
        std::fs::read(acc.join("mlperf_log_accuracy.json")).unwrap(),
        truncated
    );
    // TEST07's accuracy.txt is the hash line alone.
    let test07 =
        std::fs::read(runs.join("offline/TEST07/TEST07/accuracy/mlperf_log_accuracy.json"))
            .unwrap();
    assert_eq!(
        std::fs::read_to_string(tree.join(OFFLINE).join("TEST07/accuracy/accuracy.txt")).unwrap(),
        format!("hash={}\n", hex::encode(sha2::Sha256::digest(&test07)))
    );
    // user.conf is the text the performance run read.
    assert_eq!(
        std::fs::read_to_string(tree.join(OFFLINE).join("user.conf")).unwrap(),
        SHORT_CONF
    );

    // Never over an earlier tree.
    let again = assemble(&tree, &[&runs.join("offline")], &[]);
    assert!(again.status.success(), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).starts_with(&format!(
        "assembled `{}-2` from 1 run (Offline)\n",
        tree.display()
    )));
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

#[test]
fn check_lists_exactly_the_violations_the_short_settings_cause() {
    let runs = runs();
    let dir = ossperf_testkit::temp_dir();
    let tree = dir.path().join("tree");
    assemble_complete(&tree, &[runs]);
    let (code, findings) = check(&tree);
    assert_eq!(findings, short_settings_findings());
    assert_eq!(code, 1);

    // The text form: the checker's errors, then ossperf's warnings, each apart.
    let out = Command::new(OSSPERF)
        .args(["submission", "check"])
        .arg(&tree)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 13, "{stdout}");
    assert_eq!(
        lines[0],
        "the submission checker's rules (mlcommons/inference tools/submission, v6.1): 8 errors"
    );
    assert_eq!(
        lines[1],
        format!("  {INTERACTIVE}/performance/run_1/mlperf_log_detail.txt: `effective_performance_sample_count` is 97; the checker requires at least 6396 [performance.sample_count]")
    );
    assert_eq!(
        lines[9],
        "ossperf's own expectations (warnings, not the checker's): 3 warnings"
    );

    // Offline alone: the checker also wants one of Interactive or Server.
    let offline = dir.path().join("offline-only");
    assemble_complete(&offline, &[&runs.join("offline")]);
    let (code, findings) = check(&offline);
    assert_eq!(code, 1);
    assert_eq!(
        findings[0],
        finding(
            "checker",
            "scenarios.required",
            "closed/Acme/results/sim1/gpt-oss-120b",
            "the checker requires the scenarios (one of) Interactive or Server"
        )
    );
    assert_eq!(findings.len(), 6, "{findings:?}");
}

#[test]
fn check_names_a_removed_file_an_untruncated_log_and_a_bad_hash_line() {
    let runs = runs();
    let dir = ossperf_testkit::temp_dir();
    let tree = dir.path().join("tree");
    assemble_complete(&tree, &[runs]);
    let baseline = short_settings_findings();
    let added = |tree: &Path| -> Vec<[String; 4]> {
        let (code, findings) = check(tree);
        assert_eq!(code, 1);
        for f in &baseline {
            assert!(findings.contains(f), "{f:?} went missing: {findings:?}");
        }
        findings
            .into_iter()
            .filter(|f| !baseline.contains(f))
            .collect()
    };
    let offline = tree.join(OFFLINE);

    std::fs::remove_file(offline.join("TEST09/verify_output_len.txt")).unwrap();
    assert_eq!(
        added(&tree),
        [finding(
            "checker",
            "compliance.verify_missing",
            &format!("{OFFLINE}/TEST09/verify_output_len.txt"),
            "is missing; the checker requires TEST09's verdict in it"
        )]
    );
    std::fs::copy(
        runs.join("offline/TEST09/TEST09/verify_output_len.txt"),
        offline.join("TEST09/verify_output_len.txt"),
    )
    .unwrap();

    // The accuracy log as the run left it, not truncated.
    let log = runs.join("offline/accuracy/offline/accuracy/mlperf_log_accuracy.json");
    let size = std::fs::metadata(&log).unwrap().len();
    let truncated = std::fs::read(offline.join("accuracy/mlperf_log_accuracy.json")).unwrap();
    std::fs::copy(&log, offline.join("accuracy/mlperf_log_accuracy.json")).unwrap();
    assert_eq!(
        added(&tree),
        [finding(
            "checker",
            "accuracy.json",
            &format!("{OFFLINE}/accuracy/mlperf_log_accuracy.json"),
            &format!("is {size} bytes; the checker takes at most 10240 (the log truncated as `truncate_accuracy_log.py` does)")
        )]
    );
    std::fs::write(offline.join("accuracy/mlperf_log_accuracy.json"), truncated).unwrap();

    // Hash lines the checker's pattern does not take.
    let txt = offline.join("accuracy/accuracy.txt");
    let good = std::fs::read_to_string(&txt).unwrap();
    let bad: String = good
        .lines()
        .map(|l| {
            if l.starts_with("hash=") {
                format!("{}-{}\n", &l[..20], &l[20..])
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    std::fs::write(&txt, bad).unwrap();
    assert_eq!(
        added(&tree),
        [finding(
            "checker",
            "accuracy.hash",
            &format!("{OFFLINE}/accuracy/accuracy.txt"),
            "has no hash line (`hash=` and the accuracy log's SHA-256, as `truncate_accuracy_log.py` writes it)"
        )]
    );
    std::fs::write(&txt, good).unwrap();
    assert_eq!(added(&tree), Vec::<[String; 4]>::new());
}

#[test]
fn a_score_below_the_target_and_a_failed_test07_are_errors_in_the_closed_division_only() {
    let dir = ossperf_testkit::temp_dir();
    submission_run(dir.path(), "offline", &["--sim-accuracy", "0"]);
    let tree = dir.path().join("tree");
    assemble_complete(&tree, &[&dir.path().join("runs/offline")]);
    let (code, findings) = check(&tree);
    assert_eq!(code, 1);
    let offline: Vec<[String; 4]> = short_settings_findings()
        .into_iter()
        .filter(|f| f[2].starts_with(OFFLINE))
        .collect();
    let mut expected = vec![finding(
        "checker",
        "scenarios.required",
        "closed/Acme/results/sim1/gpt-oss-120b",
        "the checker requires the scenarios (one of) Interactive or Server",
    )];
    expected.extend_from_slice(&offline[..3]);
    expected.push(finding(
        "checker",
        "accuracy.result",
        &format!("{OFFLINE}/accuracy/accuracy.txt"),
        "exact_match 0.000 is below the target 82.2987 (99% of the reference 83.13)",
    ));
    expected.push(offline[3].clone());
    expected.push(finding(
        "checker",
        "compliance.failed",
        &format!("{OFFLINE}/TEST07/verify_accuracy.txt"),
        "does not say \"TEST PASS\"; TEST07 failed",
    ));
    expected.push(offline[4].clone());
    assert_eq!(findings, expected);

    // The open division: no accuracy target, no compliance tests, no scenario list, no
    // samples-per-query floor, and ossperf expects no official LoadGen there.
    let open = dir.path().join("open");
    let mut flags = vec!["--division", "open"];
    for f in FIELDS {
        flags.extend(["--field", f]);
    }
    for m in MEASUREMENTS {
        flags.extend(["--measurement", m]);
    }
    let done = assemble(&open, &[&dir.path().join("runs/offline")], &flags);
    assert!(done.status.success(), "{}", text(&done));
    let (code, findings) = check(&open);
    assert_eq!(code, 1);
    let in_open = |f: &[String; 4]| {
        let mut f = f.clone();
        f[2] = f[2].replacen("closed/", "open/", 1);
        f
    };
    assert_eq!(
        findings,
        [&offline[0], &offline[2], &offline[3]].map(in_open)
    );
}

#[test]
fn bad_input_is_refused_with_a_clear_error_and_no_tree() {
    let dir = ossperf_testkit::temp_dir();
    let out = assemble(&dir.path().join("tree"), &[dir.path()], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: `{}` is not a `submission run` directory: no `submission.json` in it or in its offline/, server/ or interactive/\n",
            dir.path().display()
        )
    );
    assert!(!dir.path().join("tree").exists());

    let out = assemble(
        &dir.path().join("tree"),
        &[dir.path()],
        &["--field", "status"],
    );
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: --field `status`: expected KEY=VALUE\n"
    );
    let out = Command::new(OSSPERF)
        .args(["submission", "check"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: `{}` holds no submission: no `<division>/<org>/results/<system>/<benchmark>/<scenario>/` directory (division closed, open or network)\n",
            dir.path().display()
        )
    );
    let out = Command::new(OSSPERF)
        .args(["submission", "check"])
        .arg(dir.path().join("absent"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: `{}` is not a directory\n",
            dir.path().join("absent").display()
        )
    );
}

/// Sets `key`'s value in a detail log (every `:::MLLOG` line with that key).
fn set_log_value(path: &Path, key: &str, value: serde_json::Value) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = String::new();
    for line in text.lines() {
        let entry = line
            .strip_prefix(":::MLLOG ")
            .map(|json| serde_json::from_str::<serde_json::Value>(json).unwrap());
        match entry {
            Some(mut entry) if entry["key"] == key => {
                entry["value"] = value.clone();
                out.push_str(&format!(":::MLLOG {entry}\n"));
            }
            _ => out.push_str(&format!("{line}\n")),
        }
    }
    std::fs::write(path, out).unwrap();
}

#[test]
fn interactive_latencies_are_ossperfs_warning_under_the_server_limits_and_the_checkers_error_over_them(
) {
    let runs = runs();
    let dir = ossperf_testkit::temp_dir();
    let tree = dir.path().join("tree");
    assemble_complete(&tree, &[runs]);
    let baseline = short_settings_findings();
    let added = |tree: &Path| -> Vec<[String; 4]> {
        let (_, findings) = check(tree);
        findings
            .into_iter()
            .filter(|f| !baseline.contains(f))
            .collect()
    };
    let log = tree
        .join(INTERACTIVE)
        .join("performance/run_1/mlperf_log_detail.txt");
    let file = format!("{INTERACTIVE}/performance/run_1/mlperf_log_detail.txt");
    set_log_value(
        &log,
        "result_time_per_output_token_99.00_percentile_ns",
        10_000_000.into(),
    );

    // Over Interactive's 2,000 ms, under Server's 3,000 ms: ossperf's warning alone.
    set_log_value(
        &log,
        "result_first_token_99.00_percentile_latency_ns",
        2_500_000_000u64.into(),
    );
    assert_eq!(
        added(&tree),
        [finding(
            "ossperf",
            "ossperf.interactive_latency",
            &file,
            "99th-percentile TTFT 2500 ms, TPOT 10 ms; Interactive's own limits are 2000 ms and 15 ms (the checker applies the Server limits here)"
        )]
    );

    // Over Server's too: the checker's error, and ossperf's warning apart.
    set_log_value(
        &log,
        "result_first_token_99.00_percentile_latency_ns",
        3_000_000_000u64.into(),
    );
    assert_eq!(
        added(&tree),
        [
            finding(
                "checker",
                "performance.llm_latency",
                &file,
                "99th-percentile TTFT 3000 ms, TPOT 10 ms; the checker requires both under 3000 ms and 80 ms (its Server limits, which it also applies to Interactive, whose log says Server)"
            ),
            finding(
                "ossperf",
                "ossperf.interactive_latency",
                &file,
                "99th-percentile TTFT 3000 ms, TPOT 10 ms; Interactive's own limits are 2000 ms and 15 ms (the checker applies the Server limits here)"
            ),
        ]
    );

    // A wrong seed and token latencies off, in Offline.
    let log = tree
        .join(OFFLINE)
        .join("performance/run_1/mlperf_log_detail.txt");
    let file = format!("{OFFLINE}/performance/run_1/mlperf_log_detail.txt");
    set_log_value(&log, "effective_schedule_rng_seed", 1.into());
    set_log_value(&log, "requested_use_token_latencies", false.into());
    assert_eq!(
        added(&tree)[2..],
        [
            finding(
                "checker",
                "performance.seeds",
                &file,
                "`effective_schedule_rng_seed` is 1; the checker requires 16159082839903944936"
            ),
            finding(
                "checker",
                "performance.token_latencies",
                &file,
                "`requested_use_token_latencies` is not true; the checker requires token latencies for gpt-oss-120b"
            ),
        ]
    );
}

#[test]
fn a_run_stopped_part_way_is_assembled_with_what_it_has_and_says_what_is_missing() {
    let runs = runs();
    let dir = ossperf_testkit::temp_dir();
    // A record with the performance step alone, as after a stop in the accuracy step.
    let partial = dir.path().join("partial/offline");
    std::fs::create_dir_all(partial.join("performance/offline/performance")).unwrap();
    for file in [
        "mlperf_log_summary.txt",
        "mlperf_log_detail.txt",
        "results.json",
    ] {
        std::fs::copy(
            runs.join("offline/performance/offline/performance")
                .join(file),
            partial.join("performance/offline/performance").join(file),
        )
        .unwrap();
    }
    std::fs::write(
        partial.join("submission.json"),
        r#"{"steps": [{"step": "performance", "dir": "elsewhere/performance", "exit_code": 0}]}"#,
    )
    .unwrap();
    let tree = dir.path().join("tree");
    let out = assemble(&tree, &[&dir.path().join("partial")], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..4],
        [
            format!("assembled `{}` from 1 run (Offline)", tree.display()).as_str(),
            "missing from the runs: Offline accuracy (no accuracy step in the record)",
            "missing from the runs: Offline TEST07 (no TEST07 step in the record)",
            "missing from the runs: Offline TEST09 (no TEST09 step in the record)",
        ]
    );
    let (code, findings) = check(&tree);
    assert_eq!(code, 1);
    let rules: Vec<(&str, &str)> = findings
        .iter()
        .filter(|f| f[2].starts_with(OFFLINE) && !f[1].starts_with("measurements.field"))
        .map(|f| (f[1].as_str(), f[2].as_str()))
        .collect();
    assert_eq!(
        rules,
        [
            (
                "performance.sample_count",
                &*format!("{OFFLINE}/performance/run_1/mlperf_log_detail.txt")
            ),
            (
                "performance.samples_per_query",
                &*format!("{OFFLINE}/performance/run_1/mlperf_log_detail.txt")
            ),
            (
                "performance.min_duration",
                &*format!("{OFFLINE}/performance/run_1/mlperf_log_detail.txt")
            ),
            (
                "accuracy.missing",
                &*format!("{OFFLINE}/accuracy/mlperf_log_detail.txt")
            ),
            ("compliance.dir", &*format!("{OFFLINE}/TEST07")),
            (
                "compliance.verify_missing",
                &*format!("{OFFLINE}/TEST07/verify_accuracy.txt")
            ),
            ("compliance.dir", &*format!("{OFFLINE}/TEST09")),
            (
                "compliance.verify_missing",
                &*format!("{OFFLINE}/TEST09/verify_output_len.txt")
            ),
            (
                "ossperf.official_loadgen",
                &*format!("{OFFLINE}/performance/run_1/mlperf_log_detail.txt")
            ),
        ]
    );
}
