use ossperf_harmony::tokenizer;

use crate::{fixture, ids};

#[test]
fn ordinary_ids_equal_python_tiktoken_on_the_whole_corpus() {
    let tok = tokenizer();
    let rows = fixture("tokens.json");
    assert_eq!(rows.len(), 39);
    for row in rows {
        let text = row["text"].as_str().unwrap();
        assert_eq!(tok.encode(text), ids(&row["ordinary"]), "{text:?}");
    }
}

#[test]
fn ids_with_special_tokens_equal_python_tiktoken_with_all_specials_allowed() {
    let tok = tokenizer();
    for row in fixture("tokens.json") {
        let text = row["text"].as_str().unwrap();
        assert_eq!(
            tok.encode_with_special_tokens(text),
            ids(&row["special"]),
            "{text:?}"
        );
    }
}

#[test]
fn decoding_python_ids_gives_back_the_corpus_text() {
    let tok = tokenizer();
    for row in fixture("tokens.json") {
        let text = row["text"].as_str().unwrap();
        assert_eq!(tok.decode(&ids(&row["ordinary"])).unwrap(), text);
        assert_eq!(tok.decode(&ids(&row["special"])).unwrap(), text);
    }
}

#[test]
fn the_skipping_decode_drops_exactly_the_special_tokens() {
    let tok = tokenizer();
    let row = fixture("tokens.json")
        .into_iter()
        .find(|r| {
            r["text"]
                .as_str()
                .unwrap()
                .starts_with("<|channel|>analysis")
        })
        .unwrap();
    assert_eq!(
        tok.decode_without_special_tokens(&ids(&row["special"]))
            .unwrap(),
        "analysisthinkassistantfinalB"
    );
}

#[test]
fn long_whitespace_runs_encode_and_round_trip() {
    let tok = tokenizer();
    for text in [
        " ".repeat(20_000),
        "\n".repeat(10_000) + "x",
        "a ".repeat(5_000) + &"\t".repeat(10_000),
    ] {
        let ids = tok.encode(&text);
        assert_eq!(tok.decode(&ids).unwrap(), text);
        assert_eq!(tok.encode_with_special_tokens(&text), ids);
    }
}
