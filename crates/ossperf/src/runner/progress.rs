//! The live progress line: issued and completed samples, tokens per second, running TTFT and
//! TPOT percentiles (p99 as a gauge against the scenario's limits), and failures. On a terminal it rewrites
//! one line every half second; otherwise it prints a plain line every ten seconds.

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
                    let line = format_line(now - started, &snap, rate, limits, streaming);
                    if tty {
                        crate::output::progress(&line);
                    } else {
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

/// One progress line.
pub(super) fn format_line(
    elapsed: Duration,
    snap: &LiveSnapshot,
    tokens_per_second: f64,
    limits: Option<Limits>,
    streaming: bool,
) -> String {
    let mut line = format!(
        "[{:>6.1}s] issued {}  done {}  failed {}  {:.0} tok/s",
        elapsed.as_secs_f64(),
        snap.issued,
        snap.completed,
        snap.failed,
        tokens_per_second
    );
    let part =
        |name: &str, p50: Option<Duration>, p99: Option<Duration>, limit: Option<Duration>| {
            let p50 = format!("{name} p50 {}", show(p50));
            match (p99, limit) {
                (Some(p99), Some(limit)) => {
                    format!("  {p50}  {}", gauge(&format!("{name} p99"), p99, limit))
                }
                _ => format!("  {p50} p99 {}", show(p99)),
            }
        };
    if !streaming {
        if snap.ttft_p50.is_some() {
            line.push_str(&part("latency", snap.ttft_p50, snap.ttft_p99, None));
        }
        return line;
    }
    if snap.ttft_p50.is_some() {
        line.push_str(&part(
            "TTFT",
            snap.ttft_p50,
            snap.ttft_p99,
            limits.map(|l| l.ttft),
        ));
    }
    if snap.tpot_p50.is_some() {
        line.push_str(&part(
            "TPOT",
            snap.tpot_p50,
            snap.tpot_p99,
            limits.map(|l| l.tpot),
        ));
    }
    line
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
