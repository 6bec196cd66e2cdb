//! Rows whose ground truth the simulator knows, found again from a request's token ids.
//!
//! A benchmark sends each row's `input_tokens` verbatim, so a hash of the ids identifies the row
//! and its sub-dataset and ground truth; the simulator can then answer in the form the scorer
//! parses (docs/REFERENCE.md §4): `\boxed{N}` for AIME, `Answer: X` for GPQA, a ```` ```python ````
//! block for LiveCodeBench.

use std::collections::HashMap;
use std::path::Path;

use crate::rng::hash_ids;
use crate::Error;

/// One dataset row as the simulator needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferenceRow {
    /// The prompt's token ids, exactly as sent.
    pub input_ids: Vec<u32>,
    /// The sub-dataset (`aime25`, `gpqa_diamond`, `livecodebench_v6`, `pubmed_summarization`).
    pub dataset: String,
    /// AIME: the integer; GPQA: the letter; LiveCodeBench: the question id.
    pub ground_truth: String,
    /// The reference answer's length in tokens, when the dataset has it.
    pub output_len: Option<u32>,
}

/// What kind of answer a row wants, by the scorer's routing (docs/REFERENCE.md §4.1: substring
/// match).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Task {
    /// AIME: an integer answer.
    Aime(String),
    /// GPQA: a letter `A`–`D`.
    Gpqa(char),
    /// LiveCodeBench: the question id.
    Lcb(String),
    /// Anything else (the performance set): free text.
    Other,
}

impl ReferenceRow {
    /// The row's task, routed like the scorer's `get_evaluator`.
    pub fn task(&self) -> Task {
        let name = self.dataset.to_lowercase();
        let truth = self.ground_truth.trim();
        if name.contains("gpqa") {
            match truth.chars().next().map(|c| c.to_ascii_uppercase()) {
                Some(c @ 'A'..='D') => Task::Gpqa(c),
                _ => Task::Other,
            }
        } else if name.contains("aime") {
            Task::Aime(truth.to_string())
        } else if name.contains("livecodebench") {
            Task::Lcb(truth.to_string())
        } else {
            Task::Other
        }
    }
}

/// The rows, indexed by a hash of their prompt, plus known-correct LiveCodeBench solutions.
#[derive(Debug, Default)]
pub struct ReferenceSet {
    rows: Vec<ReferenceRow>,
    by_hash: HashMap<u64, usize>,
    solutions: HashMap<String, String>,
}

impl ReferenceSet {
    /// Indexes `rows`; `solutions` maps an LCB question id to code that passes its tests.
    /// When two rows share a prompt (the accuracy set repeats each problem), the first wins.
    pub fn new(rows: Vec<ReferenceRow>, solutions: HashMap<String, String>) -> Self {
        let mut by_hash = HashMap::with_capacity(rows.len());
        for (i, row) in rows.iter().enumerate() {
            by_hash.entry(hash_ids(&row.input_ids)).or_insert(i);
        }
        Self {
            rows,
            by_hash,
            solutions,
        }
    }

    /// The rows, in file order.
    pub fn rows(&self) -> &[ReferenceRow] {
        &self.rows
    }

    /// The index of the row whose prompt is exactly `ids`.
    pub fn find(&self, ids: &[u32]) -> Option<usize> {
        let index = *self.by_hash.get(&hash_ids(ids))?;
        (self.rows.get(index)?.input_ids == ids).then_some(index)
    }

    /// Code that solves LiveCodeBench question `id`, if known.
    pub fn solution(&self, id: &str) -> Option<&str> {
        self.solutions.get(id).map(String::as_str)
    }

    /// True when a correct answer can be produced for `row` (LCB needs a known solution).
    pub fn can_answer(&self, row: &ReferenceRow) -> bool {
        match row.task() {
            Task::Aime(_) | Task::Gpqa(_) => true,
            Task::Lcb(id) => self.solutions.contains_key(&id),
            Task::Other => false,
        }
    }
}

/// Reads LiveCodeBench solutions from JSON Lines: one object per line with the question id
/// (`question_id` or `id`) and the code (`code` or `solution`).
pub fn read_lcb_solutions(path: &Path) -> Result<HashMap<String, String>, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse_lcb_solutions(&text, path)
}

/// The solutions of the bundled sample's LiveCodeBench rows (`data/sample_lcb_solutions.jsonl`,
/// compiled in so that a run with the bundled sample works from any directory).
pub fn bundled_lcb_solutions() -> HashMap<String, String> {
    static TEXT: &str = include_str!("../../../data/sample_lcb_solutions.jsonl");
    parse_lcb_solutions(TEXT, Path::new("<bundled sample_lcb_solutions.jsonl>")).unwrap_or_default()
}

/// Parses LiveCodeBench solutions in JSON Lines; `path` names the source in errors.
pub fn parse_lcb_solutions(text: &str, path: &Path) -> Result<HashMap<String, String>, Error> {
    let mut out = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let bad = |what: &str| Error::Solutions {
            path: path.to_path_buf(),
            line: n + 1,
            what: what.to_string(),
        };
        let value: serde_json::Value =
            serde_json::from_str(line).map_err(|e| bad(&format!("a JSON object ({e})")))?;
        let field = |keys: [&str; 2]| {
            keys.iter()
                .find_map(|k| value.get(*k).and_then(serde_json::Value::as_str))
        };
        let id = field(["question_id", "id"]).ok_or_else(|| bad("a string `question_id`"))?;
        let code = field(["code", "solution"]).ok_or_else(|| bad("a string `code`"))?;
        out.insert(id.to_string(), code.to_string());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(ids: &[u32], dataset: &str, truth: &str) -> ReferenceRow {
        ReferenceRow {
            input_ids: ids.to_vec(),
            dataset: dataset.into(),
            ground_truth: truth.into(),
            output_len: None,
        }
    }

    #[test]
    fn tasks_are_routed_by_substring_like_the_scorer() {
        assert_eq!(row(&[1], "aime25", "70").task(), Task::Aime("70".into()));
        assert_eq!(row(&[1], "GPQA_diamond", "c").task(), Task::Gpqa('C'));
        assert_eq!(
            row(&[1], "livecodebench_v6", "abc123").task(),
            Task::Lcb("abc123".into())
        );
        assert_eq!(row(&[1], "pubmed_summarization", "").task(), Task::Other);
    }

    #[test]
    fn find_returns_the_row_with_exactly_these_ids() {
        let set = ReferenceSet::new(
            vec![row(&[1, 2, 3], "aime25", "5"), row(&[4], "gpqa", "A")],
            HashMap::new(),
        );
        assert_eq!(set.find(&[4]), Some(1));
        assert_eq!(set.find(&[1, 2]), None);
    }

    #[test]
    fn lcb_solutions_file_errors_name_the_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.jsonl");
        std::fs::write(
            &path,
            "{\"question_id\":\"q1\",\"code\":\"print(1)\"}\n{\"id\":\"q2\"}\n",
        )
        .unwrap();
        let err = read_lcb_solutions(&path).unwrap_err().to_string();
        assert!(err.ends_with(":2: expected a string `code`"), "{err}");
        std::fs::write(&path, "{\"question_id\":\"q1\",\"code\":\"print(1)\"}\n").unwrap();
        assert_eq!(read_lcb_solutions(&path).unwrap()["q1"], "print(1)");
    }

    #[test]
    fn the_bundled_solutions_cover_the_twelve_sample_problems() {
        let s = bundled_lcb_solutions();
        assert_eq!(s.len(), 12);
        assert!(s["ossperf_s02"].starts_with("print("));
    }
}
