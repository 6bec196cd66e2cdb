//! The writers: parquet in the MLCommons schema and JSONL read back equal.

use ossperf_dataset::{open, write_jsonl, write_parquet, Dataset};

use crate::fixture;

fn same(a: &Dataset, b: &Dataset) {
    assert_eq!(a.len(), b.len());
    for i in 0..a.len() {
        assert_eq!(a.tokens(i), b.tokens(i));
        assert_eq!(a.sub_dataset(i), b.sub_dataset(i));
        assert_eq!(a.ground_truth(i), b.ground_truth(i));
    }
    assert_eq!(a.columns(), b.columns());
}

#[test]
fn a_pickle_converted_to_parquet_and_jsonl_reads_back_equal() {
    let dir = tempfile::tempdir().unwrap();
    let source = open(&fixture("pd2_numpy_p4.pkl")).unwrap();
    let pq = dir.path().join("out.parquet");
    write_parquet(&source, &pq).unwrap();
    let from_parquet = open(&pq).unwrap();
    same(&from_parquet, &source);
    assert_eq!(from_parquet.token_column(), "input_tokens");
    let schema: Vec<(&str, &str)> = from_parquet
        .schema()
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        schema,
        [
            ("dataset", "string"),
            ("ground_truth", "string"),
            ("question", "string"),
            ("tok_input_len", "int64"),
            ("score", "float64"),
            ("flag", "boolean"),
            ("input_tokens", "list<int32>"),
        ]
    );
    let jl = dir.path().join("out.jsonl");
    write_jsonl(&from_parquet, &jl).unwrap();
    same(&open(&jl).unwrap(), &source);
}

#[test]
fn jsonl_lines_have_a_fixed_key_order() {
    let dir = tempfile::tempdir().unwrap();
    let jl = dir.path().join("out.jsonl");
    let ds = open(&fixture("expected.parquet")).unwrap().max_samples(1);
    write_jsonl(&ds, &jl).unwrap();
    assert_eq!(
        std::fs::read_to_string(&jl).unwrap(),
        "{\"dataset\":\"aime25\",\"ground_truth\":\"204\",\"question\":\"What is 6 x 7?\",\"tok_input_len\":7,\"score\":0.5,\"flag\":true,\"input_tokens\":[200006,17360,200008,3,200007,200006,173781]}\n"
    );
}
