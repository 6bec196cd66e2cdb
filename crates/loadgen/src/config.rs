//! LoadGen's conf files (`mlperf.conf`, `user.conf`, `audit.config`) with LoadGen's exact semantics
//! for valid input (docs/LOADGEN.md §2.3–2.6), and typed errors where LoadGen would silently drop a
//! line or a whole file.
//!
//! Syntax: one `model.scenario.key = value` per line, spaces around `=` mandatory, `# ` starts
//! a comment line, a later line for the same key wins. Lookup precedence within a file:
//! `model.scenario.key` > `*.scenario.key` > `model.*.key` > `*.*.key`. The seeds,
//! `accuracy_log_probability` and `test05*` are read only from the built-in mlperf.conf
//! ([`ConfType::Embedded`]).
//!
//! Stricter than LoadGen, on purpose: a malformed line, an unknown key, a value of the wrong
//! type (e.g. `2.5` for a count, which LoadGen would truncate) or an unknown scenario name is
//! an error naming the file and line, never a silently ignored line or file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::settings::Scenario;

/// The official `mlperf.conf` of LoadGen 6.0.17, compiled in (LoadGen's embedded copy).
pub const BUILTIN_MLPERF_CONF: &str = include_str!("../conf/mlperf.conf");
/// The reference `user.conf` of the gpt-oss-120b harness.
pub const REFERENCE_USER_CONF: &str = include_str!("../conf/user.conf");
/// The TEST07 `audit.config` for gpt-oss-120b.
pub const TEST07_AUDIT_CONFIG: &str = include_str!("../conf/TEST07/audit.config");
/// The TEST09 `audit.config` for gpt-oss-120b.
pub const TEST09_AUDIT_CONFIG: &str = include_str!("../conf/TEST09/audit.config");

/// The kinds of `FromConfig` call (LoadGen's `conf_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfType {
    /// 0: the embedded mlperf.conf; every key, including the seeds.
    Embedded,
    /// 1: a user.conf; the first one applies the embedded mlperf.conf before itself.
    User,
    /// 2: any other file (a harness's mlperf.conf, an audit.config); seeds are ignored.
    Other,
}

/// A conf-file problem: the file, the line and what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfError {
    /// The file could not be read.
    #[error("cannot read conf file `{}`: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A line that is not `key = value` (LoadGen ignores some of these silently).
    #[error("`{file}` line {line}: expected {expected}, found `{found}`")]
    Syntax {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// What was expected.
        expected: &'static str,
        /// The offending text.
        found: String,
    },
    /// A key LoadGen does not know (it would ignore it silently).
    #[error("`{file}` line {line}: unknown key `{key}`; expected a LoadGen setting such as `min_duration`, `target_qps` or `min_query_count`")]
    UnknownKey {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The last part of the key.
        key: String,
    },
    /// A value of the wrong type or range for its key.
    #[error("`{file}` line {line}: `{key}` expects {expected}, found `{value}`")]
    InvalidValue {
        /// The file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The full key.
        key: String,
        /// What was expected.
        expected: &'static str,
        /// The value text.
        value: String,
    },
    /// Settings that would make the run never end or exhaust memory.
    #[error("the {scenario} run cannot be scheduled: {source}")]
    Unschedulable {
        /// The scenario.
        scenario: Scenario,
        /// What is wrong.
        source: crate::settings::SettingsError,
    },
}

/// One `key = value` line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Entry {
    value: String,
    line: usize,
}

/// A parsed conf file: every line checked, values kept as text like LoadGen keeps them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfFile {
    name: String,
    entries: HashMap<String, Entry>,
}

/// How a value is read at lookup time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `strtoull`, an integer literal (decimal, `0x` hex, leading-`0` octal).
    Int,
    /// `strtod`.
    Double,
}

/// Keys LoadGen's parser looks up (docs/LOADGEN.md §2.4).
const KNOWN_KEYS: &[&str] = &[
    "mode",
    "qsl_rng_seed",
    "sample_index_rng_seed",
    "schedule_rng_seed",
    "accuracy_log_probability",
    "test05",
    "test05_qsl_rng_seed",
    "test05_sample_index_rng_seed",
    "test05_schedule_rng_seed",
    "use_token_latencies",
    "ttft_latency",
    "tpot_latency",
    "infer_token_latencies",
    "token_latency_scaling_factor",
    "target_latency_percentile",
    "samples_per_query",
    "target_latency",
    "performance_issue_unique",
    "performance_issue_same",
    "performance_issue_same_index",
    "sample_concatenate_permutation",
    "coalesce_queries",
    "max_async_queries",
    "min_duration",
    "max_duration",
    "min_query_count",
    "max_query_count",
    "performance_sample_count_override",
    "accuracy_sample_count_override",
    "target_qps",
    "print_timestamps",
    "accuracy_log_rng_seed",
    "accuracy_log_sampling_target",
];

/// Keys LoadGen reads only from its built-in mlperf.conf (conf_type 0).
const MLPERF_ONLY: &[&str] = &[
    "qsl_rng_seed",
    "sample_index_rng_seed",
    "schedule_rng_seed",
    "accuracy_log_probability",
    "test05",
    "test05_qsl_rng_seed",
    "test05_sample_index_rng_seed",
    "test05_schedule_rng_seed",
];

/// Keys found in official files that LoadGen ignores: `target_duration` (mlperf.conf) and the
/// compliance thresholds of audit configs (`test07_accuracy_threshold`,
/// `test09_min_output_tokens`…), read by the compliance scripts.
fn is_documented_ignored_key(key: &str) -> bool {
    if key == "target_duration" {
        return true;
    }
    let b = key.as_bytes();
    b.len() > 7
        && key.starts_with("test")
        && b[4].is_ascii_digit()
        && b[5].is_ascii_digit()
        && b[6] == b'_'
        && !key.starts_with("test05_")
}

impl ConfFile {
    /// Parses conf text; `name` is used in error messages (usually the path).
    pub fn parse(name: impl Into<String>, text: &str) -> Result<ConfFile, ConfError> {
        let name = name.into();
        let mut entries = HashMap::new();
        for (i, line) in text.lines().enumerate() {
            if let Some((key, value)) = parse_line(&name, i + 1, line)? {
                entries.insert(key, Entry { value, line: i + 1 });
            }
        }
        Ok(ConfFile { name, entries })
    }

    /// Reads and parses a conf file.
    pub fn read(path: &Path) -> Result<ConfFile, ConfError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfError::Read {
            path: path.to_owned(),
            source,
        })?;
        ConfFile::parse(path.display().to_string(), &text)
    }

    /// The built-in official mlperf.conf.
    pub fn builtin_mlperf() -> Result<ConfFile, ConfError> {
        ConfFile::parse("mlperf.conf (built-in)", BUILTIN_MLPERF_CONF)
    }

    /// The built-in reference user.conf.
    pub fn reference_user() -> Result<ConfFile, ConfError> {
        ConfFile::parse("user.conf (built-in)", REFERENCE_USER_CONF)
    }

    /// The name used in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Lines LoadGen would silently skip for `model` (LoadGen's semantics are kept; these are
    /// for a warning): lines for another model, and the mlperf.conf-only keys (seeds,
    /// `accuracy_log_probability`, `test05*`) in a file that is not the embedded mlperf.conf.
    /// Sorted by line.
    pub fn ignored_lines(&self, model: &str) -> Vec<String> {
        let mut notes: Vec<(usize, String)> = self
            .entries
            .iter()
            .filter_map(|(key, entry)| {
                let mut parts = key.rsplitn(3, '.');
                let name = parts.next()?;
                let key_model = parts.nth(1)?;
                let why = if key_model != "*" && key_model != model {
                    format!("it is for model `{key_model}`, not `{model}`")
                } else if MLPERF_ONLY.contains(&name) {
                    "LoadGen reads this key only from its built-in mlperf.conf".to_owned()
                } else if is_documented_ignored_key(name) {
                    "LoadGen does not read this key".to_owned()
                } else {
                    return None;
                };
                let text = format!(
                    "`{}` line {}: `{key}` is ignored: {why}",
                    self.name, entry.line
                );
                Some((entry.line, text))
            })
            .collect();
        notes.sort();
        notes.into_iter().map(|(_, text)| text).collect()
    }

    /// Lines of this file, given as `--mlperf-conf` (conf_type 2), whose value LoadGen never
    /// uses for `model` in `scenario` because the built-in mlperf.conf, applied at the first
    /// user.conf, gives the key another value (seed lines included: LoadGen reads those only
    /// from the built-in). Lines whose value equals the built-in's are not listed. Sorted by
    /// line.
    pub fn lines_the_builtin_replaces(
        &self,
        builtin: &ConfFile,
        model: &str,
        scenario: Scenario,
    ) -> Vec<String> {
        let mut notes: Vec<(usize, String)> = self
            .entries
            .iter()
            .filter_map(|(key, entry)| {
                let mut parts = key.rsplitn(3, '.');
                let name = parts.next()?;
                let key_scenario = parts.next()?;
                let key_model = parts.next()?;
                if key_model != "*" && key_model != model {
                    return None;
                }
                let scenario = if key_scenario == "*" {
                    scenario.as_str()
                } else {
                    key_scenario
                };
                // Only the line this file's own lookup would pick can be replaced.
                let (_, own) = self.lookup(model, scenario, name)?;
                if own.line != entry.line {
                    return None;
                }
                let same = |builtin_value: &str| {
                    builtin_value == entry.value
                        || matches!(
                            (parse_double(builtin_value), parse_double(&entry.value)),
                            (Some(a), Some(b)) if a == b
                        )
                };
                let why = match builtin.lookup(model, scenario, name) {
                    Some((_, b)) if same(&b.value) => return None,
                    Some((bkey, b)) => format!(
                        "LoadGen's built-in mlperf.conf, applied after it, sets `{bkey} = {}`",
                        b.value
                    ),
                    None if MLPERF_ONLY.contains(&name) => {
                        "LoadGen reads this key only from its built-in mlperf.conf".to_owned()
                    }
                    None => return None,
                };
                Some((
                    entry.line,
                    format!(
                        "`{}` line {}: `{key}` is not used: {why}",
                        self.name, entry.line
                    ),
                ))
            })
            .collect();
        notes.sort();
        notes.into_iter().map(|(_, text)| text).collect()
    }

    /// The value text and line for `key` under LoadGen's precedence.
    fn lookup(&self, model: &str, scenario: &str, key: &str) -> Option<(String, &Entry)> {
        [
            format!("{model}.{scenario}.{key}"),
            format!("*.{scenario}.{key}"),
            format!("{model}.*.{key}"),
            format!("*.*.{key}"),
        ]
        .into_iter()
        .find_map(|k| self.entries.get(&k).map(|e| (k, e)))
    }
}

/// One line: `Ok(None)` for blank and comment lines.
fn parse_line(file: &str, line: usize, text: &str) -> Result<Option<(String, String)>, ConfError> {
    let syntax = |expected, found: &str| ConfError::Syntax {
        file: file.to_owned(),
        line,
        expected,
        found: found.to_owned(),
    };
    let mut tokens = text.split_whitespace();
    let Some(key) = tokens.next() else {
        return Ok(None);
    };
    if key == "#" {
        return Ok(None);
    }
    if key.starts_with('#') {
        // LoadGen ignores `#word` alone and rejects `#word more`; both read as comments
        // that lack the space LoadGen needs.
        return Err(syntax(
            "a comment to start with `# ` (hash and space)",
            text.trim(),
        ));
    }
    match tokens.next() {
        Some("=") => {}
        Some("#") | None if key.contains('=') => {
            return Err(syntax("spaces around `=` as in `key = value`", key))
        }
        Some("#") | None => return Err(syntax("`key = value`", text.trim())),
        Some(other) => return Err(syntax("`=` after the key", other)),
    }
    // After `=` every token is a value and the last one wins; a `#` here is an (invalid)
    // value, so inline comments are errors, like in LoadGen.
    let mut value = None;
    for token in tokens {
        if !is_int_literal(token) && parse_double(token).is_none() {
            return Err(ConfError::InvalidValue {
                file: file.to_owned(),
                line,
                key: key.to_owned(),
                expected: "an integer or a number (no inline comments)",
                value: token.to_owned(),
            });
        }
        value = Some(token.to_owned());
    }
    let Some(value) = value else {
        return Err(syntax("a value after `=`", text.trim()));
    };
    check_key(file, line, key)?;
    Ok(Some((key.to_owned(), value)))
}

/// The key must be `model.scenario.name` with a known scenario and name.
fn check_key(file: &str, line: usize, key: &str) -> Result<(), ConfError> {
    // Model names may contain dots (`wan-2.2-t2v-a14b`): the scenario and key are the last two.
    let parts: Vec<&str> = key.rsplitn(3, '.').collect();
    let [name, scenario, model] = parts[..] else {
        return Err(ConfError::Syntax {
            file: file.to_owned(),
            line,
            expected: "a key of the form `model.scenario.key`",
            found: key.to_owned(),
        });
    };
    if model.is_empty() || (scenario != "*" && Scenario::from_name(scenario).is_none()) {
        return Err(ConfError::Syntax {
            file: file.to_owned(),
            line,
            expected: "a model and a scenario `*`, `SingleStream`, `MultiStream`, `Server` or `Offline` in `model.scenario.key`",
            found: key.to_owned(),
        });
    }
    if !KNOWN_KEYS.contains(&name) && !is_documented_ignored_key(name) {
        return Err(ConfError::UnknownKey {
            file: file.to_owned(),
            line,
            key: name.to_owned(),
        });
    }
    Ok(())
}

/// Whether `strtoul(s, &end, 0)` consumes all of `s`.
fn is_int_literal(s: &str) -> bool {
    parse_int(s).is_some()
}

/// `strtoull(s, 0, 0)` for a fully consumed literal: sign, then `0x` hex, `0` octal or
/// decimal. A `-` wraps like C. `None` if not fully an integer literal or out of range.
fn parse_int(s: &str) -> Option<u64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let value = if let Some(hex) = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))
    {
        if hex.is_empty() || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u64::from_str_radix(hex, 16).ok()?
    } else if digits.len() > 1 && digits.starts_with('0') {
        if !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
            return None;
        }
        u64::from_str_radix(&digits[1..], 8).ok()?
    } else {
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()?
    };
    Some(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// `strtod(s)` for a fully consumed literal.
fn parse_double(s: &str) -> Option<f64> {
    if let Some(v) = parse_hex_as_double(s) {
        return Some(v);
    }
    // Rust accepts what strtod accepts for decimal forms, plus nothing strtod rejects.
    s.parse::<f64>().ok()
}

fn parse_hex_as_double(s: &str) -> Option<f64> {
    let (negative, digits) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let hex = digits
        .strip_prefix("0x")
        .or_else(|| digits.strip_prefix("0X"))?;
    let v = u64::from_str_radix(hex, 16).ok()? as f64;
    Some(if negative { -v } else { v })
}

mod apply;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod value_tests;

pub use apply::{
    reference_settings, reference_settings_with_builtin, ConfLoader, LoadedSettings,
    MULTIPLE_CONF_FILES,
};
