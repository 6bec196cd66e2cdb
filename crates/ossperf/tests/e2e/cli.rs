//! The command line as a user meets it.

use std::process::Command;

#[test]
fn help_lists_every_subcommand() {
    let out = Command::new(env!("CARGO_BIN_EXE_ossperf"))
        .arg("--help")
        .output()
        .expect("run ossperf");
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in [
        "run",
        "plan",
        "simulate",
        "dataset",
        "eval",
        "compliance",
        "report",
        "serve",
        "tune",
    ] {
        assert!(help.contains(sub), "`--help` misses `{sub}`:\n{help}");
    }
}
