//! Whether a run's result can go into a closed-division submission, with every reason it
//! cannot: the one verdict that `run` and `plan` print before the first query, and that the
//! summary lines, `results.json` and the report carry after it.
//!
//! The rules are the submission checker's for gpt-oss-120b, read from
//! `tools/submission/submission_checker/` of mlcommons/inference (see docs/SUBMISSION.md for
//! the file and commit of each), plus two of ossperf's own: the closed division expects the
//! official LoadGen library, and a run served by the built-in simulator measures no system.

use ossperf_loadgen::{EffectiveSettings, Scenario, TestMode};

use crate::report::Submittable;

/// `TEST_DURATION_MS` (constants.py), checked against `effective_min_duration_ms`.
pub(crate) const MIN_DURATION_MS: u64 = 600_000;
/// `OFFLINE_MIN_SPQ_SINCE_V4["gpt-oss-120b"]`, checked against `effective_samples_per_query`.
pub(crate) const OFFLINE_MIN_SAMPLES_PER_QUERY: u64 = 6396;
/// `performance-sample-count` (and `dataset-size`) of gpt-oss-120b.
pub(crate) const PERFORMANCE_SAMPLE_COUNT: u64 = 6396;
/// `accuracy-sample-count` of gpt-oss-120b, compared for equality.
pub(crate) const ACCURACY_SAMPLE_COUNT: u64 = 4395;
/// The v6.1 `seeds` (qsl, sample index, schedule).
pub(crate) const SEEDS: [(&str, u64); 3] = [
    ("qsl_rng_seed", 2_085_463_073_848_966_840),
    ("sample_index_rng_seed", 2_747_215_439_041_700_203),
    ("schedule_rng_seed", 16_159_082_839_903_944_936),
];

/// What the verdict is decided from.
pub(crate) struct Inputs<'a> {
    /// The effective settings (as LoadGen logs them).
    pub settings: &'a EffectiveSettings,
    /// Rows of the dataset the QSL holds.
    pub dataset_rows: u64,
    /// Whether the official LoadGen library drives the test.
    pub official_loadgen: bool,
    /// Whether the built-in simulator answers.
    pub simulated: bool,
    /// After the run: whether it was VALID and how many errors LoadGen logged.
    pub outcome: Option<(bool, u64)>,
}

/// The verdict: every rule that fails gives one reason.
pub(crate) fn verdict(inputs: &Inputs<'_>) -> Submittable {
    let e = inputs.settings;
    let mut reasons = Vec::new();
    let performance = matches!(e.mode, TestMode::PerformanceOnly | TestMode::SubmissionRun);
    let accuracy = matches!(e.mode, TestMode::AccuracyOnly | TestMode::SubmissionRun);
    if !matches!(e.mode, TestMode::PerformanceOnly | TestMode::AccuracyOnly) {
        reasons.push(format!(
            "the mode is `{}`; a submission holds PerformanceOnly and AccuracyOnly runs",
            e.mode.as_str()
        ));
    }
    if performance {
        if e.performance_sample_count < PERFORMANCE_SAMPLE_COUNT {
            reasons.push(format!(
                "`effective_performance_sample_count` is `{}`; the checker needs at least `{PERFORMANCE_SAMPLE_COUNT}`",
                e.performance_sample_count
            ));
        }
        if inputs.dataset_rows < PERFORMANCE_SAMPLE_COUNT {
            reasons.push(format!(
                "the dataset has `{}` rows; the performance dataset has `{PERFORMANCE_SAMPLE_COUNT}`",
                inputs.dataset_rows
            ));
        }
    }
    for (key, official) in SEEDS {
        let value = match key {
            "qsl_rng_seed" => e.qsl_rng_seed,
            "sample_index_rng_seed" => e.sample_index_rng_seed,
            _ => e.schedule_rng_seed,
        };
        if value != official {
            reasons.push(format!(
                "`effective_{key}` is `{value}`; the checker needs the official `{official}`"
            ));
        }
    }
    if performance {
        if e.scenario == Scenario::Offline && e.samples_per_query < OFFLINE_MIN_SAMPLES_PER_QUERY {
            reasons.push(format!(
                "`effective_samples_per_query` is `{}`; the closed division needs at least `{OFFLINE_MIN_SAMPLES_PER_QUERY}` in Offline",
                e.samples_per_query
            ));
        }
        if e.min_duration_ms < MIN_DURATION_MS {
            reasons.push(format!(
                "`effective_min_duration_ms` is `{}`; the checker needs at least `{MIN_DURATION_MS}`",
                e.min_duration_ms
            ));
        }
    }
    if !e.requested.use_token_latencies {
        reasons.push(
            "`requested_use_token_latencies` is off; the checker needs it on for an LLM"
                .to_string(),
        );
    }
    if accuracy {
        if e.accuracy_sample_count != ACCURACY_SAMPLE_COUNT {
            reasons.push(format!(
                "`effective_accuracy_sample_count` is `{}`; the checker needs `{ACCURACY_SAMPLE_COUNT}`",
                e.accuracy_sample_count
            ));
        }
        if inputs.dataset_rows < ACCURACY_SAMPLE_COUNT {
            reasons.push(format!(
                "the dataset has `{}` rows; the accuracy run covers `{ACCURACY_SAMPLE_COUNT}`",
                inputs.dataset_rows
            ));
        }
    }
    if !inputs.official_loadgen {
        reasons.push("ossperf's own LoadGen ran (`--loadgen native`); the closed division expects the official LoadGen library (`--loadgen official`)".to_string());
    }
    if inputs.simulated {
        reasons.push(
            "the built-in simulator answered the requests: the result measures no real server"
                .to_string(),
        );
    }
    if let Some((valid, errors)) = inputs.outcome {
        if !valid {
            reasons.push("the result is INVALID".to_string());
        }
        if errors > 0 {
            reasons.push(format!("LoadGen logged `{errors}` error(s)"));
        }
    }
    Submittable {
        submittable: reasons.is_empty(),
        reasons,
    }
}

/// `submittable: yes`, or `submittable: no` followed by one indented line per reason.
pub(crate) fn lines(s: &Submittable) -> Vec<String> {
    let mut out = vec![format!(
        "submittable: {}",
        if s.submittable { "yes" } else { "no" }
    )];
    out.extend(s.reasons.iter().map(|r| format!("  - {r}")));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::tests::settings;

    fn reasons(e: &EffectiveSettings, rows: u64, official: bool, simulated: bool) -> Vec<String> {
        verdict(&Inputs {
            settings: e,
            dataset_rows: rows,
            official_loadgen: official,
            simulated,
            outcome: None,
        })
        .reasons
    }

    #[test]
    fn offline_with_the_official_defaults_and_library_on_a_real_server_is_submittable() {
        let e = settings(
            Scenario::Offline,
            "gpt-oss-120b.Offline.target_qps = 11\n",
            6396,
        );
        let s = verdict(&Inputs {
            settings: &e,
            dataset_rows: 6396,
            official_loadgen: true,
            simulated: false,
            outcome: Some((true, 0)),
        });
        assert_eq!(lines(&s), ["submittable: yes"]);
    }

    #[test]
    fn offline_at_one_qps_gives_every_reason_it_cannot_be_submitted() {
        let e = settings(
            Scenario::Offline,
            "gpt-oss-120b.Offline.target_qps = 1\ngpt-oss-120b.Offline.min_duration = 60000\n",
            6396,
        );
        assert_eq!(
            reasons(&e, 20, false, true),
            [
                "the dataset has `20` rows; the performance dataset has `6396`",
                "`effective_samples_per_query` is `100`; the closed division needs at least `6396` in Offline",
                "`effective_min_duration_ms` is `60000`; the checker needs at least `600000`",
                "ossperf's own LoadGen ran (`--loadgen native`); the closed division expects the official LoadGen library (`--loadgen official`)",
                "the built-in simulator answered the requests: the result measures no real server",
            ]
        );
    }

    #[test]
    fn changed_seeds_and_token_latencies_off_are_reasons() {
        // Seeds come only from mlperf.conf (LoadGen ignores them in user.conf): a custom
        // `--mlperf-conf` is how a run gets other ones.
        let mut e = settings(
            Scenario::Server,
            "gpt-oss-120b.*.use_token_latencies = 0\n",
            6396,
        );
        e.qsl_rng_seed = 5;
        assert_eq!(
            reasons(&e, 6396, true, false),
            [
                "`effective_qsl_rng_seed` is `5`; the checker needs the official `2085463073848966840`",
                "`requested_use_token_latencies` is off; the checker needs it on for an LLM",
            ]
        );
    }
}
