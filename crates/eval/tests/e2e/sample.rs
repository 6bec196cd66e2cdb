//! The bundled sample dataset scored end to end: right answers score 100, a known share of wrong
//! answers scores exactly the expected weighted value.

use std::collections::HashMap;

use ossperf_eval::{score_log, DatasetCount, EvalOptions};

use crate::common::*;

/// The bundled solutions, with `ossperf_s05` reading `sys.stdin` instead of
/// `sys.stdin.buffer` (which lcb_runner's stdin mock does not have; see the lcb tests).
fn solutions() -> HashMap<String, String> {
    let text = std::fs::read_to_string(data("sample_lcb_solutions.jsonl")).unwrap();
    let mut sols: HashMap<String, String> = text
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                v["question_id"].as_str().unwrap().to_owned(),
                v["solution"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    if let Some(s05) = sols.get_mut("ossperf_s05") {
        *s05 = s05.replace("sys.stdin.buffer.read()", "sys.stdin.read()");
    }
    sols
}

/// A harmony answer for a row of the sample: right or wrong as `right` says.
fn answer(dataset: &str, gt: &str, right: bool, sols: &HashMap<String, String>) -> String {
    let fin = match dataset {
        "aime25" if right => format!("So the answer is \\boxed{{{gt}}}."),
        "aime25" => "So the answer is \\boxed{1000}.".to_owned(),
        "gpqa_diamond" if right => gt.to_owned(),
        "gpqa_diamond" => {
            if gt == "A" {
                "B".into()
            } else {
                "A".into()
            }
        }
        "livecodebench_v6" if right => format!("```python\n{}\n```", sols[gt]),
        "livecodebench_v6" => "```python\nprint(-1)\n```".to_owned(),
        _ => "A summary.".to_owned(),
    };
    format!("{A}Let me think about it.{F}{fin}{R}")
}

#[test]
fn the_bundled_sample_with_every_answer_right_scores_100_and_skips_summaries_when_asked() {
    if !sandbox_ready("sample_all_right") {
        return;
    }
    let reference = sample_reference();
    let sols = solutions();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mlperf_log_accuracy.json");
    write_log(
        &log,
        reference.iter().enumerate().map(|(i, r)| {
            let gt = r
                .ground_truth
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            (i as u64, tokens(&answer(&r.dataset, &gt, true, &sols)))
        }),
    );
    let options = EvalOptions {
        lcb_tests: Some(data("sample_lcb_tests.jsonl")),
        skip_unscored_datasets: true,
        ..EvalOptions::default()
    };
    let score = score_log(&log, &reference, &options).unwrap();
    assert_eq!(
        score.per_dataset["aime25"],
        DatasetCount {
            correct: 25,
            total: 25
        }
    );
    assert_eq!(
        score.per_dataset["gpqa_diamond"],
        DatasetCount {
            correct: 25,
            total: 25
        }
    );
    assert_eq!(
        score.per_dataset["livecodebench_v6"],
        DatasetCount {
            correct: 12,
            total: 12
        }
    );
    assert_eq!(score.skipped_unscored["pubmed_summarization"], 35);
    assert_eq!(score.exact_match_line().unwrap(), "'exact_match': 100.000");
    // Without the option the reference's behaviour: a summary row stops the scorer.
    let strict = EvalOptions {
        skip_unscored_datasets: false,
        ..options
    };
    let err = score_log(&log, &reference, &strict)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("dataset `pubmed_summarization` has no evaluator"),
        "{err}"
    );
}

#[test]
fn every_fourth_answer_wrong_gives_the_exact_weighted_score() {
    if !sandbox_ready("sample_some_wrong") {
        return;
    }
    let reference = sample_reference();
    let sols = solutions();
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("mlperf_log_accuracy.json");
    let scored: Vec<(usize, &ossperf_eval::ReferenceRow)> = reference
        .iter()
        .enumerate()
        .filter(|(_, r)| r.dataset != "pubmed_summarization")
        .collect();
    write_log(
        &log,
        scored.iter().enumerate().map(|(k, (i, r))| {
            let gt = r
                .ground_truth
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default();
            (
                *i as u64,
                tokens(&answer(&r.dataset, &gt, k % 4 != 3, &sols)),
            )
        }),
    );
    let options = EvalOptions {
        lcb_tests: Some(data("sample_lcb_tests.jsonl")),
        ..EvalOptions::default()
    };
    let score = score_log(&log, &reference, &options).unwrap();
    let mut expected: HashMap<&str, DatasetCount> = HashMap::new();
    for (k, (_, r)) in scored.iter().enumerate() {
        let c = expected.entry(r.dataset.as_str()).or_default();
        c.total += 1;
        c.correct += u64::from(k % 4 != 3);
    }
    for (name, c) in &expected {
        assert_eq!(score.per_dataset[*name], *c, "{name}");
    }
    let weighted = |f: fn(&DatasetCount) -> u64| -> f64 {
        expected
            .iter()
            .map(|(n, c)| f(c) as f64 / ossperf_eval::repeats_of(n) as f64)
            .sum()
    };
    let pct = 100.0 * weighted(|c| c.correct) / weighted(|c| c.total);
    assert_eq!(
        score.exact_match_line().unwrap(),
        format!("'exact_match': {pct:.3}")
    );
}
