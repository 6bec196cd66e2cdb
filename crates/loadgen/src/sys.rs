//! The two C library calls LoadGen's numbers depend on, kept in one place.
//!
//! Early stopping must be bit-identical to the official build, which uses glibc's `lgamma`;
//! Rust's std has no `lgamma`, so it is bound here. The detail log names the OS thread that
//! produced each line (`tid`), which needs `gettid`. The issue loop's short sleeps need a
//! 1 ns timer slack (Linux defaults to 50 µs, which would make every wake-up late) and a short
//! scheduler slice, so that a wake-up preempts a busy thread instead of waiting for its slice
//! to end.

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

/// The "thread ID" LoadGen prints for an issue thread: libstdc++'s
/// `std::hash<std::thread::id>`, its 64-bit Murmur-style byte hash (`_Hash_bytes`, seed
/// 0xc70f6907) of the thread's `pthread_t`.
pub(crate) fn std_thread_id_hash() -> u64 {
    hash_word(pthread_id())
}

/// libstdc++'s `_Hash_bytes` over the 8 bytes of one word, with its default seed.
fn hash_word(word: u64) -> u64 {
    const MUL: u64 = (0xc6a4_a793 << 32) + 0x5bd1_e995;
    const SEED: u64 = 0xc70f_6907;
    let shift_mix = |v: u64| v ^ (v >> 47);
    let mut hash = SEED ^ 8u64.wrapping_mul(MUL);
    hash ^= shift_mix(word.wrapping_mul(MUL)).wrapping_mul(MUL);
    hash = hash.wrapping_mul(MUL);
    hash = shift_mix(hash).wrapping_mul(MUL);
    shift_mix(hash)
}

/// The calling thread's `pthread_t`.
#[cfg(unix)]
fn pthread_id() -> u64 {
    // SAFETY: `pthread_self` has no preconditions and cannot fail.
    let id = unsafe { libc::pthread_self() };
    id as u64
}

/// The calling thread's id where there is no `pthread_t`.
#[cfg(not(unix))]
fn pthread_id() -> u64 {
    thread_id()
}

/// While alive, the calling thread's sleeps end on time (Linux timer slack of 1 ns) and its
/// wake-ups preempt other threads: at the lowest real-time priority where the process may
/// have one, else with a [`SHORT_SLICE_NS`]; both are restored on drop.
#[derive(Debug)]
pub(crate) struct PreciseSleeps {
    #[cfg(target_os = "linux")]
    previous: Option<libc::c_ulong>,
    #[cfg(target_os = "linux")]
    slice: Option<SchedAttr>,
}

/// The scheduler slice the issue thread asks for. Linux's EEVDF scheduler (6.6+) lets a
/// waking thread with a shorter slice than the running one preempt it at once (6.12+) rather
/// than at the end of the running thread's slice (about 3 ms on 2 CPUs): measured on the
/// 2-core bench machine at 288 QPS against the simulator, issue lateness p99 was 6.9 ms with
/// the default slice (docs/PERFORMANCE.md). 0.1 ms is the shortest the kernel takes; a
/// normal-policy slice needs no privilege. Older kernels ignore it.
///
/// A short slice still loses the CPU to busy threads for milliseconds at a time: at 960 QPS
/// with 1,000 streams on the same bench machine (client and simulator busy on both cores),
/// lateness p99 was 3.4 ms with it and 39 µs at `SCHED_FIFO` priority 1, which a process
/// running as root or with `CAP_SYS_NICE` or an `RLIMIT_RTPRIO` gets. The issue thread
/// sleeps between queries (it spins at most [`crate::clock::SPIN_WINDOW`]), and the kernel
/// keeps a share of each CPU for normal threads, so it cannot lock the machine.
pub(crate) const SHORT_SLICE_NS: u64 = 100_000;

/// `SCHED_FIFO`.
#[cfg(target_os = "linux")]
const SCHED_FIFO: u32 = 1;

/// Linux's `struct sched_attr` (first version, 48 bytes), for `sched_{get,set}attr`.
#[cfg(target_os = "linux")]
#[repr(C)]
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SchedAttr {
    size: u32,
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    /// For the normal policy, the slice in ns (0: the default).
    runtime: u64,
    deadline: u64,
    period: u64,
}

/// The calling thread's scheduling attributes.
#[cfg(target_os = "linux")]
pub(crate) fn sched_attr() -> Option<SchedAttr> {
    let mut attr = SchedAttr::default();
    let size = std::mem::size_of::<SchedAttr>() as libc::c_uint;
    // SAFETY: pid 0 is the calling thread; the kernel writes at most `size` bytes into `attr`,
    // a live repr(C) struct of that size.
    let rc = unsafe { libc::syscall(libc::SYS_sched_getattr, 0, &raw mut attr, size, 0) };
    (rc == 0).then_some(attr)
}

/// Sets the calling thread's scheduling attributes; false if the kernel refused.
#[cfg(target_os = "linux")]
fn set_sched_attr(attr: &SchedAttr) -> bool {
    let mut attr = *attr;
    attr.size = std::mem::size_of::<SchedAttr>() as u32;
    // SAFETY: pid 0 is the calling thread; the kernel reads `size` bytes from `attr`.
    unsafe { libc::syscall(libc::SYS_sched_setattr, 0, &raw const attr, 0) == 0 }
}

impl PreciseSleeps {
    /// Sets the calling thread's timer slack to 1 ns, and its policy to `SCHED_FIFO` or its
    /// slice to [`SHORT_SLICE_NS`].
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
        // Only for the normal policy (0), keeping its nice value; a thread someone gave a
        // real-time policy keeps it. With one CPU a real-time issue thread would take it from
        // the SUT at high rates, so there only the slice is asked for.
        let cpus = std::thread::available_parallelism().map_or(1, usize::from);
        let slice = sched_attr().filter(|a| a.policy == 0).filter(|a| {
            (cpus > 1
                && set_sched_attr(&SchedAttr {
                    policy: SCHED_FIFO,
                    priority: 1,
                    nice: 0,
                    ..*a
                }))
                || set_sched_attr(&SchedAttr {
                    runtime: SHORT_SLICE_NS,
                    ..*a
                })
        });
        Self { previous, slice }
    }

    /// Does nothing where timer slack does not exist.
    #[cfg(not(target_os = "linux"))]
    pub(crate) fn new() -> Self {
        Self {}
    }
}

impl Drop for PreciseSleeps {
    fn drop(&mut self) {
        // The policy first: leaving a real-time policy resets the slack.
        #[cfg(target_os = "linux")]
        if let Some(slice) = &self.slice {
            set_sched_attr(slice);
        }
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
    fn thread_id_hash_is_libstdcxx_hash_of_the_pthread() {
        // pthread_self() and std::hash<std::thread::id> printed by a g++ 13 build.
        assert_eq!(hash_word(140_268_752_405_568), 14_716_265_450_266_745_856);
    }

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
            // A real-time thread has no slack at all.
            assert!(slack() <= 1, "{}", slack());
        }
        assert_eq!(slack(), before);
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn precise_sleeps_ask_for_real_time_or_a_short_slice_and_give_it_back() {
        let Some(before) = sched_attr() else { return };
        {
            let _precise = PreciseSleeps::new();
            let during = sched_attr().unwrap();
            if during.policy == SCHED_FIFO {
                assert_eq!(during.priority, 1);
            } else {
                // A kernel without custom slices (before 6.12) takes the call and reports none.
                assert!(during.runtime == SHORT_SLICE_NS || during.runtime == 0);
                assert_eq!(during.nice, before.nice);
            }
        }
        assert_eq!(sched_attr(), Some(before));
    }
}
