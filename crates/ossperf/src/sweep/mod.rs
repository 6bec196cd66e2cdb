//! `ossperf sweep`: a series of points over rates (each a LoadGen Server or Interactive run)
//! or over concurrencies (a closed loop of N streams: not an MLPerf scenario), listed or grown
//! geometrically until the stop rule ([`stop`]) sees saturation. Each point runs through
//! `tune`'s probe runner ([`Prober`]), so it leaves its own directory with MLPerf logs,
//! `results.json` and a report; the sweep adds its table, its `results.json` and its report
//! with the frontier (`report::sweep`), rewritten as each point finishes. See docs/SWEEP.md.

mod point;
mod stop;

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, ensure};
use ossperf_loadgen::{Scenario, TestSettings};

use crate::cli::conf_args::ScenarioArg;
use crate::cli::sweep::{Levels, SweepArgs};
use crate::report::sweep::{SweepResults, NOT_MLPERF, SWEEP_SCHEMA_VERSION};
use crate::runner::{load_dataset, RunPlan};
use crate::tune::probe::Prober;
use crate::tune::record::Kind;
use point::{Limits, Load, Point};

/// Runs `ossperf sweep` to the end and returns the exit code.
pub(crate) fn run(args: SweepArgs) -> anyhow::Result<ExitCode> {
    let SweepArgs {
        run,
        rates,
        concurrency,
        point_duration,
        gpus,
        start,
        growth,
        max_points,
    } = args;
    ensure!(
        !run.conf.accuracy,
        "`ossperf sweep` measures performance; drop `--accuracy`"
    );
    ensure!(
        run.loadgen == crate::cli::run::LoadgenArg::Native,
        "`ossperf sweep` runs its points in one process and the official LoadGen runs one test \
         per process; sweep with ossperf's LoadGen (docs/OFFICIAL_LOADGEN.md)"
    );
    ensure!(
        run.conf.audit_config.is_none(),
        "`ossperf sweep` takes no `--audit-config`"
    );
    ensure!(
        run.conf.scenario != ScenarioArg::Offline,
        "`ossperf sweep` measures loads against the Server or Interactive latency limits; add \
         `--scenario server` or `--scenario interactive` (a concurrency sweep uses that \
         scenario's limits for goodput)"
    );
    let (rate_axis, levels) = match (rates, concurrency) {
        (Some(levels), None) => (true, levels),
        (None, Some(levels)) => (false, levels),
        _ => bail!("give one of `--rates` and `--concurrency`"),
    };
    ensure!(
        rate_axis || start.fract() == 0.0,
        "`--start {start}` is not a whole number of streams; a concurrency sweep starts from one"
    );
    let axis = if rate_axis { "rate" } else { "concurrency" };
    let parent = run.output_dir.join("sweep");
    let name = format!(
        "{}-{axis}",
        crate::settings::scenario_name(run.conf.scenario)
    );
    let plan = RunPlan::resolve(run)?;
    let dataset = load_dataset(&plan)?;
    // A sweep never overwrites an earlier one: `sweep/server-rate`, then `-2`, `-3`, ….
    let dir = crate::results_dir::claim(&parent, &name)?;
    let prober = Prober::open(plan, dataset, dir)?;
    let s = &prober.plan.loaded.settings;
    let duration = point_duration.unwrap_or_else(|| Duration::from_millis(s.min_duration_ms));
    let limits = Limits {
        ttft_ns: s.server_ttft_latency,
        tpot_ns: s.server_tpot_latency,
    };
    let scenario = match prober.plan.scenario {
        ScenarioArg::Interactive => "Interactive",
        _ => "Server",
    };
    let mut sweep = Sweep {
        prober,
        results: SweepResults {
            schema_version: SWEEP_SCHEMA_VERSION,
            kind: "sweep".into(),
            tool: "ossperf".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            axis: axis.into(),
            scenario: scenario.into(),
            auto: levels == Levels::Auto,
            point_duration_s: duration.as_secs_f64(),
            gpus,
            limits,
            stop_rule: stop_rule(),
            stop_reason: String::new(),
            simulated: false,
            points: Vec::new(),
        },
        duration,
        rate_axis,
    };
    sweep.go(&levels, start, growth, max_points as usize)
}

/// The stop rule in words, as `results.json` and the report state it.
fn stop_rule() -> String {
    format!(
        "an automatic sweep stops when {} points in a row raise the best output tokens/s so \
         far by less than {} %, when a point's TTFT or TPOT p99 is over {}× its limit, or \
         after --max-points points; a listed sweep runs every load",
        stop::FLAT_POINTS,
        stop::MIN_GAIN * 100.0,
        stop::FAR_OVER
    )
}

/// A sweep in progress.
struct Sweep {
    prober: Prober,
    results: SweepResults,
    duration: Duration,
    rate_axis: bool,
}

impl Sweep {
    /// Runs the points until the list ends or the stop rule fires; writes the outputs after
    /// every point.
    fn go(
        &mut self,
        levels: &Levels,
        start: f64,
        growth: f64,
        max_points: usize,
    ) -> anyhow::Result<ExitCode> {
        crate::output::data(&point::header());
        let mut load = match levels {
            Levels::Auto => start,
            Levels::List(list) => list.first().copied().unwrap_or(start),
        };
        loop {
            if let Some(code) = self.point(load)? {
                self.results.stop_reason = format!("interrupted (exit code {code})");
                self.write()?;
                crate::output::warn(&format!("stopped: {}", self.results.stop_reason));
                return Ok(ExitCode::from(code));
            }
            match self.next(levels, load, growth, max_points) {
                ControlFlow::Continue(next) => {
                    load = next;
                    self.results.stop_reason = format!(
                        "not stopped: running, {} points so far",
                        self.results.points.len()
                    );
                    self.write()?;
                }
                ControlFlow::Break(reason) => {
                    self.results.stop_reason = reason;
                    self.write()?;
                    break;
                }
            }
        }
        crate::output::info(&format!("stopped: {}", self.results.stop_reason));
        crate::output::info(&format!(
            "wrote `{}` and `{}`",
            self.prober.dir.join(crate::report::RESULTS_FILE).display(),
            self.prober.dir.join(crate::report::REPORT_FILE).display()
        ));
        Ok(ExitCode::SUCCESS)
    }

    /// The next load, or why the sweep ends: the list's next entry, or the stop rule's verdict
    /// and then the grown load.
    fn next(
        &self,
        levels: &Levels,
        load: f64,
        growth: f64,
        max_points: usize,
    ) -> ControlFlow<String, f64> {
        let done = self.results.points.len();
        match levels {
            Levels::List(list) => match list.get(done) {
                Some(&next) => ControlFlow::Continue(next),
                None => ControlFlow::Break(format!("every listed load measured ({done} points)")),
            },
            Levels::Auto => {
                match stop::reason(&self.results.points, self.results.limits, max_points) {
                    Some(reason) => ControlFlow::Break(reason),
                    None => ControlFlow::Continue(self.grow(load, growth)),
                }
            }
        }
    }

    /// The next automatic load: `growth` times this one (a whole number of streams, at
    /// least one more).
    fn grow(&self, load: f64, growth: f64) -> f64 {
        if self.rate_axis {
            let next = load * growth;
            // Four significant digits, as tune writes its rates.
            let scale = 10f64.powi(3 - next.log10().floor() as i32);
            (next * scale).round() / scale
        } else {
            (load * growth).round().max(load + 1.0)
        }
    }

    /// Runs one point at `load` and records it; returns the exit code of a signal that
    /// stopped it.
    fn point(&mut self, load: f64) -> anyhow::Result<Option<u8>> {
        let index = self.results.points.len() + 1;
        let name = format!("point-{index:02}");
        let (load, plan) = if self.rate_axis {
            let settings = self.rate_settings(load);
            let schedule = crate::tune::sizing::schedule(&settings, self.prober.dataset.len())?;
            crate::output::info(&format!(
                "point {index:>2}: {load} qps, {} queries over {:.0} s, then the drain",
                schedule.samples,
                schedule.last_arrival.as_secs_f64()
            ));
            let mut plan = self.prober.plan.clone();
            plan.loaded.settings = settings;
            (Load::Rate(load), plan)
        } else {
            let streams = load as u32;
            let plan = self.concurrency_plan(streams);
            crate::output::info(&format!(
                "point {index:>2}: {streams} streams, {} requests ({NOT_MLPERF})",
                plan.loaded.settings.min_query_count
            ));
            (Load::Concurrency(streams), plan)
        };
        let qps = match load {
            Load::Rate(q) => Some(q),
            Load::Concurrency(_) => None,
        };
        let (run, interrupted) = self.prober.execute_plan(Kind::Point, &name, qps, plan)?;
        if let Load::Concurrency(streams) = load {
            self.label_closed_loop(streams, &run.dir)?;
        }
        let Some((_, results)) = self.prober.results.last() else {
            bail!("the point's results are missing");
        };
        let streams = match load {
            Load::Concurrency(n) => Some(n),
            Load::Rate(_) => None,
        };
        let f = point::figures(&results.requests, streams, self.results.limits);
        let ms = |ns: Option<u64>| ns.map(|v| v as f64 / 1e6);
        let judged = self.rate_axis;
        let p = Point {
            index,
            target_qps: qps,
            concurrency: streams,
            scenario: if judged {
                self.results.scenario.clone()
            } else {
                NOT_MLPERF.to_string()
            },
            requests: f.requests,
            failed: f.failed,
            seconds: f.seconds,
            requests_per_s: f.requests_per_s,
            output_tokens_per_s: f.output_tokens_per_s,
            output_tokens_per_s_per_gpu: self
                .results
                .gpus
                .map(|g| f.output_tokens_per_s / f64::from(g)),
            tokens_per_s_per_user: f.tokens_per_s_per_user,
            ttft_p50_ms: ms(f.ttft_ns.0),
            ttft_p99_ms: ms(f.ttft_ns.1),
            tpot_p50_ms: ms(f.tpot_ns.0),
            tpot_p99_ms: ms(f.tpot_ns.1),
            goodput_rps: f.goodput_rps,
            valid: judged.then_some(run.valid),
            why: if judged {
                run.why.clone()
            } else {
                String::new()
            },
            submittable: results
                .submittable
                .as_ref()
                .map(|s| s.submittable)
                .filter(|_| judged),
            dir: run.dir.clone(),
        };
        self.results.simulated = results.config.as_ref().is_some_and(|c| c.simulated);
        crate::output::data(&p.row());
        if p.valid == Some(true) && p.submittable == Some(false) {
            crate::output::info(&format!(
                "point {index} is VALID but not submittable (see `{}`: its results.json \
                 `submittable.reasons`)",
                p.dir.display()
            ));
        }
        self.results.points.push(p);
        Ok(interrupted)
    }

    /// Says in a concurrency point's own `results.json` and report what the point is: LoadGen
    /// drove it as an Offline test (its logs stay as LoadGen wrote them), but the sweep reads it
    /// as a closed loop, which no MLPerf verdict judges.
    fn label_closed_loop(&mut self, streams: u32, dir: &std::path::Path) -> anyhow::Result<()> {
        let Some((_, results)) = self.prober.results.last_mut() else {
            return Ok(());
        };
        results.verdict.reasons.insert(
            0,
            format!(
                "a concurrency point of `ossperf sweep`, a closed loop of {streams} streams: \
                 {NOT_MLPERF}; LoadGen's Offline verdict does not judge it"
            ),
        );
        crate::report::write_results(dir, results)?;
        crate::report::write_report(dir, results)?;
        Ok(())
    }

    /// A rate point's settings: the resolved ones at `qps`, for `--point-duration`.
    fn rate_settings(&self, qps: f64) -> TestSettings {
        let mut s = self.prober.plan.loaded.settings.clone();
        s.server_target_qps = qps;
        s.min_duration_ms = self.duration.as_millis() as u64;
        s
    }

    /// A concurrency point's plan: one Offline query whose samples at most `streams` senders
    /// send, streamed (for first-token times), sized to last about `--point-duration` at the
    /// previous point's rate per stream (at least 4 requests a stream, and 8).
    fn concurrency_plan(&self, streams: u32) -> RunPlan {
        let mut plan = self.prober.plan.clone();
        let per_stream = self
            .results
            .points
            .last()
            .and_then(|p| Some(p.requests_per_s / f64::from(p.concurrency?)))
            .filter(|r| r.is_finite() && *r > 0.0);
        let wanted = per_stream.map_or(0, |r| {
            (r * f64::from(streams) * self.duration.as_secs_f64()).ceil() as u64
        });
        let samples = wanted.max(4 * u64::from(streams)).max(8);
        let s = &mut plan.loaded.settings;
        s.scenario = Scenario::Offline;
        s.offline_expected_qps = 1.0;
        s.min_duration_ms = 0;
        s.min_query_count = samples;
        s.performance_sample_count_override = samples;
        plan.max_concurrency = streams as usize;
        plan.stream = true;
        plan
    }

    /// Writes the sweep's `results.json` and `report.html` (after every point).
    fn write(&self) -> anyhow::Result<()> {
        crate::report::sweep::write_sweep_json(&self.prober.dir, &self.results)?;
        crate::report::sweep::write_sweep_report(&self.prober.dir, &self.results)?;
        Ok(())
    }
}
