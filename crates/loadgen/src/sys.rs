//! The two C library calls LoadGen's numbers depend on, kept in one place.
//!
//! Early stopping must be bit-identical to the official build, which uses glibc's `lgamma`;
//! Rust's std has no `lgamma`, so it is bound here. The detail log names the OS thread that
//! produced each line (`tid`), which needs `gettid`.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lgamma_of_small_integers_is_the_log_of_a_factorial() {
        assert_eq!(lgamma(1.0), 0.0);
        assert_eq!(lgamma(2.0), 0.0);
        assert!((lgamma(5.0) - 24f64.ln()).abs() < 1e-12);
    }
}
