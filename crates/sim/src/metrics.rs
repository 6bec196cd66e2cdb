//! Counters behind `GET /metrics`: Prometheus text with SGLang's or vLLM's metric names, or
//! TensorRT-LLM's JSON iteration statistics.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::config::MODEL_NAME;

/// Live counters, updated with relaxed atomics (never on the per-event path).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    /// Generation requests being answered.
    pub active: AtomicU64,
    /// Batched timing: requests in the running batch.
    pub running: AtomicU64,
    /// Batched timing: requests waiting for a slot.
    pub queued: AtomicU64,
    /// Scheduler steps run.
    pub steps: AtomicU64,
    /// Generation requests received.
    pub requests: AtomicU64,
    /// Prompt tokens received.
    pub prompt_tokens: AtomicU64,
    /// Output tokens sent.
    pub generation_tokens: AtomicU64,
}

impl Stats {
    /// Sets the running and queued gauges.
    pub(crate) fn set_batch(&self, running: u64, queued: u64) {
        self.running.store(running, Ordering::Relaxed);
        self.queued.store(queued, Ordering::Relaxed);
    }

    /// Renders the metrics; `batched` says whether the running gauge comes from the scheduler.
    pub(crate) fn render(&self, batched: bool, max_running: u32, uptime: Duration) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let running = if batched {
            get(&self.running)
        } else {
            get(&self.active)
        };
        let gen = get(&self.generation_tokens);
        let secs = uptime.as_secs_f64().max(1e-3);
        let rows: [(&str, &str, &str, String); 7] = [
            (
                "num_running_reqs",
                "gauge",
                "The number of running requests.",
                running.to_string(),
            ),
            (
                "num_queue_reqs",
                "gauge",
                "The number of requests in the waiting queue.",
                get(&self.queued).to_string(),
            ),
            (
                "token_usage",
                "gauge",
                "The token usage (here: the share of the running batch in use).",
                format!("{:.4}", running as f64 / f64::from(max_running.max(1))),
            ),
            (
                "gen_throughput",
                "gauge",
                "The generation throughput (token/s), averaged since start.",
                format!("{:.2}", gen as f64 / secs),
            ),
            (
                "prompt_tokens_total",
                "counter",
                "Number of prefill tokens processed.",
                get(&self.prompt_tokens).to_string(),
            ),
            (
                "generation_tokens_total",
                "counter",
                "Number of generation tokens processed.",
                gen.to_string(),
            ),
            (
                "num_requests_total",
                "counter",
                "Number of requests processed.",
                get(&self.requests).to_string(),
            ),
        ];
        let mut out = String::new();
        for (name, kind, help, value) in rows {
            let _ = write!(
                out,
                "# HELP sglang:{name} {help}\n# TYPE sglang:{name} {kind}\nsglang:{name}{{model_name=\"{MODEL_NAME}\"}} {value}\n"
            );
        }
        out
    }
}

impl Stats {
    /// vLLM V1's names (`vllm/v1/metrics/loggers.py`): gauges of running and waiting requests,
    /// the KV-cache usage, and token counters exposed with `_total`.
    pub(crate) fn render_vllm(&self, batched: bool, max_running: u32) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        let running = if batched {
            get(&self.running)
        } else {
            get(&self.active)
        };
        let rows: [(&str, &str, String); 5] = [
            ("num_requests_running", "gauge", running.to_string()),
            (
                "num_requests_waiting",
                "gauge",
                get(&self.queued).to_string(),
            ),
            (
                "kv_cache_usage_perc",
                "gauge",
                format!("{:.4}", running as f64 / f64::from(max_running.max(1))),
            ),
            (
                "prompt_tokens_total",
                "counter",
                get(&self.prompt_tokens).to_string(),
            ),
            (
                "generation_tokens_total",
                "counter",
                get(&self.generation_tokens).to_string(),
            ),
        ];
        let mut out = String::new();
        for (name, kind, value) in rows {
            let base = name.strip_suffix("_total").unwrap_or(name);
            let _ = write!(
                out,
                "# TYPE vllm:{base} {kind}\nvllm:{name}{{engine=\"0\",model_name=\"{MODEL_NAME}\"}} {value}\n"
            );
        }
        out
    }

    /// TensorRT-LLM's `GET /metrics`: a JSON list of iteration statistics (not Prometheus).
    pub(crate) fn render_trtllm(&self) -> String {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        serde_json::json!([{
            "iter": get(&self.steps),
            "numActiveRequests": get(&self.active),
            "numQueuedRequests": get(&self.queued),
            "maxNumActiveRequests": serde_json::Value::Null,
        }])
        .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_use_sglangs_names_and_labels() {
        let s = Stats::default();
        s.set_batch(3, 2);
        s.generation_tokens.store(500, Ordering::Relaxed);
        let text = s.render(true, 4, Duration::from_secs(2));
        assert!(text.contains("# TYPE sglang:num_running_reqs gauge\nsglang:num_running_reqs{model_name=\"openai/gpt-oss-120b\"} 3\n"), "{text}");
        assert!(text.contains("sglang:num_queue_reqs{model_name=\"openai/gpt-oss-120b\"} 2\n"));
        assert!(text.contains("sglang:token_usage{model_name=\"openai/gpt-oss-120b\"} 0.7500\n"));
        assert!(text.contains("sglang:gen_throughput{model_name=\"openai/gpt-oss-120b\"} 250.00\n"));
        assert!(text.contains("# TYPE sglang:generation_tokens_total counter\n"));
    }
}
