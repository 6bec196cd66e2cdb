//! Helpers shared by the end-to-end tests, and the one place that builds an `ossperf`
//! command line.

use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

/// The `ossperf` binary under test.
pub fn ossperf() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ossperf"))
}

/// `ossperf <subcommand> <args> --user-conf <dir>/user.conf --output-dir <dir>/out`, with
/// `conf` written to `<dir>/user.conf` first; a `--user-conf` among `args` replaces it.
pub fn in_dir(subcommand: &str, args: &[&str], dir: &Path, conf: &str) -> Command {
    let user_conf = dir.join("user.conf");
    std::fs::write(&user_conf, conf).expect("write user.conf");
    let mut command = ossperf();
    command.arg(subcommand).args(args);
    if !args.contains(&"--user-conf") {
        command.arg("--user-conf").arg(&user_conf);
    }
    command.arg("--output-dir").arg(dir.join("out"));
    command
}

/// `text` with what a run measures masked as `[MEASURED]` (the summary's rates and latency
/// statistics), the loopback port of a started simulator as `[PORT]`, and durations and clock
/// times as `[TIME]`, so the rest (layout, settings, seeds, verdict, file list) is compared
/// exactly.
pub fn mask_measured(text: &str) -> String {
    const MEASURED: [&str; 4] = [
        "Samples per second",
        "Tokens per second",
        "latency (ns)",
        "p50",
    ];
    let lines = text.lines().map(|line| {
        let stat = line.starts_with("Min ")
            || line.starts_with("Max ")
            || line.starts_with("Mean ")
            || line.contains(" percentile ");
        let measured = MEASURED[..2].iter().any(|m| line.starts_with(m))
            || (stat && line.contains(MEASURED[2]));
        match line.split_once(':') {
            Some((key, _)) if measured => format!("{key}: [MEASURED]"),
            _ if line.contains(MEASURED[3]) => "[MEASURED]".to_string(),
            _ => line.to_string(),
        }
    });
    let masked: Vec<String> = lines.map(|l| mask_port(&l)).collect();
    ossperf_testkit::filter_times(&(masked.join("\n") + "\n"))
}

/// `http://127.0.0.1:<port>` as `http://127.0.0.1:[PORT]`.
fn mask_port(line: &str) -> String {
    const HOST: &str = "http://127.0.0.1:";
    match line.find(HOST) {
        Some(i) => {
            let start = i + HOST.len();
            let end = line[start..]
                .find(|c: char| !c.is_ascii_digit())
                .map_or(line.len(), |n| start + n);
            format!("{}[PORT]{}", &line[..start], &line[end..])
        }
        None => line.to_string(),
    }
}

/// A finished command's status and output, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// A JSON file, parsed; a test fails when it is missing or not JSON.
pub fn json(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()))
}

/// Sends `signal` (e.g. `libc::SIGINT`) to a child this test started.
pub fn send_signal(child: &std::process::Child, signal: i32) {
    let pid = i32::try_from(child.id()).expect("a pid");
    // SAFETY: kill(2) on our own child's pid with a valid signal number.
    #[allow(unsafe_code)]
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "signal {signal} was not delivered");
}
