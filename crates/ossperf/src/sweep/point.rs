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
            interrupted: false,
            beyond_loadgen: None,
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

/// The widths of the table's right-aligned figures: `#`, load, completed and good requests/s,
/// output tokens/s (per GPU, or of the whole system), tokens/s per user, TTFT p50 and p99
/// (s), TPOT p50 and p99 (ms). The verdict follows, left-aligned; with `interrupted`, the
/// longest, a row is 80 columns. Every figure at full precision, and those left out here
/// (`submittable`, tokens/s of the whole system beside per GPU), are in `results.json` and
/// the report.
const WIDTHS: [usize; 10] = [2, 6, 5, 5, 6, 5, 5, 5, 5, 5];
const GAP: &str = "  ";

/// One line of the table: `cells` right-aligned to [`WIDTHS`], then `verdict`.
fn line(cells: [&str; 10], verdict: &str) -> String {
    let mut out = cells
        .iter()
        .zip(WIDTHS)
        .map(|(c, w)| format!("{c:>w$}"))
        .collect::<Vec<_>>()
        .join(GAP);
    out.push_str(GAP);
    out.push_str(verdict);
    out
}

/// The table's two header lines: the quantity and unit of each group of columns, then each
/// column's name. The load is `qps` or `conc` (streams); the first tokens/s column is `/GPU`
/// with `--gpus`, `total` (the whole system) without.
pub(crate) fn header(rate_axis: bool, per_gpu: bool) -> [String; 2] {
    let span = |from: usize, to: usize| WIDTHS[from..=to].iter().sum::<usize>() + GAP.len();
    let groups = [
        ("requests/s", span(2, 3)),
        ("tok/s", span(4, 5)),
        ("TTFT s", span(6, 7)),
        ("TPOT ms", span(8, 9)),
    ];
    let mut top = " ".repeat(WIDTHS[0] + GAP.len() + WIDTHS[1]);
    for (name, width) in groups {
        top.push_str(GAP);
        top.push_str(&format!("{name:^width$}"));
    }
    let names = [
        "#",
        if rate_axis { "qps" } else { "conc" },
        "done",
        "good",
        if per_gpu { "/GPU" } else { "total" },
        "/user",
        "p50",
        "p99",
        "p50",
        "p99",
    ];
    [top.trim_end().to_string(), line(names, "MLPerf")]
}

/// A figure in at most 5 characters below 100,000: three significant digits, or the whole
/// number from 100 up.
fn short(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else if v >= 99.95 {
        format!("{v:.0}")
    } else if v >= 9.995 {
        format!("{v:.1}")
    } else if v >= 0.9995 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

impl Point {
    /// The point's row of the table.
    pub(crate) fn row(&self) -> String {
        let opt = |v: Option<f64>| v.map_or_else(|| "-".to_string(), short);
        let load = match (self.target_qps, self.concurrency) {
            // The rate as asked where it fits its column, else in the figures' 5 characters
            // (the results file keeps it whole).
            (Some(q), _) => Some(q.to_string())
                .filter(|q| q.len() <= WIDTHS[1])
                .unwrap_or_else(|| short(q)),
            (None, Some(n)) => n.to_string(),
            (None, None) => "-".to_string(),
        };
        let verdict = match self.valid {
            // A signal ended the point: a rate point's run is then INVALID, and a concurrency
            // point has no verdict; `valid` keeps which.
            _ if self.interrupted => "interrupted",
            Some(true) => "VALID",
            Some(false) => "INVALID",
            None => "n/a",
        };
        let cells = [
            self.index.to_string(),
            load,
            short(self.requests_per_s),
            short(self.goodput_rps),
            short(self.throughput()),
            opt(self.tokens_per_s_per_user),
            opt(self.ttft_p50_ms.map(|ms| ms / 1e3)),
            opt(self.ttft_p99_ms.map(|ms| ms / 1e3)),
            opt(self.tpot_p50_ms),
            opt(self.tpot_p99_ms),
        ];
        line(cells.each_ref().map(String::as_str), verdict)
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

    /// The widest line the table may print.
    const TABLE_WIDTH: usize = 80;

    #[test]
    fn the_table_fits_80_columns_with_its_units_in_the_header() {
        assert_eq!(
            header(true, true),
            [
                "             requests/s       tok/s         TTFT s       TPOT ms",
                " #     qps   done   good    /GPU  /user    p50    p99    p50    p99  MLPerf",
            ]
        );
        assert_eq!(
            header(false, false)[1],
            " #    conc   done   good   total  /user    p50    p99    p50    p99  MLPerf"
        );
        let mut p = Point::empty(12, PathBuf::from("point-12"));
        p.target_qps = Some(12.34);
        p.requests_per_s = 12.3456;
        p.goodput_rps = 0.5;
        p.output_tokens_per_s = 123_456.7;
        p.tokens_per_s_per_user = Some(85.26);
        p.ttft_p50_ms = Some(512.3);
        p.ttft_p99_ms = Some(61_234.0);
        p.tpot_p50_ms = Some(9.87);
        p.tpot_p99_ms = Some(1234.6);
        p.valid = Some(true);
        assert_eq!(
            p.row(),
            "12   12.34   12.3  0.500  123457   85.3  0.512   61.2   9.87   1235  VALID"
        );
        p.interrupted = true;
        p.valid = Some(false);
        p.tokens_per_s_per_user = None;
        assert_eq!(
            p.row(),
            "12   12.34   12.3  0.500  123457      -  0.512   61.2   9.87   1235  interrupted"
        );
        p.target_qps = Some(0.012_345_6);
        assert!(p.row().starts_with("12   0.012 "), "{}", p.row());
        for line in header(true, false).iter().chain([&p.row()]) {
            assert!(line.chars().count() <= TABLE_WIDTH, "{line}");
        }
        assert_eq!(p.row().chars().count(), TABLE_WIDTH);
    }
}
