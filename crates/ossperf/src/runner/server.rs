//! Connecting to the servers: start the built-in simulator when no `--server-url` is given,
//! build the client, check every endpoint's health (waiting up to `--wait-ready` for one
//! still loading) and learn each one with a start-up generation before any load is sent.

use anyhow::Context;
use ossperf_client::{Backend, Client, ClientConfig, Endpoint, ServerProfile};
use ossperf_dataset::Dataset;
use ossperf_sim::{OutputLen, SimConfig, SimHandle, Simulator};

use super::plan::{RunPlan, SimOptions, Target};

/// The servers of a run: the client, and the simulator when ossperf started one.
pub(super) struct Servers {
    /// Sends the requests.
    pub client: Client,
    /// The built-in simulator, stopped when this is dropped.
    pub simulator: Option<SimHandle>,
    /// What the start-up generation found about each endpoint in rotation.
    pub profiles: Vec<ServerProfile>,
    /// Each configured endpoint's version, by index, where the server told it.
    pub versions: Vec<Option<String>>,
}

impl Servers {
    /// Each configured endpoint as `results.json` records it: URL, kind and version as
    /// learned at start (none for an endpoint left out of the run).
    pub(super) fn records(&self) -> Vec<crate::report::ServerRecord> {
        let endpoints = &self.client.config().endpoints;
        endpoints
            .iter()
            .enumerate()
            .map(|(i, e)| crate::report::ServerRecord {
                url: e.url().to_string(),
                kind: self
                    .profiles
                    .iter()
                    .find(|p| p.endpoint == i)
                    .map(|p| p.kind.as_str().to_string()),
                version: self.versions.get(i).cloned().flatten(),
            })
            .collect()
    }
}

/// Starts or reaches the servers and checks their health.
pub(super) fn connect(
    plan: &RunPlan,
    dataset: &Dataset,
    runtime: &tokio::runtime::Runtime,
) -> anyhow::Result<Servers> {
    let (backend, endpoints, simulator) = match &plan.target {
        Target::Simulator(options) => {
            let sim = start_simulator(dataset, options)?;
            let endpoint = Endpoint::parse(&sim.url())?;
            (Backend::Sglang, vec![endpoint], Some(sim))
        }
        Target::Servers { backend, endpoints } => (*backend, endpoints.clone(), None),
    };
    let mut config = ClientConfig::new(backend, endpoints);
    config.concurrency = plan.max_concurrency;
    config.timeout = plan.timeout;
    plan.connection.apply(&mut config);
    let client = Client::new(config)?;
    let checked = match plan.connection.wait_ready {
        Some(within) => {
            crate::output::info(&format!(
                "waiting up to {}s for the server to be ready",
                within.as_secs()
            ));
            runtime.block_on(client.wait_until_healthy(within))
        }
        None => runtime.block_on(client.health_check()),
    };
    let hint = if plan.connection.wait_ready.is_none() {
        " (give a loading server time with `--wait-ready SECONDS`)"
    } else {
        ""
    };
    let warnings = checked.map_err(|e| {
        let wait = if e.is_transient() { hint } else { "" };
        anyhow::anyhow!("{e}").context(format!("the server is not ready; no load was sent{wait}"))
    })?;
    for warning in warnings {
        crate::output::warn(&format!(
            "endpoint {} is left out of the run: {}",
            warning.endpoint, warning.error
        ));
    }
    let profiles = if simulator.is_some() {
        // The built-in simulator is SGLang's `/generate`, with ids and counts.
        vec![ServerProfile {
            endpoint: 0,
            kind: ossperf_client::ServerKind::Sglang,
            ids_field: ossperf_client::IdsField::None,
            ids: true,
            usage: true,
            text: false,
        }]
    } else {
        runtime
            .block_on(client.negotiate(plan.generation, plan.stream))
            .context("the start-up generation failed; no load was sent")?
    };
    let urls = client.config().endpoints.clone();
    for profile in profiles.iter().filter(|_| simulator.is_none()) {
        crate::output::info(&format!(
            "{}: {}",
            urls[profile.endpoint],
            profile.describe()
        ));
    }
    let versions = runtime.block_on(versions(&client, &profiles));
    runtime.block_on(async { client.keep_warm() });
    Ok(Servers {
        client,
        simulator,
        profiles,
        versions,
    })
}

/// Each endpoint's version, asked where each server kind tells it (SGLang's
/// `/get_server_info`, vLLM's and TensorRT-LLM's `/version`; docs/SERVERS.md). Best effort: a
/// server that does not say is recorded without one.
async fn versions(client: &Client, profiles: &[ServerProfile]) -> Vec<Option<String>> {
    let mut versions = vec![None; client.config().endpoints.len()];
    for profile in profiles {
        let path = match profile.kind {
            ossperf_client::ServerKind::Sglang => "/get_server_info",
            _ => "/version",
        };
        let Ok((200, body)) = client
            .fetch(profile.endpoint, path, std::time::Duration::from_secs(5))
            .await
        else {
            continue;
        };
        let version = serde_json::from_slice::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["version"].as_str().map(str::to_string));
        if let Some(slot) = versions.get_mut(profile.endpoint) {
            *slot = version;
        }
    }
    versions
}

fn start_simulator(dataset: &Dataset, options: &SimOptions) -> anyhow::Result<SimHandle> {
    let solutions = ossperf_sim::bundled_lcb_solutions();
    let reference = crate::simulate::reference_from_dataset(dataset, solutions);
    let defaults = SimConfig::default();
    let config = SimConfig {
        reference: Some(std::sync::Arc::new(reference)),
        timing: options.timing,
        output_len: options
            .output_len
            .map_or(defaults.output_len, OutputLen::Fixed),
        accuracy: options.accuracy,
        speculative: options
            .eagle3
            .then_some(ossperf_sim::Speculative::REFERENCE_EAGLE3),
        ..defaults
    };
    let sim = Simulator::start(config).context("cannot start the built-in simulator")?;
    crate::output::info(&format!("started the built-in simulator at {}", sim.url()));
    Ok(sim)
}

/// The simulator's own view of the run (its send times), printed next to ours.
pub(super) fn simulator_view(sim: &SimHandle) -> Option<String> {
    let truth = sim.truth();
    let mut ttft: Vec<_> = truth.iter().filter_map(|t| t.ttft()).collect();
    let mut tpot: Vec<_> = truth.iter().filter_map(|t| t.tpot()).collect();
    if ttft.is_empty() {
        return None;
    }
    ttft.sort_unstable();
    tpot.sort_unstable();
    let pick = |v: &[std::time::Duration], p: f64| {
        ossperf_loadgen::stats::percentile(v, p).map_or(0.0, |d| d.as_secs_f64() * 1e3)
    };
    let tokens: u64 = truth.iter().map(|t| u64::from(t.completion_tokens)).sum();
    if tpot.iter().all(|d| d.is_zero()) {
        // Whole answers: the first token left with the last one.
        return Some(format!(
            "the simulator's own view: {} requests, {tokens} tokens; latency p50 {:.3} ms p99 {:.3} ms",
            truth.len(),
            pick(&ttft, 0.5),
            pick(&ttft, 0.99),
        ));
    }
    Some(format!(
        "the simulator's own view: {} requests, {tokens} tokens; TTFT p50 {:.3} ms p99 {:.3} ms; \
         TPOT p50 {:.3} ms p99 {:.3} ms",
        truth.len(),
        pick(&ttft, 0.5),
        pick(&ttft, 0.99),
        pick(&tpot, 0.5),
        pick(&tpot, 0.99),
    ))
}
