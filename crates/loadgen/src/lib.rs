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

pub mod sut;

pub use sut::{QuerySample, QuerySampleIndex, QuerySampleLibrary, ResponseId, SystemUnderTest};
pub mod responder;

pub use responder::Responder;

pub mod clock;
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
pub use run::{run_test, RunControl, RunError};
pub mod config;
pub mod effective;
pub mod find_peak;
pub mod generate;
pub mod rng;
pub mod settings;

pub use config::{reference_settings, ConfError, ConfFile, ConfLoader, ConfType, LoadedSettings};
pub use effective::{EffectiveSettings, SettingValue, SettingsIssue};
pub use generate::{
    generate_queries, loadable_sets, AccuracyLogSampler, GenerateError, GeneratedQueries,
    GeneratedQuery, LoadableSet, Phase,
};
pub use rng::{IntAlgorithm, Mt19937};
pub use settings::{LogOutputSettings, LogSettings, Scenario, TestMode, TestSettings};
