//! Tests in child `ossperf` processes: the official LoadGen keeps process-wide state (its conf
//! counter and logger), so a command that runs several tests (`submission run`, `tune
//! --loadgen official`) runs each in a fresh process of its own, supervised from here.

use std::path::Path;
use std::process::{Command, Stdio};

use anyhow::Context as _;

use crate::cli::run::RunArgs;

/// The file in a child run's log directory that keeps what it printed.
pub(crate) const OUTPUT_FILE: &str = "ossperf-run.log";

/// Runs `ossperf run` with `args` as a child, its output kept in `<log_dir>/ossperf-run.log`
/// (the caller prints its own account of the run), and returns its exit code as
/// [`supervise`] does. `args.log_dir` names `log_dir`, which exists.
pub(crate) fn run_test(args: &RunArgs, log_dir: &Path, what: &str) -> anyhow::Result<i32> {
    let exe = std::env::current_exe().context("cannot find the ossperf executable")?;
    let path = log_dir.join(OUTPUT_FILE);
    let out = std::fs::File::create(&path)
        .with_context(|| format!("cannot create `{}`", path.display()))?;
    let err = out
        .try_clone()
        .with_context(|| format!("cannot share `{}`", path.display()))?;
    let mut cmd = Command::new(exe);
    cmd.arg("run")
        .args(args.to_argv())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    supervise(cmd, what)
}

/// The last line a child run printed, for an error that sends the user to the whole file.
pub(crate) fn last_line(log_dir: &Path) -> String {
    std::fs::read_to_string(log_dir.join(OUTPUT_FILE))
        .ok()
        .and_then(|text| {
            text.lines()
                .rev()
                .find(|l| !l.trim().is_empty())
                .map(str::to_string)
        })
        .unwrap_or_default()
}

/// Runs `cmd` in its own process group, so a Ctrl-C reaches it once, forwarded from here
/// (a second one too, which makes a run exit at once); returns its exit code (128 + the
/// signal when one ended it). `what` names it in messages (`the performance step`).
pub(crate) fn supervise(cmd: Command, what: &str) -> anyhow::Result<i32> {
    use tokio::signal::unix::{signal, SignalKind};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let mut sigint = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
        let mut sigterm = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        let mut child = tokio::process::Command::from(cmd)
            .process_group(0)
            .spawn()
            .with_context(|| format!("cannot start ossperf for {what}"))?;
        let group = child.id().and_then(|id| i32::try_from(id).ok());
        loop {
            tokio::select! {
                status = child.wait() => {
                    let status = status.with_context(|| format!("cannot wait for {what}"))?;
                    use std::os::unix::process::ExitStatusExt as _;
                    return Ok(status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)));
                }
                _ = sigint.recv() => { crate::serve::launch::forward_to(group, libc::SIGINT, what); }
                _ = sigterm.recv() => { crate::serve::launch::forward_to(group, libc::SIGTERM, what); }
            }
        }
    })
}
