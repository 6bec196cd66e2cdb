//! The submission checker's directory tree: the one home of its paths, which `assemble` writes
//! and `check` reads.
//!
//! From `tools/submission/submission_checker/constants.py` of mlcommons/inference (the v6.1
//! entries of `PERFORMANCE_LOG_PATH`, `ACCURACY_LOG_PATH`, `ACCURACY_RESULT_PATH`,
//! `ACCURACY_JSON_PATH`, `MEASUREMENTS_PATH`, `COMPLIANCE_PATH`, `TEST07_ACC_PATH`,
//! `TEST09_ACC_PATH`, `SYSTEM_PATH`, `SRC_PATH`); docs/SUBMISSION.md names the commit.

use std::path::{Path, PathBuf};

/// The benchmark's directory name under `results/<system>/`.
pub(crate) const BENCHMARK: &str = "gpt-oss-120b";

/// The divisions the checker walks (`VALID_DIVISIONS`).
pub(crate) const DIVISIONS: [&str; 3] = ["open", "closed", "network"];

/// LoadGen's two logs, in every performance and accuracy directory (`REQUIRED_PERF_FILES`).
pub(crate) const SUMMARY: &str = "mlperf_log_summary.txt";
pub(crate) const DETAIL: &str = "mlperf_log_detail.txt";
/// The accuracy log, truncated in a submission.
pub(crate) const ACCURACY_LOG: &str = "mlperf_log_accuracy.json";
/// The score's output with the hash line.
pub(crate) const ACCURACY_TXT: &str = "accuracy.txt";

/// The compliance tests of gpt-oss-120b (`models_TEST07`, `models_TEST09`) and the file whose
/// "TEST PASS" each needs.
pub(crate) const COMPLIANCE_TESTS: [(&str, &str); 2] = [
    ("TEST07", "verify_accuracy.txt"),
    ("TEST09", "verify_output_len.txt"),
];

/// `<division>/<org>/`.
pub(crate) fn org_dir(root: &Path, division: &str, org: &str) -> PathBuf {
    root.join(division).join(org)
}

/// `<division>/<org>/systems/<system>.json`.
pub(crate) fn system_json(org_dir: &Path, system: &str) -> PathBuf {
    org_dir.join("systems").join(format!("{system}.json"))
}

/// `<division>/<org>/src` (v6.1's `SRC_PATH`; `code` before v6.0). It must exist.
pub(crate) fn src_dir(org_dir: &Path) -> PathBuf {
    org_dir.join("src")
}

/// `<division>/<org>/results`.
pub(crate) fn results_dir(org_dir: &Path) -> PathBuf {
    org_dir.join("results")
}

/// The directory name of a scenario (`Offline`, `Server`, `Interactive`) from the name
/// `submission run` uses (`offline`, ...).
pub(crate) fn scenario_dir_name(run_name: &str) -> Option<&'static str> {
    match run_name {
        "offline" => Some("Offline"),
        "server" => Some("Server"),
        "interactive" => Some("Interactive"),
        _ => None,
    }
}

/// One scenario's directory, `results/<system>/gpt-oss-120b/<Scenario>/`, and its files.
pub(crate) struct ScenarioDir(pub PathBuf);

impl ScenarioDir {
    /// `results/<system>/<benchmark>/<scenario>/` under `org_dir`.
    pub(crate) fn new(org_dir: &Path, system: &str, scenario: &str) -> Self {
        Self(
            results_dir(org_dir)
                .join(system)
                .join(BENCHMARK)
                .join(scenario),
        )
    }

    /// `performance/run_1/`.
    pub(crate) fn performance(&self) -> PathBuf {
        self.0.join("performance").join("run_1")
    }

    /// `accuracy/`.
    pub(crate) fn accuracy(&self) -> PathBuf {
        self.0.join("accuracy")
    }

    /// `measurements.json`.
    pub(crate) fn measurements(&self) -> PathBuf {
        self.0.join("measurements.json")
    }

    /// `user.conf`, `README.md`: the files the measurements check requires beside it
    /// (`REQUIRED_MEASURE_FILES`).
    pub(crate) const MEASURE_FILES: [&'static str; 2] = ["user.conf", "README.md"];

    /// `mlperf.conf` (optional; the layout document places it here).
    pub(crate) fn mlperf_conf(&self) -> PathBuf {
        self.0.join("mlperf.conf")
    }

    /// `<TEST0x>/` (`COMPLIANCE_PATH` is the scenario directory itself since v6.0).
    pub(crate) fn test(&self, test: &str) -> PathBuf {
        self.0.join(test)
    }
}
