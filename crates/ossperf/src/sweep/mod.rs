//! `ossperf sweep`: a series of points over rates (each a LoadGen Server or Interactive run)
//! or over concurrencies (a closed loop of N streams outside LoadGen: not an MLPerf scenario),
//! listed or grown geometrically until the stop rule ([`stop`]) sees saturation. Rate points
//! run through `tune`'s probe runner ([`Prober`]), so each leaves its own directory with MLPerf
//! logs, `results.json` and a report; concurrency points run on the same session's client
//! (`Session::closed_loop`) and leave their request records. The sweep adds its table, its
//! `results.json` and its report with the frontier (`report::sweep`), rewritten as each point
//! finishes. See docs/SWEEP.md.

mod point;
mod stop;

use std::ops::ControlFlow;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{bail, ensure};
use ossperf_loadgen::TestSettings;

use crate::cli::conf_args::ScenarioArg;
use crate::cli::sweep::{Levels, SweepArgs};
use crate::report::sweep::{SweepResults, NOT_MLPERF, SWEEP_SCHEMA_VERSION};
use crate::report::BeyondLoadgen;
use crate::runner::{load_dataset, ClosedLoop, RunPlan};
use crate::tune::probe::Prober;
use crate::tune::record::Kind;
use point::{Limits, Point};

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
    let simulated = prober.session()?.simulated();
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
            simulated,
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
        for line in point::header(self.rate_axis, self.results.gpus.is_some()) {
            crate::output::data(&line);
        }
        let mut load = match levels {
            Levels::Auto => start,
            Levels::List(list) => list.first().copied().unwrap_or(start),
        };
        loop {
            if let Some(code) = self.point(load)? {
                self.results.stop_reason = format!("interrupted (exit code {code})");
                self.write()?;
                crate::output::warn(&format!("stopped: {}", self.results.stop_reason));
                self.wrote();
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
        self.wrote();
        Ok(ExitCode::SUCCESS)
    }

    /// Says where the sweep's `results.json` and report are.
    fn wrote(&self) {
        crate::output::info(&format!(
            "wrote `{}` and `{}`",
            self.prober.dir.join(crate::report::RESULTS_FILE).display(),
            self.prober.dir.join(crate::report::REPORT_FILE).display()
        ));
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
        let (figures, mut p, interrupted) = if self.rate_axis {
            self.rate_point(index, &name, load)?
        } else {
            self.concurrency_point(index, &name, load as u32)?
        };
        p.interrupted = interrupted.is_some();
        let ms = |ns: Option<u64>| ns.map(|v| v as f64 / 1e6);
        p.requests = figures.requests;
        p.failed = figures.failed;
        p.seconds = figures.seconds;
        p.requests_per_s = figures.requests_per_s;
        p.output_tokens_per_s = figures.output_tokens_per_s;
        p.output_tokens_per_s_per_gpu = self
            .results
            .gpus
            .map(|g| figures.output_tokens_per_s / f64::from(g));
        p.tokens_per_s_per_user = figures.tokens_per_s_per_user;
        p.ttft_p50_ms = ms(figures.ttft_ns.0);
        p.ttft_p99_ms = ms(figures.ttft_ns.1);
        p.tpot_p50_ms = ms(figures.tpot_ns.0);
        p.tpot_p99_ms = ms(figures.tpot_ns.1);
        p.goodput_rps = figures.goodput_rps;
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

    /// A rate point: a LoadGen Server (or Interactive) run through the probe runner.
    fn rate_point(
        &mut self,
        index: usize,
        name: &str,
        qps: f64,
    ) -> anyhow::Result<(point::Figures, Point, Option<u8>)> {
        let settings = self.rate_settings(qps);
        let schedule = crate::tune::sizing::schedule(&settings, self.prober.dataset.len())?;
        crate::output::info(&format!(
            "point {index:>2}: {qps} qps, {} queries over {:.0} s, then the drain",
            schedule.samples,
            schedule.last_arrival.as_secs_f64()
        ));
        let (run, interrupted) = self
            .prober
            .execute(Kind::Point, name, Some(qps), settings)?;
        let Some((_, results)) = self.prober.results.last() else {
            bail!("the point's results are missing");
        };
        let figures = point::figures(&results.requests, self.results.limits);
        let mut p = Point::empty(index, run.dir.clone());
        p.target_qps = Some(qps);
        p.scenario = self.results.scenario.clone();
        p.valid = Some(run.valid);
        p.why = run.why.clone();
        p.submittable = results.submittable.as_ref().map(|s| s.submittable);
        p.beyond_loadgen = results.beyond_loadgen.clone();
        Ok((figures, p, interrupted))
    }

    /// A concurrency point: a closed loop of `streams` streams outside LoadGen for
    /// `--point-duration`; its directory holds its request records. Returns the exit code of
    /// a signal that ended it early.
    fn concurrency_point(
        &mut self,
        index: usize,
        name: &str,
        streams: u32,
    ) -> anyhow::Result<(point::Figures, Point, Option<u8>)> {
        let dir = crate::results_dir::claim(&self.prober.dir, name)?;
        crate::output::info(&format!(
            "point {index:>2}: {streams} streams for {:.0} s, then the drain ({NOT_MLPERF})",
            self.duration.as_secs_f64()
        ));
        let begun = std::time::Instant::now();
        let ClosedLoop {
            records,
            interrupted,
        } = self.prober.session()?.closed_loop(
            &self.prober.plan,
            &self.prober.dataset,
            streams as usize,
            self.duration,
        )?;
        point::write_records(&dir, &records)?;
        let figures = point::figures(&records, self.results.limits);
        crate::output::info(&format!(
            "point {index:>2}: {streams:>9} streams, {:>6} requests in {:>6.1} s, {} failed ({}{NOT_MLPERF})",
            records.len(),
            begun.elapsed().as_secs_f64(),
            figures.failed,
            if interrupted.is_some() { "interrupted; " } else { "" }
        ));
        let mut p = Point::empty(index, dir);
        p.concurrency = Some(streams);
        p.scenario = NOT_MLPERF.to_string();
        // The same figures a run's results.json has, from the same kind of records.
        p.beyond_loadgen = (!records.is_empty()).then(|| BeyondLoadgen::of(&records));
        Ok((figures, p, interrupted))
    }

    /// A rate point's settings: the resolved ones at `qps`, for `--point-duration`.
    fn rate_settings(&self, qps: f64) -> TestSettings {
        let mut s = self.prober.plan.loaded.settings.clone();
        s.server_target_qps = qps;
        s.min_duration_ms = self.duration.as_millis() as u64;
        s
    }

    /// Writes the sweep's `results.json` and `report.html` (after every point).
    fn write(&self) -> anyhow::Result<()> {
        crate::report::sweep::write_sweep_json(&self.prober.dir, &self.results)?;
        crate::report::sweep::write_sweep_report(&self.prober.dir, &self.results)?;
        Ok(())
    }
}
