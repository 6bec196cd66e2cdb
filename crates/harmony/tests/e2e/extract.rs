use ossperf_harmony::{extract_final_section, py_strip};

use crate::fixture;

#[test]
fn final_section_extraction_matches_the_reference_regex_on_every_fixture_text() {
    let rows = fixture("extract.json");
    assert_eq!(rows.len(), 38);
    for row in rows {
        let text = row["text"].as_str().unwrap();
        assert_eq!(
            extract_final_section(text),
            row["final"].as_str().unwrap(),
            "{text:?}"
        );
    }
}

#[test]
fn junk_between_final_and_message_is_tolerated() {
    let text = "<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final 明<|message|> B <|return|>";
    assert_eq!(extract_final_section(text), "B");
}

#[test]
fn a_final_section_cut_by_the_token_limit_runs_to_the_end_of_the_text() {
    let text =
        "<|channel|>analysis<|message|>x<|end|><|start|>assistant<|channel|>final<|message|>C\n";
    assert_eq!(extract_final_section(text), "C");
}

#[test]
fn text_without_a_final_section_comes_back_whole_and_stripped() {
    let text = "  <|channel|>analysis<|message|>no final channel; ANSWER: d \n";
    assert_eq!(
        extract_final_section(text),
        "<|channel|>analysis<|message|>no final channel; ANSWER: d"
    );
}

#[test]
fn python_strip_also_removes_the_ascii_separators() {
    assert_eq!(py_strip("\u{1c}\u{1f} a b \u{3000}\u{85}"), "a b");
    assert_eq!(py_strip("\u{200b}x"), "\u{200b}x");
}
