//! `ossperf plan`: a dry run without a server. It resolves the settings exactly as a run
//! would, prints them, and writes what LoadGen would load and issue, so a user can preview a
//! run and tests can compare it with the official LoadGen's vectors.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;
use ossperf_loadgen::{
    generate_queries, loadable_sets, AccuracyLogSampler, EffectiveSettings, IntAlgorithm, Phase,
};

use crate::cli::plan::PlanArgs;
use crate::output;

/// Runs `ossperf plan`.
pub(crate) fn run(args: PlanArgs) -> anyhow::Result<ExitCode> {
    // The defaults of `ossperf run`: the bundled sample, with the demo user.conf.
    let default_user =
        crate::settings::DefaultUserConf::choose(&args.conf, args.total_sample_count.is_some());
    let loaded = default_user.load(&args.conf)?;
    let total = match args.total_sample_count {
        Some(n) => n,
        None => ossperf_dataset::bundled_sample()?.len() as u64,
    };
    let performance = args.performance_sample_count.unwrap_or(total);
    let mut effective = EffectiveSettings::derive(&loaded.settings, total, performance);
    if args.gcc10_int_draw {
        effective.int_algorithm = IntAlgorithm::Gcc10Division;
    }
    for line in &loaded.ignored_lines {
        output::warn(line);
    }
    if loaded.audit_config_applied {
        output::warn("audit.config applied: it overrides the settings of user.conf");
    }
    if loaded.test05_applied {
        output::warn("TEST05 flag detected: the seeds are replaced by the test05 seeds");
    }
    for issue in &effective.issues {
        output::warn(&format!("{}: {}", issue.key, issue.message));
    }
    print_settings(args.conf.model(), &effective);
    let estimate = crate::estimate::estimate(&effective, usize::try_from(total)?)
        .context("cannot produce the plan")?;
    for line in crate::estimate::lines(&estimate, effective.target_qps) {
        output::info(&line);
    }
    let verdict = crate::submittable::verdict(&crate::submittable::Inputs {
        settings: &effective,
        dataset_rows: total,
        official_loadgen: args.loadgen == crate::cli::run::LoadgenArg::Official,
        simulated: false,
        outcome: None,
    });
    for line in crate::submittable::lines(&verdict) {
        output::info(&line);
    }

    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => {
            Box::new(BufWriter::new(File::create(path).with_context(|| {
                format!("cannot create `{}`", path.display())
            })?))
        }
        None => Box::new(BufWriter::new(std::io::stdout().lock())),
    };
    write_plan(&effective, total, &mut out).context("cannot produce the plan")?;
    out.flush().context("cannot write the plan")?;
    Ok(ExitCode::SUCCESS)
}

fn print_settings(model: &str, e: &EffectiveSettings) {
    output::info(&format!("model: {model}"));
    let r = &e.requested;
    output::info(&format!(
        "requested_use_token_latencies: {}",
        r.use_token_latencies
    ));
    output::info(&format!(
        "requested_server_ttft_latency: {}",
        r.server_ttft_latency
    ));
    output::info(&format!(
        "requested_server_tpot_latency: {}",
        r.server_tpot_latency
    ));
    for (key, value) in e.effective_values() {
        output::info(&format!("{key}: {value}"));
    }
}

/// Writes the JSON lines of every phase of the mode (keys in the documented order).
fn write_plan(e: &EffectiveSettings, total: u64, out: &mut dyn Write) -> anyhow::Result<()> {
    let mut sampler = AccuracyLogSampler::new();
    for &phase in Phase::for_mode(e.mode) {
        let name = match phase {
            Phase::Performance => "performance",
            Phase::Accuracy => "accuracy",
        };
        let sets = loadable_sets(e, usize::try_from(total)?, phase);
        for (set_no, set) in phase.sets_used(&sets).iter().enumerate() {
            let samples: Vec<String> = set.samples.iter().map(usize::to_string).collect();
            writeln!(
                out,
                r#"{{"kind":"loaded","phase":"{name}","set":{set_no},"samples":[{}]}}"#,
                samples.join(",")
            )?;
            let generated = generate_queries(e, set, phase)
                .with_context(|| format!("cannot generate the queries of {name} set {set_no}"))?;
            let logged = sampler.select(e, &generated, phase);
            let mut logged = logged.iter();
            for (query_no, query) in generated.queries.iter().enumerate() {
                for &index in &query.sample_indices {
                    let log = logged.next().copied().unwrap_or(false);
                    writeln!(
                        out,
                        r#"{{"kind":"issue","phase":"{name}","set":{set_no},"query":{query_no},"index":{index},"scheduled_ns":{},"accuracy_log":{log}}}"#,
                        query.scheduled_ns
                    )?;
                }
            }
            writeln!(
                out,
                r#"{{"kind":"generated","phase":"{name}","set":{set_no},"query_count":{},"samples_per_query":{},"query_duration_ns":{}}}"#,
                generated.query_count(),
                generated.samples_per_query,
                generated.query_duration_ns
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use clap::Parser;

    use super::*;
    use crate::cli::{Cli, Command};

    fn golden(name: &str) -> (serde_json::Value, std::path::PathBuf) {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../loadgen/tests/golden");
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        (serde_json::from_str(&text).unwrap(), dir)
    }

    fn plan_lines(argv: &[&str]) -> Vec<serde_json::Value> {
        let Command::Plan(args) = Cli::try_parse_from(argv).unwrap().command else {
            panic!("not a plan command");
        };
        let loaded = args.conf.load().unwrap();
        let total = args.total_sample_count.unwrap();
        let e = EffectiveSettings::derive(&loaded.settings, total, total);
        let mut out = Vec::new();
        write_plan(&e, total, &mut out).unwrap();
        String::from_utf8(out)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    #[test]
    fn interactive_plan_reproduces_the_official_loadgen_vectors() {
        let (g, dir) = golden("int_perf.json");
        let user = dir.join("u_srv.conf");
        let lines = plan_lines(&[
            "ossperf",
            "plan",
            "--scenario",
            "interactive",
            "--total-sample-count",
            "6396",
            "--user-conf",
            user.to_str().unwrap(),
        ]);
        assert_eq!(lines[0]["kind"], "loaded");
        assert_eq!(lines[0]["samples"], g["loaded"]);
        let issues: Vec<_> = lines.iter().filter(|l| l["kind"] == "issue").collect();
        let issued: Vec<_> = issues.iter().map(|l| l["index"].clone()).collect();
        assert_eq!(serde_json::Value::from(issued), g["issued"]);
        assert_eq!(issues[1]["scheduled_ns"], 18436);
        let last = lines.last().unwrap();
        assert_eq!(last["kind"], "generated");
        assert_eq!(last["query_count"], g["detail"]["generated_query_count"]);
        assert_eq!(
            last["query_duration_ns"],
            g["detail"]["generated_query_duration"]
        );
    }

    #[test]
    fn offline_accuracy_plan_loads_and_issues_every_sample_once() {
        let (g, dir) = golden("off_acc.json");
        let user = dir.join("u_off.conf");
        let lines = plan_lines(&[
            "ossperf",
            "plan",
            "--accuracy",
            "--total-sample-count",
            "4395",
            "--user-conf",
            user.to_str().unwrap(),
        ]);
        assert_eq!(lines[0]["samples"], g["loaded"]);
        let issued: Vec<_> = lines
            .iter()
            .filter(|l| l["kind"] == "issue")
            .map(|l| l["index"].clone())
            .collect();
        assert_eq!(serde_json::Value::from(issued), g["issued"]);
        assert!(lines
            .iter()
            .filter(|l| l["kind"] == "issue")
            .all(|l| l["accuracy_log"] == true));
    }

    #[test]
    fn a_user_conf_with_a_bad_line_is_refused_with_its_file_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user.conf");
        std::fs::write(&path, "gpt-oss-120b.Offline.target_qps=10\n").unwrap();
        let Command::Plan(args) =
            Cli::try_parse_from(["ossperf", "plan", "--user-conf", path.to_str().unwrap()])
                .unwrap()
                .command
        else {
            panic!("not a plan command");
        };
        let err = format!("{:#}", args.conf.load().unwrap_err());
        assert_eq!(
            err,
            format!("`{}` line 1: expected spaces around `=` as in `key = value`, found `gpt-oss-120b.Offline.target_qps=10`", path.display())
        );
    }
}
