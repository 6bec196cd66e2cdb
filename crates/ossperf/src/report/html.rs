//! The HTML report: one self-contained file (inline CSS and SVG, a tiny inline script, no
//! network) for one run or an overlay of several.
//!
//! The page is static: everything is computed here, so it opens instantly whatever the number
//! of requests. The only script records load errors and the load time into attributes of the
//! `<html>` element (after forcing layout), which the headless-browser test and
//! `bench/report-render.sh` read back.

use std::fmt::Write;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::charts::{self, Prepared, Section};
use super::fmt::escape;
use super::model::RunResults;
use super::svg::PALETTE;
use super::tables;

/// The report's file name inside a result directory.
pub const REPORT_FILE: &str = "report.html";

pub(super) const STYLE: &str = r#"
:root{--fg:#1d2330;--muted:#5c6678;--line:#dfe3ea;--bg:#f5f7fa;--ok:#0a7d45;--bad:#c62828}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{background:#1d2330;color:#fff;padding:18px 28px}header h1{margin:0;font-size:20px}header p{margin:4px 0 0;color:#c8cfdb}
main{padding:8px 28px 40px;max-width:1320px;margin:auto}h2{font-size:17px;margin:28px 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
nav{margin:10px 0 0}nav a{color:#9fc4ff;margin-right:14px;text-decoration:none;font-size:13px}
.cards{display:flex;flex-wrap:wrap;gap:14px}.card{background:#fff;border:1px solid var(--line);border-left:6px solid var(--ok);border-radius:6px;padding:12px 16px;min-width:260px;max-width:520px;flex:1}
.card.invalid{border-left-color:var(--bad)}.card .run{color:var(--muted);font-size:12px}.verdict{font-size:26px;font-weight:700;color:var(--ok)}.invalid .verdict{color:var(--bad)}
.checks{list-style:none;padding:0;margin:6px 0}.checks li{display:flex;justify-content:space-between;border-bottom:1px dotted var(--line);padding:2px 0}
.ok{color:var(--ok)}.bad{color:var(--bad);font-weight:600}.reasons ul{margin:4px 0;padding-left:18px}pre{white-space:pre-wrap;margin:4px 0;font-size:12px}
table{border-collapse:collapse;background:#fff;border:1px solid var(--line);font-size:13px;margin-bottom:8px}th,td{padding:4px 10px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
th{background:#eef1f6;font-weight:600}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}td small{display:block;color:var(--muted)}td em{display:block;color:#6a3fb5;font-style:normal;font-size:12px}
tr.diff td{background:#fff6dc}.note{color:var(--muted)}.examples{margin:0;padding-left:16px}code{font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(540px,1fr));gap:14px}figure{margin:0;background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 10px}
figcaption{font-weight:600;font-size:13px;margin-bottom:2px}svg.chart{width:100%;height:auto;display:block;font-size:11px}
svg text{fill:#4a5365}svg .legend{fill:var(--fg)}svg .grid{stroke:#eceff4}svg .axis,svg .tick{stroke:#9aa3b2}svg .axis-label{fill:var(--muted)}
svg .marker{stroke:var(--bad);stroke-dasharray:5 3;stroke-width:1.5}svg .marker-label{fill:var(--bad);font-weight:600}
footer{color:var(--muted);font-size:12px;padding:20px 28px}
.tiles{display:flex;flex-wrap:wrap;gap:10px;margin-bottom:10px}.tile{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px 14px;min-width:150px}
.tile small{display:block;color:var(--muted);font-size:12px}.tile b{font-size:20px}.tile.label{display:flex;align-items:center;font-weight:600;min-width:120px}
.bar{display:block;height:6px;background:#eceff4;border-radius:3px;margin-top:4px;overflow:hidden}.bar span{display:block;height:100%}.fill-ok{background:var(--ok)}.fill-bad{background:var(--bad)}
"#;

pub(super) const SCRIPT: &str = "<script>(function(){var h=document.documentElement,e=[];\
window.addEventListener('error',function(x){e.push(String(x.message));h.dataset.errors=e.join(' | ');});\
window.addEventListener('load',function(){void document.body.getBoundingClientRect();\
h.dataset.loadMs=String(Math.round(performance.now()));\
h.dataset.charts=String(document.querySelectorAll('svg.chart').length);\
h.dataset.emptyCharts=String(document.querySelectorAll('svg.chart[data-points=\"0\"]').length);});})();</script>";

/// Renders the report of `runs`, each given with its label (the result directory's name).
pub fn render_report(runs: &[(&str, &RunResults)]) -> String {
    let prepared: Vec<Prepared> = runs.iter().map(|(l, r)| Prepared::new(l, r)).collect();
    let mut html = String::with_capacity(256 * 1024);
    head(&mut html, &prepared);
    let sections = [
        // The verdict first: an INVALID run's reason is the first thing read.
        ("verdict", "Verdict", tables::verdicts(&prepared)),
        ("headline", "At a glance", tables::headline(&prepared)),
        ("constraints", "Constraints", tables::constraints(&prepared)),
        (
            "metrics",
            if prepared.len() > 1 {
                "Metrics and differences"
            } else {
                "Metrics"
            },
            tables::metrics(&prepared),
        ),
    ];
    for (id, title, body) in sections {
        let _ = write!(
            html,
            "<section id=\"{id}\"><h2>{title}</h2>{body}</section>"
        );
    }
    let chart_sections = [
        charts::latency_section(&prepared),
        charts::dataset_section(&prepared),
        charts::time_section(&prepared),
        charts::length_section(&prepared),
    ];
    for (i, section) in chart_sections.iter().enumerate() {
        chart_section(&mut html, &format!("charts{i}"), section);
        if i == 1 {
            let _ = write!(html, "<section>{}</section>", tables::datasets(&prepared));
        }
        // Beside the client's figures over time.
        if i == 2 {
            if let Some(telemetry) = charts::telemetry_section(&prepared) {
                chart_section(&mut html, "telemetry", &telemetry);
            }
        }
    }
    let _ = write!(
        html,
        "<section id=\"answers\"><h2>Answers</h2>{}</section>",
        super::answers::section(&prepared)
    );
    let _ = write!(
        html,
        "<section id=\"errors\"><h2>Errors</h2>{}</section>\
         <section id=\"endpoints\"><h2>Endpoints</h2>{}</section>",
        tables::errors(&prepared),
        tables::endpoints(&prepared)
    );
    chart_section(&mut html, "server", &charts::server_section(&prepared));
    let _ = write!(
        html,
        "<section id=\"settings\"><h2>Effective settings</h2>{}</section></main>\
         <footer>Written by {} {}. Percentiles follow LoadGen: the value at index ⌊n·p⌋ of the \
         sorted samples; latency, TTFT and TPOT count from the scheduled time.</footer></body></html>",
        tables::settings(&prepared),
        escape(runs.first().map_or("ossperf", |r| r.1.tool.as_str())),
        escape(runs.first().map_or("", |r| r.1.version.as_str())),
    );
    html.push('\n');
    html
}

fn head(html: &mut String, runs: &[Prepared]) {
    let swatches: String = PALETTE
        .iter()
        .enumerate()
        .map(|(i, c)| format!(".s{i}{{background:{c}}}"))
        .collect();
    let title = match runs {
        [one] => format!("ossperf report: {}", one.label),
        many => format!("ossperf report: {} runs compared", many.len()),
    };
    let _ = write!(
        html,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <title>{}</title><style>{STYLE}{swatches}</style>{SCRIPT}</head><body><header><h1>{}</h1>",
        escape(&title),
        escape(&title)
    );
    for (i, p) in runs.iter().enumerate() {
        let r = p.run;
        let _ = write!(
            html,
            "<p><span class=\"swatch s{}\"></span><b>{}</b> · {} {} · {} · {}{}{}{} · started {} · {} requests</p>",
            i % PALETTE.len(),
            escape(p.label),
            escape(&r.model_key),
            escape(&r.scenario),
            escape(&r.mode),
            if r.verdict.valid { "VALID" } else { "INVALID" },
            if r.config.as_ref().is_some_and(|c| c.simulated) {
                " · SIMULATED"
            } else {
                ""
            },
            if r.config.as_ref().is_some_and(|c| c.first_salt.is_some()) {
                " · SALTED PROMPTS"
            } else {
                ""
            },
            r.warmup.as_ref().map_or(String::new(), |w| format!(
                " · after {} warm-up requests ({:.3} s, not timed)",
                w.requests,
                w.duration_ns as f64 / 1e9
            )),
            escape(&r.started_at),
            r.requests.len(),
        );
    }
    let telemetry = if runs.iter().any(|p| p.run.telemetry.is_some()) {
        "<a href=\"#telemetry\">Telemetry</a>"
    } else {
        ""
    };
    let _ = write!(
        html,
        "<nav><a href=\"#verdict\">Verdict</a><a href=\"#metrics\">Metrics</a>\
         <a href=\"#charts0\">Latency</a><a href=\"#charts1\">Sub-datasets</a>\
         <a href=\"#charts2\">Over time</a>{telemetry}<a href=\"#charts3\">Lengths</a><a href=\"#errors\">Errors</a>\
         <a href=\"#server\">Server</a><a href=\"#settings\">Settings</a></nav></header><main>",
    );
}

fn chart_section(html: &mut String, id: &str, section: &Section) {
    let _ = write!(html, "<section id=\"{id}\"><h2>{}</h2>", section.title);
    for note in &section.notes {
        let _ = write!(html, "<p class=\"note\">{}</p>", escape(note));
    }
    if !section.charts.is_empty() {
        html.push_str("<div class=\"grid\">");
        for chart in &section.charts {
            let _ = write!(
                html,
                "<figure><figcaption>{}</figcaption>{}</figure>",
                escape(&chart.title),
                chart.render()
            );
        }
        html.push_str("</div>");
    }
    html.push_str("</section>");
}

/// Writes the report of `runs` to `path`.
pub fn write_report_to(path: &Path, runs: &[(&str, &RunResults)]) -> anyhow::Result<()> {
    fs::write(path, render_report(runs))
        .with_context(|| format!("cannot write the report `{}`", path.display()))
}

/// Writes `dir/report.html` for the one run in `dir` and returns its path; the label is the
/// directory's name. This is what `ossperf run` calls at the end.
pub fn write_report(dir: &Path, results: &RunResults) -> anyhow::Result<PathBuf> {
    let path = dir.join(REPORT_FILE);
    let label = run_label(dir);
    write_report_to(&path, &[(&label, results)])?;
    Ok(path)
}

/// The label of a result directory: its name (`qps-8`), or, for the layout of `ossperf run`
/// (`<dir>/<scenario>/<performance|accuracy>`), the last three names (`qps-8/server/performance`).
pub fn run_label(dir: &Path) -> String {
    let dir = if dir.is_file() {
        dir.parent().unwrap_or(dir)
    } else {
        dir
    };
    let full = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let names: Vec<String> = full
        .components()
        .filter_map(|c| match c {
            std::path::Component::Normal(name) => Some(name.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let keep = match names.last().map(String::as_str) {
        Some("performance" | "accuracy") => 3,
        _ => 1,
    };
    match names.len() {
        0 => dir.display().to_string(),
        n => names[n.saturating_sub(keep)..].join("/"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    fn values(html: &str) -> Vec<(String, f64)> {
        html.split("data-metric=\"")
            .skip(1)
            .filter_map(|s| {
                let name = s.split('"').next()?.to_string();
                let value = s
                    .split("data-value=\"")
                    .nth(1)?
                    .split('"')
                    .next()?
                    .parse()
                    .ok()?;
                Some((name, value))
            })
            .collect()
    }

    #[test]
    fn every_metric_appears_with_exactly_its_value() {
        let run = sample::server_run(1_000, 3);
        let html = render_report(&[("run", &run)]);
        let shown = values(&html);
        for m in &run.metrics {
            assert!(
                shown.contains(&(m.name.clone(), m.value)),
                "`{}` = `{}` is not in the report",
                m.name,
                m.value
            );
        }
        assert!(html.contains(">1000 requests<") || html.contains("· 1000 requests</p>"));
    }

    #[test]
    fn the_page_is_self_contained() {
        let run = sample::server_run(200, 3);
        let html = render_report(&[("run", &run)]);
        assert!(!html.contains("http://www") && !html.contains("https://"));
        assert!(!html.contains("<script src") && !html.contains("<link"));
        assert_eq!(
            html.matches("<svg class=\"chart\" data-points=\"0\"")
                .count(),
            0
        );
    }

    #[test]
    fn a_large_run_gives_a_small_report() {
        // 100,000 requests give about 160 kB (bench/report-render.sh); 20,000 keep it quick.
        let run = sample::server_run(20_000, 9);
        let html = render_report(&[("big", &run)]);
        assert!(html.len() < 300_000, "{} bytes", html.len());
    }

    #[test]
    fn the_report_names_its_directory_and_lands_beside_the_results() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("run-7");
        fs::create_dir(&sub).unwrap();
        let path = write_report(&sub, &sample::server_run(50, 1)).unwrap();
        assert_eq!(path, sub.join("report.html"));
        let html = fs::read_to_string(path).unwrap();
        assert!(html.contains("<title>ossperf report: run-7</title>"));
    }

    #[test]
    fn a_run_directory_is_labelled_with_its_scenario_and_mode() {
        let dir = tempfile::tempdir().unwrap();
        let perf = dir.path().join("qps-8").join("server").join("performance");
        fs::create_dir_all(&perf).unwrap();
        assert_eq!(run_label(&perf), "qps-8/server/performance");
        fs::write(perf.join("results.json"), "{}").unwrap();
        assert_eq!(
            run_label(&perf.join("results.json")),
            "qps-8/server/performance"
        );
        assert_eq!(run_label(&dir.path().join("qps-8")), "qps-8");
    }
}
