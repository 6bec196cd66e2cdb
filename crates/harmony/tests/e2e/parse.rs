use ossperf_harmony::{
    extract_final_section, final_message, parse_messages, special, tokenizer, Error, ParsedMessage,
    Terminator,
};

use crate::{fixture, ids, opt_str};

fn parse_text(text: &str) -> Vec<ParsedMessage> {
    parse_messages(&tokenizer().encode_with_special_tokens(text)).unwrap()
}

#[test]
fn complete_and_truncated_outputs_parse_like_python_openai_harmony() {
    let rows = fixture("parse.json");
    assert_eq!(rows.len(), 7);
    for row in rows {
        let got = parse_messages(&ids(&row["ids"])).unwrap();
        let want = row["messages"].as_array().unwrap();
        assert_eq!(got.len(), want.len());
        let truncated = row["truncated"].as_bool().unwrap();
        assert_eq!(
            got.last().unwrap().terminator == Terminator::Truncated,
            truncated
        );
        for (g, w) in got.iter().zip(want) {
            assert_eq!(g.role, w["role"].as_str().unwrap());
            assert_eq!(g.channel.as_deref(), opt_str(&w["channel"]));
            assert_eq!(g.recipient.as_deref(), opt_str(&w["recipient"]));
            assert_eq!(g.content, w["content"].as_str().unwrap());
        }
    }
}

#[test]
fn messages_record_how_they_ended() {
    let got = parse_text(
        "<|channel|>analysis<|message|>a<|end|><|start|>assistant<|channel|>final<|message|>b<|return|>",
    );
    let ends: Vec<Terminator> = got.iter().map(|m| m.terminator).collect();
    assert_eq!(ends, [Terminator::End, Terminator::Return]);
    assert_eq!(final_message(&got).unwrap().content, "b");
}

#[test]
fn output_cut_inside_the_analysis_gives_one_truncated_message() {
    let got = parse_text("<|channel|>analysis<|message|>Let me think about");
    assert_eq!(
        got,
        [ParsedMessage {
            role: "assistant".to_owned(),
            channel: Some("analysis".to_owned()),
            recipient: None,
            content: "Let me think about".to_owned(),
            terminator: Terminator::Truncated,
        }]
    );
    assert!(final_message(&got).is_none());
}

#[test]
fn output_cut_inside_a_header_gives_an_empty_truncated_message() {
    let got = parse_text("<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>fin");
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].channel.as_deref(), Some("fin"));
    assert_eq!(got[1].content, "");
    assert_eq!(got[1].terminator, Terminator::Truncated);
}

#[test]
fn output_cut_inside_the_first_header_gives_one_empty_truncated_message() {
    let got = parse_text("<|channel|>analy");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].channel.as_deref(), Some("analy"));
    assert_eq!(got[0].content, "");
    assert_eq!(got[0].terminator, Terminator::Truncated);
}

#[test]
fn output_with_no_header_is_one_message_without_a_channel() {
    let got = parse_text("Just an answer: 42<|return|>");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].channel, None);
    assert_eq!(got[0].content, "Just an answer: 42");
    assert_eq!(got[0].terminator, Terminator::Return);
}

#[test]
fn tool_calls_keep_their_recipient_and_stray_ids_between_messages_are_skipped() {
    let got = parse_text(
        "<|channel|>commentary to=functions.run <|constrain|>json<|message|>{}<|call|>junk \
         <|start|>assistant<|channel|>final<|message|>ok<|return|>",
    );
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].channel.as_deref(), Some("commentary"));
    assert_eq!(got[0].recipient.as_deref(), Some("functions.run"));
    assert_eq!(got[0].terminator, Terminator::Call);
    assert_eq!(got[1].content, "ok");
}

#[test]
fn a_character_cut_by_the_limit_becomes_the_replacement_character() {
    let tok = tokenizer();
    let mut ids = tok.encode_with_special_tokens("<|channel|>final<|message|>ok ");
    let lead = (0..special::FIRST)
        .find(|&id| tok.token_bytes(id) == Some(&[0xE6][..]))
        .unwrap();
    ids.push(lead);
    let got = parse_messages(&ids).unwrap();
    assert_eq!(got[0].content, "ok \u{FFFD}");
}

#[test]
fn an_id_outside_the_vocabulary_is_an_error_with_its_position() {
    let err = parse_messages(&[200_005, 300_000]).unwrap_err();
    assert_eq!(
        err,
        Error::UnknownToken {
            id: 300_000,
            position: 1,
            vocab_size: 201_088
        }
    );
}

#[test]
fn a_message_interrupted_by_a_new_start_is_truncated_and_the_next_one_is_kept() {
    let got = parse_text(
        "<|channel|>analysis<|message|>cut<|start|><|start|>assistant<|channel|>final<|message|>ok<|return|>",
    );
    let summary: Vec<(Option<&str>, &str, Terminator)> = got
        .iter()
        .map(|m| (m.channel.as_deref(), m.content.as_str(), m.terminator))
        .collect();
    assert_eq!(
        summary,
        [
            (Some("analysis"), "cut", Terminator::Truncated),
            (None, "", Terminator::Truncated),
            (Some("final"), "ok", Terminator::Return),
        ]
    );
}

/// A small deterministic generator (64-bit LCG) for the robustness sweeps below.
fn lcg(state: &mut u64) -> usize {
    *state = state
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    (*state >> 33) as usize
}

#[test]
fn any_sequence_of_harmony_ids_parses_into_at_least_one_message_without_panicking() {
    let tok = tokenizer();
    let mut alphabet = vec![
        special::START,
        special::END,
        special::MESSAGE,
        special::CHANNEL,
        special::RETURN,
        special::CALL,
        special::CONSTRAIN,
        special::ENDOFTEXT,
    ];
    alphabet.extend(tok.encode("final analysis assistant to=x 日本 é"));
    let mut state = 7;
    for _ in 0..3000 {
        let len = lcg(&mut state) % 24;
        let ids: Vec<u32> = (0..len)
            .map(|_| alphabet[lcg(&mut state) % alphabet.len()])
            .collect();
        let messages = parse_messages(&ids).unwrap();
        // Content keeps stray special tokens as markup, so it is bounded by the whole text.
        let whole = tok.decode(&ids).unwrap().len();
        let content: usize = messages.iter().map(|m| m.content.len()).sum();
        assert!(content <= whole, "{ids:?}");
        if !ids.is_empty() {
            assert!(!messages.is_empty(), "{ids:?}");
        }
    }
}

#[test]
fn final_extraction_never_panics_on_marker_soup_with_multibyte_text() {
    let pieces = [
        "<|channel|>final",
        "<|message|>",
        "<|return|>",
        "<",
        "明",
        " ",
        "\n",
        "é",
        "final",
        "<|channel|>",
    ];
    let mut state = 11;
    for _ in 0..5000 {
        let len = lcg(&mut state) % 12;
        let text: String = (0..len)
            .map(|_| pieces[lcg(&mut state) % pieces.len()])
            .collect();
        let out = extract_final_section(&text);
        assert!(text.contains(out), "{text:?}");
    }
}
