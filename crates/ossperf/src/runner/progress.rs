//! The live progress line: issued and completed samples, tokens per second, running TTFT and
//! TPOT percentiles (p99 as a gauge against the scenario's limits), and failures. On a terminal it rewrites
//! one line every half second, fitted to the terminal's width (a wider line would wrap and
//! leave a fragment on screen at every update); otherwise it prints a whole line every ten
//! seconds.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::report::fmt::duration;
use crate::report::gauge::gauge;
use crate::sut::{GptOssSut, LiveSnapshot};

/// The TTFT and TPOT limits shown next to the running percentiles.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limits {
    /// TTFT p99 limit (Server and Interactive).
    pub ttft: Duration,
    /// TPOT p99 limit (Server and Interactive).
    pub tpot: Duration,
}

/// A running progress reporter; [`finish`](Progress::finish) stops it.
pub(super) struct Progress {
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    tty: bool,
}

impl Progress {
    /// Starts reporting on `sut`'s counters.
    /// Without streaming the first token arrives with the whole answer, so the line shows the
    /// latency instead of TTFT and TPOT.
    pub(super) fn start(sut: GptOssSut, limits: Option<Limits>, streaming: bool) -> Progress {
        let tty = stderr_is_terminal();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let started = Instant::now();
        let thread = std::thread::Builder::new()
            .name("ossperf-progress".into())
            .spawn(move || {
                let period = if tty {
                    Duration::from_millis(500)
                } else {
                    Duration::from_secs(10)
                };
                let mut last = (started, 0u64);
                let mut next = started + period;
                while !flag.load(Ordering::Acquire) {
                    std::thread::sleep(Duration::from_millis(50));
                    let now = Instant::now();
                    if now < next {
                        continue;
                    }
                    next = now + period;
                    let snap = sut.live();
                    let rate = tokens_per_second(last, (now, snap.output_tokens));
                    last = (now, snap.output_tokens);
                    let elapsed = now - started;
                    if tty {
                        let width = crate::output::terminal_width();
                        let line = fit_line(elapsed, &snap, rate, limits, streaming, width);
                        crate::output::progress(&line);
                    } else {
                        let line = format_line(elapsed, &snap, rate, limits, streaming);
                        crate::output::info(&line);
                    }
                }
            })
            .ok();
        Progress { stop, thread, tty }
    }

    /// Stops the reporter and clears the live line.
    pub(super) fn finish(mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if self.tty {
            crate::output::progress_done();
        }
    }
}

fn tokens_per_second(before: (Instant, u64), now: (Instant, u64)) -> f64 {
    let secs = (now.0 - before.0).as_secs_f64();
    if secs <= 0.0 {
        return 0.0;
    }
    now.1.saturating_sub(before.1) as f64 / secs
}

/// One progress line, whole (for a log file or a pipe).
pub(super) fn format_line(
    elapsed: Duration,
    snap: &LiveSnapshot,
    tokens_per_second: f64,
    limits: Option<Limits>,
    streaming: bool,
) -> String {
    join(&line_parts(
        elapsed,
        snap,
        tokens_per_second,
        limits,
        streaming,
    ))
}

/// One piece of the line. When the line is too wide for the terminal, the piece with the
/// highest `rank` gives way first: to its `short` form if it has one (which then ranks
/// [`SHORT_RANK`]), else entirely. The p99 gauges outlast the token rate: a Server run's
/// verdict hangs on them.
const SHORT_RANK: u8 = 2;

#[derive(Debug, Clone)]
struct Part {
    text: String,
    short: Option<String>,
    rank: u8,
}

impl Part {
    fn new(text: String, rank: u8) -> Part {
        Part {
            text,
            short: None,
            rank,
        }
    }
}

fn line_parts(
    elapsed: Duration,
    snap: &LiveSnapshot,
    tokens_per_second: f64,
    limits: Option<Limits>,
    streaming: bool,
) -> Vec<Part> {
    let mut parts = vec![
        Part::new(
            format!("[{:>6.1}s] issued {}", elapsed.as_secs_f64(), snap.issued),
            0,
        ),
        Part::new(format!("done {}", snap.completed), 0),
        Part::new(format!("failed {}", snap.failed), 1),
        Part::new(format!("{tokens_per_second:.0} tok/s"), 3),
    ];
    if !streaming {
        if snap.ttft_p50.is_some() {
            parts.push(Part::new(
                format!(
                    "latency p50 {} p99 {}",
                    show(snap.ttft_p50),
                    show(snap.ttft_p99)
                ),
                4,
            ));
        }
        return parts;
    }
    let mut latency = |name: &str, p50: Option<Duration>, p99: Option<Duration>, limit| {
        parts.push(Part::new(format!("{name} p50 {}", show(p50)), 6));
        parts.push(match (p99, limit) {
            (Some(p99), Some(limit)) => Part {
                text: gauge(&format!("{name} p99"), p99, limit),
                short: Some(gauge_short(&format!("{name} p99"), p99, limit)),
                rank: 5,
            },
            _ => Part::new(format!("{name} p99 {}", show(p99)), 4),
        });
    };
    if snap.ttft_p50.is_some() {
        latency("TTFT", snap.ttft_p50, snap.ttft_p99, limits.map(|l| l.ttft));
    }
    if snap.tpot_p50.is_some() {
        latency("TPOT", snap.tpot_p50, snap.tpot_p99, limits.map(|l| l.tpot));
    }
    parts
}

/// A gauge without its bar: `TTFT p99 2.5 s/2 s 125% OVER`.
fn gauge_short(name: &str, value: Duration, limit: Duration) -> String {
    let full = gauge(name, value, limit);
    match (full.find(" ▕"), full.find("▏ ")) {
        (Some(a), Some(b)) => format!("{}{}", &full[..a], &full[b + "▏".len()..]),
        _ => full,
    }
}

fn join(parts: &[Part]) -> String {
    let texts: Vec<&str> = parts.iter().map(|p| p.text.as_str()).collect();
    texts.join("  ")
}

/// The line fitted to a terminal `width` columns wide, one column spare so the cursor never
/// wraps: pieces give way by rank (the later of equals first), and what still does not fit is
/// cut with `…`. Every character of the line is one column wide.
pub(super) fn fit_line(
    elapsed: Duration,
    snap: &LiveSnapshot,
    tokens_per_second: f64,
    limits: Option<Limits>,
    streaming: bool,
    width: usize,
) -> String {
    let room = width.saturating_sub(1).max(1);
    let mut parts = line_parts(elapsed, snap, tokens_per_second, limits, streaming);
    loop {
        let line = join(&parts);
        if line.chars().count() <= room {
            return line;
        }
        let Some(i) = (0..parts.len())
            .filter(|&i| parts[i].rank > 0)
            .max_by_key(|&i| (parts[i].rank, i))
        else {
            let mut cut: String = line.chars().take(room - 1).collect();
            cut.push('…');
            return cut;
        };
        match parts[i].short.take() {
            Some(short) => {
                parts[i].text = short;
                parts[i].rank = SHORT_RANK;
            }
            None => {
                parts.remove(i);
            }
        }
    }
}

fn show(d: Option<Duration>) -> String {
    d.map_or_else(|| "-".to_string(), |d| duration(d.as_nanos() as f64))
}

fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_shows_counts_rate_and_percentiles_against_limits() {
        let snap = LiveSnapshot {
            issued: 40,
            completed: 30,
            failed: 1,
            output_tokens: 9000,
            ttft_p50: Some(Duration::from_millis(120)),
            ttft_p99: Some(Duration::from_millis(2500)),
            tpot_p50: Some(Duration::from_micros(12_500)),
            tpot_p99: Some(Duration::from_millis(20)),
        };
        let limits = Limits {
            ttft: Duration::from_secs(2),
            tpot: Duration::from_millis(80),
        };
        let line = format_line(
            Duration::from_millis(12_345),
            &snap,
            1234.4,
            Some(limits),
            true,
        );
        assert_eq!(
            line,
            "[  12.3s] issued 40  done 30  failed 1  1234 tok/s  TTFT p50 120 ms  \
             TTFT p99 2.5 s/2 s ▕██████████▏ 125% OVER  TPOT p50 12.5 ms  \
             TPOT p99 20 ms/80 ms ▕███░░░░░░░▏ 25%"
        );
    }

    #[test]
    fn a_narrow_terminal_drops_the_medians_then_the_bars_then_whole_gauges() {
        let snap = LiveSnapshot {
            issued: 40,
            completed: 30,
            failed: 1,
            output_tokens: 9000,
            ttft_p50: Some(Duration::from_millis(120)),
            ttft_p99: Some(Duration::from_millis(2500)),
            tpot_p50: Some(Duration::from_micros(12_500)),
            tpot_p99: Some(Duration::from_millis(20)),
        };
        let limits = Some(Limits {
            ttft: Duration::from_secs(2),
            tpot: Duration::from_millis(80),
        });
        let at = |width| {
            fit_line(
                Duration::from_millis(12_345),
                &snap,
                1234.4,
                limits,
                true,
                width,
            )
        };
        assert_eq!(
            at(120),
            "[  12.3s] issued 40  done 30  failed 1  1234 tok/s  \
             TTFT p99 2.5 s/2 s ▕██████████▏ 125% OVER  TPOT p99 20 ms/80 ms 25%"
        );
        assert_eq!(
            at(110),
            "[  12.3s] issued 40  done 30  failed 1  1234 tok/s  \
             TTFT p99 2.5 s/2 s 125% OVER  TPOT p99 20 ms/80 ms 25%"
        );
        assert_eq!(
            at(100),
            "[  12.3s] issued 40  done 30  failed 1  \
             TTFT p99 2.5 s/2 s 125% OVER  TPOT p99 20 ms/80 ms 25%"
        );
        assert_eq!(
            at(80),
            "[  12.3s] issued 40  done 30  failed 1  TTFT p99 2.5 s/2 s 125% OVER"
        );
        assert_eq!(at(40), "[  12.3s] issued 40  done 30  failed 1");
        assert_eq!(at(20), "[  12.3s] issued 4…");
        for width in 1..200 {
            assert!(at(width).chars().count() < width.max(2), "width {width}");
        }
    }

    #[test]
    fn offline_lines_have_no_latency_part_before_any_first_token() {
        let snap = LiveSnapshot {
            issued: 100,
            ..Default::default()
        };
        let line = format_line(Duration::from_secs(1), &snap, 0.0, None, false);
        assert_eq!(line, "[   1.0s] issued 100  done 0  failed 0  0 tok/s");
    }

    #[test]
    fn without_streaming_the_line_shows_latency_not_ttft_and_tpot() {
        let snap = LiveSnapshot {
            issued: 100,
            completed: 40,
            ttft_p50: Some(Duration::from_secs(16)),
            ttft_p99: Some(Duration::from_secs(20)),
            tpot_p50: Some(Duration::ZERO),
            tpot_p99: Some(Duration::ZERO),
            ..Default::default()
        };
        let line = format_line(Duration::from_secs(20), &snap, 4257.0, None, false);
        assert_eq!(
            line,
            "[  20.0s] issued 100  done 40  failed 0  4257 tok/s  latency p50 16 s p99 20 s"
        );
    }
}
