//! libFuzzer entry for the `sse` target (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ossperf_fuzz::sse(data));
