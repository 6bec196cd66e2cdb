//! Statistics that turn 100,000 request records into a few hundred chart points.
//!
//! The browser must never see raw records: every chart is drawn from compact series computed
//! here (CDF points at chosen quantiles, histogram bins, time buckets), so a report of any size
//! opens at once. Percentiles use LoadGen's index rule, so a p99 read off the report is the p99
//! of the summary.

/// LoadGen's percentile of an ascending slice: `sorted[usize(n × p)]`, clamped to the last.
pub use ossperf_loadgen::stats::percentile;

/// Points of the empirical CDF of an ascending slice: `(value, fraction ≤ value)`, at most
/// about `max_points` of them, always including the median, p90, p99, p99.9 and the maximum.
pub fn cdf_points(sorted: &[u64], max_points: usize) -> Vec<(f64, f64)> {
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let m = max_points.clamp(2, n.max(2));
    let mut indices: Vec<usize> = (0..m).map(|k| k * (n - 1) / (m - 1)).collect();
    for p in [0.5, 0.9, 0.99, 0.999] {
        indices.push(((n as f64 * p) as usize).min(n - 1));
    }
    indices.sort_unstable();
    indices.dedup();
    indices
        .into_iter()
        .map(|i| (sorted[i] as f64, (i + 1) as f64 / n as f64))
        .collect()
}

/// One histogram bin: values in `[lo, hi)` (the last bin also holds `hi`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bin {
    /// Lower edge.
    pub lo: f64,
    /// Upper edge.
    pub hi: f64,
    /// How many values fell in it.
    pub count: u64,
}

/// A histogram of `values` with `bins` equal bins spanning `[lo, hi]`; values outside are
/// clamped into the first or last bin so every value is counted.
pub fn histogram(values: &[u64], lo: f64, hi: f64, bins: usize) -> Vec<Bin> {
    let bins = bins.max(1);
    let hi = if hi > lo { hi } else { lo + 1.0 };
    let width = (hi - lo) / bins as f64;
    let mut counts = vec![0u64; bins];
    for &v in values {
        let k = ((v as f64 - lo) / width).floor();
        let k = if k < 0.0 {
            0
        } else {
            (k as usize).min(bins - 1)
        };
        counts[k] += 1;
    }
    counts
        .into_iter()
        .enumerate()
        .map(|(k, count)| Bin {
            lo: lo + k as f64 * width,
            hi: lo + (k + 1) as f64 * width,
            count,
        })
        .collect()
}

/// The step outline of a histogram, as points for a line chart.
pub fn histogram_outline(bins: &[Bin]) -> Vec<(f64, f64)> {
    let mut points = Vec::with_capacity(bins.len() * 2 + 2);
    if let Some(first) = bins.first() {
        points.push((first.lo, 0.0));
    }
    for bin in bins {
        points.push((bin.lo, bin.count as f64));
        points.push((bin.hi, bin.count as f64));
    }
    if let Some(last) = bins.last() {
        points.push((last.hi, 0.0));
    }
    points
}

/// Fixed-width time buckets from 0 to the end of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Buckets {
    /// Width of one bucket in ns (at least 1).
    pub width_ns: u64,
    /// How many buckets cover the run.
    pub count: usize,
}

impl Buckets {
    /// About `target` buckets covering `[0, end_ns]` (the end falls in the last one), with a
    /// width of whole milliseconds when the run is long enough.
    pub fn covering(end_ns: u64, target: usize) -> Buckets {
        let target = target.max(1) as u64;
        let raw = end_ns.div_ceil(target).max(1);
        let width_ns = if raw >= 1_000_000 {
            raw.div_ceil(1_000_000) * 1_000_000
        } else {
            raw
        };
        let count = end_ns.div_ceil(width_ns).max(1) as usize;
        Buckets { width_ns, count }
    }

    /// The bucket holding time `t_ns`.
    pub fn index(self, t_ns: u64) -> usize {
        ((t_ns / self.width_ns) as usize).min(self.count - 1)
    }

    /// The middle of bucket `k`, in seconds.
    pub fn mid_s(self, k: usize) -> f64 {
        (k as f64 + 0.5) * self.width_ns as f64 / 1e9
    }

    /// Sum of `weight` per bucket of `at_ns`, divided by the bucket width: a rate per second.
    pub fn rate(self, events: impl Iterator<Item = (u64, f64)>) -> Vec<f64> {
        let mut sums = vec![0.0; self.count];
        for (at, weight) in events {
            sums[self.index(at)] += weight;
        }
        let width_s = self.width_ns as f64 / 1e9;
        sums.into_iter().map(|s| s / width_s).collect()
    }

    /// Each `amount` spread evenly over its interval `[start, end)`, summed per bucket and
    /// divided by the bucket width: the rate at which things arriving over the interval
    /// (a streamed answer's tokens) come in. An empty interval counts at `start`.
    pub fn spread_rate(self, items: impl Iterator<Item = (u64, u64, f64)>) -> Vec<f64> {
        let w = self.width_ns;
        let mut sums = vec![0.0; self.count];
        for (start, end, amount) in items {
            if end <= start {
                sums[self.index(start)] += amount;
                continue;
            }
            let per_ns = amount / (end - start) as f64;
            for (k, sum) in sums
                .iter_mut()
                .enumerate()
                .take(self.index(end - 1) + 1)
                .skip(self.index(start))
            {
                let lo = start.max(k as u64 * w);
                let hi = if k + 1 == self.count {
                    end
                } else {
                    end.min((k as u64 + 1) * w)
                };
                *sum += per_ns * hi.saturating_sub(lo) as f64;
            }
        }
        let width_s = w as f64 / 1e9;
        sums.into_iter().map(|s| s / width_s).collect()
    }

    /// The time-averaged number of open intervals `[start, end)` per bucket (concurrency).
    pub fn occupancy(self, intervals: impl Iterator<Item = (u64, u64)>) -> Vec<f64> {
        let w = self.width_ns;
        let mut partial = vec![0u64; self.count];
        let mut full = vec![0i64; self.count + 1];
        for (start, end) in intervals {
            let end = end.min(self.count as u64 * w);
            if end <= start {
                continue;
            }
            let (a, b) = (self.index(start), self.index(end - 1));
            if a == b {
                partial[a] += end - start;
            } else {
                partial[a] += (a as u64 + 1) * w - start;
                partial[b] += end - b as u64 * w;
                full[a + 1] += 1;
                full[b] -= 1;
            }
        }
        let mut open = 0i64;
        (0..self.count)
            .map(|k| {
                open += full[k];
                (open as f64 * w as f64 + partial[k] as f64) / w as f64
            })
            .collect()
    }

    /// Pairs each bucket's middle (in seconds) with its value.
    pub fn points(self, values: &[f64]) -> Vec<(f64, f64)> {
        values
            .iter()
            .enumerate()
            .map(|(k, &v)| (self.mid_s(k), v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_uses_loadgen_index_rule() {
        let sorted: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&sorted, 0.99), Some(100));
        assert_eq!(percentile(&sorted, 0.5), Some(51));
        assert_eq!(percentile(&sorted, 1.0), Some(100));
        assert_eq!(percentile::<u64>(&[], 0.5), None);
    }

    #[test]
    fn cdf_points_are_bounded_and_end_at_the_maximum() {
        let sorted: Vec<u64> = (0..100_000).collect();
        let points = cdf_points(&sorted, 200);
        assert!(points.len() <= 204, "{} points", points.len());
        assert_eq!(points.first(), Some(&(0.0, 1.0 / 100_000.0)));
        assert_eq!(points.last(), Some(&(99_999.0, 1.0)));
        assert!(points.contains(&(99_000.0, 99_001.0 / 100_000.0)));
    }

    #[test]
    fn histogram_counts_every_value_once() {
        let bins = histogram(&[0, 1, 5, 9, 10, 50], 0.0, 10.0, 2);
        assert_eq!(bins.len(), 2);
        assert_eq!(bins[0].count, 2);
        assert_eq!(bins[1].count, 4);
        assert_eq!((bins[1].lo, bins[1].hi), (5.0, 10.0));
    }

    #[test]
    fn occupancy_averages_open_intervals_over_each_bucket() {
        let b = Buckets {
            width_ns: 10,
            count: 3,
        };
        // One interval covering all of bucket 0 and half of bucket 1; one inside bucket 2.
        let occ = b.occupancy([(0, 15), (22, 24)].into_iter());
        assert_eq!(occ, vec![1.0, 0.5, 0.2]);
        let spanning = b.occupancy([(5, 30)].into_iter());
        assert_eq!(spanning, vec![0.5, 1.0, 1.0]);
    }

    #[test]
    fn spread_rate_shares_an_amount_over_the_buckets_its_interval_covers() {
        let b = Buckets {
            width_ns: 1_000_000_000,
            count: 3,
        };
        // 30 tokens over [0.5 s, 2 s): 10 in the first bucket, 20 in the second.
        let r = b.spread_rate(
            [
                (500_000_000, 2_000_000_000, 30.0),
                (2_500_000_000, 2_500_000_000, 4.0),
            ]
            .into_iter(),
        );
        assert_eq!(r, vec![10.0, 20.0, 4.0]);
    }

    #[test]
    fn rate_divides_by_the_bucket_width_in_seconds() {
        let b = Buckets::covering(2_000_000_000, 2);
        assert_eq!(b.width_ns, 1_000_000_000);
        assert_eq!(b.count, 2);
        let r = b.rate([(0, 10.0), (999_999_999, 5.0), (2_000_000_000, 1.0)].into_iter());
        assert_eq!(r, vec![15.0, 1.0]);
    }
}
