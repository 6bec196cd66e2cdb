//! Building a tokenized dataset from questions: `ossperf dataset build IN.jsonl OUT.parquet`.
//! Each input row is rendered with the reference's harmony prompt template of its sub-dataset
//! (from `ossperf-harmony`) at one reasoning effort, so users can benchmark their own prompts
//! in exactly the shape of the MLCommons files.
//!
//! Input rows are JSON objects:
//! - `dataset` (required): the sub-dataset name, which picks the template;
//! - `question` (text), or `messages` (a list of `{role, content[, channel]}` chat messages,
//!   rendered after the MLPerf system message);
//! - `options` (four strings, GPQA only): appended as `A)`…`D)` lines;
//! - `starter_code` (LiveCodeBench only): appended in the reference's starter-code block;
//! - `ground_truth` (optional, text or integer), and any other keys, kept as columns.

use std::path::Path;

use ossperf_harmony::{
    gpqa_question, livecodebench_question, render_chat, render_prompt, Message, ReasoningEffort,
    Role, SubDataset,
};
use serde_json::Value;

use crate::assemble::{assemble, Cell, RawTable};
use crate::error::{DatasetError, Result};
use crate::jsonl::{cell, objects, Row};
use crate::model::Dataset;
use crate::OpenOptions;

/// Keys of an input row that are consumed by rendering and not kept as columns.
const RENDER_KEYS: [&str; 3] = ["messages", "options", "starter_code"];

/// How [`build_from_jsonl`] renders prompts.
#[derive(Debug, Clone, Copy, Default)]
pub struct BuildOptions {
    /// The `Reasoning:` line of the system message (the reference uses `low` for the
    /// performance set and `high` for accuracy).
    pub reasoning_effort: ReasoningEffort,
}

/// Renders and tokenizes every row of a JSONL file of questions into a dataset with an
/// `input_tokens` column, in input order. See the module documentation for the row format.
pub fn build_from_jsonl(path: &Path, options: &BuildOptions) -> Result<Dataset> {
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    let rows = objects(path, &bytes)?;
    let mut columns: Vec<(String, String, Vec<Cell>)> = Vec::new();
    let mut tokens = Vec::with_capacity(rows.len());
    for (row, (line, object)) in rows.iter().enumerate() {
        let bad = |message: String| DatasetError::BuildRow {
            file: path.to_path_buf(),
            line: *line,
            message,
        };
        tokens.push(Cell::IntList(
            render_row(object, options.reasoning_effort)
                .map_err(bad)?
                .into_iter()
                .map(i64::from)
                .collect(),
        ));
        for (key, value) in &object.0 {
            if RENDER_KEYS.contains(&key.as_str()) {
                continue;
            }
            let index = match columns.iter().position(|(n, _, _)| n == key) {
                Some(i) => i,
                None => {
                    columns.push((key.clone(), "string".to_owned(), vec![Cell::Null; row]));
                    columns.len() - 1
                }
            };
            columns[index].2.push(cell(value));
        }
        for (_, _, cells) in &mut columns {
            cells.resize(row + 1, Cell::Null);
        }
    }
    columns.push(("input_tokens".to_owned(), "list<int32>".to_owned(), tokens));
    assemble(
        RawTable {
            file: path.to_path_buf(),
            columns,
        },
        &OpenOptions::default(),
    )
}

/// The prompt ids of one row; the error says which key is wrong and what was expected.
fn render_row(row: &Row, effort: ReasoningEffort) -> Result<Vec<u32>, String> {
    let dataset = match row.get("dataset") {
        Some(Value::String(s)) => s.as_str(),
        _ => return Err("expected a `dataset` string".to_owned()),
    };
    let sub = SubDataset::from_name(dataset).map_err(|e| e.to_string())?;
    if let Some(messages) = row.get("messages") {
        return Ok(render_chat(&chat(messages)?, effort));
    }
    let question = match row.get("question") {
        Some(Value::String(s)) if !s.is_empty() => s.as_str(),
        _ => return Err("expected a non-empty `question` string or a `messages` list".to_owned()),
    };
    let text = match (sub, row.get("options"), row.get("starter_code")) {
        (SubDataset::Gpqa, Some(options), _) => gpqa_question(question, four_options(options)?),
        (SubDataset::LiveCodeBench, _, Some(Value::String(code))) => {
            livecodebench_question(question, code)
        }
        (_, Some(_), _) => return Err("`options` is only for GPQA rows".to_owned()),
        (_, _, Some(_)) => {
            return Err("`starter_code` must be a string, on LiveCodeBench rows".to_owned())
        }
        _ => question.to_owned(),
    };
    render_prompt(dataset, &text, effort).map_err(|e| e.to_string())
}

fn four_options(options: &Value) -> Result<[&str; 4], String> {
    let expected = || "expected `options` to be a list of four strings".to_owned();
    let items = options.as_array().ok_or_else(expected)?;
    let texts: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
    match texts.as_deref().ok_or_else(expected)? {
        [a, b, c, d] => Ok([a, b, c, d]),
        _ => Err(expected()),
    }
}

fn chat(messages: &Value) -> Result<Vec<Message>, String> {
    let items = messages
        .as_array()
        .filter(|m| !m.is_empty())
        .ok_or("expected `messages` to be a non-empty list")?;
    items
        .iter()
        .enumerate()
        .map(|(i, m)| {
            let field = |key: &str| m.get(key).and_then(Value::as_str);
            let role: Role = field("role")
                .ok_or_else(|| format!("message {i}: expected a `role` string"))?
                .parse()
                .map_err(|e| format!("message {i}: {e}"))?;
            let content = field("content")
                .ok_or_else(|| format!("message {i}: expected a `content` string"))?;
            let mut message = Message::new(role, content.to_owned());
            message.channel = field("channel").map(str::to_owned);
            Ok(message)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(text: &str) -> Result<Dataset> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("q.jsonl");
        std::fs::write(&path, text).unwrap();
        build_from_jsonl(&path, &BuildOptions::default()).map_err(|e| match e {
            DatasetError::BuildRow { line, message, .. } => DatasetError::BuildRow {
                file: "q.jsonl".into(),
                line,
                message,
            },
            other => other,
        })
    }

    #[test]
    fn a_question_row_is_rendered_with_its_sub_dataset_template() {
        let ds = build(
            "{\"dataset\":\"aime25\",\"question\":\"What is 6 times 7?\",\"ground_truth\":42,\"id\":\"a1\"}\n",
        )
        .unwrap();
        let expected =
            render_prompt("aime25", "What is 6 times 7?", ReasoningEffort::Medium).unwrap();
        assert_eq!(ds.tokens(0), expected.as_slice());
        assert_eq!(ds.sub_dataset(0), Some("aime25"));
        assert_eq!(ds.ground_truth(0), Some("42"));
        assert_eq!(ds.token_column(), "input_tokens");
        assert_eq!(
            ds.column("question"),
            Some(&crate::Column::Str(vec![Some("What is 6 times 7?".into())]))
        );
    }

    #[test]
    fn gpqa_options_become_lettered_lines() {
        let ds = build(
            "{\"dataset\":\"gpqa_diamond\",\"question\":\"Q?\",\"options\":[\"a\",\"b\",\"c\",\"d\"]}\n",
        )
        .unwrap();
        let text = gpqa_question("Q?", ["a", "b", "c", "d"]);
        let expected = render_prompt("gpqa_diamond", &text, ReasoningEffort::Medium).unwrap();
        assert_eq!(ds.tokens(0), expected.as_slice());
        assert_eq!(ds.column("options"), None);
    }

    #[test]
    fn a_row_without_a_question_names_its_line() {
        let err = build("{\"dataset\":\"aime25\",\"question\":\"x\"}\n{\"dataset\":\"aime25\"}\n")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`q.jsonl` line 2: expected a non-empty `question` string or a `messages` list"
        );
    }

    #[test]
    fn chat_messages_render_after_the_system_message() {
        let ds = build(
            "{\"dataset\":\"pubmed_summarization\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}\n",
        )
        .unwrap();
        let expected = render_chat(&[Message::user("Hi")], ReasoningEffort::Medium);
        assert_eq!(ds.tokens(0), expected.as_slice());
    }
}
