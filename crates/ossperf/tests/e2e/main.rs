//! End-to-end tests: the real `ossperf` binary against the built-in simulator over loopback.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod answers;
mod bad_input;
mod cli;
mod compliance;
mod conf;
mod endpoints;
mod faults;
mod matrix;
mod official;
mod readme;
mod regression;
mod report;
mod run;
mod serve;
mod servers;
mod signals;
mod submission;
mod submission_checker;
mod submission_tree;
mod sweep;
mod sweep_loop;
mod tune;
mod util;
mod warmup;
