//! `ossperf report`: the HTML report of one result directory, or several overlaid.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::report::ReportArgs;
use crate::output;
use crate::report::{self, RunResults, REPORT_FILE};

/// Runs `ossperf report`.
pub fn run(args: ReportArgs) -> anyhow::Result<ExitCode> {
    let ReportArgs {
        dirs,
        output,
        synthetic,
    } = args;
    if let Some(n) = synthetic {
        for (seed, dir) in (1u64..).zip(&dirs) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create `{}`", dir.display()))?;
            report::write_results(dir, &report::sample::server_run(n, seed))?;
        }
    }
    let runs = dirs
        .iter()
        .map(|dir| Ok((report::run_label(dir), report::load_results(dir)?)))
        .collect::<anyhow::Result<Vec<(String, RunResults)>>>()?;
    let labels = unique_labels(&dirs, runs.iter().map(|r| r.0.clone()).collect());
    let path = output.unwrap_or_else(|| default_output(&dirs));
    let pairs: Vec<(&str, &RunResults)> = labels
        .iter()
        .map(String::as_str)
        .zip(runs.iter().map(|r| &r.1))
        .collect();
    report::write_report_to(&path, &pairs)?;
    output::data(&path.display().to_string());
    Ok(ExitCode::SUCCESS)
}

fn default_output(dirs: &[PathBuf]) -> PathBuf {
    match dirs {
        [one] if one.is_dir() => one.join(REPORT_FILE),
        [one] => one.with_file_name(REPORT_FILE),
        _ => PathBuf::from(REPORT_FILE),
    }
}

/// Directory names as labels; where two are equal, the whole path as given.
fn unique_labels(dirs: &[PathBuf], labels: Vec<String>) -> Vec<String> {
    labels
        .iter()
        .zip(dirs)
        .map(|(label, dir)| {
            if labels.iter().filter(|l| *l == label).count() > 1 {
                display(dir)
            } else {
                label.clone()
            }
        })
        .collect()
}

fn display(dir: &Path) -> String {
    dir.display().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_directory_names_are_told_apart_by_their_paths() {
        let dirs = [
            PathBuf::from("a/run"),
            PathBuf::from("b/run"),
            PathBuf::from("c/x"),
        ];
        let labels = unique_labels(&dirs, vec!["run".into(), "run".into(), "x".into()]);
        assert_eq!(labels, vec!["a/run", "b/run", "x"]);
    }

    #[test]
    fn several_directories_default_to_a_report_in_the_current_directory() {
        let dirs = [PathBuf::from("a"), PathBuf::from("b")];
        assert_eq!(default_output(&dirs), PathBuf::from("report.html"));
    }
}
