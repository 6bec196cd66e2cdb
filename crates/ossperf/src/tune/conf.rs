//! The user.conf side of tuning: whether the user's conf already fixes `target_qps` (tune then
//! starts from that value and says so), and the user.conf tune writes.
//!
//! The written file is the user's own conf with the found line appended, so every other
//! setting they chose (durations, sample counts) carries over to the submission run; lines that
//! set the same key are commented out so the file reads unambiguously.

use std::path::Path;

use anyhow::Context;
use ossperf_loadgen::{Scenario, TestSettings};

/// A `target_qps` line of a user.conf that applies to the tuned model and scenario.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FixedRate {
    /// The key as written (`gpt-oss-120b.Server.target_qps`, `*.*.target_qps`…).
    pub key: String,
    /// Its 1-based line.
    pub line: usize,
    /// Its value.
    pub qps: f64,
}

/// The conf key tune writes: `<model>.<Scenario>.target_qps`.
pub(crate) fn target_key(model: &str, scenario: &str) -> String {
    format!("{model}.{scenario}.target_qps")
}

/// The `target_qps` line that wins for `model` and `scenario` under LoadGen's precedence
/// (`model.scenario`, `*.scenario`, `model.*`, `*.*`; the last line of a key wins).
pub(crate) fn fixed_rate(text: &str, model: &str, scenario: &str) -> Option<FixedRate> {
    let keys = [
        format!("{model}.{scenario}.target_qps"),
        format!("*.{scenario}.target_qps"),
        format!("{model}.*.target_qps"),
        "*.*.target_qps".to_string(),
    ];
    let lines: Vec<(usize, &str, &str)> = text
        .lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let mut tokens = line.split_whitespace();
            let key = tokens.next()?;
            (tokens.next() == Some("=")).then_some(())?;
            Some((i + 1, key, tokens.last()?))
        })
        .collect();
    keys.iter().find_map(|wanted| {
        lines
            .iter()
            .rev()
            .find(|(_, key, _)| key == wanted)
            .and_then(|(line, key, value)| {
                Some(FixedRate {
                    key: (*key).to_string(),
                    line: *line,
                    qps: value.parse().ok()?,
                })
            })
    })
}

/// The user.conf to write: `base` (the user's conf, if any) with lines of `key` commented
/// out, then a comment and `key = qps`.
pub(crate) fn tuned_conf(base: Option<&str>, key: &str, qps: f64, note: &str) -> String {
    with_lines(base, &[(key.to_string(), qps.to_string())], note)
}

/// `base` with the lines of each key commented out, then `note` as comments and each
/// `key = value`: the file sets exactly these values whatever `base` said for those keys.
fn with_lines(base: Option<&str>, lines: &[(String, String)], note: &str) -> String {
    let mut out = String::new();
    for line in base.into_iter().flat_map(str::lines) {
        let key = line.split_whitespace().next();
        if lines.iter().any(|(k, _)| Some(k.as_str()) == key) {
            out.push_str("# (replaced by ossperf tune) ");
        }
        out.push_str(line);
        out.push('\n');
    }
    for line in note.lines() {
        out.push_str("# ");
        out.push_str(line);
        out.push('\n');
    }
    for (key, value) in lines {
        out.push_str(&format!("{key} = {value}\n"));
    }
    out
}

/// The user.conf of one run of a search under the official LoadGen, which takes its settings
/// from conf files alone: `base` (the user's conf, or the one ossperf uses without one) with
/// the run's own `target_qps`, `min_query_count`, `performance_sample_count_override` and
/// `min_duration` set under `model` and `settings`' scenario, the most specific key, which
/// wins over any wildcard line.
pub(crate) fn run_conf(base: &str, model: &str, settings: &TestSettings) -> String {
    let scenario = settings.scenario.as_str();
    let qps = match settings.scenario {
        Scenario::Offline => settings.offline_expected_qps,
        _ => settings.server_target_qps,
    };
    let key = |name: &str| format!("{model}.{scenario}.{name}");
    let lines = [
        (key("target_qps"), qps.to_string()),
        (key("min_query_count"), settings.min_query_count.to_string()),
        (
            key("performance_sample_count_override"),
            settings.performance_sample_count_override.to_string(),
        ),
        (key("min_duration"), settings.min_duration_ms.to_string()),
    ];
    with_lines(
        Some(base),
        &lines,
        "this run's settings, set by ossperf tune",
    )
}

/// Reads the user's conf, for [`fixed_rate`] and [`tuned_conf`].
pub(crate) fn read(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the user.conf `{}`", path.display()))
}

/// Writes the tuned user.conf, creating its directory.
pub(crate) fn write(path: &Path, text: &str) -> anyhow::Result<()> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create the directory `{}`", dir.display()))?;
    }
    std::fs::write(path, text).with_context(|| format!("cannot write `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONF: &str = "\
*.*.target_qps = 1
gpt-oss-120b.Server.target_qps = 4
gpt-oss-120b.Server.min_duration = 600000
gpt-oss-120b.Server.target_qps = 7.5
";

    #[test]
    fn the_most_specific_key_wins_and_its_last_line_counts() {
        let fixed = fixed_rate(CONF, "gpt-oss-120b", "Server").unwrap();
        assert_eq!(
            fixed,
            FixedRate {
                key: "gpt-oss-120b.Server.target_qps".into(),
                line: 4,
                qps: 7.5
            }
        );
        let wildcard = fixed_rate(CONF, "gpt-oss-120b-interactive", "Server").unwrap();
        assert_eq!((wildcard.line, wildcard.qps), (1, 1.0));
        assert_eq!(fixed_rate("# nothing\n", "gpt-oss-120b", "Server"), None);
    }

    #[test]
    fn the_tuned_conf_keeps_the_users_lines_and_replaces_the_key() {
        let key = target_key("gpt-oss-120b", "Server");
        let text = tuned_conf(Some(CONF), &key, 5.25, "found by ossperf tune");
        assert_eq!(
            text,
            "*.*.target_qps = 1\n\
             # (replaced by ossperf tune) gpt-oss-120b.Server.target_qps = 4\n\
             gpt-oss-120b.Server.min_duration = 600000\n\
             # (replaced by ossperf tune) gpt-oss-120b.Server.target_qps = 7.5\n\
             # found by ossperf tune\n\
             gpt-oss-120b.Server.target_qps = 5.25\n"
        );
        assert_eq!(
            fixed_rate(&text, "gpt-oss-120b", "Server").unwrap().qps,
            5.25
        );
    }

    #[test]
    fn a_runs_conf_sets_its_four_values_under_the_most_specific_keys() {
        let mut s = TestSettings {
            scenario: Scenario::Server,
            ..TestSettings::default()
        };
        s.server_target_qps = 12.5;
        s.min_query_count = 459;
        s.performance_sample_count_override = 459;
        s.min_duration_ms = 20_000;
        let text = run_conf(CONF, "gpt-oss-120b", &s);
        assert_eq!(
            text,
            "*.*.target_qps = 1\n\
             # (replaced by ossperf tune) gpt-oss-120b.Server.target_qps = 4\n\
             # (replaced by ossperf tune) gpt-oss-120b.Server.min_duration = 600000\n\
             # (replaced by ossperf tune) gpt-oss-120b.Server.target_qps = 7.5\n\
             # this run's settings, set by ossperf tune\n\
             gpt-oss-120b.Server.target_qps = 12.5\n\
             gpt-oss-120b.Server.min_query_count = 459\n\
             gpt-oss-120b.Server.performance_sample_count_override = 459\n\
             gpt-oss-120b.Server.min_duration = 20000\n"
        );
    }
}
