//! The runner against lcb_runner itself: the generated programs of
//! `tests/data/lcb-runner/cases.jsonl` (written by `bench/lcb/gen_cases.py`) must get the
//! verdicts and per-test results that lcb_runner's own testing code gave them
//! (`verdicts.jsonl`, written by `bench/lcb/oracle.py` from a LiveCodeBench checkout at the
//! commit the reference pins). Every run compares a representative quarter (every fourth case,
//! and every time-limit case) to keep CI within seconds; `OSSPERF_LCB_DIFF_ALL=1` compares all.
//! The live test reruns the oracle on all cases when `OSSPERF_LCB_SRC` names a checkout (and
//! `OSSPERF_LCB_PYTHON` a Python with numpy, pandas and tqdm), and skips with the reason
//! otherwise.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::*;

/// The per-test limit the golden verdicts were made with (`oracle.py --timeout 2`).
const TIMEOUT_SECS: u64 = 2;

#[derive(Deserialize)]
struct Case {
    id: String,
    class: String,
    fn_name: Option<String>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    code: String,
}

#[derive(Deserialize, Debug, Clone, PartialEq, Eq)]
struct Golden {
    id: String,
    passed: bool,
    results: Vec<i32>,
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/lcb-runner")
}

fn read_lines<T: for<'de> Deserialize<'de>>(path: &Path) -> Vec<T> {
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn cases() -> Vec<Case> {
    read_lines(&data_dir().join("cases.jsonl"))
}

/// Runs every case through ossperf's runner; verdicts in case order.
fn ossperf_verdicts(cases: &[Case]) -> Option<Vec<Verdict>> {
    let sandbox = sandbox::tests::sandbox_or_skip("lcb runner differential")?;
    let options = LcbOptions {
        workers: 64,
        per_test_timeout: Duration::from_secs(TIMEOUT_SECS),
        sandbox: SandboxConfig {
            memory_bytes: 1 << 30,
            max_output_bytes: 1 << 20,
            uid_base: sandbox::default_uid_base(),
            ..sandbox.config().clone()
        },
    };
    let suites: HashMap<String, TestSuite> = cases
        .iter()
        .map(|c| {
            let suite = TestSuite {
                inputs: c.inputs.clone(),
                outputs: c.outputs.clone(),
                fn_name: c.fn_name.clone(),
            };
            (c.id.clone(), suite)
        })
        .collect();
    let jobs: Vec<LcbJob> = cases
        .iter()
        .map(|c| LcbJob {
            question_id: c.id.clone(),
            code: c.code.clone(),
        })
        .collect();
    Some(run_jobs(&jobs, &suites, &options, &|_| {}))
}

/// Compares, prints agreement per class, and returns the disagreements.
fn compare(cases: &[Case], golden: &[Golden], ours: &[Verdict]) -> Vec<String> {
    assert_eq!(cases.len(), golden.len(), "one golden verdict per case");
    let mut per_class: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    let mut differ = Vec::new();
    for ((case, want), got) in cases.iter().zip(golden).zip(ours) {
        assert_eq!(case.id, want.id, "golden verdicts are in case order");
        let same = want.passed == got.passed && want.results == got.results;
        let entry = per_class.entry(case.class.as_str()).or_default();
        entry.0 += usize::from(same);
        entry.1 += 1;
        if !same {
            differ.push(format!(
                "{}: lcb_runner {} {:?}, ossperf {} {:?} ({})",
                case.id, want.passed, want.results, got.passed, got.results, got.detail
            ));
        }
    }
    for (class, (agree, total)) in &per_class {
        println!("{class}: {agree}/{total} identical");
    }
    let agree: usize = per_class.values().map(|v| v.0).sum();
    println!("all: {agree}/{} identical", cases.len());
    differ
}

/// Every fourth case and every time-limit case, or all with `OSSPERF_LCB_DIFF_ALL=1`.
fn chosen(i: usize, case: &Case) -> bool {
    std::env::var_os("OSSPERF_LCB_DIFF_ALL").is_some_and(|v| v == "1")
        || i % 4 == 0
        || case.class.contains("time")
}

#[test]
fn generated_programs_get_lcb_runners_verdicts_and_results() {
    let golden: Vec<Golden> = read_lines(&data_dir().join("verdicts.jsonl"));
    let (cases, golden): (Vec<Case>, Vec<Golden>) = cases()
        .into_iter()
        .zip(golden)
        .enumerate()
        .filter(|(i, (case, _))| chosen(*i, case))
        .map(|(_, pair)| pair)
        .unzip();
    let Some(ours) = ossperf_verdicts(&cases) else {
        return;
    };
    let differ = compare(&cases, &golden, &ours);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

#[test]
fn the_golden_set_covers_every_class_with_passes_and_failures() {
    let cases = cases();
    let golden: Vec<Golden> = read_lines(&data_dir().join("verdicts.jsonl"));
    let mut per_class: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (case, verdict) in cases.iter().zip(&golden) {
        let entry = per_class.entry(case.class.as_str()).or_default();
        if verdict.passed {
            entry.0 += 1;
        } else {
            entry.1 += 1;
        }
    }
    let classes: Vec<&str> = per_class.keys().copied().collect();
    assert_eq!(
        classes,
        [
            "call",
            "call-time",
            "stdin-compare",
            "stdin-compile",
            "stdin-exit",
            "stdin-output",
            "stdin-read",
            "stdin-time",
            "stdin-time-item"
        ]
    );
    for (class, (pass, fail)) in &per_class {
        if !class.ends_with("time") && !class.ends_with("time-item") {
            assert!(*pass > 0 && *fail > 0, "{class}: {pass} pass, {fail} fail");
        }
    }
    // Each kind of failure the reference records appears.
    let all: Vec<i32> = golden.iter().flat_map(|g| g.results.clone()).collect();
    for code in [1, 0, -2, -3, -4] {
        assert!(all.contains(&code), "no result {code}");
    }
}

/// Reruns lcb_runner on the set when its sources are given, and compares with ossperf.
#[test]
fn live_lcb_runner_agrees_with_ossperf() {
    let Some(src) = std::env::var_os("OSSPERF_LCB_SRC") else {
        println!(
            "live lcb_runner differential: skipped, OSSPERF_LCB_SRC does not name a \
             LiveCodeBench checkout (b1e7cab); OSSPERF_LCB_PYTHON names a Python with numpy, \
             pandas and tqdm (default python3)"
        );
        return;
    };
    let python = std::env::var_os("OSSPERF_LCB_PYTHON").unwrap_or_else(|| "python3".into());
    let cases = cases();
    let Some(ours) = ossperf_verdicts(&cases) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("verdicts.jsonl");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/lcb/oracle.py");
    let status = std::process::Command::new(python)
        .arg(script)
        .arg("--lcb-src")
        .arg(&src)
        .arg("--timeout")
        .arg(TIMEOUT_SECS.to_string())
        .arg(data_dir().join("cases.jsonl"))
        .arg(&out)
        .status()
        .unwrap();
    assert!(status.success(), "oracle.py failed: {status}");
    let golden: Vec<Golden> = read_lines(&out);
    let differ = compare(&cases, &golden, &ours);
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}
