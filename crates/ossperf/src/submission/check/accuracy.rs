//! The checker's accuracy checks (`checks/accuracy_check.py`, `AccuracyCheck`) on `accuracy/`.

use serde_json::Value;

use super::{first, read_log, Findings, Scenario};
use crate::submission::layout::{ACCURACY_LOG, ACCURACY_TXT, DETAIL};
use crate::submission::truncate::{hash_of_line, text_lines, MAX_ACCURACY_LOG_SIZE};
use crate::submittable::ACCURACY_SAMPLE_COUNT;

/// `accuracy-upper-limit["gpt-oss-120b"]`: `TOKENS_PER_SAMPLE`, when such a line is there.
const TOKENS_PER_SAMPLE_LIMIT: f64 = 1.1 * 9999.0;

/// The number after `'<name>':` and one whitespace character, as `ACC_PATTERN`'s
/// `.*'<name>':\s([\d.]+).*` matches a line (the greedy `.*` takes the last such place).
pub(crate) fn pattern_value(line: &str, name: &str) -> Option<String> {
    let line = line.split('\n').next().unwrap_or("");
    let marker = format!("'{name}':");
    let mut found = None;
    for (at, _) in line.match_indices(&marker) {
        let rest = &line[at + marker.len()..];
        let mut chars = rest.chars();
        if !chars.next().is_some_and(char::is_whitespace) {
            continue;
        }
        let digits: String = chars
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        if !digits.is_empty() {
            found = Some(digits);
        }
    }
    found
}

pub(super) fn check(findings: &mut Findings, s: &Scenario<'_>) {
    let dir = s.dir.accuracy();
    let Some(log) = read_log(findings, "accuracy.missing", &dir.join(DETAIL)) else {
        return;
    };
    result_check(findings, s, &dir.join(ACCURACY_TXT));

    let json = dir.join(ACCURACY_LOG);
    match std::fs::metadata(&json) {
        Err(_) => findings.checker("accuracy.json", &json, "is missing".into()),
        Ok(m) if m.len() > MAX_ACCURACY_LOG_SIZE => findings.checker(
            "accuracy.json",
            &json,
            format!(
                "is {} bytes; the checker takes at most {MAX_ACCURACY_LOG_SIZE} (the log truncated as `truncate_accuracy_log.py` does)",
                m.len()
            ),
        ),
        Ok(_) => {}
    }

    if log.errors > 0 {
        findings.checker(
            "accuracy.loadgen_errors",
            &dir.join(DETAIL),
            format!("LoadGen logged {} error(s) in the accuracy run", log.errors),
        );
    }

    let key = if first(&log, "effective_accuracy_sample_count").is_some() {
        "effective_accuracy_sample_count"
    } else {
        "qsl_reported_total_count"
    };
    let count = first(&log, key).and_then(Value::as_u64);
    if count != Some(ACCURACY_SAMPLE_COUNT) {
        let found = count.map_or("absent".to_string(), |c| c.to_string());
        findings.checker(
            "accuracy.sample_count",
            &dir.join(DETAIL),
            format!("`{key}` is {found}; the accuracy run must cover the {ACCURACY_SAMPLE_COUNT} samples of the dataset"),
        );
    }
}

/// `accuracy_result_check`: `'exact_match': X` at or above the target, no
/// `'tokens_per_sample'` above its limit, and a hash line; lines after the first passing score
/// and hash are not read, as in the checker.
fn result_check(findings: &mut Findings, s: &Scenario<'_>, path: &std::path::Path) {
    let Ok(text) = std::fs::read_to_string(path) else {
        findings.checker("accuracy.result", path, "is missing".into());
        return;
    };
    let target = ossperf_eval::ACCURACY_TARGET;
    let mut seen = false;
    let mut below = false;
    let mut hash = false;
    for line in &text_lines(&text) {
        if let Some(value) = pattern_value(line, "exact_match") {
            match value.parse::<f64>() {
                Ok(v) if v >= target => seen = true,
                _ => {
                    below = true;
                    if s.division != "open" {
                        findings.checker(
                            "accuracy.result",
                            path,
                            format!("exact_match {value} is below the target {target} (99% of the reference 83.13)"),
                        );
                    }
                }
            }
        }
        hash |= hash_of_line(line).is_some();
        if let Some(value) = pattern_value(line, "tokens_per_sample") {
            let above = value
                .parse::<f64>()
                .map_or(true, |v| v > TOKENS_PER_SAMPLE_LIMIT);
            if above && s.division != "open" {
                findings.checker(
                    "accuracy.upper_limit",
                    path,
                    format!(
                        "tokens_per_sample {value} is above the limit {TOKENS_PER_SAMPLE_LIMIT}"
                    ),
                );
            }
        }
        if seen && hash {
            break;
        }
    }
    if s.division == "open" {
        return;
    }
    if !seen && !below {
        findings.checker(
            "accuracy.result",
            path,
            "has no `'exact_match': X` line (the score's line for the checker)".into(),
        );
    }
    if !hash {
        findings.checker(
            "accuracy.hash",
            path,
            "has no hash line (`hash=` and the accuracy log's SHA-256, as `truncate_accuracy_log.py` writes it)".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_line_is_found_as_the_checker_pattern_finds_it() {
        assert_eq!(
            pattern_value("'exact_match': 90.859\n", "exact_match").as_deref(),
            Some("90.859")
        );
        assert_eq!(
            pattern_value("{'exact_match': 1.5, 'x': 2}", "exact_match").as_deref(),
            Some("1.5")
        );
        assert_eq!(pattern_value("'exact_match':90.8", "exact_match"), None);
        assert_eq!(
            pattern_value("PASS: exact_match 90.859 >= 82.29", "exact_match"),
            None
        );
    }
}
