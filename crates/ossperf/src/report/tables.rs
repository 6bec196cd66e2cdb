//! The report's tables: verdict, constraints, metrics (with differences between runs),
//! settings, sub-datasets, endpoints and errors.
//!
//! Every figure copied from the run is printed exactly (as the summary prints it) beside a
//! readable form, and carries `data-metric`/`data-value` so a test can compare the report's
//! figures with the input's without parsing prose.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::charts::Prepared;
use super::fmt::{duration, escape, exact, grouped, human};
use super::model::{ConstraintOp, Metric, RequestRecord, Unit};
use super::stats::percentile;

const ERROR_EXAMPLES: usize = 3;

fn run_headers(runs: &[Prepared]) -> String {
    runs.iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                "<th><span class=\"swatch s{}\"></span>{}</th>",
                i % 8,
                escape(p.label)
            )
        })
        .collect()
}

/// Whether the run is simulated and whether it can be submitted, with every reason it cannot.
fn submittable(html: &mut String, run: &crate::report::RunResults) {
    if run.config.as_ref().is_some_and(|c| c.simulated) {
        html.push_str(
            "<p class=\"simulated\" data-simulated=\"true\"><b>SIMULATED</b>: the built-in \
             simulator answered; no real server was measured</p>",
        );
    }
    let Some(s) = &run.submittable else {
        return;
    };
    let word = if s.submittable { "yes" } else { "no" };
    let _ = write!(
        html,
        "<div class=\"reasons\" data-submittable=\"{word}\"><b>Submittable: {word}</b><ul>"
    );
    for reason in &s.reasons {
        let _ = write!(html, "<li>{}</li>", escape(reason));
    }
    html.push_str("</ul></div>");
}

/// One card per run: VALID/INVALID and, for INVALID, why (first, so it is the first thing
/// read), then each check and the early-stopping texts (open when early stopping failed).
pub fn verdicts(runs: &[Prepared]) -> String {
    let mut html = String::from("<div class=\"cards\">");
    for p in runs {
        let v = &p.run.verdict;
        let (class, word) = if v.valid {
            ("valid", "VALID")
        } else {
            ("invalid", "INVALID")
        };
        let _ = write!(
            html,
            "<div class=\"card {class}\"><div class=\"run\">{}</div><div class=\"verdict\" \
             data-verdict=\"{word}\">{word}</div>",
            escape(p.label)
        );
        if !v.reasons.is_empty() {
            html.push_str("<div class=\"reasons\"><b>Why</b><ul>");
            for reason in &v.reasons {
                let _ = write!(html, "<li>{}</li>", escape(reason));
            }
            html.push_str("</ul></div>");
        }
        html.push_str("<ul class=\"checks\">");
        for check in &v.checks {
            let (mark, text) = if check.ok {
                ("ok", "✓ yes")
            } else {
                ("bad", "✗ NO")
            };
            let _ = write!(
                html,
                "<li>{} <b class=\"{mark}\">{text}</b></li>",
                escape(&check.name)
            );
        }
        html.push_str("</ul>");
        submittable(&mut html, p.run);
        let early_failed = v
            .checks
            .iter()
            .any(|c| !c.ok && c.name.to_lowercase().contains("early stopping"));
        for es in &v.early_stopping {
            let _ = write!(
                html,
                "<details{}><summary>{} early stopping</summary><pre>{}</pre></details>",
                if early_failed { " open" } else { "" },
                escape(&es.on),
                escape(&es.text)
            );
        }
        html.push_str("</div>");
    }
    html.push_str("</div>");
    html
}

/// A row of headline tiles per run: throughput, each constraint as a filled bar, requests
/// and failures, so the state of a run reads at a glance.
pub fn headline(runs: &[Prepared]) -> String {
    let mut html = String::new();
    for (i, p) in runs.iter().enumerate() {
        let _ = write!(
            html,
            "<div class=\"tiles\"><div class=\"tile label\"><span class=\"swatch s{}\"></span>{}</div>",
            i % 8,
            escape(p.label)
        );
        let throughput = p.run.metrics.iter().find(|m| m.unit == Unit::TokensPerS);
        if let Some(m) = throughput {
            let _ = write!(
                html,
                "<div class=\"tile\"><small>{}</small><b>{}</b></div>",
                escape(&m.name),
                escape(&human(m.value, m.unit))
            );
        }
        for m in p.run.metrics.iter().filter(|m| m.constraint.is_some()) {
            let Some(c) = m.constraint else { continue };
            let share = if c.limit > 0.0 {
                m.value / c.limit
            } else {
                1.0
            };
            let ok = c.holds(m.value);
            let _ = write!(
                html,
                "<div class=\"tile\"><small>{} (limit {})</small><b class=\"{}\">{}</b>\
                 <span class=\"bar\"><span class=\"{}\" style=\"width:{:.0}%\"></span></span></div>",
                escape(&m.name),
                escape(&human(c.limit, m.unit)),
                if ok { "ok" } else { "bad" },
                escape(&human(m.value, m.unit)),
                if ok { "fill-ok" } else { "fill-bad" },
                (share * 100.0).clamp(0.0, 100.0)
            );
        }
        let failed = p.run.requests.iter().filter(|r| r.error.is_some()).count();
        let _ = write!(
            html,
            "<div class=\"tile\"><small>requests</small><b>{}</b></div>\
             <div class=\"tile\"><small>failed</small><b class=\"{}\">{failed}</b></div></div>",
            grouped(p.run.requests.len() as f64),
            if failed == 0 { "ok" } else { "bad" },
        );
    }
    html
}

fn value_cell(m: &Metric, run: usize) -> String {
    format!(
        "<td class=\"num\" data-metric=\"{}\" data-run=\"{run}\" data-value=\"{}\">{}<small>{}</small></td>",
        escape(&m.name),
        m.value,
        exact(m.value),
        escape(&human(m.value, m.unit))
    )
}

/// Each constrained metric per run: measured value, limit, margin and whether it holds.
pub fn constraints(runs: &[Prepared]) -> String {
    let mut rows = String::new();
    for (i, p) in runs.iter().enumerate() {
        for m in &p.run.metrics {
            let (Some(c), Some(margin)) = (m.constraint, m.margin()) else {
                continue;
            };
            let op = match c.op {
                ConstraintOp::AtMost => "≤",
                ConstraintOp::AtLeast => "≥",
            };
            let ok = m.ok.unwrap_or(c.holds(m.value));
            let share = if c.limit != 0.0 {
                format!(" ({}% of the limit)", grouped(margin / c.limit * 100.0))
            } else {
                String::new()
            };
            let _ = write!(
                rows,
                "<tr><td>{}</td><td><code>{}</code></td>{}<td class=\"num\">{op} {}<small>{}</small></td>\
                 <td class=\"num\">{}{share}</td><td class=\"{}\">{}</td></tr>",
                escape(p.label),
                escape(&m.name),
                value_cell(m, i),
                exact(c.limit),
                escape(&human(c.limit, m.unit)),
                escape(&human(margin, m.unit)),
                if ok { "ok" } else { "bad" },
                if ok { "✓ met" } else { "✗ NOT met" },
            );
        }
    }
    if rows.is_empty() {
        return "<p class=\"note\">This run has no constrained metric.</p>".into();
    }
    format!(
        "<table><thead><tr><th>run</th><th>metric</th><th>measured</th><th>limit</th>\
         <th>margin</th><th>status</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// Every metric, one column per run; from the second run on, the change against the first.
pub fn metrics(runs: &[Prepared]) -> String {
    let mut names: Vec<&str> = Vec::new();
    for m in runs.iter().flat_map(|p| &p.run.metrics) {
        if !names.contains(&m.name.as_str()) {
            names.push(&m.name);
        }
    }
    let mut rows = String::new();
    for name in names {
        let _ = write!(rows, "<tr><td><code>{}</code></td>", escape(name));
        let base = runs
            .first()
            .and_then(|p| p.run.metric(name))
            .map(|m| m.value);
        for (i, p) in runs.iter().enumerate() {
            match p.run.metric(name) {
                None => rows.push_str("<td class=\"num\">—</td>"),
                Some(m) => {
                    let mut cell = value_cell(m, i);
                    if let (true, Some(base)) = (i > 0, base.filter(|b| *b != 0.0)) {
                        let change = (m.value - base) / base.abs() * 100.0;
                        let delta = format!(
                            "<em>{}{}%</em></td>",
                            if change >= 0.0 { "+" } else { "" },
                            grouped(change)
                        );
                        cell.truncate(cell.len() - "</td>".len());
                        cell.push_str(&delta);
                    }
                    rows.push_str(&cell);
                }
            }
        }
        rows.push_str("</tr>");
    }
    format!(
        "<table><thead><tr><th>metric</th>{}</tr></thead><tbody>{rows}</tbody></table>",
        run_headers(runs)
    )
}

/// The effective settings; with several runs, the ones that differ come first, marked.
pub fn settings(runs: &[Prepared]) -> String {
    let mut keys: Vec<&str> = Vec::new();
    for s in runs.iter().flat_map(|p| &p.run.settings) {
        if !keys.contains(&s.key.as_str()) {
            keys.push(&s.key);
        }
    }
    let differs = |key: &str| {
        let first = runs.first().and_then(|p| p.run.setting(key));
        runs.iter().any(|p| p.run.setting(key) != first)
    };
    keys.sort_by_key(|k| !differs(k));
    let n_diff = keys.iter().filter(|k| differs(k)).count();
    let mut rows = String::new();
    for key in keys {
        let class = if differs(key) { " class=\"diff\"" } else { "" };
        let _ = write!(rows, "<tr{class}><td><code>{}</code></td>", escape(key));
        for p in runs {
            let value = p.run.setting(key).unwrap_or("—");
            let _ = write!(rows, "<td><code>{}</code></td>", escape(value));
        }
        rows.push_str("</tr>");
    }
    let summary = if runs.len() > 1 {
        format!("<p class=\"note\">{n_diff} setting(s) differ between the runs (marked, listed first).</p>")
    } else {
        String::new()
    };
    format!(
        "{summary}<table><thead><tr><th>setting</th>{}</tr></thead><tbody>{rows}</tbody></table>",
        run_headers(runs)
    )
}

fn pct(values: &[u64], p: f64) -> String {
    percentile(values, p).map_or("—".into(), |v| duration(v as f64))
}

/// Per run and sub-dataset: requests, failures, TTFT/TPOT/latency percentiles, output length.
pub fn datasets(runs: &[Prepared]) -> String {
    let mut rows = String::new();
    for p in runs {
        for (name, [ttft, tpot, latency]) in &p.datasets {
            let records = p.run.requests.iter().filter(|r| r.dataset == *name);
            let (mut n, mut failed, mut tokens) = (0u64, 0u64, 0u64);
            for r in records {
                n += 1;
                failed += u64::from(r.error.is_some());
                tokens += u64::from(r.output_tokens);
            }
            let _ = write!(
                rows,
                "<tr><td>{}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(p.label),
                escape(name),
                n,
                failed,
                pct(ttft, 0.5),
                pct(ttft, 0.99),
                pct(tpot, 0.99),
                pct(latency, 0.99),
                grouped(tokens as f64 / n.max(1) as f64),
            );
        }
    }
    format!(
        "<table><thead><tr><th>run</th><th>sub-dataset</th><th>requests</th><th>failed</th>\
         <th>TTFT p50</th><th>TTFT p99</th><th>TPOT p99</th><th>latency p99</th>\
         <th>mean output tokens</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

/// Per run and endpoint: requests, failures, latency and TTFT percentiles.
pub fn endpoints(runs: &[Prepared]) -> String {
    let mut rows = String::new();
    for p in runs {
        for (index, endpoint) in p.run.endpoints.iter().enumerate() {
            let mine: Vec<&RequestRecord> = p
                .run
                .requests
                .iter()
                .filter(|r| r.endpoint as usize == index)
                .collect();
            let mut latency: Vec<u64> = mine.iter().map(|r| r.latency_ns()).collect();
            // As everywhere on the page, an Offline run has no TTFT (LoadGen measures none).
            let offline = p.run.scenario == "Offline";
            let mut ttft: Vec<u64> = mine
                .iter()
                .filter_map(|r| r.ttft_ns())
                .filter(|_| !offline)
                .collect();
            latency.sort_unstable();
            ttft.sort_unstable();
            let failed = mine.iter().filter(|r| r.error.is_some()).count();
            let state = match (endpoint.healthy, endpoint.down) {
                (false, _) => "left out (health check)",
                (true, true) => "down",
                (true, false) => "up",
            };
            let _ = write!(
                rows,
                "<tr><td>{}</td><td><code>{}</code></td><td>{state}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{failed}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
                 <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                escape(p.label),
                escape(&endpoint.url),
                mine.len(),
                endpoint.retried_away,
                endpoint.output_tokens,
                pct(&latency, 0.5),
                pct(&ttft, 0.99),
            );
        }
    }
    format!(
        "<table><thead><tr><th>run</th><th>endpoint</th><th>state</th><th>requests</th>\
         <th>failed</th><th>retried elsewhere</th><th>output tokens</th><th>latency p50</th>\
         <th>TTFT p99</th></tr></thead><tbody>{rows}</tbody></table>{}",
        server_notes(runs)
    )
}

/// What the start-up generation found about each server, and where tokens came from when
/// not every answer carried its ids (issue 19); empty when there is nothing to say.
fn server_notes(runs: &[Prepared]) -> String {
    let mut items = String::new();
    for p in runs {
        for endpoint in &p.run.endpoints {
            if let Some(server) = &endpoint.server {
                let _ = write!(
                    items,
                    "<li>{}: <code>{}</code>: {}</li>",
                    escape(p.label),
                    escape(&endpoint.url),
                    escape(server)
                );
            }
        }
        for line in p.run.tokens.lines() {
            let _ = write!(
                items,
                "<li class=\"bad\">{}: {}</li>",
                escape(p.label),
                escape(&line)
            );
        }
    }
    if items.is_empty() {
        return items;
    }
    format!("<ul>{items}</ul>")
}

/// Failed requests grouped by kind, with the count and the first few examples of each.
pub fn errors(runs: &[Prepared]) -> String {
    let mut rows = String::new();
    for p in runs {
        let mut kinds: BTreeMap<&str, (usize, Vec<&RequestRecord>)> = BTreeMap::new();
        for r in &p.run.requests {
            if let Some(e) = &r.error {
                let entry = kinds.entry(&e.kind).or_default();
                entry.0 += 1;
                if entry.1.len() < ERROR_EXAMPLES {
                    entry.1.push(r);
                }
            }
        }
        let total = p.run.requests.len().max(1);
        for (kind, (count, examples)) in kinds {
            let list: String = examples
                .iter()
                .filter_map(|r| {
                    let e = r.error.as_ref()?;
                    Some(format!(
                        "<li>sample <code>{}</code> at {}: {}</li>",
                        r.qsl_idx,
                        duration(r.issued_ns as f64),
                        escape(&e.message)
                    ))
                })
                .collect();
            let _ = write!(
                rows,
                "<tr><td>{}</td><td><code>{}</code></td><td class=\"num\" data-errors=\"{count}\">{count}</td>\
                 <td class=\"num\">{}%</td><td><ul class=\"examples\">{list}</ul></td></tr>",
                escape(p.label),
                escape(kind),
                grouped(count as f64 / total as f64 * 100.0),
            );
        }
    }
    if rows.is_empty() {
        return "<p class=\"note ok\">No request failed.</p>".into();
    }
    format!(
        "<table><thead><tr><th>run</th><th>kind</th><th>count</th><th>share</th>\
         <th>first examples</th></tr></thead><tbody>{rows}</tbody></table>"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::model::Constraint;
    use crate::report::sample;

    #[test]
    fn errors_are_grouped_by_kind_with_at_most_three_examples() {
        let run = sample::server_run(3_000, 5);
        let prepared = [Prepared::new("a", &run)];
        let html = errors(&prepared);
        let total: usize = run.requests.iter().filter(|r| r.error.is_some()).count();
        let shown: usize = html
            .split("data-errors=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse::<usize>().ok())
            .sum();
        assert_eq!(shown, total);
        assert_eq!(html.matches("<tr><td>").count(), 2);
        assert!(html.matches("<li>").count() <= 6);
    }

    #[test]
    fn headline_bars_fill_as_the_share_of_each_limit() {
        let mut run = sample::server_run(10, 1);
        run.metrics = vec![
            Metric::new("ttft_p99", 1.5e9, Unit::Ns).with_constraint(Constraint::at_most(3e9)),
            Metric::new("tpot_p99", 9e7, Unit::Ns).with_constraint(Constraint::at_most(8e7)),
        ];
        let html = headline(&[Prepared::new("a", &run)]);
        assert!(html.contains("<b class=\"ok\">1.5 s</b><span class=\"bar\"><span class=\"fill-ok\" style=\"width:50%\">"));
        assert!(html.contains("<b class=\"bad\">90 ms</b><span class=\"bar\"><span class=\"fill-bad\" style=\"width:100%\">"));
    }

    #[test]
    fn settings_that_differ_come_first_and_are_marked() {
        let (a, b) = (sample::server_run(10, 1), sample::server_run(10, 2));
        let prepared = [Prepared::new("a", &a), Prepared::new("b", &b)];
        let html = settings(&prepared);
        assert!(html.contains("1 setting(s) differ"));
        let first_row = html.split("<tbody>").nth(1).unwrap_or_default();
        assert!(
            first_row.starts_with("<tr class=\"diff\"><td><code>target_qps</code>"),
            "{first_row}"
        );
    }

    #[test]
    fn the_second_run_shows_its_change_against_the_first() {
        let (a, b) = (sample::server_run(10, 1), sample::server_run(10, 1));
        let prepared = [Prepared::new("a", &a), Prepared::new("b", &b)];
        assert!(metrics(&prepared).contains("<em>+0%</em>"));
    }
}
