//! Applying a parsed conf file to [`TestSettings`] in the order LoadGen's `FromConfig` does
//! (docs/LOADGEN.md §2.4), and the reference harness sequence: mlperf.conf, then user.conf, then an
//! optional audit.config, then TEST05.

use super::{parse_double, parse_int, ConfError, ConfFile, ConfType, Kind};
use crate::effective::SettingsIssue;
use crate::settings::{Scenario, TestMode, TestSettings};

/// Which scenario a key is looked up under.
#[derive(Clone, Copy)]
enum Lookup {
    /// The scenario passed to `FromConfig`.
    Caller,
    /// A fixed scenario, whatever the caller's.
    Fixed(Scenario),
}

/// One `FromConfig` call: a file, a model and a scenario.
struct Call<'a> {
    file: &'a ConfFile,
    model: &'a str,
    scenario: Scenario,
}

impl Call<'_> {
    fn scenario(&self, lookup: Lookup) -> Scenario {
        match lookup {
            Lookup::Caller => self.scenario,
            Lookup::Fixed(s) => s,
        }
    }

    /// The error for the line that gives `key`, saying what was `expected`.
    fn invalid(&self, lookup: Lookup, key: &str, expected: &'static str) -> ConfError {
        let (key, entry) = self
            .file
            .lookup(self.model, self.scenario(lookup).as_str(), key)
            .map(|(k, e)| (k, e.clone()))
            .unwrap_or_default();
        ConfError::InvalidValue {
            file: self.file.name.clone(),
            line: entry.line,
            key,
            expected,
            value: entry.value,
        }
    }

    /// The value of `key` read as `kind`, if a line matches. Doubles are taken as `strtod`
    /// gives them (NaN and infinities included); each key's range is checked by its caller.
    fn get(&self, lookup: Lookup, key: &str, kind: Kind) -> Result<Option<Value>, ConfError> {
        let scenario = self.scenario(lookup);
        let Some((_, entry)) = self.file.lookup(self.model, scenario.as_str(), key) else {
            return Ok(None);
        };
        let value = match kind {
            Kind::Int => match parse_int(&entry.value) {
                Some(v) if !entry.value.starts_with('-') => Value::Int(v),
                _ => return Err(self.invalid(lookup, key, "a non-negative integer")),
            },
            Kind::Double => match parse_double(&entry.value) {
                Some(v) => Value::Double(v),
                None => return Err(self.invalid(lookup, key, "a number")),
            },
        };
        Ok(Some(value))
    }

    fn int(&self, lookup: Lookup, key: &str) -> Result<Option<u64>, ConfError> {
        Ok(self.get(lookup, key, Kind::Int)?.map(Value::as_int))
    }

    /// An integer times `multiplier` (ms → ns), refusing overflow (LoadGen would wrap).
    fn scaled_int(
        &self,
        lookup: Lookup,
        key: &str,
        multiplier: u64,
    ) -> Result<Option<u64>, ConfError> {
        let Some(v) = self.int(lookup, key)? else {
            return Ok(None);
        };
        match v.checked_mul(multiplier) {
            Some(v) => Ok(Some(v)),
            None => Err(self.invalid(
                lookup,
                key,
                "an integer small enough to convert to nanoseconds",
            )),
        }
    }

    /// A double times `multiplier`, as `strtod` reads it: NaN and infinities included (LoadGen
    /// itself falls back from a NaN or negative `target_qps`).
    fn double(&self, lookup: Lookup, key: &str, multiplier: f64) -> Result<Option<f64>, ConfError> {
        Ok(self
            .get(lookup, key, Kind::Double)?
            .map(|v| v.as_double() * multiplier))
    }

    /// A double times `multiplier` whose conf value must pass `ok`: the values for which
    /// LoadGen has no fallback and would index out of range or never end a schedule.
    fn checked_double(
        &self,
        lookup: Lookup,
        key: &str,
        multiplier: f64,
        (ok, expected): (fn(f64) -> bool, &'static str),
    ) -> Result<Option<f64>, ConfError> {
        match self.get(lookup, key, Kind::Double)? {
            None => Ok(None),
            Some(v) if ok(v.as_double()) => Ok(Some(v.as_double() * multiplier)),
            Some(_) => Err(self.invalid(lookup, key, expected)),
        }
    }
}

/// A percentile in percent. LoadGen reads `sorted[n × p]`: from 100 on, past the end (and
/// ossperf's early-stopping search has no answer at 100).
const PERCENT: (fn(f64) -> bool, &str) = (
    |v| (0.0..100.0).contains(&v),
    "a percentile from 0 to below 100",
);
/// A SingleStream/MultiStream expected latency: LoadGen's query period is `1 / latency`.
const LATENCY_MS: (fn(f64) -> bool, &str) = (
    |v| v > 0.0 && v.is_finite(),
    "a latency in ms above 0 (LoadGen's query period)",
);
/// `accuracy_log_probability`, in percent.
const PROBABILITY_PERCENT: (fn(f64) -> bool, &str) = (
    |v| (0.0..=100.0).contains(&v),
    "a probability from 0 to 100 percent",
);

#[derive(Clone, Copy)]
enum Value {
    Int(u64),
    Double(f64),
}

impl Value {
    fn as_int(self) -> u64 {
        match self {
            Value::Int(v) => v,
            Value::Double(v) => v as u64,
        }
    }
    fn as_double(self) -> f64 {
        match self {
            Value::Int(v) => v as f64,
            Value::Double(v) => v,
        }
    }
}

fn set<T>(field: &mut T, value: Option<T>) {
    if let Some(v) = value {
        *field = v;
    }
}

/// Applies one file like `FromConfig(path, model, scenario, conf_type)` without the embedded
/// step of conf_type 1 (see [`ConfLoader`]). Nothing is applied if any key is invalid.
fn apply_file(
    settings: &mut TestSettings,
    file: &ConfFile,
    model: &str,
    scenario: Scenario,
    conf_type: ConfType,
) -> Result<(), ConfError> {
    let c = Call {
        file,
        model,
        scenario,
    };
    let mut s = settings.clone();
    use Lookup::{Caller, Fixed};
    if let Some(v) = c.int(Caller, "mode")? {
        s.mode = TestMode::from_conf_value(v).ok_or_else(|| {
            c.invalid(
                Caller,
                "mode",
                "`0` (submission), `1` (accuracy), `2` (performance) or `3` (find peak)",
            )
        })?;
    }
    if conf_type == ConfType::Embedded {
        set(&mut s.qsl_rng_seed, c.int(Caller, "qsl_rng_seed")?);
        set(
            &mut s.sample_index_rng_seed,
            c.int(Caller, "sample_index_rng_seed")?,
        );
        set(
            &mut s.schedule_rng_seed,
            c.int(Caller, "schedule_rng_seed")?,
        );
        set(
            &mut s.accuracy_log_probability,
            c.checked_double(
                Caller,
                "accuracy_log_probability",
                0.01,
                PROBABILITY_PERCENT,
            )?,
        );
        set(&mut s.test05, c.int(Caller, "test05")?.map(|v| v == 1));
        set(
            &mut s.test05_qsl_rng_seed,
            c.int(Caller, "test05_qsl_rng_seed")?,
        );
        set(
            &mut s.test05_sample_index_rng_seed,
            c.int(Caller, "test05_sample_index_rng_seed")?,
        );
        set(
            &mut s.test05_schedule_rng_seed,
            c.int(Caller, "test05_schedule_rng_seed")?,
        );
    }
    set(
        &mut s.use_token_latencies,
        c.int(Caller, "use_token_latencies")?.map(|v| v == 1),
    );
    if s.use_token_latencies {
        let server = Fixed(Scenario::Server);
        set(
            &mut s.server_ttft_latency,
            c.scaled_int(server, "ttft_latency", 1_000_000)?,
        );
        set(
            &mut s.server_tpot_latency,
            c.scaled_int(server, "tpot_latency", 1_000_000)?,
        );
    }
    set(
        &mut s.infer_token_latencies,
        c.int(Caller, "infer_token_latencies")?.map(|v| v == 1),
    );
    if s.infer_token_latencies {
        set(
            &mut s.token_latency_scaling_factor,
            c.int(Caller, "token_latency_scaling_factor")?,
        );
    }
    apply_scenario_keys(&c, &mut s)?;
    *settings = s;
    Ok(())
}

/// The keys after the token-latency ones, in LoadGen's order.
fn apply_scenario_keys(c: &Call<'_>, s: &mut TestSettings) -> Result<(), ConfError> {
    use Lookup::{Caller, Fixed};
    let (ss, ms, server, offline) = (
        Fixed(Scenario::SingleStream),
        Fixed(Scenario::MultiStream),
        Fixed(Scenario::Server),
        Fixed(Scenario::Offline),
    );
    let pct = "target_latency_percentile";
    set(
        &mut s.single_stream_target_latency_percentile,
        c.checked_double(ss, pct, 0.01, PERCENT)?,
    );
    set(
        &mut s.multi_stream_target_latency_percentile,
        c.checked_double(ms, pct, 0.01, PERCENT)?,
    );
    set(
        &mut s.multi_stream_samples_per_query,
        c.int(ms, "samples_per_query")?,
    );
    set(
        &mut s.server_target_latency_percentile,
        c.checked_double(server, pct, 0.01, PERCENT)?,
    );
    set(
        &mut s.server_target_latency_ns,
        c.scaled_int(server, "target_latency", 1_000_000)?,
    );
    set(
        &mut s.performance_issue_unique,
        c.int(Caller, "performance_issue_unique")?.map(|v| v != 0),
    );
    set(
        &mut s.performance_issue_same,
        c.int(Caller, "performance_issue_same")?.map(|v| v != 0),
    );
    set(
        &mut s.performance_issue_same_index,
        c.int(Caller, "performance_issue_same_index")?,
    );
    set(
        &mut s.sample_concatenate_permutation,
        c.int(Caller, "sample_concatenate_permutation")?
            .map(|v| v == 1),
    );
    set(
        &mut s.server_coalesce_queries,
        c.int(server, "coalesce_queries")?.map(|v| v != 0),
    );
    set(
        &mut s.server_max_async_queries,
        c.int(server, "max_async_queries")?,
    );
    set(&mut s.min_duration_ms, c.int(Caller, "min_duration")?);
    set(&mut s.max_duration_ms, c.int(Caller, "max_duration")?);
    set(&mut s.min_query_count, c.int(Caller, "min_query_count")?);
    set(&mut s.max_query_count, c.int(Caller, "max_query_count")?);
    set(
        &mut s.performance_sample_count_override,
        c.int(Caller, "performance_sample_count_override")?,
    );
    set(
        &mut s.accuracy_sample_count_override,
        c.int(Caller, "accuracy_sample_count_override")?,
    );
    set(
        &mut s.single_stream_expected_latency_ns,
        c.checked_double(ss, "target_latency", 1e6, LATENCY_MS)?,
    );
    set(
        &mut s.multi_stream_expected_latency_ns,
        c.checked_double(ms, "target_latency", 1e6, LATENCY_MS)?,
    );
    set(
        &mut s.server_target_qps,
        c.double(server, "target_qps", 1.0)?,
    );
    set(
        &mut s.offline_expected_qps,
        c.double(offline, "target_qps", 1.0)?,
    );
    set(
        &mut s.print_timestamps,
        c.int(Caller, "print_timestamps")?.map(|v| v != 0),
    );
    set(
        &mut s.accuracy_log_rng_seed,
        c.int(Caller, "accuracy_log_rng_seed")?,
    );
    set(
        &mut s.accuracy_log_sampling_target,
        c.int(Caller, "accuracy_log_sampling_target")?,
    );
    Ok(())
}

/// LoadGen's `FromConfig` with its process state: the embedded mlperf.conf and whether a
/// user.conf was loaded. One loader per test.
///
/// LoadGen 6.0.17 (`loadgen/test_settings_internal.cc`, `TestSettings::FromConfig`) keeps a
/// `static int configCount`: the first conf_type-1 call applies the embedded mlperf.conf
/// (conf_type 0) before the user.conf; a later one logs `error_invalid_config` "Multiple conf
/// files are used. This is not valid for official submission." and still applies its file,
/// without the embedded step. [`ConfLoader::issues`] holds that line.
#[derive(Debug, Clone)]
pub struct ConfLoader {
    embedded: ConfFile,
    user_conf_loaded: bool,
    issues: Vec<SettingsIssue>,
}

/// LoadGen's error line for a second user.conf (key `error_invalid_config`).
pub const MULTIPLE_CONF_FILES: &str =
    "Multiple conf files are used. This is not valid for official submission.";

impl ConfLoader {
    /// A loader whose embedded mlperf.conf is the built-in official one, as in the wheel.
    pub fn new() -> Result<Self, ConfError> {
        Ok(Self::with_embedded(ConfFile::builtin_mlperf()?))
    }

    /// A loader whose "embedded" mlperf.conf is `embedded`: what a LoadGen built with another
    /// mlperf.conf would do (its seeds included). For experiments and tests; such settings
    /// cannot be submitted.
    pub fn with_embedded(embedded: ConfFile) -> Self {
        ConfLoader {
            embedded,
            user_conf_loaded: false,
            issues: Vec::new(),
        }
    }

    /// The lines LoadGen logs as errors while loading (a second user.conf).
    pub fn issues(&self) -> &[SettingsIssue] {
        &self.issues
    }

    /// `settings.FromConfig(file, model, scenario, conf_type)`. conf_type 1 applies the
    /// embedded mlperf.conf first (only the first time; a second user.conf is applied alone
    /// and noted in [`issues`](Self::issues)). On error nothing of `file` is applied.
    pub fn from_config(
        &mut self,
        settings: &mut TestSettings,
        file: &ConfFile,
        model: &str,
        scenario: Scenario,
        conf_type: ConfType,
    ) -> Result<(), ConfError> {
        match conf_type {
            ConfType::Embedded => apply_file(
                settings,
                &self.embedded,
                model,
                scenario,
                ConfType::Embedded,
            ),
            ConfType::User => {
                if self.user_conf_loaded {
                    self.issues.push(SettingsIssue {
                        key: "error_invalid_config",
                        message: MULTIPLE_CONF_FILES.to_owned(),
                    });
                } else {
                    apply_file(
                        settings,
                        &self.embedded,
                        model,
                        scenario,
                        ConfType::Embedded,
                    )?;
                    self.user_conf_loaded = true;
                }
                apply_file(settings, file, model, scenario, ConfType::User)
            }
            ConfType::Other => apply_file(settings, file, model, scenario, ConfType::Other),
        }
    }
}

/// The settings of a test as the reference harness and `StartTest` build them.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedSettings {
    /// After mlperf.conf and user.conf: what the harness passes to `StartTest` (LoadGen takes
    /// token mode from these).
    pub requested: TestSettings,
    /// After audit.config and TEST05: what the run uses.
    pub settings: TestSettings,
    /// Whether an audit.config was applied (LoadGen logs a warning).
    pub audit_config_applied: bool,
    /// Whether TEST05 replaced the seeds (LoadGen logs a warning).
    pub test05_applied: bool,
    /// Lines LoadGen silently skips or replaces: of the mlperf.conf, those the built-in
    /// mlperf.conf replaces (see [`ConfFile::lines_the_builtin_replaces`]); of the user.conf
    /// and audit.config, those it never reads (see [`ConfFile::ignored_lines`]). Worth a
    /// warning.
    pub ignored_lines: Vec<String>,
}

/// What the reference harness (`language/gpt-oss-120b/run_mlperf.py`) and `StartTest` do with
/// the official LoadGen: settings for `scenario` and `mode`, then `mlperf` as conf_type 2, then
/// `user` as conf_type 1 (which first applies LoadGen's **built-in** mlperf.conf, so every key
/// the built-in sets overrides `mlperf`, and the seeds come from the built-in alone), then
/// `audit` with model `*` as conf_type 2, then TEST05. Values that would make the run never
/// end are refused ([`TestSettings::check_schedulable`]).
pub fn reference_settings(
    model: &str,
    scenario: Scenario,
    mode: TestMode,
    mlperf: &ConfFile,
    user: Option<&ConfFile>,
    audit: Option<&ConfFile>,
) -> Result<LoadedSettings, ConfError> {
    let loader = ConfLoader::new()?;
    settings_with_loader(loader, model, scenario, mode, mlperf, user, audit)
}

/// [`reference_settings`] with `builtin` in place of LoadGen's built-in mlperf.conf, as a
/// LoadGen built with that file would resolve them (its seeds included). For experiments with
/// other seeds and for tests: such settings cannot be submitted.
pub fn reference_settings_with_builtin(
    builtin: &ConfFile,
    model: &str,
    scenario: Scenario,
    mode: TestMode,
    mlperf: &ConfFile,
    user: Option<&ConfFile>,
    audit: Option<&ConfFile>,
) -> Result<LoadedSettings, ConfError> {
    let loader = ConfLoader::with_embedded(builtin.clone());
    settings_with_loader(loader, model, scenario, mode, mlperf, user, audit)
}

fn settings_with_loader(
    mut loader: ConfLoader,
    model: &str,
    scenario: Scenario,
    mode: TestMode,
    mlperf: &ConfFile,
    user: Option<&ConfFile>,
    audit: Option<&ConfFile>,
) -> Result<LoadedSettings, ConfError> {
    let mut requested = TestSettings::new(scenario, mode);
    loader.from_config(&mut requested, mlperf, model, scenario, ConfType::Other)?;
    let mut ignored_lines = Vec::new();
    if let Some(user) = user {
        ignored_lines = mlperf.lines_the_builtin_replaces(&loader.embedded, model, scenario);
        loader.from_config(&mut requested, user, model, scenario, ConfType::User)?;
        ignored_lines.extend(user.ignored_lines(model));
    }
    let mut settings = requested.clone();
    if let Some(audit) = audit {
        loader.from_config(&mut settings, audit, "*", scenario, ConfType::Other)?;
        ignored_lines.extend(audit.ignored_lines("*"));
    }
    let test05_applied = settings.apply_test05(&requested);
    settings
        .check_schedulable()
        .map_err(|source| ConfError::Unschedulable { scenario, source })?;
    Ok(LoadedSettings {
        requested,
        settings,
        audit_config_applied: audit.is_some(),
        test05_applied,
        ignored_lines,
    })
}
