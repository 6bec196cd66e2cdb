//! How a SUT reports first tokens, completions and failures back to LoadGen, from any thread,
//! without a global lock (docs/LOADGEN.md §14).
//!
//! Every query of a series is generated before issuing starts, so the per-sample and
//! per-query records are preallocated in one `Series` and a [`ResponseId`] is just the
//! global sample sequence number plus one: a completion is an index, a few atomic stores and
//! one atomic decrement. Only the exceptional paths (an error LoadGen would log, a failed
//! sample) take a lock.

use std::sync::atomic::{AtomicI64, AtomicU32, AtomicU64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::Instant;

use crate::logs::accuracy::{AccuracyRecord, AccuracySender, TokenFields};
use crate::ResponseId;

/// Marks a time that has not been recorded yet.
pub(crate) const NO_TIME: u64 = u64::MAX;

const PENDING: u8 = 0;
const COMPLETED: u8 = 1;
const FAILED: u8 = 2;

/// How many distinct failure reasons and runtime errors are kept verbatim.
pub const KEPT_MESSAGES: usize = 8;

/// One sample's record, written by the completing thread.
#[derive(Debug)]
pub(crate) struct SampleSlot {
    pub(crate) query: u32,
    pub(crate) qsl_idx: usize,
    pub(crate) log_accuracy: bool,
    state: AtomicU8,
    pub(crate) first_token_ns: AtomicU64,
    pub(crate) complete_ns: AtomicU64,
    pub(crate) n_tokens: AtomicI64,
    token_data: OnceLock<Box<[u8]>>,
    reason: OnceLock<Box<str>>,
}

impl SampleSlot {
    pub(crate) fn new(query: u32, qsl_idx: usize, log_accuracy: bool) -> Self {
        Self {
            query,
            qsl_idx,
            log_accuracy,
            state: AtomicU8::new(PENDING),
            first_token_ns: AtomicU64::new(NO_TIME),
            complete_ns: AtomicU64::new(NO_TIME),
            n_tokens: AtomicI64::new(0),
            token_data: OnceLock::new(),
            reason: OnceLock::new(),
        }
    }

    /// Whether the sample ended with [`Responder::fail`].
    pub(crate) fn failed(&self) -> bool {
        self.state.load(Ordering::Acquire) == FAILED
    }

    /// The reason given to [`Responder::fail`].
    pub(crate) fn failure_reason(&self) -> Option<&str> {
        self.reason.get().map(|r| &**r)
    }
}

/// One query's record: the issue loop writes the times, the completing thread the end.
#[derive(Debug)]
pub(crate) struct QuerySlot {
    pub(crate) scheduled_ns: AtomicU64,
    pub(crate) issued_ns: AtomicU64,
    pub(crate) done_ns: AtomicU64,
    outstanding: AtomicU32,
}

impl QuerySlot {
    pub(crate) fn new(samples: u32) -> Self {
        Self {
            scheduled_ns: AtomicU64::new(NO_TIME),
            issued_ns: AtomicU64::new(NO_TIME),
            done_ns: AtomicU64::new(NO_TIME),
            outstanding: AtomicU32::new(samples),
        }
    }

    /// Whether every sample of the query has completed or failed.
    pub(crate) fn is_done(&self) -> bool {
        self.outstanding.load(Ordering::Acquire) == 0
    }
}

/// An error LoadGen would log from the SUT's thread, kept to be written to the detail log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RuntimeError {
    pub(crate) message: String,
    pub(crate) at: Instant,
    pub(crate) tid: u64,
}

/// Failed samples: the total, and the first distinct reasons with their counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureSummary {
    /// How many samples failed.
    pub count: u64,
    /// Up to [`KEPT_MESSAGES`] distinct reasons with how often each occurred; later new
    /// reasons are counted only in `count`.
    pub reasons: Vec<(String, u64)>,
}

impl FailureSummary {
    /// Counts one failed sample and keeps its reason while fewer than [`KEPT_MESSAGES`]
    /// distinct reasons are kept.
    pub fn record(&mut self, reason: &str) {
        self.count += 1;
        if let Some(entry) = self.reasons.iter_mut().find(|(r, _)| r == reason) {
            entry.1 += 1;
        } else if self.reasons.len() < KEPT_MESSAGES {
            self.reasons.push((reason.to_string(), 1));
        }
    }

    /// The reason line for the report: `N samples failed: `a` (×2), `b``.
    pub fn reason_line(&self) -> String {
        let kept: Vec<String> = self
            .reasons
            .iter()
            .map(|(reason, n)| format!("`{reason}` (x{n})"))
            .collect();
        let noun = if self.count == 1 { "sample" } else { "samples" };
        format!("{} {noun} failed: {}", self.count, kept.join(", "))
    }
}

/// The shared state of one issuing series (one performance run, or one accuracy set).
#[derive(Debug)]
pub(crate) struct Series {
    pub(crate) origin: Instant,
    pub(crate) first_seq: u64,
    pub(crate) samples: Box<[SampleSlot]>,
    pub(crate) queries: Box<[QuerySlot]>,
    pub(crate) token_mode: bool,
    pub(crate) needs_first_token: bool,
    pub(crate) completed_samples: AtomicU64,
    pub(crate) completed_queries: AtomicU64,
    /// Samples the issue loop waits for; `u64::MAX` while still issuing.
    pub(crate) expected_samples: AtomicU64,
    pub(crate) wake_per_query: bool,
    pub(crate) waiter: Thread,
    pub(crate) accuracy: Option<AccuracySender>,
    pub(crate) failures: Mutex<FailureSummary>,
    pub(crate) errors: Mutex<(u64, Vec<RuntimeError>)>,
}

impl Series {
    fn now_ns(&self, at: Instant) -> u64 {
        u64::try_from(at.saturating_duration_since(self.origin).as_nanos()).unwrap_or(NO_TIME - 1)
    }

    fn slot(&self, id: ResponseId) -> Option<&SampleSlot> {
        let seq = id.checked_sub(1)?.checked_sub(self.first_seq)?;
        self.samples.get(usize::try_from(seq).ok()?)
    }

    fn error(&self, message: String) {
        if let Ok(mut errors) = self.errors.lock() {
            errors.0 += 1;
            if errors.1.len() < 64 {
                errors.1.push(RuntimeError {
                    message,
                    at: Instant::now(),
                    tid: crate::sys::thread_id(),
                });
            }
        }
    }

    fn unknown(&self, id: ResponseId) {
        self.error(format!(
            "Received completion for an old sample. Min expected id: {} Actual id: {id}",
            self.first_seq + 1
        ));
    }

    /// Decrements the sample's query and the series counters, waking the issue loop.
    fn finish_sample(&self, slot: &SampleSlot, ns: u64) {
        if let Some(query) = self.queries.get(slot.query as usize) {
            if query.outstanding.fetch_sub(1, Ordering::AcqRel) == 1 {
                query.done_ns.store(ns, Ordering::Release);
                self.completed_queries.fetch_add(1, Ordering::AcqRel);
                if self.wake_per_query {
                    self.waiter.unpark();
                }
            }
        }
        let done = self.completed_samples.fetch_add(1, Ordering::AcqRel) + 1;
        if done >= self.expected_samples.load(Ordering::Acquire) {
            self.waiter.unpark();
        }
    }

    fn checked_tokens(&self, n_tokens: i64) -> i64 {
        if !self.token_mode {
            return n_tokens;
        }
        match n_tokens {
            0 => {
                self.error(
                    "n_tokens argument missing or attempted to record 0 as number of tokens".into(),
                );
                0
            }
            n if n < 0 => {
                self.error("Attempted to record a negative number of tokens".into());
                0
            }
            1 => {
                self.error("Number of tokens need to be greater than 1".into());
                0
            }
            n => n,
        }
    }

    fn log_record(&self, slot: &SampleSlot, seq: u64, data: &[u8], n_tokens: i64) {
        let Some(sender) = &self.accuracy else {
            return;
        };
        let tokens = match (self.token_mode, self.needs_first_token) {
            (false, _) => None,
            (true, false) => Some(TokenFields::Count(n_tokens)),
            (true, true) => {
                let first = slot
                    .token_data
                    .get()
                    .map(|d| d.to_vec())
                    .unwrap_or_default();
                Some(TokenFields::DataAndCount(first, n_tokens))
            }
        };
        sender.send(AccuracyRecord {
            seq_id: seq,
            qsl_idx: slot.qsl_idx,
            data: data.to_vec(),
            tokens,
        });
    }

    fn complete(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant) {
        let ns = self.now_ns(at);
        let Some(slot) = self.slot(id) else {
            return self.unknown(id);
        };
        if slot
            .state
            .compare_exchange(PENDING, COMPLETED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return self.error("Attempted to complete a sample twice.".into());
        }
        let n_tokens = self.checked_tokens(n_tokens);
        if self.needs_first_token && slot.first_token_ns.load(Ordering::Acquire) == NO_TIME {
            self.error(
                "Attempted to record a sample latency before it's first token latency".into(),
            );
        }
        slot.n_tokens.store(n_tokens, Ordering::Relaxed);
        slot.complete_ns.store(ns, Ordering::Release);
        if slot.log_accuracy {
            self.log_record(slot, id - 1, data, n_tokens);
        }
        self.finish_sample(slot, ns);
    }

    fn first_token(&self, id: ResponseId, data: &[u8], at: Instant) {
        let ns = self.now_ns(at);
        let Some(slot) = self.slot(id) else {
            return self.unknown(id);
        };
        if slot.state.load(Ordering::Acquire) != PENDING {
            return self
                .error("Attempted to record token latency after sample was completed".into());
        }
        if slot
            .first_token_ns
            .compare_exchange(NO_TIME, ns, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
            && slot.log_accuracy
            && self.needs_first_token
        {
            let _ = slot.token_data.set(data.into());
        }
    }

    fn fail(&self, id: ResponseId, reason: &str) {
        let ns = self.now_ns(Instant::now());
        let Some(slot) = self.slot(id) else {
            return self.unknown(id);
        };
        if slot
            .state
            .compare_exchange(PENDING, FAILED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return self.error("Attempted to complete a sample twice.".into());
        }
        let _ = slot.reason.set(reason.into());
        if let Ok(mut failures) = self.failures.lock() {
            failures.record(reason);
        }
        slot.complete_ns.store(ns, Ordering::Release);
        if slot.log_accuracy {
            self.log_record(slot, id - 1, &[], 0);
        }
        self.finish_sample(slot, ns);
    }
}

/// Where a [`Responder`]'s answers go when a LoadGen other than this crate's drives the test
/// (the official C++ library, in `ossperf-loadgen-official`). It takes its own timestamps.
pub trait ResponseSink: Send + Sync + std::fmt::Debug {
    /// `QuerySamplesComplete` for one sample.
    fn complete(&self, id: ResponseId, data: &[u8], n_tokens: i64);
    /// `FirstTokenComplete` for one sample.
    fn first_token(&self, id: ResponseId, data: &[u8], n_tokens: i64);
    /// The sample ended with an error; the sink decides how that LoadGen hears of it.
    fn fail(&self, id: ResponseId, reason: &str);
}

/// A cheap, cloneable handle through which the SUT answers samples, from any thread.
///
/// A default `Responder` is detached: its calls do nothing (useful in SUT unit tests).
#[derive(Clone, Debug, Default)]
pub struct Responder {
    series: Option<Arc<Series>>,
    sink: Option<Arc<dyn ResponseSink>>,
}

impl Responder {
    pub(crate) fn new(series: Arc<Series>) -> Self {
        Self {
            series: Some(series),
            sink: None,
        }
    }

    /// A responder that hands every answer to `sink` (another LoadGen). Arrival times given
    /// to the `_at` methods are not passed on: that LoadGen stamps answers when it gets them.
    pub fn external(sink: Arc<dyn ResponseSink>) -> Self {
        Self {
            series: None,
            sink: Some(sink),
        }
    }

    /// `QuerySamplesComplete` for one sample, timestamped now.
    pub fn complete(&self, id: ResponseId, data: &[u8], n_tokens: i64) {
        self.complete_at(id, data, n_tokens, Instant::now());
    }

    /// `QuerySamplesComplete` with the time the last byte arrived. `data` goes to the
    /// accuracy log when the sample is logged; `n_tokens` counts output tokens.
    pub fn complete_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant) {
        if let Some(series) = &self.series {
            series.complete(id, data, n_tokens, at);
        } else if let Some(sink) = &self.sink {
            sink.complete(id, data, n_tokens);
        }
    }

    /// `FirstTokenComplete` for one sample, timestamped now (`n_tokens` is ignored, as in
    /// LoadGen).
    pub fn first_token(&self, id: ResponseId, data: &[u8], n_tokens: i64) {
        self.first_token_at(id, data, n_tokens, Instant::now());
    }

    /// `FirstTokenComplete` with the time the first token's bytes arrived.
    pub fn first_token_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant) {
        if let Some(series) = &self.series {
            series.first_token(id, data, at);
        } else if let Some(sink) = &self.sink {
            sink.first_token(id, data, n_tokens);
        }
    }

    /// The sample ended with an error (failed request, timeout, cancellation). It counts as
    /// completed so the run can end, is logged to the accuracy log with empty data, is left
    /// out of the latency statistics, and makes the result INVALID.
    pub fn fail(&self, id: ResponseId, reason: &str) {
        if let Some(series) = &self.series {
            series.fail(id, reason);
        } else if let Some(sink) = &self.sink {
            sink.fail(id, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(token_mode: bool) -> Arc<Series> {
        Arc::new(Series {
            origin: Instant::now(),
            first_seq: 10,
            samples: vec![SampleSlot::new(0, 7, false), SampleSlot::new(1, 8, false)].into(),
            queries: vec![QuerySlot::new(1), QuerySlot::new(1)].into(),
            token_mode,
            needs_first_token: token_mode,
            completed_samples: AtomicU64::new(0),
            completed_queries: AtomicU64::new(0),
            expected_samples: AtomicU64::new(u64::MAX),
            wake_per_query: false,
            waiter: std::thread::current(),
            accuracy: None,
            failures: Mutex::new(FailureSummary::default()),
            errors: Mutex::new((0, Vec::new())),
        })
    }

    fn errors(s: &Series) -> Vec<String> {
        s.errors
            .lock()
            .unwrap()
            .1
            .iter()
            .map(|e| e.message.clone())
            .collect()
    }

    #[test]
    fn ids_are_the_global_sequence_number_plus_one() {
        let s = series(false);
        let r = Responder::new(Arc::clone(&s));
        let at = s.origin + std::time::Duration::from_nanos(1234);
        r.complete_at(11, b"x", 5, at);
        assert_eq!(s.samples[0].complete_ns.load(Ordering::Acquire), 1234);
        assert_eq!(s.samples[0].n_tokens.load(Ordering::Acquire), 5);
        assert!(s.queries[0].is_done());
        assert!(!s.queries[1].is_done());
        assert_eq!(s.completed_samples.load(Ordering::Acquire), 1);
        assert_eq!(s.completed_queries.load(Ordering::Acquire), 1);
    }

    #[test]
    fn a_failed_sample_counts_as_completed_and_keeps_its_reason() {
        let s = series(false);
        let r = Responder::new(Arc::clone(&s));
        r.fail(12, "HTTP 503");
        assert!(s.samples[1].failed());
        assert_eq!(s.samples[1].failure_reason(), Some("HTTP 503"));
        assert_eq!(s.completed_samples.load(Ordering::Acquire), 1);
        let failures = s.failures.lock().unwrap().clone();
        assert_eq!(failures.reason_line(), "1 sample failed: `HTTP 503` (x1)");
    }

    #[test]
    fn mistakes_are_logged_with_loadgens_messages_and_change_nothing() {
        let s = series(true);
        let r = Responder::new(Arc::clone(&s));
        r.first_token(11, b"t", 1);
        r.complete(11, b"x", 3);
        r.complete(11, b"x", 3);
        r.first_token(11, b"t", 1);
        r.complete(99, b"x", 3);
        r.complete(12, b"x", -4);
        assert_eq!(
            errors(&s),
            [
                "Attempted to complete a sample twice.",
                "Attempted to record token latency after sample was completed",
                "Received completion for an old sample. Min expected id: 11 Actual id: 99",
                "Attempted to record a negative number of tokens",
                "Attempted to record a sample latency before it's first token latency",
            ]
        );
        assert_eq!(s.samples[1].n_tokens.load(Ordering::Acquire), 0);
        assert_eq!(s.completed_samples.load(Ordering::Acquire), 2);
    }

    #[test]
    fn a_detached_responder_ignores_every_call() {
        let r = Responder::default();
        r.complete(1, b"", 1);
        r.first_token(1, b"", 1);
        r.fail(1, "x");
    }
}
