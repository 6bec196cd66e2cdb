//! The checker's measurements checks (`checks/measurements_checks.py`, `MeasurementsCheck`):
//! `measurements.json`, `user.conf` and `README.md` in the scenario directory, and `src/`.

use super::{system::is_empty, Findings, Scenario};
use crate::submission::layout::{self, ScenarioDir};

/// `SYSTEM_IMP_REQUIRED_FILES`: the fields `measurements.json` needs, none empty.
pub(crate) const MEASUREMENTS_REQUIRED_FIELDS: [&str; 5] = [
    "input_data_types",
    "retraining",
    "starting_weights_filename",
    "weight_data_types",
    "weight_transformations",
];

pub(super) fn check(findings: &mut Findings, s: &Scenario<'_>) {
    let path = s.dir.measurements();
    let json = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok());
    if json.is_none() {
        findings.checker(
            "measurements.missing",
            &path,
            "is missing or not JSON".into(),
        );
    }
    let src = layout::src_dir(s.org_dir);
    if !src.is_dir() {
        findings.checker(
            "measurements.src",
            &src,
            "is missing; the checker requires the submission's code directory".into(),
        );
    }
    for file in ScenarioDir::MEASURE_FILES {
        let path = s.dir.0.join(file);
        match std::fs::metadata(&path) {
            Ok(m) if m.is_file() && m.len() == 0 => findings.checker(
                "measurements.file_empty",
                &path,
                "is empty; the checker requires it filled".into(),
            ),
            Ok(m) if m.is_file() => {}
            _ => findings.checker(
                "measurements.file_missing",
                &path,
                "is missing; the checker requires it beside measurements.json".into(),
            ),
        }
    }
    let Some(json) = json else {
        return;
    };
    for key in MEASUREMENTS_REQUIRED_FIELDS {
        match json.get(key) {
            None => findings.checker(
                "measurements.field_missing",
                &path,
                format!("has no field `{key}`, which the checker requires"),
            ),
            Some(v) if is_empty(v) => findings.checker(
                "measurements.field_empty",
                &path,
                format!("field `{key}` is empty; the checker requires a meaningful value"),
            ),
            Some(_) => {}
        }
    }
}
