//! TEST07 and TEST09 verification (docs/REFERENCE.md §6.1–6.2), writing the files the submission
//! checker looks for.
//!
//! TEST07 scores the performance-mode accuracy log of the 990-row GPQA set with the same scorer
//! and compares the `exact_match` value with `test07_accuracy_threshold`. TEST09 takes the mean
//! number of int32 tokens in `data` over every entry and checks it lies within
//! `test09_min_output_tokens`..=`test09_max_output_tokens`. Each writes `OUT/TEST0x/` with its
//! `verify_*.txt`, `accuracy/mlperf_log_accuracy.json` and `performance/run_1/` logs.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::log::{count_tokens_lenient, for_each};
use crate::Error;
use crate::{report, score_log, EvalOptions, ReferenceRow, Score};

/// Reads `*.*.<key> = value` from an audit.config (the part after the last `.` of the key is
/// matched; an inline `# comment` is dropped). `Ok(None)` when the key is absent.
pub fn audit_value(path: &Path, key: &str) -> Result<Option<f64>, Error> {
    let text = std::fs::read_to_string(path).map_err(|cause| Error::Io {
        path: path.to_owned(),
        cause,
    })?;
    audit_value_in(&text, path, key)
}

/// [`audit_value`] on text already read; `path` names it in errors.
pub fn audit_value_in(text: &str, path: &Path, key: &str) -> Result<Option<f64>, Error> {
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('#') || line.is_empty() {
            continue;
        }
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        if k.trim().rsplit('.').next() != Some(key) {
            continue;
        }
        let v = v.split('#').next().unwrap_or("").trim();
        return v.parse::<f64>().map(Some).map_err(|_| Error::BadConfig {
            path: path.to_owned(),
            line: n + 1,
            reason: format!("`{key}` has the value `{v}`, expected a number"),
        });
    }
    Ok(None)
}

/// The TEST07 verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Test07 {
    /// The scorer's result.
    pub score: Score,
    /// The threshold it was compared with.
    pub threshold: f64,
    /// `exact_match ≥ threshold` on the printed value (false when the score is incomplete).
    pub passed: bool,
    /// The full text of `verify_accuracy.txt`.
    pub text: String,
}

/// Scores the TEST07 accuracy log and compares it with `threshold`.
pub fn verify_test07(
    log: &Path,
    reference: &[ReferenceRow],
    threshold: f64,
    options: &EvalOptions,
) -> Result<Test07, Error> {
    let score = score_log(log, reference, options)?;
    let mut buf = Vec::new();
    report::write_text(&score, &mut buf).map_err(|cause| Error::Io {
        path: PathBuf::from("verify_accuracy.txt"),
        cause,
    })?;
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    let printed = score
        .exact_match_line()
        .and_then(|_| format!("{:.3}", score.percentage()).parse::<f64>().ok());
    let passed = printed.is_some_and(|v| v >= threshold);
    let shown = printed.map_or_else(|| "none".to_owned(), |v| format!("{v:.3}"));
    let _ = write!(
        text,
        "\n{rule}\nTEST07 Verification Summary\n{rule}\nAccuracy score: {shown}\n\
         Accuracy threshold: {threshold}\nAccuracy check pass: {}\n{}\n",
        py_bool(passed),
        if passed { "TEST PASS" } else { "TEST FAIL" },
        rule = "=".repeat(80),
    );
    Ok(Test07 {
        score,
        threshold,
        passed,
        text,
    })
}

/// The TEST09 verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Test09 {
    /// Entries counted.
    pub samples: usize,
    /// Mean output tokens per entry.
    pub mean: f64,
    /// Fewest tokens in one entry.
    pub min: usize,
    /// Most tokens in one entry.
    pub max: usize,
    /// Population standard deviation.
    pub std: f64,
    /// The lower bound.
    pub min_threshold: f64,
    /// The upper bound.
    pub max_threshold: f64,
    /// `min_threshold ≤ mean ≤ max_threshold`.
    pub passed: bool,
    /// The full text of `verify_output_len.txt`.
    pub text: String,
}

#[derive(Deserialize)]
struct LengthEntry {
    #[serde(default)]
    data: Option<String>,
}

/// Measures the output length of every entry of the TEST09 log and checks the mean.
pub fn verify_test09(log: &Path, min_threshold: f64, max_threshold: f64) -> Result<Test09, Error> {
    let (mut n, mut sum, mut sum_sq) = (0usize, 0f64, 0f64);
    let (mut min, mut max) = (usize::MAX, 0usize);
    for_each::<LengthEntry, _>(log, |_, e| {
        let len = e.data.as_deref().map_or(0, count_tokens_lenient);
        n += 1;
        sum += len as f64;
        sum_sq += (len as f64) * (len as f64);
        min = min.min(len);
        max = max.max(len);
        Ok(())
    })?;
    if n == 0 {
        return Err(Error::Compliance(format!(
            "TEST09 accuracy log `{}` has no entries",
            log.display()
        )));
    }
    let mean = sum / n as f64;
    let std = (sum_sq / n as f64 - mean * mean).max(0.0).sqrt();
    let (min_ok, max_ok) = (mean >= min_threshold, mean <= max_threshold);
    let passed = min_ok && max_ok;
    let text = format!(
        "TEST09 verification: mean output length in performance mode\n\
         Accuracy log: {}\nSamples: {n}\nMean output tokens: {mean:.2}\n\
         Min output tokens: {min}\nMax output tokens: {max}\nStd output tokens: {std:.2}\n\
         Min threshold: {min_threshold}\nMax threshold: {max_threshold}\n\
         Min check pass: {}\nMax check pass: {}\n{}\n",
        log.display(),
        py_bool(min_ok),
        py_bool(max_ok),
        if passed { "TEST PASS" } else { "TEST FAIL" },
    );
    Ok(Test09 {
        samples: n,
        mean,
        min,
        max,
        std,
        min_threshold,
        max_threshold,
        passed,
        text,
    })
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

/// Writes `OUT/<test>/` in the submission checker's layout: the verification file, the run's
/// `accuracy/mlperf_log_accuracy.json` and `performance/run_1/mlperf_log_{summary,detail}.txt`
/// (copied from `run_dir` when present). Returns the test directory.
pub fn write_layout(
    test: &str,
    run_dir: &Path,
    out_dir: &Path,
    verify_name: &str,
    verify_text: &str,
) -> Result<PathBuf, Error> {
    let io = |path: &Path| {
        let path = path.to_owned();
        move |cause| Error::Io { path, cause }
    };
    let dir = out_dir.join(test);
    let acc = dir.join("accuracy");
    let perf = dir.join("performance").join("run_1");
    for d in [&acc, &perf] {
        std::fs::create_dir_all(d).map_err(io(d))?;
    }
    let verify = dir.join(verify_name);
    std::fs::write(&verify, verify_text).map_err(io(&verify))?;
    let log = run_dir.join("mlperf_log_accuracy.json");
    std::fs::copy(&log, acc.join("mlperf_log_accuracy.json")).map_err(io(&log))?;
    for name in ["mlperf_log_summary.txt", "mlperf_log_detail.txt"] {
        let src = run_dir.join(name);
        if src.is_file() {
            std::fs::copy(&src, perf.join(name)).map_err(io(&src))?;
        }
    }
    Ok(dir)
}

#[cfg(test)]
#[path = "compliance_tests.rs"]
mod tests;
