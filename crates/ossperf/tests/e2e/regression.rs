//! Regressions, each citing its issue: what a new user hit, driven through the real binary.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::util::text;

fn ossperf() -> Command {
    Command::new(env!("CARGO_BIN_EXE_ossperf"))
}

fn data_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// Runs `cmd` with its stdout a pipe whose reader has gone away before the first write.
fn into_closed_pipe(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ossperf");
    // The reader leaves at once, long before the child has parsed its arguments.
    drop(child.stdout.take());
    child.wait_with_output().expect("wait for ossperf")
}

// issue 17, item 3: `ossperf dataset inspect data/sample.parquet --decode 0 | head -1` panicked
// with exit 101 and a backtrace.
#[test]
fn a_reader_that_exits_early_ends_dataset_inspect_quietly_with_status_0() {
    let out = into_closed_pipe(
        ossperf()
            .args(["dataset", "inspect", "--decode", "0"])
            .arg(data_file("sample.parquet")),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stderr.is_empty(), "{}", text(&out));
}
