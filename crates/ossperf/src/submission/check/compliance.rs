//! The checker's compliance checks for gpt-oss-120b (`checks/compliance_check.py`,
//! `ComplianceCheck.dir_exists_check` and `accuracy_check`): `TEST07/verify_accuracy.txt` and
//! `TEST09/verify_output_len.txt` in the scenario directory, each saying "TEST PASS". The open
//! division needs none.

use super::{Findings, Scenario};
use crate::submission::layout::COMPLIANCE_TESTS;

pub(super) fn check(findings: &mut Findings, s: &Scenario<'_>) {
    if s.division == "open" {
        return;
    }
    for (test, verify) in COMPLIANCE_TESTS {
        let dir = s.dir.test(test);
        if !dir.is_dir() {
            findings.checker(
                "compliance.dir",
                &dir,
                format!("is missing; the checker requires {test} for gpt-oss-120b"),
            );
        }
        let path = dir.join(verify);
        match std::fs::read(&path) {
            Err(_) => findings.checker(
                "compliance.verify_missing",
                &path,
                format!("is missing; the checker requires {test}'s verdict in it"),
            ),
            Ok(bytes) => {
                if !String::from_utf8_lossy(&bytes).contains("TEST PASS") {
                    findings.checker(
                        "compliance.failed",
                        &path,
                        format!("does not say \"TEST PASS\"; {test} failed"),
                    );
                }
            }
        }
    }
}
