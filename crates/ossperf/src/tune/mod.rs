//! `ossperf tune`: the highest `target_qps` whose Server (or Interactive) run stays VALID, and
//! the Offline `target_qps` that makes a submission run last its minimum duration.
//!
//! Everything runs through the runner's [`Session`]: the plan is resolved, the dataset loaded
//! and the servers reached once; each probe is an ordinary LoadGen performance run with its
//! own settings and directory, so every probe leaves MLPerf logs and a `results.json`. Under
//! `--loadgen official`, which allows one test per process, each run is a child `ossperf run`
//! instead ([`child`]), given its settings as a user.conf and read back from its directory; the
//! search, the record and the output are the same. Probes are sized from LoadGen's early-stopping arithmetic ([`sizing`]); the rates come from a pure
//! search ([`search`]); the answer is written as a user.conf ([`conf`]) and `tune.json`
//! ([`record`]). Bad input stops before any load.

mod child;
pub(crate) mod conf;
pub(crate) mod probe;
pub(crate) mod record;
pub(crate) mod search;
pub(crate) mod sizing;
mod steps;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::ensure;

use crate::cli::conf_args::ScenarioArg;
use crate::cli::tune::TuneArgs;
use crate::runner::{load_dataset, RunPlan};
use record::Kind;

/// Runs `ossperf tune` to the end and returns the exit code.
pub(crate) fn run(args: TuneArgs) -> anyhow::Result<ExitCode> {
    let mut tuner = Tuner::open(args)?;
    let code = match tuner.probe.plan.scenario {
        ScenarioArg::Offline => tuner.offline()?,
        ScenarioArg::Server | ScenarioArg::Interactive => tuner.server()?,
    };
    Ok(code)
}

/// The search's fixed inputs.
#[derive(Debug, Clone)]
struct Options {
    precision: f64,
    max_time: Option<Duration>,
    confirm: bool,
    start_qps: Option<f64>,
    max_qps: Option<f64>,
    probe_overlatency: u32,
    user_conf_out: PathBuf,
    /// The user's `--user-conf`, if one was given.
    user_conf_path: Option<PathBuf>,
    /// The text of the user's `--user-conf`, if one was given.
    user_conf_text: Option<String>,
}

/// A search in progress: one session, the runs so far.
struct Tuner {
    probe: probe::Prober,
    options: Options,
    started: Instant,
}

impl Tuner {
    /// Checks every input, loads the dataset and reaches the servers. A bad flag, a conf that
    /// fixes `target_qps` (reported; it becomes the start rate), a `--max-time` too short for
    /// one probe at a known start rate, or an unreachable server stop here: no load is sent.
    fn open(args: TuneArgs) -> anyhow::Result<Tuner> {
        let TuneArgs {
            run,
            precision,
            max_time,
            no_confirm,
            output,
            start_qps,
            max_qps,
            probe_overlatency,
        } = args;
        ensure!(
            !run.conf.accuracy,
            "`ossperf tune` searches performance runs; drop `--accuracy`"
        );
        ensure!(
            run.conf.audit_config.is_none(),
            "`ossperf tune` takes no `--audit-config`; tune first, then run the compliance test"
        );
        if let (Some(start), Some(max)) = (start_qps, max_qps) {
            ensure!(
                start <= max,
                "`--start-qps {start}` is above `--max-qps {max}`; expected a start at or below the ceiling"
            );
        }
        let user_conf_path = run.conf.user_conf.clone();
        let user_conf_text = user_conf_path.as_deref().map(conf::read).transpose()?;
        // Each search's runs, tune.json and user.conf go to a directory of its own.
        let parent = run.output_dir.join("tune");
        let name = crate::settings::scenario_name(run.conf.scenario);
        let children =
            (run.loadgen == crate::cli::run::LoadgenArg::Official).then(|| Box::new(run.clone()));
        let plan = RunPlan::resolve(run)?;
        let options = Options {
            precision,
            max_time,
            confirm: !no_confirm,
            start_qps,
            max_qps,
            probe_overlatency,
            user_conf_out: output.clone().unwrap_or_default(),
            user_conf_path,
            user_conf_text,
        };
        let dataset = load_dataset(&plan)?;
        let start = steps::start_rate(&plan, &options)?;
        if let Some(start) = start {
            steps::check_budget(&plan, &options, dataset.len(), start)?;
        }
        // A search never overwrites an earlier one: `tune/<scenario>`, then `-2`, `-3`, ….
        let dir = crate::results_dir::claim(&parent, name)?;
        let user_conf_out = output.unwrap_or_else(|| dir.join("user.conf"));
        let probe = match children {
            // Each run a child of its own, given the user's conf (or ossperf's default one)
            // with the run's settings.
            Some(args) => {
                let base = options
                    .user_conf_text
                    .clone()
                    .unwrap_or_else(|| plan.conf_files.default_user.to_string());
                probe::Prober::children(plan, dataset, dir, args, base)
            }
            None => probe::Prober::open(plan, dataset, dir)?,
        };
        Ok(Tuner {
            probe,
            options: Options {
                start_qps: start,
                user_conf_out,
                ..options
            },
            started: Instant::now(),
        })
    }

    /// Whether a run expected to take `estimate` still fits in `--max-time`.
    fn fits(&self, estimate: Duration) -> bool {
        self.options
            .max_time
            .is_none_or(|max| self.started.elapsed() + estimate <= max)
    }

    /// The mean and tail latency of the latest Server run (an Offline measurement's latencies
    /// include the wait for a free slot, so they say nothing about a probe).
    fn latest_latencies(&self) -> (Option<Duration>, Duration) {
        let last = self
            .probe
            .runs
            .iter()
            .rev()
            .find(|r| r.kind != Kind::Measure && r.mean_latency.is_some());
        (
            last.and_then(|r| r.mean_latency),
            last.and_then(|r| r.tail_latency).unwrap_or_default(),
        )
    }
}
