//! Early stopping with LoadGen's exact numerics (docs/LOADGEN.md §9.5).
//!
//! The verdict decides validity and the texts go verbatim into both logs, so the binomial
//! tail, the binary search and the order-dependent memo of LoadGen's
//! `MinPassingQueriesFinder` are reproduced as written, with glibc's `lgamma`.

use std::collections::BTreeMap;

use crate::logs::format::percentile_label;
use crate::sys::lgamma;

/// The confidence LoadGen uses (0.99).
pub(crate) const CONFIDENCE: f64 = 0.99;
/// The tolerance LoadGen uses (0).
pub(crate) const TOLERANCE: f64 = 0.0;

fn lbeta(x: i64, y: i64) -> f64 {
    lgamma(x as f64) + lgamma(y as f64) - lgamma((x + y) as f64)
}

fn hypergeometric_2f1_a1(b: i64, c: i64, x: f64) -> f64 {
    let tolerance = 1.0 / (1u64 << 33) as f64;
    let mut term: f64 = 1.0;
    let mut result = 1.0;
    let mut i: i64 = 0;
    while term.abs() > tolerance {
        term *= (b + i) as f64 * x / (c + i) as f64;
        result += term;
        i += 1;
    }
    result
}

fn beta_regularized(x: f64, a: i64, b: i64) -> f64 {
    ((a as f64) * x.ln() + ((b - 1) as f64) * (1.0 - x).ln() - lbeta(a, b)).exp() / a as f64
        * hypergeometric_2f1_a1(1 - b, 1 + a, x / (x - 1.0))
}

fn odds(h: i64, t: i64, p: f64, d: f64) -> f64 {
    beta_regularized(p - d, h, 1 + t)
}

fn find_min_passing(mut min_h: i64, max_h: i64, t: i64, p: f64) -> i64 {
    let mut count = max_h - min_h;
    while count > 0 {
        let step = count / 2;
        let h = min_h + step;
        if odds(h, t, p, TOLERANCE) < 1.0 - CONFIDENCE {
            count = step;
        } else {
            min_h = h + 1;
            count -= step + 1;
        }
    }
    min_h
}

/// LoadGen's `MinPassingQueriesFinder` for one percentile: the fewest queries under latency
/// (`h`) such that `t` over-latency queries still pass. Its answers depend on the order of
/// calls (the memo seeds the search range), as in LoadGen.
#[derive(Debug, Clone)]
pub struct Finder {
    p: f64,
    cache: BTreeMap<i64, i64>,
}

impl Finder {
    /// A fresh finder for percentile `p` (e.g. 0.99).
    pub fn new(p: f64) -> Self {
        Self {
            p,
            cache: BTreeMap::new(),
        }
    }

    /// The minimum passing `h` for `t` over-latency queries.
    pub fn find(&mut self, t: i64) -> i64 {
        if let Some(&h) = self.cache.get(&t) {
            return h;
        }
        let p = self.p;
        let d = TOLERANCE;
        let mut below = self.cache.range(..t).rev();
        let (x1, y1) = match below.next() {
            Some((&x, &y)) => (x, y),
            None => (0, ((1.0 - CONFIDENCE).ln() / (p - d).ln()).ceil() as i64),
        };
        let (x0, y0) = match below.next() {
            Some((&x, &y)) => (x, y),
            None => (-1, 0),
        };
        let min_slope = (p - d) / (1.0 - p + d);
        let max_slope = ((y1 - y0) * (x1 - x0)) as f64;
        let min_h = ((t - x1) as f64 * min_slope + y1 as f64) as i64;
        let max_h = ((t - x1) as f64 * max_slope + y1 as f64 + 1.0) as i64;
        let h = find_min_passing(min_h, max_h, t, p);
        self.cache.insert(t, h);
        h
    }
}

/// The outcome of one early-stopping evaluation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EarlyStopping {
    /// Whether the run passes early stopping.
    pub met: bool,
    /// LoadGen's text, with its newlines (the detail log replaces them by spaces).
    pub text: String,
    /// SingleStream: the target-percentile estimate (`early_stopping_latency_ss`).
    pub latency_ss: Option<i64>,
    /// SingleStream: the 99th percentile estimate; MultiStream: the target-percentile estimate
    /// (`early_stopping_latency_ms`).
    pub latency_ms: Option<i64>,
}

impl EarlyStopping {
    /// Offline: always met, with an empty text.
    pub fn offline() -> Self {
        Self {
            met: true,
            text: String::new(),
            latency_ss: None,
            latency_ms: None,
        }
    }
}

/// Server: `t` = latencies above `threshold_ns`; passes iff `queries_issued ≥ h + t`.
pub fn server(queries_issued: i64, latencies: &[i64], threshold_ns: i64, p: f64) -> EarlyStopping {
    let t = latencies.iter().filter(|&&l| l > threshold_ns).count() as i64;
    let h = Finder::new(p).find(t);
    let met = queries_issued >= h + t;
    let text = if met {
        " * Run successful.".to_string()
    } else {
        format!(
            " * Run unsuccessful.\n * Processed {queries_issued} queries.\n * Would need to run at \
             least {} more queries,\n with the run being successful if every additional\n query \
             were under latency.",
            h + t - queries_issued
        )
    };
    EarlyStopping {
        met,
        text,
        latency_ss: None,
        latency_ms: None,
    }
}

/// The number of highest latencies to discard (`t`) for `n` queries at percentile `p`, or
/// `Err(h_min + 1)` when `n` is below the minimum for early stopping.
fn discard_count(n: i64, p: f64) -> Result<(i64, i64), i64> {
    let mut finder = Finder::new(p);
    let h_min = finder.find(1);
    if n < h_min + 1 {
        return Err(h_min + 1);
    }
    let mut t = 1;
    for i in 2..=n {
        let h = finder.find(i);
        if n < h + i {
            t = i - 1;
            break;
        }
    }
    Ok((h_min, t))
}

fn estimate(sorted: &[i64], n: i64, t: i64) -> i64 {
    usize::try_from(n - t)
        .ok()
        .and_then(|i| sorted.get(i))
        .copied()
        .unwrap_or(0)
}

/// SingleStream (sample latencies) and MultiStream (query latencies): the estimate at the
/// target percentile `p`; SingleStream also appends the 99th percentile estimate.
pub fn stream(queries_issued: i64, sorted: &[i64], p: f64, single_stream: bool) -> EarlyStopping {
    let n = queries_issued;
    let (h_min, t) = match discard_count(n, p) {
        Ok(found) => found,
        Err(need) => {
            return EarlyStopping {
                met: false,
                text: format!(
                    " * Only processed {n} queries.\n * Need to process at least {need} queries \
                     for early stopping."
                ),
                latency_ss: None,
                latency_ms: None,
            }
        }
    };
    let value = estimate(sorted, n, t);
    let mut text = format!(
        " * Processed at least {} queries ({n}).\n * Would discard {} highest latency queries.\n \
         * Early stopping {}th percentile estimate: {value}",
        h_min + 1,
        t - 1,
        percentile_label(p, 1)
    );
    if !single_stream {
        return EarlyStopping {
            met: true,
            text,
            latency_ss: None,
            latency_ms: Some(value),
        };
    }
    let p99 = 0.99;
    let latency_ms = match discard_count(n, p99) {
        Err(need) => {
            text.push_str(&format!(
                "\n * Not enough queries processed for {}th percentile\n early stopping estimate \
                 (would need to process at\n least {need} total queries).",
                percentile_label(p99, 1)
            ));
            None
        }
        Ok((_, t99)) => {
            let v99 = estimate(sorted, n, t99);
            text.push_str(&format!(
                "\n * Early stopping {}th percentile estimate: {v99}",
                percentile_label(p99, 1)
            ));
            Some(v99)
        }
    };
    EarlyStopping {
        met: true,
        text,
        latency_ss: Some(value),
        latency_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_run_at_p99_with_no_overlatency_needs_459_queries() {
        assert_eq!(Finder::new(0.99).find(0), 459);
        assert!(server(459, &[0; 459], 0, 0.99).met);
        assert_eq!(server(459, &[0; 459], 0, 0.99).text, " * Run successful.");
    }

    #[test]
    fn a_server_run_of_100_queries_needs_359_more() {
        let es = server(100, &[5; 100], 10, 0.99);
        assert!(!es.met);
        assert_eq!(
            es.text,
            " * Run unsuccessful.\n * Processed 100 queries.\n * Would need to run at least 359 \
             more queries,\n with the run being successful if every additional\n query were under \
             latency."
        );
    }

    #[test]
    fn single_stream_at_p90_with_401_queries_discards_25_and_lacks_p99() {
        let sorted: Vec<i64> = (0..401).map(|i| 1000 + i).collect();
        let es = stream(401, &sorted, 0.9, true);
        assert!(es.met);
        // LoadGen's summary for this case: "Processed at least 64 queries (401)", "Would discard
        // 25 highest latency queries" (h_min 63, t 26) → estimate sorted[401 − 26].
        assert_eq!(es.latency_ss, Some(1000 + 375));
        assert_eq!(es.latency_ms, None);
        assert_eq!(
            es.text,
            " * Processed at least 64 queries (401).\n * Would discard 25 highest latency \
             queries.\n * Early stopping 90.0th percentile estimate: 1375\n * Not enough queries \
             processed for 99.0th percentile\n early stopping estimate (would need to process \
             at\n least 662 total queries)."
        );
    }

    #[test]
    fn too_few_queries_fail_early_stopping_with_the_minimum() {
        let es = stream(10, &[1; 10], 0.9, false);
        assert!(!es.met);
        assert_eq!(
            es.text,
            " * Only processed 10 queries.\n * Need to process at least 64 queries for early \
             stopping."
        );
        assert_eq!(discard_count(661, 0.99), Err(662));
    }

    #[test]
    fn discard_counts_agree_with_the_reference_model() {
        // loadgen_rng_model.py: ss_ms(100, 0.9) == (63, 3), ss_ms(662, 0.99) == (661, 1).
        assert_eq!(discard_count(100, 0.9), Ok((63, 3)));
        assert_eq!(discard_count(401, 0.9), Ok((63, 26)));
        assert_eq!(discard_count(662, 0.99), Ok((661, 1)));
    }
}
