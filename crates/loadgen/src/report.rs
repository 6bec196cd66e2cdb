//! What a run hands back to the binary: plain data for results.json, the HTML report and the
//! printed summary. Times are ns after the start of the test.

use crate::generate::Phase;
use crate::logs::LogPaths;
use crate::responder::FailureSummary;
use crate::results::PerformanceResult;
use crate::settings::{Scenario, TestMode};
use crate::EffectiveSettings;

/// One issued sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleRecord {
    /// Which phase issued it.
    pub phase: Phase,
    /// Global sample sequence number (`seq_id` of the accuracy log).
    pub seq_id: u64,
    /// The id the SUT answered it by (`seq_id + 1` here; the official library's own ids when
    /// it drove the test).
    pub response_id: crate::ResponseId,
    /// The QSL index.
    pub qsl_idx: usize,
    /// When its query was due.
    pub scheduled_ns: u64,
    /// When its query was handed to the SUT.
    pub issued_ns: u64,
    /// When its first token arrived, if reported.
    pub first_token_ns: Option<u64>,
    /// When it completed (or failed).
    pub complete_ns: u64,
    /// Output tokens reported at completion.
    pub n_tokens: i64,
    /// The failure reason, for a sample that ended with [`crate::Responder::fail`].
    pub error: Option<String>,
}

/// Everything a finished (or aborted) test produced.
#[derive(Debug, Clone, PartialEq)]
pub struct TestReport {
    /// `effective_scenario`.
    pub scenario: Scenario,
    /// `effective_test_mode`.
    pub mode: TestMode,
    /// The SUT's name.
    pub sut_name: String,
    /// VALID: the performance result (if any) is valid, no sample failed and the run was not
    /// aborted.
    pub valid: bool,
    /// Why not, one line each (LoadGen's recommendations, failed samples, abort).
    pub invalid_reasons: Vec<String>,
    /// Whether [`crate::RunControl::abort`] stopped the run.
    pub aborted: bool,
    /// The performance phase's metrics and checks (`None` for accuracy-only runs).
    pub performance: Option<PerformanceResult>,
    /// Failed samples over all phases.
    pub failures: FailureSummary,
    /// Every issued sample, in issue order.
    pub samples: Vec<SampleRecord>,
    /// The settings the run used.
    pub settings: EffectiveSettings,
    /// The text of `mlperf_log_summary.txt`.
    pub summary: String,
    /// Warnings and errors logged to the detail log.
    pub warnings: u64,
    /// Errors logged to the detail log (`num_errors`).
    pub errors: u64,
    /// The four log files.
    pub logs: LogPaths,
}
