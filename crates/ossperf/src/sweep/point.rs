//! One point of a sweep in figures: throughput, interactivity, TTFT and TPOT percentiles and
//! goodput, computed from the point's request records (the same records its `results.json`
//! holds), and the table row printed when the point ends.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ossperf_loadgen::stats::percentile;

pub(crate) use crate::report::sweep::{Limits, SweepPoint as Point};
use crate::report::RequestRecord;

impl Point {
    /// A point with its place and directory, its figures still zero.
    pub(crate) fn empty(index: usize, dir: PathBuf) -> Point {
        Point {
            index,
            target_qps: None,
            concurrency: None,
            scenario: String::new(),
            requests: 0,
            failed: 0,
            seconds: 0.0,
            requests_per_s: 0.0,
            output_tokens_per_s: 0.0,
            output_tokens_per_s_per_gpu: None,
            tokens_per_s_per_user: None,
            ttft_p50_ms: None,
            ttft_p99_ms: None,
            tpot_p50_ms: None,
            tpot_p99_ms: None,
            goodput_rps: 0.0,
            valid: None,
            why: String::new(),
            submittable: None,
            dir,
        }
    }
}

/// The file of a concurrency point's request records, one JSON object a line in the layout of
/// `results.json`'s `requests[]`.
pub(crate) const RECORDS_FILE: &str = "requests.jsonl";

/// Writes a concurrency point's records into `dir`.
pub(crate) fn write_records(dir: &Path, records: &[RequestRecord]) -> anyhow::Result<PathBuf> {
    let path = dir.join(RECORDS_FILE);
    let mut text = String::with_capacity(records.len() * 200);
    for record in records {
        text.push_str(&serde_json::to_string(record).context("cannot encode a request record")?);
        text.push('\n');
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(path)
}

/// The figures computed from a point's records.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub(crate) struct Figures {
    pub requests: u64,
    pub failed: u64,
    pub seconds: f64,
    pub requests_per_s: f64,
    pub output_tokens_per_s: f64,
    pub tokens_per_s_per_user: Option<f64>,
    pub ttft_ns: (Option<u64>, Option<u64>),
    pub tpot_ns: (Option<u64>, Option<u64>),
    pub goodput_rps: f64,
}

/// Computes a point's figures with LoadGen's definitions: TTFT from the scheduled time (at a
/// concurrency point, the send), TPOT `(latency − TTFT) / (tokens − 1)`.
pub(crate) fn figures(records: &[RequestRecord], limits: Limits) -> Figures {
    let last = records.iter().map(|r| r.complete_ns).max();
    let first = records.iter().map(|r| r.issued_ns).min().unwrap_or(0);
    let last = last.unwrap_or(first);
    let seconds = last.saturating_sub(first) as f64 / 1e9;
    let per_s = |n: f64| if seconds > 0.0 { n / seconds } else { 0.0 };
    let (mut ttft, mut tpot) = (Vec::new(), Vec::new());
    let (mut completed, mut tokens, mut good) = (0u64, 0u64, 0u64);
    for r in records {
        if r.error.is_some() {
            continue;
        }
        completed += 1;
        tokens += u64::from(r.output_tokens);
        let t = r.ttft_ns();
        let p = r.tpot_ns();
        ttft.extend(t);
        tpot.extend(p);
        // A request without a first token cannot show it met the TTFT limit; one with a
        // single token has no TPOT to fail.
        if t.is_some_and(|t| t <= limits.ttft_ns) && p.is_none_or(|p| p <= limits.tpot_ns) {
            good += 1;
        }
    }
    ttft.sort_unstable();
    tpot.sort_unstable();
    let tpot_p50 = percentile(&tpot, 0.5);
    Figures {
        requests: records.len() as u64,
        failed: records.len() as u64 - completed,
        seconds,
        requests_per_s: per_s(completed as f64),
        output_tokens_per_s: per_s(tokens as f64),
        tokens_per_s_per_user: tpot_p50.filter(|&p| p > 0).map(|p| 1e9 / p as f64),
        ttft_ns: (percentile(&ttft, 0.5), percentile(&ttft, 0.99)),
        tpot_ns: (tpot_p50, percentile(&tpot, 0.99)),
        goodput_rps: per_s(good as f64),
    }
}

/// The table's header and the row of each point; the columns are fixed whatever the sweep.
pub(crate) const HEADER: [&str; 13] = [
    "#",
    "load",
    "req/s",
    "tok/s",
    "tok/s/GPU",
    "tok/s/user",
    "TTFT p50",
    "TTFT p99",
    "TPOT p50",
    "TPOT p99",
    "goodput/s",
    "MLPerf",
    "submittable",
];

const WIDTHS: [usize; 13] = [3, 10, 8, 10, 10, 10, 10, 10, 9, 9, 9, 7, 11];

/// One line of the table from its cells, right-aligned to the fixed widths.
fn line(cells: &[String]) -> String {
    cells
        .iter()
        .zip(WIDTHS)
        .map(|(c, w)| format!("{c:>w$}"))
        .collect::<Vec<_>>()
        .join("  ")
}

/// The table's header line.
pub(crate) fn header() -> String {
    line(&HEADER.map(str::to_string))
}

impl Point {
    /// The point's row of the table.
    pub(crate) fn row(&self) -> String {
        let num = |v: f64| format!("{v:.2}");
        let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), num);
        let ms = |v: Option<f64>| match v {
            Some(ms) if ms >= 1000.0 => format!("{:.3} s", ms / 1000.0),
            Some(ms) => format!("{ms:.1} ms"),
            None => "-".to_string(),
        };
        let load = match (self.target_qps, self.concurrency) {
            (Some(q), _) => format!("{q} qps"),
            (None, Some(n)) => format!("{n} conc"),
            (None, None) => "-".to_string(),
        };
        let verdict = match self.valid {
            Some(true) => "VALID",
            Some(false) => "INVALID",
            None => "n/a",
        };
        let submittable = match self.submittable {
            Some(true) => "yes",
            Some(false) => "no",
            None => "n/a",
        };
        line(&[
            self.index.to_string(),
            load,
            num(self.requests_per_s),
            num(self.output_tokens_per_s),
            opt(self.output_tokens_per_s_per_gpu),
            opt(self.tokens_per_s_per_user),
            ms(self.ttft_p50_ms),
            ms(self.ttft_p99_ms),
            ms(self.tpot_p50_ms),
            ms(self.tpot_p99_ms),
            num(self.goodput_rps),
            verdict.to_string(),
            submittable.to_string(),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(issued: u64, first: Option<u64>, complete: u64, out: u32) -> RequestRecord {
        RequestRecord {
            qsl_idx: 0,
            dataset: "aime25".into(),
            scheduled_ns: issued,
            issued_ns: issued,
            first_token_ns: first,
            complete_ns: complete,
            input_tokens: 10,
            output_tokens: out,
            endpoint: 0,
            error: None,
            finish_reason: None,
            answer: None,
        }
    }

    const LIMITS: Limits = Limits {
        ttft_ns: 100,
        tpot_ns: 10,
    };

    #[test]
    fn goodput_counts_requests_within_both_limits_per_second_of_the_point() {
        let records = [
            record(0, Some(50), 140, 10),           // TTFT 50, TPOT 10: good
            record(0, Some(150), 200, 6),           // TTFT 150: over
            record(0, Some(20), 1_000_000_000, 11), // TPOT about 0.1 s: over
            record(0, Some(20), 30, 1),             // one token, no TPOT: good
        ];
        let f = figures(&records, LIMITS);
        assert_eq!(f.seconds, 1.0);
        assert_eq!(f.goodput_rps, 2.0);
        assert_eq!(f.requests_per_s, 4.0);
        assert_eq!(f.output_tokens_per_s, 28.0);
        assert_eq!(f.tpot_ns, (Some(10), Some(99_999_998)));
        assert_eq!(f.tokens_per_s_per_user, Some(1e8));
    }

    #[test]
    fn the_table_has_fixed_columns() {
        assert_eq!(
            header(),
            "  #        load     req/s       tok/s   tok/s/GPU  tok/s/user    TTFT p50    TTFT p99   TPOT p50   TPOT p99  goodput/s   MLPerf  submittable"
        );
    }
}
