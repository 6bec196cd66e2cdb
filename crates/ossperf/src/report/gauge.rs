//! The terminal's view of the latency constraints: one compact line for the live progress of
//! `ossperf run`, so a user sees a run drifting toward INVALID before it ends.
//!
//! Plain text only (the bar and the word `OVER` carry the meaning, never colour), so it reads
//! the same with `NO_COLOR`, in a log file and on a dumb terminal.

use std::time::Duration;

use super::fmt::duration;

const BAR: usize = 10;

/// One line such as `TTFT p99 1.84 s/3 s ▕██████░░░░▏ 61%  TPOT p99 42 ms/80 ms ▕█████░░░░░▏ 52%`.
pub fn latency_gauge(
    ttft_p99: Duration,
    ttft_limit: Duration,
    tpot_p99: Duration,
    tpot_limit: Duration,
) -> String {
    format!(
        "{}  {}",
        gauge("TTFT p99", ttft_p99, ttft_limit),
        gauge("TPOT p99", tpot_p99, tpot_limit)
    )
}

/// One quantity against its limit: value/limit, a bar of ten cells and the percentage used;
/// `OVER` when the value exceeds the limit (equality passes, as in LoadGen).
pub fn gauge(name: &str, value: Duration, limit: Duration) -> String {
    let (v, l) = (value.as_nanos() as f64, limit.as_nanos() as f64);
    let share = if l > 0.0 { v / l } else { f64::INFINITY };
    let filled = if share.is_finite() {
        ((share * BAR as f64).round() as usize).min(BAR)
    } else {
        BAR
    };
    let bar: String = "█".repeat(filled) + &"░".repeat(BAR - filled);
    let percent = if share.is_finite() {
        format!("{:.0}%", share * 100.0)
    } else {
        "no limit".to_string()
    };
    let over = if v > l { " OVER" } else { "" };
    format!(
        "{name} {}/{} ▕{bar}▏ {percent}{over}",
        duration(v),
        duration(l)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauge_shows_both_quantities_against_their_limits() {
        let line = latency_gauge(
            Duration::from_millis(1_840),
            Duration::from_secs(3),
            Duration::from_millis(42),
            Duration::from_millis(80),
        );
        assert_eq!(
            line,
            "TTFT p99 1.84 s/3 s ▕██████░░░░▏ 61%  TPOT p99 42 ms/80 ms ▕█████░░░░░▏ 52%"
        );
    }

    #[test]
    fn a_value_over_its_limit_says_so_in_words() {
        let line = gauge(
            "TPOT p99",
            Duration::from_millis(96),
            Duration::from_millis(80),
        );
        assert_eq!(line, "TPOT p99 96 ms/80 ms ▕██████████▏ 120% OVER");
        let equal = gauge("TTFT p99", Duration::from_secs(2), Duration::from_secs(2));
        assert_eq!(equal, "TTFT p99 2 s/2 s ▕██████████▏ 100%");
    }
}
