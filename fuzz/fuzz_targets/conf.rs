//! libFuzzer entry for the `conf` target (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ossperf_fuzz::conf(data));
