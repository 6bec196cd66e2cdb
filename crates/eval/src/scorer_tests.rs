//! Scoring crafted logs end to end: tokens → hex → log → score.

use std::io::Write;

use super::*;
use crate::DatasetCount;

const A: &str = "<|channel|>analysis<|message|>";
const F: &str = "<|end|><|start|>assistant<|channel|>final<|message|>";
const R: &str = "<|return|>";

fn hex_of(text: &str) -> String {
    let ids = ossperf_harmony::tokenizer().encode_with_special_tokens(text);
    ids.iter()
        .map(|id| hex::encode_upper(id.to_le_bytes()))
        .collect()
}

fn write_log(dir: &tempfile::TempDir, entries: &[(u64, String)]) -> PathBuf {
    let path = dir.path().join("mlperf_log_accuracy.json");
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(f, "[").unwrap();
    for (i, (qsl, data)) in entries.iter().enumerate() {
        let sep = if i + 1 == entries.len() { "\n" } else { ",\n" };
        write!(f, "{{\"seq_id\": {i}, \"qsl_idx\": {qsl}, \"data\": \"{data}\", \"token_count\": 1}}{sep}").unwrap();
    }
    writeln!(f, "]").unwrap();
    path
}

fn row(dataset: &str, gt: Option<&str>) -> ReferenceRow {
    ReferenceRow {
        dataset: dataset.into(),
        ground_truth: gt.map(GroundTruth::from),
    }
}

#[test]
fn crafted_answers_score_by_each_rule_and_weight_by_repeats() {
    let dir = tempfile::tempdir().unwrap();
    let reference = vec![
        row("AIME25", Some("70")),
        row("aime25", Some("5")),
        row("gpqa_diamond", Some("B")),
        row("gpqa_diamond", Some("C")),
        row("gpqa_diamond", None),
    ];
    let log = write_log(
        &dir,
        &[
            (
                0,
                hex_of(&format!(
                    "{A}so \\boxed{{12}}{F}The answer is \\boxed{{ 070 }}{R}"
                )),
            ),
            // Truncated in the analysis: no final channel, no answer.
            (1, hex_of(&format!("{A}Let me compute 2+3 and then"))),
            (2, hex_of(&format!("{A}...{F}**Answer: B**{R}"))),
            // Missing final channel: P3 finds the analysis's `ANSWER: d`.
            (3, hex_of(&format!("{A}no final channel; ANSWER: d"))),
            (4, hex_of(&format!("{A}...{F}A{R}"))),
            (9, hex_of("past the reference")),
        ],
    );
    let options = EvalOptions {
        keep_details: true,
        ..EvalOptions::default()
    };
    let score = score_log(&log, &reference, &options).unwrap();
    assert_eq!(
        score.per_dataset["aime25"],
        DatasetCount {
            correct: 1,
            total: 2
        }
    );
    assert_eq!(
        score.per_dataset["gpqa_diamond"],
        DatasetCount {
            correct: 1,
            total: 3
        }
    );
    assert_eq!(score.skipped_out_of_range, vec![9]);
    assert_eq!(score.entries_read, 6);
    // (1/8 + 1/5) / (2/8 + 3/5) = 0.325 / 0.85
    assert_eq!(score.exact_match_line().unwrap(), "'exact_match': 38.235");
    let details: Vec<&str> = score
        .details
        .iter()
        .map(|d| d.evaluation_details.as_str())
        .collect();
    assert_eq!(
        details,
        vec![
            "Correct",
            "No answer extracted from model output",
            "Correct",
            "Incorrect (extracted: D, ground_truth: C)",
            "No ground truth available",
        ]
    );
    assert_eq!(score.details[0].extracted_answer.as_deref(), Some("70"));
    assert_eq!(score.details[0].dataset, "aime25");
}

#[test]
fn an_entry_with_odd_length_hex_stops_scoring_with_an_error_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(&dir, &[(0, hex_of("x")), (0, "ABC".into())]);
    let err = score_log(&log, &[row("aime25", Some("1"))], &EvalOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.ends_with("mlperf_log_accuracy.json` entry 1 (qsl_idx `0`): `data` has an odd number of hex digits (`3`)"), "{msg}");
}

#[test]
fn an_unroutable_dataset_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(&dir, &[(0, hex_of("x"))]);
    let err = score_log(
        &log,
        &[row("pubmed_summarization", None)],
        &EvalOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::UnknownDataset { .. }), "{err}");
}

#[test]
fn ids_the_reference_tokenizer_does_not_know_are_dropped_as_it_drops_them() {
    // `Answer: 1` + reserved 200019 + `2` + an id past the vocabulary: the reference reads
    // `Answer: 12`; rendering `<|reserved_200019|>` would have given 1.
    let dir = tempfile::tempdir().unwrap();
    let unknown: String = [200_019u32, 16_777_215]
        .iter()
        .map(|id| hex::encode_upper(id.to_le_bytes()))
        .collect();
    let data = format!("{}{}{}", hex_of("Answer: 1"), &unknown[..8], hex_of("2"));
    let data = format!("{data}{}", &unknown[8..]);
    let ids = data.len() / 8;
    let log = write_log(&dir, &[(0, data)]);
    let options = EvalOptions {
        keep_details: true,
        ..EvalOptions::default()
    };
    let score = score_log(&log, &[row("aime25", Some("12"))], &options).unwrap();
    assert_eq!(score.details[0].extracted_answer.as_deref(), Some("12"));
    assert!(score.details[0].is_correct);
    assert_eq!(
        score.details[0].token_count, ids,
        "dropped ids still count, as len(token_ids)"
    );
}

#[test]
fn livecodebench_entries_without_test_files_are_an_error_not_a_zero() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        &dir,
        &[(0, hex_of(&format!("{A}x{F}```python\nprint(1)\n```{R}")))],
    );
    let err = score_log(
        &log,
        &[row("livecodebench_v6", Some("ossperf_s01"))],
        &EvalOptions::default(),
    )
    .unwrap_err();
    assert_eq!(err.to_string(), "1 LiveCodeBench entries need their test cases: pass `--lcb-tests` with the release_v6 `test*.jsonl` files (a file or a directory)");
}

#[test]
fn without_python_livecodebench_entries_are_reported_not_evaluable() {
    let dir = tempfile::tempdir().unwrap();
    let log = write_log(
        &dir,
        &[
            (0, hex_of(&format!("{A}x{F}```python\nprint(1)\n```{R}"))),
            (1, hex_of(&format!("{A}x{F}no code{R}"))),
        ],
    );
    let mut options = EvalOptions {
        lcb_tests: Some(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample_lcb_tests.jsonl"),
        ),
        ..EvalOptions::default()
    };
    options.lcb.sandbox.python = PathBuf::from("/nonexistent/python3");
    let reference = [
        row("livecodebench_v6", Some("ossperf_s01")),
        row("livecodebench_v6", Some("ossperf_s02")),
    ];
    let score = score_log(&log, &reference, &options).unwrap();
    assert_eq!(score.not_evaluable, 1);
    assert_eq!(score.exact_match_line(), None);
    assert_eq!(
        score.not_evaluable_reason.as_deref(),
        Some("python3 not found at `/nonexistent/python3`: LiveCodeBench code cannot be run")
    );
}

#[test]
fn livecodebench_code_runs_against_the_sample_tests() {
    let Some(sandbox) = crate::lcb::sandbox::tests::sandbox_or_skip("scorer lcb") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let good = "n = int(input())\na = list(map(int, input().split()))\nprint(sum(x for x in a if x % 2 == 0))";
    let log = write_log(&dir, &[
        // Several blocks: the last python block of the final channel is the one run.
        (0, hex_of(&format!("{A}```python\nprint(0)\n```{F}Try:\n```python\nprint(1)\n```\nBetter:\n```python\n{good}\n```{R}"))),
        (0, hex_of(&format!("{A}x{F}```python\nprint(6)\n```{R}"))),
    ]);
    let mut options = EvalOptions {
        lcb_tests: Some(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample_lcb_tests.jsonl"),
        ),
        ..EvalOptions::default()
    };
    options.lcb.workers = 2;
    options.lcb.sandbox = crate::lcb::SandboxConfig {
        uid_base: crate::lcb::sandbox::default_uid_base(),
        ..sandbox.config().clone()
    };
    options.lcb.per_test_timeout = std::time::Duration::from_secs(5);
    let score = score_log(
        &log,
        &[row("livecodebench_v6", Some("ossperf_s01"))],
        &options,
    )
    .unwrap();
    assert_eq!(
        score.per_dataset["livecodebench_v6"],
        DatasetCount {
            correct: 1,
            total: 2
        }
    );
    assert_eq!(score.exact_match_line().unwrap(), "'exact_match': 50.000");
}

#[test]
fn a_missing_problem_or_an_empty_question_id_is_wrong_and_scoring_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let code = hex_of(&format!("{A}x{F}```python\nprint(1)\n```{R}"));
    let log = write_log(
        &dir,
        &[(0, code.clone()), (1, code), (2, hex_of("Answer: 7"))],
    );
    let options = EvalOptions {
        lcb_tests: Some(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample_lcb_tests.jsonl"),
        ),
        keep_details: true,
        ..EvalOptions::default()
    };
    let reference = [
        row("livecodebench_v6", Some("no_such_problem")),
        row("livecodebench_v6", Some("")),
        row("aime25", Some("7")),
    ];
    let score = score_log(&log, &reference, &options).unwrap();
    let details: Vec<(&str, bool)> = score
        .details
        .iter()
        .map(|d| (d.evaluation_details.as_str(), d.is_correct))
        .collect();
    assert_eq!(
        details,
        [
            (
                "Question ID 'no_such_problem' not found in benchmark",
                false
            ),
            ("No code or question_id provided", false),
            ("Correct", true),
        ]
    );
}
