//! The issue loop (docs/LOADGEN.md §8): one issuing thread walks the pre-generated queries, waits
//! for each one's time, hands it to the SUT and decides when to stop.
//!
//! Server with `server_num_issue_query_threads` N > 0 issues from N threads instead, like
//! LoadGen's `IssueQueryController`: thread t takes queries t, t + N, t + 2N, … with its own
//! clock wait, coalescing (stride N) and stop rules (its share of `max_query_count`, the
//! combined issued count against `max_async_queries`). LoadGen runs on threads the SUT
//! registers (`RegisterIssueQueryThread`); here LoadGen starts them for each issuing series
//! and reports each as registered. One loop serves both: the caller's thread is the case of
//! one thread with stride 1, as in LoadGen's `IssueQueriesInternal`.
//!
//! Server queries wait for their Poisson time (sleep, then spin); SingleStream and
//! MultiStream wait for the previous query to finish; Offline issues its one query at once.
//! Every query's scheduled and actual issue time is recorded in its slot.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
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

/// Why one issuing thread stopped, and when and where for a thread other than the caller's.
#[derive(Debug)]
pub(crate) struct ThreadStop {
    pub(crate) stop: Stop,
    /// When and on which thread (`tid`) the stop happened; `None`: the calling thread, now.
    pub(crate) at: Option<(Instant, u64)>,
}

/// What the loop did.
#[derive(Debug)]
pub(crate) struct Issued {
    /// Queries issued (LoadGen's `queries_issued`).
    pub(crate) queries: usize,
    /// One past the last issued query. With one thread the issued queries are exactly
    /// `0..end`; with several, each thread stops on its own, so some below `end` may not be.
    pub(crate) end: usize,
    /// Samples issued.
    pub(crate) samples: u64,
    /// ns from the test origin to the start of issuing.
    pub(crate) start_ns: u64,
    /// Why each issuing thread stopped, in thread order.
    pub(crate) stops: Vec<ThreadStop>,
}

/// An issue thread LoadGen started, reported like LoadGen's `RegisterIssueQueryThread`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Registered {
    /// Its index, 0..N.
    pub(crate) index: usize,
    /// The thread ID LoadGen prints (libstdc++'s hash of the `pthread_t`).
    pub(crate) thread_id: u64,
    /// The OS thread id, for the detail line's `tid`.
    pub(crate) tid: u64,
    /// When it registered.
    pub(crate) at: Instant,
}

/// How many threads issue a series: `server_num_issue_query_threads` in Server, else 0
/// (the caller's thread).
pub(crate) fn issue_threads(eff: &EffectiveSettings) -> u64 {
    if eff.scenario == Scenario::Server {
        eff.requested.server_num_issue_query_threads
    } else {
        0
    }
}

/// Issues the queries of one series and returns once the SUT has been flushed (it does not
/// wait for completions). `register` hears of each issue thread before issuing starts.
pub(crate) fn issue_all(
    series: &Arc<Series>,
    generated: &GeneratedQueries,
    eff: &EffectiveSettings,
    phase: Phase,
    sut: &dyn SystemUnderTest,
    control: &RunControl,
    register: &mut dyn FnMut(Registered),
) -> Issued {
    let threads = issue_threads(eff);
    let ctx = Issuer {
        series,
        generated,
        offsets: sample_offsets(generated),
        eff,
        phase,
        sut,
        control,
        stride: threads.max(1),
        multi_thread: threads > 0,
        start: OnceLock::new(),
        issued_total: AtomicU64::new(0),
    };
    let issued = if ctx.multi_thread {
        issue_on_threads(&ctx, register)
    } else {
        let done = issue_stride(&ctx, 0);
        let start = ctx.start.get().copied().unwrap_or_else(Instant::now);
        Issued {
            queries: done.queries as usize,
            end: done.end,
            samples: done.samples,
            start_ns: clock::since(series.origin, start),
            // The caller's thread: the run takes the stop's time itself.
            stops: vec![ThreadStop {
                stop: done.stop.stop,
                at: None,
            }],
        }
    };
    sut.flush_queries();
    issued
}

/// What the issuing threads of one series share; one thread issuing on the caller's thread
/// is the case `stride` 1.
struct Issuer<'a> {
    series: &'a Arc<Series>,
    generated: &'a GeneratedQueries,
    /// Position of each query's first sample in the series (its ids follow from it).
    offsets: Vec<u64>,
    eff: &'a EffectiveSettings,
    phase: Phase,
    sut: &'a dyn SystemUnderTest,
    control: &'a RunControl,
    /// Issue threads (1 on the caller's thread).
    stride: u64,
    /// LoadGen's `multi_thread`: threads it started, sharing `issued_total`.
    multi_thread: bool,
    /// The common start of issuing: set once every thread is up, or by the caller's thread
    /// right before its first query.
    start: OnceLock<Instant>,
    /// Queries issued by all threads, counted only while `max_async_queries` is checked
    /// (LoadGen's `state->queries_issued` under its mutex).
    issued_total: AtomicU64,
}

/// What one issue thread did.
struct ThreadIssued {
    queries: u64,
    samples: u64,
    /// One past its last issued query.
    end: usize,
    stop: ThreadStop,
}

fn sample_offsets(generated: &GeneratedQueries) -> Vec<u64> {
    let mut at = 0u64;
    generated
        .queries
        .iter()
        .map(|q| {
            let first = at;
            at += q.sample_indices.len() as u64;
            first
        })
        .collect()
}

/// Starts the issue threads, reports them registered, starts issuing and sums what they did.
fn issue_on_threads(ctx: &Issuer<'_>, register: &mut dyn FnMut(Registered)) -> Issued {
    // A thread past the last query would issue nothing: no need to start it.
    let spawned = usize::try_from(ctx.stride)
        .unwrap_or(usize::MAX)
        .min(ctx.generated.queries.len());
    let ready = std::sync::Barrier::new(spawned + 1);
    let (tx, rx) = std::sync::mpsc::channel();
    let results: Vec<ThreadIssued> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..spawned)
            .map(|index| {
                let (tx, ready) = (tx.clone(), &ready);
                scope.spawn(move || {
                    let _ = tx.send(Registered {
                        index,
                        thread_id: crate::sys::std_thread_id_hash(),
                        tid: crate::sys::thread_id(),
                        at: Instant::now(),
                    });
                    ready.wait();
                    issue_stride(ctx, index as u64)
                })
            })
            .collect();
        drop(tx);
        let mut registered: Vec<Registered> = rx.iter().take(spawned).collect();
        registered.sort_by_key(|r| r.index);
        registered.into_iter().for_each(&mut *register);
        let _ = ctx.start.set(Instant::now());
        ready.wait();
        // A SUT that panics in `issue_query` panics the run, as on the caller's thread.
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e)))
            .collect()
    });
    let start = ctx.start.get().copied().unwrap_or_else(Instant::now);
    Issued {
        queries: results.iter().map(|r| r.queries as usize).sum(),
        end: results.iter().map(|r| r.end).max().unwrap_or(0),
        samples: results.iter().map(|r| r.samples).sum(),
        start_ns: clock::since(ctx.series.origin, start),
        stops: results.into_iter().map(|r| r.stop).collect(),
    }
}

/// LoadGen's `IssueQueriesInternal` for thread `t` of `stride`: queries t, t + N, …; with
/// one thread, every query in order.
fn issue_stride(ctx: &Issuer<'_>, t: u64) -> ThreadIssued {
    let _precise = crate::sys::PreciseSleeps::new();
    let (series, eff, queries) = (ctx.series, ctx.eff, &ctx.generated.queries);
    let responder = Responder::new(Arc::clone(series));
    // Threads find it set (they start together); the caller's thread sets it here.
    let start = *ctx.start.get_or_init(Instant::now);
    let stride = ctx.stride as usize;
    let coalesce = eff.scenario == Scenario::Server && eff.requested.server_coalesce_queries;
    // This thread's share of max_query_count: the queries below it that fall to it.
    let max = eff.max_query_count;
    let max_for_thread = max / ctx.stride + u64::from(t < max % ctx.stride);
    let mut done = ThreadIssued {
        queries: 0,
        samples: 0,
        end: 0,
        stop: ThreadStop {
            stop: Stop::Exhausted,
            at: None,
        },
    };
    let mut batch: Vec<QuerySample> = Vec::new();
    let mut first = t as usize;
    while first < queries.len() {
        let Some(scheduled) = wait_turn(
            series,
            eff,
            start,
            queries[first].scheduled_ns,
            first,
            ctx.control,
        ) else {
            done.stop.stop = Stop::Aborted;
            break;
        };
        // LoadGen's `last_now`: coalescing and the duration checks both use it.
        let now = Instant::now();
        let mut last = first;
        if coalesce {
            // Later queries already due ride along; each keeps its scheduled time
            // (docs/LOADGEN.md §8.5).
            while queries
                .get(last + stride)
                .is_some_and(|q| start + Duration::from_nanos(q.scheduled_ns) <= now)
            {
                last += stride;
            }
        }
        batch.clear();
        for qi in (first..=last).step_by(stride) {
            let first_id = series.first_seq + ctx.offsets[qi] + 1;
            for (k, &index) in queries[qi].sample_indices.iter().enumerate() {
                batch.push(QuerySample {
                    id: first_id + k as u64,
                    index,
                });
            }
        }
        let issued_at = Instant::now();
        record_times(
            series,
            ctx.generated,
            first,
            last,
            stride,
            scheduled,
            start,
            issued_at,
        );
        ctx.sut.issue_query(&batch, &responder);
        let per_iter = ((last - first) / stride + 1) as u64;
        done.queries += per_iter;
        done.samples += batch.len() as u64;
        done.end = last + 1;
        first = last + stride;
        let issued_total = if ctx.multi_thread && eff.max_async_queries != 0 {
            ctx.issued_total.fetch_add(per_iter, Ordering::AcqRel) + per_iter
        } else {
            done.queries
        };
        let limits = Limits {
            thread: t,
            count: done.queries,
            issued_total,
            max_query_count: max_for_thread,
            elapsed: now.saturating_duration_since(start),
        };
        if let Some(stop) = should_stop(series, eff, ctx.phase, &limits) {
            done.stop = ThreadStop {
                stop,
                at: Some((Instant::now(), crate::sys::thread_id())),
            };
            break;
        }
    }
    done
}

/// Stores the scheduled and issue times of the queries handed to the SUT in one call
/// (`first..=last`, every `stride`th); the first keeps the time it waited for, coalesced ones
/// their own scheduled time.
#[allow(clippy::too_many_arguments)]
fn record_times(
    series: &Series,
    generated: &GeneratedQueries,
    first: usize,
    last: usize,
    stride: usize,
    scheduled: Instant,
    start: Instant,
    issued_at: Instant,
) {
    let issued_ns = clock::since(series.origin, issued_at);
    for qi in (first..=last).step_by(stride) {
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

/// One issue thread's counts, as the stop rules see them.
struct Limits {
    /// The thread's index (0 with one thread).
    thread: u64,
    /// Queries this thread issued.
    count: u64,
    /// Queries all threads issued, for `max_async_queries`.
    issued_total: u64,
    /// This thread's share of `max_query_count` (all of it with one thread).
    max_query_count: u64,
    /// Time from the start to the end of this query's wait (LoadGen's `last_now - start`),
    /// for the natural stop and `max_duration`.
    elapsed: Duration,
}

/// The termination rules checked after each issue (docs/LOADGEN.md §8.3).
fn should_stop(
    series: &Series,
    eff: &EffectiveSettings,
    phase: Phase,
    limits: &Limits,
) -> Option<Stop> {
    if phase == Phase::Accuracy {
        return None;
    }
    let Limits {
        thread: t,
        count,
        issued_total,
        elapsed,
        ..
    } = *limits;
    if eff.scenario == Scenario::Server {
        let completed = series.completed_queries.load(Ordering::Acquire);
        let outstanding = issued_total.saturating_sub(completed);
        if eff.max_async_queries != 0 && outstanding > eff.max_async_queries {
            return Some(Stop::Early(format!(
                "IssueQueryThread {t} Ending early: Too many outstanding queries. issued \
                 {issued_total} outstanding {outstanding}"
            )));
        }
    } else {
        if count >= eff.min_query_count && elapsed >= Duration::from_millis(eff.target_duration_ms)
        {
            return Some(Stop::Natural);
        }
    }
    if eff.max_query_count != 0 && count >= limits.max_query_count {
        return Some(Stop::Early(format!(
            "IssueQueryThread {t} Ending early: Max query count reached. query_count {count}"
        )));
    }
    if eff.max_duration_ms == 0 {
        return None;
    }
    if elapsed > Duration::from_millis(eff.max_duration_ms) {
        return Some(Stop::Early(format!(
            "IssueQueryThread {t} Ending early: Max test duration reached. duration_ns {}",
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
