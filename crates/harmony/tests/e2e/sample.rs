//! The bundled sample dataset (`data/`): every row renders with its template, ground truths
//! have the shape the scorer accepts, the LiveCodeBench rows join their tests and solutions,
//! and a correct simulated answer survives the trip through tokens and `final` extraction.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use ossperf_harmony::{
    extract_final_section, render_prompt, special, tokenizer, ReasoningEffort, SubDataset,
};
use serde_json::Value;

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

fn jsonl(name: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(data_dir().join(name)).unwrap();
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn field<'a>(row: &'a Value, key: &str) -> &'a str {
    row[key].as_str().unwrap()
}

#[test]
fn the_sample_has_the_planned_rows_per_sub_dataset() {
    let mut counts = BTreeMap::new();
    for row in jsonl("sample.jsonl") {
        *counts.entry(field(&row, "dataset").to_owned()).or_insert(0) += 1;
    }
    let counts: Vec<(String, i32)> = counts.into_iter().collect();
    assert_eq!(
        counts,
        [
            ("aime25".to_owned(), 25),
            ("gpqa_diamond".to_owned(), 25),
            ("livecodebench_v6".to_owned(), 12),
            ("pubmed_summarization".to_owned(), 35),
        ]
    );
}

#[test]
fn every_sample_row_renders_to_a_prompt_ending_with_the_assistant_header() {
    let tok = tokenizer();
    let tail = [special::START, tok.encode("assistant")[0]];
    for row in jsonl("sample.jsonl") {
        let ids = render_prompt(
            field(&row, "dataset"),
            field(&row, "question"),
            ReasoningEffort::High,
        )
        .unwrap();
        assert!(ids.len() > 150 && ids.len() < 2000, "{} ids", ids.len());
        assert_eq!(ids[ids.len() - 2..], tail);
    }
}

#[test]
fn ground_truths_have_the_shape_each_scorer_accepts() {
    for row in jsonl("sample.jsonl") {
        let truth = field(&row, "ground_truth");
        let question = field(&row, "question");
        match SubDataset::from_name(field(&row, "dataset")).unwrap() {
            SubDataset::Aime => {
                let value: u32 = truth.parse().unwrap();
                assert!(value <= 999 && truth == value.to_string());
            }
            SubDataset::Gpqa => {
                assert!(["A", "B", "C", "D"].contains(&truth));
                let lines: Vec<&str> = question.lines().rev().take(4).collect();
                let prefixes: Vec<&str> = lines.iter().map(|l| &l[..3]).collect();
                assert_eq!(prefixes, ["D) ", "C) ", "B) ", "A) "]);
            }
            SubDataset::LiveCodeBench => assert!(truth.starts_with("ossperf_")),
            SubDataset::Summarization => assert!(truth.len() > 100),
        }
    }
}

#[test]
fn livecodebench_rows_join_their_tests_and_solutions_by_question_id() {
    let rows: Vec<String> = jsonl("sample.jsonl")
        .iter()
        .filter(|r| field(r, "dataset") == "livecodebench_v6")
        .map(|r| field(r, "ground_truth").to_owned())
        .collect();
    let tests = jsonl("sample_lcb_tests.jsonl");
    let solutions = jsonl("sample_lcb_solutions.jsonl");
    let test_ids: Vec<&str> = tests.iter().map(|t| field(t, "question_id")).collect();
    let solution_ids: Vec<&str> = solutions.iter().map(|s| field(s, "question_id")).collect();
    assert_eq!(rows, test_ids);
    assert_eq!(rows, solution_ids);
    for test in &tests {
        let public: Value = serde_json::from_str(field(test, "public_test_cases")).unwrap();
        let metadata: Value = serde_json::from_str(field(test, "metadata")).unwrap();
        let kind = if metadata.get("func_name").is_some() {
            "functional"
        } else {
            "stdin"
        };
        for case in public.as_array().unwrap() {
            assert_eq!(case["testtype"], kind);
        }
        assert!(!field(test, "private_test_cases").is_empty());
    }
}

#[test]
fn a_correct_simulated_answer_comes_back_out_of_the_final_channel() {
    let tok = tokenizer();
    let solutions: BTreeMap<String, String> = jsonl("sample_lcb_solutions.jsonl")
        .iter()
        .map(|s| {
            (
                field(s, "question_id").to_owned(),
                field(s, "solution").to_owned(),
            )
        })
        .collect();
    for row in jsonl("sample.jsonl") {
        let truth = field(&row, "ground_truth");
        let answer = match SubDataset::from_name(field(&row, "dataset")).unwrap() {
            SubDataset::Aime => format!("The answer is \\boxed{{{truth}}}"),
            SubDataset::Gpqa => format!("Answer: {truth}"),
            SubDataset::LiveCodeBench => format!("```python\n{}\n```", solutions[truth]),
            SubDataset::Summarization => truth.to_owned(),
        };
        let mut ids = tok.encode_with_special_tokens("<|channel|>analysis<|message|>");
        ids.extend(tok.encode("Working it out."));
        ids.extend(
            tok.encode_with_special_tokens("<|end|><|start|>assistant<|channel|>final<|message|>"),
        );
        ids.extend(tok.encode(&answer));
        ids.push(special::RETURN);
        let text = tok.decode(&ids).unwrap();
        assert_eq!(extract_final_section(&text), answer);
    }
}

#[test]
fn the_committed_sample_files_match_their_generator_and_every_solution_passes_its_tests() {
    let script = data_dir().join("gen_sample.py");
    let output = match Command::new("python3")
        .arg(&script)
        .arg("--check")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
    {
        Ok(output) => output,
        Err(err) => {
            println!("skipped: python3 is not available ({err})");
            return;
        }
    };
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
