//! Turns what a run produced (LoadGen's report, the SUT's per-request records, the dataset)
//! into the report's result model, so `results.json` and `report.html` carry exactly the
//! figures of the summary.

use ossperf_dataset::Dataset;
use ossperf_loadgen::stats::LatencyStats;
use ossperf_loadgen::{SampleRecord, Scenario, TestReport};

use crate::report::{
    AnswerRecord, BeyondLoadgen, Check, Constraint, EarlyStopping, Endpoint, Metric, RequestError,
    RequestRecord, RunResults, Setting, TokenSources, Unit, Verdict, SCHEMA_VERSION,
};
use crate::sut::{AnswerStatus, RequestRecord as SutRecord};

/// Everything [`build`] reads.
pub(super) struct Inputs<'a> {
    /// LoadGen's report.
    pub report: &'a TestReport,
    /// The SUT's records, one per finished request.
    pub requests: Vec<SutRecord>,
    /// The dataset, for sub-dataset names.
    pub dataset: &'a Dataset,
    /// The client's counts for each server, by endpoint index.
    pub endpoints: Vec<ossperf_client::EndpointStats>,
    /// The conf-file model key.
    pub model_key: &'a str,
    /// What the start-up generation found about each endpoint in rotation.
    pub profiles: &'a [ossperf_client::ServerProfile],
    /// When the run started, RFC 3339.
    pub started_at: String,
    /// Which LoadGen drove it.
    pub loadgen: crate::report::LoadgenInfo,
}

/// Builds the result model of a finished run.
pub(super) fn build(inputs: Inputs<'_>) -> RunResults {
    let report = inputs.report;
    let (requests, tokens) = request_records(&report.samples, inputs.requests, inputs.dataset);
    RunResults {
        schema_version: SCHEMA_VERSION,
        tool: "ossperf".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        started_at: inputs.started_at,
        scenario: report.scenario.as_str().into(),
        mode: report.mode.as_str().into(),
        model_key: inputs.model_key.into(),
        loadgen: inputs.loadgen,
        // Set by the runner, which knows the plan.
        submittable: None,
        config: None,
        settings: report
            .settings
            .effective_values()
            .into_iter()
            .map(|(key, value)| Setting {
                key: key.into(),
                value: value.to_string(),
            })
            .collect(),
        verdict: verdict(report),
        metrics: metrics(report),
        endpoints: inputs
            .endpoints
            .into_iter()
            .enumerate()
            .map(|(i, e)| Endpoint {
                url: e.url,
                healthy: e.healthy,
                down: e.down,
                sent: e.sent,
                completed: e.completed,
                failed: e.failed,
                retried_away: e.retried_away,
                connect_failures: e.connect_failures,
                output_tokens: e.output_tokens,
                server: inputs
                    .profiles
                    .iter()
                    .find(|p| p.endpoint == i)
                    .map(ossperf_client::ServerProfile::describe),
            })
            .collect(),
        tokens,
        beyond_loadgen: Some(BeyondLoadgen::of(&requests)),
        requests,
        server_metrics: Vec::new(),
        warmup: None,
        telemetry: None,
    }
}

/// The records of `samples` (LoadGen's, or a closed loop's in the same form) joined with the
/// SUT's records of them by response id: times and token counts from `samples`, the answer's
/// channels, finish reason, endpoint and error kind from the SUT. Also counts where the
/// completed requests' tokens came from.
pub(super) fn request_records(
    samples: &[SampleRecord],
    sut_records: Vec<SutRecord>,
    dataset: &Dataset,
) -> (Vec<RequestRecord>, TokenSources) {
    // Sorted in place and searched: a million records need no second index beside them.
    let mut by_id = sut_records;
    by_id.sort_unstable_by_key(SutRecord::response_id);
    let mut tokens = TokenSources::default();
    for r in by_id.iter().filter(|r| r.error().is_none()) {
        tokens.text_encoded += u64::from(r.text_encoded());
        tokens.counted_by_encoding += u64::from(r.counted_by_encoding());
        tokens.inconsistent_ids += u64::from(!r.ids_consistent());
    }
    let requests = samples
        .iter()
        .map(|s| {
            let sut = by_id
                .binary_search_by_key(&s.response_id, SutRecord::response_id)
                .ok()
                .map(|i| &by_id[i]);
            let completed = s.error.is_none();
            RequestRecord {
                finish_reason: sut
                    .and_then(SutRecord::finish)
                    .filter(|_| completed)
                    .map(|f| f.as_str().to_string()),
                answer: sut
                    .filter(|_| completed)
                    .and_then(|r| answer_record(r, s.complete_ns)),
                qsl_idx: s.qsl_idx as u64,
                dataset: dataset
                    .sub_dataset(s.qsl_idx)
                    .unwrap_or_default()
                    .to_string(),
                scheduled_ns: s.scheduled_ns,
                issued_ns: s.issued_ns,
                first_token_ns: s.first_token_ns,
                complete_ns: s.complete_ns,
                input_tokens: dataset.input_len(s.qsl_idx) as u32,
                output_tokens: u32::try_from(s.n_tokens.max(0)).unwrap_or(u32::MAX),
                endpoint: sut.and_then(SutRecord::endpoint).unwrap_or(0) as u32,
                error: s.error.as_ref().map(|message| RequestError {
                    kind: sut
                        .and_then(SutRecord::error)
                        .map_or_else(|| "failed".to_string(), |kind| kind.to_string()),
                    message: message.clone(),
                }),
            }
        })
        .collect();
    (requests, tokens)
}

/// The answer's channels of a completed request. The first answer token's time is placed on
/// LoadGen's clock from the completion's: the SUT measured how long before the completion's
/// read it came, and LoadGen stamped that same read as `complete_ns`.
fn answer_record(sut: &SutRecord, complete_ns: u64) -> Option<AnswerRecord> {
    let facts = sut.answer();
    if facts.status == AnswerStatus::Unknown {
        return None;
    }
    let before_end = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    Some(AnswerRecord {
        status: facts.status.as_str().to_string(),
        first_answer_ns: facts
            .before_end
            .filter(|_| facts.status == AnswerStatus::Answered)
            .map(|d| complete_ns.saturating_sub(before_end(d))),
        reasoning_tokens: facts.reasoning_tokens,
        answer_tokens: facts.answer_tokens,
    })
}

/// The client's counts of one test: `after` less `before`, since a session's client serves
/// several tests (`tune`); the states (healthy, down) are `after`'s.
pub(super) fn counts_since(
    before: &[ossperf_client::EndpointStats],
    after: Vec<ossperf_client::EndpointStats>,
) -> Vec<ossperf_client::EndpointStats> {
    after
        .into_iter()
        .enumerate()
        .map(|(i, mut e)| {
            if let Some(b) = before.get(i) {
                e.sent = e.sent.saturating_sub(b.sent);
                e.completed = e.completed.saturating_sub(b.completed);
                e.failed = e.failed.saturating_sub(b.failed);
                e.retried_away = e.retried_away.saturating_sub(b.retried_away);
                e.output_tokens = e.output_tokens.saturating_sub(b.output_tokens);
                e.connect_failures = e.connect_failures.saturating_sub(b.connect_failures);
            }
            e
        })
        .collect()
}

fn verdict(report: &TestReport) -> Verdict {
    let mut checks = Vec::new();
    let mut early_stopping = Vec::new();
    if let Some(perf) = &report.performance {
        if let Some(ok) = perf.perf_constraints_met {
            checks.push(Check {
                name: "Performance constraints".into(),
                ok,
            });
        }
        checks.push(Check {
            name: "Min duration".into(),
            ok: perf.min_duration_met,
        });
        checks.push(Check {
            name: "Min queries".into(),
            ok: perf.min_queries_met,
        });
        checks.push(Check {
            name: "Early stopping".into(),
            ok: perf.early_stopping_met,
        });
        for (on, es) in [
            ("TTFT", &perf.ttft_early_stopping),
            ("TPOT", &perf.tpot_early_stopping),
            ("Latency", &perf.early_stopping),
        ] {
            if let Some(es) = es.as_ref().filter(|es| !es.text.is_empty()) {
                early_stopping.push(EarlyStopping {
                    on: on.into(),
                    text: es.text.clone(),
                });
            }
        }
    }
    checks.push(Check {
        name: "No failed requests".into(),
        ok: report.failures.count == 0,
    });
    Verdict {
        valid: report.valid,
        checks,
        reasons: report.invalid_reasons.clone(),
        early_stopping,
    }
}

fn metrics(report: &TestReport) -> Vec<Metric> {
    let mut out = Vec::new();
    let Some(perf) = &report.performance else {
        return out;
    };
    let m = &perf.metrics;
    let throughput = [
        (
            "samples_per_second",
            m.samples_per_second,
            Unit::SamplesPerS,
        ),
        ("tokens_per_second", m.tokens_per_second, Unit::TokensPerS),
        (
            "completed_samples_per_second",
            m.completed_samples_per_sec,
            Unit::SamplesPerS,
        ),
        (
            "scheduled_samples_per_second",
            m.scheduled_samples_per_sec,
            Unit::SamplesPerS,
        ),
        (
            "completed_tokens_per_second",
            m.completed_tokens_per_second,
            Unit::TokensPerS,
        ),
    ];
    for (name, value, unit) in throughput {
        if let Some(value) = value {
            out.push(Metric::new(name, value, unit));
        }
    }
    let s = &report.settings.requested;
    let token_limits = report.scenario == Scenario::Server && s.use_token_latencies;
    let ttft_limit = token_limits.then_some(s.server_ttft_latency as f64);
    let tpot_limit = token_limits.then_some(s.server_tpot_latency as f64);
    for (name, stats, limit) in [
        ("latency", &perf.latency, None),
        ("ttft", &perf.ttft, ttft_limit),
        ("tpot", &perf.tpot, tpot_limit),
    ] {
        if let Some(stats) = stats {
            push_latency(&mut out, name, stats, limit);
        }
    }
    out.push(Metric::new(
        "samples",
        perf.sample_count as f64,
        Unit::Count,
    ));
    if let Some(tokens) = perf.token_count {
        out.push(Metric::new("output_tokens", tokens as f64, Unit::Count));
    }
    out.push(Metric::new(
        "failed_samples",
        report.failures.count as f64,
        Unit::Count,
    ));
    out
}

fn push_latency(out: &mut Vec<Metric>, name: &str, stats: &LatencyStats, limit: Option<f64>) {
    for (p, value) in stats.percentiles {
        let label = format!("{name}_p{}", percentile_label(p));
        let metric = Metric::new(label, value as f64, Unit::Ns);
        // The limit applies at the scenario's target percentile (p99).
        out.push(match limit {
            Some(limit) if (p - stats.target.0).abs() < 1e-9 => {
                metric.with_constraint(Constraint::at_most(limit))
            }
            _ => metric,
        });
    }
    out.push(Metric::new(
        format!("{name}_min"),
        stats.min as f64,
        Unit::Ns,
    ));
    out.push(Metric::new(
        format!("{name}_mean"),
        stats.mean as f64,
        Unit::Ns,
    ));
    out.push(Metric::new(
        format!("{name}_max"),
        stats.max as f64,
        Unit::Ns,
    ));
}

fn percentile_label(p: f64) -> String {
    let pct = p * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{}", pct.round() as u64)
    } else {
        format!("{pct}").replace('.', "_")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_labels_read_like_the_summary() {
        assert_eq!(percentile_label(0.5), "50");
        assert_eq!(percentile_label(0.99), "99");
        assert_eq!(percentile_label(0.999), "99_9");
    }
}
