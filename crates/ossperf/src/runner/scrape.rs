//! Samples what the servers say about themselves while a test runs: each endpoint's
//! Prometheus `/metrics`, once a second, into [`MetricSeries`] for `results.json` and the
//! report. It runs on its own task with a client of its own (the run's servers, TLS settings,
//! key and headers, but never the benchmark client's pool), keeps only the gauges that explain a run (running and queued requests, KV-cache
//! usage, generation throughput, cache hit rate; SGLang's and vLLM's names), and stops asking
//! an endpoint whose `/metrics` is missing (404), so a server without metrics costs one
//! request.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ossperf_client::Client;
use tokio::sync::oneshot;

use crate::report::{MetricPoint, MetricSeries};

/// The metrics kept, SGLang's then vLLM's then trtllm-serve's. vLLM V1 names KV-cache usage
/// `kv_cache_usage_perc` (`gpu_cache_usage_perc` is deprecated since 0.9, kept for older
/// servers) and reports prefix caching as the counters `prefix_cache_queries`/`_hits`
/// (vllm-project/vllm `vllm/v1/metrics/loggers.py`); V1 has no `gpu_prefix_cache_hit_rate`.
pub(super) const KEPT: &[&str] = &[
    "sglang:num_running_reqs",
    "sglang:num_queue_reqs",
    "sglang:token_usage",
    "sglang:gen_throughput",
    "sglang:cache_hit_rate",
    "sglang:num_used_tokens",
    "vllm:num_requests_running",
    "vllm:num_requests_waiting",
    "vllm:kv_cache_usage_perc",
    "vllm:gpu_cache_usage_perc",
    "vllm:prefix_cache_queries_total",
    "vllm:prefix_cache_hits_total",
    "vllm:generation_tokens_total",
];

/// Where an endpoint's Prometheus page is: trtllm-serve's `/metrics` is JSON iteration stats
/// and its Prometheus text is at `/prometheus/metrics` (NVIDIA/TensorRT-LLM
/// `tensorrt_llm/serve/openai_server.py` @00057725 :: `register_routes`).
pub(super) fn metrics_path(kind: Option<ossperf_client::ServerKind>) -> &'static str {
    match kind {
        Some(ossperf_client::ServerKind::Trtllm) => "/prometheus/metrics",
        _ => "/metrics",
    }
}

/// How long one scrape may take before it is skipped.
const SCRAPE_LIMIT: Duration = Duration::from_millis(900);

/// A running scraper; [`Scraper::finish`] stops it and returns its series.
pub(super) struct Scraper {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Vec<MetricSeries>>,
}

impl Scraper {
    /// Starts scraping `endpoints` every `every` on `runtime`; times count from `start`.
    /// `paths[i]` is endpoint `i`'s metrics path ([`metrics_path`]).
    pub(super) fn start(
        runtime: &tokio::runtime::Handle,
        client: Client,
        paths: Vec<&'static str>,
        start: Instant,
        every: Duration,
    ) -> Scraper {
        let (stop, stopped) = oneshot::channel();
        let task = runtime.spawn(scrape_until(client, paths, start, every, stopped));
        Scraper { stop, task }
    }

    /// Takes one last sample, stops, and returns every series in endpoint then name order.
    pub(super) fn finish(self, runtime: &tokio::runtime::Runtime) -> Vec<MetricSeries> {
        let _ = self.stop.send(());
        runtime.block_on(self.task).unwrap_or_default()
    }
}

async fn scrape_until(
    client: Client,
    paths: Vec<&'static str>,
    start: Instant,
    every: Duration,
    mut stopped: oneshot::Receiver<()>,
) -> Vec<MetricSeries> {
    let n = client.config().endpoints.len();
    let mut live = vec![true; n];
    let mut series: BTreeMap<(u32, String), Vec<MetricPoint>> = BTreeMap::new();
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        let last = tokio::select! {
            _ = ticker.tick() => false,
            _ = &mut stopped => true,
        };
        // Every endpoint at once, so a slow one delays no other's sample.
        let mut round = tokio::task::JoinSet::new();
        for i in (0..n).filter(|&i| live[i]) {
            let (client, path) = (client.clone(), paths.get(i).copied().unwrap_or("/metrics"));
            round.spawn(async move { (i, client.fetch(i, path, SCRAPE_LIMIT).await) });
        }
        let t_ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        while let Some(Ok((i, answer))) = round.join_next().await {
            match answer {
                // A JSON stats page (trtllm-serve's `/metrics`) has no Prometheus series.
                Ok((200, body)) if body.trim_ascii_start().starts_with(b"{") => {
                    live[i] = false;
                }
                Ok((200, body)) => {
                    for (name, value) in parse(&String::from_utf8_lossy(&body)) {
                        series
                            .entry((i as u32, name))
                            .or_default()
                            .push(MetricPoint { t_ns, value });
                    }
                }
                // No metrics page: stop asking. An error status, a refused or a slow
                // connection may be a passing outage, so keep trying.
                Ok((404, _)) => live[i] = false,
                Ok(_) | Err(_) => {}
            }
        }
        if last {
            break;
        }
    }
    series
        .into_iter()
        .map(|((endpoint, name), points)| MetricSeries {
            name,
            endpoint,
            points,
        })
        .collect()
}

/// Reads the kept metrics from a Prometheus text page. A metric with several label sets (one
/// per data-parallel rank or model) is summed, except ratios, which are averaged.
pub(super) fn parse(page: &str) -> Vec<(String, f64)> {
    let mut found: BTreeMap<&str, (f64, u32)> = BTreeMap::new();
    for line in page.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, rest) = match line.find(['{', ' ', '\t']) {
            Some(at) => line.split_at(at),
            None => continue,
        };
        let Some(&kept) = KEPT.iter().find(|k| **k == name) else {
            continue;
        };
        let rest = match rest.strip_prefix('{') {
            Some(labels) => match closing_brace(labels) {
                Some(end) => &labels[end + 1..],
                None => continue,
            },
            None => rest,
        };
        let Some(value) = rest.split_whitespace().next().and_then(parse_value) else {
            continue;
        };
        let entry = found.entry(kept).or_insert((0.0, 0));
        entry.0 += value;
        entry.1 += 1;
    }
    found
        .into_iter()
        .map(|(name, (sum, n))| {
            let value = if is_ratio(name) {
                sum / f64::from(n.max(1))
            } else {
                sum
            };
            (name.to_string(), value)
        })
        .collect()
}

fn is_ratio(name: &str) -> bool {
    name.ends_with("token_usage") || name.ends_with("_perc") || name.ends_with("hit_rate")
}

/// The index of the `}` that closes a label set, skipping braces inside quoted values.
fn closing_brace(labels: &str) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in labels.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '}' if !quoted => return Some(i),
            _ => {}
        }
    }
    None
}

fn parse_value(text: &str) -> Option<f64> {
    let value = match text {
        "+Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        other => other.parse().ok()?,
    };
    value.is_finite().then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kept_gauges_are_read_with_labels_summed_and_ratios_averaged() {
        let page = "\
# HELP sglang:num_running_reqs The number of running requests.
# TYPE sglang:num_running_reqs gauge
sglang:num_running_reqs{model_name=\"m\",dp_rank=\"0\"} 3
sglang:num_running_reqs{model_name=\"m\",dp_rank=\"1\"} 4.0
sglang:token_usage{dp_rank=\"0\"} 0.25
sglang:token_usage{dp_rank=\"1\"} 0.75
sglang:prompt_tokens_total{model_name=\"m\"} 99
vllm:kv_cache_usage_perc{engine=\"0\",note=\"a } brace\"} 0.5 1700000000000
vllm:num_requests_waiting 2
vllm:num_requests_running{x=\"y\"} NaN
";
        assert_eq!(
            parse(page),
            vec![
                ("sglang:num_running_reqs".to_string(), 7.0),
                ("sglang:token_usage".to_string(), 0.5),
                ("vllm:kv_cache_usage_perc".to_string(), 0.5),
                ("vllm:num_requests_waiting".to_string(), 2.0),
            ]
        );
    }

    #[test]
    fn an_endpoint_without_a_metrics_page_is_asked_once() {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let asked = std::thread::spawn(move || {
            listener.set_nonblocking(false).unwrap();
            let mut count = 0;
            if let Ok((mut socket, _)) = listener.accept() {
                count += 1;
                let mut buf = [0u8; 1024];
                let _ = socket.read(&mut buf);
                let _ = socket.write_all(b"HTTP/1.0 404 Not Found\r\n\r\nno such page");
            }
            listener.set_nonblocking(true).unwrap();
            std::thread::sleep(Duration::from_millis(300));
            count + usize::from(listener.accept().is_ok())
        });
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let endpoint = ossperf_client::Endpoint::parse(&url).unwrap();
        let config =
            ossperf_client::ClientConfig::new(ossperf_client::Backend::Sglang, vec![endpoint]);
        let scraper = Scraper::start(
            runtime.handle(),
            Client::new(config).unwrap(),
            vec!["/metrics"],
            Instant::now(),
            Duration::from_millis(20),
        );
        std::thread::sleep(Duration::from_millis(150));
        assert!(scraper.finish(&runtime).is_empty());
        assert_eq!(asked.join().unwrap(), 1);
    }

    #[test]
    fn trtllm_serve_is_scraped_at_its_prometheus_path_and_vllm_v1_prefix_counters_are_kept() {
        assert_eq!(
            metrics_path(Some(ossperf_client::ServerKind::Trtllm)),
            "/prometheus/metrics"
        );
        assert_eq!(
            metrics_path(Some(ossperf_client::ServerKind::Vllm)),
            "/metrics"
        );
        let page = "vllm:prefix_cache_queries_total{engine=\"0\"} 10\n\
                    vllm:prefix_cache_hits_total{engine=\"0\"} 4\n";
        assert_eq!(
            parse(page),
            vec![
                ("vllm:prefix_cache_hits_total".to_string(), 4.0),
                ("vllm:prefix_cache_queries_total".to_string(), 10.0),
            ]
        );
    }

    #[test]
    fn a_page_without_kept_metrics_gives_nothing() {
        assert!(parse("up 1\n# comment\nbroken{\n").is_empty());
    }
}
