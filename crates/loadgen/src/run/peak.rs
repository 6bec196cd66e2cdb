//! FindPeakPerformance (spec §8.8, Server only): full performance runs at the target QPS the
//! search of [`crate::find_peak`] asks for, until it settles; the summary and the result keys
//! are those of the peak run (or of the base run when that one fails its constraints).

use std::io;

use super::{write_err, RunError, Test, FIND_PEAK_UNSUPPORTED};
use crate::find_peak::{FindPeakError, FindPeakSearch, FindPeakStep};
use crate::logs::detail::Value;
use crate::logs::format::format_g;
use crate::results::PerformanceResult;
use crate::settings::Scenario;

impl Test<'_> {
    /// Runs the search and reports the chosen run; `None` when no run could be made.
    pub(super) fn find_peak(&mut self) -> Result<Option<(PerformanceResult, String)>, RunError> {
        let path = self.paths.detail.clone();
        self.message("Starting FindPeakPerformance mode")
            .map_err(write_err(&path))?;
        if self.eff.scenario != Scenario::Server {
            self.detail
                .error("error_invalid_config", FIND_PEAK_UNSUPPORTED)
                .map_err(write_err(&path))?;
            self.notes.push(FIND_PEAK_UNSUPPORTED.to_string());
            return Ok(None);
        }
        let r = &self.eff.requested;
        let search = FindPeakSearch::new(
            self.eff.target_qps,
            r.server_find_peak_qps_boundary_step_size,
            r.server_find_peak_qps_decimals_of_precision,
        );
        let mut search = match search {
            Ok(search) => search,
            Err(e) => {
                let message = format!("FindPeakPerformance: {e}");
                self.detail
                    .error("error_invalid_test_settings", &message)
                    .map_err(write_err(&path))?;
                self.notes.push(message);
                return Ok(None);
            }
        };
        let base = self.eff.clone();
        let mut best: Option<(PerformanceResult, f64)> = None;
        let mut step = search.first();
        let message = format!(
            "FindPeakPerformance: Check validity of the base settings field: target_qps : {}",
            format_g(base.target_qps)
        );
        self.message(&message).map_err(write_err(&path))?;
        loop {
            let qps = match step {
                FindPeakStep::Run(qps) => qps,
                FindPeakStep::Done { peak_qps } => {
                    let message = format!(
                        "FindPeakPerformance: Found peak performance field: target_qps : {}",
                        format_g(peak_qps)
                    );
                    self.message(&message).map_err(write_err(&path))?;
                    break;
                }
            };
            self.eff = base.clone();
            self.eff.target_qps = qps;
            self.eff.requested.server_target_qps = qps;
            let result = self.performance_series(false)?;
            let passed = result.perf_constraints_met.unwrap_or(false);
            if self.aborted {
                best = best.or(Some((result, qps)));
                break;
            }
            match search.record(passed) {
                Ok(next) => {
                    if passed {
                        best = Some((result, qps));
                    }
                    step = next;
                }
                Err(FindPeakError::BaseFailed { .. }) => {
                    let reason = result.perf_recommendation.clone().unwrap_or_default();
                    let message = format!(
                        "FindPeakPerformance: Initial lower bound does not satisfy performance \
                         constraints, msg: {reason}"
                    );
                    self.detail
                        .error("error_runtime", &message)
                        .map_err(write_err(&path))?;
                    best = Some((result, qps));
                    break;
                }
                Err(e) => {
                    // Unbounded: every run passed; the last one is the best seen.
                    self.detail
                        .error("error_runtime", &e.to_string())
                        .map_err(write_err(&path))?;
                    if passed {
                        best = Some((result, qps));
                    }
                    break;
                }
            }
        }
        let Some((result, qps)) = best else {
            return Ok(None);
        };
        self.eff = base;
        self.eff.target_qps = qps;
        self.eff.requested.server_target_qps = qps;
        Ok(Some(self.report_result(result)?))
    }

    fn message(&mut self, text: &str) -> io::Result<()> {
        self.detail.log("generic_message", Value::Str(text))
    }
}
