//! A closed loop of N streams outside LoadGen, for `ossperf sweep --concurrency`: each stream
//! sends its next request the moment its previous answer ends, until the duration has passed,
//! then waits for what is in flight. Not an MLPerf scenario: no LoadGen schedule, logs or
//! verdict.
//!
//! The requests go through the run's own SUT ([`GptOssSut`]) with a stand-in for LoadGen's
//! responder ([`Stamps`]), so a closed loop's records are made as a run's are: the SUT follows
//! each answer's harmony channels, and the records are joined by `results::request_records`,
//! the function a run's `results.json` uses. The times are the loop's own, in ns since its
//! start; a request's scheduled and issued times are both when its stream sent it, so TTFT
//! counts from the send. The prompts and the warm-up are the run's own (`--salt-prompts`,
//! `--warmup`). A stream whose requests have all failed for `--abandon-after` stops sending
//! (a server that refuses at once would otherwise fill memory with failures at loop speed).
//!
//! Ctrl-C or SIGTERM ends the loop as it ends a run ([`super::signals`]): no stream sends
//! again, what is in flight is cancelled (and recorded as failed), and the records so far are
//! handed back with the signal's exit code; a second signal exits at once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ossperf_dataset::Dataset;
use ossperf_loadgen::{Phase, QuerySample, ResponseId, SampleRecord};

use super::{RunPlan, Session};
use crate::report::RequestRecord;
use crate::sut::{GptOssSut, Reporter, SutConfig};

/// What a closed loop produced.
pub(crate) struct ClosedLoop {
    /// One record per request sent, in send order, in the layout of `results.json`'s
    /// `requests[]` (with the answer's channels).
    pub records: Vec<RequestRecord>,
    /// The exit code of the signal that ended the loop early, if one did.
    pub interrupted: Option<u8>,
}

impl Session {
    /// Whether the built-in simulator answers this session's requests.
    pub(crate) fn simulated(&self) -> bool {
        self.servers.simulator.is_some()
    }

    /// Runs `streams` streams over `dataset`'s prompts (in row order, round and round) for
    /// `duration`, streamed with `plan`'s sampling parameters, until the duration has passed
    /// or a signal came. A failed request is a record with its error.
    pub(crate) fn closed_loop(
        &self,
        plan: &RunPlan,
        dataset: &Dataset,
        streams: usize,
        duration: Duration,
    ) -> anyhow::Result<ClosedLoop> {
        let rows = dataset.len();
        // The run's own prompt source (salted under `--salt-prompts`) and warm-up.
        let (_, prompts, _) = self.prompts(plan, dataset);
        let sut = GptOssSut::new(
            self.servers.client.clone(),
            self.runtime.handle().clone(),
            prompts.clone(),
            SutConfig {
                name: super::SUT_NAME.to_string(),
                params: plan.generation,
                // Streamed, for the first token's time.
                stream: true,
                // Each stream has one request in flight; the SUT sends it at once.
                max_concurrency: None,
                encode_text: false,
            },
        );
        let stop = Arc::new(AtomicBool::new(false));
        let interrupt = {
            let (stop, sut) = (stop.clone(), sut.clone());
            super::signals::listen(self.runtime.handle(), move || {
                crate::output::warn(
                    "interrupted: no more requests are sent; cancelling what is in flight and \
                     writing the point (press Ctrl-C again to exit at once)",
                );
                stop.store(true, Ordering::Release);
                sut.cancel_all();
            })?
        };
        if rows > 0 {
            self.warm_up(plan, rows, prompts.as_ref());
        }
        let origin = Instant::now();
        let sent = Arc::new(AtomicUsize::new(0));
        let log: Log = Arc::new(Mutex::new(Vec::new()));
        let abandon_after = plan.abandon_after;
        self.runtime.block_on(async {
            let tasks: Vec<_> = (0..streams)
                .filter(|_| rows > 0)
                .map(|_| {
                    let stamps = Stamps {
                        origin,
                        stream: Arc::new(Stream::default()),
                        log: log.clone(),
                    };
                    let (sut, sent, stop) = (sut.clone(), sent.clone(), stop.clone());
                    tokio::spawn(async move {
                        let mut failing_since: Option<Instant> = None;
                        while !stop.load(Ordering::Acquire) && origin.elapsed() < duration {
                            let k = sent.fetch_add(1, Ordering::Relaxed);
                            let sample = QuerySample {
                                id: k as ResponseId,
                                index: k % rows,
                            };
                            stamps.begin(sample);
                            sut.issue(&[sample], &stamps);
                            // The answer has ended (or failed): the stream is free.
                            stamps.stream.done.notified().await;
                            if stamps.stream.ok.load(Ordering::Acquire) {
                                failing_since = None;
                            } else if failing_since.get_or_insert_with(Instant::now).elapsed()
                                >= abandon_after
                            {
                                break;
                            }
                        }
                    })
                })
                .collect();
            for task in tasks {
                let _ = task.await;
            }
        });
        let mut samples = std::mem::take(&mut *log.lock().unwrap_or_else(PoisonError::into_inner));
        samples.sort_unstable_by_key(|s| s.seq_id);
        let (records, _) = super::results::request_records(&samples, sut.records(), dataset);
        Ok(ClosedLoop {
            records,
            interrupted: interrupt.exit_code(),
        })
    }
}

/// Every finished request's times, as LoadGen's report holds them.
type Log = Arc<Mutex<Vec<SampleRecord>>>;

/// One stream's request in flight.
#[derive(Default)]
struct Stream {
    /// Its times so far.
    current: Mutex<Option<SampleRecord>>,
    /// Told when the request has ended.
    done: tokio::sync::Notify,
    /// Whether it completed (not failed).
    ok: AtomicBool,
}

/// LoadGen's part in a closed loop: stamps each answer of one stream on the loop's clock, as
/// LoadGen's responder stamps a run's, and frees the stream when the answer has ended.
#[derive(Clone)]
struct Stamps {
    origin: Instant,
    stream: Arc<Stream>,
    log: Log,
}

impl Stamps {
    /// The stream sends `sample` now.
    fn begin(&self, sample: QuerySample) {
        let at = nanos(self.origin, Instant::now());
        self.stream.ok.store(false, Ordering::Release);
        *self.current() = Some(SampleRecord {
            phase: Phase::Performance,
            seq_id: sample.id,
            response_id: sample.id,
            qsl_idx: sample.index,
            scheduled_ns: at,
            issued_ns: at,
            first_token_ns: None,
            complete_ns: at,
            n_tokens: 0,
            error: None,
        });
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Option<SampleRecord>> {
        self.stream
            .current
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Ends the request `id`: fills its record, logs it and frees the stream.
    fn end(&self, id: ResponseId, fill: impl FnOnce(&mut SampleRecord)) {
        let taken = {
            let mut current = self.current();
            match current.as_ref() {
                Some(s) if s.response_id == id => current.take(),
                _ => None,
            }
        };
        let Some(mut sample) = taken else {
            return;
        };
        fill(&mut sample);
        sample.complete_ns = sample.complete_ns.max(sample.issued_ns);
        self.log
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(sample);
        self.stream.done.notify_one();
    }
}

impl Reporter for Stamps {
    fn first_token_at(&self, id: ResponseId, _data: &[u8], _n_tokens: i64, at: Instant) {
        if let Some(s) = self.current().as_mut().filter(|s| s.response_id == id) {
            s.first_token_ns = Some(nanos(self.origin, at));
        }
    }

    fn complete_at(&self, id: ResponseId, _data: &[u8], n_tokens: i64, at: Instant) {
        self.end(id, |s| {
            self.stream.ok.store(true, Ordering::Release);
            s.complete_ns = nanos(self.origin, at);
            s.n_tokens = n_tokens;
        });
    }

    fn fail(&self, id: ResponseId, reason: &str) {
        self.end(id, |s| {
            s.complete_ns = nanos(self.origin, Instant::now());
            s.error = Some(reason.to_string());
        });
    }
}

fn nanos(origin: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX)
}
