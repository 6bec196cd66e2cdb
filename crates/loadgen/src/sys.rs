//! The two C library calls LoadGen's numbers depend on, kept in one place.
//!
//! Early stopping must be bit-identical to the official build, which uses glibc's `lgamma`;
//! Rust's std has no `lgamma`, so it is bound here. The detail log names the OS thread that
//! produced each line (`tid`), which needs `gettid`. The issue loop's short sleeps need a
//! 1 ns timer slack (Linux defaults to 50 µs, which would make every wake-up late).

#![allow(unsafe_code)]

extern "C" {
    #[link_name = "lgamma"]
    fn c_lgamma(x: f64) -> f64;
}

/// `lgamma(x)` from the platform libm (glibc on Linux), as the official LoadGen computes it.
pub(crate) fn lgamma(x: f64) -> f64 {
    // SAFETY: `lgamma` is a pure libm function on a plain double; it writes only the
    // thread-unsafe global `signgam`, which nothing in this program reads.
    unsafe { c_lgamma(x) }
}

/// The OS thread id of the calling thread (Linux `gettid`), as logged in `metadata.tid`.
#[cfg(target_os = "linux")]
pub(crate) fn thread_id() -> u64 {
    // SAFETY: `gettid` has no preconditions and cannot fail.
    let tid = unsafe { libc::gettid() };
    u64::try_from(tid).unwrap_or(0)
}

/// The OS thread id of the calling thread; on platforms without `gettid`, the process id.
#[cfg(not(target_os = "linux"))]
pub(crate) fn thread_id() -> u64 {
    u64::from(std::process::id())
}

/// While alive, the calling thread's sleeps end on time (Linux timer slack of 1 ns); the
/// previous slack is restored on drop.
#[derive(Debug)]
pub(crate) struct PreciseSleeps {
    #[cfg(target_os = "linux")]
    previous: Option<libc::c_ulong>,
}

impl PreciseSleeps {
    /// Sets the calling thread's timer slack to 1 ns.
    #[cfg(target_os = "linux")]
    pub(crate) fn new() -> Self {
        // SAFETY: PR_GET_TIMERSLACK / PR_SET_TIMERSLACK take no pointer arguments and only
        // affect the calling thread.
        let previous = unsafe { libc::prctl(libc::PR_GET_TIMERSLACK) };
        let previous = libc::c_ulong::try_from(previous).ok();
        if previous.is_some() {
            // SAFETY: as above.
            unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, 1 as libc::c_ulong) };
        }
        Self { previous }
    }

    /// Does nothing where timer slack does not exist.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn new() -> Self {
        Self {}
    }
}

impl Drop for PreciseSleeps {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        if let Some(previous) = self.previous {
            // SAFETY: as in `new`.
            unsafe { libc::prctl(libc::PR_SET_TIMERSLACK, previous) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lgamma_of_small_integers_is_the_log_of_a_factorial() {
        assert_eq!(lgamma(1.0), 0.0);
        assert_eq!(lgamma(2.0), 0.0);
        assert!((lgamma(5.0) - 24f64.ln()).abs() < 1e-12);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn precise_sleeps_set_and_restore_the_timer_slack() {
        #[allow(unsafe_code)]
        let slack = || unsafe { libc::prctl(libc::PR_GET_TIMERSLACK) };
        let before = slack();
        {
            let _precise = PreciseSleeps::new();
            assert_eq!(slack(), 1);
        }
        assert_eq!(slack(), before);
    }
}
