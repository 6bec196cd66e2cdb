//! Reading a performance-set-sized parquet: 6396 rows of about 1,100 tokens, with a text
//! column of about 5 KB a row like the MLCommons `text_input`. Ignored by default (it writes
//! about 30 MB under the temp dir); run it in release for the figure:
//! `cargo test --release -p ossperf-dataset --test e2e -- --ignored --nocapture bench`.

use std::sync::Arc;

use arrow_array::builder::{GenericListBuilder, Int64Builder, LargeStringBuilder};
use arrow_array::ArrayRef;

#[test]
#[ignore = "benchmark: prints the time to read a 6396-row parquet"]
fn bench_reading_a_performance_set_sized_parquet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("perf.parquet");
    let rows = 6396;
    let mut tokens = GenericListBuilder::<i32, _>::new(Int64Builder::new());
    let mut text = LargeStringBuilder::new();
    let mut names = LargeStringBuilder::new();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut total = 0;
    for _ in 0..rows {
        let len = 600 + (next() % 1000) as usize;
        total += len;
        for _ in 0..len {
            tokens.values().append_value((next() % 200_000) as i64);
        }
        tokens.append(true);
        text.append_value("lorem ipsum ".repeat(420));
        names.append_value("pubmed_summarization");
    }
    let columns: Vec<(&str, ArrayRef)> = vec![
        ("dataset", Arc::new(names.finish())),
        ("text_input", Arc::new(text.finish())),
        ("input_tokens", Arc::new(tokens.finish())),
    ];
    super::parquet::write(&path, columns, 1024);
    let size = std::fs::metadata(&path).unwrap().len();
    for run in 0..3 {
        let start = std::time::Instant::now();
        let ds = ossperf_dataset::open(&path).unwrap();
        let elapsed = start.elapsed();
        assert_eq!(ds.total_tokens(), total);
        println!(
            "run {run}: read {rows} rows, {total} tokens ({:.0} a row), {:.1} MB, in {:.3} s",
            total as f64 / rows as f64,
            size as f64 / 1e6,
            elapsed.as_secs_f64()
        );
    }
}
