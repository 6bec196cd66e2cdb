//! Waiting for a scheduled time: sleep until shortly before it, then spin (docs/LOADGEN.md §14).
//!
//! `thread::sleep` overshoots by tens of microseconds (Linux's default 50 µs timer slack),
//! which at 10k QPS is most of the gap between two queries. With a 1 ns timer slack, sleeping
//! until [`SPIN_WINDOW`] before the deadline and spinning the rest keeps issue lateness below
//! a microsecond at the median. Measured under heavy load (2 cores, load ~14): a 30 µs
//! window gave a 0.4 µs median at 10k QPS where a 200 µs window gave about 1 ms, because a
//! thread that mostly sleeps is woken promptly while one that mostly spins is preempted. The
//! issue loop records the actual issue time of every query, so lateness is measured, never
//! hidden.

use std::time::{Duration, Instant};

/// How long before a deadline the clock stops sleeping and starts spinning. Short, so the
/// issuing thread mostly sleeps and the scheduler wakes it promptly on a busy machine; the
/// issue loop sets a 1 ns timer slack so a sleep ends within a few µs of its target.
pub(crate) const SPIN_WINDOW: Duration = Duration::from_micros(30);

/// The longest single sleep, so a long wait still notices an abort.
pub(crate) const MAX_SLEEP: Duration = Duration::from_millis(10);

/// Waits until `deadline`, returning early (with `false`) when `stop()` becomes true.
pub(crate) fn wait_until(deadline: Instant, stop: impl Fn() -> bool) -> bool {
    loop {
        let now = Instant::now();
        if now >= deadline {
            return true;
        }
        let left = deadline - now;
        if left > SPIN_WINDOW {
            if stop() {
                return false;
            }
            std::thread::sleep((left - SPIN_WINDOW).min(MAX_SLEEP));
        } else {
            std::hint::spin_loop();
        }
    }
}

/// Nanoseconds from `origin` to `at` (0 if `at` is earlier).
pub(crate) fn since(origin: Instant, at: Instant) -> u64 {
    u64::try_from(at.saturating_duration_since(origin).as_nanos()).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waiting_never_returns_before_the_deadline() {
        let deadline = Instant::now() + Duration::from_micros(30);
        assert!(wait_until(deadline, || false));
        assert!(Instant::now() >= deadline);
    }

    #[test]
    fn a_stop_request_ends_a_long_wait() {
        let deadline = Instant::now() + Duration::from_secs(3600);
        assert!(!wait_until(deadline, || true));
    }
}
