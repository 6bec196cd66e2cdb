//! `ossperf tune`: the highest `target_qps` whose Server (or Interactive) run stays VALID, and
//! the Offline `target_qps` that makes a submission run last its minimum duration.
//!
//! Everything runs through the runner's [`Session`]: the plan is resolved, the dataset loaded
//! and the servers reached once; each probe is an ordinary LoadGen performance run with its
//! own settings and directory, so every probe leaves MLPerf logs and a `results.json`. Probes
//! are sized from LoadGen's early-stopping arithmetic ([`sizing`]); the rates come from a pure
//! search ([`search`]); the answer is written as a user.conf ([`conf`]) and `tune.json`
//! ([`record`]). Bad input stops before any load.

pub mod conf;
pub mod record;
pub mod search;
pub mod sizing;
mod steps;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use ossperf_dataset::Dataset;
use ossperf_loadgen::TestSettings;

use crate::cli::conf_args::ScenarioArg;
use crate::cli::tune::TuneArgs;
use crate::runner::{load_dataset, RunPlan, Session};
use record::{Kind, Run};

/// Runs `ossperf tune` to the end and returns the exit code.
pub fn run(args: TuneArgs) -> anyhow::Result<ExitCode> {
    let mut tuner = Tuner::open(args)?;
    let code = match tuner.plan.scenario {
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
    plan: RunPlan,
    dataset: Dataset,
    session: Session,
    options: Options,
    dir: PathBuf,
    started: Instant,
    runs: Vec<Run>,
    /// Each run's result model with its label, for the overlay report.
    results: Vec<(String, crate::report::RunResults)>,
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
        let dir = run
            .output_dir
            .join("tune")
            .join(scenario_name(run.conf.scenario));
        let plan = RunPlan::resolve(run)?;
        let options = Options {
            precision,
            max_time,
            confirm: !no_confirm,
            start_qps,
            max_qps,
            probe_overlatency,
            user_conf_out: output.unwrap_or_else(|| dir.join("user.conf")),
            user_conf_path,
            user_conf_text,
        };
        let dataset = load_dataset(&plan)?;
        let start = steps::start_rate(&plan, &options)?;
        if let Some(start) = start {
            steps::check_budget(&plan, &options, dataset.len(), start)?;
        }
        std::fs::create_dir_all(&dir)
            .with_context(|| format!("cannot create the directory `{}`", dir.display()))?;
        let session = Session::open(&plan, &dataset)?;
        Ok(Tuner {
            plan,
            dataset,
            session,
            options: Options {
                start_qps: start,
                ..options
            },
            dir,
            started: Instant::now(),
            runs: Vec::new(),
            results: Vec::new(),
        })
    }

    /// Runs one performance test with `settings` in `<tune dir>/<name>` and records it.
    fn execute(
        &mut self,
        kind: Kind,
        name: &str,
        qps: Option<f64>,
        settings: TestSettings,
    ) -> anyhow::Result<(Run, Option<u8>)> {
        let mut plan = self.plan.clone();
        plan.loaded.settings = settings;
        plan.log_dir = self.dir.join(name);
        let begun = Instant::now();
        let outcome = self.session.execute(&plan, &self.dataset, false)?;
        let run = Run::from_report(
            self.runs.len() + 1,
            kind,
            qps,
            &outcome.report,
            begun.elapsed(),
            &plan.log_dir,
        );
        crate::output::info(&run.line());
        let label = match qps {
            Some(qps) => format!("{name} · {qps} qps"),
            None => name.to_string(),
        };
        self.results.push((label, outcome.results));
        self.runs.push(run.clone());
        Ok((run, outcome.interrupted))
    }

    /// Writes `report.html` over every run so far: latency against load, one colour per run.
    fn write_overlay(&self) -> anyhow::Result<Option<PathBuf>> {
        if self.results.is_empty() {
            return Ok(None);
        }
        let path = self.dir.join(crate::report::REPORT_FILE);
        let pairs: Vec<(&str, &crate::report::RunResults)> = self
            .results
            .iter()
            .map(|(label, results)| (label.as_str(), results))
            .collect();
        crate::report::write_report_to(&path, &pairs)?;
        Ok(Some(path))
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

/// Parses `--precision`: `2%`, `2` (percent) or `0.02`.
pub fn parse_precision(text: &str) -> Result<f64, String> {
    let (number, percent) = match text.trim().strip_suffix('%') {
        Some(n) => (n, true),
        None => (text.trim(), false),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number; expected a percentage like `2%`"))?;
    let fraction = if percent || value >= 1.0 {
        value / 100.0
    } else {
        value
    };
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(format!(
            "`{text}` is out of range; expected more than 0 % and less than 100 %"
        ));
    }
    Ok(fraction)
}

/// Parses `--max-time`: `90`, `90s`, `30m` or `2h`.
pub fn parse_max_time(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit; expected `s`, `m` or `h`"
            ))
        }
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; expected e.g. `90s`, `30m`, `2h`"))?;
    if !(value > 0.0 && value.is_finite()) {
        return Err(format!(
            "`{text}` is not positive; expected a duration above zero"
        ));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// Parses a positive rate (`--start-qps`, `--max-qps`).
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!(
            "`{text}` is not a positive number of queries per second"
        )),
    }
}

/// The scenario as the user names it: the tune directory and `tune.json`'s `scenario`.
fn scenario_name(scenario: ScenarioArg) -> &'static str {
    match scenario {
        ScenarioArg::Offline => "offline",
        ScenarioArg::Server => "server",
        ScenarioArg::Interactive => "interactive",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_reads_percentages_and_fractions() {
        assert_eq!(parse_precision("2%"), Ok(0.02));
        assert_eq!(parse_precision("5"), Ok(0.05));
        assert_eq!(parse_precision("0.1"), Ok(0.1));
        assert_eq!(
            parse_precision("100%"),
            Err("`100%` is out of range; expected more than 0 % and less than 100 %".into())
        );
    }

    #[test]
    fn max_time_reads_seconds_minutes_and_hours() {
        assert_eq!(parse_max_time("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_max_time("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_max_time("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(
            parse_max_time("3d"),
            Err("`3d` has an unknown unit; expected `s`, `m` or `h`".into())
        );
    }
}
