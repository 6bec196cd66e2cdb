//! Every kind of bad input is an error that names the file, the row and the column.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{Float64Builder, GenericListBuilder, Int64Builder};
use arrow_array::{ArrayRef, StringArray};
use ossperf_dataset::{open, open_with, OpenOptions};

use crate::fixture;
use crate::parquet::{list32, write};

fn err(path: &Path) -> String {
    open(path).unwrap_err().to_string()
}

/// A parquet file whose `input_tokens` rows are `rows` (`None` = null).
fn tokens_file(dir: &Path, rows: &[Option<Vec<i64>>]) -> PathBuf {
    let path = dir.join("bad.parquet");
    let mut b = GenericListBuilder::<i32, _>::new(Int64Builder::new());
    for row in rows {
        match row {
            Some(ids) => {
                ids.iter().for_each(|&id| b.values().append_value(id));
                b.append(true);
            }
            None => b.append(false),
        }
    }
    write(
        &path,
        vec![("input_tokens", Arc::new(b.finish()) as ArrayRef)],
        2,
    );
    path
}

fn jsonl(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("bad.jsonl");
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn a_missing_token_column_lists_the_columns_found() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no_tokens.parquet");
    let names: ArrayRef = Arc::new(StringArray::from(vec!["aime25"]));
    write(
        &path,
        vec![("dataset", names), ("prompt_ids", list32(1))],
        10,
    );
    assert_eq!(
        err(&path),
        format!(
            "`{}` has no token column: expected `input_tokens` or `tok_input`, found `dataset`, `prompt_ids`",
            path.display()
        )
    );
    let path = jsonl(dir.path(), "{\"dataset\":\"aime25\"}\n");
    assert_eq!(
        err(&path),
        format!(
            "`{}` has no token column: expected `input_tokens` or `tok_input`, found `dataset`",
            path.display()
        )
    );
}

#[test]
fn a_null_prompt_names_its_row_even_in_a_later_row_group() {
    let dir = tempfile::tempdir().unwrap();
    let path = tokens_file(
        dir.path(),
        &[Some(vec![1]), Some(vec![2]), Some(vec![3]), None],
    );
    assert_eq!(
        err(&path),
        format!(
            "`{}` row 3 column `input_tokens`: the prompt is null, expected a list of token ids",
            path.display()
        )
    );
    let path = jsonl(dir.path(), "{\"tok_input\":[1]}\n{\"tok_input\":null}\n");
    assert_eq!(
        err(&path),
        format!(
            "`{}` row 1 column `tok_input`: the prompt is null, expected a list of token ids",
            path.display()
        )
    );
}

#[test]
fn an_empty_prompt_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = tokens_file(dir.path(), &[Some(vec![1]), Some(vec![])]);
    assert_eq!(
        err(&path),
        format!(
            "`{}` row 1 column `input_tokens`: the prompt is empty, expected at least one token id",
            path.display()
        )
    );
}

#[test]
fn a_float_token_column_is_a_non_integer_token() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("floats.parquet");
    let mut b = GenericListBuilder::<i32, _>::new(Float64Builder::new());
    b.values().append_value(1.5);
    b.append(true);
    write(
        &path,
        vec![("input_tokens", Arc::new(b.finish()) as ArrayRef)],
        10,
    );
    assert_eq!(
        err(&path),
        format!(
            "`{}` row 0 column `input_tokens` position 0: expected an integer token id, found a `float64` element",
            path.display()
        )
    );
    let path = jsonl(dir.path(), "{\"input_tokens\":[1,\"two\"]}\n");
    assert_eq!(
        err(&path),
        format!(
            "`{}` row 0 column `input_tokens` position 1: expected an integer token id, found the string `two`",
            path.display()
        )
    );
}

#[test]
fn an_id_outside_the_vocabulary_is_rejected_unless_counting() {
    let dir = tempfile::tempdir().unwrap();
    let path = tokens_file(dir.path(), &[Some(vec![201_087]), Some(vec![5, 201_088])]);
    assert_eq!(
        err(&path),
        format!(
            "`{}` row 1 column `input_tokens` position 1: token id `201088` is outside the vocabulary, expected 0 to 201087",
            path.display()
        )
    );
    let lenient = OpenOptions {
        check_vocabulary: false,
        ..OpenOptions::default()
    };
    assert_eq!(open_with(&path, &lenient).unwrap().out_of_vocabulary(), 1);
    let path = tokens_file(dir.path(), &[Some(vec![-1])]);
    assert_eq!(
        open_with(&path, &lenient).unwrap_err().to_string(),
        format!(
            "`{}` row 0 column `input_tokens` position 0: token id `-1` is outside the vocabulary, expected 0 to 201087",
            path.display()
        )
    );
}

#[test]
fn a_truncated_parquet_is_reported_as_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(fixture("expected.parquet")).unwrap();
    let path = dir.path().join("cut.parquet");
    std::fs::write(&path, &whole[..whole.len() / 2]).unwrap();
    let message = err(&path);
    let prefix = format!("`{}` is not a readable parquet file: ", path.display());
    assert!(message.starts_with(&prefix), "{message}");
}

#[test]
fn a_truncated_pickle_says_at_which_byte() {
    let dir = tempfile::tempdir().unwrap();
    let whole = std::fs::read(fixture("pd2_lists_p5.pkl")).unwrap();
    let path = dir.path().join("cut.pkl");
    std::fs::write(&path, &whole[..1000]).unwrap();
    let message = err(&path);
    let prefix = format!(
        "`{}` is not a readable pandas pickle: truncated at byte ",
        path.display()
    );
    assert!(message.starts_with(&prefix), "{message}");
}

#[test]
fn a_foreign_file_shows_its_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.parquet");
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n0000").unwrap();
    assert_eq!(
        err(&path),
        format!(
            "`{}` is not a parquet, pandas pickle or JSONL dataset: it starts with bytes `89 50 4e 47 0d 0a 1a 0a`; expected parquet (`PAR1`), a pickle (`\\x80` protocol 2-5) or JSON Lines (`{{`)",
            path.display()
        )
    );
    let path = dir.path().join("empty.jsonl");
    std::fs::write(&path, b"").unwrap();
    assert!(err(&path).contains("the file is empty"));
}

#[test]
fn a_missing_file_names_it() {
    let path = Path::new("/nonexistent/data.parquet");
    assert_eq!(
        err(path),
        "cannot access `/nonexistent/data.parquet`: No such file or directory (os error 2)"
    );
}

#[test]
fn inputs_that_crashed_the_fuzzer_are_clear_errors() {
    // Issue #9: each file under `fuzz/regressions/dataset_<format>/` once made a reader panic;
    // each is now an error that names the file (the damaged-file error for parquet, whose
    // crate still panics on some: the panic is caught and kept quiet).
    let dir = tempfile::tempdir().unwrap();
    let regressions = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions");
    let mut seen = 0;
    for (format, ext, after_name) in [
        (
            "dataset_parquet",
            "parquet",
            " is not a readable parquet file: ",
        ),
        ("dataset_pickle", "pkl", " "),
        ("dataset_jsonl", "jsonl", " "),
    ] {
        let Ok(entries) = std::fs::read_dir(regressions.join(format)) else {
            continue;
        };
        for entry in entries {
            let path = dir.path().join(format!("crash.{ext}"));
            std::fs::copy(entry.unwrap().path(), &path).unwrap();
            let message = err(&path);
            let prefix = format!("`{}`{after_name}", path.display());
            assert!(message.starts_with(&prefix), "{message}");
            seen += 1;
        }
    }
    assert_eq!(seen, 5);
}
