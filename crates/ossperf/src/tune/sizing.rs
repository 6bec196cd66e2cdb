//! How long a probe must be, from LoadGen's own rules rather than a guess.
//!
//! A Server run passes early stopping when, with `t` queries over the TTFT (or TPOT) limit,
//! it issued at least `h(t) + t` queries, `h` being LoadGen's `MinPassingQueriesFinder` at the
//! target percentile (p99). A probe shorter than `h(t) + t` can never be VALID, whatever the
//! server does; a probe of exactly that size passes early stopping iff at most `t` of its
//! queries are over the limit. So the probe size is `h(t) + t` for the tolerated `t`.
//!
//! A probe must also outlast the requests themselves: a batch fills up over about one request
//! latency, so a probe shorter than a few latencies measures a half-empty server. The probe's
//! minimum duration is therefore a multiple of the mean latency seen in the previous probe.

use std::time::Duration;

use anyhow::Context;
use ossperf_loadgen::early_stopping::Finder;
use ossperf_loadgen::{generate_queries, loadable_sets, EffectiveSettings, Phase, TestSettings};

/// A probe lasts at least this many mean request latencies (of the previous probe).
pub(crate) const STEADY_STATE_LATENCIES: f64 = 3.0;

/// The fewest queries for which early stopping at percentile `p` passes with `overlatency`
/// queries over the limit: `h(t) + t`.
pub(crate) fn probe_queries(p: f64, overlatency: u32) -> u64 {
    let t = i64::from(overlatency);
    let h = Finder::new(p).find(t);
    u64::try_from(h + t).unwrap_or(0)
}

/// What LoadGen will issue with `settings` over a dataset of `rows` rows, computed before the
/// run from LoadGen's own query generation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Schedule {
    /// Samples issued.
    pub samples: u64,
    /// When the last query is due after the start (0 in Offline).
    pub last_arrival: Duration,
}

/// The exact number of samples and the arrival span of a performance run.
pub(crate) fn schedule(settings: &TestSettings, rows: usize) -> anyhow::Result<Schedule> {
    let rows = rows as u64;
    let eff = EffectiveSettings::derive(settings, rows, rows);
    let sets = loadable_sets(&eff, rows as usize, Phase::Performance);
    let set = sets
        .first()
        .context("the settings select no performance samples from the dataset")?;
    let generated = generate_queries(&eff, set, Phase::Performance)
        .context("cannot generate the queries of a probe")?;
    let last = generated.queries.last().map_or(0, |q| q.scheduled_ns);
    Ok(Schedule {
        samples: generated.query_count() * generated.samples_per_query,
        last_arrival: Duration::from_nanos(last),
    })
}

/// The probe's minimum duration: enough mean latencies for the batch to reach steady state,
/// never more than the submission's own `min_duration`.
pub(crate) fn steady_state_ms(mean_latency: Option<Duration>, submission_min_ms: u64) -> u64 {
    mean_latency.map_or(0, |l| {
        ((l.as_secs_f64() * STEADY_STATE_LATENCIES * 1e3).ceil() as u64).min(submission_min_ms)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ossperf_loadgen::{Scenario, TestMode};

    #[test]
    fn probe_sizes_at_p99_are_loadgens_early_stopping_minimums() {
        let sizes: Vec<u64> = (0..=5).map(|t| probe_queries(0.99, t)).collect();
        assert_eq!(sizes, [459, 662, 838, 1001, 1157, 1307]);
    }

    #[test]
    fn a_full_dataset_run_tolerates_far_more_late_queries_than_a_probe() {
        let tolerated = (0..200)
            .take_while(|&t| probe_queries(0.99, t) <= 6396)
            .last();
        assert_eq!(tolerated, Some(45)); // 0.70 %, against 1 in 662 (0.15 %) for a probe
    }

    #[test]
    fn a_probe_of_h_plus_t_queries_passes_early_stopping_with_t_late_and_fails_with_one_more() {
        let n = probe_queries(0.99, 1) as usize;
        let mut latencies = vec![0_i64; n];
        latencies[0] = 10;
        assert!(ossperf_loadgen::early_stopping::server(n as i64, &latencies, 5, 0.99).met);
        latencies[1] = 10;
        assert!(!ossperf_loadgen::early_stopping::server(n as i64, &latencies, 5, 0.99).met);
    }

    #[test]
    fn a_server_schedule_issues_at_least_the_probe_size_in_whole_passes_over_the_set() {
        let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
        s.server_target_qps = 50.0;
        s.min_duration_ms = 0;
        s.min_query_count = 662;
        s.performance_sample_count_override = 662;
        s.sample_concatenate_permutation = true;
        let on_full_set = schedule(&s, 6396).unwrap();
        assert_eq!(on_full_set.samples, 662);
        let on_sample = schedule(&s, 97).unwrap();
        assert_eq!(on_sample.samples, 679); // 7 passes over 97 rows
        assert!(on_sample.last_arrival > Duration::from_secs(5));
    }

    #[test]
    fn the_steady_state_floor_is_three_mean_latencies_capped_by_the_submission() {
        assert_eq!(steady_state_ms(None, 600_000), 0);
        assert_eq!(
            steady_state_ms(Some(Duration::from_millis(2_500)), 600_000),
            7_500
        );
        assert_eq!(
            steady_state_ms(Some(Duration::from_secs(400)), 600_000),
            600_000
        );
    }
}
