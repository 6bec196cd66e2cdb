//! Python 3.12 `re` facts the reference's patterns depend on, each checked against CPython.

use super::*;

#[test]
fn whitespace_is_python_isspace_including_the_information_separators() {
    for c in [
        '\u{1c}', '\u{1d}', '\u{1e}', '\u{1f}', '\u{85}', '\u{a0}', '\u{3000}', '\t',
    ] {
        assert!(is_space(c), "{c:?}");
    }
    for c in ['\u{200b}', '\u{180e}', '\u{feff}', 'x'] {
        assert!(!is_space(c), "{c:?}");
    }
}

#[test]
fn word_characters_are_python_isalnum_or_underscore() {
    // Letters, digits and numerics are words; Python also counts `²`, `½` and `Ⅻ`.
    for c in ['a', 'é', '中', '_', '٣', '²', '½', 'Ⅻ'] {
        assert!(is_word(c), "{c:?}");
    }
    // Combining marks, ZWJ/ZWNJ, connector punctuation other than `_` and circled letters
    // are not, though the `regex` crate's `\w` has them all.
    for c in [
        '\u{301}', '\u{200d}', '\u{200c}', '\u{203f}', '\u{ff3f}', 'Ⓐ', '-',
    ] {
        assert!(!is_word(c), "{c:?}");
    }
}

#[test]
fn digits_follow_unicode_15_and_have_their_decimal_value() {
    assert_eq!(digit_value('7'), Some(7));
    assert_eq!(digit_value('٣'), Some(3));
    assert_eq!(
        digit_value('\u{1D7D9}'),
        Some(1),
        "MATHEMATICAL DOUBLE-STRUCK DIGIT ONE"
    );
    assert_eq!(digit_value('²'), None, "not a decimal");
    // Unicode 16.0 digits (Garay, Ol Onal) are digits for the `regex` crate, not for Python 3.12.
    assert_eq!(digit_value('\u{10D40}'), None);
    assert_eq!(digit_value('\u{1E5F1}'), None);
    assert_eq!(
        (PYTHON_VERSION.get(..4), UNICODE_VERSION),
        (Some("3.12"), "15.0.0")
    );
}

#[test]
fn ignore_case_folds_dotless_and_dotted_i_long_s_and_kelvin() {
    assert_eq!(letter_fold('ı'), Some('i'));
    assert_eq!(letter_fold('İ'), Some('i'));
    assert_eq!(letter_fold('ſ'), Some('s'));
    assert_eq!(letter_fold('\u{212a}'), Some('k'));
    assert_eq!(letter_fold('é'), None);
    let final_answer = Pattern::new(0, vec![Node::Literal("FINAL", true)]);
    assert!(final_answer.match_at("fınal", 0).is_some());
    assert!(final_answer.match_at("FİNAL", 0).is_some());
}

#[test]
fn greedy_and_lazy_repeats_backtrack_in_python_order() {
    // (\d+)(?!\.)\b cannot shorten a digit run into a word boundary.
    let p = Pattern::new(
        1,
        vec![
            group(1, plus(Class::Digit)),
            Node::NotFollowedBy(Box::new(Node::One(Class::Char('.')))),
            Node::WordBoundary,
        ],
    );
    assert_eq!(p.match_at("12.", 0), None);
    assert_eq!(p.match_at("12 ", 0).and_then(|c| c.span(1)), Some((0, 2)));
    // ```(.*?)``` stops at the first closing fence; finditer goes on after it.
    let block = Pattern::new(
        1,
        vec![
            Node::Literal("```", false),
            group(1, lazy_star(Class::Any)),
            Node::Literal("```", false),
        ],
    );
    let text = "```a```b```c```";
    let found: Vec<_> = block
        .find_iter(text)
        .filter_map(|c| c.get(text, 1))
        .collect();
    assert_eq!(found, ["a", "c"]);
    // `$` matches before a final newline.
    let end = Pattern::new(0, vec![Node::Literal("x", false), Node::End]);
    assert!(end.match_at("x\n", 0).is_some());
    assert!(end.match_at("x\n\n", 0).is_none());
}
