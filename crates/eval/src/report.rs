//! The score as the reference prints it (docs/REFERENCE.md §4.7) and as its `--output-file` JSON.
//!
//! The last lines are the contract: `'exact_match': PP.PPP` for the submission checker and
//! `hash=<sha256>` of the log. An incomplete score prints neither the line nor a number that
//! could pass for one.

use std::io::{self, Write};

use serde_json::{json, Value};

use crate::score::{percent, repeats_of, Score, DATASET_REPEATS};

const RULE: &str =
    "================================================================================";
const THIN: &str =
    "--------------------------------------------------------------------------------";

/// Writes the human-readable report, ending with the submission checker's line.
pub fn write_text(score: &Score, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{RULE}\nMLPerf Accuracy Evaluation Results\n{RULE}")?;
    writeln!(out, "Total samples evaluated: {}", score.total_samples())?;
    writeln!(
        out,
        "Overall raw accuracy: {:.2}% ({}/{})",
        score.overall_accuracy(),
        score.total_correct(),
        score.total_samples()
    )?;
    if !score.skipped_out_of_range.is_empty() {
        let first: Vec<String> = score
            .skipped_out_of_range
            .iter()
            .take(5)
            .map(u64::to_string)
            .collect();
        writeln!(
            out,
            "Skipped entries: {} (qsl_idx past the reference data: {}{})",
            score.skipped_out_of_range.len(),
            first.join(", "),
            if score.skipped_out_of_range.len() > 5 {
                ", ..."
            } else {
                ""
            }
        )?;
    }
    for (name, n) in &score.skipped_unscored {
        writeln!(
            out,
            "Skipped entries: {n} of dataset `{name}` (no evaluator)"
        )?;
    }
    writeln!(out, "{RULE}\n\nPer-Dataset Breakdown:\n{THIN}")?;
    writeln!(
        out,
        "{:25} {:>8} {:>8} {:>8} {:>10} {:>10}\n{THIN}",
        "Dataset", "Correct", "Total", "Repeats", "Score", "Accuracy"
    )?;
    for (name, c) in &score.per_dataset {
        let r = repeats_of(name);
        let acc = percent(c.correct, c.total);
        writeln!(
            out,
            "{name:25} {:8} {:8} {r:8} {:10.2} {acc:9.2}%",
            c.correct,
            c.total,
            c.correct as f64 / r as f64
        )?;
    }
    writeln!(out, "{RULE}\n\nFinal Score Calculation:\n{THIN}")?;
    let parts = |f: &dyn Fn(&str, u64, u64) -> String| -> String {
        let v: Vec<String> = score
            .per_dataset
            .iter()
            .map(|(n, c)| f(n, c.correct, c.total))
            .collect();
        v.join(" + ")
    };
    writeln!(
        out,
        "Formula: {}",
        parts(&|n, _, _| format!("{n}/{}", repeats_of(n)))
    )?;
    writeln!(
        out,
        "Score:   = {}",
        parts(&|n, c, _| format!("{c}/{}", repeats_of(n)))
    )?;
    writeln!(
        out,
        "         = {}",
        parts(&|n, c, _| format!("{:.2}", c as f64 / repeats_of(n) as f64))
    )?;
    writeln!(out, "         = {:.2}", score.final_score())?;
    writeln!(
        out,
        "Max:     = {}",
        parts(&|n, _, t| format!("{t}/{}", repeats_of(n)))
    )?;
    writeln!(out, "         = {:.2}", score.max_score())?;
    writeln!(
        out,
        "\nFINAL SCORE: {:.2}% ({:.2}/{:.2})\n{RULE}",
        score.percentage(),
        score.final_score(),
        score.max_score()
    )?;
    if score.lcb_overruns > 0 {
        writeln!(
            out,
            "Note: {} LiveCodeBench item(s) hit the whole-item time limit and were scored as \
             failures (the reference would have aborted)",
            score.lcb_overruns
        )?;
    }
    match score.exact_match_line() {
        Some(line) => writeln!(out, "\n\nPrinting for submission_checker:\n\n{line}")?,
        None => writeln!(
            out,
            "\nSCORE INCOMPLETE: {} LiveCodeBench entries were not evaluable ({}); no \
             exact_match line is printed",
            score.not_evaluable,
            score
                .not_evaluable_reason
                .as_deref()
                .unwrap_or("unknown reason")
        )?,
    }
    writeln!(out, "hash={}", score.log_sha256)
}

/// The reference's `--output-file` JSON: `summary` and `detailed_results` (null unless per-entry
/// results were kept), plus `complete`, `not_evaluable`, `skipped` and `log_sha256`.
pub fn to_json(score: &Score) -> Value {
    let per_dataset: serde_json::Map<String, Value> = score
        .per_dataset
        .iter()
        .map(|(name, c)| {
            let r = repeats_of(name);
            let acc = percent(c.correct, c.total);
            let v = json!({
                "correct": c.correct,
                "total": c.total,
                "accuracy": acc,
                "repeats": r,
                "component_score": c.correct as f64 / r as f64,
                "max_component_score": c.total as f64 / r as f64,
            });
            (name.clone(), v)
        })
        .collect();
    let repeats: serde_json::Map<String, Value> = DATASET_REPEATS
        .iter()
        .map(|(n, r)| ((*n).to_owned(), json!(r)))
        .collect();
    json!({
        "summary": {
            "total_samples": score.total_samples(),
            "total_correct": score.total_correct(),
            "overall_accuracy": score.overall_accuracy(),
            "final_score": score.final_score(),
            "max_score": score.max_score(),
            "final_score_percentage": score.percentage(),
            "dataset_repeats": repeats,
            "per_dataset": per_dataset,
            "complete": score.is_complete(),
            "not_evaluable": score.not_evaluable,
            "skipped_out_of_range": score.skipped_out_of_range.len(),
            "skipped_unscored": score.skipped_unscored,
            "lcb_overruns": score.lcb_overruns,
            "log_sha256": score.log_sha256,
        },
        "detailed_results": if score.details.is_empty() { Value::Null } else { json!(score.details) },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DatasetCount;

    #[test]
    fn the_text_report_ends_with_the_checker_line_and_the_hash() {
        let mut score = Score::default();
        score.per_dataset.insert(
            "aime25".into(),
            DatasetCount {
                correct: 6,
                total: 8,
            },
        );
        score.per_dataset.insert(
            "gpqa_diamond".into(),
            DatasetCount {
                correct: 3,
                total: 5,
            },
        );
        score.log_sha256 = "ab".repeat(32);
        let mut out = Vec::new();
        write_text(&score, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let tail: Vec<&str> = text.lines().rev().take(4).collect();
        assert_eq!(
            tail,
            vec![
                format!("hash={}", "ab".repeat(32)).as_str(),
                "'exact_match': 67.500",
                "",
                "Printing for submission_checker:"
            ]
        );
        assert!(
            text.contains(
                "aime25                           6        8        8       0.75     75.00%\n"
            ),
            "{text}"
        );
        assert!(text.contains("FINAL SCORE: 67.50% (1.35/2.00)\n"), "{text}");
    }

    #[test]
    fn an_incomplete_score_says_so_instead_of_printing_a_number() {
        let mut score = Score::default();
        score.per_dataset.insert(
            "livecodebench_v6".into(),
            DatasetCount {
                correct: 0,
                total: 3,
            },
        );
        score.not_evaluable = 3;
        score.not_evaluable_reason = Some("python3 not found at `/nope`".into());
        let mut out = Vec::new();
        write_text(&score, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.contains("'exact_match'"));
        assert!(text.contains("SCORE INCOMPLETE: 3 LiveCodeBench entries were not evaluable (python3 not found at `/nope`)"));
        assert_eq!(to_json(&score)["summary"]["complete"], json!(false));
    }
}
