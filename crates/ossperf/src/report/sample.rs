//! Synthetic, deterministic runs: for tests, for the render-time check, and for trying the
//! report without a server (`ossperf report --synthetic N DIR`).
//!
//! The numbers are shaped like a gpt-oss Server run (Poisson arrivals, three sub-datasets,
//! long outputs, a few failures), and the summary metrics are computed from the records with
//! LoadGen's rules, so a report of a sample run is internally consistent.

use ossperf_sim::Rng;

use super::answers::{AnswerRecord, BeyondLoadgen};
use super::model::{
    Check, Constraint, EarlyStopping, Endpoint, LoadgenInfo, Metric, MetricPoint, MetricSeries,
    RequestError, RequestRecord, RunResults, Setting, TokenSources, Unit, Verdict, SCHEMA_VERSION,
};
use super::stats::percentile;

/// The datasets of gpt-oss-120b with (share of rows, mean input tokens, mean output tokens).
const DATASETS: [(&str, u64, u64, u64); 3] = [
    ("aime25", 20, 400, 6_000),
    ("gpqa", 45, 600, 2_500),
    ("livecodebench", 35, 1_200, 4_000),
];

/// The draws of a synthetic run, from the workspace's one generator ([`Rng`], SplitMix64).
struct Draws(Rng);

impl Draws {
    fn next(&mut self) -> u64 {
        self.0.next_u64()
    }

    /// Uniform in (0, 1] (never 0, so its logarithm is finite).
    fn unit(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Exponential with the given mean.
    fn exp(&mut self, mean: f64) -> f64 {
        -mean * self.unit().ln()
    }
}

/// A Server run of `n` requests at `8 + seed % 3` queries/s; `seed` varies the numbers.
pub fn server_run(n: usize, seed: u64) -> RunResults {
    let mut rng = Draws(Rng::from_state(seed));
    let slowdown = 1.0 + (seed % 5) as f64 * 0.08;
    let gap_ns = 1e9 / (8 + seed % 3) as f64;
    let mut requests = Vec::with_capacity(n);
    let mut t = 0.0f64;
    for i in 0..n {
        t += rng.exp(gap_ns);
        let scheduled = t as u64;
        let late = if rng.unit() < 0.02 {
            rng.exp(20e6)
        } else {
            rng.exp(40e3)
        };
        let issued = scheduled + late as u64;
        let pick = rng.next() % 100;
        let (dataset, _, mean_in, mean_out) = DATASETS
            .iter()
            .scan(0, |acc, d| {
                *acc += d.1;
                Some((*acc, d))
            })
            .find(|(acc, _)| pick < *acc)
            .map_or(DATASETS[0], |(_, d)| *d);
        let input_tokens = (mean_in as f64 * (0.3 + 1.4 * rng.unit())) as u32;
        let ttft = (rng.exp(400e6) + 150e6) * slowdown;
        let tpot = (18e6 + 14e6 * rng.unit()) * slowdown;
        let failed = rng.next() % 200 == 0;
        let (output_tokens, first, complete, error) = if failed {
            let kind = if rng.next() % 3 == 0 {
                ("http_status", "server answered `503 Service Unavailable`")
            } else {
                ("timeout", "no byte for `60 s` after the request was sent")
            };
            let error = RequestError {
                kind: kind.0.into(),
                message: format!("request {i}: {}", kind.1),
            };
            (0, None, issued + 60_000_000_000, Some(error))
        } else {
            let out = (rng.exp(mean_out as f64) as u32).clamp(2, 32_768);
            let first = issued + ttft as u64;
            (
                out,
                Some(first),
                first + (tpot * f64::from(out - 1)) as u64,
                None,
            )
        };
        // gpt-oss reasons first: about four fifths of the output on the analysis channel, and
        // one answer in fifty cut by the limit before its final channel.
        let answer = first.map(|first| {
            let out = output_tokens;
            let reasoning = out * 4 / 5;
            let cut = i % 50 == 49;
            AnswerRecord {
                status: if cut { "no_answer" } else { "answered" }.into(),
                first_answer_ns: (!cut).then(|| first + (tpot * f64::from(reasoning + 5)) as u64),
                reasoning_tokens: if cut {
                    out.saturating_sub(3)
                } else {
                    reasoning
                },
                answer_tokens: if cut {
                    0
                } else {
                    out.saturating_sub(reasoning + 9)
                },
            }
        });
        requests.push(RequestRecord {
            qsl_idx: rng.next() % 6396,
            dataset: dataset.into(),
            scheduled_ns: scheduled,
            issued_ns: issued,
            first_token_ns: first,
            complete_ns: complete,
            input_tokens,
            output_tokens,
            endpoint: (i % 2) as u32,
            finish_reason: answer.as_ref().map(|a| {
                if a.status == "answered" {
                    "stop"
                } else {
                    "length"
                }
                .to_string()
            }),
            answer,
            error,
        });
    }
    let metrics = server_metrics(&requests);
    let valid = metrics.iter().all(|m| m.ok != Some(false));
    RunResults {
        schema_version: SCHEMA_VERSION,
        tool: "ossperf".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        started_at: "2026-11-26T04:00:00Z".into(),
        scenario: "Server".into(),
        mode: "PerformanceOnly".into(),
        model_key: "gpt-oss-120b".into(),
        loadgen: LoadgenInfo::native(),
        submittable: None,
        config: None,
        settings: settings(seed),
        verdict: verdict(valid),
        metrics,
        endpoints: vec![
            Endpoint {
                url: "http://127.0.0.1:30000".into(),
                ..Endpoint::default()
            },
            Endpoint {
                url: "http://127.0.0.1:30001".into(),
                ..Endpoint::default()
            },
        ],
        tokens: TokenSources::default(),
        server_metrics: scraped(&requests),
        warmup: None,
        telemetry: None,
        beyond_loadgen: Some(BeyondLoadgen::of(&requests)),
        requests,
    }
}

fn settings(seed: u64) -> Vec<Setting> {
    let target_qps = format!("{}", 8 + seed % 3);
    [
        ("scenario", "Server"),
        ("target_qps", target_qps.as_str()),
        ("server_ttft_latency", "3000000000"),
        ("server_tpot_latency", "80000000"),
        ("min_duration", "600000"),
        ("min_query_count", "100"),
        ("performance_sample_count", "6396"),
        ("sample_concatenate_permutation", "true"),
    ]
    .into_iter()
    .map(|(key, value)| Setting {
        key: key.into(),
        value: value.into(),
    })
    .collect()
}

fn verdict(valid: bool) -> Verdict {
    let check = |name: &str, ok: bool| Check {
        name: name.into(),
        ok,
    };
    Verdict {
        valid,
        checks: vec![
            check("Performance constraints", valid),
            check("Min duration", true),
            check("Min queries", true),
            check("Early stopping", valid),
        ],
        reasons: if valid {
            Vec::new()
        } else {
            vec!["TTFT constrain not met: Reduce target QPS to improve latency.".into()]
        },
        early_stopping: vec![
            EarlyStopping {
                on: "TTFT".into(),
                text: " * Run successful.".into(),
            },
            EarlyStopping {
                on: "TPOT".into(),
                text: " * Run successful.".into(),
            },
        ],
    }
}

/// The summary metrics LoadGen would compute from these records (Server, token mode).
fn server_metrics(requests: &[RequestRecord]) -> Vec<Metric> {
    let n = requests.len() as f64;
    let mut latency: Vec<u64> = requests.iter().map(RequestRecord::latency_ns).collect();
    let mut ttft: Vec<u64> = requests.iter().filter_map(RequestRecord::ttft_ns).collect();
    let mut tpot: Vec<u64> = requests.iter().filter_map(RequestRecord::tpot_ns).collect();
    latency.sort_unstable();
    ttft.sort_unstable();
    tpot.sort_unstable();
    let tokens: u64 = requests.iter().map(|r| u64::from(r.output_tokens)).sum();
    let done_s = requests.last().map_or(0.0, |r| r.complete_ns as f64 / 1e9);
    let sched_s = requests.last().map_or(0.0, |r| r.scheduled_ns as f64 / 1e9);
    let mut metrics = vec![
        Metric::new(
            "completed_samples_per_second",
            (n - 1.0) / done_s,
            Unit::SamplesPerS,
        ),
        Metric::new(
            "completed_tokens_per_second",
            tokens as f64 / done_s,
            Unit::TokensPerS,
        ),
        Metric::new(
            "scheduled_samples_per_second",
            (n - 1.0) / sched_s,
            Unit::SamplesPerS,
        ),
    ];
    let limits = [("latency", None), ("ttft", Some(3e9)), ("tpot", Some(80e6))];
    for ((name, limit), sorted) in limits.into_iter().zip([&latency, &ttft, &tpot]) {
        for (label, p) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            let value = percentile(sorted, p).unwrap_or(0) as f64;
            let metric = Metric::new(format!("{name}_{label}"), value, Unit::Ns);
            metrics.push(match limit {
                Some(limit) if label == "p99" => metric.with_constraint(Constraint::at_most(limit)),
                _ => metric,
            });
        }
        let max = sorted.last().copied().unwrap_or(0) as f64;
        metrics.push(Metric::new(format!("{name}_max"), max, Unit::Ns));
    }
    metrics.push(Metric::new("samples", n, Unit::Count));
    metrics.push(Metric::new("output_tokens", tokens as f64, Unit::Count));
    metrics
}

/// A scraped `num_running_reqs` per endpoint, every 5 s, from the records themselves.
fn scraped(requests: &[RequestRecord]) -> Vec<MetricSeries> {
    let end = requests.iter().map(|r| r.complete_ns).max().unwrap_or(0);
    (0..2u32)
        .map(|endpoint| {
            let mut events: Vec<(u64, i64)> = requests
                .iter()
                .filter(|r| r.endpoint == endpoint)
                .flat_map(|r| [(r.issued_ns, 1), (r.complete_ns, -1)])
                .collect();
            events.sort_unstable();
            let (mut next, mut running) = (0, 0i64);
            let points = (0..=end / 5_000_000_000)
                .map(|k| {
                    let t_ns = k * 5_000_000_000;
                    while next < events.len() && events[next].0 <= t_ns {
                        running += events[next].1;
                        next += 1;
                    }
                    MetricPoint {
                        t_ns,
                        value: running as f64,
                    }
                })
                .collect();
            MetricSeries {
                name: "sglang:num_running_reqs".into(),
                endpoint,
                points,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_run() {
        assert_eq!(server_run(50, 3), server_run(50, 3));
        assert_ne!(server_run(50, 3), server_run(50, 4));
    }

    #[test]
    fn a_sample_run_carries_every_part_of_the_model() {
        let run = server_run(2_000, 1);
        assert_eq!(run.requests.len(), 2_000);
        assert!(run.requests.iter().any(|r| r.error.is_some()));
        assert_eq!(run.metric("samples").map(|m| m.value), Some(2_000.0));
        assert_eq!(run.server_metrics.len(), 2);
        let datasets: std::collections::BTreeSet<_> =
            run.requests.iter().map(|r| r.dataset.as_str()).collect();
        assert_eq!(datasets.len(), 3);
    }
}
