//! `ossperf serve`: launch SGLang or vLLM with the MLPerf reference's arguments, check what
//! would make the launch fail before it starts, wait until the server is healthy, and stay in
//! front of it for signals. Also the small HTTP GET the run's metrics scraper shares.

pub mod command;
pub mod http;
pub mod launch;

pub use command::{Engine, LaunchSpec, Speculative};
