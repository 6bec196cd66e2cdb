//! libFuzzer entry for the `harmony` target (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ossperf_fuzz::harmony(data));
