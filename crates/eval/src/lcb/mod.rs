//! LiveCodeBench: test cases, the sandboxed runner and the worker pool (docs/REFERENCE.md §4.4).
//!
//! Each extracted program runs in its own sandboxed Python process (see [`sandbox`]) that gives
//! it what lcb_runner gives it at the commit the reference pins (LiveCodeBench `b1e7cab`,
//! `lcb_runner/evaluation/testing_util.py`; the rules are listed in `docs/EVAL.md`): 60 s per
//! test, the whole item killed after `(60 + 1) · n + 5` s, pass only if every recorded result is
//! positive. Items run in parallel, one per worker slot.
//!
//! Divergences from the reference, on purpose: the reference aborts with no score when the whole
//! batch takes over 1,200 s; here every item has its own limit and an overrun is a failed item
//! (counted in [`crate::Score::lcb_overruns`]). The reference sets no memory, process or file
//! limit; here [`SandboxConfig`] sets them (4 GiB of address space by default). Like the
//! reference, the runner disables `quit`, `os.fork`, `os.system`, `subprocess.Popen` and the rest
//! of its reliability guard before the program runs, so such programs fail here as there; the
//! sandbox, not the guard, is what contains hostile code.

pub mod cases;
pub mod environment;
mod pickle;
pub mod sandbox;

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use serde::Deserialize;

pub use cases::{load_suites, TestSuite};
pub use sandbox::{Sandbox, SandboxConfig, Strength};

/// The runner script, passed to `python3 -I -c`.
const RUNNER: &str = include_str!("runner.py");

/// How LiveCodeBench items are run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LcbOptions {
    /// Parallel workers (the reference's `--num-lcb-workers`, capped at the core count).
    pub workers: usize,
    /// Per-test time limit (the reference's 60 s).
    pub per_test_timeout: Duration,
    /// Sandbox limits.
    pub sandbox: SandboxConfig,
}

impl Default for LcbOptions {
    fn default() -> Self {
        Self {
            workers: 64,
            per_test_timeout: Duration::from_secs(60),
            sandbox: SandboxConfig::default(),
        }
    }
}

/// One program to run against one problem's tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LcbJob {
    /// The LiveCodeBench `question_id` (the row's ground truth).
    pub question_id: String,
    /// The extracted code.
    pub code: String,
}

/// The verdict on one program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Whether every test passed.
    pub passed: bool,
    /// Per-test results as the reference records them, up to the first failure: 1 pass, 0 a
    /// call-based wrong answer (the reference stores `False`), -2 a stdin wrong answer, -3 time
    /// limit, -4 runtime or compile error; `[-2]` when the program ended or hung its test
    /// process (the reference's value when its test process leaves no result).
    pub results: Vec<i32>,
    /// A one-line explanation.
    pub detail: String,
    /// Whether the whole-item limit killed it.
    pub overrun: bool,
}

#[derive(Deserialize)]
struct RunnerReport {
    results: Vec<i32>,
    passed: bool,
    detail: String,
}

/// Runs one job in worker slot `slot`.
pub(crate) fn run_job(
    sandbox: &Sandbox,
    slot: u32,
    job: &LcbJob,
    suite: &TestSuite,
    per_test: Duration,
) -> Verdict {
    let n = suite.inputs.len() as u64;
    let per_test_secs = per_test.as_secs().max(1);
    let budget = (per_test_secs + 1) * n + 5;
    let payload = serde_json::json!({
        "code": job.code,
        "inputs": suite.inputs,
        "outputs": suite.outputs,
        "fn_name": suite.fn_name,
        "timeout": per_test_secs,
    });
    let fail = |detail: String, overrun: bool| Verdict {
        passed: false,
        results: vec![-2],
        detail,
        overrun,
    };
    let run = sandbox.run(
        slot,
        &["-c", RUNNER],
        payload.to_string().as_bytes(),
        Duration::from_secs(budget),
        budget,
    );
    let out = match run {
        Ok(out) => out,
        Err(err) => return fail(format!("sandbox could not start python3: {err}"), false),
    };
    if out.exit == sandbox::Exit::TimedOut {
        return fail(
            format!("killed at the whole-item limit of {budget} s"),
            true,
        );
    }
    match serde_json::from_slice::<RunnerReport>(&out.stdout) {
        Ok(report) => Verdict {
            passed: report.passed,
            results: report.results,
            detail: report.detail,
            overrun: false,
        },
        Err(_) => fail(
            format!(
                "the program ended its test process ({:?}) before any verdict",
                out.exit
            ),
            false,
        ),
    }
}

/// Runs every job on `min(workers, cores)` threads, each with its own sandbox slot, and returns
/// the verdicts in job order. `progress` is called with the number of finished jobs.
pub fn run_jobs(
    jobs: &[LcbJob],
    suites: &HashMap<String, TestSuite>,
    options: &LcbOptions,
    progress: &(dyn Fn(usize) + Sync),
) -> Vec<Verdict> {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let workers = options.workers.clamp(1, cores).min(jobs.len().max(1));
    let sandbox = Sandbox::new(options.sandbox.clone());
    let first_slot = sandbox::reserve_slots(workers as u32);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let verdicts: Mutex<Vec<Option<Verdict>>> = Mutex::new(vec![None; jobs.len()]);
    std::thread::scope(|scope| {
        for slot in 0..workers {
            let (sandbox, next, done, verdicts) = (&sandbox, &next, &done, &verdicts);
            scope.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(job) = jobs.get(i) else { break };
                let verdict = match suites.get(&job.question_id) {
                    Some(suite) => run_job(
                        sandbox,
                        first_slot + slot as u32,
                        job,
                        suite,
                        options.per_test_timeout,
                    ),
                    None => Verdict {
                        passed: false,
                        results: Vec::new(),
                        detail: format!("Question ID '{}' not found in benchmark", job.question_id),
                        overrun: false,
                    },
                };
                if let Ok(mut v) = verdicts.lock() {
                    v[i] = Some(verdict);
                }
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
            });
        }
    });
    verdicts
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .map(|v| {
            v.unwrap_or(Verdict {
                passed: false,
                results: Vec::new(),
                detail: "worker ended without a verdict".to_owned(),
                overrun: false,
            })
        })
        .collect()
}

/// Checks that sandboxed python3 starts; `Err` says why LiveCodeBench items cannot be evaluated.
pub fn probe(config: &SandboxConfig) -> Result<Strength, String> {
    if !config.python.is_file() {
        return Err(format!(
            "python3 not found at `{}`: LiveCodeBench code cannot be run",
            config.python.display()
        ));
    }
    let sandbox = Sandbox::new(config.clone());
    let out = sandbox
        .run(
            sandbox::reserve_slots(1),
            &["-c", "print('ok')"],
            b"",
            Duration::from_secs(30),
            30,
        )
        .map_err(|e| {
            format!(
                "the sandbox could not start `{}`: {e}",
                config.python.display()
            )
        })?;
    if out.stdout == b"ok\n" {
        Ok(sandbox.strength())
    } else {
        Err(format!(
            "sandboxed `{}` did not run ({:?})",
            config.python.display(),
            out.exit
        ))
    }
}

#[cfg(test)]
mod tests;

#[cfg(test)]
mod differential_tests;
