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

/// The width of the terminal on stderr in columns: `COLUMNS` when set, else the terminal's
/// own, else 80. Read at every update, so a resized window is followed.
pub fn terminal_width() -> usize {
    if let Some(cols) = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
    {
        return cols;
    }
    let mut size = libc::winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the struct it is given, which lives here.
    #[allow(unsafe_code)]
    let ok = unsafe { libc::ioctl(libc::STDERR_FILENO, libc::TIOCGWINSZ, &mut size) } == 0;
    if ok && size.ws_col > 0 {
        usize::from(size.ws_col)
    } else {
        80
    }
}

/// Ends the live progress line so the next output starts on a fresh line.
pub fn progress_done() {
    eprintln!();
}
