//! From the conf flags to LoadGen settings, for every command that runs or previews a test
//! (`run`, `plan`, `tune`, `compliance`): the model key, the scenario's name, and the conf
//! files resolved like the reference harness and the official LoadGen (see
//! [`ossperf_loadgen::reference_settings`] and docs/CONF.md): the mlperf.conf (built-in unless
//! given), then the user.conf (the reference one unless given), before which LoadGen applies
//! its built-in mlperf.conf, then an optional audit.config.

use anyhow::Context;
use ossperf_loadgen::{reference_settings, ConfFile, LoadedSettings, Scenario, TestMode};

use crate::cli::conf_args::{ConfArgs, ScenarioArg};

/// The model key of the Offline and Server results.
pub(crate) const MODEL: &str = "gpt-oss-120b";
/// The model key of the Interactive result (a LoadGen Server run).
pub(crate) const MODEL_INTERACTIVE: &str = "gpt-oss-120b-interactive";

/// ossperf's user.conf for the bundled sample: short runs sized for it and the simulator, for a
/// first look (not for a submission).
pub(crate) const DEMO_USER_CONF: &str = include_str!("runner/demo_user.conf");

/// The user.conf that stands in for a missing `--user-conf`, decided here once for `run` and
/// `plan`: with neither a dataset (`run --input-file`, `plan --total-sample-count`) nor a
/// `--user-conf`, the test is the demo on the bundled sample and gets ossperf's demo user.conf;
/// otherwise the reference one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DefaultUserConf {
    /// Whether the demo user.conf stands in.
    pub demo: bool,
}

impl DefaultUserConf {
    /// The choice for `conf` when a dataset is (or is not) given.
    pub(crate) fn choose(conf: &ConfArgs, dataset_given: bool) -> DefaultUserConf {
        DefaultUserConf {
            demo: !dataset_given && conf.user_conf.is_none(),
        }
    }

    /// Its text.
    pub(crate) fn text(self) -> &'static str {
        if self.demo {
            DEMO_USER_CONF
        } else {
            ossperf_loadgen::config::REFERENCE_USER_CONF
        }
    }

    /// `conf`'s settings with it standing in for a missing `--user-conf`.
    pub(crate) fn load(self, conf: &ConfArgs) -> anyhow::Result<LoadedSettings> {
        if self.demo {
            conf.load_with_default_user(|| {
                ConfFile::parse("<ossperf demo user.conf>", DEMO_USER_CONF)
            })
        } else {
            conf.load()
        }
    }
}

/// The scenario as the user names it: the directory under `--output-dir` (and under
/// `<output-dir>/tune/`) and `tune.json`'s `scenario`.
pub(crate) fn scenario_name(scenario: ScenarioArg) -> &'static str {
    match scenario {
        ScenarioArg::Offline => "offline",
        ScenarioArg::Server => "server",
        ScenarioArg::Interactive => "interactive",
    }
}

/// The conf-file model key of a scenario.
pub(crate) fn model(scenario: ScenarioArg) -> &'static str {
    match scenario {
        ScenarioArg::Interactive => MODEL_INTERACTIVE,
        ScenarioArg::Offline | ScenarioArg::Server => MODEL,
    }
}

impl ConfArgs {
    /// The conf-file model key.
    pub fn model(&self) -> &'static str {
        model(self.scenario)
    }

    /// The LoadGen scenario.
    pub fn loadgen_scenario(&self) -> Scenario {
        match self.scenario {
            ScenarioArg::Offline => Scenario::Offline,
            ScenarioArg::Server | ScenarioArg::Interactive => Scenario::Server,
        }
    }

    /// The mode asked for on the command line (an audit.config may change it).
    pub fn mode(&self) -> TestMode {
        if self.accuracy {
            TestMode::AccuracyOnly
        } else {
            TestMode::PerformanceOnly
        }
    }

    /// Reads the conf files and resolves the settings like the reference harness.
    pub fn load(&self) -> anyhow::Result<LoadedSettings> {
        self.load_with_default_user(ConfFile::reference_user)
    }

    /// Like [`load`](Self::load), with `default_user` standing in for a missing `--user-conf`.
    pub fn load_with_default_user(
        &self,
        default_user: impl FnOnce() -> Result<ConfFile, ossperf_loadgen::ConfError>,
    ) -> anyhow::Result<LoadedSettings> {
        let mlperf = match &self.mlperf_conf {
            Some(path) => ConfFile::read(path)?,
            None => ConfFile::builtin_mlperf()?,
        };
        let user = match &self.user_conf {
            Some(path) => ConfFile::read(path)?,
            None => default_user()?,
        };
        let audit = self
            .audit_config
            .as_deref()
            .map(ConfFile::read)
            .transpose()?;
        reference_settings(
            self.model(),
            self.loadgen_scenario(),
            self.mode(),
            &mlperf,
            Some(&user),
            audit.as_ref(),
        )
        .with_context(|| format!("cannot resolve the settings of model `{}`", self.model()))
    }
}
