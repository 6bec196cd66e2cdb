//! End-to-end tests of ossperf-dataset: real files written by pandas and pyarrow (committed
//! fixtures), files written here with the arrow writer, and every kind of bad input.

// Test helpers outside `#[test]` functions unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod bench;
mod parquet;
mod pickle;
mod roundtrip;
mod sample;

use std::path::PathBuf;

/// A committed fixture.
pub fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}
