//! Accuracy scoring for gpt-oss-120b and the TEST07 / TEST09 compliance checks.
//!
//! Owns: streaming `mlperf_log_accuracy.json`, the reference's answer extraction for AIME, GPQA
//! and LiveCodeBench ([`extract`]), sandboxed execution of generated code ([`lcb`]), the
//! weighted score over repeats ([`Score`]), its text and JSON reports ([`report`]), and the
//! compliance verifications ([`compliance`]). Must not know about HTTP or LoadGen internals.
//!
//! ```no_run
//! # fn main() -> Result<(), ossperf_eval::Error> {
//! use ossperf_eval::{score_log, EvalOptions, ReferenceRow};
//! let reference = vec![ReferenceRow { dataset: "aime25".into(), ground_truth: Some("70".into()) }];
//! let score = score_log("mlperf_log_accuracy.json".as_ref(), &reference, &EvalOptions::default())?;
//! println!("{}", score.exact_match_line().unwrap_or_default());
//! # Ok(()) }
//! ```

#![warn(missing_docs)]
#![warn(unreachable_pub)]

pub mod compliance;
pub mod extract;
pub mod lcb;
pub mod log;
pub mod pyre;
pub mod report;
mod score;
mod scorer;

use std::path::PathBuf;

pub use score::{
    py_float_repr, repeats_of, route, DatasetCount, EntryResult, Evaluator, GroundTruth,
    ReferenceRow, Score, ACCURACY_TARGET, DATASET_REPEATS,
};
pub use scorer::{score_log, EvalOptions};

/// Everything that can stop scoring or a compliance check.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    #[error("cannot access `{path}`: {cause}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        cause: std::io::Error,
    },
    /// The accuracy log is not JSON, is cut short, or an entry lacks a field.
    #[error("accuracy log `{path}` is not valid at entry {entry} (line {line}): {reason}")]
    BadLog {
        /// The log.
        path: PathBuf,
        /// Index of the entry being read.
        entry: usize,
        /// 1-based line where the entry (or the problem) is.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// An entry's `data` is not whole int32 tokens (the reference aborts here too).
    #[error("accuracy log `{path}` entry {entry} (qsl_idx `{qsl_idx}`): {cause}")]
    BadData {
        /// The log.
        path: PathBuf,
        /// Index of the entry.
        entry: usize,
        /// Its QSL index.
        qsl_idx: u64,
        /// What is wrong with `data`.
        cause: log::HexError,
    },
    /// A sub-dataset name no evaluator handles.
    #[error(
        "dataset `{dataset}` has no evaluator: expected a name containing `gpqa`, `aime` or \
         `livecodebench`"
    )]
    UnknownDataset {
        /// The lower-cased name.
        dataset: String,
    },
    /// A sub-dataset routed to a reference evaluator gpt-oss never uses.
    #[error(
        "dataset `{dataset}` routes to the reference's `{evaluator}` evaluator, which gpt-oss \
         does not use and ossperf does not implement"
    )]
    UnsupportedEvaluator {
        /// The lower-cased name.
        dataset: String,
        /// The reference's evaluator key.
        evaluator: String,
    },
    /// LiveCodeBench entries were found but no test cases were given.
    #[error(
        "{count} LiveCodeBench entries need their test cases: pass `--lcb-tests` with the \
         release_v6 `test*.jsonl` files (a file or a directory)"
    )]
    LcbTestsNeeded {
        /// How many entries.
        count: usize,
    },
    /// A line of a LiveCodeBench test file is malformed.
    #[error("LiveCodeBench test file `{path}` line {line}: {reason}")]
    BadTestFile {
        /// The file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A problem the log needs is not in the LiveCodeBench test files.
    #[error(
        "LiveCodeBench problem `{question_id}` is not in `{path}` ({missing} problem(s) missing)"
    )]
    MissingProblem {
        /// The first missing question id, in name order.
        question_id: String,
        /// How many are missing.
        missing: usize,
        /// Where they were looked for.
        path: PathBuf,
    },
    /// An `audit.config` line or a compliance input is unusable.
    #[error("`{path}` line {line}: {reason}")]
    BadConfig {
        /// The file.
        path: PathBuf,
        /// 1-based line (0 when the whole file is meant).
        line: usize,
        /// What is wrong.
        reason: String,
    },
    /// A compliance check needs a value it was not given.
    #[error("{0}")]
    Compliance(String),
}
