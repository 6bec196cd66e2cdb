//! End-to-end tests: the real `ossperf` binary against the built-in simulator over loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod endpoints;
mod report;
mod run;
mod serve;
mod tune;
