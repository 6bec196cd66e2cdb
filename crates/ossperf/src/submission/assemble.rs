//! `ossperf submission assemble`: the submission checker's tree from `submission run`
//! directories, in a new directory (never over an earlier one).
//!
//! Per scenario: `performance/run_1/` (LoadGen's two logs), `accuracy/` (the two logs, the
//! accuracy log truncated and `accuracy.txt`, the score's output with the hash line, both as
//! `truncate_accuracy_log.py` leaves them), `user.conf` and `mlperf.conf` (the texts the
//! performance run used, from its `results.json`), `measurements.json`, `README.md`, and
//! `TEST07/`, `TEST09/` (the verify files, the audit run's logs, the accuracy logs truncated).
//! Beside them `systems/<system>.json` with every field the checker requires and `src/`.
//! Whatever the checker requires and no flag gave is left empty and listed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde_json::Value;

use super::check::{measurements::MEASUREMENTS_REQUIRED_FIELDS, system};
use super::layout::{self, ScenarioDir, ACCURACY_LOG, ACCURACY_TXT, DETAIL, SUMMARY};
use super::run::{read_state, State, STATE_FILE};
use super::truncate;
use crate::cli::submission::{Division, SubmissionAssembleArgs};
use crate::output;

/// One scenario's `submission run` directory and its record.
struct Run {
    /// `Offline`, `Server` or `Interactive`.
    scenario: &'static str,
    dir: PathBuf,
    state: State,
}

impl Run {
    /// The directory of a recorded step, found beside the record (the record's own path may
    /// be relative to wherever `submission run` was started).
    fn step(&self, step: &str) -> Option<PathBuf> {
        let done = self.state.steps.iter().find(|d| d.step == step)?;
        Some(self.dir.join(done.dir.file_name()?))
    }
}

/// Runs `ossperf submission assemble`.
pub(super) fn run(args: SubmissionAssembleArgs) -> anyhow::Result<ExitCode> {
    let fields = pairs(&args.fields, "--field")?;
    let measurements = pairs(&args.measurements, "--measurement")?;
    for (flag, name) in [("--org", &args.org), ("--system", &args.system)] {
        if name.is_empty() || name.contains(['/', '\\']) || name == "." || name == ".." {
            bail!("{flag} `{name}` cannot be a directory name");
        }
    }
    let runs = find_runs(&args.runs)?;
    let tree = claim_tree(&args.output_dir)?;
    let division = match args.division {
        Division::Closed => "closed",
        Division::Open => "open",
    };
    let org = layout::org_dir(&tree, division, &args.org);
    let mut left: Vec<(PathBuf, Vec<String>)> = Vec::new();
    let mut missing: Vec<String> = Vec::new();
    let mut simulated: Vec<&str> = Vec::new();

    let src = layout::src_dir(&org);
    create_dir(&src)?;
    write(
        &src.join("README.md"),
        &format!(
            "Made by `ossperf submission assemble` (ossperf {}). The code of the system under \
             test goes here; the submission checker requires this directory.\n",
            env!("CARGO_PKG_VERSION")
        ),
    )?;
    left.push((src, vec!["the code of the system under test".into()]));

    let system_path = layout::system_json(&org, &args.system);
    let (system_json, empty) = system_description(&args, division, &fields);
    create_dir(system_path.parent().unwrap_or(&org))?;
    write(&system_path, &json_text(&system_json)?)?;
    left.push((system_path, empty));

    for run in &runs {
        let dir = ScenarioDir::new(&org, &args.system, run.scenario);
        let (empty, sim) = assemble_scenario(run, &dir, &measurements, &mut missing)?;
        left.push((dir.measurements(), empty));
        if sim {
            simulated.push(run.scenario);
        }
    }
    if !simulated.is_empty() {
        output::warn(&format!(
            "{}: the performance run was served by ossperf's built-in simulator; it measures no system",
            simulated.join(", ")
        ));
    }

    output::data(&format!(
        "assembled `{}` from {} ({})",
        tree.display(),
        plural(runs.len(), "run"),
        runs.iter()
            .map(|r| r.scenario)
            .collect::<Vec<_>>()
            .join(", ")
    ));
    for what in &missing {
        output::data(&format!("missing from the runs: {what}"));
    }
    let left: Vec<_> = left.into_iter().filter(|(_, f)| !f.is_empty()).collect();
    if !left.is_empty() {
        output::data("left for you (the checker requires them; fill them in before submitting):");
        for (path, what) in left {
            let rel = path.strip_prefix(&tree).unwrap_or(&path);
            output::data(&format!("  {}: {}", rel.display(), what.join(", ")));
        }
    }
    output::data(&format!(
        "then: ossperf submission check {}",
        tree.display()
    ));
    Ok(ExitCode::SUCCESS)
}

/// `KEY=VALUE` flags, in order.
fn pairs(flags: &[String], flag: &str) -> anyhow::Result<Vec<(String, String)>> {
    flags
        .iter()
        .map(|f| match f.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_string(), v.to_string())),
            _ => bail!("{flag} `{f}`: expected KEY=VALUE"),
        })
        .collect()
}

/// Each argument is a `submission run` directory (`DIR/<scenario>/submission.json`) or one
/// scenario's directory of it (`DIR/submission.json`); one run per scenario.
fn find_runs(args: &[PathBuf]) -> anyhow::Result<Vec<Run>> {
    let mut runs: Vec<Run> = Vec::new();
    for arg in args {
        let mut found = Vec::new();
        if arg.join(STATE_FILE).is_file() {
            found.push(arg.clone());
        } else {
            for name in ["offline", "server", "interactive"] {
                if arg.join(name).join(STATE_FILE).is_file() {
                    found.push(arg.join(name));
                }
            }
        }
        if found.is_empty() {
            bail!(
                "`{}` is not a `submission run` directory: no `{STATE_FILE}` in it or in its offline/, server/ or interactive/",
                arg.display()
            );
        }
        for dir in found {
            let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let Some(scenario) = layout::scenario_dir_name(name) else {
                bail!(
                    "`{}`: a scenario's run directory is named offline, server or interactive",
                    dir.display()
                );
            };
            if let Some(other) = runs.iter().find(|r| r.scenario == scenario) {
                bail!(
                    "two runs of {scenario}: `{}` and `{}`; give one",
                    other.dir.display(),
                    dir.display()
                );
            }
            let state = read_state(&dir.join(STATE_FILE))?;
            runs.push(Run {
                scenario,
                dir,
                state,
            });
        }
    }
    // The checker's order (directories sorted by name).
    runs.sort_by_key(|r| r.scenario);
    Ok(runs)
}

/// A new directory for the tree: `-o` itself, or `-o-2`, ... when taken.
fn claim_tree(output: &Path) -> anyhow::Result<PathBuf> {
    let name = output
        .file_name()
        .and_then(|n| n.to_str())
        .with_context(|| format!("-o `{}` has no directory name", output.display()))?;
    let parent = match output.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    crate::results_dir::claim(parent, name)
}

/// The system description: every field the checker requires (`SYSTEM_DESC_REQUIRED_FIELDS`),
/// in its order, then any other `--field`; and the required ones left empty.
fn system_description(
    args: &SubmissionAssembleArgs,
    division: &str,
    fields: &[(String, String)],
) -> (Value, Vec<String>) {
    let mut given: BTreeMap<&str, &str> = BTreeMap::new();
    given.insert("division", division);
    given.insert("submitter", &args.org);
    given.insert("system_name", &args.system);
    for (k, v) in fields {
        given.insert(k, v);
    }
    let mut map = serde_json::Map::new();
    let mut empty = Vec::new();
    for key in system::REQUIRED_FIELDS {
        let value = given.remove(key).unwrap_or("");
        if value.is_empty() {
            empty.push(key.to_string());
        }
        map.insert(key.to_string(), Value::from(value));
    }
    for (k, v) in fields {
        if given.contains_key(k.as_str()) {
            map.insert(k.clone(), Value::from(v.as_str()));
        }
    }
    (Value::Object(map), empty)
}

/// Lays out one scenario; returns the `measurements.json` fields left empty and whether the
/// performance run was simulated (`results.json` `config.simulated`).
fn assemble_scenario(
    run: &Run,
    dir: &ScenarioDir,
    measurements: &[(String, String)],
    missing: &mut Vec<String>,
) -> anyhow::Result<(Vec<String>, bool)> {
    let scenario_name = run.dir.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let mut lack = |what: &str| missing.push(format!("{} {what}", run.scenario));
    create_dir(&dir.0)?;

    // Performance: LoadGen's two logs.
    let perf_results = match run.step("performance") {
        Some(step) => {
            let logs = step.join(scenario_name).join("performance");
            let to = dir.performance();
            create_dir(&to)?;
            for file in [SUMMARY, DETAIL] {
                copy(&logs.join(file), &to.join(file))?;
            }
            Some(read_json(&logs.join("results.json"))?)
        }
        None => {
            lack("performance (no performance step in the record)");
            None
        }
    };

    // Accuracy: the logs, then accuracy.txt from the score, then the truncation.
    let acc_results = match run.step("accuracy") {
        Some(step) => {
            let logs = step.join(scenario_name).join("accuracy");
            let to = dir.accuracy();
            create_dir(&to)?;
            for file in [SUMMARY, DETAIL, ACCURACY_LOG] {
                copy(&logs.join(file), &to.join(file))?;
            }
            match run.step("score") {
                Some(score) => {
                    copy(&score.join(ACCURACY_TXT), &to.join(ACCURACY_TXT))?;
                    truncate::truncate_dir(&to, false)?;
                }
                None => lack("accuracy.txt (no score step in the record)"),
            }
            Some(read_json(&logs.join("results.json"))?)
        }
        None => {
            lack("accuracy (no accuracy step in the record)");
            None
        }
    };

    // The conf files the performance run used.
    let mut have_user_conf = false;
    if let Some(results) = &perf_results {
        for file in results["config"]["conf_files"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let (Some(role), Some(text)) = (file["role"].as_str(), file["text"].as_str()) else {
                continue;
            };
            let path = match role {
                "user.conf" => {
                    have_user_conf = true;
                    dir.0.join("user.conf")
                }
                "mlperf.conf" => dir.mlperf_conf(),
                _ => continue,
            };
            write(&path, text)?;
        }
    }
    if !have_user_conf {
        lack("user.conf (the performance run's results.json records none)");
    }

    // measurements.json and README.md.
    let mut map = serde_json::Map::new();
    let mut empty = Vec::new();
    for key in MEASUREMENTS_REQUIRED_FIELDS {
        let value = measurements
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map_or("", |(_, v)| v.as_str());
        if value.is_empty() {
            empty.push(key.to_string());
        }
        map.insert(key.to_string(), Value::from(value));
    }
    for (k, v) in measurements {
        if !MEASUREMENTS_REQUIRED_FIELDS.contains(&k.as_str()) {
            map.insert(k.clone(), Value::from(v.as_str()));
        }
    }
    write(&dir.measurements(), &json_text(&Value::Object(map))?)?;
    write(
        &dir.0.join("README.md"),
        &readme(run, perf_results.as_ref(), acc_results.as_ref()),
    )?;

    // TEST07 and TEST09: the test's own directory, with the accuracy log truncated.
    for (test, _) in layout::COMPLIANCE_TESTS {
        let Some(step) = run.step(test) else {
            lack(&format!("{test} (no {test} step in the record)"));
            continue;
        };
        let to = dir.test(test);
        copy_tree(&step.join(test), &to)?;
        if to.join("accuracy").join(ACCURACY_LOG).is_file() {
            truncate::truncate_dir(&to.join("accuracy"), true)?;
        }
    }
    let simulated = perf_results
        .as_ref()
        .is_some_and(|r| r["config"]["simulated"] == Value::Bool(true));
    Ok((empty, simulated))
}

/// The scenario's README.md: how its results were made.
fn readme(run: &Run, perf: Option<&Value>, acc: Option<&Value>) -> String {
    let mut out = format!(
        "# gpt-oss-120b, {}\n\nRun with ossperf {} (`ossperf submission run`), laid out by \
         `ossperf submission assemble`.\n",
        run.scenario,
        env!("CARGO_PKG_VERSION")
    );
    for (what, results) in [("performance", perf), ("accuracy", acc)] {
        let Some(line) = results.and_then(|r| r["config"]["command_line"].as_array()) else {
            continue;
        };
        let args: Vec<&str> = line.iter().filter_map(Value::as_str).collect();
        out.push_str(&format!("\nThe {what} run:\n\n    {}\n", args.join(" ")));
    }
    out
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

fn json_text(value: &Value) -> anyhow::Result<String> {
    let mut text = serde_json::to_string_pretty(value).context("cannot encode JSON")?;
    text.push('\n');
    Ok(text)
}

fn read_json(path: &Path) -> anyhow::Result<Value> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read `{}`", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("`{}` is not JSON", path.display()))
}

fn create_dir(path: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(path)
        .with_context(|| format!("cannot create the directory `{}`", path.display()))
}

fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}

fn copy(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::copy(from, to)
        .map(drop)
        .with_context(|| format!("cannot copy `{}` to `{}`", from.display(), to.display()))
}

/// Copies a directory's files and subdirectories.
fn copy_tree(from: &Path, to: &Path) -> anyhow::Result<()> {
    create_dir(to)?;
    let entries =
        std::fs::read_dir(from).with_context(|| format!("cannot read `{}`", from.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read `{}`", from.display()))?;
        let path = entry.path();
        let target = to.join(entry.file_name());
        if path.is_dir() {
            copy_tree(&path, &target)?;
        } else {
            copy(&path, &target)?;
        }
    }
    Ok(())
}
