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
    let which = match (last, warmup.requests > rows as u64) {
        (0, false) => "dataset row 0".to_string(),
        (_, false) => format!("dataset rows 0-{last}"),
        (_, true) => format!("dataset rows 0-{last}, wrapping"),
    };
    let mut line = format!(
        "warm-up: {} requests ({which}) in {:.3} s: {} completed, {} failed, {} output tokens; not timed, not logged to LoadGen",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn warmup(requests: u64, failed: u64) -> Warmup {
        Warmup {
            requests,
            completed: requests - failed,
            failed,
            output_tokens: 64 * (requests - failed),
            duration_ns: 1_250_000_000,
            first_failure: (failed > 0).then(|| "http_status: HTTP 503".to_string()),
        }
    }

    #[test]
    fn the_line_names_the_rows_sent_and_the_first_failure() {
        assert_eq!(
            line(&warmup(1, 0), 97),
            "warm-up: 1 requests (dataset row 0) in 1.250 s: 1 completed, 0 failed, 64 output tokens; not timed, not logged to LoadGen"
        );
        assert_eq!(
            line(&warmup(97, 0), 97),
            "warm-up: 97 requests (dataset rows 0-96) in 1.250 s: 97 completed, 0 failed, 6208 output tokens; not timed, not logged to LoadGen"
        );
        assert_eq!(
            line(&warmup(200, 2), 97),
            "warm-up: 200 requests (dataset rows 0-96, wrapping) in 1.250 s: 198 completed, 2 failed, 12672 output tokens; not timed, not logged to LoadGen (first failure: http_status: HTTP 503)"
        );
    }
}
