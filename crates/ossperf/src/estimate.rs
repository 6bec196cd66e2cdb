//! What a run will issue and how long it will take, known before the first query.
//!
//! LoadGen decides every query up front from the effective settings, so this calls the same
//! `loadable_sets`/`generate_queries` a run calls (and `ossperf plan` prints): the counts are
//! exact, not modelled. Two samples-per-query figures matter and differ: the one LoadGen logs
//! (`effective_samples_per_query`, which the submission checker reads) and the one actually
//! issued after equal-issue padding rounds Offline's query up to whole copies of the loaded set.

use std::time::Duration;

use anyhow::Context;
use ossperf_loadgen::{generate_queries, loadable_sets, EffectiveSettings, Phase, Scenario};

use crate::report::PhaseEstimate;

/// Estimates every phase the settings' mode runs, for a QSL of `total` samples.
pub(crate) fn estimate(e: &EffectiveSettings, total: usize) -> anyhow::Result<Vec<PhaseEstimate>> {
    Phase::for_mode(e.mode)
        .iter()
        .map(|&phase| phase_estimate(e, total, phase))
        .collect()
}

fn phase_estimate(
    e: &EffectiveSettings,
    total: usize,
    phase: Phase,
) -> anyhow::Result<PhaseEstimate> {
    let name = match phase {
        Phase::Performance => "performance",
        Phase::Accuracy => "accuracy",
    };
    let sets = loadable_sets(e, total, phase);
    let (mut queries, mut samples, mut issued_spq, mut last_ns) = (0u64, 0u64, 0u64, 0u64);
    for (set_no, set) in phase.sets_used(&sets).iter().enumerate() {
        let generated = generate_queries(e, set, phase)
            .with_context(|| format!("cannot generate the queries of {name} set {set_no}"))?;
        queries += generated.query_count();
        samples += generated.sample_count() as u64;
        issued_spq = issued_spq.max(generated.samples_per_query);
        last_ns += generated.queries.last().map_or(0, |q| q.scheduled_ns);
    }
    let duration_ns = if e.scenario == Scenario::Offline && e.target_qps > 0.0 {
        (samples as f64 / e.target_qps * 1e9) as u64
    } else {
        last_ns
    };
    Ok(PhaseEstimate {
        phase: name.to_string(),
        queries,
        logged_samples_per_query: e.samples_per_query,
        issued_samples_per_query: issued_spq,
        samples,
        duration_ns,
    })
}

/// One line per phase, printed before the first query.
pub(crate) fn lines(estimates: &[PhaseEstimate], target_qps: f64) -> Vec<String> {
    estimates
        .iter()
        .map(|p| {
            format!(
                "{}: {} {} issuing {} samples (samples_per_query logged {}, issued {}); expected {} at target_qps {}",
                p.phase,
                p.queries,
                if p.queries == 1 { "query" } else { "queries" },
                p.samples,
                p.logged_samples_per_query,
                p.issued_samples_per_query,
                clock(Duration::from_nanos(p.duration_ns)),
                target_qps
            )
        })
        .collect()
}

/// `1 h 46 min 36 s`, `10 min 0 s`, `2.35 s`: whole units for long runs, two decimals below
/// a minute.
pub(crate) fn clock(d: Duration) -> String {
    let secs = d.as_secs();
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    if h > 0 {
        format!("{h} h {m} min {s} s")
    } else if m > 0 {
        format!("{m} min {s} s")
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use ossperf_loadgen::{reference_settings, ConfFile, TestMode};

    use super::*;

    pub(crate) fn settings(scenario: Scenario, user: &str, total: u64) -> EffectiveSettings {
        let user = ConfFile::parse("user.conf", user).unwrap();
        let mlperf = ConfFile::builtin_mlperf().unwrap();
        let loaded = reference_settings(
            "gpt-oss-120b",
            scenario,
            TestMode::PerformanceOnly,
            &mlperf,
            Some(&user),
            None,
        )
        .unwrap();
        EffectiveSettings::derive(&loaded.settings, total, total)
    }

    #[test]
    fn offline_at_one_qps_logs_660_samples_per_query_but_issues_the_whole_set() {
        let e = settings(
            Scenario::Offline,
            "gpt-oss-120b.Offline.target_qps = 1\n",
            6396,
        );
        let p = &estimate(&e, 6396).unwrap()[0];
        assert_eq!(
            (
                p.queries,
                p.logged_samples_per_query,
                p.issued_samples_per_query,
                p.samples
            ),
            (1, 660, 6396, 6396)
        );
        assert_eq!(
            clock(Duration::from_nanos(p.duration_ns)),
            "1 h 46 min 36 s"
        );
    }

    #[test]
    fn clock_uses_whole_units_above_a_minute() {
        assert_eq!(clock(Duration::from_millis(600_000)), "10 min 0 s");
        assert_eq!(clock(Duration::from_millis(2_346)), "2.35 s");
    }
}
