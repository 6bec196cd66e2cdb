use ossperf_harmony::{
    render_chat, render_for_completion, render_prompt, tokenizer, Message, ReasoningEffort, Role,
    SubDataset, SystemContent,
};
use serde_json::Value;

use crate::{fixture, ids, opt_str};

fn messages_of(row: &Value) -> Vec<Message> {
    let effort: ReasoningEffort = row["effort"].as_str().unwrap().parse().unwrap();
    let system = SystemContent {
        conversation_start_date: opt_str(&row["date"]).map(str::to_owned),
        reasoning_effort: effort,
        ..SystemContent::default()
    };
    let mut out = vec![Message::system(&system)];
    for m in row["messages"].as_array().unwrap() {
        let content = m["content"].as_str().unwrap();
        let role: Role = m["role"].as_str().unwrap().parse().unwrap();
        out.push(match (role, m.get("channel").and_then(Value::as_str)) {
            (Role::Developer, _) => Message::developer(content),
            (_, Some(channel)) => Message {
                role,
                channel: Some(channel.to_owned()),
                content: content.to_owned(),
            },
            (_, None) => Message::new(role, content.to_owned()),
        });
    }
    out
}

#[test]
fn conversations_render_to_the_ids_of_python_openai_harmony_for_each_effort_and_date() {
    let rows = fixture("render.json");
    assert_eq!(rows.len(), 48);
    for row in &rows {
        let got = render_for_completion(&messages_of(row));
        assert_eq!(got, ids(&row["ids"]), "{} {}", row["name"], row["effort"]);
    }
}

#[test]
fn rendered_text_is_byte_identical_to_python_openai_harmony() {
    let tok = tokenizer();
    for row in fixture("render.json") {
        let got = tok
            .decode(&render_for_completion(&messages_of(&row)))
            .unwrap();
        assert_eq!(got, row["text"].as_str().unwrap(), "{}", row["name"]);
    }
}

#[test]
fn the_reference_system_message_for_high_effort_reads_as_the_spec_says() {
    assert_eq!(
        SystemContent::mlperf(ReasoningEffort::High).text(),
        "You are ChatGPT, a large language model trained by OpenAI.\n\
         Knowledge cutoff: 2024-06\n\
         Current date: 2025-09-30\n\n\
         Reasoning: high\n\n\
         # Valid channels: analysis, commentary, final. Channel must be included for every message."
    );
}

#[test]
fn sub_dataset_prompts_equal_the_templates_rendered_by_python_openai_harmony() {
    let rows = fixture("prompts.json");
    assert_eq!(rows.len(), 12);
    for row in rows {
        let dataset = row["dataset"].as_str().unwrap();
        let effort = row["effort"].as_str().unwrap().parse().unwrap();
        let sub = SubDataset::from_name(dataset).unwrap();
        assert_eq!(sub.instructions(), row["instructions"].as_str().unwrap());
        let got = render_prompt(dataset, row["question"].as_str().unwrap(), effort).unwrap();
        assert_eq!(got, ids(&row["ids"]), "{dataset} {effort}");
    }
}

#[test]
fn a_chat_system_message_becomes_developer_instructions() {
    let chat = [
        Message::new(Role::System, "Be terse.".to_owned()),
        Message::user("Hi"),
    ];
    let text = tokenizer()
        .decode(&render_chat(&chat, ReasoningEffort::Low))
        .unwrap();
    assert!(text.contains("Reasoning: low"));
    assert!(text.ends_with(
        "<|end|><|start|>developer<|message|># Instructions\n\nBe terse.<|end|>\
         <|start|>user<|message|>Hi<|end|><|start|>assistant"
    ));
}

#[test]
fn an_unknown_dataset_or_effort_is_an_error_naming_the_value() {
    let err = render_prompt("squad", "q", ReasoningEffort::High).unwrap_err();
    assert!(err.to_string().starts_with("unknown dataset `squad`"));
    let err = "extreme".parse::<ReasoningEffort>().unwrap_err();
    assert_eq!(
        err.to_string(),
        "unknown reasoning effort `extreme`: expected `low`, `medium` or `high`"
    );
}

/// FNV-1a over the ids as little-endian bytes, as `gen.py` computes it.
fn fnv1a64(ids: &[u32]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in ids.iter().flat_map(|id| id.to_le_bytes()) {
        h = (h ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3);
    }
    format!("{h:016x}")
}

#[test]
fn every_bundled_sample_prompt_equals_the_one_python_openai_harmony_renders() {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../data/sample.jsonl");
    let text = std::fs::read_to_string(path).unwrap();
    let want = fixture("sample_prompts.json");
    let rows: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), want.len());
    for (row, want) in rows.iter().zip(&want) {
        let ids = render_prompt(
            row["dataset"].as_str().unwrap(),
            row["question"].as_str().unwrap(),
            ReasoningEffort::High,
        )
        .unwrap();
        assert_eq!(ids.len() as u64, want["len"].as_u64().unwrap());
        assert_eq!(fnv1a64(&ids), want["fnv1a64"].as_str().unwrap());
    }
}
