//! The search for the highest passing `target_qps`, as pure state: which rate to probe next
//! given the verdicts so far. Kept apart from the runs so it is testable without a server.
//!
//! Bracket first: from the start rate, double while probes pass (halve while they fail), so
//! the peak lies between the highest pass and the lowest failure. Then bisect that bracket
//! until its width is within the precision of its lower end. The answer is the highest pass:
//! the search never reports a rate it has not seen pass.

/// Halvings below the start rate before the search gives up (the start / 32).
pub(crate) const MAX_HALVINGS: u32 = 5;

/// What to do next.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Step {
    /// Probe this `target_qps`.
    Probe(f64),
    /// The bracket is narrow enough: `lower` passed, `upper` failed.
    Found {
        /// The highest rate that passed.
        lower: f64,
        /// The lowest rate that failed.
        upper: f64,
    },
    /// The ceiling passed; the peak is at least this rate.
    AtCeiling(f64),
    /// Nothing passed down to this rate.
    NonePassed(f64),
}

/// The state of one search.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Search {
    start: f64,
    precision: f64,
    ceiling: Option<f64>,
    lower: Option<f64>,
    upper: Option<f64>,
    halvings: u32,
}

impl Search {
    /// A search from `start` to a relative `precision` (0.02 = 2 %), never above `ceiling`.
    pub(crate) fn new(start: f64, precision: f64, ceiling: Option<f64>) -> Search {
        let start = ceiling.map_or(start, |c| start.min(c));
        Search {
            start: round_rate(start),
            precision,
            ceiling,
            lower: None,
            upper: None,
            halvings: 0,
        }
    }

    /// Records a probe's verdict.
    pub(crate) fn record(&mut self, qps: f64, passed: bool) {
        if passed {
            self.lower = Some(self.lower.map_or(qps, |l| l.max(qps)));
        } else {
            if self.lower.is_none() && self.upper.is_some() {
                self.halvings += 1;
            }
            self.upper = Some(self.upper.map_or(qps, |u| u.min(qps)));
        }
    }

    /// The highest rate that passed so far.
    pub(crate) fn best(&self) -> Option<f64> {
        self.lower
    }

    /// The lowest rate that failed so far.
    pub(crate) fn lowest_failure(&self) -> Option<f64> {
        self.upper
    }

    /// The next step.
    pub(crate) fn next(&self) -> Step {
        match (self.lower, self.upper) {
            (None, None) => Step::Probe(self.start),
            (None, Some(upper)) if self.halvings >= MAX_HALVINGS => Step::NonePassed(upper),
            (None, Some(upper)) => Step::Probe(round_rate(upper / 2.0)),
            (Some(lower), None) => match self.ceiling {
                Some(c) if lower >= c => Step::AtCeiling(lower),
                Some(c) => Step::Probe(round_rate((lower * 2.0).min(c))),
                None => Step::Probe(round_rate(lower * 2.0)),
            },
            (Some(lower), Some(upper)) => {
                let mid = round_rate((lower + upper) / 2.0);
                if (upper - lower) <= self.precision * lower || mid <= lower || mid >= upper {
                    Step::Found { lower, upper }
                } else {
                    Step::Probe(mid)
                }
            }
        }
    }
}

/// A rate rounded to 4 significant digits, so probes and the user.conf read cleanly.
pub(crate) fn round_rate(qps: f64) -> f64 {
    to_4_digits(qps, f64::round)
}

/// Confirmations below a failed one before the search gives up.
pub(crate) const MAX_STEP_DOWNS: u32 = 4;

/// The rate one precision step below `qps`, whose step up is `qps` (to 4 digits).
pub(crate) fn step_below(qps: f64, precision: f64) -> f64 {
    round_rate(qps / (1.0 + precision))
}

/// A rate rounded up to 4 significant digits.
pub(crate) fn ceil_rate(qps: f64) -> f64 {
    to_4_digits(qps, f64::ceil)
}

fn to_4_digits(qps: f64, round: fn(f64) -> f64) -> f64 {
    if !(qps > 0.0 && qps.is_finite()) {
        return qps;
    }
    let scale = 10f64.powi(3 - qps.log10().floor() as i32);
    round(qps * scale) / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Runs the search against a server whose peak is `peak`; returns the probes and the end.
    fn drive(mut search: Search, peak: f64) -> (Vec<f64>, Step) {
        let mut probes = Vec::new();
        loop {
            match search.next() {
                Step::Probe(qps) => {
                    probes.push(qps);
                    search.record(qps, qps <= peak);
                }
                end => return (probes, end),
            }
        }
    }

    #[test]
    fn the_search_doubles_until_a_failure_then_bisects_to_two_percent() {
        let (probes, end) = drive(Search::new(1.0, 0.02, None), 5.3);
        assert_eq!(
            probes,
            [1.0, 2.0, 4.0, 8.0, 6.0, 5.0, 5.5, 5.25, 5.375, 5.313]
        );
        assert_eq!(
            end,
            Step::Found {
                lower: 5.25,
                upper: 5.313
            }
        );
    }

    #[test]
    fn a_failing_start_halves_until_a_pass() {
        let (probes, end) = drive(Search::new(10.0, 0.1, None), 3.0);
        assert_eq!(probes, [10.0, 5.0, 2.5, 3.75, 3.125, 2.813, 2.969]);
        assert_eq!(
            end,
            Step::Found {
                lower: 2.969,
                upper: 3.125
            }
        );
    }

    #[test]
    fn nothing_passing_ends_after_five_halvings() {
        let (probes, end) = drive(Search::new(32.0, 0.02, None), 0.1);
        assert_eq!(probes, [32.0, 16.0, 8.0, 4.0, 2.0, 1.0]);
        assert_eq!(end, Step::NonePassed(1.0));
    }

    #[test]
    fn a_passing_ceiling_ends_the_search_there() {
        let (probes, end) = drive(Search::new(100.0, 0.02, Some(300.0)), 1e9);
        assert_eq!(probes, [100.0, 200.0, 300.0]);
        assert_eq!(end, Step::AtCeiling(300.0));
    }

    #[test]
    fn rates_keep_four_significant_digits() {
        assert_eq!(round_rate(5.31249), 5.312);
        assert_eq!(round_rate(1234.56), 1235.0);
        assert_eq!(round_rate(0.0123456), 0.01235);
        assert_eq!(ceil_rate(591.701), 591.8);
    }

    #[test]
    fn a_step_below_is_one_precision_step_down() {
        assert_eq!(step_below(7.159, 0.05), 6.818);
        assert_eq!(step_below(100.0, 0.02), 98.04);
        assert!(step_below(6.818, 0.05) * 1.05 - 6.818 < 0.001);
    }
}
