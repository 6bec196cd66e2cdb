//! The probe runner `tune` and `sweep` share: one session (plan resolved, dataset loaded,
//! servers reached once), and each probe an ordinary LoadGen performance run with its own
//! settings and directory, so every probe leaves MLPerf logs, a `results.json` and a report.

use std::path::PathBuf;
use std::time::Instant;

use ossperf_dataset::Dataset;
use ossperf_loadgen::TestSettings;

use super::record::{Kind, Run};
use crate::report::RunResults;
use crate::runner::{RunPlan, Session};

/// An open session and the runs made in it so far.
pub(crate) struct Prober {
    /// The resolved plan every probe starts from.
    pub plan: RunPlan,
    /// The loaded dataset.
    pub dataset: Dataset,
    session: Session,
    /// Where each probe's directory goes.
    pub dir: PathBuf,
    /// Every run, in order.
    pub runs: Vec<Run>,
    /// Each run's result model with its label, for the overlay report.
    pub results: Vec<(String, RunResults)>,
}

impl Prober {
    /// Reaches the servers for `plan`; on failure gives `dir` (claimed, still empty) back.
    pub(crate) fn open(plan: RunPlan, dataset: Dataset, dir: PathBuf) -> anyhow::Result<Prober> {
        let session = Session::open(&plan, &dataset).inspect_err(|_| {
            // Nothing ran: give the name back (the directory is still empty).
            let _ = std::fs::remove_dir(&dir);
        })?;
        Ok(Prober {
            plan,
            dataset,
            session,
            dir,
            runs: Vec::new(),
            results: Vec::new(),
        })
    }

    /// The session, for work outside LoadGen on the same servers (a sweep's closed loops).
    pub(crate) fn session(&self) -> &Session {
        &self.session
    }

    /// Runs one performance test with `settings` in `<dir>/<name>` and records it.
    pub(crate) fn execute(
        &mut self,
        kind: Kind,
        name: &str,
        qps: Option<f64>,
        settings: TestSettings,
    ) -> anyhow::Result<(Run, Option<u8>)> {
        let mut plan = self.plan.clone();
        plan.loaded.settings = settings;
        self.execute_plan(kind, name, qps, plan)
    }

    /// Runs one performance test with `plan` (its settings, concurrency and streaming) in
    /// `<dir>/<name>` and records it.
    pub(crate) fn execute_plan(
        &mut self,
        kind: Kind,
        name: &str,
        qps: Option<f64>,
        mut plan: RunPlan,
    ) -> anyhow::Result<(Run, Option<u8>)> {
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
    pub(crate) fn write_overlay(&self) -> anyhow::Result<Option<PathBuf>> {
        if self.results.is_empty() {
            return Ok(None);
        }
        let path = self.dir.join(crate::report::REPORT_FILE);
        let pairs: Vec<(&str, &RunResults)> = self
            .results
            .iter()
            .map(|(label, results)| (label.as_str(), results))
            .collect();
        crate::report::write_report_to(&path, &pairs)?;
        Ok(Some(path))
    }
}
