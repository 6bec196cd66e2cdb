//! End-to-end tests: the real `ossperf` binary against the built-in simulator over loopback.

mod cli;
mod run;
mod report;
