//! `ossperf eval`: score an accuracy log the way the reference's `eval_mlperf_accuracy.py` does,
//! with the same flags, and print the line the submission checker reads.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use ossperf_dataset::ReferenceValue;
use ossperf_eval::lcb::{environment, sandbox, LcbOptions, SandboxConfig};
use ossperf_eval::{report, score_log, EvalOptions, GroundTruth, ReferenceRow, Score};

use crate::cli::eval::EvalArgs;
use crate::output;

/// Reads the reference data into scoring rows as the reference's scorer does: only the
/// `dataset` and `ground_truth` columns are needed, and a ground truth keeps its type.
pub(crate) fn load_reference(path: &Path) -> anyhow::Result<Vec<ReferenceRow>> {
    if !path.exists() {
        anyhow::bail!(
            "the reference data `{}` does not exist; a run on the bundled sample is scored \
             against `data/sample.parquet`",
            path.display()
        );
    }
    let columns = ossperf_dataset::read_reference(path)
        .with_context(|| format!("cannot read the reference data `{}`", path.display()))?;
    Ok(columns
        .datasets
        .into_iter()
        .zip(columns.ground_truths)
        .map(|(dataset, truth)| ReferenceRow {
            dataset: dataset.unwrap_or_default(),
            ground_truth: match truth {
                ReferenceValue::Missing => None,
                ReferenceValue::Text(s) => Some(GroundTruth::Text(s)),
                ReferenceValue::Int(n) => Some(GroundTruth::Int(n)),
                ReferenceValue::Float(f) => GroundTruth::float(f),
            },
        })
        .collect())
}

/// Scoring options from the command line.
pub(crate) fn options(args: &EvalArgs) -> EvalOptions {
    let sandbox = SandboxConfig {
        memory_bytes: args.lcb_memory_mb.saturating_mul(1 << 20),
        python: sandbox::resolve_python(&args.python),
        ..SandboxConfig::default()
    };
    EvalOptions {
        lcb_tests: args.lcb_tests.clone(),
        lcb: LcbOptions {
            workers: args.num_lcb_workers,
            per_test_timeout: Duration::from_secs(args.lcb_timeout.max(1)),
            sandbox,
        },
        keep_details: args.verbose || args.save_outputs.is_some(),
        skip_unscored_datasets: args.skip_unscored_datasets,
    }
}

/// The flag that gets past an error, for the errors a first try on the bundled sample meets.
fn hint(err: &ossperf_eval::Error) -> &'static str {
    match err {
        ossperf_eval::Error::UnknownDataset { .. } => {
            "; pass `--skip-unscored-datasets` to skip (and count) its entries, as the bundled \
             sample's `pubmed_summarization` rows need"
        }
        ossperf_eval::Error::LcbTestsNeeded { .. } => {
            "; the bundled sample's are in `data/sample_lcb_tests.jsonl`"
        }
        _ => "",
    }
}

/// Runs `ossperf eval`: exit 0 with a complete score, 1 when entries were not evaluable.
pub(crate) fn run(args: EvalArgs) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.save_outputs {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ["pkl", "pickle"].contains(&ext.to_ascii_lowercase().as_str()) {
            anyhow::bail!(
                "`--save-outputs {}` would be JSON Lines in a file named like a pickle; name it \
                 `.jsonl` (ossperf writes per-entry results as JSON Lines, not pandas pickles)",
                path.display()
            );
        }
    }
    let reference = load_reference(&args.reference_data)?;
    let options = options(&args);
    if options.lcb_tests.is_some() {
        // Before scoring: what the interpreter lacks against the reference's environment (a
        // sandbox that cannot start is reported by the scorer itself).
        let python = &options.lcb.sandbox.python;
        if let Ok(env) = environment::inspect(&options.lcb.sandbox) {
            for line in environment::notes(python, &env) {
                output::warn(&line);
            }
        }
    }
    let mut score = score_log(&args.mlperf_log, &reference, &options)
        .map_err(|e| anyhow::anyhow!("{e}{}", hint(&e)))
        .with_context(|| format!("cannot score `{}`", args.mlperf_log.display()))?;
    // Deviation, on purpose: the reference prints a score of 0.00% and exits 0.
    anyhow::ensure!(
        score.entries_read > 0,
        "accuracy log `{}` has no entries: it comes from a performance-mode run; score the log \
         of a run with `--mode accuracy`",
        args.mlperf_log.display()
    );
    for qsl in score.skipped_out_of_range.iter().take(5) {
        output::warn(&format!(
            "qsl_idx {qsl} out of range (the reference data has {} rows); entry skipped",
            reference.len()
        ));
    }
    let mut text = Vec::new();
    report::write_text(&score, &mut text)?;
    for line in String::from_utf8_lossy(&text).lines() {
        output::data(line);
    }
    if let Some(path) = &args.save_outputs {
        write_outputs(path, &score)?;
    }
    if !args.verbose {
        score.details.clear();
    }
    if let Some(path) = &args.output_file {
        let json = serde_json::to_string_pretty(&report::to_json(&score))?;
        std::fs::write(path, json).with_context(|| format!("cannot write `{}`", path.display()))?;
    }
    output::data(&score.verdict_line());
    if let Some(reason) = &score.not_evaluable_reason {
        output::error(&format!("score incomplete: {reason}"));
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

fn write_outputs(path: &Path, score: &Score) -> anyhow::Result<()> {
    use std::io::Write as _;
    let mut sorted: Vec<_> = score.details.iter().collect();
    sorted.sort_by_key(|d| d.qsl_idx);
    let file = std::fs::File::create(path)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    let mut out = std::io::BufWriter::new(file);
    for d in sorted {
        serde_json::to_writer(&mut out, d)?;
        out.write_all(b"\n")?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_data_without_ground_truth_is_refused_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.jsonl");
        std::fs::write(
            &path,
            "{\"input_tokens\": [1, 2], \"dataset\": \"aime25\"}\n",
        )
        .unwrap();
        let err = format!("{:#}", load_reference(&path).unwrap_err());
        assert_eq!(
            err,
            format!(
                "cannot read the reference data `{0}`: `{0}` has no `ground_truth` column",
                path.display()
            )
        );
    }

    #[test]
    fn reference_data_needs_no_token_column_and_keeps_number_types() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.jsonl");
        std::fs::write(
            &path,
            "{\"dataset\": \"aime25\", \"ground_truth\": 70.0}\n\
             {\"dataset\": \"aime25\", \"ground_truth\": 7}\n\
             {\"dataset\": \"gpqa_diamond\", \"ground_truth\": \"B\"}\n",
        )
        .unwrap();
        let truths: Vec<_> = load_reference(&path)
            .unwrap()
            .into_iter()
            .map(|r| r.ground_truth)
            .collect();
        assert_eq!(
            truths,
            [
                Some(GroundTruth::Float(70.0)),
                Some(GroundTruth::Int(7)),
                Some(GroundTruth::Text("B".into()))
            ]
        );
    }

    #[test]
    fn reference_rows_keep_file_order_and_null_ground_truths() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ref.jsonl");
        std::fs::write(
            &path,
            "{\"input_tokens\": [1], \"dataset\": \"aime25\", \"ground_truth\": \"7\"}\n\
             {\"input_tokens\": [2], \"dataset\": \"gpqa_diamond\", \"ground_truth\": null}\n",
        )
        .unwrap();
        let rows = load_reference(&path).unwrap();
        assert_eq!(
            rows,
            vec![
                ReferenceRow {
                    dataset: "aime25".into(),
                    ground_truth: Some("7".into())
                },
                ReferenceRow {
                    dataset: "gpqa_diamond".into(),
                    ground_truth: None
                },
            ]
        );
    }

    #[test]
    fn an_accuracy_log_with_no_entries_is_an_error_not_a_zero_score() {
        let dir = tempfile::tempdir().unwrap();
        let reference = dir.path().join("ref.jsonl");
        std::fs::write(
            &reference,
            "{\"input_tokens\": [1], \"dataset\": \"aime25\", \"ground_truth\": \"7\"}\n",
        )
        .unwrap();
        let log = dir.path().join("mlperf_log_accuracy.json");
        std::fs::write(&log, "[\n]\n").unwrap();
        let args = EvalArgs {
            mlperf_log: log.clone(),
            reference_data: reference,
            lcb_tests: None,
            output_file: None,
            save_outputs: None,
            num_lcb_workers: 1,
            lcb_timeout: 60,
            lcb_memory_mb: 4096,
            python: "python3".into(),
            tokenizer: None,
            verbose: false,
            skip_unscored_datasets: false,
        };
        let err = run(args).unwrap_err().to_string();
        assert_eq!(
            err,
            format!(
                "accuracy log `{}` has no entries: it comes from a performance-mode run; score \
                 the log of a run with `--mode accuracy`",
                log.display()
            )
        );
    }
}
