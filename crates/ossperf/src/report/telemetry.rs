//! What a run saw beside the servers' own metrics: the warm-up before it (`--warmup`) and the
//! Prometheus pages it scraped (`--telemetry`: DCGM or node exporters), with the energy the
//! GPUs drew when a page gave their power.

use serde::{Deserialize, Serialize};

use super::MetricPoint;

/// The power metric energy is integrated from: the DCGM exporter's `DCGM_FI_DEV_POWER_USAGE`,
/// a gauge "Power draw (in W)" per GPU (NVIDIA/dcgm-exporter `etc/default-counters.csv`
/// @00d6d344).
pub const POWER_METRIC: &str = "DCGM_FI_DEV_POWER_USAGE";

/// The requests sent before the timed run (`--warmup`): not timed, not logged to LoadGen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Warmup {
    /// Requests sent: dataset rows 0, 1, ... in order, wrapping past the last.
    pub requests: u64,
    /// Requests that completed.
    pub completed: u64,
    /// Requests that failed.
    pub failed: u64,
    /// Output tokens of the completed ones.
    pub output_tokens: u64,
    /// From the first request sent to the last answer, in nanoseconds.
    pub duration_ns: u64,
    /// The first failure's reason, if one failed.
    pub first_failure: Option<String>,
}

/// The `--telemetry` pages and what they gave.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Telemetry {
    /// The pages, in command-line order; [`TelemetrySeries::source`] indexes this list.
    pub sources: Vec<TelemetrySource>,
    /// Each known metric of each page over time, in source then name order.
    pub series: Vec<TelemetrySeries>,
    /// The GPUs' energy over the run, when a page gave [`POWER_METRIC`] at least twice.
    pub energy: Option<Energy>,
}

/// One `--telemetry` page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySource {
    /// The URL scraped.
    pub url: String,
    /// Scrapes that gave at least one known metric.
    pub scrapes: u64,
    /// Scrapes that failed or gave no known metric.
    pub failed_scrapes: u64,
    /// Why, for the first failed scrape (also shown as a warning).
    pub warning: Option<String>,
}

/// One metric of one page over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TelemetrySeries {
    /// The Prometheus metric name (`DCGM_FI_DEV_POWER_USAGE`).
    pub name: String,
    /// Index into [`Telemetry::sources`].
    pub source: u32,
    /// The unit, as the exporter documents it (`W`, `%`, `MiB`).
    pub unit: String,
    /// How a page's label sets (one per GPU) were combined: `sum` or `mean`.
    pub combined: String,
    /// The most label sets one sample combined (the GPUs a DCGM exporter reported).
    pub label_sets: u32,
    /// The samples, in time order (ns since just before LoadGen started).
    pub points: Vec<MetricPoint>,
}

/// Energy from telemetry: the power series integrated over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Energy {
    /// Where it comes from: always `telemetry` (nothing here is measured by ossperf).
    pub from: String,
    /// The metric integrated ([`POWER_METRIC`]), summed over GPUs and pages.
    pub metric: String,
    /// Joules: each page's power integrated by the trapezoid rule between its samples, summed.
    pub joules: f64,
    /// The longest span one page's samples covered, in nanoseconds.
    pub span_ns: u64,
    /// `joules` over `span_ns`.
    pub mean_watts: f64,
    /// Output tokens of the timed run's completed requests.
    pub output_tokens: u64,
    /// `output_tokens / joules`.
    pub output_tokens_per_joule: f64,
}

impl Energy {
    /// The energy of every [`POWER_METRIC`] series with two samples or more, for
    /// `output_tokens`; `None` without one, or when it integrates to nothing.
    pub fn from_series(series: &[TelemetrySeries], output_tokens: u64) -> Option<Energy> {
        let mut joules = 0.0;
        let mut span_ns = 0;
        let mut found = false;
        for s in series.iter().filter(|s| s.name == POWER_METRIC) {
            let (Some(first), Some(last)) = (s.points.first(), s.points.last()) else {
                continue;
            };
            if s.points.len() < 2 {
                continue;
            }
            found = true;
            span_ns = span_ns.max(last.t_ns - first.t_ns);
            joules += s
                .points
                .windows(2)
                .map(|w| (w[0].value + w[1].value) / 2.0 * (w[1].t_ns - w[0].t_ns) as f64 / 1e9)
                .sum::<f64>();
        }
        (found && joules > 0.0 && span_ns > 0).then(|| Energy {
            from: "telemetry".to_string(),
            metric: POWER_METRIC.to_string(),
            joules,
            span_ns,
            mean_watts: joules / (span_ns as f64 / 1e9),
            output_tokens,
            output_tokens_per_joule: output_tokens as f64 / joules,
        })
    }

    /// The summary's line: `energy (from telemetry, DCGM_FI_DEV_POWER_USAGE): ...`.
    pub fn line(&self) -> String {
        format!(
            "energy (from telemetry, {}): {:.1} J over {:.3} s, mean {:.1} W; {:.4} output tokens per joule",
            self.metric,
            self.joules,
            self.span_ns as f64 / 1e9,
            self.mean_watts,
            self.output_tokens_per_joule
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(name: &str, points: &[(u64, f64)]) -> TelemetrySeries {
        TelemetrySeries {
            name: name.into(),
            source: 0,
            unit: "W".into(),
            combined: "sum".into(),
            label_sets: 2,
            points: points
                .iter()
                .map(|&(t_ns, value)| MetricPoint { t_ns, value })
                .collect(),
        }
    }

    #[test]
    fn power_is_integrated_by_trapezoids_and_summed_over_pages() {
        let mut a = series(
            POWER_METRIC,
            &[(0, 100.0), (1_000_000_000, 300.0), (3_000_000_000, 300.0)],
        );
        let b = series(POWER_METRIC, &[(500_000_000, 50.0), (1_500_000_000, 50.0)]);
        let util = series("DCGM_FI_DEV_GPU_UTIL", &[(0, 90.0), (3_000_000_000, 90.0)]);
        let energy = Energy::from_series(&[a.clone(), b, util], 1_500).unwrap();
        // 200 J + 600 J on the first page, 50 J on the second.
        assert_eq!(energy.joules, 850.0);
        assert_eq!(energy.span_ns, 3_000_000_000);
        assert_eq!(energy.output_tokens_per_joule, 1_500.0 / 850.0);
        assert_eq!(energy.from, "telemetry");
        a.points.truncate(1);
        assert_eq!(Energy::from_series(&[a], 1_500), None);
    }
}
