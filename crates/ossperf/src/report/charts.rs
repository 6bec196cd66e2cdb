//! From runs to charts: which charts the report shows and the compact series behind them.
//!
//! Each run's records are reduced once into sorted arrays ([`Prepared`]); every chart is then
//! a few hundred points, whatever the number of requests. With several runs every chart gets
//! one series per run (one colour each), on shared bins and buckets so they overlay honestly.
//! A chart without data is left out with a note saying why, so a chart that is shown has data.

use std::collections::BTreeMap;

use super::model::{RequestRecord, RunResults, Unit};
use super::stats::{cdf_points, histogram, histogram_outline, percentile, Buckets};
use super::svg::{Axis, Chart, Marker, Series};

const CDF_POINTS: usize = 200;
const BINS: usize = 40;
const TIME_BUCKETS: usize = 150;

/// One run reduced to sorted arrays.
pub struct Prepared<'a> {
    /// The run's label in legends and tables.
    pub label: &'a str,
    /// The run itself.
    pub run: &'a RunResults,
    /// TTFT, TPOT, latency, issue lateness, input and output tokens, each sorted.
    pub ttft: Vec<u64>,
    /// See `ttft`.
    pub tpot: Vec<u64>,
    /// See `ttft`.
    pub latency: Vec<u64>,
    /// See `ttft`.
    pub lateness: Vec<u64>,
    /// The time to the first answer token (final channel), sorted.
    pub first_answer: Vec<u64>,
    /// See `ttft`.
    pub input: Vec<u64>,
    /// See `ttft`.
    pub output: Vec<u64>,
    /// The same three latency arrays per sub-dataset.
    pub datasets: BTreeMap<&'a str, [Vec<u64>; 3]>,
}

fn sorted(records: &[RequestRecord], f: impl Fn(&RequestRecord) -> Option<u64>) -> Vec<u64> {
    let mut values: Vec<u64> = records.iter().filter_map(f).collect();
    values.sort_unstable();
    values
}

impl<'a> Prepared<'a> {
    /// Reduces `run`'s records.
    pub fn new(label: &'a str, run: &'a RunResults) -> Prepared<'a> {
        let r = &run.requests;
        // As in LoadGen, an Offline run has no TTFT or TPOT, even if the client streamed.
        let tokens = run.scenario != "Offline";
        let ttft = |x: &RequestRecord| x.ttft_ns().filter(|_| tokens);
        let tpot = |x: &RequestRecord| x.tpot_ns().filter(|_| tokens);
        let mut datasets: BTreeMap<&str, [Vec<u64>; 3]> = BTreeMap::new();
        for record in r {
            let entry = datasets.entry(record.dataset.as_str()).or_default();
            entry[0].extend(ttft(record));
            entry[1].extend(tpot(record));
            entry[2].push(record.latency_ns());
        }
        for arrays in datasets.values_mut() {
            arrays.iter_mut().for_each(|a| a.sort_unstable());
        }
        Prepared {
            label,
            run,
            ttft: sorted(r, ttft),
            tpot: sorted(r, tpot),
            latency: sorted(r, |x| Some(x.latency_ns())),
            lateness: sorted(r, |x| Some(x.lateness_ns())),
            first_answer: sorted(r, RequestRecord::time_to_first_answer_ns),
            input: sorted(r, |x| Some(u64::from(x.input_tokens))),
            output: sorted(r, |x| Some(u64::from(x.output_tokens))),
            datasets,
        }
    }
}

/// A titled group of charts, with notes for the charts left out.
pub struct Section {
    /// The heading.
    pub title: &'static str,
    /// The charts, each with data.
    pub charts: Vec<Chart>,
    /// Why some chart is absent (`No first tokens: Offline runs report no TTFT`).
    pub notes: Vec<String>,
}

/// The limit of the first constrained metric whose name starts with `prefix` (`ttft`).
fn limit(runs: &[Prepared], prefix: &str, name: &str) -> Vec<Marker> {
    let found = runs.iter().flat_map(|p| &p.run.metrics).find_map(|m| {
        let c = m.constraint?;
        (m.name.starts_with(prefix) && m.unit == Unit::Ns).then_some(c.limit)
    });
    found
        .map(|x| Marker {
            x,
            label: format!("{name} limit {}", super::fmt::duration(x)),
        })
        .into_iter()
        .collect()
}

/// A CDF and a histogram of one quantity, one series per entry of `sets`.
fn distribution(
    what: &str,
    axis: Axis,
    sets: &[(String, usize, &[u64])],
    markers: Vec<Marker>,
) -> [Chart; 2] {
    let cdf = sets
        .iter()
        .map(|(label, style, values)| Series {
            label: label.clone(),
            style: *style,
            points: cdf_points(values, CDF_POINTS),
            fill: false,
        })
        .collect();
    // Shared bins up to the largest p99.9, so a few timeouts do not squash the picture.
    let lo = sets
        .iter()
        .filter_map(|s| s.2.first())
        .min()
        .copied()
        .unwrap_or(0);
    let hi = sets
        .iter()
        .filter_map(|s| percentile(s.2, 0.999))
        .max()
        .unwrap_or(1);
    let fill = sets.len() == 1;
    let hist = sets
        .iter()
        .map(|(label, style, values)| Series {
            label: label.clone(),
            style: *style,
            points: histogram_outline(&histogram(values, lo as f64, hi as f64, BINS)),
            fill,
        })
        .collect();
    let unit = match axis {
        Axis::DurationNs => "",
        _ => " (tokens)",
    };
    [
        Chart {
            title: format!("{what}: CDF"),
            x: (axis, format!("{what}{unit}")),
            y: (Axis::Fraction, "requests at or below".into()),
            series: cdf,
            markers: markers.clone(),
        },
        Chart {
            title: format!("{what}: histogram (to p99.9, the rest in the last bin)"),
            x: (axis, format!("{what}{unit}")),
            y: (Axis::Number, "requests".into()),
            series: hist,
            markers,
        },
    ]
}

/// A getter of one sorted array of a prepared run.
type Getter = for<'p, 'q> fn(&'p Prepared<'q>) -> &'p [u64];

/// Labelled, styled arrays: one series each.
type Sets<'p> = Vec<(String, usize, &'p [u64])>;

fn per_run<'p>(runs: &'p [Prepared], f: Getter) -> Sets<'p> {
    runs.iter()
        .enumerate()
        .filter(|(_, p)| !f(p).is_empty())
        .map(|(i, p)| (p.label.to_string(), i, f(p)))
        .collect()
}

/// TTFT, TPOT and latency distributions, with the limits marked.
pub fn latency_section(runs: &[Prepared]) -> Section {
    let mut charts = Vec::new();
    let mut notes = Vec::new();
    let quantities: [(&str, &str, Getter); 4] = [
        ("TTFT", "ttft", |p| &p.ttft),
        ("TPOT", "tpot", |p| &p.tpot),
        ("Latency", "latency", |p| &p.latency),
        // No metric has this prefix, so it gets no limit line: MLPerf sets none.
        ("Time to first answer", "time_to_first_answer", |p| {
            &p.first_answer
        }),
    ];
    for (name, prefix, get) in quantities {
        let sets = per_run(runs, get);
        if sets.is_empty() {
            notes.push(if prefix == "time_to_first_answer" {
                "No time to first answer: no answer's channels reached the final channel, or the \
                 server sent none to follow (see Answers)"
                    .to_string()
            } else {
                format!(
                    "No {name} data: LoadGen measures none in Offline, and failed requests have none"
                )
            });
            continue;
        }
        charts.extend(distribution(
            name,
            Axis::DurationNs,
            &sets,
            limit(runs, prefix, name),
        ));
    }
    Section {
        title: "Latency distributions",
        charts,
        notes,
    }
}

/// TTFT, TPOT and latency CDFs per sub-dataset: one chart per quantity with a series per
/// dataset for one run; one chart per quantity and dataset with a series per run for several.
pub fn dataset_section(runs: &[Prepared]) -> Section {
    let names = ["TTFT", "TPOT", "Latency"];
    let prefixes = ["ttft", "tpot", "latency"];
    let mut datasets: Vec<&str> = runs
        .iter()
        .flat_map(|p| p.datasets.keys().copied())
        .collect();
    datasets.sort_unstable();
    datasets.dedup();
    let mut charts = Vec::new();
    for (q, name) in names.iter().enumerate() {
        let groups: Vec<(String, Sets)> = if runs.len() == 1 {
            let sets = datasets
                .iter()
                .enumerate()
                .filter_map(|(i, d)| {
                    let values = runs[0].datasets.get(d)?[q].as_slice();
                    (!values.is_empty()).then(|| (d.to_string(), i, values))
                })
                .collect();
            vec![(format!("{name} per sub-dataset"), sets)]
        } else {
            datasets
                .iter()
                .map(|d| {
                    let sets = runs
                        .iter()
                        .enumerate()
                        .filter_map(|(i, p)| {
                            let values = p.datasets.get(d)?[q].as_slice();
                            (!values.is_empty()).then(|| (p.label.to_string(), i, values))
                        })
                        .collect();
                    (format!("{name} on {d}"), sets)
                })
                .collect()
        };
        for (title, sets) in groups.into_iter().filter(|g| !g.1.is_empty()) {
            let [cdf, _] = distribution(
                name,
                Axis::DurationNs,
                &sets,
                limit(runs, prefixes[q], name),
            );
            charts.push(Chart { title, ..cdf });
        }
    }
    Section {
        title: "Per sub-dataset",
        charts,
        notes: Vec::new(),
    }
}

/// Throughput, concurrency and the queue of not-yet-issued queries over time, and issue
/// lateness.
pub fn time_section(runs: &[Prepared]) -> Section {
    let end = runs
        .iter()
        .flat_map(|p| p.run.requests.iter().map(|r| r.complete_ns))
        .max()
        .unwrap_or(0);
    let buckets = Buckets::covering(end, TIME_BUCKETS);
    let chart = |title: &str, y: &str, f: &dyn Fn(&RunResults) -> Vec<f64>| Chart {
        title: title.into(),
        x: (Axis::Seconds, "time since the test start".into()),
        y: (Axis::Number, y.into()),
        series: runs
            .iter()
            .enumerate()
            .filter(|(_, p)| !p.run.requests.is_empty())
            .map(|(i, p)| Series {
                label: p.label.to_string(),
                style: i,
                points: buckets.points(&f(p.run)),
                fill: runs.len() == 1,
            })
            .collect(),
        markers: Vec::new(),
    };
    let mut charts = vec![
        chart(
            "Output tokens per second (as they arrive)",
            "tokens/s",
            &|r| buckets.spread_rate(r.requests.iter().map(token_arrivals)),
        ),
        chart("Samples completed per second", "samples/s", &|r| {
            buckets.rate(r.requests.iter().map(|x| (x.complete_ns, 1.0)))
        }),
        chart(
            "Concurrency: requests in flight",
            "requests (time-averaged)",
            &|r| buckets.occupancy(r.requests.iter().map(|x| (x.issued_ns, x.complete_ns))),
        ),
        chart(
            "Queue: scheduled, not yet issued",
            "queries (time-averaged)",
            &|r| buckets.occupancy(r.requests.iter().map(|x| (x.scheduled_ns, x.issued_ns))),
        ),
    ];
    charts.retain(|c| c.points() > 0);
    let sets = per_run(runs, |p| &p.lateness);
    if !sets.is_empty() {
        charts.extend(distribution(
            "Issue lateness",
            Axis::DurationNs,
            &sets,
            Vec::new(),
        ));
    }
    Section {
        title: "Over time",
        charts,
        notes: Vec::new(),
    }
}

/// When a request's tokens arrived, as `(from, to, tokens)`: a streamed answer's over the
/// time between its first token and its end (counted at completion, a busy run's rate swung
/// between 0 and the whole batch); an answer that came in one piece, all at its end.
fn token_arrivals(r: &RequestRecord) -> (u64, u64, f64) {
    let tokens = f64::from(r.output_tokens);
    match r.first_token_ns {
        Some(first) if first < r.complete_ns => (first, r.complete_ns, tokens),
        _ => (r.complete_ns, r.complete_ns, tokens),
    }
}

/// Input and output length distributions.
pub fn length_section(runs: &[Prepared]) -> Section {
    let mut charts = Vec::new();
    for (name, get) in [
        ("Input length", (|p| &p.input) as Getter),
        ("Output length", |p| &p.output),
    ] {
        let sets = per_run(runs, get);
        if !sets.is_empty() {
            let [_, hist] = distribution(name, Axis::Number, &sets, Vec::new());
            charts.push(hist);
        }
    }
    Section {
        title: "Input and output lengths",
        charts,
        notes: Vec::new(),
    }
}

/// One chart per scraped server metric, a series per run and endpoint.
pub fn server_section(runs: &[Prepared]) -> Section {
    let mut by_name: BTreeMap<&str, Vec<Series>> = BTreeMap::new();
    let mut style = 0;
    for p in runs {
        for series in p.run.server_metrics.iter().filter(|s| !s.points.is_empty()) {
            let url = p
                .run
                .endpoints
                .get(series.endpoint as usize)
                .map_or("?", |e| e.url.as_str());
            let label = if runs.len() == 1 {
                url.to_string()
            } else {
                format!("{} · {url}", p.label)
            };
            by_name.entry(&series.name).or_default().push(Series {
                label,
                style,
                points: series
                    .points
                    .iter()
                    .map(|pt| (pt.t_ns as f64 / 1e9, pt.value))
                    .collect(),
                fill: false,
            });
            style += 1;
        }
    }
    let charts = by_name
        .into_iter()
        .map(|(name, series)| Chart {
            title: name.to_string(),
            x: (Axis::Seconds, "time since the test start".into()),
            y: (Axis::Number, "value".into()),
            series,
            markers: Vec::new(),
        })
        .collect::<Vec<_>>();
    let notes = if charts.is_empty() {
        vec!["No server metrics were scraped during this run".to_string()]
    } else {
        Vec::new()
    };
    Section {
        title: "Server metrics",
        charts,
        notes,
    }
}

/// One chart per `--telemetry` metric, a series per run and page, on the same time axis as
/// the client's charts; the energy and any page that failed as notes. `None` when no run had
/// telemetry.
pub fn telemetry_section(runs: &[Prepared]) -> Option<Section> {
    if runs.iter().all(|p| p.run.telemetry.is_none()) {
        return None;
    }
    // Title → (the y axis' label, the series).
    let mut by_name: BTreeMap<String, (String, Vec<Series>)> = BTreeMap::new();
    let mut notes = Vec::new();
    let mut style = 0;
    for p in runs {
        let Some(telemetry) = &p.run.telemetry else {
            continue;
        };
        let prefix = if runs.len() == 1 {
            String::new()
        } else {
            format!("{}: ", p.label)
        };
        for series in telemetry.series.iter().filter(|s| !s.points.is_empty()) {
            let url = telemetry
                .sources
                .get(series.source as usize)
                .map_or("?", |s| s.url.as_str());
            let (title, axis) = if series.unit.is_empty() {
                (series.name.clone(), "value".to_string())
            } else {
                (
                    format!("{} ({})", series.name, series.unit),
                    series.unit.clone(),
                )
            };
            let entry = by_name.entry(title).or_insert_with(|| (axis, Vec::new()));
            entry.1.push(Series {
                label: format!(
                    "{prefix}{url} ({} of {} label sets)",
                    series.combined, series.label_sets
                ),
                style,
                points: series
                    .points
                    .iter()
                    .map(|pt| (pt.t_ns as f64 / 1e9, pt.value))
                    .collect(),
                fill: false,
            });
            style += 1;
        }
        if let Some(energy) = &telemetry.energy {
            notes.push(format!("{prefix}{}", energy.line()));
        }
        for source in telemetry.sources.iter() {
            if let Some(reason) = &source.warning {
                notes.push(format!(
                    "{prefix}telemetry `{}`: {reason} ({} of {} scrapes failed)",
                    source.url,
                    source.failed_scrapes,
                    source.scrapes + source.failed_scrapes
                ));
            }
        }
    }
    let charts = by_name
        .into_iter()
        .map(|(title, (axis, series))| Chart {
            title,
            x: (Axis::Seconds, "time since the test start".into()),
            y: (Axis::Number, axis),
            series,
            markers: Vec::new(),
        })
        .collect();
    Some(Section {
        title: "Telemetry (from --telemetry exporters, not measured by ossperf)",
        charts,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn telemetry_charts_each_metric_in_its_unit_with_the_energy_and_failed_pages_as_notes() {
        use crate::report::{MetricPoint, Telemetry, TelemetrySeries, TelemetrySource};
        let mut run = sample::server_run(100, 1);
        assert!(telemetry_section(&[Prepared::new("a", &run)]).is_none());
        let series = |name: &str, unit: &str, value: f64| TelemetrySeries {
            name: name.into(),
            source: 0,
            unit: unit.into(),
            combined: "sum".into(),
            label_sets: 8,
            points: (0..3)
                .map(|i| MetricPoint {
                    t_ns: i * 1_000_000_000,
                    value,
                })
                .collect(),
        };
        let power = series("DCGM_FI_DEV_POWER_USAGE", "W", 5_000.0);
        run.telemetry = Some(Telemetry {
            sources: vec![
                TelemetrySource {
                    url: "http://gpu:9400/metrics".into(),
                    scrapes: 3,
                    failed_scrapes: 0,
                    warning: None,
                },
                TelemetrySource {
                    url: "http://node:9100/metrics".into(),
                    scrapes: 0,
                    failed_scrapes: 3,
                    warning: Some("answered HTTP 404".into()),
                },
            ],
            energy: crate::report::Energy::from_series(std::slice::from_ref(&power), 20_000),
            series: vec![power, series("node_load1", "", 2.0)],
        });
        let section = telemetry_section(&[Prepared::new("a", &run)]).unwrap();
        let charts: Vec<(&str, &str, &str)> = section
            .charts
            .iter()
            .map(|c| (c.title.as_str(), c.y.1.as_str(), c.series[0].label.as_str()))
            .collect();
        assert_eq!(
            charts,
            vec![
                (
                    "DCGM_FI_DEV_POWER_USAGE (W)",
                    "W",
                    "http://gpu:9400/metrics (sum of 8 label sets)"
                ),
                (
                    "node_load1",
                    "value",
                    "http://gpu:9400/metrics (sum of 8 label sets)"
                ),
            ]
        );
        assert_eq!(
            section.notes,
            vec![
                "energy (from telemetry, DCGM_FI_DEV_POWER_USAGE): 10000.0 J over 2.000 s, mean 5000.0 W; 2.0000 output tokens per joule",
                "telemetry `http://node:9100/metrics`: answered HTTP 404 (3 of 3 scrapes failed)",
            ]
        );
    }

    #[test]
    fn every_chart_of_a_server_run_has_data_and_few_points() {
        let run = sample::server_run(5_000, 2);
        let prepared = [Prepared::new("a", &run)];
        let sections = [
            latency_section(&prepared),
            dataset_section(&prepared),
            time_section(&prepared),
            length_section(&prepared),
            server_section(&prepared),
        ];
        let counts: Vec<usize> = sections.iter().map(|s| s.charts.len()).collect();
        // Latency: a CDF and a histogram each of TTFT, TPOT, latency and time to first answer.
        assert_eq!(counts, vec![8, 3, 6, 2, 1]);
        for chart in sections.iter().flat_map(|s| &s.charts) {
            assert!(chart.points() > 0, "`{}` has no data", chart.title);
            assert!(
                chart.points() < 1_500,
                "`{}` has {} points",
                chart.title,
                chart.points()
            );
        }
    }

    #[test]
    fn several_runs_get_one_series_each_and_a_chart_per_dataset() {
        let (a, b) = (sample::server_run(300, 1), sample::server_run(300, 2));
        let prepared = [Prepared::new("a", &a), Prepared::new("b", &b)];
        let latency = latency_section(&prepared);
        assert!(latency.charts.iter().all(|c| c.series.len() == 2));
        assert_eq!(dataset_section(&prepared).charts.len(), 9);
        assert_eq!(server_section(&prepared).charts[0].series.len(), 4);
    }

    #[test]
    fn the_ttft_chart_marks_the_limit_from_the_constraint() {
        let run = sample::server_run(100, 1);
        let prepared = [Prepared::new("a", &run)];
        let markers = &latency_section(&prepared).charts[0].markers;
        assert_eq!(markers[0].x, 3e9);
        assert_eq!(markers[0].label, "TTFT limit 3 s");
    }

    #[test]
    fn an_offline_run_gets_notes_instead_of_ttft_and_tpot_charts() {
        let mut run = sample::server_run(100, 1);
        run.scenario = "Offline".into();
        let prepared = [Prepared::new("a", &run)];
        let section = latency_section(&prepared);
        // Latency, and the time to first answer (ossperf's own figure, in every scenario).
        assert_eq!(section.charts.len(), 4);
        assert_eq!(
            section.notes,
            vec![
                "No TTFT data: LoadGen measures none in Offline, and failed requests have none",
                "No TPOT data: LoadGen measures none in Offline, and failed requests have none"
            ]
        );
    }

    #[test]
    fn a_run_without_answer_times_gets_a_note_instead_of_their_chart() {
        let mut run = sample::server_run(100, 1);
        for r in &mut run.requests {
            r.answer = None;
        }
        let prepared = [Prepared::new("a", &run)];
        let section = latency_section(&prepared);
        assert_eq!(section.charts.len(), 6);
        assert_eq!(
            section.notes,
            vec![
                "No time to first answer: no answer's channels reached the final channel, or the \
                 server sent none to follow (see Answers)"
            ]
        );
    }
}
