//! The probe runner `tune` and `sweep` share: one session (plan resolved, dataset loaded,
//! servers reached once), and each probe an ordinary LoadGen performance run with its own
//! settings and directory, so every probe leaves MLPerf logs, a `results.json` and a report.
//! Under the official LoadGen (one test per process) each probe is instead a child `ossperf
//! run` ([`super::child`]), read back from its directory into the same record.

use std::path::PathBuf;
use std::time::Instant;

use ossperf_dataset::Dataset;
use ossperf_loadgen::TestSettings;

use super::record::{Kind, Run};
use crate::cli::run::RunArgs;
use crate::report::RunResults;
use crate::runner::{RunPlan, Session};

/// How each probe is made.
enum Driver {
    /// In this process, in one session (ossperf's LoadGen).
    Session(Box<Session>),
    /// In a child `ossperf run` each (the official LoadGen): the search's arguments and the
    /// user.conf text each child's conf starts from.
    Children(Box<RunArgs>, String),
}

/// An open session (or the children's arguments) and the runs made so far.
pub(crate) struct Prober {
    /// The resolved plan every probe starts from.
    pub plan: RunPlan,
    /// The loaded dataset.
    pub dataset: Dataset,
    driver: Driver,
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
            driver: Driver::Session(Box::new(session)),
            dir,
            runs: Vec::new(),
            results: Vec::new(),
        })
    }

    /// Makes each probe a child `ossperf run` from `args`, its conf starting from `base_conf`;
    /// each child reaches the servers itself (and stops at its own health check).
    pub(crate) fn children(
        plan: RunPlan,
        dataset: Dataset,
        dir: PathBuf,
        args: Box<RunArgs>,
        base_conf: String,
    ) -> Prober {
        Prober {
            plan,
            dataset,
            driver: Driver::Children(args, base_conf),
            dir,
            runs: Vec::new(),
            results: Vec::new(),
        }
    }

    /// The session, for work outside LoadGen on the same servers (a sweep's closed loops).
    pub(crate) fn session(&self) -> anyhow::Result<&Session> {
        match &self.driver {
            Driver::Session(session) => Ok(session),
            Driver::Children(..) => anyhow::bail!(
                "the official LoadGen runs each test in a child process; this one has no session"
            ),
        }
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
        let outcome = match &self.driver {
            Driver::Session(session) => session.execute(&plan, &self.dataset, false)?,
            Driver::Children(args, base) => {
                super::child::execute(args, &plan, base, self.dataset.len(), name)?
            }
        };
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
