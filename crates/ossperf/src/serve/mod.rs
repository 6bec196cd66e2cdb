//! `ossperf serve`: launch SGLang or vLLM with the MLPerf reference's arguments, check what
//! would make the launch fail before it starts, wait until the server is healthy, and stay in
//! front of it for signals.

pub(crate) mod command;
pub(crate) mod launch;

use std::process::ExitCode;
use std::time::Duration;

pub(crate) use command::{LaunchSpec, Speculative};

use crate::cli::serve::ServeArgs;

impl ServeArgs {
    /// The launch the arguments describe.
    pub fn spec(&self) -> LaunchSpec {
        let speculative = match (&self.eagle_path, self.speculative) {
            (Some(path), _) => Some(Speculative::Draft(path.clone())),
            (None, true) => Some(Speculative::Reference),
            (None, false) => None,
        };
        LaunchSpec {
            engine: self.engine,
            python: self.python.clone(),
            model_path: self.model_path.clone(),
            host: self.host.clone(),
            port: self.port.unwrap_or_else(|| self.engine.default_port()),
            dp: self.dp,
            tp: self.tp,
            stream_interval: Some(self.stream_interval),
            speculative,
            extra: self.extra.clone(),
        }
    }
}

/// Runs `ossperf serve`.
pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let mut spec = args.spec();
    if args.dry_run {
        crate::output::data(&spec.command_line());
        return Ok(ExitCode::SUCCESS);
    }
    launch::check_engine(&spec)?;
    if spec.engine == command::Engine::Vllm && !launch::vllm_has_stream_interval(&spec.python) {
        crate::output::warn(
            "this vLLM has no `--stream-interval` (added by vllm-project/vllm#27869): it is \
             launched without it and streams every token",
        );
        spec.stream_interval = None;
    }
    launch::check_port(&spec)?;
    crate::output::info(&spec.command_line());
    launch::launch(&spec, Duration::from_secs(args.ready_timeout))
}
