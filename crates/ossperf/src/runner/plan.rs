//! Resolves `ossperf run`'s arguments into one plan before anything is sent: every flag is
//! checked, the conf files are read, the generation config is resolved, and the server
//! choice is made. A bad input stops here with one clear line (STYLE.md: args ≠ settings).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use ossperf_client::Endpoint;
use ossperf_loadgen::{LoadedSettings, Scenario, TestMode};

use super::generation::{GenerationFile, GenerationOverrides};
use crate::cli::conf_args::ScenarioArg;
use crate::cli::run::{BackendArg, LoadgenArg, RunArgs};

/// The simulated answer length of the demo's performance runs (see [`RunPlan::demo_answers`]).
pub(crate) const DEMO_OUTPUT_LEN: u32 = 256;

/// Where the requests go.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// The built-in simulator, started on a loopback port.
    Simulator(SimOptions),
    /// Real servers, all speaking one protocol.
    Servers {
        /// The protocol.
        backend: ossperf_client::Backend,
        /// The servers, balanced by least outstanding requests.
        endpoints: Vec<Endpoint>,
    },
}

/// How the built-in simulator behaves.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SimOptions {
    /// Its timing model.
    pub timing: ossperf_sim::Timing,
    /// A fixed answer length, or the performance set's mean.
    pub output_len: Option<u32>,
    /// Probability of a correct final answer.
    pub accuracy: f64,
    /// EAGLE3 speculative decoding, as the reference launches SGLang for Interactive.
    pub eagle3: bool,
}

/// The conf files as given, for a LoadGen that reads files itself (the official library).
#[derive(Debug, Clone)]
pub(crate) struct ConfFiles {
    /// `--mlperf-conf`.
    pub mlperf: Option<PathBuf>,
    /// `--user-conf`.
    pub user: Option<PathBuf>,
    /// The user.conf used when none is given (the reference one, or the demo one).
    pub default_user: &'static str,
    /// `--audit-config`.
    pub audit: Option<PathBuf>,
    /// The mode the command line asks for, before an audit.config changes it.
    pub mode: TestMode,
}

/// Everything a run needs, resolved and checked.
#[derive(Debug, Clone)]
pub(crate) struct RunPlan {
    /// As the user named it (decides the model key and the output directory).
    pub scenario: ScenarioArg,
    /// The LoadGen settings, with their provenance.
    pub loaded: LoadedSettings,
    /// The audit.config's file name, when one was applied.
    pub audit_name: Option<String>,
    /// `None` for the bundled sample.
    pub input_file: Option<PathBuf>,
    /// `--max-samples`.
    pub max_samples: Option<usize>,
    /// `<output-dir>/<scenario>/<performance|accuracy>/`.
    pub log_dir: PathBuf,
    /// Where the requests go.
    pub target: Target,
    /// Sampling parameters of every request.
    pub generation: ossperf_client::SamplingParams,
    /// Whether answers are streamed.
    pub stream: bool,
    /// Offline's in-flight limit.
    pub max_concurrency: usize,
    /// The per-request deadline.
    pub timeout: Duration,
    /// How long every endpoint may be down before the run gives up on them.
    pub abandon_after: Duration,
    /// Whether the demo user.conf stands in for a missing `--user-conf`.
    pub demo_conf: bool,
    /// Whether the demo's performance run on the simulator uses [`DEMO_OUTPUT_LEN`]-token
    /// answers.
    pub demo_answers: bool,
    /// Which LoadGen drives the test.
    pub loadgen: LoadgenArg,
    /// The conf files as given.
    pub conf_files: ConfFiles,
    /// `--fail-on-invalid`: an INVALID result exits 1.
    pub fail_on_invalid: bool,
    /// https trust, key and headers.
    pub connection: Connection,
    /// `--warmup`: requests sent and awaited before LoadGen starts.
    pub warmup: u32,
    /// `--salt-prompts`: every request's prompt begins with a unique salt.
    pub salt_prompts: bool,
    /// `--telemetry`: the Prometheus pages scraped during the run.
    pub telemetry: Vec<super::scrape::TelemetryTarget>,
}

/// How the servers are reached, resolved from [`ConnectionArgs`](crate::cli::connection::ConnectionArgs).
#[derive(Debug, Clone, Default)]
pub(crate) struct Connection {
    /// `--ca-cert`, `--insecure`.
    pub tls: ossperf_client::TlsOptions,
    /// `--api-key`, else `$OPENAI_API_KEY`.
    pub api_key: Option<String>,
    /// `--header`s, checked.
    pub headers: Vec<(String, String)>,
    /// `--wait-ready`.
    pub wait_ready: Option<Duration>,
}

impl Connection {
    /// Checks the arguments; `env_key` is `$OPENAI_API_KEY`.
    pub(crate) fn resolve(
        args: crate::cli::connection::ConnectionArgs,
        env_key: Option<String>,
    ) -> anyhow::Result<Connection> {
        let crate::cli::connection::ConnectionArgs {
            api_key,
            headers,
            ca_certs,
            insecure,
            wait_ready,
        } = args;
        for path in &ca_certs {
            if !path.is_file() {
                bail!("`--ca-cert {}`: no such file", path.display());
            }
        }
        let headers = headers
            .iter()
            .map(|h| ossperf_client::parse_header(h))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Connection {
            tls: ossperf_client::TlsOptions { ca_certs, insecure },
            api_key: api_key.or(env_key).filter(|k| !k.trim().is_empty()),
            headers,
            wait_ready: wait_ready.map(Duration::from_secs),
        })
    }

    /// Applies it to a client configuration.
    pub(crate) fn apply(&self, config: &mut ossperf_client::ClientConfig) {
        config.tls = self.tls.clone();
        config.api_key = self.api_key.clone();
        config.headers = self.headers.clone();
    }
}

impl RunPlan {
    /// Checks and resolves the arguments.
    pub(crate) fn resolve(args: RunArgs) -> anyhow::Result<RunPlan> {
        let RunArgs {
            conf,
            input_file,
            max_samples,
            loadgen,
            output_dir,
            log_dir,
            backend,
            server_url,
            endpoints_file,
            connection,
            generation_config,
            max_new_tokens,
            temperature,
            top_k,
            top_p,
            num_workers: _,
            max_concurrency,
            timeout,
            abandon_after,
            stream,
            no_stream,
            debug: _,
            fail_on_invalid,
            sim_profile,
            sim_output_len,
            sim_accuracy,
            warmup,
            salt_prompts,
            telemetry,
        } = args;

        if let Some(path) = &input_file {
            if !path.is_file() {
                bail!(
                    "the dataset `{}` does not exist or is not a file",
                    path.display()
                );
            }
        }
        let default_user = crate::settings::DefaultUserConf::choose(&conf, input_file.is_some());
        let demo_conf = default_user.demo;
        // The demo's performance runs get short simulated answers, so that its Server and
        // Interactive rates stay VALID on the calibrated H100 profile within a few minutes.
        let demo_answers = demo_conf && !conf.accuracy && sim_output_len.is_none();
        let sim = SimOptions {
            timing: crate::simulate::timing(sim_profile),
            output_len: sim_output_len.or(demo_answers.then_some(DEMO_OUTPUT_LEN)),
            accuracy: sim_accuracy,
            eagle3: conf.scenario == ScenarioArg::Interactive,
        };
        let target = resolve_target(backend, &server_url, endpoints_file.as_deref(), sim)?;
        let demo_answers = demo_answers && matches!(target, Target::Simulator(_));
        let loaded = default_user.load(&conf)?;
        let accuracy = loaded.settings.mode == TestMode::AccuracyOnly;
        if salt_prompts && (accuracy || conf.audit_config.is_some()) {
            // The salt is text the model reads before the conversation (docs/WARMUP.md): a
            // score or a compliance check would no longer be the reference's.
            bail!("`--salt-prompts` changes what the model reads, so it is for performance runs only: leave it out of accuracy and compliance runs");
        }
        let telemetry = telemetry
            .iter()
            .map(|url| {
                super::scrape::TelemetryTarget::parse(url)
                    .with_context(|| format!("invalid `--telemetry` `{url}`"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let file = match &generation_config {
            Some(path) => GenerationFile::read(path)?,
            None => GenerationFile::default(),
        };
        let overrides = GenerationOverrides {
            max_new_tokens,
            temperature,
            top_k,
            top_p,
        };
        let generation = super::generation::resolve(accuracy, file, overrides)
            .context("invalid generation parameters")?;
        let mode_dir = if accuracy { "accuracy" } else { "performance" };
        let stream = match (stream, no_stream) {
            (true, _) => true,
            (_, true) => false,
            _ => loaded.settings.scenario != Scenario::Offline,
        };
        let audit_name = conf.audit_config.as_ref().map(|p| {
            p.file_name().map_or_else(
                || p.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            )
        });
        if loadgen == LoadgenArg::Official && ossperf_loadgen_official::version().is_none() {
            bail!("{}", ossperf_loadgen_official::Error::NotBuilt);
        }
        let conf_files = ConfFiles {
            mlperf: conf.mlperf_conf.clone(),
            user: conf.user_conf.clone(),
            default_user: default_user.text(),
            audit: conf.audit_config.clone(),
            mode: conf.mode(),
        };
        Ok(RunPlan {
            scenario: conf.scenario,
            log_dir: log_dir.unwrap_or_else(|| {
                output_dir
                    .join(crate::settings::scenario_name(conf.scenario))
                    .join(mode_dir)
            }),
            loaded,
            audit_name,
            input_file,
            max_samples: max_samples.map(|n| usize::try_from(n).unwrap_or(usize::MAX)),
            target,
            generation,
            stream,
            max_concurrency: max_concurrency as usize,
            timeout: Duration::from_secs(timeout),
            abandon_after: Duration::from_secs(abandon_after),
            demo_conf,
            demo_answers,
            loadgen,
            conf_files,
            fail_on_invalid,
            connection: Connection::resolve(connection, std::env::var("OPENAI_API_KEY").ok())?,
            warmup,
            salt_prompts,
            telemetry,
        })
    }

    /// The conf-file model key.
    pub(crate) fn model(&self) -> &'static str {
        crate::settings::model(self.scenario)
    }
}

fn resolve_target(
    backend: Option<BackendArg>,
    urls: &[String],
    endpoints_file: Option<&std::path::Path>,
    sim: SimOptions,
) -> anyhow::Result<Target> {
    let from_file = match endpoints_file {
        Some(path) => ossperf_client::read_endpoints_file(path)
            .with_context(|| format!("invalid `--endpoints-file` `{}`", path.display()))?,
        None => Vec::new(),
    };
    let backend = match (backend, urls.is_empty() && from_file.is_empty()) {
        (Some(BackendArg::Sim), false) => {
            bail!("`--backend sim` starts the built-in simulator and takes no `--server-url` or `--endpoints-file`")
        }
        (Some(BackendArg::Sim), true) | (None, true) => return Ok(Target::Simulator(sim)),
        (Some(b), true) => {
            bail!(
            "`--backend {}` needs a `--server-url`; leave both out to use the built-in simulator",
            if b == BackendArg::Sglang { "sglang" } else { "openai" }
        )
        }
        (Some(BackendArg::Openai), false) => ossperf_client::Backend::Openai,
        (Some(BackendArg::Sglang) | None, false) => ossperf_client::Backend::Sglang,
    };
    let mut endpoints = urls
        .iter()
        .map(|url| Endpoint::parse(url).with_context(|| format!("invalid `--server-url` `{url}`")))
        .collect::<anyhow::Result<Vec<_>>>()?;
    endpoints.extend(from_file);
    Ok(Target::Servers { backend, endpoints })
}
