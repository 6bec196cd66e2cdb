//! The golden vectors of docs/REFERENCE.md §4.9, and the edge rules around them.

use super::*;

const A: &str = "<|channel|>analysis<|message|>";
const F: &str = "<|end|><|start|>assistant<|channel|>final<|message|>";
const R: &str = "<|return|>";

fn h(analysis: &str, fin: &str) -> String {
    format!("{A}{analysis}{F}{fin}{R}")
}

#[test]
fn every_gpqa_golden_vector_of_the_spec_parses_to_its_letter() {
    let cases: &[(String, Option<char>)] = &[
        (h("Thinking... the answer is C.", "D"), Some('D')),
        (h("...", "**Answer: B**"), Some('B')),
        (h("...", "Answer: B"), Some('B')),
        (h("...", "Answer: (C)"), Some('C')),
        (
            h("...", "A short explanation: the correct option is C."),
            Some('A'),
        ),
        (h("...", "The correct choice is (C)."), None),
        (h("...", "The answer is **C**."), None),
        (h("...", "I think answer is C"), None),
        (
            h("Final answer: (B)\n", "The correct choice is option three."),
            Some('B'),
        ),
        (h("ANSWER: B then", "Option C is right"), Some('B')),
        (format!("{A}no final channel; ANSWER: d"), Some('D')),
        (h("...", "b) because ..."), Some('B')),
        (h("...", "(b)"), Some('B')),
        (h("...", "d"), Some('D')),
        (h("...", "['C']"), Some('C')),
        (h("...", "**D**"), Some('D')),
        (h("...", "Based on analysis, D"), None),
        (h("...", "\\boxed{C}"), None),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_gpqa(text), *expected, "text: {text:?}");
    }
}

#[test]
fn every_aime_golden_vector_of_the_spec_parses_to_its_integer() {
    let cases: &[(String, Option<u32>)] = &[
        (
            h("so \\boxed{12}", "The answer is \\boxed{ 070 }"),
            Some(70),
        ),
        (h("\\boxed{5}", "Answer: 12"), Some(5)),
        (h("...", "Answer: 12."), None),
        (h("...", "Answer: 12\n"), Some(12)),
        (h("...", "answer:12th"), None),
        (h("...", "\\boxed{1000}"), None),
        (h("\\boxed{7}", "\\boxed{x=3}"), Some(7)),
        (h("...", "**Answer:** 42"), None),
        (h("...", "\\boxed{\\text{042}}"), None),
        (h("...", "Answer: 042 is final"), Some(42)),
        (h("...", "ANSWER:\n\n 7"), Some(7)),
        (h("\\boxed{  3 }", "no"), Some(3)),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_aime(text), *expected, "text: {text:?}");
    }
}

#[test]
fn every_code_golden_vector_of_the_spec_extracts_its_code() {
    let cases: &[(String, &str)] = &[
        (
            h(
                "```python\nprint(1)\n```",
                "Here:\n```python\nprint(2)\n```\nand\n```python\nprint(3)\n```",
            ),
            "print(3)",
        ),
        (
            h("```python\nprint(1)\n```", "no code in final"),
            "print(1)",
        ),
        (h("x", "```py\nprint(4)\n```"), "print(4)"),
        (
            "no harmony ```\npython\nprint(5)\n```".to_owned(),
            "print(5)",
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(
            parse_code(text).as_deref(),
            Some(*expected),
            "text: {text:?}"
        );
    }
}

#[test]
fn the_final_section_tolerates_junk_after_final_and_a_missing_return() {
    assert_eq!(
        final_section("x<|channel|>final 明<|message|> B <|return|>tail"),
        Some("B")
    );
    assert_eq!(
        final_section("<|channel|>final537<|message|>C\n"),
        Some("C")
    );
    assert_eq!(
        final_section("<|channel|>analysis<|message|>only thinking"),
        None
    );
}

#[test]
fn a_truncated_answer_without_a_final_channel_falls_back_to_the_whole_text() {
    // Cut by the output limit in the middle of the analysis: the reference parses everything.
    let text = format!("{A}Let me think. The box is \\boxed{{17}} and then");
    assert_eq!(parse_aime(&text), Some(17));
    assert_eq!(parse_gpqa(&format!("{A}Perhaps option C or")), None);
    assert_eq!(
        parse_gpqa(&format!("{A}Perhaps the answer: C or")),
        Some('C')
    );
    assert_eq!(parse_code(&format!("{A}```python\nx = 1\n")), None);
}

#[test]
fn several_boxed_answers_take_the_last_and_never_fall_back_to_an_earlier_one() {
    assert_eq!(
        parse_aime(&h("\\boxed{1} \\boxed{2}", "\\boxed{3}")),
        Some(3)
    );
    assert_eq!(parse_aime(&h("\\boxed{1}", "\\boxed{1000}")), None);
    assert_eq!(
        parse_aime(&h("...", "Answer: 5 and later Answer: 6")),
        Some(6)
    );
}

#[test]
fn multiple_code_blocks_prefer_python_blocks_then_the_last_plain_block() {
    let text = h("", "```python\na = 1\n```\n```\nb = 2\n```");
    assert_eq!(parse_code(&text).as_deref(), Some("a = 1"));
    let text = h("", "```\nfirst\n```\n```PY\nsecond\n```");
    assert_eq!(parse_code(&text).as_deref(), Some("second"));
    assert_eq!(parse_code(&h("", "no code at all")), None);
}

#[test]
fn gpqa_scores_only_an_exact_letter_match_against_the_ground_truth() {
    assert!(gpqa_is_correct('B', "b"));
    assert!(gpqa_is_correct('B', "B"));
    assert!(!gpqa_is_correct('B', "C"));
    assert!(!gpqa_is_correct('B', ""));
    assert!(!gpqa_is_correct('B', "B "));
}

#[test]
fn aime_ground_truth_follows_python_int() {
    assert!(aime_is_correct(70, "70"));
    assert!(aime_is_correct(70, " 070\n"));
    assert!(aime_is_correct(70, "+7_0"));
    assert!(!aime_is_correct(70, "70.0"));
    assert!(!aime_is_correct(70, "7__0"));
    assert!(!aime_is_correct(70, ""));
}

#[test]
fn unicode_digits_count_as_python_int_does() {
    // Arabic-Indic 4 and 2, and mathematical bold digits (runs of ten that abut).
    assert_eq!(parse_aime("Answer: \u{664}\u{662}"), Some(42));
    assert_eq!(parse_aime("\\boxed{\u{1D7D5}}"), Some(7));
}

#[test]
fn python_strip_removes_the_ascii_separators_python_counts_as_space() {
    assert_eq!(py_strip("\u{1c} a \u{85}\u{a0}"), "a");
}
