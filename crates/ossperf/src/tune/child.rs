//! One run of a search under the official LoadGen: a child `ossperf run --loadgen official`
//! in the run's directory, given the run's settings as a user.conf there (the library takes
//! its settings from conf files alone), then read back as the in-process run would report it.

use anyhow::{bail, Context};
use ossperf_loadgen::{Scenario, TestSettings};

use super::conf;
use crate::cli::conf_args::ScenarioArg;
use crate::cli::run::RunArgs;
use crate::runner::{Outcome, RunPlan};

/// Runs `plan` (its settings and log directory are this run's) in a child made from `args`,
/// the search's `ossperf run` arguments, its user.conf starting from `base_conf`.
pub(super) fn execute(
    args: &RunArgs,
    plan: &RunPlan,
    base_conf: &str,
    rows: usize,
    name: &str,
) -> anyhow::Result<Outcome> {
    let dir = &plan.log_dir;
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the output directory `{}`", dir.display()))?;
    let args = child_args(args, plan, base_conf)?;
    let code = crate::child::run_test(&args, dir, &format!("the {name} run"))?;
    // 0 and 1 are results (1: requests failed); 130 and 143 a Ctrl-C or SIGTERM, forwarded to
    // the child, which still wrote its logs.
    let interrupted = match code {
        0 | 1 => None,
        130 | 143 => Some(code as u8),
        _ => bail!(
            "the {name} run (a child `ossperf run --loadgen official`) stopped with exit code \
             {code}: {}; see `{}`",
            crate::child::last_line(dir),
            dir.join(crate::child::OUTPUT_FILE).display()
        ),
    };
    let mut outcome = crate::runner::read_back(dir, &plan.loaded.settings, rows)
        .with_context(|| format!("cannot read back the {name} run"))?;
    outcome.interrupted = interrupted;
    Ok(outcome)
}

/// The child's arguments: the search's, with the run's user.conf (written into its directory),
/// its scenario (the throughput measurement is an Offline run), its directory, and the demo's
/// answer length made explicit (a child given a user.conf is no longer the demo).
fn child_args(args: &RunArgs, plan: &RunPlan, base: &str) -> anyhow::Result<RunArgs> {
    let settings = &plan.loaded.settings;
    let scenario = match settings.scenario {
        Scenario::Offline => ScenarioArg::Offline,
        _ => plan.scenario,
    };
    let model = crate::settings::model(scenario);
    let path = plan.log_dir.join("user.conf");
    conf::write(&path, &conf::run_conf(base, model, settings))?;
    let mut child = args.clone();
    child.conf.scenario = scenario;
    child.conf.user_conf = Some(path);
    child.log_dir = Some(plan.log_dir.clone());
    child.fail_on_invalid = false;
    if plan.demo_answers && child.sim_output_len.is_none() {
        child.sim_output_len = Some(crate::runner::DEMO_OUTPUT_LEN);
    }
    check_settings(&child, settings)?;
    Ok(child)
}

/// Refuses a child whose conf files would not give it the run's settings (the keys tune sets).
fn check_settings(child: &RunArgs, wanted: &TestSettings) -> anyhow::Result<()> {
    let got = RunPlan::resolve(child.clone())?.loaded.settings;
    let view = |s: &TestSettings| {
        (
            s.scenario,
            s.server_target_qps.to_bits(),
            s.offline_expected_qps.to_bits(),
            s.min_query_count,
            s.performance_sample_count_override,
            s.min_duration_ms,
        )
    };
    let (mut want, mut have) = (view(wanted), view(&got));
    // Only the scenario's own rate is read.
    if wanted.scenario == Scenario::Offline {
        (want.1, have.1) = (0, 0);
    } else {
        (want.2, have.2) = (0, 0);
    }
    anyhow::ensure!(
        want == have,
        "internal: the user.conf written for a child run gives {have:?}, not the run's {want:?}"
    );
    Ok(())
}
