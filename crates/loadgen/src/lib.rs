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
