//! MLPerf Inference LoadGen in Rust.
//!
//! Owns the test settings and conf parsing, the QSL and SUT interfaces, query generation with
//! the exact random choices of the official C++ LoadGen 6.0.17, the issue loop and clock, the
//! results, validity rules, early stopping and the four `mlperf_log_*` files.
//!
//! Must not know about HTTP, tokens' meaning or gpt-oss: a SUT gets sample indices and answers
//! with opaque bytes and a token count.
//!
//! Settings and generation are plain functions, shared by a run and `ossperf plan`: resolve
//! the conf files like the reference harness ([`reference_settings`]), derive the effective
//! settings ([`EffectiveSettings::derive`]), then the loadable sets ([`loadable_sets`]) and
//! each set's queries with their schedule ([`generate_queries`]). Random choices are those of
//! the official 6.0.17 build ([`rng`]).
//!
//! ```
//! use ossperf_loadgen::{
//!     generate_queries, loadable_sets, reference_settings, ConfFile, EffectiveSettings, Phase,
//!     Scenario, TestMode,
//! };
//! let mlperf = ConfFile::builtin_mlperf()?;
//! let user = ConfFile::parse("user.conf", "gpt-oss-120b.Server.target_qps = 10\n")?;
//! let mode = TestMode::PerformanceOnly;
//! let l = reference_settings("gpt-oss-120b", Scenario::Server, mode, &mlperf, Some(&user), None)?;
//! let settings = EffectiveSettings::derive(&l.settings, 6396, 6396);
//! let sets = loadable_sets(&settings, 6396, Phase::Performance);
//! assert_eq!(&sets[0].samples[..3], &[5402, 3543, 5762]);
//! let generated = generate_queries(&settings, &sets[0], Phase::Performance)?;
//! assert_eq!(generated.queries[0].sample_indices, [1987]);
//! assert_eq!(generated.query_count(), 6396);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Running a test
//!
//! [`run_test`] is LoadGen's `StartTest`: it creates the four logs (before anything runs),
//! issues the queries to a [`SystemUnderTest`] and returns a [`TestReport`] (plain data:
//! verdict and reasons, every summary metric, token metrics, early stopping, one
//! [`SampleRecord`] per issued sample, the effective settings, the log paths).
//!
//! The SUT answers through the [`Responder`] it is given, from any thread and without a
//! global lock: `complete(id, data, n_tokens)` and `first_token(id, data, n_tokens)` take the
//! time at entry like LoadGen; `complete_at` / `first_token_at` take the time the bytes
//! arrived (docs/LOADGEN.md §14); `fail(id, reason)` ends a sample with an error: it counts as
//! completed, goes to the accuracy log with empty data, stays out of the latency statistics
//! and makes the result INVALID with the number of failed samples and their first reasons.
//! [`RunControl::abort`] stops issuing (Ctrl-C); the run then waits for the issued samples
//! (the SUT fails what it cancels) and still writes complete, valid logs. An audit.config is
//! applied by the caller when resolving the settings ([`reference_settings`]) and declared
//! with [`RunControl::with_audit_config`] so the detail log carries LoadGen's warning.
//!
//! In Server, `server_num_issue_query_threads` = N > 0 makes `issue_query` come from N
//! threads LoadGen starts, thread t taking queries t, t + N, … (the SUT must not assume one
//! issuing thread). `print_timestamps` prints LoadGen's `Loadgen :: …` lines to stdout.
//!
//! ```
//! use ossperf_loadgen::{
//!     run_test, LogSettings, QuerySample, QuerySampleLibrary, Responder, RunControl, Scenario,
//!     SystemUnderTest, TestMode, TestSettings,
//! };
//! struct Echo;
//! impl SystemUnderTest for Echo {
//!     fn name(&self) -> String { "Echo".into() }
//!     fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
//!         for s in samples {
//!             responder.complete(s.id, &(s.index as u32).to_le_bytes(), 2);
//!         }
//!     }
//!     fn flush_queries(&self) {}
//! }
//! struct Library;
//! impl QuerySampleLibrary for Library {
//!     fn name(&self) -> String { "Library".into() }
//!     fn total_sample_count(&self) -> usize { 64 }
//!     fn performance_sample_count(&self) -> usize { 64 }
//!     fn load_samples_to_ram(&self, _: &[usize]) {}
//!     fn unload_samples_from_ram(&self, _: &[usize]) {}
//! }
//! let dir = tempfile::tempdir()?;
//! let mut log = LogSettings::default();
//! log.log_output.outdir = dir.path().to_path_buf();
//! let mut settings = TestSettings::new(Scenario::Offline, TestMode::PerformanceOnly);
//! settings.min_duration_ms = 0;
//! let report = run_test(&Echo, &Library, &settings, &log, &RunControl::new())?;
//! assert!(report.valid);
//! assert_eq!(report.samples.len(), 100); // min_query_count samples in one Offline query
//! assert!(report.summary.contains("Result is : VALID"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

#![warn(missing_docs)]
#![warn(unreachable_pub)]

pub mod sut;

pub use sut::{QuerySample, QuerySampleIndex, QuerySampleLibrary, ResponseId, SystemUnderTest};
pub mod responder;

pub use responder::{Responder, ResponseSink};

pub(crate) mod clock;
pub mod early_stopping;
mod issue;
pub mod logs;
pub mod report;
pub mod results;
pub mod run;
pub mod stats;
mod sys;

pub use report::{SampleRecord, TestReport};
pub use results::PerformanceResult;
pub use run::{run_test, RunControl, RunError, NO_OUTPUT_TOKENS};
pub mod config;
pub mod effective;
pub(crate) mod find_peak;
pub mod generate;
pub mod rng;
pub mod settings;

pub use config::{
    reference_settings, reference_settings_with_builtin, ConfError, ConfFile, ConfLoader, ConfType,
    LoadedSettings,
};
pub use effective::{EffectiveSettings, SettingValue, SettingsIssue};
pub use generate::{
    generate_queries, loadable_sets, AccuracyLogSampler, GenerateError, GeneratedQueries,
    GeneratedQuery, LoadableSet, Phase,
};
pub use rng::{IntAlgorithm, Mt19937};
pub use settings::{LogOutputSettings, LogSettings, Scenario, TestMode, TestSettings};
