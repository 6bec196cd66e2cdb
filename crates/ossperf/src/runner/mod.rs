//! `ossperf run` as a list of stages: resolve the plan → load the dataset → connect to the
//! servers → run LoadGen with the gpt-oss SUT → write results and the report.

mod closed_loop;
pub(crate) mod generation;
mod official;
mod plan;
mod progress;
mod qsl;
mod record;
mod results;
mod salt;
mod scrape;
mod server;
mod signals;
mod warmup;

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ossperf_dataset::{Dataset, OpenOptions};
use ossperf_loadgen::{run_test, LogSettings, RunControl, Scenario, TestReport};

use crate::cli::run::{LoadgenArg, RunArgs};
use crate::sut::{GptOssSut, SutConfig};
pub(crate) use closed_loop::ClosedLoop;
pub(crate) use official::read_back;
pub(crate) use plan::{RunPlan, DEMO_OUTPUT_LEN};

/// Runs `ossperf run` to the end and returns the exit code.
pub(crate) fn run(args: RunArgs) -> anyhow::Result<ExitCode> {
    let plan = RunPlan::resolve(args)?;
    check_outputs(&plan)?;
    let dataset = load_dataset(&plan)?;
    let session = Session::open(&plan, &dataset)?;
    announce(&plan, &dataset);
    let outcome = session.execute(&plan, &dataset, true)?;
    crate::output::data(outcome.report.summary.trim_end());
    for line in outcome.results.tokens.lines() {
        crate::output::data(&format!("Note: {line}"));
    }
    for line in extra_lines(&outcome.results) {
        crate::output::data(&format!("Note: {line}"));
    }
    if let Some(beyond) = &outcome.results.beyond_loadgen {
        for line in beyond.lines() {
            crate::output::data(&line);
        }
    }
    crate::output::info(&format!("LoadGen: {}", outcome.results.loadgen.describe()));
    if record::simulated(&plan) {
        crate::output::info(record::SIMULATED_LINE);
    }
    if let Some(verdict) = &outcome.results.submittable {
        for line in crate::submittable::lines(verdict) {
            crate::output::info(&line);
        }
    }
    print_endpoints(&outcome.results.endpoints);
    if let Some(view) = session.simulator_view() {
        crate::output::info(&view);
    }
    print_outputs(&outcome.files);
    Ok(exit_code(
        &outcome.report,
        outcome.interrupted,
        plan.fail_on_invalid,
    ))
}

/// The SUT's name in LoadGen's logs.
const SUT_NAME: &str = "ossperf gpt-oss SUT";

/// What one executed test produced.
pub(crate) struct Outcome {
    /// LoadGen's report.
    pub report: TestReport,
    /// The result model, as written to `results.json`.
    pub results: crate::report::RunResults,
    /// Every file written: the MLPerf logs, `results.json`, `report.html`.
    pub files: Vec<std::path::PathBuf>,
    /// The exit code of the signal that stopped the run, if one did.
    pub interrupted: Option<u8>,
}

/// The servers and the runtime of a run; several tests can run in one session (`tune`).
pub(crate) struct Session {
    runtime: tokio::runtime::Runtime,
    servers: server::Servers,
    /// `--salt-prompts`: one run of salt numbers for every test of the session.
    salts: Option<salt::Salts>,
}

impl Session {
    /// Starts the runtime, then starts or reaches the servers and checks their health.
    pub(crate) fn open(plan: &RunPlan, dataset: &Dataset) -> anyhow::Result<Session> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        let servers = server::connect(plan, dataset, &runtime)?;
        let salts = plan.salt_prompts.then(salt::Salts::new);
        Ok(Session {
            runtime,
            servers,
            salts,
        })
    }

    /// Runs one LoadGen test with `plan`'s settings and writes its logs, `results.json` and
    /// `report.html` into `plan.log_dir`. `progress` shows the live line.
    pub(crate) fn execute(
        &self,
        plan: &RunPlan,
        dataset: &Dataset,
        progress: bool,
    ) -> anyhow::Result<Outcome> {
        check_outputs(plan)?;
        std::fs::create_dir_all(&plan.log_dir).with_context(|| {
            format!(
                "cannot create the output directory `{}`",
                plan.log_dir.display()
            )
        })?;
        let preflight = record::Preflight::new(plan, dataset)?;
        if progress {
            for line in preflight.lines(plan) {
                crate::output::info(&line);
            }
        }
        let (qsl, prompts, first_salt) = self.prompts(plan, dataset);
        let sut = GptOssSut::new(
            self.servers.client.clone(),
            self.runtime.handle().clone(),
            prompts.clone(),
            SutConfig {
                name: SUT_NAME.to_string(),
                params: plan.generation,
                stream: plan.stream,
                max_concurrency: (plan.loaded.settings.scenario == Scenario::Offline)
                    .then_some(plan.max_concurrency),
                encode_text: plan.loaded.settings.mode == ossperf_loadgen::TestMode::AccuracyOnly
                    || plan.audit_name.is_some(),
            },
        );
        let mut control = RunControl::new();
        if let Some(name) = &plan.audit_name {
            control = control.with_audit_config(name.clone());
        }
        let interrupt = signals::install(
            self.runtime.handle(),
            control.clone(),
            sut.clone(),
            plan.loadgen == LoadgenArg::Official,
        )?;
        let warmup = self.warm_up(plan, dataset.len(), prompts.as_ref());
        let started_at = ossperf_loadgen::logs::test_datetime(std::time::SystemTime::now());
        let live =
            progress.then(|| progress::Progress::start(sut.clone(), limits(plan), plan.stream));
        let counts_before = self.servers.client.endpoint_stats();
        // Its own client (same servers, TLS, key and headers), so its connections stay out of
        // the benchmark's pool.
        let metrics_client = ossperf_client::Client::new(self.servers.client.config().clone())?;
        let paths = (0..metrics_client.config().endpoints.len())
            .map(|i| {
                let kind = self.servers.profiles.iter().find(|p| p.endpoint == i);
                scrape::metrics_path(kind.map(|p| p.kind))
            })
            .collect();
        let scrape_start = std::time::Instant::now();
        let scraper = scrape::Scraper::start(
            self.runtime.handle(),
            metrics_client,
            paths,
            scrape_start,
            Duration::from_secs(1),
        )
        .with_telemetry(
            self.runtime.handle(),
            plan.telemetry.clone(),
            scrape_start,
            Duration::from_secs(1),
        );
        let watch = {
            let control = control.clone();
            let grace = plan.abandon_after;
            crate::sut::watch_endpoints(
                self.runtime.handle(),
                sut.clone(),
                plan.abandon_after,
                move |reason| {
                    crate::output::warn(&format!(
                        "{reason}: the remaining queries are answered as failed and the run ends INVALID"
                    ));
                    // Our LoadGen can also stop its schedule; under `--loadgen official` the
                    // SUT alone answers at once whatever that LoadGen goes on issuing.
                    control.abort_because(format!(
                        "Every endpoint had been down for {} s (--abandon-after).",
                        grace.as_secs_f64()
                    ));
                },
            )
        };
        let report = match plan.loadgen {
            LoadgenArg::Native => run_test(
                &sut,
                &qsl,
                &plan.loaded.settings,
                &log_settings(plan),
                &control,
            )
            .map_err(anyhow::Error::from),
            LoadgenArg::Official => official::run(plan, &sut, &qsl),
        };
        drop(watch);
        if let Some(live) = live {
            live.finish();
        }
        let (server_metrics, telemetry) = scraper.finish(&self.runtime);
        let report = report.context("the run could not complete")?;
        let mut results = results::build(results::Inputs {
            report: &report,
            requests: sut.records(),
            dataset,
            endpoints: results::counts_since(&counts_before, self.servers.client.endpoint_stats()),
            model_key: plan.model(),
            profiles: &self.servers.profiles,
            started_at,
            loadgen: match plan.loadgen {
                LoadgenArg::Native => crate::report::LoadgenInfo::native(),
                LoadgenArg::Official => crate::report::LoadgenInfo::official(
                    ossperf_loadgen_official::version().unwrap_or("unknown"),
                ),
            },
        });
        results.server_metrics = server_metrics;
        results.warmup = warmup;
        results.telemetry = telemetry.map(|t| telemetry_record(t, &results.requests));
        results.submittable = Some(preflight.after(plan, &report));
        results.config = Some(record::config(
            plan,
            dataset,
            self.servers.records(),
            preflight.estimate.clone(),
            first_salt,
        )?);
        let json = crate::report::write_results(&plan.log_dir, &results)?;
        let html = crate::report::write_report(&plan.log_dir, &results)?;
        let logs = &report.logs;
        let files = vec![
            logs.summary.clone(),
            logs.detail.clone(),
            logs.accuracy.clone(),
            json,
            html,
        ];
        Ok(Outcome {
            interrupted: interrupt.exit_code(),
            report,
            results,
            files,
        })
    }

    /// The QSL, the SUT's prompts and the first salt: with `--salt-prompts` each request gets
    /// a new salted prompt (so no body can be encoded ahead), else the prompts are shared and
    /// their bodies encoded as LoadGen loads them.
    fn prompts(
        &self,
        plan: &RunPlan,
        dataset: &Dataset,
    ) -> (
        qsl::DatasetQsl,
        Arc<dyn crate::sut::PromptSource>,
        Option<u64>,
    ) {
        let qsl = qsl::DatasetQsl::new(dataset);
        if !plan.salt_prompts {
            let qsl = qsl.encoding_for(self.servers.client.clone(), plan.generation, plan.stream);
            let prompts = qsl.prompts();
            return (qsl, prompts, None);
        }
        let salts = self.salts.clone().unwrap_or_else(salt::Salts::new);
        let first = salts.peek();
        let salted = salt::SaltedPrompts::new(qsl.prompt_list(), salts);
        (qsl, Arc::new(salted), Some(first))
    }

    /// Sends `--warmup`'s requests and waits for them, before LoadGen starts.
    fn warm_up(
        &self,
        plan: &RunPlan,
        rows: usize,
        prompts: &dyn crate::sut::PromptSource,
    ) -> Option<crate::report::Warmup> {
        (plan.warmup > 0).then(|| {
            let done = warmup::run(
                &self.runtime,
                &self.servers.client,
                &warmup::Plan {
                    requests: plan.warmup,
                    rows,
                    prompts,
                    params: plan.generation,
                    stream: plan.stream,
                    concurrency: plan.max_concurrency,
                },
            );
            crate::output::info(&warmup::line(&done, rows));
            done
        })
    }

    /// The built-in simulator's own view of everything it served, when ossperf started one.
    pub(crate) fn simulator_view(&self) -> Option<String> {
        self.servers
            .simulator
            .as_ref()
            .and_then(server::simulator_view)
    }
}

/// The telemetry's record, with the energy per output token of the timed run's completed
/// requests; each page that could not be read is a warning here.
fn telemetry_record(
    scraped: scrape::TelemetryScrape,
    requests: &[crate::report::RequestRecord],
) -> crate::report::Telemetry {
    for source in &scraped.sources {
        if let Some(reason) = &source.warning {
            crate::output::warn(&format!(
                "telemetry `{}`: {reason} ({} of {} scrapes failed; the run goes on without them)",
                source.url,
                source.failed_scrapes,
                source.scrapes + source.failed_scrapes
            ));
        }
    }
    let output_tokens = requests
        .iter()
        .filter(|r| r.error.is_none())
        .map(|r| u64::from(r.output_tokens))
        .sum();
    crate::report::Telemetry {
        energy: crate::report::Energy::from_series(&scraped.series, output_tokens),
        sources: scraped.sources,
        series: scraped.series,
    }
}

/// Finds an output that cannot be written now, before a server is started or a query sent,
/// not after the whole run.
pub(crate) fn check_outputs(plan: &RunPlan) -> anyhow::Result<()> {
    let partial = format!("{}.partial", crate::report::RESULTS_FILE);
    crate::results_dir::check_writable(
        &plan.log_dir,
        &[
            crate::report::RESULTS_FILE,
            &partial,
            crate::report::REPORT_FILE,
        ],
    )
}

/// Reads the dataset the plan names (or the bundled sample), keeping `--max-samples` rows.
pub(crate) fn load_dataset(plan: &RunPlan) -> anyhow::Result<Dataset> {
    let dataset = match &plan.input_file {
        Some(path) => {
            let options = OpenOptions {
                max_samples: plan.max_samples,
                ..OpenOptions::default()
            };
            ossperf_dataset::open_with(path, &options)?
        }
        None => {
            let sample = ossperf_dataset::bundled_sample()?;
            match plan.max_samples {
                Some(n) => sample.max_samples(n),
                None => sample,
            }
        }
    };
    anyhow::ensure!(!dataset.is_empty(), "the dataset has no rows");
    Ok(dataset)
}

fn log_settings(plan: &RunPlan) -> LogSettings {
    let mut log = LogSettings::default();
    log.log_output.outdir = plan.log_dir.clone();
    log.enable_trace = false;
    log
}

fn limits(plan: &RunPlan) -> Option<progress::Limits> {
    let s = &plan.loaded.settings;
    (s.scenario == Scenario::Server && s.use_token_latencies).then(|| progress::Limits {
        ttft: Duration::from_nanos(s.server_ttft_latency),
        tpot: Duration::from_nanos(s.server_tpot_latency),
    })
}

fn announce(plan: &RunPlan, dataset: &Dataset) {
    let s = &plan.loaded.settings;
    let source = plan.input_file.as_ref().map_or_else(
        || "the bundled sample".to_string(),
        |p| format!("`{}`", p.display()),
    );
    crate::output::info(&format!(
        "{} {} {} over {} rows of {source}; logs in `{}`",
        plan.model(),
        s.scenario.as_str(),
        s.mode.as_str(),
        dataset.len(),
        plan.log_dir.display()
    ));
    for line in &plan.loaded.ignored_lines {
        crate::output::warn(line);
    }
    if plan.demo_answers {
        crate::output::info(&format!(
            "using ossperf's short demo user.conf for the bundled sample, with {}-token simulated answers (give --user-conf for your own settings)",
            plan::DEMO_OUTPUT_LEN
        ));
    } else if plan.demo_conf {
        crate::output::info(
            "using ossperf's short demo user.conf for the bundled sample (give --user-conf for your own settings)",
        );
    }
}

/// The summary's lines for the warm-up, the salt and the telemetry's energy.
fn extra_lines(results: &crate::report::RunResults) -> Vec<String> {
    let mut lines = Vec::new();
    if let Some(w) = &results.warmup {
        lines.push(format!(
            "{} warm-up requests ({} completed, {} failed) in {:.3} s before the timed run, not in LoadGen's figures",
            w.requests,
            w.completed,
            w.failed,
            w.duration_ns as f64 / 1e9
        ));
    }
    if let Some(first) = results.config.as_ref().and_then(|c| c.first_salt) {
        lines.push(format!(
            "prompts salted (--salt-prompts, from salt {first}): each began with a unique 4-token salt, so no prefix cache served an earlier request's prompt"
        ));
    }
    if let Some(energy) = results.telemetry.as_ref().and_then(|t| t.energy.as_ref()) {
        lines.push(energy.line());
    }
    lines
}

/// One line per endpoint after the summary when there are several, or when one had trouble.
fn print_endpoints(endpoints: &[crate::report::Endpoint]) {
    let trouble = endpoints
        .iter()
        .any(|e| !e.healthy || e.down || e.failed > 0 || e.retried_away > 0);
    if endpoints.len() < 2 && !trouble {
        return;
    }
    crate::output::data("\nPer endpoint:");
    for line in endpoint_lines(endpoints) {
        crate::output::data(&line);
    }
}

/// `  [i] url: sent, completed, failed, retried elsewhere, tokens; what happened to it`.
fn endpoint_lines(endpoints: &[crate::report::Endpoint]) -> Vec<String> {
    endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let state = if !e.healthy {
                "left out: failed the start-up health check".to_string()
            } else if e.down {
                format!(
                    "DOWN at the end: {} connection(s) could not be made; its requests went to the others",
                    e.connect_failures
                )
            } else if e.connect_failures > 0 {
                format!("up, after {} failed connection(s)", e.connect_failures)
            } else {
                "up".to_string()
            };
            format!(
                "  [{i}] {}: sent {}, completed {}, failed {}, retried elsewhere {}, {} output tokens; {state}",
                e.url, e.sent, e.completed, e.failed, e.retried_away, e.output_tokens
            )
        })
        .collect()
}

fn print_outputs(files: &[std::path::PathBuf]) {
    crate::output::info("\nwrote:");
    for path in files {
        crate::output::info(&format!("  {}", path.display()));
    }
}

/// 0 when every request succeeded; 1 when some failed (the result is INVALID), or, with
/// `--fail-on-invalid`, when the result is INVALID for any reason; 128 + the signal after
/// Ctrl-C or SIGTERM.
fn exit_code(report: &TestReport, signal: Option<u8>, fail_on_invalid: bool) -> ExitCode {
    if let Some(code) = signal {
        return ExitCode::from(code);
    }
    if report.failures.count > 0 || (fail_on_invalid && !report.valid) {
        return ExitCode::from(1);
    }
    ExitCode::SUCCESS
}
