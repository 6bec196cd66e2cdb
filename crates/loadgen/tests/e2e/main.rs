//! The integration tests of `ossperf-loadgen`, one binary with a module per feature: whole
//! runs through the public API, compared with golden logs and, where it is installed, with the
//! official LoadGen (`mlcommons-loadgen`).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stderr)]

mod find_peak_crosscheck;
mod golden_vectors;
mod issue_threads;
mod official_crosscheck;
mod print_timestamps;
mod run_scenarios;
mod run_structure;
mod run_test;
mod support;
