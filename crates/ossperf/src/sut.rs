//! The gpt-oss SUT: the one place that knows both LoadGen and the inference client.
//!
//! LoadGen calls [`issue_query`](SystemUnderTest::issue_query) from its issue thread, which
//! must never block: each sample is handed to the tokio runtime at once. In Offline (a
//! `max_concurrency` is set) the spawned requests wait on a semaphore, so at most that many
//! are in flight; in Server and Interactive each request is sent the moment it is issued.
//!
//! Answers go back through the [`Responder`] with the client's timestamps: the first token at
//! the read that carried it (data: the first token id(s) as little-endian int32), the
//! completion at the read that carried the end, with every output token id as little-endian
//! int32 (LoadGen's TEST06 convention: `data` is the whole output and starts with the first
//! token's data) and `n_tokens` as the server counted them. A failed request is answered with
//! [`Responder::fail`] and its reason.

#[cfg(test)]
mod sim_tests;
mod stats;
#[cfg(test)]
mod tests;

use std::sync::Arc;
use std::time::Instant;

use ossperf_client::{
    Client, Completion, ErrorKind, Failure, Prompt, Request, ResponseHandler, SamplingParams,
};
use ossperf_loadgen::{QuerySample, QuerySampleIndex, Responder, ResponseId, SystemUnderTest};
use tokio::sync::Semaphore;

pub use stats::{
    endpoint_figures, EndpointFigures, FailureCounts, LiveSnapshot, LiveStats, RequestRecord,
    KEPT_FAILURE_MESSAGES, RECENT_WINDOW,
};

/// Where prompts come from: the token ids of each QSL index. A source that keeps its
/// [`Prompt`]s lets each one's request body be encoded once for the whole run.
pub trait PromptSource: Send + Sync {
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

/// Wraps a closure as a [`PromptSource`].
pub struct PromptFn<F>(pub F);

impl<F: Fn(QuerySampleIndex) -> Option<Prompt> + Send + Sync> PromptSource for PromptFn<F> {
    fn prompt(&self, index: QuerySampleIndex) -> Option<Prompt> {
        (self.0)(index)
    }
}

/// How the SUT sends requests.
#[derive(Debug, Clone)]
pub struct SutConfig {
    /// Logged by LoadGen as `sut_name`.
    pub name: String,
    /// Sampling parameters of every request.
    pub params: SamplingParams,
    /// Whether to ask for streamed answers (needed for real first-token times).
    pub stream: bool,
    /// At most this many requests in flight (`--max-concurrency`, Offline); `None` sends
    /// each request the moment it is issued (Server, Interactive).
    pub max_concurrency: Option<usize>,
}

/// Where answers go: LoadGen's [`Responder`] in a run, a recorder in tests.
pub trait Reporter: Clone + Send + Sync + 'static {
    /// `FirstTokenComplete` at `at`.
    fn first_token_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant);
    /// `QuerySamplesComplete` at `at`.
    fn complete_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant);
    /// The sample failed.
    fn fail(&self, id: ResponseId, reason: &str);
}

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
pub struct GptOssSut {
    shared: Arc<Shared>,
}

struct Shared {
    client: Client,
    runtime: tokio::runtime::Handle,
    prompts: Arc<dyn PromptSource>,
    config: SutConfig,
    limiter: Option<Arc<Semaphore>>,
    stats: LiveStats,
}

impl GptOssSut {
    /// A SUT that sends through `client` on `runtime`, with prompts from `prompts`.
    pub fn new(
        client: Client,
        runtime: tokio::runtime::Handle,
        prompts: Arc<dyn PromptSource>,
        config: SutConfig,
    ) -> GptOssSut {
        let limiter = config
            .max_concurrency
            .map(|n| Arc::new(Semaphore::new(n.max(1))));
        GptOssSut {
            shared: Arc::new(Shared {
                client,
                runtime,
                prompts,
                config,
                limiter,
                stats: LiveStats::default(),
            }),
        }
    }

    /// The client (for its per-endpoint counters).
    pub fn client(&self) -> &Client {
        &self.shared.client
    }

    /// Live counters for the progress line.
    pub fn live(&self) -> LiveSnapshot {
        self.shared.stats.snapshot()
    }

    /// Failures by kind, with the first few messages.
    pub fn failures(&self) -> FailureCounts {
        self.shared.stats.failures()
    }

    /// One record per finished request (completed or failed), in finishing order.
    pub fn records(&self) -> Vec<RequestRecord> {
        self.shared.stats.records()
    }

    /// Ctrl-C: fails every request in flight or waiting for a slot, promptly, and every
    /// later one at once. LoadGen then sees every sample answered and ends the run.
    pub fn cancel_all(&self) {
        self.shared.client.cancel_all();
        if let Some(limiter) = &self.shared.limiter {
            limiter.close();
        }
    }

    /// Issues `samples`, answering through `reporter`. Never blocks.
    pub fn issue<R: Reporter>(&self, samples: &[QuerySample], reporter: &R) {
        for sample in samples {
            self.issue_one(*sample, reporter.clone());
        }
    }

    fn issue_one<R: Reporter>(&self, sample: QuerySample, reporter: R) {
        let shared = &self.shared;
        shared.stats.issued();
        let issued_at = Instant::now();
        let mut handler = SampleHandler {
            sample,
            issued_at,
            first_at: None,
            input_tokens: 0,
            reporter,
            shared: self.shared.clone(),
        };
        let Some(prompt) = shared.prompts.prompt(sample.index) else {
            handler.on_failure(Failure::new(
                ErrorKind::Internal,
                format!("no prompt for QSL index `{}`", sample.index),
            ));
            return;
        };
        handler.input_tokens = prompt.len();
        let request = Request {
            prompt,
            params: shared.config.params,
            stream: shared.config.stream,
        };
        let shared = self.shared.clone();
        self.shared.runtime.spawn(async move {
            let _permit = match &shared.limiter {
                Some(limiter) => match limiter.clone().acquire_owned().await {
                    Ok(permit) => Some(permit),
                    Err(_) => {
                        handler.on_failure(Failure::new(
                            ErrorKind::Cancelled,
                            "cancelled before it was sent",
                        ));
                        return;
                    }
                },
                None => None,
            };
            shared.client.send(request, handler).await;
        });
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
pub fn token_bytes(ids: &[u32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ids.len() * 4);
    for &id in ids {
        out.extend_from_slice(&id.to_le_bytes());
    }
    out
}

/// Answers one sample.
struct SampleHandler<R> {
    sample: QuerySample,
    issued_at: Instant,
    first_at: Option<Instant>,
    input_tokens: usize,
    reporter: R,
    shared: Arc<Shared>,
}

impl<R: Reporter> ResponseHandler for SampleHandler<R> {
    fn on_first_token(&mut self, at: Instant, ids: &[u32], count: u64) {
        self.first_at = Some(at);
        let n = i64::try_from(count).unwrap_or(i64::MAX);
        self.reporter
            .first_token_at(self.sample.id, &token_bytes(ids), n, at);
    }

    fn on_complete(&mut self, c: &Completion<'_>) {
        let n = i64::try_from(c.completion_tokens).unwrap_or(i64::MAX);
        self.reporter
            .complete_at(self.sample.id, &token_bytes(c.output_ids), n, c.at);
        let first = self.first_at.unwrap_or(c.at);
        self.shared.stats.completed(RequestRecord {
            response_id: self.sample.id,
            qsl_index: self.sample.index,
            input_tokens: self.input_tokens,
            output_tokens: c.completion_tokens,
            endpoint: Some(c.endpoint),
            ttft: Some(first.saturating_duration_since(self.issued_at)),
            latency: Some(c.at.saturating_duration_since(self.issued_at)),
            error: None,
            retractions: c.retractions,
            ids_consistent: c.consistent,
        });
    }

    fn on_failure(&mut self, failure: Failure) {
        let reason = failure.to_string();
        self.reporter.fail(self.sample.id, &reason);
        self.shared.stats.failed(RequestRecord {
            response_id: self.sample.id,
            qsl_index: self.sample.index,
            input_tokens: self.input_tokens,
            output_tokens: 0,
            endpoint: failure.endpoint,
            ttft: self
                .first_at
                .map(|f| f.saturating_duration_since(self.issued_at)),
            latency: None,
            error: Some((failure.kind, failure.message)),
            retractions: 0,
            ids_consistent: true,
        });
    }
}
