//! Runs the launch command the way an operator would, but with the checks done first: the
//! engine must import, the port must be free, and the server counts as started only once
//! `GET /health` answers 200. The child gets its own process group, so a signal ossperf
//! receives is forwarded to the whole server (its scheduler and worker processes too), and
//! ossperf exits with the server's status.

use std::process::{ExitCode, ExitStatus, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::signal::unix::{signal, SignalKind};

use super::command::LaunchSpec;

/// How often readiness is probed.
const PROBE_EVERY: Duration = Duration::from_millis(200);

/// The largest `/health` answer read (servers answer a few bytes).
const PROBE_MAX_BODY: usize = 1 << 20;

/// Checks that the engine imports with the chosen Python, and says what to install if not.
pub(crate) fn check_engine(spec: &LaunchSpec) -> anyhow::Result<()> {
    let package = spec.engine.package();
    let out = std::process::Command::new(&spec.python)
        .args(["-c", &format!("import {package}")])
        .stdin(Stdio::null())
        .output()
        .with_context(|| {
            format!(
                "cannot run the Python `{}`; name an interpreter with `--python`",
                spec.python
            )
        })?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let last = stderr.lines().last().unwrap_or("").trim();
        bail!(
            "`{} -c \"import {package}\"` failed ({last}): {} into that Python, or name one \
             that has it with `--python`",
            spec.python,
            spec.engine.install_hint()
        );
    }
    Ok(())
}

/// Whether the vLLM of `python` has `--stream-interval`: its `EngineArgs` (in
/// `vllm/engine/arg_utils.py`) has had a `stream_interval` field since vllm-project/vllm#27869.
/// The file is read, not imported, so the check takes no GPU or torch start-up.
pub(crate) fn vllm_has_stream_interval(python: &str) -> bool {
    const CHECK: &str = "import importlib.util, sys\n\
        s = importlib.util.find_spec('vllm.engine.arg_utils')\n\
        sys.exit(0 if s and s.origin and 'stream_interval' in open(s.origin).read() else 1)";
    std::process::Command::new(python)
        .args(["-c", CHECK])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Checks that `host:port` can be bound, so a busy port is one clear line before a server
/// spends minutes loading weights and then fails.
pub(crate) fn check_port(spec: &LaunchSpec) -> anyhow::Result<()> {
    match std::net::TcpListener::bind((spec.host.as_str(), spec.port)) {
        Ok(listener) => {
            drop(listener);
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "port `{}` on `{}` is in use: stop what listens there or choose another with `--port`",
            spec.port,
            spec.host
        ),
        Err(e) => bail!(
            "cannot listen on `{}:{}` ({e}): check `--host` and `--port`",
            spec.host,
            spec.port
        ),
    }
}

/// Where the readiness probe connects: loopback for a wildcard or local host.
pub(crate) fn probe_authority(spec: &LaunchSpec) -> String {
    let host = match spec.host.as_str() {
        "0.0.0.0" | "localhost" | "" => "127.0.0.1",
        "::" | "[::]" => "[::1]",
        other => other,
    };
    if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{}", spec.port)
    } else {
        format!("{host}:{}", spec.port)
    }
}

/// Starts the server, waits for health within `ready_within`, forwards SIGINT and SIGTERM
/// to its process group, and returns its exit status as ossperf's.
pub(crate) fn launch(spec: &LaunchSpec, ready_within: Duration) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(supervise(spec, ready_within))
}

async fn supervise(spec: &LaunchSpec, ready_within: Duration) -> anyhow::Result<ExitCode> {
    let mut sigint = signal(SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
    let mut sigterm = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    let mut child = tokio::process::Command::new(&spec.python)
        .args(spec.args())
        .process_group(0)
        .stdin(Stdio::null())
        .spawn()
        .with_context(|| format!("cannot start `{}`", spec.python))?;
    let group = child.id().and_then(|id| i32::try_from(id).ok());
    let authority = probe_authority(spec);
    let ready = wait_ready(&authority, ready_within);
    tokio::pin!(ready);
    let mut is_ready = false;
    let mut forwarded = None;
    loop {
        tokio::select! {
            status = child.wait() => {
                let status = status.context("cannot wait for the server")?;
                if !is_ready && forwarded.is_none() {
                    bail!(
                        "the server exited ({}) before `GET /health` on `{authority}` answered \
                         200; its output above says why",
                        describe(status)
                    );
                }
                crate::output::info(&format!("the server exited ({})", describe(status)));
                return Ok(exit_code(status));
            }
            _ = sigint.recv() => forwarded = forward(group, libc::SIGINT),
            _ = sigterm.recv() => forwarded = forward(group, libc::SIGTERM),
            result = &mut ready, if !is_ready => match result {
                Ok(()) => {
                    is_ready = true;
                    crate::output::info(&format!(
                        "the server is ready: http://{authority} (`ossperf run --server-url http://{authority}`)"
                    ));
                }
                Err(waited) => {
                    forward(group, libc::SIGTERM);
                    let grace = Duration::from_secs(10);
                    let mut ended = tokio::time::timeout(grace, child.wait()).await;
                    if ended.is_err() {
                        forward(group, libc::SIGKILL);
                        ended = tokio::time::timeout(grace, child.wait()).await;
                    }
                    // How it ended says whether it stopped on SIGTERM or had to be killed.
                    if let Ok(Ok(status)) = ended {
                        crate::output::info(&format!("the server exited ({})", describe(status)));
                    }
                    bail!(
                        "`GET /health` on `{authority}` did not answer 200 within {waited:?}; \
                         the server was stopped (give it longer with `--ready-timeout`)"
                    );
                }
            },
        }
    }
}

/// Probes `GET /health` until it answers 200; `Err` carries the time waited.
async fn wait_ready(authority: &str, within: Duration) -> Result<(), Duration> {
    let started = tokio::time::Instant::now();
    // `probe_authority` gives `host:port` of an address, which always parses.
    let endpoint =
        ossperf_client::Endpoint::parse(&format!("http://{authority}")).map_err(|_| within)?;
    loop {
        let probe =
            ossperf_client::get(&endpoint, "/health", Duration::from_secs(5), PROBE_MAX_BODY).await;
        if probe.is_ok_and(|a| a.status == 200) {
            return Ok(());
        }
        if started.elapsed() + PROBE_EVERY > within {
            return Err(within);
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
}

/// Sends `sig` to the server's process group; returns the signal for the record.
fn forward(group: Option<i32>, sig: i32) -> Option<i32> {
    forward_to(group, sig, "the server")
}

/// Sends `sig` to the process group of a child started with `process_group(0)` (`what`
/// names it in the message); returns the signal for the record.
pub(crate) fn forward_to(group: Option<i32>, sig: i32, what: &str) -> Option<i32> {
    if let Some(group) = group {
        crate::output::info(&format!("forwarding signal {sig} to {what}"));
        // SAFETY: kill(2) with a negative pid signals a process group; it reads no memory.
        #[allow(unsafe_code)]
        unsafe {
            libc::kill(-group, sig);
        }
    }
    Some(sig)
}

fn describe(status: ExitStatus) -> String {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        _ => "unknown status".to_string(),
    }
}

/// The child's code, or 128 + the signal that ended it, as a shell reports it.
fn exit_code(status: ExitStatus) -> ExitCode {
    use std::os::unix::process::ExitStatusExt;
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::serve::command::Engine;

    fn spec(host: &str) -> LaunchSpec {
        LaunchSpec {
            engine: Engine::Sglang,
            python: "python3".into(),
            model_path: "m".into(),
            host: host.into(),
            port: 30000,
            dp: 1,
            tp: None,
            stream_interval: Some(500),
            speculative: None,
            extra: vec![],
        }
    }

    /// A `python` that sees a fake vLLM whose `arg_utils.py` holds `source`.
    fn fake_vllm(dir: &std::path::Path, source: &str) -> String {
        use std::os::unix::fs::PermissionsExt;
        let engine = dir.join("vllm/engine");
        std::fs::create_dir_all(&engine).unwrap();
        std::fs::write(dir.join("vllm/__init__.py"), "").unwrap();
        std::fs::write(engine.join("__init__.py"), "").unwrap();
        std::fs::write(engine.join("arg_utils.py"), source).unwrap();
        let python = dir.join("python");
        let script = format!(
            "#!/bin/sh\nPYTHONPATH='{}' exec python3 \"$@\"\n",
            dir.display()
        );
        std::fs::write(&python, script).unwrap();
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
        python.display().to_string()
    }

    #[test]
    fn only_a_vllm_whose_engine_args_have_stream_interval_gets_the_flag() {
        if std::process::Command::new("python3")
            .arg("-V")
            .output()
            .is_err()
        {
            eprintln!("skipped: no python3 on PATH");
            return;
        }
        let new = tempfile::tempdir().unwrap();
        let python = fake_vllm(
            new.path(),
            "class EngineArgs:\n    stream_interval: int = 1\n",
        );
        assert!(vllm_has_stream_interval(&python));
        let old = tempfile::tempdir().unwrap();
        let python = fake_vllm(
            old.path(),
            "class EngineArgs:\n    max_num_seqs: int = 256\n",
        );
        assert!(!vllm_has_stream_interval(&python));
        assert!(!vllm_has_stream_interval("/nonexistent/python"));
    }

    #[test]
    fn the_probe_goes_to_loopback_for_wildcard_hosts() {
        assert_eq!(probe_authority(&spec("0.0.0.0")), "127.0.0.1:30000");
        assert_eq!(probe_authority(&spec("::")), "[::1]:30000");
        assert_eq!(probe_authority(&spec("127.0.0.2")), "127.0.0.2:30000");
    }
}
