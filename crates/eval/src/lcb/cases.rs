//! LiveCodeBench test cases from a local copy of the `release_v6` files (docs/REFERENCE.md §4.4).
//!
//! Each line of a `test*.jsonl` file is one problem: `question_id`, `public_test_cases` (a JSON
//! string), `private_test_cases` (a JSON string, or base64 → zlib → pickle → JSON string) and
//! `metadata` (a JSON string whose `func_name` marks a call-based problem). The files are large,
//! so only the problems the log needs are decoded.

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::Deserialize;

use crate::Error;

/// The tests of one problem, public first, then private, as the reference orders them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestSuite {
    /// Test inputs (stdin text, or one JSON argument per line for call-based problems).
    pub inputs: Vec<String>,
    /// Expected outputs.
    pub outputs: Vec<String>,
    /// The function to call for LeetCode-style problems; `None` for stdin problems.
    pub fn_name: Option<String>,
}

#[derive(Deserialize)]
struct Problem {
    question_id: String,
    #[serde(default)]
    public_test_cases: String,
    #[serde(default)]
    private_test_cases: String,
    #[serde(default)]
    metadata: String,
}

#[derive(Deserialize)]
struct Case {
    input: String,
    output: String,
}

#[derive(Deserialize, Default)]
struct Metadata {
    func_name: Option<String>,
}

/// The `.jsonl` files of `path`: the file itself, or every `*.jsonl` in the directory in name
/// order.
fn files(path: &Path) -> Result<Vec<PathBuf>, Error> {
    let io = |cause| Error::Io {
        path: path.to_owned(),
        cause,
    };
    if !path.is_dir() {
        return Ok(vec![path.to_owned()]);
    }
    let mut out = Vec::new();
    for entry in std::fs::read_dir(path).map_err(io)? {
        let p = entry.map_err(io)?.path();
        if p.extension().is_some_and(|e| e == "jsonl") {
            out.push(p);
        }
    }
    out.sort();
    Ok(out)
}

/// Loads the suites of the `needed` question ids from `path` (a `.jsonl` file or a directory of
/// them). A needed problem that is not found is an error naming it.
pub fn load_suites(
    path: &Path,
    needed: &HashSet<String>,
) -> Result<HashMap<String, TestSuite>, Error> {
    let found = load_found_suites(path, needed)?;
    let mut missing: Vec<&String> = needed.iter().filter(|q| !found.contains_key(*q)).collect();
    missing.sort();
    if let Some(first) = missing.first() {
        return Err(Error::MissingProblem {
            question_id: (*first).clone(),
            missing: missing.len(),
            path: path.to_owned(),
        });
    }
    Ok(found)
}

/// Like [`load_suites`], but a needed problem that is not found is simply absent from the
/// result (the reference scores such an entry wrong and goes on).
pub fn load_found_suites(
    path: &Path,
    needed: &HashSet<String>,
) -> Result<HashMap<String, TestSuite>, Error> {
    let mut found = HashMap::new();
    for file in files(path)? {
        let io = |cause| Error::Io {
            path: file.clone(),
            cause,
        };
        let reader = BufReader::new(std::fs::File::open(&file).map_err(io)?);
        for (n, line) in reader.lines().enumerate() {
            let line = line.map_err(io)?;
            if line.trim().is_empty() || !mentions_needed(&line, needed) {
                continue;
            }
            let bad = |reason: String| Error::BadTestFile {
                path: file.clone(),
                line: n + 1,
                reason,
            };
            let problem: Problem = serde_json::from_str(&line).map_err(|e| bad(e.to_string()))?;
            if !needed.contains(&problem.question_id) || found.contains_key(&problem.question_id) {
                continue;
            }
            let suite = decode_problem(&problem).map_err(bad)?;
            found.insert(problem.question_id, suite);
        }
    }
    Ok(found)
}

/// A cheap pre-filter so the big lines of unneeded problems are never parsed.
fn mentions_needed(line: &str, needed: &HashSet<String>) -> bool {
    let Some(start) = line.find("\"question_id\"") else {
        return true;
    };
    let rest = &line[start + "\"question_id\"".len()..];
    let Some(open) = rest.find('"') else {
        return true;
    };
    let rest = &rest[open + 1..];
    match rest.find('"') {
        Some(close) => needed.contains(&rest[..close]),
        None => true,
    }
}

fn decode_problem(problem: &Problem) -> Result<TestSuite, String> {
    let public: Vec<Case> = parse_cases(&problem.public_test_cases)
        .map_err(|e| format!("`public_test_cases` is not a JSON list of tests: {e}"))?;
    let private = decode_private(&problem.private_test_cases)?;
    let metadata: Metadata = if problem.metadata.trim().is_empty() {
        Metadata::default()
    } else {
        serde_json::from_str(&problem.metadata)
            .map_err(|e| format!("`metadata` is not a JSON object: {e}"))?
    };
    let (inputs, outputs) = public
        .into_iter()
        .chain(private)
        .map(|c| (c.input, c.output))
        .unzip();
    Ok(TestSuite {
        inputs,
        outputs,
        fn_name: metadata.func_name,
    })
}

fn parse_cases(text: &str) -> Result<Vec<Case>, serde_json::Error> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    serde_json::from_str(text)
}

/// Private tests: plain JSON, or base64 → zlib → pickled str → JSON.
fn decode_private(text: &str) -> Result<Vec<Case>, String> {
    if let Ok(cases) = parse_cases(text) {
        return Ok(cases);
    }
    let packed = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|e| format!("`private_test_cases` is neither JSON nor base64: {e}"))?;
    let mut pickled = Vec::new();
    flate2::read::ZlibDecoder::new(packed.as_slice())
        .read_to_end(&mut pickled)
        .map_err(|e| format!("`private_test_cases` is not zlib data: {e}"))?;
    let json =
        super::pickle::unpickle_str(&pickled).map_err(|e| format!("`private_test_cases`: {e}"))?;
    parse_cases(&json).map_err(|e| format!("`private_test_cases` is not a JSON list of tests: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample_lcb_tests.jsonl")
    }

    #[test]
    fn the_bundled_sample_decodes_public_then_private_tests_and_the_function_name() {
        let needed: HashSet<String> = ["ossperf_s01", "ossperf_f01"].map(String::from).into();
        let suites = load_suites(&sample(), &needed).unwrap();
        let s01 = &suites["ossperf_s01"];
        assert_eq!(s01.fn_name, None);
        assert_eq!(s01.inputs[0], "5\n1 2 3 4 5\n");
        assert_eq!(s01.outputs[0], "6\n");
        assert!(
            s01.inputs.len() > 2,
            "private tests follow the two public ones"
        );
        assert_eq!(s01.inputs.len(), s01.outputs.len());
        assert_eq!(suites["ossperf_f01"].fn_name.as_deref(), Some("pairCount"));
    }

    #[test]
    fn a_missing_problem_is_an_error_naming_it() {
        let needed: HashSet<String> = ["ossperf_s01", "no_such_problem"].map(String::from).into();
        let err = load_suites(&sample(), &needed).unwrap_err().to_string();
        assert!(
            err.starts_with("LiveCodeBench problem `no_such_problem` is not in `"),
            "{err}"
        );
        assert!(err.ends_with("(1 problem(s) missing)"), "{err}");
    }

    #[test]
    fn a_broken_line_is_an_error_naming_the_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("test.jsonl");
        std::fs::write(
            &path,
            "{\"question_id\": \"q1\", \"public_test_cases\": \"[]\", \"private_test_cases\": \"@@\"}\n",
        )
        .unwrap();
        let needed: HashSet<String> = ["q1".to_owned()].into();
        let err = load_suites(dir.path(), &needed).unwrap_err().to_string();
        assert!(
            err.contains("test.jsonl` line 1: `private_test_cases` is neither JSON nor base64"),
            "{err}"
        );
    }
}
