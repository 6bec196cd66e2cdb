//! libFuzzer entry for the `accuracy_log` target (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ossperf_fuzz::accuracy_log(data));
