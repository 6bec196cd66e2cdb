//! `ossperf submission check DIR`: the submission checker's rules for gpt-oss-120b (v6.1, its
//! default flags, LoadGen-format logs), each finding with its file and a stable rule id; then
//! ossperf's own stricter expectations as warnings, never mixed with the checker's.
//!
//! The walk is the checker's loader: `<division>/<submitter>/results/<system>/<benchmark>/
//! <scenario>/`, directories in sorted order. Where the checker repeats a finding (its system
//! and measurement checks run once per scenario) it is listed once. Where the checker would stop
//! with an exception (a missing log, a missing system description) the finding says what is
//! missing and the checks that need it are skipped. docs/SUBMISSION.md maps every rule id to the
//! checker's function.

mod accuracy;
mod compliance;
pub(crate) mod measurements;
mod ossperf;
mod performance;
pub(crate) mod system;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use ossperf_loadgen::logs::read::DetailLog;
use serde::Serialize;
use serde_json::Value;

use super::layout::{self, ScenarioDir, BENCHMARK};
use crate::cli::submission::{CheckFormat, SubmissionCheckArgs};
use crate::output;

/// Whose rule a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Source {
    /// The official checker's rule: an error.
    Checker,
    /// ossperf's stricter expectation: a warning.
    Ossperf,
}

/// One violation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Finding {
    pub source: Source,
    pub rule: &'static str,
    /// Relative to the checked directory.
    pub file: String,
    pub message: String,
}

/// The findings, in the order found, each once.
pub(crate) struct Findings {
    root: PathBuf,
    list: Vec<Finding>,
}

impl Findings {
    fn add(&mut self, source: Source, rule: &'static str, file: &Path, message: String) {
        let file = file
            .strip_prefix(&self.root)
            .unwrap_or(file)
            .display()
            .to_string();
        let finding = Finding {
            source,
            rule,
            file,
            message,
        };
        if !self.list.contains(&finding) {
            self.list.push(finding);
        }
    }

    /// A violation of the checker's rule `rule`.
    pub(crate) fn checker(&mut self, rule: &'static str, file: &Path, message: String) {
        self.add(Source::Checker, rule, file, message);
    }

    /// A miss of ossperf's own expectation `rule`.
    pub(crate) fn ossperf(&mut self, rule: &'static str, file: &Path, message: String) {
        self.add(Source::Ossperf, rule, file, message);
    }
}

/// What the checks of one scenario directory see.
pub(crate) struct Scenario<'a> {
    pub division: &'a str,
    /// The directory's name (`Offline`, ...), the checker's `scenario_fixed`.
    pub name: &'a str,
    pub dir: ScenarioDir,
    /// The system description, when it could be read.
    pub system: Option<&'a Value>,
    pub org_dir: &'a Path,
}

/// A LoadGen detail log: `None` with a finding when it is missing or unreadable.
pub(crate) fn read_log(
    findings: &mut Findings,
    rule: &'static str,
    path: &Path,
) -> Option<DetailLog> {
    if !path.is_file() {
        findings.checker(rule, path, "is missing".into());
        return None;
    }
    match DetailLog::read(path) {
        Ok(log) => Some(log),
        Err(e) => {
            findings.checker(rule, path, format!("cannot be read as a LoadGen log: {e}"));
            None
        }
    }
}

/// The first value of `key` (the checker's parser returns the first).
pub(crate) fn first<'a>(log: &'a DetailLog, key: &'a str) -> Option<&'a Value> {
    log.all(key).next()
}

/// Runs `ossperf submission check`.
pub(super) fn run(args: SubmissionCheckArgs) -> anyhow::Result<ExitCode> {
    if !args.dir.is_dir() {
        anyhow::bail!("`{}` is not a directory", args.dir.display());
    }
    let findings = check(&args.dir)?;
    let errors = findings
        .iter()
        .filter(|f| f.source == Source::Checker)
        .count();
    match args.format {
        CheckFormat::Json => {
            output::data(&serde_json::to_string_pretty(&findings).context("cannot encode")?);
        }
        CheckFormat::Text => print_text(&findings, errors),
    }
    Ok(if errors > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_text(findings: &[Finding], errors: usize) {
    let warnings = findings.len() - errors;
    output::data(&format!(
        "the submission checker's rules (mlcommons/inference tools/submission, v6.1): {}",
        count(errors, "error")
    ));
    for f in findings.iter().filter(|f| f.source == Source::Checker) {
        output::data(&format!("  {}: {} [{}]", f.file, f.message, f.rule));
    }
    output::data(&format!(
        "ossperf's own expectations (warnings, not the checker's): {}",
        count(warnings, "warning")
    ));
    for f in findings.iter().filter(|f| f.source == Source::Ossperf) {
        output::data(&format!("  {}: {} [{}]", f.file, f.message, f.rule));
    }
}

fn count(n: usize, what: &str) -> String {
    match n {
        0 => format!("no {what}s"),
        1 => format!("1 {what}"),
        n => format!("{n} {what}s"),
    }
}

/// Sorted subdirectory names (the checker's `list_dir`).
fn list_dir(path: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(path) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(String::from))
        .collect();
    names.sort();
    names
}

/// Every finding in the tree at `root`.
pub(crate) fn check(root: &Path) -> anyhow::Result<Vec<Finding>> {
    let mut findings = Findings {
        root: root.to_path_buf(),
        list: Vec::new(),
    };
    let mut checked = 0;
    for division in list_dir(root) {
        if !layout::DIVISIONS.contains(&division.as_str()) {
            continue;
        }
        for submitter in list_dir(&root.join(&division)) {
            let org_dir = layout::org_dir(root, &division, &submitter);
            let results = layout::results_dir(&org_dir);
            for system_name in list_dir(&results) {
                let system_path = layout::system_json(&org_dir, &system_name);
                let system = system::read(&mut findings, &system_path);
                if let Some(json) = &system {
                    system::check(&mut findings, &system_path, json, &division, &submitter);
                }
                for benchmark in list_dir(&results.join(&system_name)) {
                    let bench_dir = results.join(&system_name).join(&benchmark);
                    if benchmark != BENCHMARK {
                        findings.ossperf(
                            "ossperf.benchmark",
                            &bench_dir,
                            format!("not checked: ossperf checks {BENCHMARK} only"),
                        );
                        continue;
                    }
                    let scenarios = list_dir(&bench_dir);
                    if division == "closed" || division == "network" {
                        system::scenarios(&mut findings, &bench_dir, system.as_ref(), &scenarios);
                    }
                    checked += scenarios.len();
                    for name in &scenarios {
                        let s = Scenario {
                            division: &division,
                            name,
                            dir: ScenarioDir::new(&org_dir, &system_name, name),
                            system: system.as_ref(),
                            org_dir: &org_dir,
                        };
                        let perf = performance::check(&mut findings, &s);
                        accuracy::check(&mut findings, &s);
                        measurements::check(&mut findings, &s);
                        compliance::check(&mut findings, &s);
                        ossperf::check(&mut findings, &s, perf.as_ref());
                    }
                }
            }
        }
    }
    if checked == 0 {
        anyhow::bail!(
            "`{}` holds no submission: no `<division>/<org>/results/<system>/<benchmark>/<scenario>/` directory (division closed, open or network)",
            root.display()
        );
    }
    Ok(findings.list)
}
