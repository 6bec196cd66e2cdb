//! The one place that writes to the terminal: data to stdout, diagnostics to stderr.
#![allow(clippy::print_stdout, clippy::print_stderr)]

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

/// Prints a data line to stdout.
pub fn data(line: &str) {
    println!("{line}");
}

/// Rewrites the live progress line on stderr (a terminal).
pub fn progress(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "\r\x1b[2K{line}");
    let _ = err.flush();
}

/// Ends the live progress line so the next output starts on a fresh line.
pub fn progress_done() {
    eprintln!();
}
