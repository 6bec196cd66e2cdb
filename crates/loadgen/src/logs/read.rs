//! Reading a detail log back: the `:::MLLOG` lines of any LoadGen (this crate's or the official
//! C++ library's) as keys and JSON values, and a performance result rebuilt from its
//! `result_*` keys, so a run driven by the official library is reported with its own figures.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::early_stopping::EarlyStopping;
use crate::logs::format::percentile_label;
use crate::results::{Metrics, PerformanceResult, RawTimes};
use crate::settings::Scenario;
use crate::stats::{LatencyStats, PERCENTILES};

/// A detail log that cannot be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The file cannot be read.
    #[error("cannot read `{}`: {cause}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        cause: std::io::Error,
    },
    /// A `:::MLLOG` line is not JSON with a string `key`.
    #[error("`{}` line {line}: not an MLLOG entry (JSON with a `key` and a `value`)", path.display())]
    Line {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
    },
}

/// The entries of a detail log, in order.
#[derive(Debug, Clone, Default)]
pub struct DetailLog {
    entries: Vec<(String, Value)>,
    /// Entries LoadGen marked `is_warning`.
    pub warnings: u64,
    /// Entries LoadGen marked `is_error`.
    pub errors: u64,
}

impl DetailLog {
    /// Reads `mlperf_log_detail.txt` (or any file of `:::MLLOG` lines; other lines are skipped).
    pub fn read(path: &Path) -> Result<Self, ReadError> {
        let text = std::fs::read_to_string(path).map_err(|cause| ReadError::Io {
            path: path.to_owned(),
            cause,
        })?;
        Self::parse(&text).map_err(|line| ReadError::Line {
            path: path.to_owned(),
            line,
        })
    }

    /// Parses the text of a detail log; the error is the 1-based number of a bad line.
    pub fn parse(text: &str) -> Result<Self, usize> {
        let mut log = Self::default();
        for (i, line) in text.lines().enumerate() {
            let Some(json) = line.strip_prefix(":::MLLOG ") else {
                continue;
            };
            let mut v: Value = serde_json::from_str(json).map_err(|_| i + 1)?;
            let key = v["key"].as_str().ok_or(i + 1)?.to_string();
            let flag = |name: &str| u64::from(v["metadata"][name].as_bool().unwrap_or(false));
            log.warnings += flag("is_warning");
            log.errors += flag("is_error");
            log.entries.push((key, v["value"].take()));
        }
        Ok(log)
    }

    /// The last value logged under `key`.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.entries
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }

    /// Every value logged under `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.entries
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v)
    }

    fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_i64)
    }

    fn float(&self, key: &str) -> Option<f64> {
        self.get(key).and_then(Value::as_f64)
    }

    fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.get(key).and_then(Value::as_str)
    }

    /// The performance result the log records (`None` for an accuracy run, which logs no
    /// `result_validity`). `sample_count` and `token_count` are not logged by LoadGen and come
    /// from the caller; the raw times are left at zero. Figures carry the log's precision (six
    /// significant digits) and early-stopping texts its spaces for newlines.
    pub fn performance(
        &self,
        scenario: Scenario,
        token_mode: bool,
        sample_count: u64,
        token_count: Option<i64>,
    ) -> Option<PerformanceResult> {
        let valid = self.text("result_validity")? == "VALID";
        let target = self
            .float("effective_target_latency_percentile")
            .unwrap_or(0.99);
        let stats = |plain: &str, pct: &str| {
            let min = self.int(&plain.replace("{}", "min"))?;
            let percentiles = PERCENTILES.map(|p| {
                let key = pct.replace("{}", &percentile_label(p, 2));
                (p, self.int(&key).unwrap_or(0))
            });
            let at_target = percentiles
                .iter()
                .find(|(p, _)| (p - target).abs() < 1e-9)
                .map_or(0, |&(_, v)| v);
            Some(LatencyStats {
                count: sample_count as usize,
                min,
                max: self.int(&plain.replace("{}", "max")).unwrap_or(0),
                mean: self.int(&plain.replace("{}", "mean")).unwrap_or(0),
                percentiles,
                target: (target, at_target),
            })
        };
        let token_stats = token_mode && scenario != Scenario::Offline;
        // LoadGen logs an empty TTFT text when TPOT failed first (it never evaluated TTFT); the
        // detail log's texts have their newlines replaced by spaces.
        let early = |key: &str| {
            let met = self.flag("early_stopping_met").unwrap_or(false);
            let text = self.text(key).filter(|t| met || !t.is_empty())?;
            Some(EarlyStopping {
                met,
                text: text.to_string(),
                latency_ss: self.int("early_stopping_latency_ss"),
                latency_ms: self.int("early_stopping_latency_ms"),
            })
        };
        const EXITED_EARLY: &str = "The test exited early, before enough queries were issued.";
        let reason = self
            .text("result_invalid_reason")
            .map(|r| r.replace(EXITED_EARLY, "").trim_end().to_string())
            .filter(|r| !r.is_empty());
        Some(PerformanceResult {
            valid,
            perf_constraints_met: self.flag("result_perf_constraints_met"),
            min_duration_met: self.flag("result_min_duration_met").unwrap_or(false),
            min_queries_met: self.flag("result_min_queries_met").unwrap_or(false),
            early_stopping_met: self.flag("early_stopping_met").unwrap_or(false),
            perf_recommendation: reason,
            min_duration_recommendation: None,
            early_stopping: if token_mode {
                None
            } else {
                early("early_stopping_result")
            },
            ttft_early_stopping: token_mode
                .then(|| early("early_stopping_ttft_result"))
                .flatten(),
            tpot_early_stopping: token_mode
                .then(|| early("early_stopping_tpot_result"))
                .flatten(),
            extra_reasons: Vec::new(),
            query_count: self.int("result_query_count").unwrap_or(0) as u64,
            sample_count,
            overlatency_count: self.int("result_overlatency_query_count").map(|n| n as u64),
            latency: stats("result_{}_latency_ns", "result_{}_percentile_latency_ns"),
            query_latency: (scenario == Scenario::MultiStream)
                .then(|| {
                    stats(
                        "result_{}_query_latency_ns",
                        "result_{}_percentile_per_query_latency_ns",
                    )
                })
                .flatten(),
            ttft: token_stats
                .then(|| {
                    stats(
                        "result_first_token_{}_latency_ns",
                        "result_first_token_{}_percentile_latency_ns",
                    )
                })
                .flatten(),
            tpot: token_stats
                .then(|| {
                    stats(
                        "result_time_to_output_token_{}",
                        "result_time_per_output_token_{}_percentile_ns",
                    )
                })
                .flatten(),
            token_count: token_mode.then_some(token_count).flatten(),
            metrics: Metrics {
                samples_per_second: self.float("result_samples_per_second"),
                scheduled_samples_per_sec: self.float("result_scheduled_samples_per_sec"),
                completed_samples_per_sec: self.float("result_completed_samples_per_sec"),
                qps_with_loadgen_overhead: self.float("result_qps_with_loadgen_overhead"),
                qps_without_loadgen_overhead: self.float("result_qps_without_loadgen_overhead"),
                tokens_per_second: self.float("result_tokens_per_second"),
                completed_tokens_per_second: self.float("result_completed_tokens_per_second"),
                token_throughput_with_loadgen_overhead: self
                    .float("result_token_throughput_with_loadgen_overhead"),
                token_throughput: self.float("result_token_throughput"),
                inferred_tokens_per_second: self.float("result_inferred_tokens_per_second"),
                inferred_completed_tokens_per_second: self
                    .float("result_inferred_completed_tokens_per_second"),
            },
            raw_times: RawTimes::default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{
        run_test, LogSettings, QuerySample, QuerySampleLibrary, Responder, RunControl,
        SystemUnderTest, TestMode, TestSettings,
    };

    struct Echo;
    impl SystemUnderTest for Echo {
        fn name(&self) -> String {
            "Echo".into()
        }
        fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
            for s in samples {
                responder.first_token(s.id, b"t", 1);
                responder.complete(s.id, b"xy", 2 + (s.index % 5) as i64);
            }
        }
        fn flush_queries(&self) {}
    }
    struct Library;
    impl QuerySampleLibrary for Library {
        fn name(&self) -> String {
            "Library".into()
        }
        fn total_sample_count(&self) -> usize {
            64
        }
        fn performance_sample_count(&self) -> usize {
            64
        }
        fn load_samples_to_ram(&self, _: &[usize]) {}
        fn unload_samples_from_ram(&self, _: &[usize]) {}
    }

    /// What a detail log records of a result equals the result it was written from.
    fn round_trip(scenario: Scenario, token_mode: bool) {
        let dir = tempfile::tempdir().unwrap();
        let mut log = LogSettings::default();
        log.log_output.outdir = dir.path().to_path_buf();
        let mut settings = TestSettings::new(scenario, TestMode::PerformanceOnly);
        settings.min_duration_ms = 0;
        settings.min_query_count = 50;
        settings.server_target_qps = 5000.0;
        settings.use_token_latencies = token_mode;
        let report = run_test(&Echo, &Library, &settings, &log, &RunControl::new()).unwrap();
        let ours = report.performance.unwrap();
        let read = DetailLog::read(&report.logs.detail).unwrap();
        let back = read
            .performance(scenario, token_mode, ours.sample_count, ours.token_count)
            .unwrap();
        // What the log cannot carry: counts, raw times, digits past six, newlines.
        let six = |x: Option<f64>| x.map(|x| format!("{x:.5e}"));
        let flat = |e: &Option<EarlyStopping>| {
            e.clone().map(|e| EarlyStopping {
                text: e.text.replace('\n', " "),
                ..e
            })
        };
        let comparable = |p: &PerformanceResult| {
            let m = p.metrics;
            let metrics = [
                m.samples_per_second,
                m.scheduled_samples_per_sec,
                m.completed_samples_per_sec,
                m.tokens_per_second,
                m.completed_tokens_per_second,
                m.token_throughput_with_loadgen_overhead,
                m.token_throughput,
            ]
            .map(six);
            let p = PerformanceResult {
                raw_times: RawTimes::default(),
                latency: p.latency.clone().map(|l| LatencyStats { count: 0, ..l }),
                ttft: p.ttft.clone().map(|l| LatencyStats { count: 0, ..l }),
                tpot: p.tpot.clone().map(|l| LatencyStats { count: 0, ..l }),
                ttft_early_stopping: flat(&p.ttft_early_stopping),
                tpot_early_stopping: flat(&p.tpot_early_stopping),
                early_stopping: flat(&p.early_stopping),
                metrics: Metrics::default(),
                ..p.clone()
            };
            (format!("{p:?}"), metrics)
        };
        assert_eq!(comparable(&back), comparable(&ours));
        assert_eq!(back.invalid_reason(), ours.invalid_reason());
    }

    #[test]
    fn a_server_result_in_token_mode_reads_back_from_its_detail_log() {
        round_trip(Scenario::Server, true);
    }

    #[test]
    fn an_offline_result_reads_back_from_its_detail_log() {
        round_trip(Scenario::Offline, true);
        round_trip(Scenario::Offline, false);
    }

    #[test]
    fn a_bad_mllog_line_is_named_by_its_number() {
        assert_eq!(
            DetailLog::parse("x\n:::MLLOG {\"key\": 1}\n").unwrap_err(),
            2
        );
        let log = DetailLog::parse(":::MLLOG {\"key\": \"a\", \"value\": 1}\n").unwrap();
        assert_eq!(log.get("a"), Some(&Value::from(1)));
    }
}
