//! Answer extraction, rule for rule as the reference's `eval_accuracy.py` (accuracy-spec §3.4,
//! §4.2–4.4).
//!
//! The reference is Python `re`; these are the same patterns in the `regex` crate, whose
//! leftmost-first, non-overlapping `find_iter` with Unicode `\d`, `\s` and `\b` gives the same
//! matches. Where Python needs backtracking (AIME's `(?!\.)\b`) the check is done by hand after
//! the match, which is exact because a digit run can never be shortened into a word boundary.

use std::sync::OnceLock;

use regex::Regex;

/// The compiled patterns, built once per process.
struct Patterns {
    bold: Regex,
    gpqa_first_letter: Regex,
    gpqa_answer: Regex,
    gpqa_full_text: Regex,
    aime_boxed: Regex,
    aime_answer: Regex,
    python_block: Regex,
    plain_block: Regex,
    language_tag: Regex,
    one_digit: Regex,
}

fn compile(pattern: &str) -> Regex {
    match Regex::new(pattern) {
        Ok(re) => re,
        // The patterns are constants; the unit tests compile every one of them.
        Err(err) => panic!("built-in pattern `{pattern}` does not compile: {err}"),
    }
}

fn patterns() -> &'static Patterns {
    static PATTERNS: OnceLock<Patterns> = OnceLock::new();
    PATTERNS.get_or_init(|| Patterns {
        bold: compile(r"\*\*([^*]+)\*\*"),
        gpqa_first_letter: compile(r"(?i)^[^a-zA-Z]*([A-D])(?:[^a-zA-Z]|$)"),
        gpqa_answer: compile(r"(?i)\b(?:Answer|ANSWER)\s*[:.]?\s*([A-D])\b"),
        gpqa_full_text: compile(
            r"(?i)\b(?:ANSWER|FINAL\s*ANSWER)\b\s*[:=]?\s*(?:\(?\s*([A-D])\s*\)?)(?:\s*$|[^A-Za-z])",
        ),
        aime_boxed: compile(r"\\boxed\{\s*(\d+)\s*\}"),
        aime_answer: compile(r"(?im)Answer:\s*(\d+)"),
        python_block: compile(r"(?s)```python(.*?)```"),
        plain_block: compile(r"(?s)```(.*?)```"),
        language_tag: compile(r"(?i)^(?:python|py)\s*\n"),
        one_digit: compile(r"^\d$"),
    })
}

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
    let section = p.bold.replace_all(section, "$1");
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
    if let Some(caps) = p.gpqa_first_letter.captures(py_strip(&section)) {
        return caps.get(1).and_then(|m| upper_letter(m.as_str()));
    }
    if let Some(caps) = p.gpqa_answer.captures(&section) {
        return caps.get(1).and_then(|m| upper_letter(m.as_str()));
    }
    let full = unescape(text);
    let last = p.gpqa_full_text.captures_iter(&full).last()?;
    last.get(1).and_then(|m| upper_letter(m.as_str()))
}

/// The reference's `replace(r'\n', '\n').replace(r"\'", "'")`.
fn unescape(text: &str) -> String {
    text.replace("\\n", "\n").replace("\\'", "'")
}

fn upper_letter(s: &str) -> Option<char> {
    s.chars().next().map(|c| c.to_ascii_uppercase())
}

/// The reference's `evaluate_multiple_choice(parsed, ground_truth, 'ABCD')`.
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
    let digits = match p.aime_boxed.captures_iter(text).last() {
        Some(caps) => caps.get(1)?.as_str(),
        None => {
            let valid = p.aime_answer.captures_iter(text).filter_map(|caps| {
                let whole = caps.get(0)?;
                let next = text[whole.end()..].chars().next();
                let ends_word = match next {
                    None => true,
                    Some(c) => c != '.' && !(c.is_alphanumeric() || c == '_'),
                };
                ends_word.then(|| caps.get(1)).flatten()
            });
            valid.last()?.as_str()
        }
    };
    let value = unicode_decimal(digits)?;
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

/// The value of one Unicode decimal digit. Decimal digits come in runs of ten consecutive code
/// points starting at zero (several runs may abut), so the value is the offset from the start of
/// the run, modulo ten.
fn digit_value(c: char) -> Option<u32> {
    if let Some(d) = c.to_digit(10) {
        return Some(d);
    }
    let is_digit = |cp: u32| {
        char::from_u32(cp)
            .is_some_and(|ch| patterns().one_digit.is_match(ch.encode_utf8(&mut [0; 4])))
    };
    let cp = c as u32;
    if !is_digit(cp) {
        return None;
    }
    let mut start = cp;
    while start > 0 && is_digit(start - 1) {
        start -= 1;
    }
    Some((cp - start) % 10)
}

/// The reference's `evaluate_aime`: `int(parsed) == int(ground_truth)`, where the ground truth
/// follows Python's `int()` (surrounding whitespace, a sign and `_` between digits are allowed;
/// `"70.0"` is not a number).
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
    if let Some(caps) = p.python_block.captures_iter(text).last() {
        return caps.get(1).map(|m| py_strip(m.as_str()).to_owned());
    }
    let caps = p.plain_block.captures_iter(text).last()?;
    let code = py_strip(caps.get(1)?.as_str());
    Some(p.language_tag.replace(code, "").into_owned())
}

#[cfg(test)]
#[path = "extract_tests.rs"]
mod tests;
