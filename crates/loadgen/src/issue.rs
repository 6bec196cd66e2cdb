//! The issue loop (spec §8): one issuing thread walks the pre-generated queries, waits for
//! each one's time, hands it to the SUT and decides when to stop.
//!
//! Server queries wait for their Poisson time (sleep, then spin); SingleStream and
//! MultiStream wait for the previous query to finish; Offline issues its one query at once.
//! Every query's scheduled and actual issue time is recorded in its slot.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::clock;
use crate::generate::{GeneratedQueries, Phase};
use crate::responder::{Responder, Series};
use crate::settings::Scenario;
use crate::{EffectiveSettings, QuerySample, RunControl, SystemUnderTest};

/// Why the loop stopped before the last generated query, as LoadGen logs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Stop {
    /// Every generated query was issued.
    Exhausted,
    /// `generic_message`: minimum query count and duration met.
    Natural,
    /// `error_runtime`: too many outstanding queries, max query count or max duration.
    Early(String),
    /// [`RunControl::abort`] was called.
    Aborted,
}

/// What the loop did.
#[derive(Debug)]
pub(crate) struct Issued {
    /// Queries issued (a prefix of the generated ones).
    pub(crate) queries: usize,
    /// Samples issued.
    pub(crate) samples: u64,
    /// ns from the test origin to the start of issuing.
    pub(crate) start_ns: u64,
    /// Why it stopped.
    pub(crate) stop: Stop,
}

/// Issues the queries of one series and returns once the SUT has been flushed (it does not
/// wait for completions).
pub(crate) fn issue_all(
    series: &Arc<Series>,
    generated: &GeneratedQueries,
    eff: &EffectiveSettings,
    phase: Phase,
    sut: &dyn SystemUnderTest,
    control: &RunControl,
) -> Issued {
    let _precise = crate::sys::PreciseSleeps::new();
    let responder = Responder::new(Arc::clone(series));
    let queries = &generated.queries;
    let coalesce = eff.scenario == Scenario::Server && eff.requested.server_coalesce_queries;
    let start = Instant::now();
    let mut batch: Vec<QuerySample> = Vec::new();
    let mut next_seq = series.first_seq;
    let mut issued = Issued {
        queries: 0,
        samples: 0,
        start_ns: clock::since(series.origin, start),
        stop: Stop::Exhausted,
    };
    while issued.queries < queries.len() {
        let first = issued.queries;
        let Some(scheduled) = wait_turn(
            series,
            eff,
            start,
            queries[first].scheduled_ns,
            first,
            control,
        ) else {
            issued.stop = Stop::Aborted;
            break;
        };
        let mut last = first;
        if coalesce {
            // §8.5: later queries already due ride along; each keeps its scheduled time.
            let now = Instant::now();
            while queries
                .get(last + 1)
                .is_some_and(|q| start + Duration::from_nanos(q.scheduled_ns) <= now)
            {
                last += 1;
            }
        }
        batch.clear();
        for query in &queries[first..=last] {
            for &index in &query.sample_indices {
                next_seq += 1;
                batch.push(QuerySample {
                    id: next_seq,
                    index,
                });
            }
        }
        let issued_at = Instant::now();
        record_times(series, generated, first..=last, scheduled, start, issued_at);
        sut.issue_query(&batch, &responder);
        issued.queries = last + 1;
        issued.samples += batch.len() as u64;
        if let Some(stop) = should_stop(series, eff, phase, &issued, issued_at, start) {
            issued.stop = stop;
            break;
        }
    }
    sut.flush_queries();
    issued
}

/// Stores the scheduled and issue times of the queries handed to the SUT in one call; the
/// first keeps the time it waited for, coalesced ones their own scheduled time.
fn record_times(
    series: &Series,
    generated: &GeneratedQueries,
    range: std::ops::RangeInclusive<usize>,
    scheduled: Instant,
    start: Instant,
    issued_at: Instant,
) {
    let issued_ns = clock::since(series.origin, issued_at);
    let first = *range.start();
    for qi in range {
        let due = if qi == first {
            scheduled
        } else {
            start + Duration::from_nanos(generated.queries[qi].scheduled_ns)
        };
        let slot = &series.queries[qi];
        slot.scheduled_ns
            .store(clock::since(series.origin, due), Ordering::Release);
        slot.issued_ns.store(issued_ns, Ordering::Release);
    }
}

/// Waits until query `qi` may be issued and returns its scheduled time; `None` if aborted.
fn wait_turn(
    series: &Series,
    eff: &EffectiveSettings,
    start: Instant,
    scheduled_ns: u64,
    qi: usize,
    control: &RunControl,
) -> Option<Instant> {
    if control.is_aborted() {
        return None;
    }
    match eff.scenario {
        Scenario::Server => {
            let due = start + Duration::from_nanos(scheduled_ns);
            clock::wait_until(due, || control.is_aborted()).then_some(due)
        }
        Scenario::Offline => Some(start),
        Scenario::SingleStream | Scenario::MultiStream => {
            (qi == 0 || wait_for_query(series, qi - 1, control)).then(Instant::now)
        }
    }
}

/// The termination rules checked after each issue (spec §8.3).
fn should_stop(
    series: &Series,
    eff: &EffectiveSettings,
    phase: Phase,
    issued: &Issued,
    issued_at: Instant,
    start: Instant,
) -> Option<Stop> {
    if phase == Phase::Accuracy {
        return None;
    }
    let count = issued.queries as u64;
    if eff.scenario == Scenario::Server {
        let completed = series.completed_queries.load(Ordering::Acquire);
        let outstanding = count.saturating_sub(completed);
        if eff.max_async_queries != 0 && outstanding > eff.max_async_queries {
            return Some(Stop::Early(format!(
                "IssueQueryThread 0 Ending early: Too many outstanding queries. issued {count} \
                 outstanding {outstanding}"
            )));
        }
    } else {
        let elapsed = issued_at.saturating_duration_since(start);
        if count >= eff.min_query_count && elapsed >= Duration::from_millis(eff.target_duration_ms)
        {
            return Some(Stop::Natural);
        }
    }
    if eff.max_query_count != 0 && count >= eff.max_query_count {
        return Some(Stop::Early(format!(
            "IssueQueryThread 0 Ending early: Max query count reached. query_count {count}"
        )));
    }
    if eff.max_duration_ms == 0 {
        return None;
    }
    let elapsed = Instant::now().saturating_duration_since(start);
    if elapsed > Duration::from_millis(eff.max_duration_ms) {
        return Some(Stop::Early(format!(
            "IssueQueryThread 0 Ending early: Max test duration reached. duration_ns {}",
            elapsed.as_nanos()
        )));
    }
    None
}

/// Waits until query `qi` has fully completed; `false` if aborted first.
fn wait_for_query(series: &Series, qi: usize, control: &RunControl) -> bool {
    let slot = &series.queries[qi];
    let mut spins = 0u32;
    while !slot.is_done() {
        if control.is_aborted() {
            return false;
        }
        if spins < 2000 {
            spins += 1;
            std::hint::spin_loop();
        } else {
            std::thread::park_timeout(Duration::from_millis(1));
        }
    }
    true
}

/// Waits until every issued sample has completed or failed. LoadGen never times out; after
/// an abort the SUT is expected to fail its in-flight samples.
pub(crate) fn wait_for_completions(series: &Series, samples: u64) {
    series.expected_samples.store(samples, Ordering::Release);
    while series.completed_samples.load(Ordering::Acquire) < samples {
        std::thread::park_timeout(Duration::from_millis(5));
    }
}
