//! End-to-end scoring of crafted logs: the bundled sample, and the benchmark figures
//! (`#[ignore]`d; run with `cargo test --release -p ossperf-eval --test e2e -- --ignored --nocapture`).

// Helpers of a test binary may panic and print like the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

mod bench;
mod common;
mod reference_diff;
mod sample;
