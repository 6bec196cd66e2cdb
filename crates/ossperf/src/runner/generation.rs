//! The generation config: the reference's `generation_config.json` (keys starting with `_` are
//! comments) plus the command-line overrides, resolved into the sampling parameters of every
//! request: the client's [`SamplingParams`], the one request-parameter type, so what the plan
//! resolves is what the request-body cache is keyed on.

use std::path::Path;

use anyhow::{bail, Context};
use ossperf_client::SamplingParams;
use serde_json::Value;

/// `max_new_tokens` of the reference for accuracy runs; performance runs (and TEST07/TEST09)
/// take the reference's other defaults, [`SamplingParams::default`].
pub(crate) const ACCURACY_MAX_NEW_TOKENS: u32 = 32_768;

/// Values a generation-config file may set; `None` where the file is silent.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GenerationFile {
    max_new_tokens: Option<u32>,
    temperature: Option<f64>,
    top_k: Option<i32>,
    top_p: Option<f64>,
}

/// The command line's overrides of the generation config.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct GenerationOverrides {
    /// `--max-new-tokens` (or the older `--max-tokens`).
    pub max_new_tokens: Option<u32>,
    /// `--temperature`.
    pub temperature: Option<f64>,
    /// `--top-k`.
    pub top_k: Option<i32>,
    /// `--top-p`.
    pub top_p: Option<f64>,
}

impl GenerationFile {
    /// Reads a generation-config JSON file; unknown or ill-typed keys are errors.
    pub(crate) fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the generation config `{}`", path.display()))?;
        Self::parse(&text).with_context(|| format!("generation config `{}`", path.display()))
    }

    /// Parses the text of a generation config.
    pub(crate) fn parse(text: &str) -> anyhow::Result<Self> {
        let value: Value = serde_json::from_str(text).context("not valid JSON")?;
        let Value::Object(map) = value else {
            bail!("expected a JSON object of generation parameters");
        };
        let mut file = Self::default();
        for (key, value) in &map {
            match key.as_str() {
                k if k.starts_with('_') => {}
                "max_new_tokens" => {
                    let n = value
                        .as_u64()
                        .filter(|n| (1..=u64::from(u32::MAX)).contains(n))
                        .with_context(|| type_error(key, "a positive integer", value))?;
                    file.max_new_tokens = u32::try_from(n).ok();
                }
                "temperature" => file.temperature = Some(number(key, value)?),
                "top_p" => file.top_p = Some(number(key, value)?),
                "top_k" => {
                    let k = value
                        .as_i64()
                        .and_then(|k| i32::try_from(k).ok())
                        .with_context(|| type_error(key, "an integer (-1 disables)", value))?;
                    file.top_k = Some(k);
                }
                other => bail!(
                    "unknown key `{other}`: expected `max_new_tokens`, `temperature`, `top_k`, \
                     `top_p` or a comment key starting with `_`"
                ),
            }
        }
        Ok(file)
    }
}

fn number(key: &str, value: &Value) -> anyhow::Result<f64> {
    value
        .as_f64()
        .with_context(|| type_error(key, "a number", value))
}

fn type_error(key: &str, expected: &str, found: &Value) -> String {
    format!("`{key}` expects {expected}, found `{found}`")
}

/// The reference's defaults for the mode, then the file, then the command line.
pub(crate) fn resolve(
    accuracy: bool,
    file: GenerationFile,
    overrides: GenerationOverrides,
) -> anyhow::Result<SamplingParams> {
    let reference = SamplingParams::default();
    let default_max = if accuracy {
        ACCURACY_MAX_NEW_TOKENS
    } else {
        reference.max_new_tokens
    };
    let generation = SamplingParams {
        max_new_tokens: overrides
            .max_new_tokens
            .or(file.max_new_tokens)
            .unwrap_or(default_max),
        temperature: overrides
            .temperature
            .or(file.temperature)
            .unwrap_or(reference.temperature),
        top_k: overrides.top_k.or(file.top_k).unwrap_or(reference.top_k),
        top_p: overrides.top_p.or(file.top_p).unwrap_or(reference.top_p),
    };
    if generation.max_new_tokens == 0 {
        bail!("`max_new_tokens` must be at least 1");
    }
    if generation.temperature < 0.0 || !generation.temperature.is_finite() {
        bail!(
            "`temperature` must be 0 or more, found `{}`",
            generation.temperature
        );
    }
    if !(generation.top_p > 0.0 && generation.top_p <= 1.0) {
        bail!("`top_p` must be in (0, 1], found `{}`", generation.top_p);
    }
    if generation.top_k == 0 || generation.top_k < -1 {
        bail!(
            "`top_k` must be -1 (disabled) or at least 1, found `{}`",
            generation.top_k
        );
    }
    Ok(generation)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_file_parses_with_its_comment_keys_ignored() {
        let file = GenerationFile::parse(
            r#"{"_comment": "x", "_note": "y", "max_new_tokens": 10240,
                "temperature": 1.0, "top_k": -1, "top_p": 1.0}"#,
        )
        .unwrap();
        let g = resolve(true, file, GenerationOverrides::default()).unwrap();
        assert_eq!(
            g,
            SamplingParams {
                max_new_tokens: 10240,
                temperature: 1.0,
                top_k: -1,
                top_p: 1.0
            }
        );
    }

    #[test]
    fn defaults_follow_the_mode_and_the_command_line_wins() {
        let none = GenerationFile::default();
        let perf = resolve(false, none, GenerationOverrides::default()).unwrap();
        assert_eq!(perf.max_new_tokens, 10_240);
        let acc = resolve(true, none, GenerationOverrides::default()).unwrap();
        assert_eq!(acc.max_new_tokens, 32_768);
        let file = GenerationFile::parse(r#"{"max_new_tokens": 100, "top_p": 0.5}"#).unwrap();
        let over = GenerationOverrides {
            max_new_tokens: Some(7),
            ..Default::default()
        };
        let g = resolve(false, file, over).unwrap();
        assert_eq!((g.max_new_tokens, g.top_p), (7, 0.5));
    }

    #[test]
    fn unknown_and_ill_typed_keys_are_named_in_the_error() {
        let err = GenerationFile::parse(r#"{"max_tokens": 5}"#).unwrap_err();
        assert!(
            format!("{err:#}").starts_with("unknown key `max_tokens`"),
            "{err:#}"
        );
        let err = GenerationFile::parse(r#"{"temperature": "hot"}"#).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            r#"`temperature` expects a number, found `"hot"`"#
        );
        let err = GenerationFile::parse("[1]").unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "expected a JSON object of generation parameters"
        );
    }

    #[test]
    fn top_k_zero_is_refused_as_sglang_refuses_it() {
        let over = GenerationOverrides {
            top_k: Some(0),
            ..Default::default()
        };
        let err = resolve(false, GenerationFile::default(), over).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`top_k` must be -1 (disabled) or at least 1, found `0`"
        );
    }
}
