//! Answers to the bundled sample's scored rows: correct with probability `--accuracy p`, in the
//! form each scorer parses. Until `ossperf-eval` can be used here, the final answers are checked
//! directly: AIME's last `\boxed{N}`, GPQA's `Answer: X`, LiveCodeBench's code block.

use std::path::Path;
use std::sync::Arc;

use ossperf_harmony::tokenizer;
use ossperf_sim::{
    bundled_lcb_solutions, OutputLen, ReferenceRow, ReferenceSet, SimConfig, Timing,
};

use crate::http::{post, start};

fn sample_rows() -> Vec<ReferenceRow> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let question = v["question"].as_str().unwrap();
            ReferenceRow {
                input_ids: tokenizer().encode(question),
                dataset: v["dataset"].as_str().unwrap().into(),
                ground_truth: v["ground_truth"].as_str().unwrap().into(),
                output_len: None,
            }
        })
        .collect()
}

/// The final channel's text, as `extract_final_section` finds it.
fn final_section(text: &str) -> &str {
    let start = text
        .find("<|channel|>final<|message|>")
        .map_or(0, |i| i + "<|channel|>final<|message|>".len());
    let rest = &text[start..];
    rest.find("<|return|>").map_or(rest, |e| &rest[..e]).trim()
}

fn is_correct(
    row: &ReferenceRow,
    text: &str,
    solutions: &std::collections::HashMap<String, String>,
) -> bool {
    let fin = final_section(text);
    match row.dataset.as_str() {
        "aime25" => {
            let last = text
                .rsplit("\\boxed{")
                .next()
                .and_then(|s| s.split('}').next());
            last.and_then(|n| n.trim().parse::<u32>().ok()) == row.ground_truth.parse().ok()
        }
        "gpqa_diamond" => fin.strip_prefix("Answer: ") == Some(row.ground_truth.as_str()),
        "livecodebench_v6" => {
            let code = fin
                .split("```python\n")
                .nth(1)
                .and_then(|s| s.split("\n```").next());
            code == solutions.get(&row.ground_truth).map(|s| s.trim_end())
        }
        other => panic!("unexpected sub-dataset {other}"),
    }
}

#[test]
fn the_share_of_correct_answers_over_the_bundled_sample_is_p_within_binomial_error() {
    let rows: Vec<ReferenceRow> = sample_rows()
        .into_iter()
        .filter(|r| r.dataset != "pubmed_summarization")
        .collect();
    assert_eq!(rows.len(), 62);
    let solutions = bundled_lcb_solutions();
    let reference = Arc::new(ReferenceSet::new(rows.clone(), solutions.clone()));
    let p = 0.8;
    let sim = start(SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Mean(300),
        reference: Some(reference),
        accuracy: p,
        seed: 7,
        ..SimConfig::default()
    });
    let mut correct = 0;
    for row in &rows {
        let body = serde_json::json!({"input_ids": row.input_ids, "sampling_params": {"max_new_tokens": 32768}});
        let v = post(sim.addr(), "/generate", &body.to_string()).json();
        let out: Vec<u32> = v["output_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        let text = tokenizer().decode(&out).unwrap();
        let ok = is_correct(row, &text, &solutions);
        correct += usize::from(ok);
        let truth = sim.truth();
        assert_eq!(
            truth.last().unwrap().correct,
            Some(ok),
            "the simulator's own record agrees: {text}"
        );
    }
    let n = rows.len() as f64;
    let rate = correct as f64 / n;
    let sigma = (p * (1.0 - p) / n).sqrt();
    assert!(
        (rate - p).abs() <= 3.0 * sigma,
        "rate {rate} vs p {p} (σ {sigma})"
    );
    // With this seed the count is fixed; a change to the answer draw shows up here.
    assert_eq!(correct, 51);
}

#[test]
fn accuracy_one_answers_every_scored_row_correctly() {
    let rows: Vec<ReferenceRow> = sample_rows()
        .into_iter()
        .filter(|r| r.dataset != "pubmed_summarization")
        .collect();
    let solutions = bundled_lcb_solutions();
    let reference = Arc::new(ReferenceSet::new(rows.clone(), solutions.clone()));
    let sim = start(SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(64),
        reference: Some(reference),
        accuracy: 1.0,
        ..SimConfig::default()
    });
    for row in &rows {
        let body = serde_json::json!({"input_ids": row.input_ids, "sampling_params": {"max_new_tokens": 32768}, "stream": true});
        let events = post(sim.addr(), "/generate", &body.to_string()).json_events();
        let out: Vec<u32> = events
            .iter()
            .flat_map(|e| {
                e["output_ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| x.as_u64().unwrap() as u32)
                    .collect::<Vec<_>>()
            })
            .collect();
        let text = tokenizer().decode(&out).unwrap();
        assert!(
            is_correct(row, &text, &solutions),
            "{}: {text}",
            row.ground_truth
        );
    }
}
