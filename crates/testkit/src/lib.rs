//! Shared, dev-only test fixtures: a simulator on a free loopback port, temporary directories,
//! and a filter that replaces times with `[TIME]` so snapshots of human-readable output stay
//! exact. Must not be a dependency of anything but tests.
//!
//! ```
//! let sim = ossperf_testkit::sim();
//! assert!(sim.url().starts_with("http://127.0.0.1:"));
//! assert_eq!(ossperf_testkit::filter_times("took 12.5 ms at 2026-11-26T04:33:52Z"), "took [TIME] at [TIME]");
//! ```
#![warn(missing_docs)]

use ossperf_sim::{OutputLen, SimConfig, SimHandle, Simulator, Timing};

pub use ossperf_sim;
pub use tempfile::TempDir;

/// A simulator configuration for fast, exact tests: no modeled cost (`Timing::Zero`), every
/// answer exactly `output_len` tokens, seed 0, loopback on a free port.
pub fn zero_config(output_len: u32) -> SimConfig {
    SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(output_len),
        ..SimConfig::default()
    }
}

/// The requests a simulator served for a run's load: its truth without ossperf's start-up
/// generation, whose prompt is the reference's 3-token `[1, 2, 3]` (docs/SERVERS.md).
pub fn served_load(sim: &SimHandle) -> Vec<ossperf_sim::TruthRecord> {
    sim.truth()
        .into_iter()
        .filter(|t| t.prompt_tokens != 3)
        .collect()
}

/// A running simulator from [`zero_config`] with 64-token answers; dropping it shuts it down.
///
/// # Panics
/// When no loopback port can be bound (a broken test machine).
#[allow(clippy::expect_used)]
pub fn sim() -> SimHandle {
    sim_with(zero_config(64))
}

/// A running simulator with `config`; dropping it shuts it down.
///
/// # Panics
/// When the simulator cannot start (a broken test machine or an address in use).
#[allow(clippy::expect_used)]
pub fn sim_with(config: SimConfig) -> SimHandle {
    Simulator::start(config).expect("the simulator starts on a loopback port")
}

/// A fresh temporary directory, removed when dropped.
///
/// # Panics
/// When the system's temporary directory is not writable.
#[allow(clippy::expect_used)]
pub fn temp_dir() -> TempDir {
    tempfile::Builder::new()
        .prefix("ossperf-test-")
        .tempdir()
        .expect("a writable temporary directory")
}

/// Replaces durations (`12 ms`, `1.5s`, `300µs`, `2 min`), clock times (`04:33:52`) and ISO
/// timestamps (`2026-11-26T04:33:52.123Z`) with `[TIME]`.
pub fn filter_times(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < b.len() {
        let starts_number = b[i].is_ascii_digit() && (i == 0 || !is_word(b[i - 1]));
        if starts_number {
            if let Some(end) = timestamp_end(b, i).or_else(|| duration_end(b, i)) {
                out.push_str("[TIME]");
                i = end;
                continue;
            }
        }
        let ch = text[i..].chars().next().unwrap_or('\u{FFFD}');
        out.push(ch);
        i += ch.len_utf8().max(1);
    }
    out
}

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'.'
}

fn digits(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    i
}

/// `YYYY-MM-DD[T ]HH:MM:SS[.f][Z]` or `HH:MM:SS[.f]`.
fn timestamp_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = start;
    let d = digits(b, i);
    if d - i == 4 && b.get(d) == Some(&b'-') {
        let m = digits(b, d + 1);
        if m - d != 3 || b.get(m) != Some(&b'-') {
            return None;
        }
        let day = digits(b, m + 1);
        if day - m != 3 {
            return None;
        }
        i = day;
        if matches!(b.get(i), Some(b'T' | b' ')) && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            return clock_end(b, i + 1).or(Some(i));
        }
        return Some(i);
    }
    clock_end(b, start)
}

fn clock_end(b: &[u8], start: usize) -> Option<usize> {
    let h = digits(b, start);
    if h - start != 2 || b.get(h) != Some(&b':') {
        return None;
    }
    let m = digits(b, h + 1);
    if m - h != 3 || b.get(m) != Some(&b':') {
        return None;
    }
    let mut s = digits(b, m + 1);
    if s - m != 3 {
        return None;
    }
    if b.get(s) == Some(&b'.') && b.get(s + 1).is_some_and(u8::is_ascii_digit) {
        s = digits(b, s + 1);
    }
    if b.get(s) == Some(&b'Z') {
        s += 1;
    }
    Some(s)
}

/// A number followed by an optional space and a time unit that is not the start of a word.
fn duration_end(b: &[u8], start: usize) -> Option<usize> {
    let mut i = digits(b, start);
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(b, i + 1);
    }
    let unit_start = if b.get(i) == Some(&b' ') { i + 1 } else { i };
    const UNITS: [&str; 7] = ["min", "ms", "µs", "us", "ns", "s", "h"];
    for unit in UNITS {
        let end = unit_start + unit.len();
        if b.get(unit_start..end) == Some(unit.as_bytes())
            && !b.get(end).is_some_and(|&c| is_word(c) && c != b'.')
        {
            return Some(end);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_clock_times_and_timestamps_become_time() {
        assert_eq!(
            filter_times("TTFT 50.2 ms, TPOT 10ms, run 1.5s, 300µs, 2 min at 04:33:52 on 2026-11-26T04:33:52.123Z"),
            "TTFT [TIME], TPOT [TIME], run [TIME], [TIME], [TIME] at [TIME] on [TIME]"
        );
    }

    #[test]
    fn other_numbers_and_words_are_kept() {
        assert_eq!(
            filter_times("6396 samples, 12 steps, v1.2 sm_90, 5 mins"),
            "6396 samples, 12 steps, v1.2 sm_90, 5 mins"
        );
        assert_eq!(filter_times("date 2026-11-26 done"), "date [TIME] done");
    }

    #[test]
    fn the_fixture_simulator_answers_on_its_port_and_stops_when_dropped() {
        let sim = sim();
        let addr = sim.addr();
        assert!(std::net::TcpStream::connect(addr).is_ok());
        drop(sim);
        assert!(std::net::TcpStream::connect(addr).is_err());
    }

    #[test]
    fn temp_dirs_are_fresh_and_removed() {
        let dir = temp_dir();
        let path = dir.path().to_path_buf();
        assert!(path.is_dir() && std::fs::read_dir(&path).map(|d| d.count()).ok() == Some(0));
        drop(dir);
        assert!(!path.exists());
    }
}
