//! The gpt-oss SUT: the one place that knows both LoadGen and the inference client.
//!
//! LoadGen calls [`issue_query`](SystemUnderTest::issue_query) from its issue thread, which
//! must never block. In Offline (a `max_concurrency` is set) the samples go into an issue
//! queue that at most `max_concurrency` sender tasks drain, so at most that many requests are
//! in flight and a waiting sample costs its 16-byte [`QuerySample`], not a task (a million of
//! them wait at the start of the soak of issue #9). In Server and Interactive each request
//! is sent the moment it is issued, from a task of its own.
//!
//! Answers go back through the [`Responder`] with the client's timestamps: the first token at
//! the read that carried it (data: the first token id(s) as little-endian int32), the
//! completion at the read that carried the end, with every output token id as little-endian
//! int32 (LoadGen's TEST06 convention: `data` is the whole output and starts with the first
//! token's data) and `n_tokens` as the server counted them. A failed request is answered with
//! [`Responder::fail`] and its reason.

mod abandon;
mod answer;
#[cfg(test)]
mod sim_tests;
mod stats;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ossperf_client::{
    Client, Completion, ErrorKind, Failure, Prompt, Request, ResponseHandler, SamplingParams,
};
use ossperf_loadgen::{QuerySample, QuerySampleIndex, Responder, ResponseId, SystemUnderTest};

use answer::AnswerTracker;

pub(crate) use abandon::watch_endpoints;
pub(crate) use answer::AnswerStatus;
#[cfg(test)]
pub(crate) use stats::FailureCounts;
pub(crate) use stats::{Finished, LiveSnapshot, LiveStats, RequestRecord};

/// Where prompts come from: the token ids of each QSL index. A source that keeps its
/// [`Prompt`]s lets each one's request body be encoded once for the whole run.
pub(crate) trait PromptSource: Send + Sync {
    /// The prompt of `index`, or `None` when the index is out of range.
    fn prompt(&self, index: QuerySampleIndex) -> Option<Prompt>;
}

impl PromptSource for Vec<Prompt> {
    fn prompt(&self, index: QuerySampleIndex) -> Option<Prompt> {
        self.get(index).cloned()
    }
}

/// Plain id lists (tests): a new [`Prompt`] each time, so bodies are encoded every time.
impl PromptSource for Vec<Arc<[u32]>> {
    fn prompt(&self, index: QuerySampleIndex) -> Option<Prompt> {
        self.get(index).map(|ids| Prompt::from(&ids[..]))
    }
}

/// How the SUT sends requests.
#[derive(Debug, Clone)]
pub(crate) struct SutConfig {
    /// Logged by LoadGen as `sut_name`.
    pub name: String,
    /// Sampling parameters of every request.
    pub params: SamplingParams,
    /// Whether to ask for streamed answers (needed for real first-token times).
    pub stream: bool,
    /// At most this many requests in flight (`--max-concurrency`, Offline); `None` sends
    /// each request the moment it is issued (Server, Interactive).
    pub max_concurrency: Option<usize>,
    /// Whether an answer without token ids has its text encoded into the LoadGen payload
    /// (accuracy and compliance runs, whose payload is scored). Text is encoded to count
    /// tokens whenever the server gave no count, whatever this says.
    pub encode_text: bool,
}

/// Where answers go: LoadGen's [`Responder`] in a run, a recorder in tests.
pub(crate) trait Reporter: Send + Sync + 'static {
    /// `FirstTokenComplete` at `at`.
    fn first_token_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant);
    /// `QuerySamplesComplete` at `at`.
    fn complete_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant);
    /// The sample failed.
    fn fail(&self, id: ResponseId, reason: &str);
}

/// A shared reporter answers as the one it shares.
impl<T: Reporter + ?Sized> Reporter for Arc<T> {
    fn first_token_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant) {
        (**self).first_token_at(id, data, n_tokens, at);
    }
    fn complete_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant) {
        (**self).complete_at(id, data, n_tokens, at);
    }
    fn fail(&self, id: ResponseId, reason: &str) {
        (**self).fail(id, reason);
    }
}

/// The reporter of a queued batch: one allocation per `issue` call, shared by its samples,
/// so that one queue can hold the batches of any reporter.
type SharedReporter = Arc<dyn Reporter>;

impl Reporter for Responder {
    fn first_token_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant) {
        Responder::first_token_at(self, id, data, n_tokens, at);
    }
    fn complete_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant) {
        Responder::complete_at(self, id, data, n_tokens, at);
    }
    fn fail(&self, id: ResponseId, reason: &str) {
        Responder::fail(self, id, reason);
    }
}

/// The gpt-oss system under test. Cheap to clone.
#[derive(Clone)]
pub(crate) struct GptOssSut {
    shared: Arc<Shared>,
}

struct Shared {
    client: Client,
    runtime: tokio::runtime::Handle,
    prompts: Arc<dyn PromptSource>,
    config: SutConfig,
    /// Offline's issue queue; `None` sends each sample as it is issued.
    queue: Option<IssueQueue>,
    stats: LiveStats,
    /// Set by [`GptOssSut::abandon`]: why every sample now fails at once.
    abandoned: std::sync::OnceLock<String>,
}

/// The samples LoadGen issued in Offline that wait for one of at most `limit` sender tasks.
/// Senders are started when samples arrive and end when they find the queue empty, so an
/// idle SUT holds no task.
struct IssueQueue {
    limit: usize,
    state: Mutex<QueueState>,
}

#[derive(Default)]
struct QueueState {
    batches: VecDeque<Batch>,
    /// Samples in `batches` not yet taken by a sender.
    waiting: usize,
    /// Sender tasks running.
    senders: usize,
    /// Set by [`GptOssSut::cancel_all`]: what waits, or is issued later, fails unsent.
    closed: bool,
}

/// The samples of one `issue` call, taken in order.
struct Batch {
    samples: Vec<QuerySample>,
    next: usize,
    /// The record slot of `samples[0]`.
    first_slot: usize,
    reporter: SharedReporter,
    issued_at: Instant,
}

/// One sample taken from the queue.
struct Job {
    sample: QuerySample,
    slot: usize,
    reporter: SharedReporter,
    issued_at: Instant,
    /// The queue was closed: fail it without sending.
    cancelled: bool,
}

impl IssueQueue {
    fn lock(&self) -> std::sync::MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `samples` and returns how many senders to start, or gives `samples` back when
    /// the queue is closed.
    fn push(&self, batch: Batch) -> Result<usize, Batch> {
        let mut state = self.lock();
        if state.closed {
            return Err(batch);
        }
        state.waiting += batch.samples.len();
        state.batches.push_back(batch);
        let start = self.limit.saturating_sub(state.senders).min(state.waiting);
        state.senders += start;
        Ok(start)
    }

    /// The next waiting sample; `None` retires the calling sender.
    fn pop(&self) -> Option<Job> {
        let mut guard = self.lock();
        let state = &mut *guard;
        while let Some(batch) = state.batches.front_mut() {
            if let Some(&sample) = batch.samples.get(batch.next) {
                let job = Job {
                    sample,
                    slot: batch.first_slot + batch.next,
                    reporter: batch.reporter.clone(),
                    issued_at: batch.issued_at,
                    cancelled: state.closed,
                };
                batch.next += 1;
                if batch.next == batch.samples.len() {
                    state.batches.pop_front();
                }
                state.waiting -= 1;
                return Some(job);
            }
            state.batches.pop_front();
        }
        state.senders -= 1;
        None
    }

    fn close(&self) {
        self.lock().closed = true;
    }
}

impl GptOssSut {
    /// A SUT that sends through `client` on `runtime`, with prompts from `prompts`.
    pub(crate) fn new(
        client: Client,
        runtime: tokio::runtime::Handle,
        prompts: Arc<dyn PromptSource>,
        config: SutConfig,
    ) -> GptOssSut {
        let queue = config.max_concurrency.map(|n| IssueQueue {
            limit: n.max(1),
            state: Mutex::default(),
        });
        GptOssSut {
            shared: Arc::new(Shared {
                client,
                runtime,
                prompts,
                config,
                queue,
                stats: LiveStats::default(),
                abandoned: std::sync::OnceLock::new(),
            }),
        }
    }

    /// Live counters for the progress line.
    pub(crate) fn live(&self) -> LiveSnapshot {
        self.shared.stats.snapshot()
    }

    /// Failures by kind, with the first few messages.
    #[cfg(test)]
    pub(crate) fn failures(&self) -> FailureCounts {
        self.shared.stats.failures()
    }

    /// One record per finished request (completed or failed), in finishing order.
    pub(crate) fn records(&self) -> Vec<RequestRecord> {
        self.shared.stats.records()
    }

    /// Ctrl-C: fails every request in flight or waiting for a slot, promptly, and every
    /// later one at once. LoadGen then sees every sample answered and ends the run.
    pub(crate) fn cancel_all(&self) {
        // The queue first, so a sender freed by a cancelled request finds it closed.
        if let Some(queue) = &self.shared.queue {
            queue.close();
        }
        self.shared.client.cancel_all();
    }

    /// Gives up on the servers (every endpoint down past the grace period): like
    /// [`cancel_all`](Self::cancel_all), but every sample waiting, and every one issued
    /// later, fails at once with `reason`. Works under any LoadGen: it answers whatever is
    /// issued, and the schedule stays LoadGen's. Only the first call counts.
    pub(crate) fn abandon(&self, reason: String) {
        if self.shared.abandoned.set(reason).is_ok() {
            self.cancel_all();
        }
    }

    /// Why the SUT was abandoned, if it was.
    #[cfg(test)]
    pub(crate) fn abandoned(&self) -> Option<&str> {
        self.shared.abandoned.get().map(String::as_str)
    }

    /// Issues `samples`, answering through `reporter`. Never blocks.
    pub(crate) fn issue<R: Reporter + Clone>(&self, samples: &[QuerySample], reporter: &R) {
        if samples.is_empty() {
            return;
        }
        let first_slot = self.shared.stats.issued(samples);
        let issued_at = Instant::now();
        if self.shared.abandoned.get().is_some() {
            for (k, &sample) in samples.iter().enumerate() {
                SampleHandler::new(
                    sample,
                    first_slot + k,
                    issued_at,
                    reporter.clone(),
                    &self.shared,
                )
                .cancel_unsent();
            }
            return;
        }
        let Some(queue) = &self.shared.queue else {
            for (k, &sample) in samples.iter().enumerate() {
                let handler = SampleHandler::new(
                    sample,
                    first_slot + k,
                    issued_at,
                    reporter.clone(),
                    &self.shared,
                );
                self.send_now(handler);
            }
            return;
        };
        let batch = Batch {
            samples: samples.to_vec(),
            next: 0,
            first_slot,
            reporter: Arc::new(reporter.clone()),
            issued_at,
        };
        match queue.push(batch) {
            Ok(senders) => {
                for _ in 0..senders {
                    let shared = self.shared.clone();
                    self.shared.runtime.spawn(send_queued(shared));
                }
            }
            Err(batch) => {
                for (k, sample) in batch.samples.into_iter().enumerate() {
                    let reporter = batch.reporter.clone();
                    SampleHandler::new(sample, first_slot + k, issued_at, reporter, &self.shared)
                        .cancel_unsent();
                }
            }
        }
    }

    /// Server and Interactive: the request leaves at once, from the issuing thread when an
    /// idle connection is at hand (a busy runtime would otherwise delay it; the measured
    /// first-token time starts at the issue), and a task of its own reads the answer.
    fn send_now<R: Reporter>(&self, mut handler: SampleHandler<R>) {
        let Some(request) = self.shared.request(&mut handler) else {
            return;
        };
        self.shared
            .runtime
            .spawn(self.shared.client.start(request, handler));
    }
}

/// One of Offline's senders: sends queued samples one at a time until the queue is empty.
async fn send_queued(shared: Arc<Shared>) {
    let Some(queue) = &shared.queue else {
        return;
    };
    while let Some(job) = queue.pop() {
        let mut handler =
            SampleHandler::new(job.sample, job.slot, job.issued_at, job.reporter, &shared);
        if job.cancelled {
            handler.cancel_unsent();
            // A million cancelled samples must not hold a worker from the rest of the run.
            tokio::task::consume_budget().await;
            continue;
        }
        if let Some(request) = shared.request(&mut handler) {
            shared.client.send(request, handler).await;
        }
    }
}

impl Shared {
    /// The request of `handler`'s sample; fails it at once when the QSL has no such prompt.
    fn request<R: Reporter>(&self, handler: &mut SampleHandler<R>) -> Option<Request> {
        let shared = self;
        let sample = handler.sample;
        let Some(prompt) = shared.prompts.prompt(sample.index) else {
            handler.on_failure(Failure::new(
                ErrorKind::Internal,
                format!("no prompt for QSL index `{}`", sample.index),
            ));
            return None;
        };
        handler.input_tokens = prompt.len();
        let request = Request {
            prompt,
            params: shared.config.params,
            stream: shared.config.stream,
        };
        Some(request)
    }
}

impl SystemUnderTest for GptOssSut {
    fn name(&self) -> String {
        self.shared.config.name.clone()
    }

    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        self.issue(samples, responder);
    }

    fn flush_queries(&self) {}
}

/// Token ids as LoadGen payload bytes: little-endian int32 each.
pub(crate) fn token_bytes(ids: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 4);
    for &id in ids {
        out.extend_from_slice(&id.to_le_bytes());
    }
    out
}

/// Answers one sample.
struct SampleHandler<R: Reporter> {
    sample: QuerySample,
    /// Its record slot in the stats.
    slot: usize,
    issued_at: Instant,
    first_at: Option<Instant>,
    input_tokens: usize,
    /// Follows the answer's harmony channels as its ids arrive.
    answer: AnswerTracker,
    reporter: R,
    shared: Arc<Shared>,
    /// Whether LoadGen has heard how the sample ended.
    ended: bool,
}

impl<R: Reporter> SampleHandler<R> {
    fn new(
        sample: QuerySample,
        slot: usize,
        issued_at: Instant,
        reporter: R,
        shared: &Arc<Shared>,
    ) -> SampleHandler<R> {
        SampleHandler {
            sample,
            slot,
            issued_at,
            first_at: None,
            input_tokens: 0,
            answer: AnswerTracker::default(),
            reporter,
            shared: shared.clone(),
            ended: false,
        }
    }

    /// Fails a sample that was never sent: Ctrl-C, or the servers were abandoned.
    fn cancel_unsent(mut self) {
        let failure = match self.shared.abandoned.get() {
            Some(reason) => Failure::new(ErrorKind::Connect, reason.clone()),
            None => Failure::new(ErrorKind::Cancelled, "cancelled before it was sent"),
        };
        self.on_failure(failure);
    }

    /// The full-width facts of this sample; the record packs them.
    fn finished(&self) -> Finished {
        Finished {
            response_id: self.sample.id,
            qsl_index: self.sample.index,
            input_tokens: self.input_tokens,
            ids_consistent: true,
            ..Finished::default()
        }
    }
}

impl<R: Reporter> ResponseHandler for SampleHandler<R> {
    fn on_first_token(&mut self, at: Instant, ids: &[u32], count: u64) {
        self.first_at = Some(at);
        let n = i64::try_from(count).unwrap_or(i64::MAX);
        self.reporter
            .first_token_at(self.sample.id, &token_bytes(ids), n, at);
    }

    fn on_tokens(&mut self, at: Instant, ids: &[u32]) {
        self.answer.on_tokens(at, ids);
    }

    fn on_complete(&mut self, c: &Completion<'_>) {
        // A server that sent no ids: its text, encoded with the embedded harmony tokenizer,
        // stands in where the payload is scored or no count came (docs/SERVERS.md).
        let encoded = (c.output_ids.is_empty()
            && !c.text.is_empty()
            && (self.shared.config.encode_text || !c.counted_by_server))
            .then(|| ossperf_harmony::tokenizer().encode_with_special_tokens(c.text));
        let ids = encoded.as_deref().unwrap_or(c.output_ids);
        let counted_by_encoding = !c.counted_by_server && encoded.is_some();
        let tokens = if counted_by_encoding {
            ids.len() as u64
        } else {
            c.completion_tokens
        };
        let first = self.first_at.unwrap_or(c.at);
        self.shared.stats.completed(
            self.slot,
            &Finished {
                output_tokens: tokens,
                endpoint: Some(c.endpoint),
                ttft: Some(first.saturating_duration_since(self.issued_at)),
                latency: Some(c.at.saturating_duration_since(self.issued_at)),
                retractions: c.retractions,
                // Encoded text has no server ids to disagree with.
                ids_consistent: c.consistent || encoded.is_some() || c.output_ids.is_empty(),
                text_encoded: encoded.is_some(),
                counted_by_encoding,
                finish: Some(c.finish_reason),
                answer: self.answer.facts(c.at, !c.output_ids.is_empty()),
                ..self.finished()
            },
        );
        // LoadGen last: once it has every sample it ends the test, and the results are read
        // from the records right after, so a record stored later could be missing from them.
        let n = i64::try_from(tokens).unwrap_or(i64::MAX);
        self.reporter
            .complete_at(self.sample.id, &token_bytes(ids), n, c.at);
        self.ended = true;
    }

    fn on_failure(&mut self, failure: Failure) {
        let reason = failure.to_string();
        let finished = Finished {
            endpoint: failure.endpoint,
            ttft: self
                .first_at
                .map(|f| f.saturating_duration_since(self.issued_at)),
            error: Some(failure.kind),
            ..self.finished()
        };
        self.shared
            .stats
            .failed(self.slot, &finished, &failure.message);
        // As for a completion: recorded before LoadGen hears of it.
        self.reporter.fail(self.sample.id, &reason);
        self.ended = true;
    }
}

/// A handler dropped before its sample ended (the client broke its promise of one completion
/// or failure, e.g. a task that panicked) fails the sample, so LoadGen and a closed loop's
/// stream do not wait for it forever.
impl<R: Reporter> Drop for SampleHandler<R> {
    fn drop(&mut self) {
        if !self.ended {
            self.on_failure(Failure::new(
                ErrorKind::Internal,
                "the request ended without an answer or a failure",
            ));
        }
    }
}
