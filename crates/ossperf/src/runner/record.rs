//! What a run knows before its first query: what it will issue and for how long, whether its
//! result can be submitted, and how it was configured. Printed before the run, then recorded
//! in `results.json` (with the verdict redone once the outcome is known).

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use ossperf_dataset::Dataset;
use ossperf_loadgen::{EffectiveSettings, TestReport};
use sha2::{Digest, Sha256};

use super::plan::{RunPlan, Target};
use crate::cli::run::LoadgenArg;
use crate::report::{
    ConfRecord, DatasetRecord, GenerationRecord, PhaseEstimate, RunConfig, ServerRecord,
    Submittable,
};
use crate::submittable;

/// The estimate, the verdict before the run, and the configuration record.
pub(super) struct Preflight {
    /// The settings as LoadGen will derive them for this dataset.
    settings: EffectiveSettings,
    /// What each phase issues.
    pub estimate: Vec<PhaseEstimate>,
    /// The verdict before the run.
    pub before: Submittable,
}

impl Preflight {
    /// Derives the settings for `dataset` and computes the estimate and the verdict.
    pub(super) fn new(plan: &RunPlan, dataset: &Dataset) -> anyhow::Result<Preflight> {
        let rows = dataset.len() as u64;
        let settings = EffectiveSettings::derive(&plan.loaded.settings, rows, rows);
        let estimate = crate::estimate::estimate(&settings, dataset.len())?;
        let before = verdict(plan, &settings, rows, None);
        Ok(Preflight {
            settings,
            estimate,
            before,
        })
    }

    /// The lines printed before the first query.
    pub(super) fn lines(&self, plan: &RunPlan) -> Vec<String> {
        let mut lines = crate::estimate::lines(&self.estimate, self.settings.target_qps);
        if simulated(plan) {
            lines.push(SIMULATED_LINE.to_string());
        }
        lines.extend(submittable::lines(&self.before));
        lines
    }

    /// The verdict once `report` is known (the settings as the LoadGen that ran logged them).
    pub(super) fn after(&self, plan: &RunPlan, report: &TestReport) -> Submittable {
        let rows = self.settings.qsl_total_sample_count;
        verdict(
            plan,
            &report.settings,
            rows,
            Some((report.valid, report.errors)),
        )
    }
}

/// The line that marks a run against the built-in simulator, before and after it.
pub(super) const SIMULATED_LINE: &str =
    "SIMULATED: the built-in simulator answers the requests; no real server is measured";

/// Whether the built-in simulator answers.
pub(super) fn simulated(plan: &RunPlan) -> bool {
    matches!(plan.target, Target::Simulator(_))
}

fn verdict(
    plan: &RunPlan,
    settings: &EffectiveSettings,
    rows: u64,
    outcome: Option<(bool, u64)>,
) -> Submittable {
    submittable::verdict(&submittable::Inputs {
        settings,
        dataset_rows: rows,
        official_loadgen: plan.loadgen == LoadgenArg::Official,
        simulated: simulated(plan),
        outcome,
    })
}

/// The configuration record of a run on `servers`.
pub(super) fn config(
    plan: &RunPlan,
    dataset: &Dataset,
    servers: Vec<ServerRecord>,
    estimate: Vec<PhaseEstimate>,
    first_salt: Option<u64>,
) -> anyhow::Result<RunConfig> {
    let g = plan.generation;
    Ok(RunConfig {
        command_line: std::env::args_os()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
        dataset: DatasetRecord {
            path: plan.input_file.as_ref().map(|p| p.display().to_string()),
            rows: dataset.len() as u64,
            sha256: match &plan.input_file {
                Some(path) => file_sha256(path)?,
                None => hex::encode(Sha256::digest(ossperf_dataset::BUNDLED_SAMPLE)),
            },
        },
        conf_files: conf_files(plan)?,
        generation: GenerationRecord {
            max_new_tokens: g.max_new_tokens,
            temperature: g.temperature,
            top_k: g.top_k,
            top_p: g.top_p,
            stream: plan.stream,
        },
        backend: match &plan.target {
            Target::Simulator(_) => "sim",
            Target::Servers {
                backend: ossperf_client::Backend::Sglang,
                ..
            } => "sglang",
            Target::Servers { .. } => "openai",
        }
        .to_string(),
        simulated: simulated(plan),
        servers,
        estimate,
        first_salt,
    })
}

/// The conf files in the order they apply, each with its whole text.
fn conf_files(plan: &RunPlan) -> anyhow::Result<Vec<ConfRecord>> {
    let files = &plan.conf_files;
    let read = |role: &str, path: &Path| -> anyhow::Result<ConfRecord> {
        Ok(ConfRecord {
            role: role.to_string(),
            origin: path.display().to_string(),
            text: std::fs::read_to_string(path)
                .with_context(|| format!("cannot read `{}` again", path.display()))?,
        })
    };
    let builtin = ConfRecord {
        role: "mlperf.conf".into(),
        origin: "built-in".into(),
        text: ossperf_loadgen::config::BUILTIN_MLPERF_CONF.into(),
    };
    // A custom mlperf.conf applies first; LoadGen's built-in one follows it (docs/CONF.md).
    let mut out = match &files.mlperf {
        Some(path) => vec![read("mlperf.conf", path)?, builtin],
        None => vec![builtin],
    };
    out.push(match &files.user {
        Some(path) => read("user.conf", path)?,
        None => ConfRecord {
            role: "user.conf".into(),
            origin: if plan.demo_conf {
                "built-in demo"
            } else {
                "built-in"
            }
            .into(),
            text: files.default_user.into(),
        },
    });
    if let Some(path) = &files.audit {
        out.push(read("audit.config", path)?);
    }
    Ok(out)
}

/// SHA-256 of a file's bytes, read in blocks (a dataset can be large).
fn file_sha256(path: &Path) -> anyhow::Result<String> {
    let context = || format!("cannot hash the dataset `{}`", path.display());
    let mut file = std::fs::File::open(path).with_context(context)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).with_context(context)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex::encode(hasher.finalize()))
}
