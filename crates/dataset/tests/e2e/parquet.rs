//! Parquet files in every layout the MLCommons files and pandas versions use, written here
//! with the arrow writer: 32/64-bit ids, list and large_list, string, large_string and
//! string_view, several row groups.

use std::path::Path;
use std::sync::Arc;

use arrow_array::builder::{
    GenericListBuilder, Int32Builder, Int64Builder, LargeStringBuilder, StringBuilder,
    StringViewBuilder,
};
use arrow_array::{ArrayRef, Int64Array, RecordBatch};
use ossperf_dataset::{open, Dataset};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;

/// Writes `columns` to `path`, `rows_per_group` rows per row group.
pub fn write(path: &Path, columns: Vec<(&str, ArrayRef)>, rows_per_group: usize) {
    let batch = RecordBatch::try_from_iter(columns).unwrap();
    let props = WriterProperties::builder()
        .set_max_row_group_row_count(Some(rows_per_group))
        .build();
    let file = std::fs::File::create(path).unwrap();
    let mut writer = ArrowWriter::try_new(file, batch.schema(), Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
}

/// Row `i` has `i % 5 + 1` ids counting up from `i * 10`.
pub fn prompt(i: usize) -> Vec<u32> {
    (0..i % 5 + 1).map(|k| (i * 10 + k) as u32).collect()
}

pub fn list32(rows: usize) -> ArrayRef {
    let mut b = GenericListBuilder::<i32, _>::new(Int32Builder::new());
    for i in 0..rows {
        prompt(i)
            .iter()
            .for_each(|&id| b.values().append_value(id as i32));
        b.append(true);
    }
    Arc::new(b.finish())
}

fn large_list64(rows: usize) -> ArrayRef {
    let mut b = GenericListBuilder::<i64, _>::new(Int64Builder::new());
    for i in 0..rows {
        prompt(i)
            .iter()
            .for_each(|&id| b.values().append_value(i64::from(id)));
        b.append(true);
    }
    Arc::new(b.finish())
}

fn list64(rows: usize) -> ArrayRef {
    let mut b = GenericListBuilder::<i32, _>::new(Int64Builder::new());
    for i in 0..rows {
        prompt(i)
            .iter()
            .for_each(|&id| b.values().append_value(i64::from(id)));
        b.append(true);
    }
    Arc::new(b.finish())
}

fn name(i: usize) -> String {
    ["aime25", "gpqa_diamond", "livecodebench_v6"][i % 3].to_owned()
}

fn check(ds: &Dataset, rows: usize) {
    assert_eq!(ds.len(), rows);
    for i in 0..rows {
        assert_eq!(ds.tokens(i), prompt(i).as_slice(), "row {i}");
        assert_eq!(ds.sub_dataset(i), Some(name(i).as_str()), "row {i}");
    }
}

#[test]
fn list_int32_with_string_columns_reads_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.parquet");
    let mut names = StringBuilder::new();
    (0..7).for_each(|i| names.append_value(name(i)));
    write(
        &path,
        vec![
            ("dataset", Arc::new(names.finish()) as ArrayRef),
            ("input_tokens", list32(7)),
        ],
        100,
    );
    let ds = open(&path).unwrap();
    check(&ds, 7);
    assert_eq!(ds.token_column(), "input_tokens");
}

#[test]
fn list_int64_with_large_strings_reads_like_pandas_3_writes_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("b.parquet");
    let mut names = LargeStringBuilder::new();
    (0..9).for_each(|i| names.append_value(name(i)));
    write(
        &path,
        vec![
            ("tok_input", list64(9)),
            ("dataset", Arc::new(names.finish()) as ArrayRef),
        ],
        100,
    );
    check(&open(&path).unwrap(), 9);
}

#[test]
fn large_list_with_string_view_reads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.parquet");
    let mut names = StringViewBuilder::new();
    (0..4).for_each(|i| names.append_value(name(i)));
    write(
        &path,
        vec![
            ("dataset", Arc::new(names.finish()) as ArrayRef),
            ("input_tokens", large_list64(4)),
        ],
        100,
    );
    check(&open(&path).unwrap(), 4);
}

#[test]
fn rows_keep_their_order_across_many_row_groups_and_batches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("d.parquet");
    let rows = 10_000;
    let mut names = StringBuilder::new();
    (0..rows).for_each(|i| names.append_value(name(i)));
    write(
        &path,
        vec![
            ("dataset", Arc::new(names.finish()) as ArrayRef),
            ("input_tokens", list32(rows)),
        ],
        333,
    );
    let meta = parquet::file::reader::FileReader::metadata(
        &parquet::file::serialized_reader::SerializedFileReader::new(
            std::fs::File::open(&path).unwrap(),
        )
        .unwrap(),
    )
    .num_row_groups();
    assert_eq!(meta, 31);
    check(&open(&path).unwrap(), rows);
}

#[test]
fn an_integer_ground_truth_column_reads_as_decimal_text() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.parquet");
    let truth: ArrayRef = Arc::new(Int64Array::from(vec![Some(204), None, Some(7)]));
    write(
        &path,
        vec![("input_tokens", list32(3)), ("ground_truth", truth)],
        100,
    );
    let ds = open(&path).unwrap();
    assert_eq!(
        (0..3).map(|i| ds.ground_truth(i)).collect::<Vec<_>>(),
        [Some("204"), None, Some("7")]
    );
    assert_eq!(ds.sub_dataset(0), None);
}
