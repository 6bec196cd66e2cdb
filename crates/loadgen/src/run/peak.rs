//! FindPeakPerformance (docs/LOADGEN.md §8.8, Server only): full performance runs at the target QPS
//! the search of [`crate::find_peak`] asks for, until it settles; the summary and the result keys
//! are those of the peak run (or of the base run when that one fails its constraints).

use std::io;

use super::{PhaseError, Test, FIND_PEAK_UNSUPPORTED};
use crate::find_peak::{FindPeakError, FindPeakSearch, FindPeakStep};
use crate::logs::detail::Value;
use crate::results::PerformanceResult;
use crate::settings::Scenario;

impl Test<'_> {
    /// Runs the search and reports the chosen run; `None` when no run could be made.
    pub(super) fn find_peak(&mut self) -> Result<Option<(PerformanceResult, String)>, PhaseError> {
        self.message("Starting FindPeakPerformance mode")?;
        if self.eff.scenario != Scenario::Server {
            self.detail
                .error("error_invalid_config", FIND_PEAK_UNSUPPORTED)?;
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
                self.detail.error("error_invalid_test_settings", &message)?;
                self.notes.push(message);
                return Ok(None);
            }
        };
        let base = self.eff.clone();
        let mut best: Option<(PerformanceResult, f64)> = None;
        let mut step = search.first();
        let message = format!(
            "FindPeakPerformance: Check validity of the base settings field: {}",
            qps_field(base.target_qps)
        );
        self.message(&message)?;
        loop {
            let qps = match step {
                FindPeakStep::Run(qps) => qps,
                FindPeakStep::Done { peak_qps } => {
                    let message = format!(
                        "FindPeakPerformance: Found peak performance field: {}",
                        qps_field(peak_qps)
                    );
                    self.message(&message)?;
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
            let widening = search.upper().is_none();
            match search.record(passed) {
                Ok(next) => {
                    if passed {
                        best = Some((result, qps));
                    }
                    for message in step_messages(&search, widening, next) {
                        self.message(&message)?;
                    }
                    step = next;
                }
                Err(FindPeakError::BaseFailed { .. }) => {
                    let reason = result.perf_recommendation.clone().unwrap_or_default();
                    let message = format!(
                        "FindPeakPerformance: Initial lower bound does not satisfy performance \
                         constraints, msg: {reason}"
                    );
                    self.detail.error("error_runtime", &message)?;
                    best = Some((result, qps));
                    break;
                }
                Err(e) => {
                    // Unbounded: every run passed; the last one is the best seen.
                    self.detail.error("error_runtime", &e.to_string())?;
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

/// LoadGen's `ToStringPerformanceField` for Server: `std::to_string(target_qps)`, i.e. `%f`.
fn qps_field(qps: f64) -> String {
    format!("{qps:.6}")
}

/// LoadGen's messages after a run, before the next step: the bounds to check while widening
/// (`FindBoundaries`), the boundaries once the first run failed, the bisection's midpoint.
/// `was_widening`: no run had failed before this one.
fn step_messages(search: &FindPeakSearch, was_widening: bool, next: FindPeakStep) -> Vec<String> {
    let lower = qps_field(search.lower().unwrap_or(f64::NAN));
    let mut messages = vec![];
    match (search.upper(), next) {
        (None, FindPeakStep::Run(qps)) => messages.push(format!(
            "FindBoundaries: Checking fields [{lower}, {})",
            qps_field(qps)
        )),
        (None, FindPeakStep::Done { .. }) => {}
        (Some(upper), next) => {
            let upper = qps_field(upper);
            if was_widening {
                messages.push(format!(
                    "FindPeakPerformance: Found boundaries: [{lower}, {upper})"
                ));
            }
            if let FindPeakStep::Run(qps) = next {
                messages.push(format!(
                    "FindPeakPerformanceBinarySearch: Testing the mid value of bounds \
                     [{lower}, {upper}): {}",
                    qps_field(qps)
                ));
            }
        }
    }
    messages
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The messages of a search against a SUT that passes up to `capacity` qps, in LoadGen's
    /// order (loadgen.cc FindPeakPerformanceMode, FindBoundaries, FindPeakPerformanceBinarySearch).
    #[test]
    fn the_messages_follow_loadgens_widening_and_bisection() {
        let mut search = FindPeakSearch::new(1.0, 1.0, 1).unwrap();
        let mut step = search.first();
        let mut messages = vec![];
        while let FindPeakStep::Run(qps) = step {
            let widening = search.upper().is_none();
            step = search.record(qps <= 5.3).unwrap();
            messages.extend(step_messages(&search, widening, step));
        }
        assert_eq!(
            messages,
            [
                "FindBoundaries: Checking fields [1.000000, 2.000000)",
                "FindBoundaries: Checking fields [2.000000, 4.000000)",
                "FindBoundaries: Checking fields [4.000000, 8.000000)",
                "FindPeakPerformance: Found boundaries: [4.000000, 8.000000)",
                "FindPeakPerformanceBinarySearch: Testing the mid value of bounds \
                 [4.000000, 8.000000): 6.000000",
                "FindPeakPerformanceBinarySearch: Testing the mid value of bounds \
                 [4.000000, 6.000000): 5.000000",
                "FindPeakPerformanceBinarySearch: Testing the mid value of bounds \
                 [5.000000, 6.000000): 5.500000",
                "FindPeakPerformanceBinarySearch: Testing the mid value of bounds \
                 [5.000000, 5.500000): 5.250000",
                "FindPeakPerformanceBinarySearch: Testing the mid value of bounds \
                 [5.250000, 5.500000): 5.375000",
            ]
        );
        assert_eq!(step, FindPeakStep::Done { peak_qps: 5.25 });
    }

    #[test]
    fn boundaries_found_at_the_last_step_are_logged_before_the_peak() {
        // 10 passes, 11 fails: ⌊100⌋ + 1 ≥ ⌊110⌋ is false at one decimal, true at zero.
        let mut search = FindPeakSearch::new(10.0, 0.1, 0).unwrap();
        let step = search.record(true).unwrap();
        assert_eq!(
            step_messages(&search, true, step),
            ["FindBoundaries: Checking fields [10.000000, 11.000000)"]
        );
        let step = search.record(false).unwrap();
        assert_eq!(step, FindPeakStep::Done { peak_qps: 10.0 });
        assert_eq!(
            step_messages(&search, true, step),
            ["FindPeakPerformance: Found boundaries: [10.000000, 11.000000)"]
        );
    }

    #[test]
    fn the_qps_is_printed_like_std_to_string() {
        assert_eq!(qps_field(1000.0), "1000.000000");
        assert_eq!(qps_field(0.1), "0.100000");
        assert_eq!(qps_field(f64::INFINITY), "inf");
    }
}
