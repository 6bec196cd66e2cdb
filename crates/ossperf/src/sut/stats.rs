//! Live counters for the progress line and the per-request records the report wants. Counts
//! are atomics; the recent TTFT/TPOT window and the records take one small mutex per finished
//! request, after the client has stamped its reads, so nothing here sits on the read path.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

use ossperf_client::ErrorKind;
use ossperf_loadgen::{QuerySampleIndex, ResponseId};

/// How many recent completions the running percentiles look at.
pub const RECENT_WINDOW: usize = 2048;

/// How many failure messages are kept verbatim.
pub const KEPT_FAILURE_MESSAGES: usize = 8;

/// One finished request, for the report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
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
    /// Why it failed.
    pub error: Option<(ErrorKind, String)>,
    /// How many times the streamed output shrank.
    pub retractions: u32,
    /// Whether the output ids agreed with the server's count.
    pub ids_consistent: bool,
}

/// Failures by kind, with the first few messages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailureCounts {
    /// Count per kind, in [`ErrorKind::ALL`] order, kinds with no failure left out.
    pub by_kind: Vec<(ErrorKind, u64)>,
    /// The first [`KEPT_FAILURE_MESSAGES`] failures' reasons.
    pub first_messages: Vec<String>,
}

/// A moment's view of the run, for the progress line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LiveSnapshot {
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

/// What one endpoint did in a run, from the SUT's records (issue #8: per-endpoint figures).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointFigures {
    /// The endpoint's index in the configured list.
    pub endpoint: usize,
    /// Requests it completed.
    pub completed: u64,
    /// Requests that failed on it.
    pub failed: u64,
    /// Output tokens it generated (server counts).
    pub output_tokens: u64,
    /// Median time to first token of its completed requests.
    pub ttft_p50: Option<Duration>,
    /// 99th percentile time to first token.
    pub ttft_p99: Option<Duration>,
    /// Median time per output token (requests with more than one token).
    pub tpot_p50: Option<Duration>,
    /// 99th percentile time per output token.
    pub tpot_p99: Option<Duration>,
}

/// The time per output token of one completed record: `(latency − ttft) / (tokens − 1)`.
fn tpot(record: &RequestRecord) -> Option<Duration> {
    let (ttft, latency) = (record.ttft?, record.latency?);
    let per = u32::try_from(record.output_tokens.checked_sub(1).filter(|&n| n > 0)?).ok()?;
    Some(latency.saturating_sub(ttft) / per)
}

/// Per-endpoint figures for endpoints `0..endpoints` (records without an endpoint are left out).
pub fn endpoint_figures(records: &[RequestRecord], endpoints: usize) -> Vec<EndpointFigures> {
    (0..endpoints)
        .map(|endpoint| {
            let mine: Vec<&RequestRecord> = records
                .iter()
                .filter(|r| r.endpoint == Some(endpoint))
                .collect();
            let done: Vec<&RequestRecord> =
                mine.iter().copied().filter(|r| r.error.is_none()).collect();
            let mut ttft: Vec<Duration> = done.iter().filter_map(|r| r.ttft).collect();
            let mut tpots: Vec<Duration> = done.iter().filter_map(|r| tpot(r)).collect();
            ttft.sort_unstable();
            tpots.sort_unstable();
            EndpointFigures {
                endpoint,
                completed: done.len() as u64,
                failed: (mine.len() - done.len()) as u64,
                output_tokens: done.iter().map(|r| r.output_tokens).sum(),
                ttft_p50: quantile(&ttft, 0.5),
                ttft_p99: quantile(&ttft, 0.99),
                tpot_p50: quantile(&tpots, 0.5),
                tpot_p99: quantile(&tpots, 0.99),
            }
        })
        .collect()
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
pub struct LiveStats {
    issued: AtomicU64,
    completed: AtomicU64,
    failed: AtomicU64,
    output_tokens: AtomicU64,
    recent: Mutex<Recent>,
    failures: Mutex<Failures>,
    records: Mutex<Vec<RequestRecord>>,
}

fn push_bounded(window: &mut VecDeque<Duration>, value: Duration) {
    if window.len() == RECENT_WINDOW {
        window.pop_front();
    }
    window.push_back(value);
}

/// The `q`-quantile (0..=1) of sorted `values` by nearest rank.
fn quantile(sorted: &[Duration], q: f64) -> Option<Duration> {
    if sorted.is_empty() {
        return None;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    Some(sorted[rank - 1])
}

fn sorted(values: &VecDeque<Duration>) -> Vec<Duration> {
    let mut out: Vec<Duration> = values.iter().copied().collect();
    out.sort_unstable();
    out
}

impl LiveStats {
    pub(crate) fn issued(&self) {
        self.issued.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn completed(&self, record: RequestRecord) {
        self.completed.fetch_add(1, Ordering::Relaxed);
        self.output_tokens
            .fetch_add(record.output_tokens, Ordering::Relaxed);
        if let Some(ttft) = record.ttft {
            let mut recent = self.recent.lock().unwrap_or_else(|p| p.into_inner());
            push_bounded(&mut recent.ttft, ttft);
            if let Some(per) = tpot(&record) {
                push_bounded(&mut recent.tpot, per);
            }
        }
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
    }

    pub(crate) fn failed(&self, record: RequestRecord) {
        self.failed.fetch_add(1, Ordering::Relaxed);
        if let Some((kind, message)) = &record.error {
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            failures.by_kind[kind.index()] += 1;
            if failures.first.len() < KEPT_FAILURE_MESSAGES {
                failures.first.push(format!("{kind}: {message}"));
            }
        }
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(record);
    }

    /// The counters and running percentiles now.
    pub fn snapshot(&self) -> LiveSnapshot {
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
            ttft_p50: quantile(&ttft, 0.5),
            ttft_p99: quantile(&ttft, 0.99),
            tpot_p50: quantile(&tpot, 0.5),
            tpot_p99: quantile(&tpot, 0.99),
        }
    }

    /// Failures by kind and the first messages.
    pub fn failures(&self) -> FailureCounts {
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

    /// Every finished request so far.
    pub fn records(&self) -> Vec<RequestRecord> {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(output_tokens: u64, ttft_ms: u64, latency_ms: u64) -> RequestRecord {
        RequestRecord {
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
        }
    }

    #[test]
    fn percentiles_are_nearest_rank_over_the_recent_window() {
        let stats = LiveStats::default();
        for i in 1..=100 {
            stats.issued();
            // TTFT i ms; 11 tokens over (10 i) ms after it: TPOT i ms.
            stats.completed(record(11, i, 11 * i));
        }
        let snap = stats.snapshot();
        assert_eq!(
            (snap.issued, snap.completed, snap.output_tokens),
            (100, 100, 1100)
        );
        assert_eq!(snap.ttft_p50, Some(Duration::from_millis(50)));
        assert_eq!(snap.ttft_p99, Some(Duration::from_millis(99)));
        assert_eq!(snap.tpot_p50, Some(Duration::from_millis(50)));
        assert_eq!(snap.tpot_p99, Some(Duration::from_millis(99)));
    }

    #[test]
    fn figures_are_split_by_endpoint_and_failures_left_out_of_latencies() {
        let records = [
            RequestRecord {
                endpoint: Some(1),
                ..record(11, 10, 110)
            },
            RequestRecord {
                endpoint: Some(1),
                ..record(5, 30, 70)
            },
            record(3, 2, 6),
            RequestRecord {
                endpoint: Some(1),
                error: Some((ErrorKind::Io, "reset".into())),
                ..record(0, 50, 0)
            },
        ];
        let figures = endpoint_figures(&records, 3);
        assert_eq!(
            figures[0],
            EndpointFigures {
                endpoint: 0,
                completed: 1,
                failed: 0,
                output_tokens: 3,
                ttft_p50: Some(Duration::from_millis(2)),
                ttft_p99: Some(Duration::from_millis(2)),
                tpot_p50: Some(Duration::from_millis(2)),
                tpot_p99: Some(Duration::from_millis(2)),
            }
        );
        assert_eq!(
            (
                figures[1].completed,
                figures[1].failed,
                figures[1].output_tokens
            ),
            (2, 1, 16)
        );
        assert_eq!(figures[1].ttft_p50, Some(Duration::from_millis(10)));
        assert_eq!(figures[1].tpot_p99, Some(Duration::from_millis(10)));
        assert_eq!(
            figures[2],
            EndpointFigures {
                endpoint: 2,
                ..EndpointFigures::default()
            }
        );
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
            stats.failed(RequestRecord {
                error: Some((kind, format!("m{i}"))),
                ..record(0, 0, 0)
            });
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
}
