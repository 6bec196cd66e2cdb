//! The phases of a search on an open [`Tuner`]: the Offline throughput measurement, the Server
//! probes, the confirmation run and the closing outputs.

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, Context};
use ossperf_loadgen::{Scenario, TestSettings};

use super::record::{self, Kind, Run, Summary};
use super::search::{ceil_rate, step_below, Search, Step, MAX_STEP_DOWNS};
use super::{conf, sizing, Options, Tuner};
use crate::runner::RunPlan;

/// How a search ended, before the confirmation.
struct Ending {
    found: Option<f64>,
    lowest_failed: Option<f64>,
    outcome: String,
}

/// The conf-file scenario name of the answer's key.
fn conf_scenario(plan: &RunPlan) -> &'static str {
    match plan.loaded.settings.scenario {
        Scenario::Offline => "Offline",
        _ => "Server",
    }
}

/// The start rate: `--start-qps`, else the `target_qps` the user's conf fixes (said aloud),
/// else none (a throughput measurement decides). Offline always measures.
pub(super) fn start_rate(plan: &RunPlan, options: &Options) -> anyhow::Result<Option<f64>> {
    let fixed = options
        .user_conf_text
        .as_deref()
        .and_then(|text| conf::fixed_rate(text, plan.model(), conf_scenario(plan)));
    let offline = plan.loaded.settings.scenario == Scenario::Offline;
    if let Some(fixed) = &fixed {
        let path = options
            .user_conf_path
            .as_ref()
            .map_or_else(String::new, |p| p.display().to_string());
        let then = if offline {
            "tune measures the throughput and writes its own value"
        } else if options.start_qps.is_some() {
            "tune searches anyway, from `--start-qps`"
        } else {
            "tune searches anyway and starts from it"
        };
        crate::output::info(&format!(
            "`{path}` line {} already sets `{} = {}`; {then} (the written user.conf replaces it)",
            fixed.line, fixed.key, fixed.qps
        ));
    }
    if offline {
        return Ok(None);
    }
    Ok(options.start_qps.or(fixed.map(|f| f.qps)))
}

/// The settings of a probe at `qps`: the submission's, with the early-stopping size and a
/// steady-state duration floor.
fn probe_settings(
    plan: &RunPlan,
    options: &Options,
    qps: f64,
    mean_latency: Option<Duration>,
) -> TestSettings {
    let mut s = plan.loaded.settings.clone();
    let queries = sizing::probe_queries(
        s.server_target_latency_percentile,
        options.probe_overlatency,
    );
    s.server_target_qps = qps;
    s.min_query_count = queries;
    s.performance_sample_count_override = queries;
    s.min_duration_ms = sizing::steady_state_ms(mean_latency, plan.loaded.settings.min_duration_ms);
    s
}

/// Refuses a `--max-time` shorter than the first probe's arrivals at `start`.
pub(super) fn check_budget(
    plan: &RunPlan,
    options: &Options,
    rows: usize,
    start: f64,
) -> anyhow::Result<()> {
    let Some(max) = options.max_time else {
        return Ok(());
    };
    let settings = probe_settings(plan, options, start, None);
    let first = sizing::schedule(&settings, rows)?;
    if first.last_arrival > max {
        bail!(
            "`--max-time {}s` is too short for even one probe: a probe at `{start}` queries/s \
             issues `{}` queries over `{:.0}s` (early stopping needs `{}` at p99); give a longer \
             `--max-time` or a higher `--start-qps`; no load was sent",
            max.as_secs_f64(),
            first.samples,
            first.last_arrival.as_secs_f64(),
            settings.min_query_count
        );
    }
    Ok(())
}

impl Tuner {
    /// Offline: the sustained samples per second, then the `target_qps` that fills the
    /// submission's minimum duration.
    pub(super) fn offline(&mut self) -> anyhow::Result<ExitCode> {
        let (measured, interrupted) = self.measure()?;
        if let Some(code) = interrupted {
            return self.interrupted(code);
        }
        let Some(rate) = measured
            .samples_per_second
            .filter(|r| r.is_finite() && *r > 0.0)
        else {
            bail!(
                "the throughput measurement completed no samples; see `{}`",
                measured.dir.display()
            );
        };
        // Rounded up: LoadGen issues 1.1 × min_duration × target_qps samples, so the run lasts
        // its min_duration while the real rate stays below 1.1 × target_qps; more only
        // lengthens it.
        let qps = ceil_rate(rate);
        let mut settings = self.probe.plan.loaded.settings.clone();
        settings.offline_expected_qps = qps;
        let submission = sizing::schedule(&settings, self.probe.dataset.len())?;
        let expected = Duration::from_secs_f64(submission.samples as f64 / rate);
        crate::output::info(&format!(
            "measured {rate:.3} samples/s; at `target_qps = {qps}` a submission run issues {} \
             samples and should last about {:.0} s (min_duration {:.0} s)",
            submission.samples,
            expected.as_secs_f64(),
            settings.min_duration_ms as f64 / 1e3
        ));
        let ending = Ending {
            found: Some(qps),
            lowest_failed: None,
            outcome: format!("measured {rate:.3} samples/s"),
        };
        self.confirm_and_finish(ending, settings, expected)
    }

    /// Server and Interactive: bracket, bisect, confirm.
    pub(super) fn server(&mut self) -> anyhow::Result<ExitCode> {
        let start = match self.options.start_qps {
            Some(start) => start,
            None => match self.measured_start()? {
                ControlFlow::Continue(rate) => rate,
                ControlFlow::Break(code) => return self.interrupted(code),
            },
        };
        let ending = match self.search(start)? {
            ControlFlow::Continue(ending) => ending,
            ControlFlow::Break(code) => return self.interrupted(code),
        };
        let mut settings = self.probe.plan.loaded.settings.clone();
        let expected = match ending.found {
            Some(found) => {
                settings.server_target_qps = found;
                let (_, tail) = self.latest_latencies();
                sizing::schedule(&settings, self.probe.dataset.len())?.last_arrival + tail
            }
            None => Duration::ZERO,
        };
        self.confirm_and_finish(ending, settings, expected)
    }

    /// The start rate from a throughput measurement; then the `--max-time` check for a probe.
    fn measured_start(&mut self) -> anyhow::Result<ControlFlow<u8, f64>> {
        let (measured, interrupted) = self.measure()?;
        if let Some(code) = interrupted {
            return Ok(ControlFlow::Break(code));
        }
        let rate = measured
            .samples_per_second
            .filter(|r| r.is_finite() && *r > 0.0)
            .with_context(|| {
                format!(
                    "the throughput measurement completed no samples; see `{}`",
                    measured.dir.display()
                )
            })?;
        crate::output::info(&format!(
            "starting from the measured Offline throughput, {rate:.3} samples/s"
        ));
        check_budget(
            &self.probe.plan,
            &self.options,
            self.probe.dataset.len(),
            rate,
        )?;
        Ok(ControlFlow::Continue(rate))
    }

    /// The probes: bracket and bisect from `start` until the search ends or time runs out.
    fn search(&mut self, start: f64) -> anyhow::Result<ControlFlow<u8, Ending>> {
        let mut search = Search::new(start, self.options.precision, self.options.max_qps);
        loop {
            let qps = match search.next() {
                Step::Probe(qps) => qps,
                step => {
                    return Ok(ControlFlow::Continue(ending_of(
                        step,
                        self.options.precision,
                    )))
                }
            };
            let (mean, tail) = self.latest_latencies();
            let settings = probe_settings(&self.probe.plan, &self.options, qps, mean);
            let schedule = sizing::schedule(&settings, self.probe.dataset.len())?;
            let estimate = schedule.last_arrival + tail;
            if !self.fits(estimate) {
                return Ok(ControlFlow::Continue(Ending {
                    found: search.best(),
                    lowest_failed: search.lowest_failure(),
                    outcome: format!(
                        "--max-time ran out before the probe at {qps} (about {:.0} s)",
                        estimate.as_secs_f64()
                    ),
                }));
            }
            let index = self.probe.runs.len() + 1;
            crate::output::info(&format!(
                "probe {index:>2}: {qps} qps, {} queries over {:.0} s, then the drain",
                schedule.samples,
                schedule.last_arrival.as_secs_f64()
            ));
            let name = format!("probe-{index:02}");
            let (run, interrupted) = self
                .probe
                .execute(Kind::Probe, &name, Some(qps), settings)?;
            if let Some(code) = interrupted {
                return Ok(ControlFlow::Break(code));
            }
            search.record(qps, run.valid);
        }
    }

    /// A short Offline run: the sustained samples per second at `--max-concurrency`.
    fn measure(&mut self) -> anyhow::Result<(Run, Option<u8>)> {
        let mut s = self.probe.plan.loaded.settings.clone();
        let samples = (4 * self.probe.plan.max_concurrency).max(64) as u64;
        s.scenario = Scenario::Offline;
        s.offline_expected_qps = 1.0;
        s.min_duration_ms = 0;
        s.min_query_count = samples;
        s.performance_sample_count_override = samples;
        crate::output::info(&format!(
            "measuring the sustained throughput: {samples} samples at up to {} in flight",
            self.probe.plan.max_concurrency
        ));
        self.probe.execute(Kind::Measure, "measure", None, s)
    }

    /// The confirmation run (unless skipped or out of time), then the outputs. In Server and
    /// Interactive a failed confirmation steps down by the precision and confirms again, so
    /// the answer is a rate whose full-length run passed next to one whose full-length run
    /// failed: a probe is short and can miss a queue that builds over minutes.
    fn confirm_and_finish(
        &mut self,
        mut ending: Ending,
        mut settings: TestSettings,
        mut expected: Duration,
    ) -> anyhow::Result<ExitCode> {
        let step_down = settings.scenario != Scenario::Offline;
        let mut confirmed = None;
        let mut note = String::new();
        let mut failed_full: Option<f64> = None;
        let mut attempt = 0;
        while let Some(found) = ending.found.filter(|_| self.options.confirm) {
            if !self.fits(expected) {
                note = format!(
                    "no confirmation run at {found}: it needs about {:.0} s and --max-time has less left",
                    expected.as_secs_f64()
                );
                if let Some(failed) = failed_full {
                    // The answer stands one step below a full-length failure, unconfirmed
                    // (`confirmed` stays false: no full-length run passed).
                    ending.lowest_failed = Some(failed);
                    ending.outcome = format!(
                        "{failed} failed at full length; {found} is one step below, unconfirmed"
                    );
                }
                break;
            }
            attempt += 1;
            let name = match attempt {
                1 => "confirm".to_string(),
                n => format!("confirm-{n}"),
            };
            let (run, interrupted) =
                self.probe
                    .execute(Kind::Confirm, &name, Some(found), settings.clone())?;
            if let Some(code) = interrupted {
                return self.interrupted(code);
            }
            if run.valid {
                confirmed = Some(true);
                if let Some(failed) = failed_full {
                    ending.lowest_failed = Some(failed);
                    ending.outcome = format!(
                        "{found} passed at full length, {failed} failed at full length, within {} %",
                        self.options.precision * 100.0
                    );
                }
                note.clear();
                break;
            }
            confirmed = Some(false);
            note = format!("the confirmation run at {found} was INVALID: {}", run.why);
            if !step_down || attempt > MAX_STEP_DOWNS {
                break;
            }
            failed_full = Some(found);
            let lower = step_below(found, self.options.precision);
            crate::output::warn(&format!(
                "{note}; confirming {lower} (one precision step lower) at full length"
            ));
            ending.found = Some(lower);
            settings.server_target_qps = lower;
            let (_, tail) = self.latest_latencies();
            expected = sizing::schedule(&settings, self.probe.dataset.len())?.last_arrival + tail;
        }
        self.finish(ending, confirmed, &note)
    }

    /// Writes the user.conf and `tune.json`, prints the table and the closing note.
    fn finish(
        &mut self,
        ending: Ending,
        confirmed: Option<bool>,
        note: &str,
    ) -> anyhow::Result<ExitCode> {
        let key = conf::target_key(self.probe.plan.model(), conf_scenario(&self.probe.plan));
        let elapsed = self.started.elapsed();
        let probes = self
            .probe
            .runs
            .iter()
            .filter(|r| r.kind == Kind::Probe)
            .count();
        let user_conf = match ending.found {
            Some(found) => {
                let mut comment = format!(
                    "found by ossperf tune: {}; {probes} probes, {:.0} s",
                    ending.outcome,
                    elapsed.as_secs_f64()
                );
                if !note.is_empty() {
                    comment.push('\n');
                    comment.push_str(note);
                }
                let text = conf::tuned_conf(
                    self.options.user_conf_text.as_deref(),
                    &key,
                    found,
                    &comment,
                );
                conf::write(&self.options.user_conf_out, &text)?;
                Some(self.options.user_conf_out.clone())
            }
            None => None,
        };
        let summary = self.summary(&ending, &key, confirmed, user_conf.clone());
        let json = record::write_summary(&self.probe.dir, &summary)?;
        let overlay = self.probe.write_overlay()?;
        for row in record::table(&self.probe.runs) {
            crate::output::data(&row);
        }
        if let Some(path) = &overlay {
            crate::output::info(&format!("every run overlaid in `{}`", path.display()));
        }
        if !note.is_empty() {
            crate::output::warn(note);
        }
        let Some(found) = ending.found else {
            crate::output::error(&format!(
                "no target_qps found: {}; {probes} probes in {:.0} s; see `{}`",
                ending.outcome,
                elapsed.as_secs_f64(),
                json.display()
            ));
            return Ok(ExitCode::from(1));
        };
        crate::output::info(&format!(
            "found `{key} = {found}` ({}) after {probes} probes in {:.0} s; precision {} %",
            ending.outcome,
            elapsed.as_secs_f64(),
            self.options.precision * 100.0
        ));
        if let Some(path) = &user_conf {
            crate::output::info(&format!(
                "wrote `{}` and `{}`",
                path.display(),
                json.display()
            ));
        }
        Ok(if confirmed == Some(false) {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        })
    }

    fn summary(
        &self,
        ending: &Ending,
        key: &str,
        confirmed: Option<bool>,
        user_conf: Option<std::path::PathBuf>,
    ) -> Summary {
        Summary {
            schema_version: record::SCHEMA_VERSION,
            scenario: crate::settings::scenario_name(self.probe.plan.scenario).to_string(),
            key: key.to_string(),
            precision: self.options.precision,
            probe_queries: sizing::probe_queries(
                self.probe
                    .plan
                    .loaded
                    .settings
                    .server_target_latency_percentile,
                self.options.probe_overlatency,
            ),
            found_qps: ending.found,
            lowest_failed_qps: ending.lowest_failed,
            outcome: ending.outcome.clone(),
            confirmed,
            total_seconds: self.started.elapsed().as_secs_f64(),
            user_conf,
            runs: self.probe.runs.clone(),
        }
    }

    /// Ctrl-C or SIGTERM stopped a run: keep what was found, exit with the signal's code.
    fn interrupted(&mut self, code: u8) -> anyhow::Result<ExitCode> {
        let ending = Ending {
            found: None,
            lowest_failed: None,
            outcome: "interrupted".to_string(),
        };
        let key = conf::target_key(self.probe.plan.model(), conf_scenario(&self.probe.plan));
        let summary = self.summary(&ending, &key, None, None);
        record::write_summary(&self.probe.dir, &summary)?;
        self.probe.write_overlay()?;
        Ok(ExitCode::from(code))
    }
}

fn ending_of(step: Step, precision: f64) -> Ending {
    match step {
        Step::Found { lower, upper } => Ending {
            found: Some(lower),
            lowest_failed: Some(upper),
            outcome: format!(
                "{lower} passed, {upper} failed, within {} %",
                precision * 100.0
            ),
        },
        Step::AtCeiling(lower) => Ending {
            found: Some(lower),
            lowest_failed: None,
            outcome: format!("every probe up to --max-qps passed; the peak is at least {lower}"),
        },
        Step::NonePassed(upper) => Ending {
            found: None,
            lowest_failed: Some(upper),
            outcome: format!("no probe passed, down to {upper} queries/s"),
        },
        Step::Probe(qps) => Ending {
            found: None,
            lowest_failed: None,
            outcome: format!("the search stopped before probing {qps}"),
        },
    }
}
