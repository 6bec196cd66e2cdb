//! `print_timestamps`: the lines LoadGen prints to stdout around a performance phase
//! (`RunPerformanceMode` only: PerformanceOnly and SubmissionRun, not FindPeakPerformance or
//! accuracy), byte for byte, its "systme_clock" typo included.

use std::io::Write;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// `Perf mode start`, printed once the performance set is loaded.
pub(crate) fn start_line(wall: SystemTime) -> String {
    format!(
        "Loadgen :: Perf mode start. system_clock Timestamp = {}\n",
        time_t(wall)
    )
}

/// The stop time, both clocks' durations in whole ms and their ratio, printed once every
/// issued sample is in.
pub(crate) fn stop_lines(wall: SystemTime, perf_clock_ms: i64, system_clock_ms: i64) -> String {
    format!(
        "Loadgen :: Perf mode stop. systme_clock Timestamp = {}\n\
         Loadgen :: PerfClock Perf duration = {perf_clock_ms}ms\n\
         Loadgen :: system_clock Perf duration = {system_clock_ms}ms\n\
         Loadgen :: PerfClock/system_clock ratio = {}\n",
        time_t(wall),
        ratio(perf_clock_ms, system_clock_ms)
    )
}

/// The stop lines for a phase that started at `(perf, wall)`.
pub(crate) fn stop_lines_since((perf, wall): (Instant, SystemTime)) -> String {
    let perf_ms = i64::try_from(perf.elapsed().as_millis()).unwrap_or(i64::MAX);
    let now = SystemTime::now();
    // `duration_cast<milliseconds>` truncates toward zero, also when the wall clock went back.
    let wall_ms = match now.duration_since(wall) {
        Ok(d) => i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_millis()).unwrap_or(i64::MAX),
    };
    stop_lines(now, perf_ms, wall_ms)
}

/// Writes LoadGen's lines to stdout; like LoadGen, a failed write is ignored.
pub(crate) fn print(lines: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(lines.as_bytes()).and_then(|()| out.flush());
}

/// `system_clock::to_time_t`: whole seconds since the epoch, truncated toward zero.
fn time_t(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

/// `static_cast<float>(pc) / sc` printed with `std::fixed << std::setprecision(4)`. A phase
/// under 1 ms divides 0 by 0: x86's default NaN has its sign bit set, which glibc prints as
/// `-nan`.
fn ratio(perf_clock_ms: i64, system_clock_ms: i64) -> String {
    let r = perf_clock_ms as f32 / system_clock_ms as f32;
    if r.is_nan() {
        "-nan".to_string()
    } else if r.is_infinite() {
        if r > 0.0 { "inf" } else { "-inf" }.to_string()
    } else {
        format!("{:.4}", f64::from(r))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_lines_are_loadgens() {
        let start = UNIX_EPOCH + Duration::from_millis(1_795_682_251_999);
        assert_eq!(
            start_line(start),
            "Loadgen :: Perf mode start. system_clock Timestamp = 1795682251\n"
        );
        let stop = start + Duration::from_millis(309);
        assert_eq!(
            stop_lines(stop, 309, 309),
            "Loadgen :: Perf mode stop. systme_clock Timestamp = 1795682252\n\
             Loadgen :: PerfClock Perf duration = 309ms\n\
             Loadgen :: system_clock Perf duration = 309ms\n\
             Loadgen :: PerfClock/system_clock ratio = 1.0000\n"
        );
    }

    #[test]
    fn the_ratio_is_a_float_printed_to_four_decimals() {
        // Values printed by a C++ build of the same expression (g++, glibc).
        assert_eq!(ratio(10, 10), "1.0000");
        assert_eq!(ratio(0, 0), "-nan");
        assert_eq!(ratio(1, 0), "inf");
        assert_eq!(ratio(7, -3), "-2.3333");
        assert_eq!(ratio(1001, 1000), "1.0010");
        assert_eq!(ratio(2, 3), "0.6667");
        // An exact tie rounds to even, as glibc's printf does.
        assert_eq!(ratio(1, 32), "0.0312");
        assert_eq!(ratio(3, 32), "0.0938");
    }

    #[test]
    fn time_t_truncates_toward_zero() {
        assert_eq!(time_t(UNIX_EPOCH + Duration::from_millis(1999)), 1);
        assert_eq!(time_t(UNIX_EPOCH - Duration::from_millis(1999)), -1);
    }
}
