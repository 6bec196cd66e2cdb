//! FindPeakPerformance (docs/LOADGEN.md §8.8, Server only) as a pure search: which `target_qps` to
//! run next given whether the previous run met its performance constraints. The runs themselves
//! belong to the test orchestration; keeping the search apart makes it testable without a clock.
//!
//! LoadGen's algorithm: run at the requested qps (it must pass); widen by
//! `qps · (1 + boundary_step_size)` until a run fails; then bisect between the last passing
//! and the first failing qps until `⌊lower·10^d⌋ + 1 ≥ ⌊upper·10^d⌋` (d = decimals of
//! precision). The peak is the last passing qps.

/// Why the search cannot start or go on.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FindPeakError {
    /// The requested qps failed its constraints (LoadGen logs an error and writes that run's
    /// summary).
    #[error("the run at the requested target_qps `{qps}` did not meet its performance constraints; expected it to pass before searching for a peak")]
    BaseFailed {
        /// The requested qps.
        qps: f64,
    },
    /// Every run passed while the qps doubled past what an `f64` holds: nothing failed, so
    /// there is no boundary (an SUT that answers at once at any rate).
    #[error("every run passed up to `{qps}` queries/s; the SUT never failed, so there is no peak to find")]
    Unbounded {
        /// The highest qps that passed.
        qps: f64,
    },
    /// The search could never end with these settings.
    #[error("`{field}` is `{value}`; expected a positive number")]
    NotPositive {
        /// The setting.
        field: &'static str,
        /// Its value.
        value: f64,
    },
}

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum FindPeakStep {
    /// Run a full performance test at this `target_qps` and report whether it passed.
    Run(f64),
    /// The search is over: the highest qps that passed.
    Done {
        /// The peak.
        peak_qps: f64,
    },
}

/// The state of a FindPeakPerformance search.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FindPeakSearch {
    step_size: f64,
    decimals: u8,
    /// The highest passing qps so far (`None` before the base run).
    lower: Option<f64>,
    /// The lowest failing qps (`None` while widening).
    upper: Option<f64>,
    /// The qps of the run in progress.
    current: f64,
}

impl FindPeakSearch {
    /// A search from `base_qps` (the requested `server_target_qps`) with
    /// `server_find_peak_qps_boundary_step_size` and
    /// `server_find_peak_qps_decimals_of_precision` (cast to `u8` like LoadGen).
    pub(crate) fn new(base_qps: f64, step_size: f64, decimals: i32) -> Result<Self, FindPeakError> {
        for (field, value) in [
            ("server_target_qps", base_qps),
            ("server_find_peak_qps_boundary_step_size", step_size),
        ] {
            if !(value > 0.0 && value.is_finite()) {
                return Err(FindPeakError::NotPositive { field, value });
            }
        }
        Ok(FindPeakSearch {
            step_size,
            decimals: decimals as u8,
            lower: None,
            upper: None,
            current: base_qps,
        })
    }

    /// The first step: the base run.
    pub(crate) fn first(&self) -> FindPeakStep {
        FindPeakStep::Run(self.current)
    }

    /// Records whether the run at the current qps met its performance constraints and
    /// returns the next step.
    pub(crate) fn record(&mut self, passed: bool) -> Result<FindPeakStep, FindPeakError> {
        match (self.lower, passed) {
            (None, false) => return Err(FindPeakError::BaseFailed { qps: self.current }),
            (_, true) => self.lower = Some(self.current),
            (Some(_), false) => self.upper = Some(self.current),
        }
        let lower = self.current_lower();
        let Some(upper) = self.upper else {
            self.current = lower * (1.0 + self.step_size);
            if !self.current.is_finite() {
                return Err(FindPeakError::Unbounded { qps: lower });
            }
            return Ok(FindPeakStep::Run(self.current));
        };
        let scale = 10f64.powi(i32::from(self.decimals));
        if (lower * scale).floor() + 1.0 >= (upper * scale).floor() {
            return Ok(FindPeakStep::Done { peak_qps: lower });
        }
        self.current = lower + (upper - lower) / 2.0;
        Ok(FindPeakStep::Run(self.current))
    }

    /// The highest passing qps so far (`None` before the base run passed).
    pub(crate) fn lower(&self) -> Option<f64> {
        self.lower
    }

    /// The lowest failing qps (`None` while widening).
    pub(crate) fn upper(&self) -> Option<f64> {
        self.upper
    }

    fn current_lower(&self) -> f64 {
        self.lower.unwrap_or(self.current)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the search against a SUT that passes up to `capacity` qps; returns the qps tried.
    fn search(base: f64, step: f64, decimals: i32, capacity: f64) -> (Vec<f64>, f64) {
        let mut s = FindPeakSearch::new(base, step, decimals).unwrap();
        let mut tried = vec![];
        let mut step = s.first();
        loop {
            match step {
                FindPeakStep::Run(qps) => {
                    tried.push(qps);
                    step = s.record(qps <= capacity).unwrap();
                }
                FindPeakStep::Done { peak_qps } => return (tried, peak_qps),
            }
        }
    }

    #[test]
    fn the_search_doubles_until_a_failure_then_bisects_to_the_precision() {
        let (tried, peak) = search(1.0, 1.0, 1, 5.3);
        assert_eq!(tried, [1.0, 2.0, 4.0, 8.0, 6.0, 5.0, 5.5, 5.25, 5.375]);
        assert_eq!(peak, 5.25);
    }

    #[test]
    fn zero_decimals_stop_at_whole_qps() {
        let (tried, peak) = search(10.0, 0.5, 0, 20.0);
        assert_eq!(tried, [10.0, 15.0, 22.5, 18.75, 20.625, 19.6875]);
        assert_eq!(peak, 19.6875);
    }

    #[test]
    fn a_failing_base_run_ends_the_search_with_an_error() {
        let mut s = FindPeakSearch::new(3.0, 1.0, 1).unwrap();
        assert_eq!(s.first(), FindPeakStep::Run(3.0));
        assert_eq!(s.record(false), Err(FindPeakError::BaseFailed { qps: 3.0 }));
    }

    #[test]
    fn an_sut_that_never_fails_ends_the_search_with_an_error() {
        let mut s = FindPeakSearch::new(5e307, 1.0, 1).unwrap();
        assert_eq!(s.record(true), Ok(FindPeakStep::Run(1e308)));
        assert_eq!(s.record(true), Err(FindPeakError::Unbounded { qps: 1e308 }));
    }

    #[test]
    fn a_step_size_of_zero_is_refused() {
        assert_eq!(
            FindPeakSearch::new(1.0, 0.0, 1).unwrap_err().to_string(),
            "`server_find_peak_qps_boundary_step_size` is `0`; expected a positive number"
        );
    }
}
