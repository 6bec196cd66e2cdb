//! The score model and its aggregation (docs/REFERENCE.md §4.1, §4.6): routing by sub-dataset,
//! per-entry outcomes, and the weighted score over repeats that the submission checker reads.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::Error;

/// The reference's `DATASET_REPEATS`: how many physical rows repeat each problem.
pub const DATASET_REPEATS: [(&str, u64); 3] =
    [("aime25", 8), ("gpqa_diamond", 5), ("livecodebench_v6", 3)];

/// The accuracy a submission needs: 99 % of the reference's 83.13.
pub const ACCURACY_TARGET: f64 = 83.13 * 0.99;

/// Repeats of a lower-cased dataset name; 1 for a name the reference does not list.
pub fn repeats_of(dataset: &str) -> u64 {
    DATASET_REPEATS
        .iter()
        .find(|(name, _)| *name == dataset)
        .map_or(1, |&(_, r)| r)
}

/// `part / whole * 100` as the reference computes it, 0 for an empty whole.
pub(crate) fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64 * 100.0
    }
}

/// One row of the reference data: its sub-dataset and ground truth. Row `i` is QSL index `i`.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceRow {
    /// The `dataset` column as stored (routing lower-cases it).
    pub dataset: String,
    /// The `ground_truth` column; `None` for a null value (or a float NaN: `pd.isna`).
    pub ground_truth: Option<GroundTruth>,
}

/// A ground-truth value with the type the reference's pandas gives it: the evaluators treat a
/// number differently from text (`int(70.0)` is 70, `70.0.upper()` raises).
#[derive(Debug, Clone, PartialEq)]
pub enum GroundTruth {
    /// A string cell.
    Text(String),
    /// An integer cell (numpy `int64` in an integer column).
    Int(i64),
    /// A float cell (numpy `float64`: an integer column with nulls becomes one). Never NaN.
    Float(f64),
}

impl GroundTruth {
    /// A float cell; `None` for NaN, which the reference treats as no ground truth.
    pub fn float(value: f64) -> Option<Self> {
        (!value.is_nan()).then_some(Self::Float(value))
    }

    /// The text, for a string cell.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Self::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The numpy type name Python reports in an `AttributeError` on this value.
    pub fn numpy_type(&self) -> &'static str {
        match self {
            Self::Text(_) => "str",
            Self::Int(_) => "numpy.int64",
            Self::Float(_) => "numpy.float64",
        }
    }
}

impl From<&str> for GroundTruth {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for GroundTruth {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

/// Python's `str()` of the value (`70.0`, `1e+16`, `inf` for floats).
impl std::fmt::Display for GroundTruth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Text(s) => f.write_str(s),
            Self::Int(n) => write!(f, "{n}"),
            Self::Float(x) => f.write_str(&py_float_repr(*x)),
        }
    }
}

/// Python's `repr(float)`: the shortest round-tripping digits, positional for exponents -4 to
/// 15 (always with a fraction), scientific with a signed two-digit exponent otherwise.
pub fn py_float_repr(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if x.is_nan() {
        return "nan".to_owned();
    }
    let sci = format!("{x:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = mantissa
        .strip_prefix('-')
        .map_or(("", mantissa), |m| ("-", m));
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    if !(-4..16).contains(&exp) {
        let (head, tail) = digits.split_at(1);
        let tail = if tail.is_empty() {
            String::new()
        } else {
            format!(".{tail}")
        };
        let esign = if exp < 0 { '-' } else { '+' };
        return format!("{sign}{head}{tail}e{esign}{:02}", exp.abs());
    }
    let point = exp + 1;
    let body = if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let point = point as usize;
        if digits.len() <= point {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    format!("{sign}{body}")
}

/// The scoring rule of a sub-dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Evaluator {
    /// Multiple choice `A`–`D` from the final channel.
    Gpqa,
    /// An integer 0–999 from the whole text.
    Aime,
    /// Code from the final channel, run against the problem's tests.
    LiveCodeBench,
}

/// The reference's `get_evaluator`: the first of its keys (in its order) that is a substring of
/// the lower-cased name. Keys gpt-oss never uses (`mmlu_pro`, `math500`, `mmlu`) are errors, as
/// is a name that matches none.
pub fn route(dataset_lower: &str) -> Result<Evaluator, Error> {
    const KEYS: [&str; 6] = [
        "gpqa",
        "mmlu_pro",
        "math500",
        "aime",
        "livecodebench",
        "mmlu",
    ];
    let key = KEYS.iter().find(|k| dataset_lower.contains(**k));
    match key {
        Some(&"gpqa") => Ok(Evaluator::Gpqa),
        Some(&"aime") => Ok(Evaluator::Aime),
        Some(&"livecodebench") => Ok(Evaluator::LiveCodeBench),
        Some(other) => Err(Error::UnsupportedEvaluator {
            dataset: dataset_lower.to_owned(),
            evaluator: (*other).to_owned(),
        }),
        None => Err(Error::UnknownDataset {
            dataset: dataset_lower.to_owned(),
        }),
    }
}

/// Correct and total entries of one sub-dataset.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct DatasetCount {
    /// Entries scored correct.
    pub correct: u64,
    /// Entries scored (log entries, not dataset rows).
    pub total: u64,
}

/// One scored entry, as the reference's `detailed_results`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryResult {
    /// LoadGen's sequence id.
    pub seq_id: u64,
    /// The dataset row.
    pub qsl_idx: u64,
    /// The lower-cased sub-dataset name.
    pub dataset: String,
    /// Whether the answer was right.
    pub is_correct: bool,
    /// The extracted answer (code cut to 200 characters), if any.
    pub extracted_answer: Option<String>,
    /// The ground truth as Python's `str()` prints it, if any.
    pub ground_truth: Option<String>,
    /// Why the entry scored as it did.
    pub evaluation_details: String,
    /// Number of decoded tokens.
    pub token_count: usize,
    /// The first 200 characters of the decoded output.
    pub model_output_preview: String,
}

/// The result of scoring one accuracy log.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Score {
    /// Counts per lower-cased sub-dataset, in name order.
    pub per_dataset: BTreeMap<String, DatasetCount>,
    /// Entries read from the log, including skipped ones.
    pub entries_read: usize,
    /// Entries whose `qsl_idx` is past the reference data (skipped with a warning, as the
    /// reference does; they do not count).
    pub skipped_out_of_range: Vec<u64>,
    /// Entries skipped because their sub-dataset has no evaluator (only when asked to), by
    /// lower-cased name.
    pub skipped_unscored: BTreeMap<String, u64>,
    /// LiveCodeBench entries that could not be run at all (no python3): the score is incomplete.
    pub not_evaluable: usize,
    /// Why entries were not evaluable.
    pub not_evaluable_reason: Option<String>,
    /// LiveCodeBench items stopped by the whole-item time limit. The reference would abort the
    /// whole run past its 1,200 s batch limit; ossperf scores each such item as a failure.
    pub lcb_overruns: usize,
    /// Lower-case hex SHA-256 of the log file.
    pub log_sha256: String,
    /// Per-entry results, in log order (empty unless asked for).
    pub details: Vec<EntryResult>,
}

impl Score {
    /// Σ correct_d / repeats_d.
    pub fn final_score(&self) -> f64 {
        self.per_dataset
            .iter()
            .map(|(name, c)| c.correct as f64 / repeats_of(name) as f64)
            .sum()
    }

    /// Σ total_d / repeats_d.
    pub fn max_score(&self) -> f64 {
        self.per_dataset
            .iter()
            .map(|(name, c)| c.total as f64 / repeats_of(name) as f64)
            .sum()
    }

    /// `final / max * 100`, 0 when nothing was scored: the submission checker's `exact_match`.
    /// The reference divides first and multiplies after; `100 * final / max` rounds
    /// differently, and at a printed tie (23 of 320 AIME entries: 7.187 here, 7.188 the other
    /// way) gives another last digit.
    pub fn percentage(&self) -> f64 {
        let max = self.max_score();
        if max == 0.0 {
            0.0
        } else {
            self.final_score() / max * 100.0
        }
    }

    /// Correct entries over all sub-datasets.
    pub fn total_correct(&self) -> u64 {
        self.per_dataset.values().map(|c| c.correct).sum()
    }

    /// Scored entries over all sub-datasets.
    pub fn total_samples(&self) -> u64 {
        self.per_dataset.values().map(|c| c.total).sum()
    }

    /// `Σ correct / Σ total * 100` (informational), in the reference's order of operations.
    pub fn overall_accuracy(&self) -> f64 {
        percent(self.total_correct(), self.total_samples())
    }

    /// True when every entry in range was scored (none was left unevaluable).
    pub fn is_complete(&self) -> bool {
        self.not_evaluable == 0
    }

    /// The line the submission checker reads, `'exact_match': PP.PPP`, or `None` when the score
    /// is incomplete and must not be reported as valid.
    pub fn exact_match_line(&self) -> Option<String> {
        self.is_complete()
            .then(|| format!("'exact_match': {:.3}", self.percentage()))
    }

    /// Whether the score reaches the submission target (82.2987), compared on the printed value
    /// as the checker does.
    pub fn meets_target(&self) -> bool {
        self.printed_percentage()
            .is_some_and(|v| v >= ACCURACY_TARGET)
    }

    /// The value of the `'exact_match'` line as the checker reads it; `None` when incomplete.
    pub fn printed_percentage(&self) -> Option<f64> {
        let printed = format!("{:.3}", self.percentage());
        self.is_complete().then(|| printed.parse().ok()).flatten()
    }

    /// `PASS` or `FAIL` against the submission target, saying what was compared.
    pub fn verdict_line(&self) -> String {
        let target = format!(
            "{ACCURACY_TARGET:.4} (99% of the reference accuracy 83.13, the submission \
             checker's target for gpt-oss-120b)"
        );
        match self.printed_percentage() {
            Some(v) if v >= ACCURACY_TARGET => format!("PASS: exact_match {v:.3} >= {target}"),
            Some(v) => format!("FAIL: exact_match {v:.3} < {target}"),
            None => format!(
                "FAIL: no complete score ({} LiveCodeBench entries not evaluable) to compare \
                 with {target}",
                self.not_evaluable
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(correct: u64, total: u64) -> DatasetCount {
        DatasetCount { correct, total }
    }

    #[test]
    fn routing_matches_the_first_reference_key_contained_in_the_name() {
        assert_eq!(route("gpqa_diamond").unwrap(), Evaluator::Gpqa);
        assert_eq!(route("aime25").unwrap(), Evaluator::Aime);
        assert_eq!(route("livecodebench_v6").unwrap(), Evaluator::LiveCodeBench);
        assert_eq!(
            route("mmlu_pro_gpqa").unwrap(),
            Evaluator::Gpqa,
            "gpqa comes first in the reference's order"
        );
        assert_eq!(
            route("pubmed_summarization").unwrap_err().to_string(),
            "dataset `pubmed_summarization` has no evaluator: expected a name containing \
             `gpqa`, `aime` or `livecodebench`"
        );
        assert!(route("math500").is_err());
    }

    #[test]
    fn a_full_log_weights_each_problem_by_its_repeats() {
        let mut score = Score::default();
        score.per_dataset.insert("aime25".into(), count(200, 240));
        score
            .per_dataset
            .insert("gpqa_diamond".into(), count(700, 990));
        score
            .per_dataset
            .insert("livecodebench_v6".into(), count(2700, 3165));
        // (200/8 + 700/5 + 2700/3) / 1283 = 1065 / 1283
        assert_eq!(score.final_score(), 25.0 + 140.0 + 900.0);
        assert_eq!(score.max_score(), 30.0 + 198.0 + 1055.0);
        assert_eq!(score.exact_match_line().unwrap(), "'exact_match': 83.009");
        assert!(score.meets_target());
        assert_eq!(format!("{:.2}", score.overall_accuracy()), "81.91");
    }

    #[test]
    fn the_target_is_checked_on_the_printed_value() {
        let mut score = Score::default();
        // 822987 / 10000 exactly 82.2987 → printed 82.299 ≥ 82.2987.
        score
            .per_dataset
            .insert("x".into(), count(822_987, 1_000_000));
        assert_eq!(score.exact_match_line().unwrap(), "'exact_match': 82.299");
        assert!(score.meets_target());
        score
            .per_dataset
            .insert("x".into(), count(822_980, 1_000_000));
        assert_eq!(score.exact_match_line().unwrap(), "'exact_match': 82.298");
        assert!(!score.meets_target());
    }

    #[test]
    fn the_percentage_divides_before_multiplying_as_the_reference_does() {
        let mut score = Score::default();
        score.per_dataset.insert("aime25".into(), count(23, 320));
        // Python: 23/8 / (320/8) * 100 → 7.187 (100 * f / m would print 7.188).
        assert_eq!(score.exact_match_line().unwrap(), "'exact_match': 7.187");
        score.per_dataset.insert("aime25".into(), count(23, 160));
        assert_eq!(format!("{:.2}", score.overall_accuracy()), "14.37");
    }

    #[test]
    fn the_verdict_says_pass_or_fail_and_what_was_compared() {
        let mut score = Score::default();
        score
            .per_dataset
            .insert("x".into(), count(822_987, 1_000_000));
        assert_eq!(
            score.verdict_line(),
            "PASS: exact_match 82.299 >= 82.2987 (99% of the reference accuracy 83.13, the \
             submission checker's target for gpt-oss-120b)"
        );
        score
            .per_dataset
            .insert("x".into(), count(822_980, 1_000_000));
        assert!(score
            .verdict_line()
            .starts_with("FAIL: exact_match 82.298 < 82.2987 ("));
        score.not_evaluable = 2;
        assert!(score
            .verdict_line()
            .starts_with("FAIL: no complete score (2 LiveCodeBench entries not evaluable) to"));
    }

    #[test]
    fn float_ground_truths_print_as_python_prints_them() {
        let cases = [
            (70.0, "70.0"),
            (12.5, "12.5"),
            (-0.0, "-0.0"),
            (1e16, "1e+16"),
            (123_456_789_012_345.6, "123456789012345.6"),
            (0.0001, "0.0001"),
            (0.00001, "1e-05"),
            (f64::INFINITY, "inf"),
        ];
        for (x, want) in cases {
            assert_eq!(py_float_repr(x), want, "{x:e}");
        }
        assert_eq!(GroundTruth::float(f64::NAN), None);
    }

    #[test]
    fn an_incomplete_score_prints_no_exact_match_line() {
        let mut score = Score::default();
        score.per_dataset.insert("aime25".into(), count(8, 8));
        score.not_evaluable = 3;
        assert_eq!(score.exact_match_line(), None);
        assert!(!score.meets_target());
    }

    #[test]
    fn an_empty_score_is_zero() {
        assert_eq!(Score::default().percentage(), 0.0);
        assert_eq!(Score::default().overall_accuracy(), 0.0);
    }
}
