//! `ossperf compliance`: verify the TEST07 and TEST09 audit runs and write the files the
//! submission checker reads (`OUT/TEST07/verify_accuracy.txt`, `OUT/TEST09/verify_output_len.txt`
//! and the copied logs).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use ossperf_eval::compliance::{
    audit_value, audit_value_in, verify_test07, verify_test09, write_layout,
};

use crate::cli::compliance::ComplianceCommand;
use crate::output;

/// The shipped TEST07 audit.config.
pub(crate) const TEST07_AUDIT: &str = ossperf_loadgen::config::TEST07_AUDIT_CONFIG;
/// The shipped TEST09 audit.config.
pub(crate) const TEST09_AUDIT: &str = ossperf_loadgen::config::TEST09_AUDIT_CONFIG;

fn threshold(
    cli: Option<f64>,
    audit: Option<&Path>,
    shipped: &str,
    key: &str,
) -> anyhow::Result<f64> {
    if let Some(v) = cli {
        return Ok(v);
    }
    let value = match audit {
        Some(path) => audit_value(path, key)?,
        None => audit_value_in(shipped, Path::new("<shipped audit.config>"), key)?,
    };
    value.with_context(|| format!("no `{key}`: pass it on the command line or in --audit-config"))
}

/// Verifies a TEST07 run in `run_dir` and writes `out_dir/TEST07/`. Returns whether it passed.
pub(crate) fn test07(
    run_dir: &Path,
    reference_data: &Path,
    audit: Option<&Path>,
    cli_threshold: Option<f64>,
    out_dir: &Path,
) -> anyhow::Result<bool> {
    let limit = threshold(
        cli_threshold,
        audit,
        TEST07_AUDIT,
        "test07_accuracy_threshold",
    )?;
    let reference = crate::eval::load_reference(reference_data)?;
    let log = run_dir.join("mlperf_log_accuracy.json");
    let verdict = verify_test07(
        &log,
        &reference,
        limit,
        &ossperf_eval::EvalOptions::default(),
    )
    .with_context(|| format!("cannot verify TEST07 on `{}`", run_dir.display()))?;
    for line in verdict.text.lines() {
        output::data(line);
    }
    let dir = write_layout(
        "TEST07",
        run_dir,
        out_dir,
        "verify_accuracy.txt",
        &verdict.text,
    )?;
    output::info(&format!("wrote {}", dir.display()));
    Ok(verdict.passed)
}

/// Verifies a TEST09 run in `run_dir` and writes `out_dir/TEST09/`. Returns whether it passed.
pub(crate) fn test09(
    run_dir: &Path,
    audit: Option<&Path>,
    min: Option<f64>,
    max: Option<f64>,
    out_dir: &Path,
) -> anyhow::Result<bool> {
    let min = threshold(min, audit, TEST09_AUDIT, "test09_min_output_tokens")?;
    let max = threshold(max, audit, TEST09_AUDIT, "test09_max_output_tokens")?;
    let log = run_dir.join("mlperf_log_accuracy.json");
    let verdict = verify_test09(&log, min, max)?;
    for line in verdict.text.lines() {
        output::data(line);
    }
    let dir = write_layout(
        "TEST09",
        run_dir,
        out_dir,
        "verify_output_len.txt",
        &verdict.text,
    )?;
    output::info(&format!("wrote {}", dir.display()));
    Ok(verdict.passed)
}

/// Makes the audit run of `test` with `ossperf run`'s `flags` plus the audit.config (the one
/// given, else the shipped one, written into the run's directory) and returns its log
/// directory: a new `<output-dir>/<scenario>/<test>` (`<test>-2`, … when taken), so an audit run
/// never overwrites a performance run or an earlier audit run.
pub(crate) fn audit_run(
    test: &str,
    flags: &[String],
    audit: Option<&Path>,
    shipped: &str,
) -> anyhow::Result<PathBuf> {
    use crate::runner::{load_dataset, RunPlan, Session};
    use clap::Parser as _;

    let argv = ["ossperf", "run"]
        .into_iter()
        .map(String::from)
        .chain(flags.iter().cloned());
    let cli = crate::Cli::try_parse_from(argv)
        .map_err(|e| anyhow::anyhow!("the audit run's flags: {}", e.to_string().trim_end()))?;
    let crate::cli::Command::Run(mut args) = cli.command else {
        anyhow::bail!("the audit run's flags must be `ossperf run` flags");
    };
    if args.conf.audit_config.is_some() {
        anyhow::bail!(
            "give the audit.config as `ossperf compliance --audit-config`, not after `--`"
        );
    }
    let parent = args
        .output_dir
        .join(crate::settings::scenario_name(args.conf.scenario));
    let log_dir = crate::results_dir::claim(&parent, test)?;
    let audit = match audit {
        Some(path) => path.to_path_buf(),
        None => {
            let path = log_dir.join("audit.config");
            std::fs::write(&path, shipped)
                .with_context(|| format!("cannot write `{}`", path.display()))?;
            path
        }
    };
    args.conf.audit_config = Some(audit);
    let mut plan = RunPlan::resolve(args)?;
    plan.log_dir = log_dir;
    let dataset = load_dataset(&plan)?;
    if test == "TEST07" && plan.loaded.settings.scenario == ossperf_loadgen::Scenario::Offline {
        // performance_issue_unique issues each loaded sample once: load all 990 rows.
        plan.loaded.settings.performance_sample_count_override = dataset.len() as u64;
    }
    let session = Session::open(&plan, &dataset)?;
    output::info(&format!(
        "{test}: the audit run, logs in `{}`",
        plan.log_dir.display()
    ));
    let outcome = session.execute(&plan, &dataset, true)?;
    output::data(outcome.report.summary.trim_end());
    Ok(plan.log_dir)
}

fn run_dir(
    given: Option<PathBuf>,
    test: &str,
    flags: &[String],
    audit: Option<&Path>,
    shipped: &str,
) -> anyhow::Result<PathBuf> {
    match given {
        Some(dir) if flags.is_empty() => Ok(dir),
        Some(_) => {
            anyhow::bail!("give either `--compliance-dir` or run flags after `--`, not both")
        }
        None => audit_run(test, flags, audit, shipped),
    }
}

/// Runs `ossperf compliance`: exit 0 on TEST PASS, 1 on TEST FAIL.
pub(crate) fn run(cmd: ComplianceCommand) -> anyhow::Result<ExitCode> {
    let passed = match cmd {
        ComplianceCommand::Test07(a) => test07(
            &run_dir(
                a.compliance_dir,
                "TEST07",
                &a.run,
                a.audit_config.as_deref(),
                TEST07_AUDIT,
            )?,
            &a.reference_data,
            a.audit_config.as_deref(),
            a.accuracy_threshold,
            &a.output_dir,
        )?,
        ComplianceCommand::Test09(a) => test09(
            &run_dir(
                a.compliance_dir,
                "TEST09",
                &a.run,
                a.audit_config.as_deref(),
                TEST09_AUDIT,
            )?,
            a.audit_config.as_deref(),
            a.min_output_tokens,
            a.max_output_tokens,
            &a.output_dir,
        )?,
    };
    Ok(if passed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_audit_configs_give_the_spec_thresholds_and_flags_override_them() {
        let t07 = threshold(None, None, TEST07_AUDIT, "test07_accuracy_threshold").unwrap();
        assert_eq!(t07, 60.698);
        let min = threshold(None, None, TEST09_AUDIT, "test09_min_output_tokens").unwrap();
        let max = threshold(None, None, TEST09_AUDIT, "test09_max_output_tokens").unwrap();
        assert_eq!((min, max), (1150.38, 1406.02));
        assert_eq!(
            threshold(Some(50.0), None, TEST07_AUDIT, "test07_accuracy_threshold").unwrap(),
            50.0
        );
        let err = threshold(None, None, TEST09_AUDIT, "test07_accuracy_threshold").unwrap_err();
        assert_eq!(
            err.to_string(),
            "no `test07_accuracy_threshold`: pass it on the command line or in --audit-config"
        );
    }

    #[test]
    fn test09_writes_the_checker_layout_and_fails_an_out_of_range_mean() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir_all(&run).unwrap();
        let entry = format!(
            "{{\"qsl_idx\": 0, \"data\": \"{}\"}}",
            "01000000".repeat(10)
        );
        std::fs::write(run.join("mlperf_log_accuracy.json"), format!("[{entry}]")).unwrap();
        let out = dir.path().join("out");
        assert!(!test09(&run, None, None, None, &out).unwrap());
        let text = std::fs::read_to_string(out.join("TEST09/verify_output_len.txt")).unwrap();
        assert!(
            text.ends_with("Min check pass: False\nMax check pass: True\nTEST FAIL\n"),
            "{text}"
        );
        assert!(out
            .join("TEST09/accuracy/mlperf_log_accuracy.json")
            .is_file());
        assert!(test09(&run, None, Some(5.0), Some(10.0), &out).unwrap());
    }
}
