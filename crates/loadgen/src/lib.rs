//! MLPerf Inference LoadGen in Rust.
//!
//! Owns the test settings and conf parsing, the QSL and SUT interfaces, query generation with
//! the exact random choices of the official C++ LoadGen 6.0.17, the issue loop and clock, the
//! results, validity rules, early stopping and the four `mlperf_log_*` files.
//!
//! Must not know about HTTP, tokens' meaning or gpt-oss: a SUT gets sample indices and answers
//! with opaque bytes and a token count.

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
