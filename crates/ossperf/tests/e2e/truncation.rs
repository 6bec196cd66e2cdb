//! `submission assemble`'s accuracy-log truncation against the official tool (issue 23):
//! mlcommons/inference `tools/submission/truncate_accuracy_log.py` at `INFERENCE_COMMIT`.
//!
//! The inputs are the accuracy logs and `accuracy.txt` of short `submission run`s on the
//! simulator, chosen so that each of the tool's rules decides one of them:
//! - Offline: the accuracy log over 10 KiB, `accuracy.txt` with the score's hash line: a second
//!   hash line is appended and the log cut to its first 4,096 characters, `\n\n...\n\n` and its
//!   last 4,096 bytes. TEST07's log between 4 and 10 KiB: a new `accuracy.txt` holding only the
//!   hash, and the log "truncated" all the same, to 8,199 bytes (longer than it was). TEST09's
//!   under 4 KiB: the hash file, the log as it was.
//! - Server: `accuracy.txt` saved with CRLF line endings, the log under 10 KiB: nothing is done
//!   (the tool reads the hash line in Python's text mode, where `\r\n` ends a line).
//! - Interactive: the hash line removed, the log under 10 KiB: the hash is appended; the log,
//!   under 4 KiB, stays as it was.
//!
//! `bench/submission/truncation_oracle.py` ran the tool on them and kept what it read and what
//! it left in `tests/data/truncation/{in,out}/` (the runs' logs differ from run to run, so the
//! inputs are kept too). CI puts the same inputs into fresh runs, assembles them, and compares
//! the tree's files with `out/` byte for byte. Where `MLPERF_INFERENCE_SRC` is set the tool runs
//! live as well; `OSSPERF_UPDATE_TRUNCATION_GOLDEN=1` rewrites the golden data from fresh runs
//! (see bench/submission/README.md).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::oracle::{self, assemble, benchmark_dir, INFERENCE_COMMIT};
use crate::util::text;

/// The files the tool reads and writes in an accuracy directory.
const FILES: [&str; 2] = ["mlperf_log_accuracy.json", "accuracy.txt"];

/// Short runs: no minimum duration, the datasets' own rows.
const SHORT_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b-interactive.*.performance_sample_count_override = 0
gpt-oss-120b-interactive.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Offline.target_qps = 100
gpt-oss-120b.Server.min_duration = 0
gpt-oss-120b.Server.target_qps = 100
gpt-oss-120b-interactive.Server.min_duration = 0
gpt-oss-120b-interactive.Server.target_qps = 100
";

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/truncation")
}

/// What the golden data's `tool.json` must name.
fn tool() -> String {
    format!("mlcommons/inference@{INFERENCE_COMMIT} tools/submission/truncate_accuracy_log.py")
}

/// The three scenarios' `submission run`s in `dir/runs`, 16 tokens per answer, performance on
/// the sample's first 6 rows (so TEST09's log stays under 4 KiB): Offline's accuracy run on 52
/// rows (its log over 10 KiB) and TEST07 on all 25 GPQA rows (between 4 and 10 KiB); Server and
/// Interactive on one row throughout (`--max-samples` bounds every step). Then the edits:
/// Server's `accuracy.txt` with CRLF line endings, Interactive's without its hash line.
fn short_runs(dir: &Path) -> PathBuf {
    let conf = dir.join("short.conf");
    std::fs::write(&conf, SHORT_CONF).unwrap();
    let gpqa = oracle::gpqa(dir);
    let perf = oracle::sample_rows(dir, "perf6", |i, _| i < 6);
    let perf = perf.to_str().unwrap();
    let sample = oracle::data().join("sample.parquet");
    let runs = dir.join("runs");
    for (scenario, rows) in [("offline", "52"), ("server", "1"), ("interactive", "1")] {
        let accuracy_input = ["--accuracy-input", sample.to_str().unwrap()];
        let submission_flags: &[&str] = if scenario == "offline" {
            &accuracy_input
        } else {
            &[]
        };
        let run_flags = [
            "--input-file",
            perf,
            "--max-samples",
            rows,
            "--sim-output-len",
            "16",
        ];
        oracle::submission_run(&runs, scenario, &gpqa, &conf, submission_flags, &run_flags);
    }
    let edit = |scenario: &str, f: fn(&str) -> String| {
        let path = runs.join(scenario).join("score/accuracy.txt");
        let before = std::fs::read_to_string(&path).unwrap();
        let after = f(&before);
        assert_ne!(after, before, "{scenario}");
        std::fs::write(&path, after).unwrap();
    };
    edit("server", |t| t.replace('\n', "\r\n"));
    edit("interactive", |t| {
        t.split_inclusive('\n')
            .filter(|l| !l.starts_with("hash="))
            .collect()
    });
    runs
}

/// The file of a `submission run` directory that `assemble` lays out at `rel` (below the
/// benchmark directory): `<Scenario>/accuracy/accuracy.txt` is the score step's,
/// `<Scenario>/accuracy/<log>` the accuracy step's, `<Scenario>/<TEST>/accuracy/<log>` the
/// compliance step's.
fn run_file(runs: &Path, rel: &Path) -> PathBuf {
    let parts: Vec<&str> = rel.iter().map(|p| p.to_str().unwrap()).collect();
    let scenario = parts[0].to_lowercase();
    let run = runs.join(&scenario);
    match parts.as_slice() {
        [_, "accuracy", "accuracy.txt"] => run.join("score/accuracy.txt"),
        [_, "accuracy", name] => run
            .join("accuracy")
            .join(&scenario)
            .join("accuracy")
            .join(name),
        [_, test, "accuracy", name] => run.join(test).join(test).join("accuracy").join(name),
        _ => panic!("no run file is laid out at `{}`", rel.display()),
    }
}

/// Every file below `dir`, relative to it, sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(root, &path, out);
            } else {
                out.push(path.strip_prefix(root).unwrap().to_path_buf());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

/// The tool's files (`FILES` in a directory named `accuracy`) below a benchmark directory.
fn accuracy_files(bench: &Path) -> Vec<PathBuf> {
    files(bench)
        .into_iter()
        .filter(|f| {
            let name = f.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let dir = f.parent().and_then(Path::file_name);
            FILES.contains(&name) && dir.is_some_and(|d| d == "accuracy")
        })
        .collect()
}

/// Fresh runs, with the files of `inputs` (a golden `in/`) put in place of theirs when given,
/// assembled into `dir/ossperf`; returns the runs and the tree.
fn ossperf_tree(dir: &Path, inputs: Option<&Path>) -> (PathBuf, PathBuf) {
    let runs = short_runs(dir);
    if let Some(inputs) = inputs {
        for rel in files(inputs) {
            std::fs::copy(inputs.join(&rel), run_file(&runs, &rel)).unwrap();
        }
    }
    let tree = dir.join("ossperf");
    let scenarios = ["interactive", "offline", "server"].map(|s| runs.join(s));
    assemble(&scenarios, &tree, &[]);
    (runs, tree)
}

/// Asserts that the files `rel` below `a` and `b` are the same bytes, naming the first
/// difference.
fn assert_same_files(rels: &[PathBuf], a: &Path, b: &Path, what: &str) {
    let mut differ = Vec::new();
    for rel in rels {
        let (x, y) = (
            std::fs::read(a.join(rel)).unwrap(),
            std::fs::read(b.join(rel)).unwrap(),
        );
        if x != y {
            let at = x.iter().zip(&y).take_while(|(p, q)| p == q).count();
            differ.push(format!(
                "{}: {} and {} bytes, first difference at byte {at}",
                rel.display(),
                x.len(),
                y.len()
            ));
        }
    }
    assert!(differ.is_empty(), "{what}:\n{}", differ.join("\n"));
}

#[test]
fn assemble_truncates_the_accuracy_logs_byte_for_byte_as_the_official_tool_did() {
    let golden = golden_dir();
    let record: Value =
        serde_json::from_slice(&std::fs::read(golden.join("tool.json")).unwrap()).unwrap();
    assert_eq!(record["tool"], tool(), "{}", golden.display());
    let dir = ossperf_testkit::temp_dir();
    let (_, tree) = ossperf_tree(dir.path(), Some(&golden.join("in")));
    let bench = benchmark_dir(&tree);
    let expected = files(&golden.join("out"));
    assert_eq!(accuracy_files(&bench), expected);
    assert_same_files(
        &expected,
        &bench,
        &golden.join("out"),
        "assemble (left) and the official tool's golden output differ",
    );
}

/// Runs the official tool where its source is present, on the golden inputs (or on fresh runs'
/// when updating): it must still leave what the golden data says, and `assemble` the same.
#[test]
fn the_official_tool_run_live_leaves_its_golden_output_and_what_assemble_writes() {
    let Some(src) = oracle::inference_src(
        "the_official_tool_run_live_leaves_its_golden_output_and_what_assemble_writes",
    ) else {
        return;
    };
    let update = oracle::updating("OSSPERF_UPDATE_TRUNCATION_GOLDEN");
    let golden = golden_dir();
    let dir = ossperf_testkit::temp_dir();
    let inputs = (!update).then(|| golden.join("in"));
    let (runs, tree) = ossperf_tree(dir.path(), inputs.as_deref());
    let bench = benchmark_dir(&tree);

    // The tree before truncation: assemble's, with the runs' own files put back.
    let before = dir.path().join("before");
    copy_tree(&tree, &before);
    for rel in accuracy_files(&benchmark_dir(&before)) {
        let path = benchmark_dir(&before).join(&rel);
        match run_file(&runs, &rel) {
            from if from.is_file() => drop(std::fs::copy(from, &path).unwrap()),
            _ => std::fs::remove_file(&path).unwrap(),
        }
    }
    let out = if update {
        golden.clone()
    } else {
        dir.path().join("oracle")
    };
    let ran = std::process::Command::new(oracle::python())
        .arg(oracle::bench_script("truncation_oracle.py"))
        .args(["--src", &src, "--python", &oracle::python(), "-o"])
        .arg(&out)
        .arg(&before)
        .output()
        .unwrap();
    assert!(ran.status.success(), "truncation_oracle.py: {}", text(&ran));

    let written = files(&out.join("out"));
    assert_eq!(accuracy_files(&bench), written);
    assert_same_files(
        &written,
        &bench,
        &out.join("out"),
        "assemble (left) and the official tool run now differ",
    );
    if !update {
        let all = files(&golden);
        assert_eq!(files(&out), all);
        assert_same_files(
            &all,
            &out,
            &golden,
            "the official tool run now (left) and its golden data differ",
        );
    }
}

fn copy_tree(from: &Path, to: &Path) {
    for rel in files(from) {
        std::fs::create_dir_all(to.join(&rel).parent().unwrap()).unwrap();
        std::fs::copy(from.join(&rel), to.join(&rel)).unwrap();
    }
}
