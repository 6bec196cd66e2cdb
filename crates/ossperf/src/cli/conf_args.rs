//! The flags that choose a test's settings, shared by `ossperf plan` and `ossperf run`: the
//! scenario, the mode and the conf files, named like the reference `run_mlperf.py`.
//!
//! Resolution follows the reference harness and the official LoadGen exactly (see
//! [`ossperf_loadgen::reference_settings`]): the mlperf.conf (built-in unless given), then the
//! user.conf (the reference one unless given), before which LoadGen applies its built-in
//! mlperf.conf, then an optional audit.config.

use std::path::PathBuf;

use anyhow::Context;
use ossperf_loadgen::{reference_settings, ConfFile, LoadedSettings, Scenario, TestMode};

/// The model key of the Offline and Server results.
pub const MODEL: &str = "gpt-oss-120b";
/// The model key of the Interactive result (a LoadGen Server run).
pub const MODEL_INTERACTIVE: &str = "gpt-oss-120b-interactive";

/// The benchmark scenario as a user names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScenarioArg {
    /// LoadGen Offline: every sample in one query
    Offline,
    /// LoadGen Server: Poisson arrivals at `target_qps`
    Server,
    /// LoadGen Server under the model key `gpt-oss-120b-interactive` (tighter TTFT/TPOT)
    Interactive,
}

/// Scenario, mode and conf files of a test.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfArgs {
    /// Scenario (interactive = a Server run under the model key `gpt-oss-120b-interactive`)
    #[arg(long, visible_alias = "mode", value_enum, default_value = "offline")]
    pub scenario: ScenarioArg,
    /// Accuracy mode (every sample once, all outputs logged) instead of performance mode
    #[arg(long)]
    pub accuracy: bool,
    /// mlperf.conf applied before the user.conf, as run_mlperf.py gives it to LoadGen: the
    /// built-in official one is applied after it (its keys win) and alone gives the seeds
    /// (default: the built-in one)
    #[arg(long, value_name = "FILE")]
    pub mlperf_conf: Option<PathBuf>,
    /// user.conf (default: the built-in reference user.conf)
    #[arg(long, value_name = "FILE")]
    pub user_conf: Option<PathBuf>,
    /// audit.config of a compliance test (TEST07, TEST09), applied last with model `*`
    #[arg(long, value_name = "FILE")]
    pub audit_config: Option<PathBuf>,
}

impl ConfArgs {
    /// The conf-file model key.
    pub fn model(&self) -> &'static str {
        match self.scenario {
            ScenarioArg::Interactive => MODEL_INTERACTIVE,
            ScenarioArg::Offline | ScenarioArg::Server => MODEL,
        }
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
