//! `submission check` against the official submission checker (issue 23).
//!
//! The trees are those of short `submission run`s on the simulator (`--sim-profile zero`, the
//! bundled sample), laid out by `submission assemble` and then edited (a file removed, a wrong
//! hash line, an untruncated accuracy log). The checker's findings on them (mlcommons/inference
//! `tools/submission/submission_checker`, run by `bench/submission/oracle.py`) are kept in
//! `tests/data/submission_checker/<case>.json`; `RULES` maps each of its messages to the rule id
//! `submission check` reports the same violation under. In CI ossperf is compared with that
//! golden data; where `MLPERF_INFERENCE_SRC` names the checker's source the checker runs live
//! too (`OSSPERF_UPDATE_CHECKER_GOLDEN=1` rewrites the golden data from it; see
//! bench/submission/README.md).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::oracle::{self, assemble, INFERENCE_COMMIT};
use crate::util::{ossperf, text};

/// The checker the golden data comes from, at `INFERENCE_COMMIT`.
fn checker() -> String {
    format!(
        "mlcommons/inference@{INFERENCE_COMMIT} tools/submission/submission_checker --version v6.1"
    )
}

/// One of the checker's messages and the rule of `submission check` for the same violation.
struct Rule {
    /// A piece of the checker's message that names the violation.
    needle: &'static str,
    /// The end of the file the message names, where the same words mean two rules.
    file_ends: &'static str,
    /// `submission check`'s rule id.
    rule: &'static str,
    /// Where the checker logs the message (under `tools/submission/submission_checker/`).
    source: &'static str,
}

const fn rule(
    needle: &'static str,
    file_ends: &'static str,
    rule: &'static str,
    source: &'static str,
) -> Rule {
    Rule {
        needle,
        file_ends,
        rule,
        source,
    }
}

/// The checker's messages (format strings at `INFERENCE_COMMIT`) and ossperf's rule for each.
/// The first row whose needle and file match decides.
#[rustfmt::skip]
const RULES: &[Rule] = &[
    rule("does not have all required scenarios", "", "scenarios.required", "checks/performance_check.py scenarios_check (from loader.py check_scenarios)"),
    rule("has all unknown scenarios", "", "scenarios.unknown", "checks/performance_check.py scenarios_check"),
    rule("performance_sample_count, found", "", "performance.sample_count", "checks/performance_check.py performance_sample_count_check"),
    rule("rng_seed is wrong", "", "performance.seeds", "checks/performance_check.py seeds_check"),
    rule("Early stopping condition was not met", "", "performance.early_stopping", "checks/performance_check.py latency_check"),
    rule("Latency constraint", "", "performance.latency_constraint", "checks/performance_check.py latency_check"),
    rule("Required minimum Query Count", "", "performance.min_query_count", "checks/performance_check.py min_query_count_check"),
    rule("Required minimum samples per query", "", "performance.samples_per_query", "checks/performance_check.py min_query_count_check"),
    rule("Test duration less than 600s", "", "performance.min_duration", "checks/performance_check.py min_duration_check"),
    rule("use_token_latencies flag", "", "performance.token_latencies", "checks/performance_check.py llm_check"),
    rule("TTFT/TPOT latency limits missing", "", "performance.llm_latency", "checks/performance_check.py llm_check"),
    rule("TTFT or TPOT percentile data missing", "", "performance.llm_latency", "checks/performance_check.py llm_check"),
    rule("can not be inferred", "", "performance.inferred", "checks/performance_check.py inferred_check"),
    rule("accuracy not met", "", "accuracy.result", "checks/accuracy_check.py accuracy_result_check (a warning)"),
    rule("not hash value for accuracy.txt", "", "accuracy.hash", "checks/accuracy_check.py accuracy_result_check"),
    // A check that raised: accuracy_result_check iterates over None without accuracy.txt.
    rule("Running accuracy_result_check in", "", "accuracy.result", "checks/base.py run_checks"),
    rule("accurcy run does not cover all dataset", "", "accuracy.sample_count", "checks/accuracy_check.py dataset_check"),
    rule("is not truncated", "", "accuracy.json", "checks/accuracy_check.py accuracy_json_check"),
    rule("has loadgen errors", "accuracy/mlperf_log_detail.txt", "accuracy.loadgen_errors", "checks/accuracy_check.py loadgen_errors_check"),
    rule("has loadgen errors", "", "performance.loadgen_errors", "checks/performance_check.py loadgen_errors_check"),
    // dir_exists_check and accuracy_check run once per entry of the test list, which names
    // TEST07 and TEST09 twice for gpt-oss-120b, so each of these messages comes twice.
    rule("Missing accuracy file in compliance dir", "", "compliance.verify_missing", "checks/compliance_check.py dir_exists_check (TEST07)"),
    rule("Missing output length verification file", "", "compliance.verify_missing", "checks/compliance_check.py dir_exists_check (TEST09)"),
    rule(" in compliance dir ", "", "compliance.dir", "checks/compliance_check.py dir_exists_check (`Missing TEST07 in compliance dir`)"),
    rule("verify_accuracy.txt missing", "", "compliance.verify_missing", "checks/compliance_check.py accuracy_check (TEST07)"),
    rule("verify_output_len.txt missing", "", "compliance.verify_missing", "checks/compliance_check.py accuracy_check (TEST09)"),
    rule("TEST07 accuracy check in", "", "compliance.failed", "checks/compliance_check.py accuracy_check"),
    rule("TEST09 output length check in", "", "compliance.failed", "checks/compliance_check.py accuracy_check"),
    rule("measurements json file not found", "", "measurements.missing", "checks/measurements_checks.py missing_check"),
    rule("src directory does not exist", "", "measurements.src", "checks/measurements_checks.py directory_exist_check"),
    rule("is having empty", "", "measurements.file_empty", "checks/measurements_checks.py required_files_check"),
    rule("is missing meaningful value", "", "measurements.field_empty", "checks/measurements_checks.py required_fields_check"),
    rule("is missing", "measurements.json", "measurements.field_missing", "checks/measurements_checks.py required_fields_check"),
    rule("system json file not found", "", "system.missing", "checks/system_check.py missing_check"),
    rule("has invalid status", "", "system.status", "checks/system_check.py availability_check"),
    rule("has invalid system type", "", "system.type", "checks/system_check.py system_type_check"),
    rule("requires a meaningful response but is empty", "", "system.field_empty", "checks/system_check.py required_fields_check"),
    rule(", field ", "", "system.field_missing", "checks/system_check.py required_fields_check"),
    rule("has submitter", "", "system.submitter", "checks/system_check.py submitter_check"),
    rule("has division", "", "system.division", "checks/system_check.py division check"),
    // `<dir> is missing user.conf`: after the field rows, whose messages also say "is missing".
    rule(" is missing ", "", "measurements.file_missing", "checks/measurements_checks.py required_files_check"),
];

/// Records that sum up others and add no violation of their own: base.py `__call__` ("Some …
/// Checks failed for:"), main.py ("NoResults", "SUMMARY"), and the line before a LoadGen
/// error list ("contains errors:"; the list's lines follow it, and "has loadgen errors" is the
/// finding).
const SUMMARIES: &[&str] = &[
    "Checks failed for: ",
    "NoResults ",
    "SUMMARY: submission has errors",
    " contains errors:",
];

/// What a finding is about, independent of which file of the scenario each tool names (the
/// checker names the check's subject, such as the detail log of an accuracy run whose
/// `accuracy.txt` lacks its hash; ossperf names the file at fault): the rule, the scenario
/// directory the file is in (`""` outside one), and the field for system and measurement
/// fields.
type Key = (String, String, String);

fn key(rule: &str, file: &str, message: &str) -> Key {
    // `<division>/<org>/results/<system>/<benchmark>/<Scenario>/...`
    let parts: Vec<&str> = file.split('/').collect();
    let scenario = match parts.as_slice() {
        // The benchmark's scenario set is one finding about `<benchmark>/`; the checker repeats
        // it in the performance checks of each scenario directory there.
        _ if rule.starts_with("scenarios.") => String::new(),
        [_, _, "results", _, _, scenario, ..] => scenario.to_string(),
        _ => String::new(),
    };
    // The checker says `, field NAME is …`, ossperf ``field `NAME` is …``.
    let field = message
        .split_once("field ")
        .map(|(_, rest)| {
            rest.trim_start_matches('`')
                .split(['`', ' '])
                .next()
                .unwrap_or("")
                .to_string()
        })
        .unwrap_or_default();
    (rule.to_string(), scenario, field)
}

/// The checker's findings as keys, sorted and without repeats (it logs some violations twice,
/// see `RULES`); summaries and unmapped warnings are left out, and an error no row maps is a
/// test failure naming it.
fn checker_findings(findings: &[Value]) -> Vec<Key> {
    let mut out = Vec::new();
    for f in findings {
        let message = f["message"].as_str().unwrap();
        let file = f["file"].as_str().unwrap();
        if SUMMARIES.iter().any(|s| message.contains(s)) {
            continue;
        }
        let found = RULES
            .iter()
            .find(|r| message.contains(r.needle) && file.ends_with(r.file_ends));
        match found {
            Some(r) => out.push(key(r.rule, file, message)),
            None if f["level"] == "WARNING" => {}
            None => panic!("no rule maps the checker's error `{message}` ({file})"),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// `submission check --format json`'s findings from the checker's rules as keys, sorted and
/// without repeats, and its exit status.
fn ossperf_findings(tree: &Path) -> (Vec<Key>, Option<i32>) {
    let out = ossperf()
        .args(["submission", "check", "--format", "json"])
        .arg(tree)
        .output()
        .unwrap();
    let all: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("check's output is not JSON ({e}): {}", text(&out)));
    let mut found: Vec<Key> = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["source"] == "checker")
        .map(|f| {
            key(
                f["rule"].as_str().unwrap(),
                f["file"].as_str().unwrap(),
                f["message"].as_str().unwrap(),
            )
        })
        .collect();
    found.sort();
    found.dedup();
    (found, out.status.code())
}

/// The short settings: the sample's 97 rows instead of 6,396 and 4,395, no minimum duration,
/// Offline at 100 samples per query, Server at 100 queries/s.
const SHORT_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Offline.target_qps = 100
gpt-oss-120b.Server.min_duration = 0
gpt-oss-120b.Server.target_qps = 100
";

/// Every field of the system description the checker requires
/// (`SYSTEM_DESC_REQUIRED_FIELDS`), filled, so the trees' findings are the runs' own.
const FIELDS: &[&str] = &[
    "status=available",
    "system_type=datacenter",
    "number_of_nodes=1",
    "host_processor_model_name=simulated",
    "host_processors_per_node=1",
    "host_processor_core_count=2",
    "host_memory_capacity=8 GB",
    "host_storage_capacity=1 TB",
    "host_storage_type=SSD",
    "accelerators_per_node=1",
    "accelerator_model_name=ossperf simulator",
    "accelerator_memory_capacity=80 GB",
    "framework=ossperf simulate",
    "operating_system=Linux",
    "other_software_stack=none",
    "host_processor_frequency=n/a",
    "host_processor_caches=n/a",
    "host_memory_configuration=n/a",
    "host_processor_interconnect=n/a",
    "host_networking=loopback",
    "host_networking_topology=n/a",
    "accelerator_frequency=n/a",
    "accelerator_host_interconnect=n/a",
    "accelerator_interconnect=n/a",
    "accelerator_interconnect_topology=n/a",
    "accelerator_memory_configuration=n/a",
    "accelerator_on-chip_memories=n/a",
    "cooling=air",
    "hw_notes=simulated by ossperf",
    "sw_notes=simulated by ossperf",
    "host_network_card_count=0",
    "system_type_detail=simulated",
];

/// `submission run` for Offline (scored at the simulator's default 83 %) and Server (answers
/// correct only half the time, so its score and TEST07 fail) into `<dir>/runs`.
fn short_runs(dir: &Path) -> PathBuf {
    let conf = dir.join("short.conf");
    std::fs::write(&conf, SHORT_CONF).unwrap();
    let gpqa = oracle::gpqa(dir);
    let sample = oracle::data().join("sample.parquet");
    let sample = sample.to_str().unwrap();
    let runs = dir.join("runs");
    for (scenario, accuracy) in [("offline", "0.83"), ("server", "0.5")] {
        let flags = ["--input-file", sample, "--sim-output-len", "1278"];
        let flags = [&flags[..], &["--sim-accuracy", accuracy]].concat();
        oracle::submission_run(&runs, scenario, &gpqa, &conf, &[], &flags);
    }
    runs
}

/// The Offline scenario's directory in a tree made by `assemble`.
fn offline(tree: &Path) -> PathBuf {
    oracle::benchmark_dir(tree).join("Offline")
}

/// The cases, each a tree under `dir`, in a fixed order.
fn trees(dir: &Path) -> Vec<(&'static str, PathBuf)> {
    let runs = short_runs(dir);
    let both = [runs.join("offline"), runs.join("server")];
    let tree = |name: &str| dir.join("trees").join(name);

    // Offline alone: the checker also wants Server or Interactive.
    assemble(&[runs.join("offline")], &tree("offline"), FIELDS);
    assemble(&both, &tree("offline_server"), FIELDS);
    // The system description as `assemble` leaves it without `--field`, but for the system
    // type: without one the checker stops at a ValueError (loader.py `check_scenarios` calls
    // configuration.py `set_type`, which raises "invalid system type").
    assemble(&both, &tree("fields_left"), &["system_type=datacenter"]);
    // `accuracy.txt` removed.
    assemble(&both, &tree("no_accuracy_txt"), FIELDS);
    std::fs::remove_file(offline(&tree("no_accuracy_txt")).join("accuracy/accuracy.txt")).unwrap();
    // The hash line's value changed.
    assemble(&both, &tree("wrong_hash"), FIELDS);
    let txt = offline(&tree("wrong_hash")).join("accuracy/accuracy.txt");
    let score = std::fs::read_to_string(&txt).unwrap();
    let changed: String = score
        .lines()
        .map(|l| match l.strip_prefix("hash=") {
            Some(_) => "hash=not-a-hash!\n".to_string(),
            None => format!("{l}\n"),
        })
        .collect();
    assert_ne!(changed, score);
    std::fs::write(&txt, changed).unwrap();
    // The accuracy log whole, as the run wrote it (about 1 MB, not truncated).
    assemble(&both, &tree("untruncated_log"), FIELDS);
    std::fs::copy(
        runs.join("offline/accuracy/offline/accuracy/mlperf_log_accuracy.json"),
        offline(&tree("untruncated_log")).join("accuracy/mlperf_log_accuracy.json"),
    )
    .unwrap();
    // TEST09's verify file removed.
    assemble(&both, &tree("no_test09_verify"), FIELDS);
    std::fs::remove_file(offline(&tree("no_test09_verify")).join("TEST09/verify_output_len.txt"))
        .unwrap();
    // `accuracy.txt` saved with Windows line endings: the checker reads it in Python's text
    // mode (loader.py `open(path)`, `readlines()`), where `\r\n` ends a line, so its score and
    // hash lines still count.
    assemble(&both, &tree("crlf_accuracy_txt"), FIELDS);
    let txt = offline(&tree("crlf_accuracy_txt")).join("accuracy/accuracy.txt");
    let lf = std::fs::read_to_string(&txt).unwrap();
    std::fs::write(&txt, lf.replace('\n', "\r\n")).unwrap();

    [
        "offline",
        "offline_server",
        "fields_left",
        "no_accuracy_txt",
        "wrong_hash",
        "untruncated_log",
        "no_test09_verify",
        "crlf_accuracy_txt",
    ]
    .into_iter()
    .map(|name| (name, tree(name)))
    .collect()
}

fn golden_path(case: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/submission_checker")
        .join(format!("{case}.json"))
}

fn golden(case: &str) -> Value {
    let path = golden_path(case);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (see bench/submission/README.md)", path.display()));
    let golden: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(golden["checker"], checker(), "{}", path.display());
    golden
}

/// How ossperf disagrees with the checker on one tree, if it does: ossperf must find, under its
/// rule ids, exactly what the checker found, and fail the same trees.
fn disagreement(case: &str, tree: &Path, checker: &Value) -> Option<String> {
    let expected = checker_findings(checker["findings"].as_array().unwrap());
    let (found, code) = ossperf_findings(tree);
    let failed = i32::from(!expected.is_empty());
    // Each missing finding with the place the checker logs it.
    let missing: Vec<_> = expected
        .iter()
        .filter(|f| !found.contains(f))
        .map(|f| {
            let source = RULES
                .iter()
                .find(|r| r.rule == f.0)
                .map_or("", |r| r.source);
            (f, source)
        })
        .collect();
    let extra: Vec<_> = found.iter().filter(|f| !expected.contains(f)).collect();
    if found == expected && code == Some(failed) && checker["exit_status"] == failed {
        return None;
    }
    Some(format!(
        "case {case}: ossperf misses {missing:#?}\nand adds {extra:#?}\n\
         (ossperf exit {code:?}, the checker's {})",
        checker["exit_status"]
    ))
}

fn assert_no_disagreement(disagreements: Vec<String>) {
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n\n"));
}

#[test]
fn check_finds_what_the_official_checker_found_on_short_runs_trees() {
    let dir = ossperf_testkit::temp_dir();
    let disagreements = trees(dir.path())
        .into_iter()
        .filter_map(|(case, tree)| disagreement(case, &tree, &golden(case)))
        .collect();
    assert_no_disagreement(disagreements);
}

/// Runs the official checker on the same trees where its source is present: it must still find
/// what the golden data says, and ossperf must agree with what it found now.
#[test]
fn the_official_checker_run_live_agrees_with_its_golden_findings_and_with_check() {
    let Some(src) = oracle::inference_src(
        "the_official_checker_run_live_agrees_with_its_golden_findings_and_with_check",
    ) else {
        return;
    };
    let update = oracle::updating("OSSPERF_UPDATE_CHECKER_GOLDEN");
    let python = oracle::python();
    let script = oracle::bench_script("oracle.py");
    let dir = ossperf_testkit::temp_dir();
    let mut disagreements = Vec::new();
    for (case, tree) in trees(dir.path()) {
        let out = std::process::Command::new(&python)
            .arg(&script)
            .args(["--src", &src, "--python", &python])
            .arg(&tree)
            .output()
            .unwrap();
        let code = out.status.code();
        assert!(matches!(code, Some(0 | 1)), "oracle.py: {}", text(&out));
        let findings: Value = serde_json::from_slice(&out.stdout).unwrap();
        let live = serde_json::json!({
            "checker": checker(),
            "exit_status": code,
            "findings": findings,
        });
        if update {
            let path = golden_path(case);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, serde_json::to_string_pretty(&live).unwrap() + "\n").unwrap();
        } else {
            assert_eq!(
                live,
                golden(case),
                "case {case}: the checker now (left), golden"
            );
        }
        disagreements.extend(disagreement(case, &tree, &live));
    }
    assert_no_disagreement(disagreements);
}
