//! `--warmup N`: N requests before the timed run, through the run's client (its endpoints,
//! pools and settings), awaited to the last before LoadGen starts. They are rows 0, 1, 2, ...
//! of the dataset in order (wrapping past its end), at most `--max-concurrency` in flight.
//! LoadGen never sees them, so they are in no `mlperf_log_*` file; `results.json` keeps
//! their count and duration as `warmup`.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use ossperf_client::{Client, Completion, Failure, Request, ResponseHandler, SamplingParams};

use crate::report::Warmup;
use crate::sut::PromptSource;

/// What the warm-up sends.
pub(super) struct Plan<'a> {
    /// Requests to send.
    pub requests: u32,
    /// Rows of the dataset (the rows sent wrap at this).
    pub rows: usize,
    /// Where the prompts come from (salted, with `--salt-prompts`).
    pub prompts: &'a dyn PromptSource,
    /// The run's sampling parameters.
    pub params: SamplingParams,
    /// Whether answers are streamed.
    pub stream: bool,
    /// Most requests in flight at once.
    pub concurrency: usize,
}

#[derive(Default)]
struct Tally {
    completed: u64,
    failed: u64,
    output_tokens: u64,
    first_failure: Option<String>,
}

struct Handler(Arc<Mutex<Tally>>);

impl Handler {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl ResponseHandler for Handler {
    fn on_first_token(&mut self, _at: Instant, _ids: &[u32], _count: u64) {}
    fn on_complete(&mut self, completion: &Completion<'_>) {
        let mut tally = self.tally();
        tally.completed += 1;
        tally.output_tokens += completion.completion_tokens;
    }
    fn on_failure(&mut self, failure: Failure) {
        let mut tally = self.tally();
        tally.failed += 1;
        tally
            .first_failure
            .get_or_insert_with(|| failure.to_string());
    }
}

/// Sends the warm-up and waits for every answer; a failed request is counted, not an error.
pub(super) fn run(runtime: &tokio::runtime::Runtime, client: &Client, plan: &Plan<'_>) -> Warmup {
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    runtime.block_on(async {
        let slots = Arc::new(tokio::sync::Semaphore::new(plan.concurrency.max(1)));
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..plan.requests as usize {
            let Some(prompt) = plan.prompts.prompt(i % plan.rows.max(1)) else {
                break;
            };
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let request = Request {
                prompt,
                params: plan.params,
                stream: plan.stream,
            };
            let (client, handler) = (client.clone(), Handler(tally.clone()));
            tasks.spawn(async move {
                client.send(request, handler).await;
                drop(slot);
            });
        }
        while tasks.join_next().await.is_some() {}
    });
    let duration = started.elapsed();
    let tally = tally.lock().unwrap_or_else(|p| p.into_inner());
    Warmup {
        requests: u64::from(plan.requests),
        completed: tally.completed,
        failed: tally.failed,
        output_tokens: tally.output_tokens,
        duration_ns: u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX),
        first_failure: tally.first_failure.clone(),
    }
}

/// The line shown once the warm-up is over.
pub(super) fn line(warmup: &Warmup, rows: usize) -> String {
    let last = (warmup.requests.saturating_sub(1)).min(rows.saturating_sub(1) as u64);
    let wrapped = if warmup.requests > rows as u64 {
        ", wrapping"
    } else {
        ""
    };
    let mut line = format!(
        "warm-up: {} requests (dataset rows 0-{last}{wrapped}) in {:.3} s: {} completed, {} failed, {} output tokens; not timed, not logged to LoadGen",
        warmup.requests,
        warmup.duration_ns as f64 / 1e9,
        warmup.completed,
        warmup.failed,
        warmup.output_tokens,
    );
    if let Some(reason) = &warmup.first_failure {
        line.push_str(&format!(" (first failure: {reason})"));
    }
    line
}
