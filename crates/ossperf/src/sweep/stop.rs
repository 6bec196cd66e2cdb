//! When an automatic sweep stops: the rule, pure, so a test can hold it to its words.
//!
//! Throughput has saturated when two points in a row each raise the best output tokens/s so
//! far by less than [`MIN_GAIN`]; the load is far past the limits when a point's TTFT or TPOT
//! p99 exceeds [`FAR_OVER`] times its limit. Either ends the sweep, as does the point cap.

use super::point::{Limits, Point};

/// A point must raise the best throughput so far by at least this fraction to count as a gain.
pub(crate) const MIN_GAIN: f64 = 0.05;
/// How many points in a row without such a gain mean saturation.
pub(crate) const FLAT_POINTS: usize = 2;
/// A p99 this many times its limit stops the sweep.
pub(crate) const FAR_OVER: f64 = 4.0;

/// Why a sweep ended.
pub(crate) fn reason(points: &[Point], limits: Limits, max_points: usize) -> Option<String> {
    let last = points.last()?;
    let over = |p99_ms: Option<f64>, limit_ns: u64| {
        p99_ms.filter(|&ms| ms * 1e6 > FAR_OVER * limit_ns as f64)
    };
    if let Some(ms) = over(last.ttft_p99_ms, limits.ttft_ns) {
        return Some(format!(
            "latency limits far exceeded: TTFT p99 {ms:.1} ms is over {FAR_OVER}× the {} ms limit",
            limits.ttft_ns as f64 / 1e6
        ));
    }
    if let Some(ms) = over(last.tpot_p99_ms, limits.tpot_ns) {
        return Some(format!(
            "latency limits far exceeded: TPOT p99 {ms:.1} ms is over {FAR_OVER}× the {} ms limit",
            limits.tpot_ns as f64 / 1e6
        ));
    }
    if flat_run(points) >= FLAT_POINTS {
        return Some(format!(
            "throughput saturated: {FLAT_POINTS} points in a row raised output tokens/s by less than {} %",
            MIN_GAIN * 100.0
        ));
    }
    (points.len() >= max_points).then(|| format!("reached --max-points {max_points}"))
}

/// How many of the latest points in a row failed to raise the best throughput before them by
/// [`MIN_GAIN`].
fn flat_run(points: &[Point]) -> usize {
    let mut best = 0.0f64;
    let mut run = 0;
    for (i, p) in points.iter().enumerate() {
        let gained = i == 0 || p.output_tokens_per_s >= best * (1.0 + MIN_GAIN);
        run = if gained { 0 } else { run + 1 };
        best = best.max(p.output_tokens_per_s);
    }
    run
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(tokens: f64, ttft_ms: f64) -> Point {
        Point {
            index: 1,
            target_qps: Some(1.0),
            concurrency: None,
            scenario: "Server".into(),
            requests: 1,
            failed: 0,
            seconds: 1.0,
            requests_per_s: 1.0,
            output_tokens_per_s: tokens,
            output_tokens_per_s_per_gpu: None,
            tokens_per_s_per_user: None,
            ttft_p50_ms: None,
            ttft_p99_ms: Some(ttft_ms),
            tpot_p50_ms: None,
            tpot_p99_ms: Some(1.0),
            goodput_rps: 1.0,
            valid: Some(true),
            why: String::new(),
            submittable: Some(false),
            interrupted: false,
            beyond_loadgen: None,
            dir: "p".into(),
        }
    }

    const LIMITS: Limits = Limits {
        ttft_ns: 100_000_000,
        tpot_ns: 10_000_000,
    };

    #[test]
    fn two_points_in_a_row_under_five_percent_gain_mean_saturation() {
        let mut points = vec![point(100.0, 1.0), point(200.0, 1.0), point(209.0, 1.0)];
        assert_eq!(reason(&points, LIMITS, 12), None);
        points.push(point(215.0, 1.0));
        assert_eq!(
            reason(&points, LIMITS, 12).as_deref(),
            Some("throughput saturated: 2 points in a row raised output tokens/s by less than 5 %")
        );
        // A gain in between resets the count.
        points.insert(3, point(400.0, 1.0));
        assert_eq!(reason(&points, LIMITS, 12), None);
    }

    #[test]
    fn a_p99_four_times_its_limit_stops_the_sweep_and_the_cap_is_last() {
        let points = vec![point(100.0, 401.0)];
        assert_eq!(
            reason(&points, LIMITS, 12).as_deref(),
            Some("latency limits far exceeded: TTFT p99 401.0 ms is over 4× the 100 ms limit")
        );
        let points = vec![point(100.0, 400.0)];
        assert_eq!(
            reason(&points, LIMITS, 1).as_deref(),
            Some("reached --max-points 1")
        );
    }
}
