//! libFuzzer entry for the `json_chunk` target (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ossperf_fuzz::json_chunk(data));
