//! Answer extraction, rule for rule as the reference's `eval_accuracy.py` (docs/REFERENCE.md §3.4,
//! §4.2–4.4).
//!
//! The reference's patterns are Python `re` patterns; they run here on [`crate::pyre`], which
//! has Python's character classes, case folding and backtracking order, so every match, group
//! and `finditer` step is Python's (the `regex` crate differs on `\s`, `\w`, `\b`, `\d` and the
//! case folding of `ı`/`İ`).

use std::sync::OnceLock;

use crate::pyre::{group, lazy_star, opt, plus, star, Class, Node, Pattern};

/// The compiled patterns, built once per process.
struct Patterns {
    bold: Pattern,
    gpqa_first_letter: Pattern,
    gpqa_answer: Pattern,
    gpqa_full_text: Pattern,
    aime_boxed: Pattern,
    aime_answer: Pattern,
    python_block: Pattern,
    plain_block: Pattern,
    language_tag: Pattern,
}

fn patterns() -> &'static Patterns {
    use Class::{Any, Char, Digit, LettersI, Not, NotLetterI, OneOf, Space};
    use Node::{Alt, End, Literal, NotFollowedBy, One, Seq, Start, WordBoundary};
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        // \*\*([^*]+)\*\*
        bold: Pattern::new(
            1,
            vec![
                Literal("**", false),
                group(1, plus(Not('*'))),
                Literal("**", false),
            ],
        ),
        // ^[^a-zA-Z]*([A-D])(?:[^a-zA-Z]|$), IGNORECASE
        gpqa_first_letter: Pattern::new(
            1,
            vec![
                Start,
                star(NotLetterI),
                group(1, One(LettersI('a', 'd'))),
                Alt(vec![One(NotLetterI), End]),
            ],
        ),
        // \b(?:Answer|ANSWER)\s*[:.]?\s*([A-D])\b, IGNORECASE
        gpqa_answer: Pattern::new(
            1,
            vec![
                WordBoundary,
                Alt(vec![Literal("Answer", true), Literal("ANSWER", true)]),
                star(Space),
                opt(OneOf(":.")),
                star(Space),
                group(1, One(LettersI('a', 'd'))),
                WordBoundary,
            ],
        ),
        // \b(?:ANSWER|FINAL\s*ANSWER)\b\s*[:=]?\s*(?:\(?\s*([A-D])\s*\)?)(?:\s*$|[^A-Za-z]),
        // IGNORECASE
        gpqa_full_text: Pattern::new(
            1,
            vec![
                WordBoundary,
                Alt(vec![
                    Literal("ANSWER", true),
                    Seq(vec![
                        Literal("FINAL", true),
                        star(Space),
                        Literal("ANSWER", true),
                    ]),
                ]),
                WordBoundary,
                star(Space),
                opt(OneOf(":=")),
                star(Space),
                opt(Char('(')),
                star(Space),
                group(1, One(LettersI('a', 'd'))),
                star(Space),
                opt(Char(')')),
                Alt(vec![Seq(vec![star(Space), End]), One(NotLetterI)]),
            ],
        ),
        // \\boxed{\s*(\d+)\s*}
        aime_boxed: Pattern::new(
            1,
            vec![
                Literal("\\boxed{", false),
                star(Space),
                group(1, plus(Digit)),
                star(Space),
                One(Char('}')),
            ],
        ),
        // Answer:\s*(\d+)(?!\.)\b, IGNORECASE | MULTILINE (no ^ or $, so MULTILINE is moot)
        aime_answer: Pattern::new(
            1,
            vec![
                Literal("Answer:", true),
                star(Space),
                group(1, plus(Digit)),
                NotFollowedBy(Box::new(One(Char('.')))),
                WordBoundary,
            ],
        ),
        // ```python(.*?)```, DOTALL
        python_block: Pattern::new(
            1,
            vec![
                Literal("```python", false),
                group(1, lazy_star(Any)),
                Literal("```", false),
            ],
        ),
        // ```(.*?)```, DOTALL
        plain_block: Pattern::new(
            1,
            vec![
                Literal("```", false),
                group(1, lazy_star(Any)),
                Literal("```", false),
            ],
        ),
        // ^(?:python|py)\s*\n, IGNORECASE
        language_tag: Pattern::new(
            0,
            vec![
                Start,
                Alt(vec![Literal("python", true), Literal("py", true)]),
                star(Space),
                One(Char('\n')),
            ],
        ),
    })
}

pub use crate::pyre::digit_value;
pub use ossperf_harmony::{extract_final_section, py_strip};

/// The final section when the text has one (the reference's `extract_final_section(text) !=
/// text`), else `None`.
pub fn final_section(text: &str) -> Option<&str> {
    let text = py_strip(text);
    let section = extract_final_section(text);
    (section != text).then_some(section)
}

/// The reference's `parse_multiple_choice(text, 'D')`: a letter `A`–`D`, or `None`.
pub fn parse_gpqa(text: &str) -> Option<char> {
    let p = patterns();
    let text = py_strip(text);
    if text.is_empty() {
        return None;
    }
    let section = final_section(text).unwrap_or(text);
    let section = strip_bold(&p.bold, section);
    let mut section: &str = &section;
    let bracketed = (section.starts_with("['") || section.starts_with("[\""))
        && (section.ends_with("']") || section.ends_with("\"]"));
    if bracketed {
        section = if section.len() >= 4 {
            py_strip(&section[2..section.len() - 2])
        } else {
            ""
        };
    }
    let section = unescape(section);
    let stripped = py_strip(&section);
    if let Some(caps) = p.gpqa_first_letter.match_at(stripped, 0) {
        return caps.get(stripped, 1).and_then(upper_letter);
    }
    if let Some(caps) = p.gpqa_answer.search(&section) {
        return caps.get(&section, 1).and_then(upper_letter);
    }
    let full = unescape(text);
    let last = p.gpqa_full_text.last_match(&full)?;
    last.get(&full, 1).and_then(upper_letter)
}

/// The reference's `re.sub(r'\*\*([^*]+)\*\*', r'\1', text)`.
fn strip_bold(bold: &Pattern, text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for caps in bold.find_iter(text) {
        let (Some((start, end)), Some(inner)) = (caps.span(0), caps.get(text, 1)) else {
            continue;
        };
        out.push_str(&text[copied..start]);
        out.push_str(inner);
        copied = end;
    }
    out.push_str(&text[copied..]);
    out
}

/// The reference's `replace(r'\n', '\n').replace(r"\'", "'")`.
fn unescape(text: &str) -> String {
    text.replace("\\n", "\n").replace("\\'", "'")
}

fn upper_letter(s: &str) -> Option<char> {
    s.chars().next().map(|c| c.to_ascii_uppercase())
}

/// The reference's `evaluate_multiple_choice(parsed, ground_truth, 'ABCD')` for a text ground
/// truth.
pub fn gpqa_is_correct(parsed: char, ground_truth: &str) -> bool {
    if ground_truth.is_empty() {
        return false;
    }
    let gt = ground_truth.to_uppercase();
    "ABCD".contains(parsed) && gt.chars().eq(std::iter::once(parsed))
}

/// The reference's `parse_aime_answer`: an integer in 0..=999, or `None`.
///
/// Boxed answers (`\boxed{N}`) win over `Answer: N`; the last match of the winning rule is taken
/// and there is no fallback to an earlier one.
pub fn parse_aime(text: &str) -> Option<u32> {
    let p = patterns();
    let text = py_strip(text);
    if text.is_empty() {
        return None;
    }
    let caps = p
        .aime_boxed
        .last_match(text)
        .or_else(|| p.aime_answer.last_match(text))?;
    let value = unicode_decimal(caps.get(text, 1)?)?;
    (value <= 999).then_some(value)
}

/// Python's `int()` of a run of Unicode decimal digits, capped: `None` past 999_999.
fn unicode_decimal(digits: &str) -> Option<u32> {
    let mut value: u32 = 0;
    for c in digits.chars() {
        value = value.checked_mul(10)?.checked_add(digit_value(c)?)?;
        if value > 999_999 {
            return None;
        }
    }
    Some(value)
}

/// The reference's `evaluate_aime` for a text ground truth: `int(parsed) == int(ground_truth)`,
/// where the ground truth follows Python's `int()` (surrounding whitespace, a sign and `_`
/// between digits are allowed; `"70.0"` is not a number).
pub fn aime_is_correct(parsed: u32, ground_truth: &str) -> bool {
    py_int(ground_truth) == Some(i64::from(parsed))
}

fn py_int(text: &str) -> Option<i64> {
    let t = py_strip(text);
    let (negative, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() || body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return None;
    }
    let mut value: i64 = 0;
    for c in body.chars().filter(|&c| c != '_') {
        value = value
            .checked_mul(10)?
            .checked_add(i64::from(digit_value(c)?))?;
    }
    Some(if negative { -value } else { value })
}

/// The reference's `parse_code`: the code to run for a LiveCodeBench answer, or `None`.
///
/// The final channel is searched first; the whole text is the fallback when there is no final
/// channel or it holds no code block. A ```` ```python ```` block wins over a plain one; the last
/// block of the winning kind is taken.
pub fn parse_code(text: &str) -> Option<String> {
    let text = py_strip(text);
    if text.is_empty() {
        return None;
    }
    if let Some(section) = final_section(text).filter(|s| *s != text) {
        if let Some(code) = code_block(section) {
            return Some(code);
        }
    }
    code_block(text)
}

fn code_block(text: &str) -> Option<String> {
    let p = patterns();
    if let Some(caps) = p.python_block.last_match(text) {
        return caps.get(text, 1).map(|m| py_strip(m).to_owned());
    }
    let caps = p.plain_block.last_match(text)?;
    let code = py_strip(caps.get(text, 1)?);
    let tag_end = p
        .language_tag
        .match_at(code, 0)
        .and_then(|c| c.span(0))
        .map_or(0, |(_, end)| end);
    Some(code[tag_end..].to_owned())
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
