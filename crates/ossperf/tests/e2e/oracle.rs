//! The official tools of mlcommons/inference `tools/submission/` as oracles (the submission
//! checker for `submission_checker`, the accuracy-log truncation tool for `truncation`), and
//! the short simulator runs and trees their golden data comes from.
//!
//! Neither tool is on PyPI. Where `MLPERF_INFERENCE_SRC` names a checkout of their source
//! (`bench/submission/checker-src.sh` fetches one), the tests run them live through the scripts
//! in `bench/submission/`; elsewhere, and in CI, they compare with the golden data those scripts
//! recorded in `tests/data/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::{ossperf, text};

/// The commit of mlcommons/inference the golden data comes from (docs/SUBMISSION.md cites it).
pub const INFERENCE_COMMIT: &str = "b66003e10e2db4b8c36a448b0545ec90fcc6e9e9";

/// The source of the official tools, or `None` after printing why `test` is skipped (printed
/// here for the calling test, as a test prints its own output).
#[allow(clippy::print_stdout)]
pub fn inference_src(test: &str) -> Option<String> {
    let src = std::env::var("MLPERF_INFERENCE_SRC").ok();
    if src.is_none() {
        println!(
            "{test}: skipped, `MLPERF_INFERENCE_SRC` is not set (the source of mlcommons/inference \
             `tools/submission/`; bench/submission/checker-src.sh fetches it, see \
             bench/submission/README.md)"
        );
    }
    src
}

/// `python3`, or the interpreter `OSSPERF_CHECKER_PYTHON` names (one with PyYAML, for the
/// checker).
pub fn python() -> String {
    std::env::var("OSSPERF_CHECKER_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// A script of `bench/submission/`.
pub fn bench_script(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../bench/submission")
        .join(name)
}

/// Whether the live test rewrites its golden data (`var` is set) instead of comparing with it.
pub fn updating(var: &str) -> bool {
    std::env::var_os(var).is_some()
}

/// The repository's `data/` (the bundled sample).
pub fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data")
}

/// Runs `cmd`, which must exit with 0 or 1 (a finished test, passed or not).
pub fn run(cmd: &mut Command) -> Output {
    let out = cmd.output().unwrap();
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{cmd:?}: {}",
        text(&out)
    );
    out
}

/// `dir/<name>.parquet`: the sample's rows (`data/sample.jsonl`) that `keep` keeps, built with
/// `--reasoning-effort high`.
pub fn sample_rows(dir: &Path, name: &str, keep: impl Fn(usize, &str) -> bool) -> PathBuf {
    let rows: String = std::fs::read_to_string(data().join("sample.jsonl"))
        .unwrap()
        .lines()
        .enumerate()
        .filter(|(i, l)| keep(*i, l))
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let jsonl = dir.join(format!("{name}.jsonl"));
    let parquet = dir.join(format!("{name}.parquet"));
    std::fs::write(&jsonl, rows).unwrap();
    run(ossperf()
        .args(["dataset", "build"])
        .arg(&jsonl)
        .arg(&parquet)
        .args(["--reasoning-effort", "high"]));
    parquet
}

/// TEST07's set: the sample's GPQA rows (25).
pub fn gpqa(dir: &Path) -> PathBuf {
    sample_rows(dir, "gpqa", |_, l| l.contains("\"gpqa_diamond\""))
}

/// `submission run` of `scenario` into `runs` against the simulator (`--sim-profile zero`): the
/// bundled sample as the reference data (LiveCodeBench's tests given, unscored sub-datasets
/// skipped), TEST07 on `gpqa`, then `submission_flags`; the run flags `--scenario`,
/// `--user-conf conf` and `run_flags` (`--input-file` among them).
pub fn submission_run(
    runs: &Path,
    scenario: &str,
    gpqa: &Path,
    conf: &Path,
    submission_flags: &[&str],
    run_flags: &[&str],
) {
    run(ossperf()
        .args(["submission", "run", "-o"])
        .arg(runs)
        .arg("--reference-data")
        .arg(data().join("sample.parquet"))
        .arg("--test07-data")
        .arg(gpqa)
        .arg("--lcb-tests")
        .arg(data().join("sample_lcb_tests.jsonl"))
        .arg("--skip-unscored-datasets")
        .args(submission_flags)
        .args(["--", "--scenario", scenario, "--user-conf"])
        .arg(conf)
        .args(["--sim-profile", "zero"])
        .args(run_flags));
}

/// Every field of `measurements.json` the checker requires (`SYSTEM_IMP_REQUIRED_FILES`).
const MEASUREMENTS: &[&str] = &[
    "input_data_types=int32 token ids",
    "retraining=no",
    "starting_weights_filename=openai/gpt-oss-120b",
    "weight_data_types=mxfp4",
    "weight_transformations=none",
];

/// `submission assemble --org Org --system sim` of `runs` into `tree`, with the system
/// description's `fields` and every measurement field.
pub fn assemble(runs: &[PathBuf], tree: &Path, fields: &[&str]) {
    let mut cmd = ossperf();
    cmd.args(["submission", "assemble", "--org", "Org", "--system", "sim"])
        .arg("-o")
        .arg(tree);
    for f in fields {
        cmd.args(["--field", f]);
    }
    for m in MEASUREMENTS {
        cmd.args(["--measurement", m]);
    }
    cmd.args(runs);
    let out = cmd.output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

/// The benchmark's directory in a tree made by `assemble` (its scenarios' parent).
pub fn benchmark_dir(tree: &Path) -> PathBuf {
    tree.join("closed/Org/results/sim/gpt-oss-120b")
}
