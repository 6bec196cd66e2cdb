//! Live counters for the progress line and the per-request records the report wants. Counts
//! are atomics; the recent TTFT/TPOT window and the records take one small mutex per finished
//! request, after the client has stamped its reads, so nothing here sits on the read path.
//!
//! Each issued sample gets its 32-byte record slot when LoadGen issues it, as LoadGen itself
//! allocates every sample's state before issuing: in Offline that is all of them at the start,
//! so memory does not grow while the run goes on (the soak of issue #9).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use ossperf_client::{ErrorKind, FinishReason};
use ossperf_loadgen::stats::percentile;
use ossperf_loadgen::{QuerySample, QuerySampleIndex, ResponseId};

use super::answer::{AnswerFacts, AnswerStatus};

/// How many recent completions the running percentiles look at.
pub(crate) const RECENT_WINDOW: usize = 2048;

/// How many failure messages are kept verbatim.
pub(crate) const KEPT_FAILURE_MESSAGES: usize = 8;

/// The facts of one finished request at full width; [`RequestRecord::new`] packs them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Finished {
    /// LoadGen's id of the sample.
    pub response_id: ResponseId,
    /// The sample's QSL index.
    pub qsl_index: QuerySampleIndex,
    /// Prompt length in tokens.
    pub input_tokens: usize,
    /// Output tokens as the server counted them (0 when it failed).
    pub output_tokens: u64,
    /// The endpoint index that answered (or last tried), if any.
    pub endpoint: Option<usize>,
    /// Issue to first token, as the SUT saw it.
    pub ttft: Option<Duration>,
    /// Issue to completion, as the SUT saw it.
    pub latency: Option<Duration>,
    /// Why it failed (the message goes to [`FailureCounts`], not to the record).
    pub error: Option<ErrorKind>,
    /// How many times the streamed output shrank.
    pub retractions: u32,
    /// Whether the output ids agreed with the server's count.
    pub ids_consistent: bool,
    /// Whether the output ids were encoded from the returned text (the server sent none).
    pub text_encoded: bool,
    /// Whether the output tokens were counted by encoding the text (the server gave no count).
    pub counted_by_encoding: bool,
    /// Why generation stopped, for a completed request.
    pub finish: Option<FinishReason>,
    /// What the harmony channels of the answer showed.
    pub answer: AnswerFacts,
}

/// One finished request, for the results, packed into 48 bytes: a run keeps one per sample
/// (a million in the soak of issue #9), so nothing here may grow with the request. (32 bytes
/// before issue 24 added the answer's channels: 16 MB more per million samples.)
///
/// Widths saturate: indices and token counts at `u32::MAX − 1`, times at `u32::MAX − 1` µs
/// (71 minutes), the endpoint at `u16::MAX − 1`, retractions at 255.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RequestRecord {
    response_id: ResponseId,
    qsl_index: u32,
    input_tokens: u32,
    output_tokens: u32,
    /// µs, [`NONE32`] when absent.
    ttft_us: u32,
    /// µs, [`NONE32`] when absent.
    latency_us: u32,
    /// [`NONE16`] when absent.
    endpoint: u16,
    retractions: u8,
    /// Low 4 bits: 0 when completed, else the error kind's index + 1 ([`PENDING`] while
    /// in flight); bit 5: ids encoded from text; bit 6: counted by encoding text; bit 7: ids
    /// inconsistent.
    outcome: u8,
    /// µs from the first answer token's read to the completion's, [`NONE32`] when absent.
    answer_before_end_us: u32,
    reasoning_tokens: u32,
    answer_tokens: u32,
    /// Low 4 bits: the [`AnswerStatus`] code; high 4 bits: the finish reason (0 none, 1
    /// stop, 2 length, 3 other).
    answer_finish: u8,
}

const NONE32: u32 = u32::MAX;
/// The outcome of a slot whose sample has not finished (no error kind has this index).
const PENDING: u8 = 0x0f;
const KIND_BITS: u8 = 0x0f;
const NONE16: u16 = u16::MAX;
const TEXT_ENCODED: u8 = 0x20;
const COUNTED_BY_ENCODING: u8 = 0x40;
const INCONSISTENT: u8 = 0x80;
// Every kind's index + 1 fits below `PENDING` in the low bits.
const _: () = assert!(ErrorKind::ALL.len() < PENDING as usize);

fn narrow32(value: u64) -> u32 {
    u32::try_from(value).unwrap_or(NONE32).min(NONE32 - 1)
}

fn micros(value: Option<Duration>) -> u32 {
    value.map_or(NONE32, |d| {
        narrow32(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    })
}

#[cfg(test)]
fn wide32(value: u32) -> Option<Duration> {
    (value != NONE32).then(|| Duration::from_micros(u64::from(value)))
}

impl RequestRecord {
    /// Packs `f`, saturating what does not fit.
    pub(crate) fn new(f: &Finished) -> RequestRecord {
        let kind = f.error.map_or(0, |k| k.index() as u8 + 1);
        RequestRecord {
            response_id: f.response_id,
            qsl_index: narrow32(f.qsl_index as u64),
            input_tokens: narrow32(f.input_tokens as u64),
            output_tokens: narrow32(f.output_tokens),
            ttft_us: micros(f.ttft),
            latency_us: micros(f.latency),
            endpoint: f.endpoint.map_or(NONE16, |e| {
                u16::try_from(e).unwrap_or(NONE16).min(NONE16 - 1)
            }),
            retractions: u8::try_from(f.retractions).unwrap_or(u8::MAX),
            outcome: kind
                | if f.ids_consistent { 0 } else { INCONSISTENT }
                | if f.text_encoded { TEXT_ENCODED } else { 0 }
                | if f.counted_by_encoding {
                    COUNTED_BY_ENCODING
                } else {
                    0
                },
            answer_before_end_us: micros(f.answer.before_end),
            reasoning_tokens: narrow32(u64::from(f.answer.reasoning_tokens)),
            answer_tokens: narrow32(u64::from(f.answer.answer_tokens)),
            answer_finish: f.answer.status.code()
                | match f.finish {
                    None => 0,
                    Some(FinishReason::Stop) => 0x10,
                    Some(FinishReason::Length) => 0x20,
                    Some(FinishReason::Other) => 0x30,
                },
        }
    }

    /// The slot of an issued sample that has not finished.
    fn pending(sample: &QuerySample) -> RequestRecord {
        RequestRecord {
            outcome: PENDING,
            ..RequestRecord::new(&Finished {
                response_id: sample.id,
                qsl_index: sample.index,
                ..Finished::default()
            })
        }
    }

    fn is_pending(&self) -> bool {
        self.outcome & KIND_BITS == PENDING
    }

    /// LoadGen's id of the sample.
    pub(crate) fn response_id(&self) -> ResponseId {
        self.response_id
    }

    /// The sample's QSL index.
    #[cfg(test)]
    pub(crate) fn qsl_index(&self) -> QuerySampleIndex {
        self.qsl_index as QuerySampleIndex
    }

    /// Prompt length in tokens.
    #[cfg(test)]
    pub(crate) fn input_tokens(&self) -> u64 {
        u64::from(self.input_tokens)
    }

    /// Output tokens as the server counted them (0 when it failed).
    #[cfg(test)]
    pub(crate) fn output_tokens(&self) -> u64 {
        u64::from(self.output_tokens)
    }

    /// The endpoint index that answered (or last tried), if any.
    pub(crate) fn endpoint(&self) -> Option<usize> {
        (self.endpoint != NONE16).then_some(usize::from(self.endpoint))
    }

    /// Issue to first token, as the SUT saw it, to the µs.
    #[cfg(test)]
    pub(crate) fn ttft(&self) -> Option<Duration> {
        wide32(self.ttft_us)
    }

    /// Issue to completion, as the SUT saw it, to the µs.
    #[cfg(test)]
    pub(crate) fn latency(&self) -> Option<Duration> {
        wide32(self.latency_us)
    }

    /// Why it failed, if it did.
    pub(crate) fn error(&self) -> Option<ErrorKind> {
        let kind = usize::from(self.outcome & KIND_BITS);
        kind.checked_sub(1)
            .and_then(|k| ErrorKind::ALL.get(k).copied())
    }

    /// How many times the streamed output shrank.
    #[cfg(test)]
    pub(crate) fn retractions(&self) -> u32 {
        u32::from(self.retractions)
    }

    /// Whether the output ids agreed with the server's count.
    pub(crate) fn ids_consistent(&self) -> bool {
        self.outcome & INCONSISTENT == 0
    }

    /// Whether the output ids were encoded from the returned text.
    pub(crate) fn text_encoded(&self) -> bool {
        self.outcome & TEXT_ENCODED != 0
    }

    /// Whether the output tokens were counted by encoding the text.
    pub(crate) fn counted_by_encoding(&self) -> bool {
        self.outcome & COUNTED_BY_ENCODING != 0
    }

    /// Why generation stopped, for a completed request.
    pub(crate) fn finish(&self) -> Option<FinishReason> {
        match self.answer_finish >> 4 {
            1 => Some(FinishReason::Stop),
            2 => Some(FinishReason::Length),
            3 => Some(FinishReason::Other),
            _ => None,
        }
    }

    /// What the answer's harmony channels showed.
    pub(crate) fn answer(&self) -> AnswerFacts {
        AnswerFacts {
            status: AnswerStatus::from_code(self.answer_finish & 0x0f),
            before_end: (self.answer_before_end_us != NONE32)
                .then(|| Duration::from_micros(u64::from(self.answer_before_end_us))),
            reasoning_tokens: self.reasoning_tokens,
            answer_tokens: self.answer_tokens,
        }
    }
}

/// Failures by kind, with the first few messages.
#[cfg(test)]
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct FailureCounts {
    /// Count per kind, in [`ErrorKind::ALL`] order, kinds with no failure left out.
    pub by_kind: Vec<(ErrorKind, u64)>,
    /// The first [`KEPT_FAILURE_MESSAGES`] failures' reasons.
    pub first_messages: Vec<String>,
}

/// A moment's view of the run, for the progress line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LiveSnapshot {
    /// Samples issued by LoadGen.
    pub issued: u64,
    /// Samples completed.
    pub completed: u64,
    /// Samples failed.
    pub failed: u64,
    /// Output tokens of completed samples (server counts).
    pub output_tokens: u64,
    /// Median time to first token over the recent window.
    pub ttft_p50: Option<Duration>,
    /// 99th percentile time to first token over the recent window.
    pub ttft_p99: Option<Duration>,
    /// Median time per output token over the recent window.
    pub tpot_p50: Option<Duration>,
    /// 99th percentile time per output token over the recent window.
    pub tpot_p99: Option<Duration>,
}

/// The time per output token of one completed record: `(latency − ttft) / (tokens − 1)`.
fn tpot(ttft: Option<Duration>, latency: Option<Duration>, tokens: u64) -> Option<Duration> {
    let (ttft, latency) = (ttft?, latency?);
    let per = u32::try_from(tokens.checked_sub(1).filter(|&n| n > 0)?).ok()?;
    Some(latency.saturating_sub(ttft) / per)
}

#[derive(Default)]
struct Recent {
    ttft: VecDeque<Duration>,
    tpot: VecDeque<Duration>,
}

#[derive(Default)]
struct Failures {
    by_kind: [u64; ErrorKind::ALL.len()],
    first: Vec<String>,
}

/// The SUT's counters.
#[derive(Default)]
pub(crate) struct LiveStats {
    issued: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    output_tokens: AtomicU64,
    recent: Mutex<Recent>,
    failures: Mutex<Failures>,
    /// One slot per issued sample, in issue order.
    records: Mutex<Vec<RequestRecord>>,
}

fn push_bounded(window: &mut VecDeque<Duration>, value: Duration) {
    if window.len() == RECENT_WINDOW {
        window.pop_front();
    }
    window.push_back(value);
}

fn sorted(values: &VecDeque<Duration>) -> Vec<Duration> {
    let mut out: Vec<Duration> = values.iter().copied().collect();
    out.sort_unstable();
    out
}

impl LiveStats {
    /// Counts `samples` and gives each its record slot; returns the first slot's index (the
    /// others follow in order).
    pub(crate) fn issued(&self, samples: &[QuerySample]) -> usize {
        self.issued
            .fetch_add(samples.len() as u64, Ordering::Relaxed);
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        let first = records.len();
        // Written now, not just reserved, so the pages are resident from the start.
        records.extend(samples.iter().map(RequestRecord::pending));
        first
    }

    /// A completed request, in the slot `issued` gave it.
    pub(crate) fn completed(&self, slot: usize, f: &Finished) {
        self.completed.fetch_add(1, Ordering::Relaxed);
        self.output_tokens
            .fetch_add(f.output_tokens, Ordering::Relaxed);
        if let Some(ttft) = f.ttft {
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            push_bounded(&mut recent.ttft, ttft);
            if let Some(per) = tpot(f.ttft, f.latency, f.output_tokens) {
                push_bounded(&mut recent.tpot, per);
            }
        }
        self.store(slot, f);
    }

    /// A failed request: counted by kind, its message kept only among the first few.
    pub(crate) fn failed(&self, slot: usize, f: &Finished, message: &str) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if let Some(kind) = f.error {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            failures.by_kind[kind.index()] += 1;
            if failures.first.len() < KEPT_FAILURE_MESSAGES {
                failures.first.push(format!("{kind}: {message}"));
            }
        }
        self.store(slot, f);
    }

    fn store(&self, slot: usize, f: &Finished) {
        let record = RequestRecord::new(f);
        let mut records = self.records.lock().unwrap_or_else(|p| p.into_inner());
        match records.get_mut(slot) {
            Some(place) => *place = record,
            None => records.push(record),
        }
    }

    /// The counters and running percentiles now.
    pub(crate) fn snapshot(&self) -> LiveSnapshot {
        // Copy under the lock, sort outside it: completions never wait for a sort.
        let (ttft, tpot) = {
            let recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            (recent.ttft.clone(), recent.tpot.clone())
        };
        let (ttft, tpot) = (sorted(&ttft), sorted(&tpot));
        LiveSnapshot {
            issued: self.issued.load(Ordering::Relaxed),
            completed: self.completed.load(Ordering::Relaxed),
            failed: self.failed.load(Ordering::Relaxed),
            output_tokens: self.output_tokens.load(Ordering::Relaxed),
            ttft_p50: percentile(&ttft, 0.5),
            ttft_p99: percentile(&ttft, 0.99),
            tpot_p50: percentile(&tpot, 0.5),
            tpot_p99: percentile(&tpot, 0.99),
        }
    }

    /// Failures by kind and the first messages.
    #[cfg(test)]
    pub(crate) fn failures(&self) -> FailureCounts {
        let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        FailureCounts {
            by_kind: ErrorKind::ALL
                .iter()
                .map(|&k| (k, failures.by_kind[k.index()]))
                .filter(|&(_, n)| n > 0)
                .collect(),
            first_messages: failures.first.clone(),
        }
    }

    /// Every finished request so far, in issue order.
    pub(crate) fn records(&self) -> Vec<RequestRecord> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|r| !r.is_pending())
            .copied()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(output_tokens: u64, ttft_ms: u64, latency_ms: u64) -> Finished {
        Finished {
            response_id: 1,
            qsl_index: 0,
            input_tokens: 3,
            output_tokens,
            endpoint: Some(0),
            ttft: Some(Duration::from_millis(ttft_ms)),
            latency: Some(Duration::from_millis(latency_ms)),
            error: None,
            retractions: 0,
            ids_consistent: true,
            text_encoded: false,
            counted_by_encoding: false,
            finish: Some(FinishReason::Stop),
            answer: AnswerFacts::default(),
        }
    }

    #[test]
    fn percentiles_follow_loadgens_rule_over_the_recent_window() {
        let stats = LiveStats::default();
        for i in 1..=100 {
            let slot = stats.issued(&[QuerySample { id: i, index: 0 }]);
            // TTFT i ms; 11 tokens over (10 i) ms after it: TPOT i ms.
            stats.completed(slot, &record(11, i, 11 * i));
        }
        let snap = stats.snapshot();
        assert_eq!(
            (snap.issued, snap.completed, snap.output_tokens),
            (100, 100, 1100)
        );
        // LoadGen's `sorted[usize(n × p)]`: index 50 is 51 ms, index 99 is 100 ms (nearest
        // rank would give 50 and 99).
        assert_eq!(snap.ttft_p50, Some(Duration::from_millis(51)));
        assert_eq!(snap.ttft_p99, Some(Duration::from_millis(100)));
        assert_eq!(snap.tpot_p50, Some(Duration::from_millis(51)));
        assert_eq!(snap.tpot_p99, Some(Duration::from_millis(100)));
    }

    #[test]
    fn failures_are_counted_by_kind_and_the_first_messages_kept() {
        let stats = LiveStats::default();
        for i in 0..10 {
            let kind = if i % 2 == 0 {
                ErrorKind::Timeout
            } else {
                ErrorKind::HttpStatus
            };
            let f = Finished {
                error: Some(kind),
                ..record(0, 0, 0)
            };
            stats.failed(i, &f, &format!("m{i}"));
        }
        let failures = stats.failures();
        assert_eq!(
            failures.by_kind,
            [(ErrorKind::HttpStatus, 5), (ErrorKind::Timeout, 5)]
        );
        assert_eq!(failures.first_messages.len(), KEPT_FAILURE_MESSAGES);
        assert_eq!(failures.first_messages[1], "http_status: m1");
        assert_eq!(stats.snapshot().failed, 10);
    }

    #[test]
    fn a_record_is_48_bytes_and_gives_back_what_fits() {
        assert_eq!(std::mem::size_of::<RequestRecord>(), 48);
        let f = Finished {
            response_id: 1 << 40,
            qsl_index: 4321,
            input_tokens: 70_000,
            output_tokens: 9,
            endpoint: Some(3),
            ttft: Some(Duration::from_micros(1_500)),
            latency: Some(Duration::from_micros(9_000_001)),
            error: Some(ErrorKind::Cancelled),
            retractions: 2,
            ids_consistent: false,
            text_encoded: true,
            counted_by_encoding: true,
            finish: Some(FinishReason::Length),
            answer: AnswerFacts {
                status: AnswerStatus::Answered,
                before_end: Some(Duration::from_micros(7_000)),
                reasoning_tokens: 70_000,
                answer_tokens: 12,
            },
        };
        let r = RequestRecord::new(&f);
        assert_eq!((r.finish(), r.answer()), (f.finish, f.answer));
        assert_eq!(
            (
                r.response_id(),
                r.qsl_index(),
                r.input_tokens(),
                r.output_tokens(),
                r.endpoint(),
                r.ttft(),
                r.latency(),
                r.error(),
                r.retractions(),
                r.ids_consistent()
            ),
            (
                1 << 40,
                4321,
                70_000,
                9,
                Some(3),
                Some(Duration::from_micros(1_500)),
                Some(Duration::from_micros(9_000_001)),
                Some(ErrorKind::Cancelled),
                2,
                false
            )
        );
        assert_eq!((r.text_encoded(), r.counted_by_encoding()), (true, true));
        for kind in ErrorKind::ALL {
            let r = RequestRecord::new(&Finished {
                error: Some(kind),
                ..f
            });
            assert_eq!((r.error(), r.ids_consistent()), (Some(kind), false));
        }
    }

    #[test]
    fn a_record_saturates_what_does_not_fit_and_keeps_absent_values_absent() {
        let r = RequestRecord::new(&Finished {
            output_tokens: u64::MAX,
            endpoint: Some(1 << 20),
            ttft: Some(Duration::from_secs(10_000)),
            retractions: 1000,
            ids_consistent: true,
            ..Finished::default()
        });
        assert_eq!(
            (
                r.output_tokens(),
                r.endpoint(),
                r.ttft(),
                r.latency(),
                r.error(),
                r.retractions(),
                r.ids_consistent()
            ),
            (
                u64::from(u32::MAX - 1),
                Some(usize::from(u16::MAX - 1)),
                Some(Duration::from_micros(u64::from(u32::MAX - 1))),
                None,
                None,
                255,
                true
            )
        );
    }

    #[test]
    fn each_issued_sample_has_a_slot_and_only_finished_ones_are_records() {
        let stats = LiveStats::default();
        let samples = [7, 8, 9].map(|id| QuerySample { id, index: 2 });
        assert_eq!(stats.issued(&samples), 0);
        assert_eq!(stats.issued(&[QuerySample { id: 10, index: 3 }]), 3);
        assert_eq!(stats.records(), []);
        let done = |response_id| Finished {
            response_id,
            ..record(4, 1, 2)
        };
        stats.completed(2, &done(9));
        stats.failed(
            0,
            &Finished {
                error: Some(ErrorKind::Io),
                ..done(7)
            },
            "reset",
        );
        let ids: Vec<(u64, Option<ErrorKind>)> = stats
            .records()
            .iter()
            .map(|r| (r.response_id(), r.error()))
            .collect();
        assert_eq!(ids, [(7, Some(ErrorKind::Io)), (9, None)]);
        assert_eq!(stats.snapshot().issued, 4);
    }
}
