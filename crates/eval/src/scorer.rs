//! Scoring one accuracy log against its reference data (accuracy-spec §3, §4.1, §4.6).
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
use crate::log::{decode_tokens, for_each_entry};
use crate::score::{route, DatasetCount, EntryResult, Evaluator, ReferenceRow, Score};
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

struct Pending {
    result: EntryResult,
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
    let tokenizer = ossperf_harmony::tokenizer();
    let mut score = Score::default();
    let mut pending: Vec<Pending> = Vec::new();
    let mut jobs: Vec<(usize, LcbJob)> = Vec::new();
    let mut routes: BTreeMap<String, Evaluator> = BTreeMap::new();
    let mut ids = Vec::new();
    let mut bytes = Vec::new();
    let pass = for_each_entry(log, |entry_no, entry| {
        let Some(row) = usize::try_from(entry.qsl_idx)
            .ok()
            .and_then(|i| reference.get(i))
        else {
            score.skipped_out_of_range.push(entry.qsl_idx);
            return Ok(());
        };
        let dataset = row.dataset.to_lowercase();
        let evaluator = match routes.get(&dataset) {
            Some(e) => *e,
            None => match route(&dataset) {
                Ok(e) => {
                    routes.insert(dataset.clone(), e);
                    e
                }
                Err(Error::UnknownDataset { .. }) if options.skip_unscored_datasets => {
                    *score.skipped_unscored.entry(dataset).or_default() += 1;
                    return Ok(());
                }
                Err(err) => return Err(err),
            },
        };
        decode_tokens(&entry.data, &mut ids).map_err(|cause| Error::BadData {
            path: log.to_owned(),
            entry: entry_no,
            qsl_idx: entry.qsl_idx,
            cause,
        })?;
        bytes.clear();
        tokenizer
            .decode_into(&ids, &mut bytes)
            .map_err(|cause| Error::BadToken {
                path: log.to_owned(),
                entry: entry_no,
                qsl_idx: entry.qsl_idx,
                cause,
            })?;
        let text = String::from_utf8_lossy(&bytes);
        let text = py_strip(&text);
        let gt = row.ground_truth.as_deref();
        let (is_correct, extracted, details) = match evaluator {
            Evaluator::Gpqa => grade(parse_gpqa(text).map(String::from), gt, |p, g| {
                p.chars().next().is_some_and(|c| gpqa_is_correct(c, g))
            }),
            Evaluator::Aime => grade(parse_aime(text).map(|v| v.to_string()), gt, |p, g| {
                p.parse::<u32>().is_ok_and(|v| aime_is_correct(v, g))
            }),
            Evaluator::LiveCodeBench => {
                let code = parse_code(text);
                let details = match (&code, gt) {
                    (None, _) => "No code extracted from model output".to_owned(),
                    (Some(_), None) => "No ground truth available".to_owned(),
                    (Some(c), Some(_)) if c.is_empty() => {
                        "No code or question_id provided".to_owned()
                    }
                    (Some(c), Some(q)) => {
                        jobs.push((
                            pending.len(),
                            LcbJob {
                                question_id: q.to_owned(),
                                code: c.clone(),
                            },
                        ));
                        "pending".to_owned()
                    }
                };
                let shown = code.map(|c| c.chars().take(200).collect());
                (false, shown, details)
            }
        };
        let result = EntryResult {
            seq_id: entry.seq_id,
            qsl_idx: entry.qsl_idx,
            dataset,
            is_correct,
            extracted_answer: extracted,
            ground_truth: gt.map(String::from),
            evaluation_details: details,
            token_count: ids.len(),
            model_output_preview: text.chars().take(200).collect(),
        };
        pending.push(Pending { result });
        Ok(())
    })?;
    score.entries_read = pass.entries;
    score.log_sha256 = pass.sha256;
    run_lcb(&mut pending, jobs, options, &mut score)?;
    for p in pending {
        let count: &mut DatasetCount = score
            .per_dataset
            .entry(p.result.dataset.clone())
            .or_default();
        count.total += 1;
        count.correct += u64::from(p.result.is_correct);
        if options.keep_details {
            score.details.push(p.result);
        }
    }
    Ok(score)
}

/// The reference's `evaluate_single_entry` outcome for a parsed answer.
fn grade(
    parsed: Option<String>,
    ground_truth: Option<&str>,
    correct: impl Fn(&str, &str) -> bool,
) -> (bool, Option<String>, String) {
    match (parsed, ground_truth) {
        (None, _) => (
            false,
            None,
            "No answer extracted from model output".to_owned(),
        ),
        (Some(p), None) => (false, Some(p), "No ground truth available".to_owned()),
        (Some(p), Some(g)) => {
            if correct(&p, g) {
                (true, Some(p), "Correct".to_owned())
            } else {
                let details = format!("Incorrect (extracted: {p}, ground_truth: {g})");
                (false, Some(p), details)
            }
        }
    }
}

fn run_lcb(
    pending: &mut [Pending],
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
    let suites = lcb::load_suites(tests, &needed)?;
    if let Err(reason) = lcb::probe(&options.lcb.sandbox) {
        score.not_evaluable = jobs.len();
        for (i, _) in &jobs {
            pending[*i].result.evaluation_details = format!("Not evaluable: {reason}");
        }
        score.not_evaluable_reason = Some(reason);
        return Ok(());
    }
    let (slots, only_jobs): (Vec<usize>, Vec<LcbJob>) = jobs.into_iter().unzip();
    let verdicts = lcb::run_jobs(&only_jobs, &suites, &options.lcb, &|_| {});
    for (slot, verdict) in slots.into_iter().zip(verdicts) {
        let result = &mut pending[slot].result;
        result.is_correct = verdict.passed;
        result.evaluation_details = verdict.detail;
        score.lcb_overruns += usize::from(verdict.overrun);
    }
    Ok(())
}

#[cfg(test)]
#[path = "scorer_tests.rs"]
mod tests;
