//! A sweep's result model (`results.json` of `ossperf sweep`) and its one-page report: the
//! frontier (output tokens/s per GPU against tokens/s per user), goodput against load and
//! latency against load, with each VALID point marked by a filled dot and every other point
//! by a hollow one. Each point's own run keeps its `results.json` and report in its directory.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::answers::BeyondLoadgen;
use super::fmt::escape;
use super::html::{SCRIPT, STYLE};
use super::svg::{Axis, Chart, Dot, Series};

/// What a concurrency point is called wherever it is shown.
pub const NOT_MLPERF: &str = "not an MLPerf scenario";

/// The version of the sweep's `results.json` layout.
pub const SWEEP_SCHEMA_VERSION: u32 = 2;

/// The latency limits goodput counts against, ns.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limits {
    /// TTFT limit (`server_ttft_latency`), ns.
    pub ttft_ns: u64,
    /// TPOT limit (`server_tpot_latency`), ns.
    pub tpot_ns: u64,
}

/// A whole sweep, as its `results.json` holds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepResults {
    /// [`SWEEP_SCHEMA_VERSION`].
    pub schema_version: u32,
    /// Always `sweep`: tells this file from a run's `results.json`.
    pub kind: String,
    /// The writer (`ossperf`) and its version.
    pub tool: String,
    /// The writer's version.
    pub version: String,
    /// `rate` (LoadGen Server runs) or `concurrency` (closed loops, not an MLPerf scenario).
    pub axis: String,
    /// The scenario whose latency limits apply (`Server`, `Interactive`).
    pub scenario: String,
    /// True when the loads were grown automatically, false when listed.
    pub auto: bool,
    /// Each point's load duration, s.
    pub point_duration_s: f64,
    /// `--gpus`, when given.
    pub gpus: Option<u32>,
    /// The limits goodput and the stop rule use.
    pub limits: Limits,
    /// The automatic stop rule, in words.
    pub stop_rule: String,
    /// Why the sweep ended.
    pub stop_reason: String,
    /// True when the built-in simulator answered.
    pub simulated: bool,
    /// Every point, in run order.
    pub points: Vec<SweepPoint>,
}

/// One point of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SweepPoint {
    /// 1-based, in run order.
    pub index: usize,
    /// The Server `target_qps` (rate sweeps).
    pub target_qps: Option<f64>,
    /// The number of streams (concurrency sweeps).
    pub concurrency: Option<u32>,
    /// `Server`, `Interactive`, or `not an MLPerf scenario` (concurrency points).
    pub scenario: String,
    /// Requests issued.
    pub requests: u64,
    /// Requests that failed.
    pub failed: u64,
    /// From the first issue to the last completion, s.
    pub seconds: f64,
    /// Completed requests per second.
    pub requests_per_s: f64,
    /// Output tokens of completed requests per second.
    pub output_tokens_per_s: f64,
    /// The same divided by `--gpus`.
    pub output_tokens_per_s_per_gpu: Option<f64>,
    /// Tokens per second one user sees: 1 / median TPOT.
    pub tokens_per_s_per_user: Option<f64>,
    /// TTFT p50, ms.
    pub ttft_p50_ms: Option<f64>,
    /// TTFT p99, ms.
    pub ttft_p99_ms: Option<f64>,
    /// TPOT p50, ms.
    pub tpot_p50_ms: Option<f64>,
    /// TPOT p99, ms.
    pub tpot_p99_ms: Option<f64>,
    /// Completed requests per second whose TTFT and TPOT are both within the limits.
    pub goodput_rps: f64,
    /// LoadGen's verdict (rate points); none for concurrency points.
    pub valid: Option<bool>,
    /// The failed checks, `; `-separated (empty when VALID or not judged).
    pub why: String,
    /// Whether the point's run could be submitted; none for concurrency points.
    pub submittable: Option<bool>,
    /// True when a signal ended the point early: its figures are of what finished before.
    pub interrupted: bool,
    /// The answers' harmony channels (time to the first answer token, reasoning and answer
    /// tokens), finish reasons and input lengths of the point's requests, computed as a run's
    /// are; null when the point has no records.
    pub beyond_loadgen: Option<BeyondLoadgen>,
    /// The point's directory: a rate point's run (MLPerf logs, `results.json`, `report.html`),
    /// a concurrency point's `requests.jsonl`.
    pub dir: PathBuf,
}

impl SweepPoint {
    /// The load as a number: queries/s or streams.
    pub fn load(&self) -> f64 {
        self.target_qps
            .or(self.concurrency.map(f64::from))
            .unwrap_or(0.0)
    }

    /// Throughput per GPU, or per system without `--gpus`.
    pub fn throughput(&self) -> f64 {
        self.output_tokens_per_s_per_gpu
            .unwrap_or(self.output_tokens_per_s)
    }

    fn dot(&self, at: (f64, f64), style: usize) -> Dot {
        let (filled, class, verdict) = match self.valid {
            Some(true) => (true, "valid", "VALID"),
            Some(false) => (false, "invalid", "INVALID"),
            None => (false, "na", "MLPerf n/a"),
        };
        Dot {
            at,
            style,
            filled,
            class,
            label: format!("point {} · {} · {verdict}", self.index, self.load_label()),
        }
    }

    /// `4 qps` or `8 streams`.
    pub fn load_label(&self) -> String {
        match (self.target_qps, self.concurrency) {
            (Some(q), _) => format!("{q} qps"),
            (None, Some(n)) => format!("{n} streams"),
            (None, None) => "-".to_string(),
        }
    }
}

/// Writes `results.json` of a sweep into `dir`.
pub fn write_sweep_json(dir: &Path, sweep: &SweepResults) -> anyhow::Result<PathBuf> {
    let path = dir.join(super::RESULTS_FILE);
    let json = serde_json::to_string_pretty(sweep).context("cannot encode the sweep's results")?;
    std::fs::write(&path, json + "\n")
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(path)
}

/// Writes the sweep's `report.html` into `dir`.
pub fn write_sweep_report(dir: &Path, sweep: &SweepResults) -> anyhow::Result<PathBuf> {
    let path = dir.join(super::REPORT_FILE);
    std::fs::write(&path, render_sweep(sweep))
        .with_context(|| format!("cannot write `{}`", path.display()))?;
    Ok(path)
}

/// The charts of a sweep, in page order: the frontier, goodput against load, TTFT and TPOT
/// against load; each with the dots that mark its points' verdicts.
pub fn sweep_charts(sweep: &SweepResults) -> Vec<(Chart, Vec<Dot>)> {
    let points = &sweep.points;
    let load_axis = match sweep.axis.as_str() {
        "concurrency" => "concurrency (streams)",
        _ => "offered load (queries/s)",
    };
    let per = if sweep.gpus.is_some() {
        "output tokens/s per GPU"
    } else {
        "output tokens/s (whole system)"
    };
    let mut frontier: Vec<&SweepPoint> = points
        .iter()
        .filter(|p| p.tokens_per_s_per_user.is_some())
        .collect();
    frontier.sort_by(|a, b| {
        a.tokens_per_s_per_user
            .partial_cmp(&b.tokens_per_s_per_user)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let at = |p: &SweepPoint| (p.tokens_per_s_per_user.unwrap_or(0.0), p.throughput());
    let frontier_chart = Chart {
        title: "Frontier: throughput against interactivity".into(),
        x: (Axis::Number, "tokens/s per user (1 / TPOT p50)".into()),
        y: (Axis::Number, per.into()),
        series: vec![Series {
            label: "sweep points (filled: MLPerf VALID)".into(),
            style: 0,
            points: frontier.iter().map(|p| at(p)).collect(),
            fill: false,
        }],
        markers: Vec::new(),
    };
    let frontier_dots = frontier.iter().map(|p| p.dot(at(p), 0)).collect();
    let by_load = |f: &dyn Fn(&SweepPoint) -> Option<f64>| -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = points
            .iter()
            .filter_map(|p| Some((p.load(), f(p)?)))
            .collect();
        v.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
        v
    };
    let series = |label: &str, style: usize, pts: Vec<(f64, f64)>| Series {
        label: label.into(),
        style,
        points: pts,
        fill: false,
    };
    let goodput = Chart {
        title: "Goodput against load".into(),
        x: (Axis::Number, load_axis.into()),
        y: (Axis::Number, "requests/s".into()),
        series: vec![
            series(
                "goodput (within both limits)",
                0,
                by_load(&|p| Some(p.goodput_rps)),
            ),
            series("completed", 1, by_load(&|p| Some(p.requests_per_s))),
        ],
        markers: Vec::new(),
    };
    let goodput_dots = points
        .iter()
        .map(|p| p.dot((p.load(), p.goodput_rps), 0))
        .collect();
    let ns = |ms: Option<f64>| ms.map(|v| v * 1e6);
    let latency = |what: &str,
                   limit_ns: u64,
                   p50: fn(&SweepPoint) -> Option<f64>,
                   p99: fn(&SweepPoint) -> Option<f64>| {
        let chart = Chart {
            title: format!(
                "{what} against load (limit {})",
                super::fmt::duration(limit_ns as f64)
            ),
            x: (Axis::Number, load_axis.into()),
            y: (Axis::DurationNs, what.into()),
            series: vec![
                series("p50", 0, by_load(&|p| ns(p50(p)))),
                series("p99", 1, by_load(&|p| ns(p99(p)))),
            ],
            markers: Vec::new(),
        };
        let dots = points
            .iter()
            .filter_map(|p| Some(p.dot((p.load(), ns(p99(p))?), 1)))
            .collect();
        (chart, dots)
    };
    vec![
        (frontier_chart, frontier_dots),
        (goodput, goodput_dots),
        latency(
            "TTFT",
            sweep.limits.ttft_ns,
            |p| p.ttft_p50_ms,
            |p| p.ttft_p99_ms,
        ),
        latency(
            "TPOT",
            sweep.limits.tpot_ns,
            |p| p.tpot_p50_ms,
            |p| p.tpot_p99_ms,
        ),
    ]
}

/// The sweep's report page.
pub fn render_sweep(sweep: &SweepResults) -> String {
    let mut html = String::with_capacity(64 * 1024);
    let title = format!(
        "ossperf sweep: {} over {} ({} points)",
        sweep.scenario,
        sweep.axis,
        sweep.points.len()
    );
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{t}</title><style>{STYLE}</style>{SCRIPT}</head><body><header><h1>{t}</h1>\
         <p>{how} · {dur} s a point · stopped: {stop}{sim}</p></header><main>",
        t = escape(&title),
        how = if sweep.auto {
            "automatic"
        } else {
            "listed loads"
        },
        dur = super::fmt::trim(sweep.point_duration_s, 1),
        stop = escape(&sweep.stop_reason),
        sim = if sweep.simulated { " · SIMULATED" } else { "" },
    );
    if sweep.axis == "concurrency" {
        html.push_str(
            "<p class=\"note\">Concurrency points are closed loops of N streams: not an MLPerf \
             scenario, so no point has an MLPerf verdict (hollow dots).</p>",
        );
    }
    let _ = write!(
        html,
        "<p class=\"note\">Filled dots: MLPerf VALID points; hollow: INVALID or not judged. \
         Goodput counts completed requests whose TTFT ≤ {} and TPOT ≤ {}. Stop rule: {}</p>",
        super::fmt::duration(sweep.limits.ttft_ns as f64),
        super::fmt::duration(sweep.limits.tpot_ns as f64),
        escape(&sweep.stop_rule)
    );
    html.push_str("<section id=\"charts\"><h2>Charts</h2><div class=\"grid\">");
    for (chart, dots) in sweep_charts(sweep) {
        let _ = write!(
            html,
            "<figure><figcaption>{}</figcaption>{}</figure>",
            escape(&chart.title),
            chart.render_with_dots(&dots)
        );
    }
    html.push_str("</div></section><section id=\"points\"><h2>Points</h2>");
    points_table(&mut html, sweep);
    html.push_str("</section>");
    answers_section(&mut html, sweep);
    let _ = write!(
        html,
        "</main><footer>Written by {} {}. Percentiles follow LoadGen: the value at \
         index ⌊n·p⌋ of the sorted samples. Each point's own report is in its directory.\
         </footer></body></html>",
        escape(&sweep.tool),
        escape(&sweep.version)
    );
    html.push('\n');
    html
}

fn points_table(html: &mut String, sweep: &SweepResults) {
    html.push_str(
        "<table><tr><th>#</th><th>load</th><th>req/s</th><th>output tok/s</th>\
         <th>tok/s/GPU</th><th>tok/s/user</th><th>TTFT p50</th><th>TTFT p99</th>\
         <th>TPOT p50</th><th>TPOT p99</th><th>goodput/s</th><th>MLPerf</th>\
         <th>submittable</th><th>directory</th></tr>",
    );
    let num = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| format!("{v:.2}"));
    let ms = |v: Option<f64>| v.map_or_else(|| "-".to_string(), |v| super::fmt::duration(v * 1e6));
    for p in &sweep.points {
        let verdict = match p.valid {
            _ if p.interrupted => format!(
                "<span class=\"bad\">interrupted</span><small>{}</small>",
                match p.valid {
                    Some(_) => "INVALID: a signal ended the run early",
                    None => NOT_MLPERF,
                }
            ),
            Some(true) => "<span class=\"ok\">VALID</span>".to_string(),
            Some(false) => format!(
                "<span class=\"bad\">INVALID</span><small>{}</small>",
                escape(&p.why)
            ),
            None => format!("n/a<small>{}</small>", NOT_MLPERF),
        };
        let _ = write!(
            html,
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td><td>{verdict}</td><td>{}</td>\
             <td><code>{}</code></td></tr>",
            p.index,
            escape(&p.load_label()),
            num(Some(p.requests_per_s)),
            num(Some(p.output_tokens_per_s)),
            num(p.output_tokens_per_s_per_gpu),
            num(p.tokens_per_s_per_user),
            ms(p.ttft_p50_ms),
            ms(p.ttft_p99_ms),
            ms(p.tpot_p50_ms),
            ms(p.tpot_p99_ms),
            num(Some(p.goodput_rps)),
            match p.submittable {
                Some(true) => "yes",
                Some(false) => "no",
                None => "n/a",
            },
            escape(&p.dir.display().to_string()),
        );
    }
    html.push_str("</table>");
}

/// The answers' figures of every point, as a run's report shows a run's.
fn answers_section(html: &mut String, sweep: &SweepResults) {
    let labelled: Vec<(String, &BeyondLoadgen)> = sweep
        .points
        .iter()
        .filter_map(|p| {
            let label = format!("point {} · {}", p.index, p.load_label());
            Some((label, p.beyond_loadgen.as_ref()?))
        })
        .collect();
    let rows: Vec<(&str, &BeyondLoadgen)> = labelled
        .iter()
        .map(|(label, figures)| (label.as_str(), *figures))
        .collect();
    let _ = write!(
        html,
        "<section id=\"answers\"><h2>Answers</h2><p>The time to the first answer token \
         follows the harmony channels of each streamed answer: the first token of the \
         <code>final</code> channel, after the reasoning, counted as the point's TTFT is (from \
         the scheduled time at a rate point, from the send at a concurrency point). It is \
         unavailable, never the TTFT, where the answers carried no channels.</p>{}</section>",
        super::answers::table(&rows)
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(index: usize, qps: f64, valid: Option<bool>) -> SweepPoint {
        SweepPoint {
            index,
            target_qps: Some(qps),
            concurrency: None,
            scenario: "Server".into(),
            requests: 100,
            failed: 0,
            seconds: 10.0,
            requests_per_s: qps,
            output_tokens_per_s: qps * 100.0,
            output_tokens_per_s_per_gpu: Some(qps * 50.0),
            tokens_per_s_per_user: Some(100.0 / qps),
            ttft_p50_ms: Some(20.0 * qps),
            ttft_p99_ms: Some(40.0 * qps),
            tpot_p50_ms: Some(10.0 * qps),
            tpot_p99_ms: Some(12.0 * qps),
            goodput_rps: qps,
            valid,
            why: String::new(),
            submittable: valid.map(|_| false),
            interrupted: false,
            beyond_loadgen: None,
            dir: format!("sweep/server-rate/point-{index:02}").into(),
        }
    }

    fn sample() -> SweepResults {
        SweepResults {
            schema_version: SWEEP_SCHEMA_VERSION,
            kind: "sweep".into(),
            tool: "ossperf".into(),
            version: "0.1.0".into(),
            axis: "rate".into(),
            scenario: "Server".into(),
            auto: true,
            point_duration_s: 10.0,
            gpus: Some(2),
            limits: Limits {
                ttft_ns: 3_000_000_000,
                tpot_ns: 80_000_000,
            },
            stop_rule: "rule".into(),
            stop_reason: "throughput saturated".into(),
            simulated: true,
            points: vec![
                SweepPoint {
                    beyond_loadgen: crate::report::sample::server_run(200, 3).beyond_loadgen,
                    ..point(1, 1.0, Some(true))
                },
                point(2, 2.0, Some(true)),
                SweepPoint {
                    interrupted: true,
                    ..point(3, 4.0, Some(false))
                },
            ],
        }
    }

    #[test]
    fn a_sweeps_results_json_conforms_to_the_schemas_sweep_definition_and_reads_back() {
        let root: serde_json::Value =
            serde_json::from_str(include_str!("../../../../docs/results.schema.json")).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = write_sweep_json(dir.path(), &sample()).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            super::super::schema_check::validate_def(&root, "sweep", &value),
            Vec::<String>::new()
        );
        let mut concurrency = sample();
        concurrency.axis = "concurrency".into();
        concurrency.points[0].target_qps = None;
        concurrency.points[0].concurrency = Some(4);
        concurrency.points[0].valid = None;
        let value = serde_json::to_value(&concurrency).unwrap();
        assert_eq!(
            super::super::schema_check::validate_def(&root, "sweep", &value),
            Vec::<String>::new()
        );
        assert_eq!(
            serde_json::from_str::<SweepResults>(&text).unwrap(),
            sample()
        );
    }

    #[test]
    fn the_frontier_plots_throughput_per_gpu_against_tokens_per_user_with_valid_points_filled() {
        let charts = sweep_charts(&sample());
        let titles: Vec<&str> = charts.iter().map(|(c, _)| c.title.as_str()).collect();
        assert_eq!(
            titles,
            [
                "Frontier: throughput against interactivity",
                "Goodput against load",
                "TTFT against load (limit 3 s)",
                "TPOT against load (limit 80 ms)",
            ]
        );
        let (frontier, dots) = &charts[0];
        // In order of tokens/s per user: 4 qps (25/user), 2 qps (50), 1 qps (100).
        assert_eq!(
            frontier.series[0].points,
            vec![(25.0, 200.0), (50.0, 100.0), (100.0, 50.0)]
        );
        let svg = frontier.render_with_dots(dots);
        assert_eq!(svg.matches("class=\"point valid\"").count(), 2);
        assert_eq!(svg.matches("class=\"point invalid\"").count(), 1);
        assert!(svg.contains("<title>point 3 · 4 qps · INVALID</title>"));
        assert!(svg.contains("output tokens/s per GPU"));
    }

    #[test]
    fn the_report_marks_an_interrupted_point_and_shows_each_points_answers_as_a_run_report_does() {
        let sweep = sample();
        let html = render_sweep(&sweep);
        let points = html
            .split("<section id=\"points\">")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .expect("a Points section");
        assert_eq!(
            points
                .matches("<span class=\"bad\">interrupted</span><small>INVALID: a signal ended the run early</small>")
                .count(),
            1,
            "{points}"
        );
        let answers = html
            .split("<section id=\"answers\">")
            .nth(1)
            .and_then(|s| s.split("</section>").next())
            .expect("an Answers section");
        // One row for the one point with figures, in the run report's layout.
        let figures = sweep.points[0].beyond_loadgen.as_ref().unwrap();
        assert!(
            answers.contains(&super::super::answers::table(&[(
                "point 1 · 1 qps",
                figures
            )])),
            "{answers}"
        );
        assert_eq!(answers.matches("<tr><td>").count(), 1, "{answers}");
        assert!(answers.contains("from the send at a concurrency point"));
    }
}
