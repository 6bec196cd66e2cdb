//! Latency statistics with LoadGen's rounding (docs/LOADGEN.md §9.1–9.2).
//!
//! LoadGen's mean truncates, and its percentile is `sorted[usize(n × p)]` with a double
//! product; small differences here change reported figures, so they are kept exactly.

/// The percentiles every summary reports, in order.
pub const PERCENTILES: [f64; 6] = [0.50, 0.90, 0.95, 0.97, 0.99, 0.999];

/// Min, max, mean and percentiles of one latency array (ns).
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyStats {
    /// The number of values the statistics were computed over.
    pub count: usize,
    /// The smallest value.
    pub min: i64,
    /// The largest value.
    pub max: i64,
    /// Σ / n, truncated; `n` may differ from `count` (LoadGen divides token sums by the sample
    /// count).
    pub mean: i64,
    /// `(p, value)` for each of [`PERCENTILES`].
    pub percentiles: [(f64, i64); 6],
    /// `(p, value)` at the scenario's target percentile.
    pub target: (f64, i64),
}

/// `sorted[usize(f64(n) × p)]`, clamped to the last element; `None` for an empty slice.
///
/// The one percentile rule of the workspace: the summary, the live progress line, the report
/// and the simulator's view all use it, so a p99 read anywhere is the summary's p99.
pub fn percentile<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    let last = sorted.len().checked_sub(1)?;
    let i = (sorted.len() as f64 * p) as usize;
    Some(sorted[i.min(last)])
}

impl LatencyStats {
    /// Statistics over `values` (sorted in place), the mean divided by `divisor`.
    pub fn compute(values: &mut [i64], divisor: usize, target_percentile: f64) -> Option<Self> {
        if values.is_empty() {
            return None;
        }
        values.sort_unstable();
        let sum: i128 = values.iter().map(|&v| i128::from(v)).sum();
        let mean = i64::try_from(sum / i128::try_from(divisor.max(1)).unwrap_or(1)).unwrap_or(0);
        let percentiles = PERCENTILES.map(|p| (p, percentile(values, p).unwrap_or(0)));
        Some(Self {
            count: values.len(),
            min: values[0],
            max: values[values.len() - 1],
            mean,
            percentiles,
            target: (
                target_percentile,
                percentile(values, target_percentile).unwrap_or(0),
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_index_the_sorted_array_by_truncated_product() {
        let mut v: Vec<i64> = (1..=100).rev().collect();
        let s = LatencyStats::compute(&mut v, 100, 0.99).unwrap();
        assert_eq!(s.min, 1);
        assert_eq!(s.max, 100);
        assert_eq!(s.mean, 50); // 5050 / 100 truncated
        assert_eq!(s.target, (0.99, 100)); // index 99
        assert_eq!(s.percentiles[0], (0.5, 51)); // index 50
        assert_eq!(s.percentiles[5], (0.999, 100));
    }

    #[test]
    fn the_mean_truncates_toward_zero_and_may_use_another_divisor() {
        let mut v = vec![1, 2];
        assert_eq!(LatencyStats::compute(&mut v, 2, 0.9).unwrap().mean, 1);
        let mut v = vec![10, 20];
        assert_eq!(LatencyStats::compute(&mut v, 4, 0.9).unwrap().mean, 7);
        assert_eq!(LatencyStats::compute(&mut [], 1, 0.9), None);
    }
}
