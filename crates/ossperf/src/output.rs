//! The one place that writes to the terminal: data to stdout, diagnostics to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

/// Prints an error line to stderr.
pub fn error(message: &str) {
    eprintln!("error: {message}");
}

/// Prints a warning line to stderr.
pub fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Prints a diagnostic line to stderr.
pub fn info(message: &str) {
    eprintln!("{message}");
}

/// Set once stdout's reader has gone away (`ossperf ... | head -1`).
static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);

/// Prints a data line to stdout. When the reader has gone away, this and every later data line
/// are dropped and the command goes on: files it writes after printing (`eval --output`, a
/// run's report) are still written, and the exit status is the command's own.
pub fn data(line: &str) {
    if STDOUT_CLOSED.load(Ordering::Relaxed) {
        return;
    }
    let mut out = std::io::stdout().lock();
    if let Err(err) = writeln!(out, "{line}") {
        STDOUT_CLOSED.store(true, Ordering::Relaxed);
        if err.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("warning: cannot write to stdout: {err}");
        }
    }
}

/// Rewrites the live progress line on stderr (a terminal).
pub fn progress(line: &str) {
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K{line}");
    let _ = err.flush();
}

/// Ends the live progress line so the next output starts on a fresh line.
pub fn progress_done() {
    eprintln!();
}
