//! Results people can look at: the result model, `results.json`, the HTML report and the
//! terminal's latency gauge.
//!
//! Three layers (STYLE.md "Exporters"): [`model`] is plain data with units, filled by
//! `ossperf run` from LoadGen's report and the client; [`json`] is its versioned wire form;
//! [`html`] (with [`charts`], [`svg`], [`tables`]) and [`gauge`] render it. The report
//! reduces every run to compact series in Rust, so the page stays small and opens at once.
//!
//! ```no_run
//! # fn main() -> anyhow::Result<()> {
//! use std::path::Path;
//! use ossperf::report;
//! let dir = Path::new("results/run-1");
//! let results = report::sample::server_run(1_000, 1);
//! report::write_results(dir, &results)?;
//! let html = report::write_report(dir, &report::load_results(dir)?)?;
//! # let _ = html; Ok(()) }
//! ```

pub mod answers;
pub mod charts;
pub mod command;
pub mod fmt;
pub mod gauge;
pub mod html;
pub mod json;
pub mod model;
pub mod provenance;
pub mod sample;
#[cfg(test)]
mod schema_check;
pub mod stats;
pub mod svg;
pub mod sweep;
pub mod tables;
pub mod telemetry;

pub use answers::{AnswerRecord, AnswerSummary, BeyondLoadgen, FinishCount, Spread};
pub use gauge::latency_gauge;
pub use html::{render_report, run_label, write_report, write_report_to, REPORT_FILE};
pub use json::{load_results, parse_results, write_json, write_results, RESULTS_FILE};
pub use model::*;
pub use provenance::*;
pub use telemetry::*;
