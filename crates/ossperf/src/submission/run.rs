//! `ossperf submission run`: one scenario's sequence of tests, resumable, never overwriting.
//!
//! Each step runs as a child `ossperf` process ([`crate::child`]: the official LoadGen keeps
//! process-wide state, so every test gets a fresh process whichever LoadGen runs), in a new
//! directory taken from [`crate::results_dir::claim`]: `performance`, `accuracy`, `score`,
//! `TEST07`, `TEST09` under `<dir>/<scenario>/` (`-2`, `-3`, … when a name is taken). Finished
//! steps are recorded in `<dir>/<scenario>/submission.json`, written whole and renamed into
//! place after each step, so a second call after an interruption or a failure starts at the
//! first unfinished step and an interrupted step's partial directory stays as it was.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::cli::submission::SubmissionRunArgs;
use crate::output;

/// The steps, in order.
const STEPS: [&str; 5] = ["performance", "accuracy", "score", "TEST07", "TEST09"];

/// The record file, in `<dir>/<scenario>/`.
pub(super) const STATE_FILE: &str = "submission.json";

/// What `submission.json` holds: each finished step and where its output is.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct State {
    pub(super) steps: Vec<Done>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Done {
    pub(super) step: String,
    pub(super) dir: PathBuf,
    pub(super) exit_code: i32,
}

/// Runs `ossperf submission run`.
pub(super) fn run(args: SubmissionRunArgs) -> anyhow::Result<ExitCode> {
    let scenario = scenario_of(&args.run)?;
    let root = args.output_dir.join(scenario);
    std::fs::create_dir_all(&root)
        .with_context(|| format!("cannot create the directory `{}`", root.display()))?;
    let state_path = root.join(STATE_FILE);
    let mut state = read_state(&state_path)?;
    let exe = std::env::current_exe().context("cannot find the ossperf executable")?;
    let mut worst = 0;
    for step in STEPS {
        if let Some(done) = state.steps.iter().find(|d| d.step == step) {
            output::info(&format!(
                "{step}: done earlier, in `{}`",
                done.dir.display()
            ));
            worst = worst.max(done.exit_code);
            continue;
        }
        let dir = crate::results_dir::claim(&root, step)?;
        output::info(&format!("{step}: in `{}`", dir.display()));
        let accuracy_dir = state
            .steps
            .iter()
            .find(|d| d.step == "accuracy")
            .map(|d| d.dir.join(scenario).join("accuracy"));
        let code = run_step(&exe, step, &dir, accuracy_dir.as_deref(), &args)?;
        // 0: done; 1: the run finished INVALID or the test failed, which is a result, not a
        // reason to stop. Anything else (an error, a signal) stops here, unrecorded.
        if code > 1 {
            output::error(&format!(
                "{step} stopped (exit code {code}); `{}` is kept as it is. Run the same command again to resume from {step}",
                dir.display()
            ));
            return Ok(ExitCode::from(u8::try_from(code).unwrap_or(2)));
        }
        worst = worst.max(code);
        state.steps.push(Done {
            step: step.to_string(),
            dir,
            exit_code: code,
        });
        write_state(&state_path, &state)?;
    }
    output::info(&format!(
        "all steps done; the record is `{}`",
        state_path.display()
    ));
    Ok(ExitCode::from(u8::try_from(worst).unwrap_or(1)))
}

/// The scenario directory name the run flags select (the flags are checked here, once).
fn scenario_of(flags: &[String]) -> anyhow::Result<&'static str> {
    use clap::Parser as _;
    for reserved in ["--output-dir", "--accuracy", "--audit-config"] {
        if flags
            .iter()
            .any(|f| f == reserved || f.starts_with(&format!("{reserved}=")))
        {
            bail!("`{reserved}` is set by each step of `ossperf submission run`; leave it out of the run flags");
        }
    }
    let argv = ["ossperf", "run"]
        .into_iter()
        .map(String::from)
        .chain(flags.iter().cloned());
    let cli = crate::Cli::try_parse_from(argv)
        .map_err(|e| anyhow::anyhow!("the run flags: {}", e.to_string().trim_end()))?;
    let crate::cli::Command::Run(run) = cli.command else {
        bail!("the run flags must be `ossperf run` flags");
    };
    Ok(crate::settings::scenario_name(run.conf.scenario))
}

/// Runs one step as a child process and returns its exit code (128 + the signal if killed).
fn run_step(
    exe: &Path,
    step: &str,
    dir: &Path,
    accuracy_dir: Option<&Path>,
    args: &SubmissionRunArgs,
) -> anyhow::Result<i32> {
    let mut cmd = Command::new(exe);
    match step {
        "performance" => {
            cmd.arg("run").args(&args.run).arg("--output-dir").arg(dir);
        }
        "accuracy" => {
            cmd.arg("run")
                .args(with_input(&args.run, args.accuracy_input.as_deref()))
                .arg("--accuracy")
                .arg("--output-dir")
                .arg(dir);
        }
        "score" => {
            let log = accuracy_dir
                .context("the score needs the accuracy step's directory")?
                .join("mlperf_log_accuracy.json");
            cmd.arg("eval")
                .arg("--mlperf-log")
                .arg(log)
                .arg("--reference-data")
                .arg(&args.reference_data)
                .arg("--output-file")
                .arg(dir.join("accuracy.json"));
            if let Some(tests) = &args.lcb_tests {
                cmd.arg("--lcb-tests").arg(tests);
            }
            if args.skip_unscored_datasets {
                cmd.arg("--skip-unscored-datasets");
            }
            let text = dir.join("accuracy.txt");
            let file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&text)
                .with_context(|| format!("cannot create `{}`", text.display()))?;
            cmd.stdout(file);
        }
        "TEST07" => {
            cmd.args(["compliance", "test07", "-o"])
                .arg(dir)
                .arg("--reference-data")
                .arg(&args.test07_data)
                .arg("--")
                .args(with_input(&args.run, Some(&args.test07_data)))
                .arg("--output-dir")
                .arg(dir);
        }
        _ => {
            cmd.args(["compliance", "test09", "-o"])
                .arg(dir)
                .arg("--")
                .args(&args.run)
                .arg("--output-dir")
                .arg(dir);
        }
    }
    crate::child::supervise(cmd, &format!("the {step} step"))
}

/// The run flags with `--input-file` replaced by `input` (when given).
fn with_input(flags: &[String], input: Option<&Path>) -> Vec<String> {
    let Some(input) = input else {
        return flags.to_vec();
    };
    let mut out = Vec::with_capacity(flags.len() + 2);
    let mut skip = false;
    for flag in flags {
        if skip {
            skip = false;
        } else if flag == "--input-file" {
            skip = true;
        } else if !flag.starts_with("--input-file=") {
            out.push(flag.clone());
        }
    }
    out.push("--input-file".into());
    out.push(input.display().to_string());
    out
}

pub(super) fn read_state(path: &Path) -> anyhow::Result<State> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .with_context(|| format!("`{}` is not a submission record", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(State::default()),
        Err(e) => Err(e).with_context(|| format!("cannot read `{}`", path.display())),
    }
}

/// Writes the record whole beside it, then renames it into place.
fn write_state(path: &Path, state: &State) -> anyhow::Result<()> {
    let partial = path.with_extension("json.partial");
    let text = serde_json::to_vec_pretty(state).context("cannot encode the record")?;
    std::fs::write(&partial, text)
        .with_context(|| format!("cannot write `{}`", partial.display()))?;
    std::fs::rename(&partial, path).with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_input_file_is_replaced_wherever_it_is_given() {
        let flags: Vec<String> = [
            "--scenario",
            "server",
            "--input-file",
            "a.parquet",
            "--timeout",
            "5",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            with_input(&flags, Some(Path::new("b.parquet"))),
            [
                "--scenario",
                "server",
                "--timeout",
                "5",
                "--input-file",
                "b.parquet"
            ]
        );
        assert_eq!(with_input(&flags, None), flags);
    }

    #[test]
    fn flags_each_step_sets_are_refused_in_the_run_flags() {
        let err = scenario_of(&["--output-dir".into(), "x".into()]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`--output-dir` is set by each step of `ossperf submission run`; leave it out of the run flags"
        );
        assert_eq!(
            scenario_of(&["--scenario".into(), "interactive".into()]).unwrap(),
            "interactive"
        );
    }
}
