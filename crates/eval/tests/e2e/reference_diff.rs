//! The differential test against the reference scorer (issue 16): ossperf scores the generated
//! cases of `bench/scorer/gen_cases.py` and must give the reference's per-entry verdicts and
//! printed score, as `bench/scorer/run_reference.py` recorded them in `reference_golden.json`.
//!
//! The CI test compares with that golden data. The live test re-runs the reference first, where
//! its sources are present (`OSSPERF_REFERENCE_*`, see `bench/scorer/README.md`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ossperf_eval::{report, score_log, EvalOptions, GroundTruth, ReferenceRow, Score};
use serde_json::Value;

fn case_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/reference_diff")
        .join(name)
}

/// The case's reference rows, read from the parquet file the reference read, as `ossperf eval`
/// reads them (no token column; a float64 `ground_truth` stays a float).
fn reference(dir: &Path) -> Vec<ReferenceRow> {
    use ossperf_dataset::ReferenceValue;
    let columns = ossperf_dataset::read_reference(&dir.join("reference.parquet")).unwrap();
    columns
        .datasets
        .into_iter()
        .zip(columns.ground_truths)
        .map(|(dataset, truth)| ReferenceRow {
            dataset: dataset.unwrap_or_default(),
            ground_truth: match truth {
                ReferenceValue::Missing => None,
                ReferenceValue::Text(s) => Some(GroundTruth::Text(s)),
                ReferenceValue::Int(n) => Some(GroundTruth::Int(n)),
                ReferenceValue::Float(f) => GroundTruth::float(f),
            },
        })
        .collect()
}

/// The printed block the two share: from the per-dataset breakdown to the checker's line.
fn printed_score(text: &str) -> String {
    let start = text.find("Per-Dataset Breakdown:").unwrap_or(text.len());
    let rest = &text[start..];
    let end = rest.find("'exact_match': ").map_or(rest.len(), |i| {
        i + rest[i..].find('\n').unwrap_or(rest.len() - i)
    });
    rest[..end]
        .lines()
        .filter(|l| !l.starts_with("Note: "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Whether ossperf ran this LiveCodeBench entry's code (its details then come from its own
/// runner, where the reference says only "All tests passed" or "Failed one or more test cases").
fn executed(reference_details: &str) -> bool {
    matches!(
        reference_details,
        "All tests passed" | "Failed one or more test cases"
    )
}

#[derive(Default, Debug)]
struct Agreement {
    agree: usize,
    total: usize,
    differ: Vec<String>,
}

/// Scores `dir` with ossperf and compares with `golden`; returns agreement per sub-dataset and
/// whether the printed score matched (`None` when ossperf could not run the programs).
fn compare(dir: &Path, golden: &Value) -> (BTreeMap<String, Agreement>, Option<bool>) {
    let rows = reference(dir);
    let problems = dir.join("lcb_problems.jsonl");
    let mut options = EvalOptions {
        lcb_tests: problems.exists().then_some(problems),
        keep_details: true,
        ..EvalOptions::default()
    };
    options.lcb.workers = 2;
    let score: Score = score_log(&dir.join("mlperf_log_accuracy.json"), &rows, &options).unwrap();
    let runnable = score.is_complete();
    if !runnable {
        println!(
            "{}: LiveCodeBench programs not run here ({}); their verdicts are not compared",
            dir.display(),
            score.not_evaluable_reason.as_deref().unwrap_or("no reason")
        );
    }
    let ours: BTreeMap<u64, _> = score.details.iter().map(|d| (d.seq_id, d)).collect();
    let mut agreement: BTreeMap<String, Agreement> = BTreeMap::new();
    for want in golden["entries"].as_array().unwrap() {
        let seq = want["seq_id"].as_u64().unwrap();
        let dataset = want["dataset"].as_str().unwrap().to_owned();
        let details = want["evaluation_details"].as_str().unwrap_or_default();
        let ran = executed(details);
        if ran && !runnable {
            continue;
        }
        let a = agreement.entry(dataset).or_default();
        a.total += 1;
        let Some(got) = ours.get(&seq) else {
            a.differ.push(format!("seq {seq}: missing in ossperf"));
            continue;
        };
        let got_json = serde_json::json!({
            "is_correct": got.is_correct,
            "extracted_answer": got.extracted_answer,
            "ground_truth": got.ground_truth,
            "evaluation_details": if ran { Value::Null } else { got.evaluation_details.clone().into() },
            "token_count": got.token_count,
            "model_output_preview": got.model_output_preview,
        });
        let want_json = serde_json::json!({
            "is_correct": want["is_correct"],
            "extracted_answer": want["extracted_answer"],
            "ground_truth": want["ground_truth"],
            "evaluation_details": if ran { Value::Null } else { details.into() },
            "token_count": want["token_count"],
            "model_output_preview": want["model_output_preview"],
        });
        if got_json == want_json {
            a.agree += 1;
        } else {
            a.differ.push(format!(
                "seq {seq}: reference {want_json}, ossperf {got_json} ({})",
                got.evaluation_details
            ));
        }
    }
    let printed = runnable.then(|| {
        let mut text = Vec::new();
        report::write_text(&score, &mut text).unwrap();
        let ours = printed_score(&String::from_utf8_lossy(&text));
        let theirs = printed_score(golden["stdout"].as_str().unwrap());
        if ours != theirs {
            println!("printed score differs\n--- reference\n{theirs}\n--- ossperf\n{ours}");
        }
        ours == theirs
    });
    (agreement, printed)
}

fn golden(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("reference_golden.json")).unwrap())
        .unwrap()
}

fn assert_identical(name: &str, dir: &Path, golden: &Value) {
    assert_eq!(golden["exit_code"], 0, "{name}: the reference failed");
    let (agreement, printed) = compare(dir, golden);
    let mut differ = Vec::new();
    for (dataset, a) in &agreement {
        println!("{name} {dataset}: {}/{} entries agree", a.agree, a.total);
        differ.extend(a.differ.iter().map(|d| format!("{dataset} {d}")));
    }
    assert!(differ.is_empty(), "{name}:\n{}", differ.join("\n"));
    assert_ne!(printed, Some(false), "{name}: printed score differs");
}

#[test]
fn ossperf_gives_the_reference_verdicts_and_printed_score_on_every_generated_case() {
    for name in ["ties", "float_gt", "main"] {
        let dir = case_dir(name);
        assert_identical(name, &dir, &golden(&dir));
    }
}

#[test]
fn the_reference_scores_an_empty_log_zero_and_exits_0_where_ossperf_refuses_it() {
    let dir = case_dir("empty");
    let golden = golden(&dir);
    assert_eq!(golden["exit_code"], 0);
    let stdout = golden["stdout"].as_str().unwrap();
    assert!(
        stdout.contains("FINAL SCORE: 0.00% (0.00/0.00)"),
        "{stdout}"
    );
    assert!(stdout.contains("'exact_match': 0.000"), "{stdout}");
    let score = score_log(
        &dir.join("mlperf_log_accuracy.json"),
        &reference(&dir),
        &EvalOptions::default(),
    )
    .unwrap();
    // `ossperf eval` turns this into its no-entries error.
    assert_eq!(score.entries_read, 0);
}

/// Re-runs the reference on every case and compares ossperf with what it printed just now.
#[test]
fn ossperf_agrees_with_the_reference_run_live() {
    let vars = [
        "OSSPERF_REFERENCE_PYTHON",
        "OSSPERF_REFERENCE_INFERENCE",
        "OSSPERF_REFERENCE_LCB",
        "OSSPERF_REFERENCE_O200K",
    ];
    let values: Vec<Option<String>> = vars.iter().map(|v| std::env::var(v).ok()).collect();
    if let Some(i) = values.iter().position(Option::is_none) {
        println!(
            "ossperf_agrees_with_the_reference_run_live: skipped, `{}` is not set (the reference \
             scorer, LiveCodeBench and o200k_base are needed; see bench/scorer/README.md)",
            vars[i]
        );
        return;
    }
    let [python, inference, lcb, o200k] = [0, 1, 2, 3].map(|i| values[i].clone().unwrap());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/scorer/run_reference.py");
    let tmp = tempfile::tempdir().unwrap();
    for name in ["ties", "float_gt", "main"] {
        let dir = tmp.path().join(name);
        std::fs::create_dir_all(&dir).unwrap();
        for file in [
            "mlperf_log_accuracy.json",
            "reference.parquet",
            "lcb_problems.jsonl",
        ] {
            let from = case_dir(name).join(file);
            if from.exists() {
                std::fs::copy(&from, dir.join(file)).unwrap();
            }
        }
        let status = std::process::Command::new(&python)
            .arg(&script)
            .args(["--inference", &inference, "--lcb", &lcb, "--o200k", &o200k])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success(), "run_reference.py failed on {name}");
        assert_identical(name, &dir, &golden(&dir));
    }
}
