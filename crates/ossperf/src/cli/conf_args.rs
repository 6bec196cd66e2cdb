//! The flags that choose a test's settings, shared by `ossperf plan` and `ossperf run`: the
//! scenario, the mode and the conf files, named like the reference `run_mlperf.py`. They are
//! resolved into LoadGen settings by `crate::settings`.

use std::path::PathBuf;

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
#[derive(Debug, Clone, PartialEq, clap::Args)]
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
