//! `ossperf run`'s arguments written back as a command line, for commands that run a test in a
//! child `ossperf run` (the official LoadGen allows one test per process). Every flag is
//! written, defaults included, each as `--flag=value` so a value that starts with `-` stays a
//! value; the destructure is exhaustive, so a new flag of `run` cannot be forgotten here.

use std::ffi::OsString;
use std::path::Path;

use clap::ValueEnum;

use crate::cli::conf_args::ConfArgs;
use crate::cli::connection::ConnectionArgs;
use crate::cli::run::RunArgs;

/// A command line being written.
#[derive(Default)]
struct Argv(Vec<OsString>);

impl Argv {
    fn flag(&mut self, name: &str, on: bool) {
        if on {
            self.0.push(format!("--{name}").into());
        }
    }

    fn value(&mut self, name: &str, value: impl std::fmt::Display) {
        self.0.push(format!("--{name}={value}").into());
    }

    fn path(&mut self, name: &str, path: &Path) {
        let mut arg = OsString::from(format!("--{name}="));
        arg.push(path.as_os_str());
        self.0.push(arg);
    }

    fn choice(&mut self, name: &str, value: impl ValueEnum) {
        if let Some(v) = value.to_possible_value() {
            self.value(name, v.get_name());
        }
    }
}

impl RunArgs {
    /// The arguments after `ossperf run` that parse back into these.
    pub fn to_argv(&self) -> Vec<OsString> {
        let RunArgs {
            conf,
            input_file,
            max_samples,
            loadgen,
            output_dir,
            log_dir,
            backend,
            server_url,
            endpoints_file,
            connection,
            generation_config,
            max_new_tokens,
            temperature,
            top_k,
            top_p,
            num_workers,
            max_concurrency,
            timeout,
            abandon_after,
            stream,
            no_stream,
            sim_profile,
            sim_output_len,
            sim_accuracy,
            warmup,
            salt_prompts,
            telemetry,
            fail_on_invalid,
            debug,
        } = self;
        let mut a = Argv::default();
        conf_argv(&mut a, conf);
        if let Some(p) = input_file {
            a.path("input-file", p);
        }
        if let Some(n) = max_samples {
            a.value("max-samples", n);
        }
        a.choice("loadgen", *loadgen);
        a.path("output-dir", output_dir);
        if let Some(p) = log_dir {
            a.path("log-dir", p);
        }
        if let Some(b) = backend {
            a.choice("backend", *b);
        }
        for url in server_url {
            a.value("server-url", url);
        }
        if let Some(p) = endpoints_file {
            a.path("endpoints-file", p);
        }
        connection_argv(&mut a, connection);
        if let Some(p) = generation_config {
            a.path("generation-config", p);
        }
        if let Some(n) = max_new_tokens {
            a.value("max-new-tokens", n);
        }
        if let Some(t) = temperature {
            a.value("temperature", t);
        }
        if let Some(k) = top_k {
            a.value("top-k", k);
        }
        if let Some(p) = top_p {
            a.value("top-p", p);
        }
        if let Some(n) = num_workers {
            a.value("num-workers", n);
        }
        a.value("max-concurrency", max_concurrency);
        a.value("timeout", timeout);
        a.value("abandon-after", abandon_after);
        a.flag("stream", *stream);
        a.flag("no-stream", *no_stream);
        a.choice("sim-profile", *sim_profile);
        if let Some(n) = sim_output_len {
            a.value("sim-output-len", n);
        }
        a.value("sim-accuracy", sim_accuracy);
        a.value("warmup", warmup);
        a.flag("salt-prompts", *salt_prompts);
        for url in telemetry {
            a.value("telemetry", url);
        }
        a.flag("fail-on-invalid", *fail_on_invalid);
        a.flag("debug", *debug);
        a.0
    }
}

fn conf_argv(a: &mut Argv, conf: &ConfArgs) {
    let ConfArgs {
        scenario,
        accuracy,
        mlperf_conf,
        user_conf,
        audit_config,
    } = conf;
    a.choice("scenario", *scenario);
    a.flag("accuracy", *accuracy);
    for (name, path) in [
        ("mlperf-conf", mlperf_conf),
        ("user-conf", user_conf),
        ("audit-config", audit_config),
    ] {
        if let Some(p) = path {
            a.path(name, p);
        }
    }
}

fn connection_argv(a: &mut Argv, connection: &ConnectionArgs) {
    let ConnectionArgs {
        api_key,
        headers,
        ca_certs,
        insecure,
        wait_ready,
    } = connection;
    if let Some(key) = api_key {
        a.value("api-key", key);
    }
    for h in headers {
        a.value("header", h);
    }
    for p in ca_certs {
        a.path("ca-cert", p);
    }
    a.flag("insecure", *insecure);
    if let Some(s) = wait_ready {
        a.value("wait-ready", s);
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use crate::cli::{Cli, Command};

    use super::*;

    fn parse(args: &[OsString]) -> RunArgs {
        let argv = ["ossperf", "run"].map(OsString::from).into_iter();
        let cli = Cli::try_parse_from(argv.chain(args.iter().cloned()))
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let Command::Run(run) = cli.command else {
            panic!("not `run`")
        };
        run
    }

    fn round_trip(flags: &[&str]) {
        let args: Vec<OsString> = flags.iter().map(OsString::from).collect();
        let given = parse(&args);
        let written = given.to_argv();
        assert_eq!(parse(&written), given, "{flags:?} written as {written:?}");
        // Written twice, the same: the line is a function of the arguments alone.
        assert_eq!(parse(&written).to_argv(), written);
    }

    #[test]
    fn every_flag_of_run_survives_being_written_as_a_command_line() {
        round_trip(&[]);
        round_trip(&[
            "--scenario",
            "interactive",
            "--accuracy",
            "--mlperf-conf",
            "m.conf",
            "--user-conf",
            "dir with space/user.conf",
            "--audit-config",
            "audit.config",
            "--input-file=-starts-with-a-dash.parquet",
            "--max-samples",
            "7",
            "--loadgen",
            "official",
            "--output-dir",
            "out",
            "--log-dir",
            "out/exactly",
            "--backend",
            "vllm",
            "--server-url",
            "http://127.0.0.1:1",
            "--server-url",
            "https://[::1]:2/v1",
            "--endpoints-file",
            "eps.txt",
            "--api-key=-key-with-a-dash",
            "--header",
            "X-A:1",
            "--header",
            "X-B: two words",
            "--ca-cert",
            "a.pem",
            "--ca-cert",
            "b.pem",
            "--insecure",
            "--wait-ready",
            "60",
            "--generation-config",
            "gen.json",
            "--max-tokens",
            "99",
            "--temperature",
            "0.1",
            "--top-k",
            "-1",
            "--top-p",
            "0.30000000000000004",
            "--num-workers",
            "4",
            "--max-concurrency",
            "3",
            "--timeout",
            "9",
            "--abandon-after",
            "5",
            "--stream",
            "--sim-profile",
            "zero",
            "--sim-output-len",
            "8",
            "--sim-accuracy",
            "0.125",
            "--warmup",
            "3",
            "--salt-prompts",
            "--telemetry",
            "http://127.0.0.1:9400",
            "--telemetry",
            "http://127.0.0.1:9100/metrics",
            "--fail-on-invalid",
            "--debug-mode",
        ]);
        round_trip(&[
            "--mode",
            "server",
            "--no-stream",
            "--backend",
            "sim",
            "--sim-profile",
            "h200",
            "--temperature",
            "1e-300",
        ]);
        round_trip(&["--scenario", "offline", "--backend", "sglang", "--top-k=5"]);
    }

    #[test]
    fn the_line_names_every_value_defaults_included() {
        let line: Vec<String> = parse(&[])
            .to_argv()
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            line,
            [
                "--scenario=offline",
                "--loadgen=native",
                "--output-dir=mlperf_results",
                "--max-concurrency=128",
                "--timeout=1200",
                "--abandon-after=30",
                "--sim-profile=h100",
                "--sim-accuracy=0.83",
                "--warmup=0",
            ]
        );
    }
}
