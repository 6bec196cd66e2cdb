//! libFuzzer entry for the `dataset_jsonl` target (see `src/lib.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| ossperf_fuzz::dataset_jsonl(data));
