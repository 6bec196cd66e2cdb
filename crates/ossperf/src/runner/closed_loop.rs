//! A closed loop of N streams outside LoadGen, for `ossperf sweep --concurrency`: each stream
//! sends its next request the moment its previous answer ends, until the duration has passed,
//! then waits for what is in flight. Not an MLPerf scenario: no LoadGen schedule, logs or
//! verdict. The records are the client's own times, in ns since the loop's start; a request's
//! scheduled and issued times are both when its stream sent it, so TTFT counts from the send.
//! The prompts and the warm-up are the run's own (`--salt-prompts`, `--warmup`). A stream whose
//! requests have all failed for `--abandon-after` stops sending (a server that refuses at once
//! would otherwise fill memory with failures at loop speed).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use ossperf_client::{Completion, Failure, Request, ResponseHandler};
use ossperf_dataset::Dataset;

use super::{RunPlan, Session};
use crate::report::{RequestError, RequestRecord};

/// Records in the order their requests were sent (by send number).
type Sink = Arc<Mutex<Vec<(usize, RequestRecord)>>>;

impl Session {
    /// Whether the built-in simulator answers this session's requests.
    pub(crate) fn simulated(&self) -> bool {
        self.servers.simulator.is_some()
    }

    /// Runs `streams` streams over `dataset`'s prompts (in row order, round and round) for
    /// `duration`, streamed with `plan`'s sampling parameters; returns one record per request,
    /// in send order. A failed request is a record with its error.
    pub(crate) fn closed_loop(
        &self,
        plan: &RunPlan,
        dataset: &Dataset,
        streams: usize,
        duration: Duration,
    ) -> Vec<RequestRecord> {
        let rows: Arc<Vec<Row>> = Arc::new(
            (0..dataset.len())
                .map(|i| Row {
                    dataset: dataset.sub_dataset(i).unwrap_or_default().to_string(),
                    input_tokens: u32::try_from(dataset.input_len(i)).unwrap_or(u32::MAX),
                })
                .collect(),
        );
        if rows.is_empty() {
            return Vec::new();
        }
        // The run's own prompt source (salted under `--salt-prompts`) and warm-up.
        let (_, prompts, _) = self.prompts(plan, dataset);
        self.warm_up(plan, rows.len(), prompts.as_ref());
        let origin = Instant::now();
        let sent = Arc::new(AtomicUsize::new(0));
        let sink: Sink = Arc::new(Mutex::new(Vec::new()));
        let params = plan.generation;
        let abandon_after = plan.abandon_after;
        let client = &self.servers.client;
        self.runtime.block_on(async {
            let tasks: Vec<_> = (0..streams)
                .map(|_| {
                    let (client, rows, prompts, sent, sink) = (
                        client.clone(),
                        rows.clone(),
                        prompts.clone(),
                        sent.clone(),
                        sink.clone(),
                    );
                    tokio::spawn(async move {
                        let mut failing_since: Option<Instant> = None;
                        while origin.elapsed() < duration {
                            let k = sent.fetch_add(1, Ordering::Relaxed);
                            let row = &rows[k % rows.len()];
                            let Some(prompt) = prompts.prompt(k % rows.len()) else {
                                break;
                            };
                            let request = Request {
                                prompt,
                                params,
                                stream: true,
                            };
                            let at = nanos(origin, Instant::now());
                            let record = RequestRecord {
                                qsl_idx: (k % rows.len()) as u64,
                                dataset: row.dataset.clone(),
                                scheduled_ns: at,
                                issued_ns: at,
                                first_token_ns: None,
                                complete_ns: at,
                                input_tokens: row.input_tokens,
                                output_tokens: 0,
                                endpoint: 0,
                                error: None,
                                finish_reason: None,
                                // The harmony channels are followed by the LoadGen SUT only.
                                answer: None,
                            };
                            let ok = Arc::new(AtomicBool::new(false));
                            let handler = Handler {
                                origin,
                                send: k,
                                record: Some(record),
                                sink: sink.clone(),
                                ok: ok.clone(),
                            };
                            // Returns when the answer has ended (or failed): the stream is free.
                            client.send(request, handler).await;
                            if ok.load(Ordering::Acquire) {
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
        let mut records = std::mem::take(&mut *sink.lock().unwrap_or_else(PoisonError::into_inner));
        records.sort_unstable_by_key(|(k, _)| *k);
        records.into_iter().map(|(_, r)| r).collect()
    }
}

/// What a record says of its dataset row.
struct Row {
    dataset: String,
    input_tokens: u32,
}

fn nanos(origin: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX)
}

/// Fills one request's record from the client's callbacks and hands it to the sink once.
struct Handler {
    origin: Instant,
    send: usize,
    record: Option<RequestRecord>,
    sink: Sink,
    /// Set when the answer completed.
    ok: Arc<AtomicBool>,
}

impl Handler {
    fn finish(&mut self, at: Instant, fill: impl FnOnce(&mut RequestRecord)) {
        if let Some(mut record) = self.record.take() {
            record.complete_ns = nanos(self.origin, at).max(record.issued_ns);
            fill(&mut record);
            self.sink
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push((self.send, record));
        }
    }
}

impl ResponseHandler for Handler {
    fn on_first_token(&mut self, at: Instant, _ids: &[u32], _count: u64) {
        if let Some(record) = &mut self.record {
            record.first_token_ns = Some(nanos(self.origin, at));
        }
    }

    fn on_complete(&mut self, completion: &Completion<'_>) {
        self.ok.store(true, Ordering::Release);
        self.finish(completion.at, |r| {
            r.output_tokens = u32::try_from(completion.completion_tokens).unwrap_or(u32::MAX);
            r.endpoint = u32::try_from(completion.endpoint).unwrap_or(u32::MAX);
            r.finish_reason = Some(completion.finish_reason.as_str().to_string());
        });
    }

    fn on_failure(&mut self, failure: Failure) {
        self.finish(Instant::now(), |r| {
            r.endpoint = failure
                .endpoint
                .and_then(|e| u32::try_from(e).ok())
                .unwrap_or(0);
            r.error = Some(RequestError {
                kind: failure.kind.as_str().to_string(),
                message: failure.message,
            });
        });
    }
}

impl Drop for Handler {
    /// A handler dropped without an answer (the client gave up on it) still leaves a record.
    fn drop(&mut self) {
        self.finish(Instant::now(), |r| {
            r.error = Some(RequestError {
                kind: "dropped".to_string(),
                message: "the client ended the request without an answer".to_string(),
            });
        });
    }
}
