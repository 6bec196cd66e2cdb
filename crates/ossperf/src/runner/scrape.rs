//! Samples what the servers say about themselves while a test runs: each endpoint's
//! Prometheus `/metrics`, once a second, into [`MetricSeries`] for `results.json` and the
//! report; and, at the same interval on a task of their own, the `--telemetry` pages (DCGM and node exporters), each
//! through `ossperf_client::get` on a connection of its own, into [`TelemetrySeries`]. A
//! telemetry page that cannot be read is a warning naming its URL and why, never an error. It runs on its own task with a client of its own (the run's servers, TLS settings,
//! key and headers, but never the benchmark client's pool), keeps only the gauges that explain a run (running and queued requests, KV-cache
//! usage, generation throughput, cache hit rate; SGLang's and vLLM's names), and stops asking
//! an endpoint whose `/metrics` is missing (404), so a server without metrics costs one
//! request.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ossperf_client::Client;
use tokio::sync::oneshot;

use crate::report::{MetricPoint, MetricSeries, TelemetrySeries, TelemetrySource};

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

/// How a page's label sets of one metric become one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combine {
    Sum,
    Mean,
}

/// The telemetry metrics kept, with their unit and how GPUs combine: the DCGM exporter's
/// default counters (NVIDIA/dcgm-exporter `etc/default-counters.csv` @00d6d344: power "in
/// W", utilisation "in %", framebuffer "in MiB", temperature "in C", clock "in MHz"), one
/// label set per GPU; and node exporter's load and available memory.
const TELEMETRY_KEPT: &[(&str, &str, Combine)] = &[
    ("DCGM_FI_DEV_POWER_USAGE", "W", Combine::Sum),
    ("DCGM_FI_DEV_GPU_UTIL", "%", Combine::Mean),
    ("DCGM_FI_DEV_MEM_COPY_UTIL", "%", Combine::Mean),
    ("DCGM_FI_DEV_FB_USED", "MiB", Combine::Sum),
    ("DCGM_FI_DEV_FB_FREE", "MiB", Combine::Sum),
    ("DCGM_FI_DEV_GPU_TEMP", "C", Combine::Mean),
    ("DCGM_FI_DEV_SM_CLOCK", "MHz", Combine::Mean),
    ("node_load1", "", Combine::Sum),
    ("node_memory_MemAvailable_bytes", "bytes", Combine::Sum),
];

/// The largest telemetry page read (a node exporter's is a few hundred kB).
const MAX_TELEMETRY_PAGE: usize = 8 << 20;

/// One `--telemetry` page.
#[derive(Debug, Clone)]
pub(crate) struct TelemetryTarget {
    /// The URL as shown and recorded.
    pub url: String,
    endpoint: ossperf_client::Endpoint,
    /// After the endpoint's own path: `/metrics` when the URL gave none.
    path: &'static str,
}

impl TelemetryTarget {
    /// Parses a URL; without a path it means the exporter's `/metrics`.
    pub(crate) fn parse(url: &str) -> Result<TelemetryTarget, ossperf_client::ClientError> {
        let endpoint = ossperf_client::Endpoint::parse(url)?;
        let rest = url.trim().split_once("://").map_or(url.trim(), |(_, r)| r);
        let path = match rest.split_once('/') {
            Some((_, p)) if !p.trim_end_matches('/').is_empty() => "",
            _ => "/metrics",
        };
        Ok(TelemetryTarget {
            url: format!("{}{path}", endpoint.url()),
            endpoint,
            path,
        })
    }
}

/// What the telemetry pages gave.
#[derive(Debug, Default)]
pub(super) struct TelemetryScrape {
    /// One per target, in order.
    pub sources: Vec<TelemetrySource>,
    /// Source then name order.
    pub series: Vec<TelemetrySeries>,
}

/// A running scraper; [`Scraper::finish`] stops it and returns its series.
pub(super) struct Scraper {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<Vec<MetricSeries>>,
    telemetry: Option<tokio::task::JoinHandle<TelemetryScrape>>,
    telemetry_stop: Option<oneshot::Sender<()>>,
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
        Scraper {
            stop,
            task,
            telemetry: None,
            telemetry_stop: None,
        }
    }

    /// Also scrapes `targets` at the same times, when there are any.
    pub(super) fn with_telemetry(
        mut self,
        runtime: &tokio::runtime::Handle,
        targets: Vec<TelemetryTarget>,
        start: Instant,
        every: Duration,
    ) -> Scraper {
        if !targets.is_empty() {
            let (stop, stopped) = oneshot::channel();
            self.telemetry = Some(runtime.spawn(telemetry_until(targets, start, every, stopped)));
            self.telemetry_stop = Some(stop);
        }
        self
    }

    /// Takes one last sample, stops, and returns every series in endpoint then name order,
    /// and the telemetry when there was any to scrape.
    pub(super) fn finish(
        self,
        runtime: &tokio::runtime::Runtime,
    ) -> (Vec<MetricSeries>, Option<TelemetryScrape>) {
        let _ = self.stop.send(());
        if let Some(stop) = self.telemetry_stop {
            let _ = stop.send(());
        }
        let series = runtime.block_on(self.task).unwrap_or_default();
        let telemetry = self
            .telemetry
            .map(|task| runtime.block_on(task).unwrap_or_default());
        (series, telemetry)
    }
}

/// Scrapes every telemetry page each `every` until stopped (then once more).
async fn telemetry_until(
    targets: Vec<TelemetryTarget>,
    start: Instant,
    every: Duration,
    mut stopped: oneshot::Receiver<()>,
) -> TelemetryScrape {
    let mut sources: Vec<TelemetrySource> = targets
        .iter()
        .map(|t| TelemetrySource {
            url: t.url.clone(),
            scrapes: 0,
            failed_scrapes: 0,
            warning: None,
        })
        .collect();
    let mut series: BTreeMap<(u32, &'static str), (u32, Vec<MetricPoint>)> = BTreeMap::new();
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        // Biased: the first tick is ready at once, so even the shortest run has a sample
        // at its start and one at its end, and energy has a span to integrate over.
        let last = tokio::select! {
            biased;
            _ = ticker.tick() => false,
            _ = &mut stopped => true,
        };
        let mut round = tokio::task::JoinSet::new();
        for (i, target) in targets.iter().enumerate() {
            let target = target.clone();
            round.spawn(async move {
                let answer = ossperf_client::get(
                    &target.endpoint,
                    target.path,
                    SCRAPE_LIMIT,
                    MAX_TELEMETRY_PAGE,
                )
                .await;
                (i, answer)
            });
        }
        let t_ns = u64::try_from(start.elapsed().as_nanos()).unwrap_or(u64::MAX);
        while let Some(Ok((i, answer))) = round.join_next().await {
            let Some(source) = sources.get_mut(i) else {
                continue;
            };
            let read = match answer {
                Ok(a) if a.status == 200 => {
                    let found = read_telemetry(&String::from_utf8_lossy(&a.body));
                    if found.is_empty() {
                        Err(format!(
                            "the page has none of the known metrics ({}, ...); is it a Prometheus exporter's?",
                            TELEMETRY_KEPT[0].0
                        ))
                    } else {
                        Ok(found)
                    }
                }
                Ok(a) => Err(format!("answered HTTP {}", a.status)),
                Err(e) => Err(e.to_string()),
            };
            match read {
                Ok(found) => {
                    source.scrapes += 1;
                    for (name, value, sets) in found {
                        let entry = series.entry((i as u32, name)).or_default();
                        entry.0 = entry.0.max(sets);
                        entry.1.push(MetricPoint { t_ns, value });
                    }
                }
                Err(reason) => {
                    source.failed_scrapes += 1;
                    if source.warning.is_none() {
                        // At once, so a wrong port is known before a long run ends.
                        crate::output::warn(&format!(
                            "telemetry `{}`: {reason}; still trying once a second, the run goes on",
                            source.url
                        ));
                        source.warning = Some(reason);
                    }
                }
            }
        }
        if last {
            break;
        }
    }
    let series = series
        .into_iter()
        .map(|((source, name), (label_sets, points))| {
            let (unit, combine) = TELEMETRY_KEPT
                .iter()
                .find(|k| k.0 == name)
                .map_or(("", Combine::Sum), |k| (k.1, k.2));
            TelemetrySeries {
                name: name.to_string(),
                source,
                unit: unit.to_string(),
                combined: match combine {
                    Combine::Sum => "sum",
                    Combine::Mean => "mean",
                }
                .to_string(),
                label_sets,
                points,
            }
        })
        .collect();
    TelemetryScrape { sources, series }
}

/// Reads the known telemetry metrics of a page: name, combined value, label sets combined.
fn read_telemetry(page: &str) -> Vec<(&'static str, f64, u32)> {
    read_page(page, |name| {
        TELEMETRY_KEPT
            .iter()
            .find(|k| k.0 == name)
            .map(|k| (k.0, k.2))
    })
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
    read_page(page, |name| {
        let kept = KEPT.iter().find(|k| **k == name)?;
        Some((
            *kept,
            if is_ratio(kept) {
                Combine::Mean
            } else {
                Combine::Sum
            },
        ))
    })
    .into_iter()
    .map(|(name, value, _)| (name.to_string(), value))
    .collect()
}

/// The metrics `keep` names (with how their label sets combine) from a Prometheus text page:
/// each one's combined value and how many label sets it had.
fn read_page(
    page: &str,
    keep: impl Fn(&str) -> Option<(&'static str, Combine)>,
) -> Vec<(&'static str, f64, u32)> {
    let mut found: BTreeMap<&'static str, (f64, u32, Combine)> = BTreeMap::new();
    for line in page.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, rest) = match line.find(['{', ' ', '\t']) {
            Some(at) => line.split_at(at),
            None => continue,
        };
        let Some((kept, combine)) = keep(name) else {
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
        let entry = found.entry(kept).or_insert((0.0, 0, combine));
        entry.0 += value;
        entry.1 += 1;
    }
    found
        .into_iter()
        .map(|(name, (sum, n, combine))| {
            let value = match combine {
                Combine::Mean => sum / f64::from(n.max(1)),
                Combine::Sum => sum,
            };
            (name, value, n)
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
        assert!(scraper.finish(&runtime).0.is_empty());
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
    fn dcgm_power_and_memory_are_summed_over_gpus_and_utilisation_averaged() {
        // The DCGM exporter's page: one label set per GPU (NVIDIA/dcgm-exporter).
        let page = "\
# HELP DCGM_FI_DEV_POWER_USAGE Power draw (in W).
# TYPE DCGM_FI_DEV_POWER_USAGE gauge
DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-a\",modelName=\"NVIDIA H100 80GB HBM3\"} 650.5
DCGM_FI_DEV_POWER_USAGE{gpu=\"1\",UUID=\"GPU-b\",modelName=\"NVIDIA H100 80GB HBM3\"} 349.5
DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 100
DCGM_FI_DEV_GPU_UTIL{gpu=\"1\"} 50
DCGM_FI_DEV_FB_USED{gpu=\"0\"} 70000
DCGM_FI_DEV_FB_USED{gpu=\"1\"} 10000
DCGM_FI_DEV_XID_ERRORS{gpu=\"0\"} 0
node_load1 2.5
";
        assert_eq!(
            read_telemetry(page),
            vec![
                ("DCGM_FI_DEV_FB_USED", 80_000.0, 2),
                ("DCGM_FI_DEV_GPU_UTIL", 75.0, 2),
                ("DCGM_FI_DEV_POWER_USAGE", 1_000.0, 2),
                ("node_load1", 2.5, 1),
            ]
        );
        assert!(read_telemetry("<html>not a metrics page</html>").is_empty());
    }

    #[test]
    fn a_telemetry_url_without_a_path_means_metrics() {
        let url = |u: &str| TelemetryTarget::parse(u).unwrap().url;
        assert_eq!(url("127.0.0.1:9400"), "http://127.0.0.1:9400/metrics");
        assert_eq!(url("http://h:9400/"), "http://h:9400/metrics");
        assert_eq!(
            url("http://h:9100/node/metrics"),
            "http://h:9100/node/metrics"
        );
        assert!(TelemetryTarget::parse("ftp://h/metrics").is_err());
    }

    #[test]
    fn a_page_without_kept_metrics_gives_nothing() {
        assert!(parse("up 1\n# comment\nbroken{\n").is_empty());
    }
}
