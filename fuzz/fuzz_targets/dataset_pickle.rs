//! libFuzzer entry for the `dataset_pickle` target (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ossperf_fuzz::dataset_pickle(data));
