//! The bundled sample is `data/sample.jsonl` built at reasoning effort high, row for row.

use std::path::PathBuf;

use ossperf_dataset::{build_from_jsonl, bundled_sample, BuildOptions, ReasoningEffort};

fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

#[test]
fn rebuilding_the_sample_from_its_jsonl_gives_identical_rows() {
    let options = BuildOptions {
        reasoning_effort: ReasoningEffort::High,
    };
    let rebuilt = build_from_jsonl(&data("sample.jsonl"), &options).unwrap();
    let bundled = bundled_sample().unwrap();
    assert_eq!(bundled.len(), rebuilt.len());
    for i in 0..bundled.len() {
        assert_eq!(bundled.tokens(i), rebuilt.tokens(i), "row {i}");
        assert_eq!(bundled.sub_dataset(i), rebuilt.sub_dataset(i), "row {i}");
        assert_eq!(bundled.ground_truth(i), rebuilt.ground_truth(i), "row {i}");
    }
    assert_eq!(bundled.columns(), rebuilt.columns());
}

#[test]
fn the_bundled_sample_is_the_committed_parquet() {
    let bundled = bundled_sample().unwrap();
    let file = ossperf_dataset::open(&data("sample.parquet")).unwrap();
    assert_eq!(bundled.len(), 97);
    assert_eq!(bundled.source().to_str(), Some("<bundled sample>"));
    assert_eq!(bundled.total_tokens(), file.total_tokens());
    assert_eq!(bundled.tokens(96), file.tokens(96));
}
