//! The official MLPerf LoadGen (mlcommons/inference `loadgen/`, C++) driving ossperf's SUT and
//! QSL, for runs that must be produced under the official library.
//!
//! Built only with the `official` feature and `MLPERF_LOADGEN_SRC` naming the library's sources
//! (the `mlcommons-loadgen` source distribution on PyPI, or `loadgen/` of a clone); without
//! them [`start_test`] answers [`Error::NotBuilt`] and nothing C++ is compiled. Must not know
//! about HTTP or gpt-oss: it sees the same [`SystemUnderTest`] and [`QuerySampleLibrary`] as
//! `ossperf-loadgen`, and the SUT answers through a [`Responder`](ossperf_loadgen::Responder) whose answers go to the
//! official library ([`Responder::external`](ossperf_loadgen::Responder::external)).
//!
//! The settings come from the conf files alone, handed over as the reference harness
//! (`language/gpt-oss-120b/run_mlperf.py`) hands them: `FromConfig(mlperf.conf, model, scenario,
//! 2)`, then `FromConfig(user.conf, model, scenario, 1)`. The library keeps process-wide state
//! (FromConfig's count of conf files, its logger), so one process runs one test: a second
//! [`start_test`] is refused ([`Error::SecondTest`]). See `docs/OFFICIAL_LOADGEN.md`.

#![allow(unsafe_code)] // the C++ library's entry points and its callbacks into Rust

mod bridge;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

pub use bridge::{Outcome, SampleTimes};
use ossperf_loadgen::{QuerySampleLibrary, Scenario, SystemUnderTest, TestMode};

/// One test for the official library to run.
#[derive(Debug, Clone, Copy)]
pub struct Test<'a> {
    /// The model as the conf files name it (`gpt-oss-120b`, `gpt-oss-120b-interactive`).
    pub model: &'a str,
    /// The LoadGen scenario (Interactive runs as Server under its own model key).
    pub scenario: Scenario,
    /// Accuracy or performance.
    pub mode: TestMode,
    /// The mlperf.conf to load first (conf type 2); `None` loads only the built-in.
    pub mlperf_conf: Option<&'a Path>,
    /// The user.conf (conf type 1, which also loads the library's built-in mlperf.conf).
    pub user_conf: Option<&'a Path>,
    /// The audit.config the library reads; `audit.config` in the working directory when the
    /// reference harness runs, which is what LoadGen does when given no other name.
    pub audit_config: &'a Path,
    /// Where the `mlperf_log_*` files go.
    pub outdir: &'a Path,
}

/// Why the official library could not run a test.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// This build has no official library.
    #[error(
        "this ossperf was built without the official LoadGen: build it with \
         `MLPERF_LOADGEN_SRC=<loadgen sources> cargo build --release --features official-loadgen` \
         (README, \"The official LoadGen\")"
    )]
    NotBuilt,
    /// The library's process-wide state allows one test per process.
    #[error(
        "the official LoadGen runs one test per process (its conf-file count and logger are \
         process-wide); run each test in a process of its own"
    )]
    SecondTest,
    /// A path or name cannot be handed to C++.
    #[error("`{0}` cannot be passed to the official LoadGen (it contains a NUL byte)")]
    Nul(String),
    /// The scenario or mode is not one ossperf runs under the official library.
    #[error("the official LoadGen runs accuracy or performance tests, not `{0}`")]
    Mode(String),
}

/// The official library's version (its `VERSION.txt`) when this build has it.
pub fn version() -> Option<&'static str> {
    bridge::VERSION
}

static RAN: AtomicBool = AtomicBool::new(false);
static RUNNING: AtomicBool = AtomicBool::new(false);

/// The library's `AbortTest`: stops issuing and stops its logger thread, so a running test
/// with samples still out never returns (their answers are no longer recorded); for a process
/// about to end, not for stopping a test (ossperf's Ctrl-C answers the samples as failed
/// instead). Does nothing when no official test is running.
pub fn abort() {
    if RUNNING.load(Ordering::SeqCst) {
        bridge::ffi::abort();
    }
}

/// Runs one test under the official library: loads the conf files as `run_mlperf.py` does,
/// issues queries to `sut`, and writes the `mlperf_log_*` files into `test.outdir`. Returns
/// what ossperf saw of each sample (the library's own figures are in its logs).
pub fn start_test(
    sut: &dyn SystemUnderTest,
    qsl: &dyn QuerySampleLibrary,
    test: &Test<'_>,
) -> Result<Outcome, Error> {
    if version().is_none() {
        return Err(Error::NotBuilt);
    }
    let mode = match test.mode {
        TestMode::AccuracyOnly => 1,
        TestMode::PerformanceOnly => 2,
        other => return Err(Error::Mode(other.as_str().to_string())),
    };
    if RAN.swap(true, Ordering::SeqCst) {
        return Err(Error::SecondTest);
    }
    RUNNING.store(true, Ordering::SeqCst);
    let outcome = bridge::run(sut, qsl, test, mode, scenario_name(test.scenario));
    RUNNING.store(false, Ordering::SeqCst);
    outcome
}

/// LoadGen's name of the scenario, as `FromConfig` expects it.
fn scenario_name(scenario: Scenario) -> &'static str {
    match scenario {
        Scenario::SingleStream => "SingleStream",
        Scenario::MultiStream => "MultiStream",
        Scenario::Server => "Server",
        Scenario::Offline => "Offline",
    }
}
