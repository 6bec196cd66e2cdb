//! A test driven by the official LoadGen (`--loadgen official`): the same SUT and QSL, the conf
//! files handed over as `run_mlperf.py` hands them, and the result read back from the official
//! library's own logs so `results.json`, the report and the summary carry its figures
//! (docs/OFFICIAL_LOADGEN.md).

use std::path::{Path, PathBuf};

use anyhow::Context;
use ossperf_loadgen::logs::read::DetailLog;
use ossperf_loadgen::logs::LogPaths;
use ossperf_loadgen::settings::LogOutputSettings;
use ossperf_loadgen::{
    EffectiveSettings, Phase, QuerySampleLibrary, SampleRecord, SystemUnderTest, TestReport,
};
use ossperf_loadgen_official::{Outcome, Test};

use super::plan::RunPlan;

/// The audit.config the official library reads when given no other: LoadGen's default name,
/// in the working directory, as under `run_mlperf.py`.
const DEFAULT_AUDIT_CONFIG: &str = "audit.config";

/// Runs `plan`'s test under the official library and reports it as ossperf's LoadGen would.
pub(super) fn run(
    plan: &RunPlan,
    sut: &dyn SystemUnderTest,
    qsl: &dyn QuerySampleLibrary,
) -> anyhow::Result<TestReport> {
    let user_conf = user_conf(plan)?;
    let audit = match &plan.conf_files.audit {
        Some(path) => path.clone(),
        None => {
            if Path::new(DEFAULT_AUDIT_CONFIG).is_file() {
                crate::output::warn(
                    "`audit.config` in the working directory applies to this run: the official \
                     LoadGen reads it as it does under run_mlperf.py",
                );
            }
            PathBuf::from(DEFAULT_AUDIT_CONFIG)
        }
    };
    let settings = &plan.loaded.settings;
    let outcome = ossperf_loadgen_official::start_test(
        sut,
        qsl,
        &Test {
            model: plan.model(),
            scenario: settings.scenario,
            mode: plan.conf_files.mode,
            mlperf_conf: plan.conf_files.mlperf.as_deref(),
            user_conf: Some(&user_conf),
            audit_config: &audit,
            outdir: &plan.log_dir,
        },
    )?;
    let eff = EffectiveSettings::derive(
        settings,
        qsl.total_sample_count() as u64,
        qsl.performance_sample_count() as u64,
    );
    report(&plan.log_dir, sut.name(), eff, outcome)
}

/// The report of a test that a child `ossperf run --loadgen official` made in `log_dir` with
/// `settings`, read back from its logs and `results.json` exactly as the child read its own
/// (the library's figures from its detail log; ossperf's view of each sample from the
/// records), so a command that runs each official test in a child process sees what an
/// in-process test would give it. `rows` is the dataset's row count (the QSL's sizes).
pub(crate) fn read_back(
    log_dir: &Path,
    settings: &ossperf_loadgen::TestSettings,
    rows: usize,
) -> anyhow::Result<super::Outcome> {
    let results = crate::report::load_results(log_dir)?;
    let mut failures = ossperf_loadgen::responder::FailureSummary::default();
    let samples = results
        .requests
        .iter()
        .enumerate()
        .map(|(i, r)| {
            if let Some(e) = &r.error {
                failures.record(&e.message);
            }
            ossperf_loadgen_official::SampleTimes {
                id: i as u64 + 1,
                index: usize::try_from(r.qsl_idx).unwrap_or(usize::MAX),
                issued_ns: r.issued_ns,
                first_token_ns: r.first_token_ns,
                complete_ns: Some(r.complete_ns),
                n_tokens: i64::from(r.output_tokens),
                error: r.error.as_ref().map(|e| e.message.clone()),
            }
        })
        .collect();
    let outcome = Outcome {
        samples,
        loaded_sets: Vec::new(),
        failures,
    };
    let eff = EffectiveSettings::derive(settings, rows as u64, rows as u64);
    let report = report(log_dir, super::SUT_NAME.to_string(), eff, outcome)?;
    let files = vec![
        report.logs.summary.clone(),
        report.logs.detail.clone(),
        report.logs.accuracy.clone(),
        log_dir.join(crate::report::RESULTS_FILE),
        log_dir.join(crate::report::REPORT_FILE),
    ];
    Ok(super::Outcome {
        report,
        results,
        files,
        interrupted: None,
    })
}

/// The user.conf given, or the built-in one ossperf would use, written beside the logs so the
/// library reads a file (as `FromConfig` must) and the run keeps what it used.
fn user_conf(plan: &RunPlan) -> anyhow::Result<PathBuf> {
    if let Some(path) = &plan.conf_files.user {
        return Ok(path.clone());
    }
    let path = plan.log_dir.join("user.conf");
    std::fs::write(&path, plan.conf_files.default_user)
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(path)
}

/// The official library's logs and ossperf's view of each sample, as a [`TestReport`].
fn report(
    log_dir: &Path,
    sut_name: String,
    eff: EffectiveSettings,
    outcome: Outcome,
) -> anyhow::Result<TestReport> {
    let logs = LogPaths::new(
        &LogOutputSettings {
            outdir: log_dir.to_path_buf(),
            ..LogOutputSettings::default()
        },
        "",
    );
    let summary = std::fs::read_to_string(&logs.summary)
        .with_context(|| format!("the official LoadGen wrote no `{}`", logs.summary.display()))?;
    let detail = DetailLog::read(&logs.detail)?;
    let phase = if eff.mode == ossperf_loadgen::TestMode::AccuracyOnly {
        Phase::Accuracy
    } else {
        Phase::Performance
    };
    let samples: Vec<SampleRecord> = outcome
        .samples
        .iter()
        .enumerate()
        .map(|(i, s)| SampleRecord {
            phase,
            seq_id: i as u64,
            response_id: s.id,
            qsl_idx: s.index,
            // The library does not say when a query was due; its issue is the nearest time.
            scheduled_ns: s.issued_ns,
            issued_ns: s.issued_ns,
            first_token_ns: s.first_token_ns,
            complete_ns: s.complete_ns.unwrap_or(s.issued_ns),
            n_tokens: s.n_tokens,
            error: s.error.clone(),
        })
        .collect();
    let completed = samples.iter().filter(|s| s.error.is_none()).count() as u64;
    let tokens = samples
        .iter()
        .filter(|s| s.error.is_none())
        .map(|s| s.n_tokens)
        .sum();
    let token_mode = eff.requested.use_token_latencies;
    let mut performance = detail.performance(eff.scenario, token_mode, completed, Some(tokens));
    let mut invalid_reasons = Vec::new();
    if let Some(perf) = performance.as_mut() {
        if !perf.valid {
            // One reason each, as the native LoadGen's report gives them.
            invalid_reasons.extend(perf.reasons());
        }
        if outcome.failures.count > 0 {
            perf.extra_reasons.push(outcome.failures.reason_line());
            perf.valid = false;
        }
    }
    if outcome.failures.count > 0 {
        invalid_reasons.push(outcome.failures.reason_line());
    }
    Ok(TestReport {
        scenario: eff.scenario,
        mode: eff.mode,
        sut_name,
        valid: invalid_reasons.is_empty(),
        invalid_reasons,
        aborted: false,
        performance,
        failures: outcome.failures,
        samples,
        settings: eff,
        summary,
        warnings: detail.warnings,
        errors: detail.errors,
        logs,
    })
}
