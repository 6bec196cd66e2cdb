//! Scoring one accuracy log against its reference data (docs/REFERENCE.md §3, §4.1, §4.6).
//!
//! One streaming pass decodes each entry, extracts and grades AIME and GPQA answers at once and
//! keeps only the extracted code of LiveCodeBench entries; those run afterwards in the sandbox
//! pool. Nothing of the log is held beyond the entry being read.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use crate::extract::{
    aime_is_correct, gpqa_is_correct, parse_aime, parse_code, parse_gpqa, py_strip,
};
use crate::lcb::{self, LcbJob, LcbOptions};
use crate::log::{decode_tokens, for_each_entry, LogEntry};
use crate::score::{route, DatasetCount, EntryResult, Evaluator, GroundTruth, ReferenceRow, Score};
use crate::Error;

/// How to score.
#[derive(Debug, Clone, Default)]
pub struct EvalOptions {
    /// LiveCodeBench `release_v6` test files (a `.jsonl` file or a directory of them).
    pub lcb_tests: Option<PathBuf>,
    /// How LiveCodeBench items run.
    pub lcb: LcbOptions,
    /// Keep per-entry results in [`Score::details`].
    pub keep_details: bool,
    /// Skip (and count in [`Score::skipped_unscored`]) entries whose sub-dataset has no
    /// evaluator, such as `pubmed_summarization`, instead of stopping as the reference does.
    pub skip_unscored_datasets: bool,
}

/// The state of one pass over a log.
struct Pass<'a> {
    log: &'a Path,
    reference: &'a [ReferenceRow],
    options: &'a EvalOptions,
    score: Score,
    /// One result per scored entry, in log order; LiveCodeBench ones are completed later.
    results: Vec<EntryResult>,
    /// LiveCodeBench programs to run, with the index of their result.
    jobs: Vec<(usize, LcbJob)>,
    routes: BTreeMap<String, Evaluator>,
    ids: Vec<u32>,
    bytes: Vec<u8>,
}

/// Scores the accuracy log at `log` against `reference` (row `i` is QSL index `i`).
///
/// Entries past the reference are skipped and listed, as the reference does. Malformed JSON,
/// `data` that is not whole int32 tokens, unknown token ids and unroutable dataset names are
/// errors (the reference aborts on them too). When python3 or the sandbox is unavailable,
/// LiveCodeBench entries are counted in [`Score::not_evaluable`] and the score is incomplete.
pub fn score_log(
    log: &Path,
    reference: &[ReferenceRow],
    options: &EvalOptions,
) -> Result<Score, Error> {
    let mut pass = Pass {
        log,
        reference,
        options,
        score: Score::default(),
        results: Vec::new(),
        jobs: Vec::new(),
        routes: BTreeMap::new(),
        ids: Vec::new(),
        bytes: Vec::new(),
    };
    let read = for_each_entry(log, |entry_no, entry| pass.entry(entry_no, &entry))?;
    let Pass {
        mut score,
        mut results,
        jobs,
        ..
    } = pass;
    score.entries_read = read.entries;
    score.log_sha256 = read.sha256;
    run_lcb(&mut results, jobs, options, &mut score)?;
    for result in results {
        let count: &mut DatasetCount = score.per_dataset.entry(result.dataset.clone()).or_default();
        count.total += 1;
        count.correct += u64::from(result.is_correct);
        if options.keep_details {
            score.details.push(result);
        }
    }
    Ok(score)
}

impl Pass<'_> {
    /// The evaluator of a lower-cased dataset name; `None` to skip the entry.
    fn evaluator(&mut self, dataset: &str) -> Result<Option<Evaluator>, Error> {
        if let Some(e) = self.routes.get(dataset) {
            return Ok(Some(*e));
        }
        match route(dataset) {
            Ok(e) => {
                self.routes.insert(dataset.to_owned(), e);
                Ok(Some(e))
            }
            Err(Error::UnknownDataset { .. }) if self.options.skip_unscored_datasets => {
                let skipped = self.score.skipped_unscored.entry(dataset.to_owned());
                *skipped.or_default() += 1;
                Ok(None)
            }
            Err(err) => Err(err),
        }
    }

    fn entry(&mut self, entry_no: usize, entry: &LogEntry) -> Result<(), Error> {
        let row = usize::try_from(entry.qsl_idx)
            .ok()
            .and_then(|i| self.reference.get(i));
        let Some(row) = row else {
            self.score.skipped_out_of_range.push(entry.qsl_idx);
            return Ok(());
        };
        let dataset = row.dataset.to_lowercase();
        let Some(evaluator) = self.evaluator(&dataset)? else {
            return Ok(());
        };
        let (log, qsl_idx) = (self.log, entry.qsl_idx);
        decode_tokens(&entry.data, &mut self.ids).map_err(|cause| Error::BadData {
            path: log.to_owned(),
            entry: entry_no,
            qsl_idx,
            cause,
        })?;
        self.bytes.clear();
        ossperf_harmony::tokenizer().decode_into_like_hf(&self.ids, &mut self.bytes);
        let decoded = String::from_utf8_lossy(&self.bytes);
        let text = py_strip(&decoded);
        let gt = row.ground_truth.as_ref();
        let (is_correct, extracted, details) = match evaluator {
            Evaluator::Gpqa => grade(parse_gpqa(text).map(String::from), gt, gpqa_verdict),
            Evaluator::Aime => grade(parse_aime(text).map(|v| v.to_string()), gt, aime_verdict),
            Evaluator::LiveCodeBench => {
                let code = parse_code(text);
                let details = lcb_details(code.as_deref(), gt);
                if let (Some(c), Some(q), None) =
                    (&code, gt.and_then(GroundTruth::as_text), &details)
                {
                    let job = LcbJob {
                        question_id: q.to_owned(),
                        code: c.clone(),
                    };
                    self.jobs.push((self.results.len(), job));
                }
                let shown = code.map(|c| c.chars().take(200).collect());
                (false, shown, details.unwrap_or_default())
            }
        };
        self.results.push(EntryResult {
            seq_id: entry.seq_id,
            qsl_idx,
            dataset,
            is_correct,
            extracted_answer: extracted,
            ground_truth: gt.map(GroundTruth::to_string),
            evaluation_details: details,
            token_count: self.ids.len(),
            // The reference previews the decoded output before stripping.
            model_output_preview: decoded.chars().take(200).collect(),
        });
        Ok(())
    }
}

/// Why a LiveCodeBench entry is not run (the reference's messages), or `None` when it is.
/// A numeric question id is never in the benchmark (its keys are strings); zero is falsy.
fn lcb_details(code: Option<&str>, ground_truth: Option<&GroundTruth>) -> Option<String> {
    let empty = "No code or question_id provided".to_owned();
    match (code, ground_truth) {
        (None, _) => Some("No code extracted from model output".to_owned()),
        (Some(_), None) => Some("No ground truth available".to_owned()),
        (Some(""), Some(_)) => Some(empty),
        (Some(_), Some(g)) => match g {
            GroundTruth::Text(q) if q.is_empty() => Some(empty),
            GroundTruth::Text(_) => None,
            GroundTruth::Int(0) => Some(empty),
            GroundTruth::Float(x) if *x == 0.0 => Some(empty),
            other => Some(format!("Question ID '{other}' not found in benchmark")),
        },
    }
}

/// The reference's `evaluate_multiple_choice(parsed, ground_truth, 'ABCD')`: a falsy ground
/// truth is wrong, a number raises on `.upper()`.
fn gpqa_verdict(parsed: &str, ground_truth: &GroundTruth) -> Result<bool, String> {
    let Some(letter) = parsed.chars().next() else {
        return Ok(false);
    };
    match ground_truth {
        GroundTruth::Text(g) => Ok(gpqa_is_correct(letter, g)),
        GroundTruth::Int(0) => Ok(false),
        GroundTruth::Float(x) if *x == 0.0 => Ok(false),
        other => Err(format!(
            "'{}' object has no attribute 'upper'",
            other.numpy_type()
        )),
    }
}

/// The reference's `evaluate_aime`: `int(parsed) == int(ground_truth)`; `int()` truncates a
/// float, and an infinite one raises `OverflowError`, which `evaluate_aime` does not catch.
fn aime_verdict(parsed: &str, ground_truth: &GroundTruth) -> Result<bool, String> {
    let Ok(value) = parsed.parse::<u32>() else {
        return Ok(false);
    };
    match ground_truth {
        GroundTruth::Text(g) => Ok(aime_is_correct(value, g)),
        GroundTruth::Int(n) => Ok(*n == i64::from(value)),
        GroundTruth::Float(x) if x.is_infinite() => {
            Err("cannot convert float infinity to integer".to_owned())
        }
        GroundTruth::Float(x) => Ok(x.trunc() == f64::from(value)),
    }
}

/// The reference's `evaluate_single_entry` outcome for a parsed answer.
fn grade(
    parsed: Option<String>,
    ground_truth: Option<&GroundTruth>,
    verdict: impl Fn(&str, &GroundTruth) -> Result<bool, String>,
) -> (bool, Option<String>, String) {
    match (parsed, ground_truth) {
        (None, _) => (
            false,
            None,
            "No answer extracted from model output".to_owned(),
        ),
        (Some(p), None) => (false, Some(p), "No ground truth available".to_owned()),
        (Some(p), Some(g)) => match verdict(&p, g) {
            Ok(true) => (true, Some(p), "Correct".to_owned()),
            Ok(false) => {
                let details = format!("Incorrect (extracted: {p}, ground_truth: {g})");
                (false, Some(p), details)
            }
            Err(error) => (false, Some(p), format!("Evaluation error: {error}")),
        },
    }
}

fn run_lcb(
    results: &mut [EntryResult],
    jobs: Vec<(usize, LcbJob)>,
    options: &EvalOptions,
    score: &mut Score,
) -> Result<(), Error> {
    if jobs.is_empty() {
        return Ok(());
    }
    let Some(tests) = &options.lcb_tests else {
        return Err(Error::LcbTestsNeeded { count: jobs.len() });
    };
    let needed: HashSet<String> = jobs.iter().map(|(_, j)| j.question_id.clone()).collect();
    let suites = lcb::cases::load_found_suites(tests, &needed)?;
    // The reference scores an entry whose problem is not in the benchmark wrong and goes on.
    let (jobs, missing): (Vec<_>, Vec<_>) = jobs
        .into_iter()
        .partition(|(_, job)| suites.contains_key(&job.question_id));
    for (i, job) in missing {
        results[i].evaluation_details =
            format!("Question ID '{}' not found in benchmark", job.question_id);
    }
    if jobs.is_empty() {
        return Ok(());
    }
    if let Err(reason) = lcb::probe(&options.lcb.sandbox) {
        score.not_evaluable = jobs.len();
        for (i, _) in &jobs {
            results[*i].evaluation_details = format!("Not evaluable: {reason}");
        }
        score.not_evaluable_reason = Some(reason);
        return Ok(());
    }
    let (slots, only_jobs): (Vec<usize>, Vec<LcbJob>) = jobs.into_iter().unzip();
    let verdicts = lcb::run_jobs(&only_jobs, &suites, &options.lcb, &|_| {});
    for (slot, verdict) in slots.into_iter().zip(verdicts) {
        let result = &mut results[slot];
        result.is_correct = verdict.passed;
        result.evaluation_details = verdict.detail;
        score.lcb_overruns += usize::from(verdict.overrun);
    }
    Ok(())
}

#[cfg(test)]
#[path = "scorer_tests.rs"]
mod tests;
