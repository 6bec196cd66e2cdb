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
