//! The run's public handles: [`RunControl`] (abort, audit.config) and [`RunError`].

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::generate::GenerateError;

/// Why a test could not run or its logs could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RunError {
    /// A log file could not be created.
    #[error("cannot create log file `{}`: {source}", path.display())]
    CreateLog {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A log file could not be written.
    #[error("cannot write log file `{}`: {source}", path.display())]
    WriteLog {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// Query generation refused the settings.
    #[error("cannot generate queries: {0}")]
    Generate(#[from] GenerateError),
    /// The settings produce no query at all (LoadGen crashes here; docs/LOADGEN.md §12).
    #[error("the settings generate `0` queries for a loaded set of `{loaded}` samples; expected at least 1 (is `performance_sample_count_override` larger than the QSL?)")]
    NoQueries {
        /// Samples in the loaded set.
        loaded: usize,
    },
    /// The QSL is empty.
    #[error("the QSL reports `0` samples; expected at least 1")]
    EmptyQsl,
    /// The settings would never end the schedule (checked before any log is created).
    #[error("the settings cannot be run: {0}")]
    Settings(#[from] crate::settings::SettingsError),
}

/// Logged (and reported) when FindPeakPerformance is requested outside the Server scenario.
pub const FIND_PEAK_UNSUPPORTED: &str =
    "FindPeakPerformance is only supported in the Server scenario.";

/// The reason line of a token-mode run whose completed samples counted no output token (a
/// server that sent neither ids nor a count nor text): its throughput would read 0 or
/// nonsense, so it is never VALID. Not a LoadGen reason: ossperf's own (issue 19).
pub const NO_OUTPUT_TOKENS: &str =
    "No output tokens were counted: the server reported none for any completed sample.";

/// The reason line of an aborted run.
pub const ABORTED: &str = "The run was aborted before every query was issued.";

/// Stops a running test from another thread (Ctrl-C) and says which audit.config, if any,
/// the settings already include.
#[derive(Debug, Clone, Default)]
pub struct RunControl {
    aborted: Arc<AtomicBool>,
    /// Why, when the caller said (`abort_because`).
    reason: Arc<std::sync::OnceLock<String>>,
    pub(super) audit_config: Option<String>,
}

impl RunControl {
    /// A control that never aborts on its own.
    pub fn new() -> Self {
        Self::default()
    }

    /// Stops issuing; the run then waits for issued samples and writes its logs.
    pub fn abort(&self) {
        self.aborted.store(true, Ordering::Release);
    }

    /// Stops issuing, like [`abort`](Self::abort), and says why: the report's reason line
    /// and the detail log's abort error carry it. Only the first reason is kept.
    pub fn abort_because(&self, reason: impl Into<String>) {
        let _ = self.reason.set(reason.into());
        self.abort();
    }

    /// The reason given to [`abort_because`](Self::abort_because), if any.
    pub fn abort_reason(&self) -> Option<&str> {
        self.reason.get().map(String::as_str)
    }

    /// Whether [`abort`](Self::abort) was called.
    pub fn is_aborted(&self) -> bool {
        self.aborted.load(Ordering::Acquire)
    }

    /// Declares that the settings passed to [`run_test`](crate::run_test) already include the
    /// audit.config named `name` (read with model `*`, as LoadGen reads it); the detail log then
    /// carries LoadGen's warning about it.
    pub fn with_audit_config(mut self, name: impl Into<String>) -> Self {
        self.audit_config = Some(name.into());
        self
    }
}
