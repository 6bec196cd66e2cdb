//! pandas pickles read equal to the same frame written as parquet by pandas.

use ossperf_dataset::{open, Column, Dataset};

use crate::fixture;

fn expected() -> Dataset {
    open(&fixture("expected.parquet")).unwrap()
}

/// Everything but the source path and the schema's type names, which differ by format.
fn assert_same_rows(got: &Dataset, want: &Dataset) {
    assert_eq!(got.len(), want.len());
    for i in 0..want.len() {
        assert_eq!(got.tokens(i), want.tokens(i), "row {i}");
        assert_eq!(got.sub_dataset(i), want.sub_dataset(i), "row {i}");
        assert_eq!(got.ground_truth(i), want.ground_truth(i), "row {i}");
    }
    assert_eq!(got.columns(), want.columns());
    let names = |d: &Dataset| {
        d.schema()
            .iter()
            .map(|(n, _)| n.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(got), names(want));
}

#[test]
fn the_parquet_fixture_holds_the_generated_rows() {
    let ds = expected();
    assert_eq!(ds.len(), 5);
    assert_eq!(ds.token_column(), "tok_input");
    assert_eq!(ds.tokens(2), &[0, 173781]);
    assert_eq!(ds.input_len(3), 81);
    assert_eq!(ds.sub_dataset(1), Some("gpqa_diamond"));
    assert_eq!(ds.ground_truth(4), None);
    assert_eq!(
        ds.column("question"),
        Some(&Column::Str(
            [
                "What is 6 x 7?",
                "Ünïcode ✓ options",
                "Sum a list",
                "Count primes < 60",
                "Summarize"
            ]
            .map(|s| Some(s.to_owned()))
            .to_vec()
        ))
    );
    assert_eq!(
        ds.column("score"),
        Some(&Column::Float(vec![
            Some(0.5),
            None,
            Some(2.0),
            Some(-1.25),
            Some(3.0)
        ]))
    );
    assert_eq!(
        ds.column("tok_input_len"),
        Some(&Column::Int(vec![
            Some(7),
            Some(9),
            Some(2),
            Some(81),
            Some(3)
        ]))
    );
    let schema: Vec<(&str, &str)> = ds
        .schema()
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    assert_eq!(
        schema,
        [
            ("dataset", "large_string"),
            ("ground_truth", "large_string"),
            ("question", "large_string"),
            ("tok_input", "list<int64>"),
            ("tok_input_len", "int64"),
            ("score", "float64"),
            ("flag", "boolean"),
        ]
    );
}

#[test]
fn pandas_2_pickles_of_lists_read_equal_to_parquet() {
    let want = expected();
    assert_same_rows(&open(&fixture("pd2_lists_p4.pkl")).unwrap(), &want);
    assert_same_rows(&open(&fixture("pd2_lists_p5.pkl")).unwrap(), &want);
}

#[test]
fn pandas_2_pickles_of_numpy_arrays_read_equal_to_parquet() {
    let want = expected();
    assert_same_rows(&open(&fixture("pd2_numpy_p4.pkl")).unwrap(), &want);
    assert_same_rows(&open(&fixture("pd2_numpy32_p5.pkl")).unwrap(), &want);
}

#[test]
fn pandas_3_pickles_with_arrow_strings_read_equal_to_parquet() {
    let want = expected();
    for name in [
        "pd3_lists_p4.pkl",
        "pd3_lists_p5.pkl",
        "pd3_numpy_p4.pkl",
        "pd3_numpy32_p5.pkl",
    ] {
        assert_same_rows(&open(&fixture(name)).unwrap(), &want);
    }
}

#[test]
fn pickle_schemas_name_the_pandas_storage() {
    let ds = open(&fixture("pd2_lists_p5.pkl")).unwrap();
    let types: Vec<&str> = ds.schema().iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        types,
        ["object", "object", "object", "object", "int64", "float64", "bool"]
    );
    let ds = open(&fixture("pd3_lists_p5.pkl")).unwrap();
    let types: Vec<&str> = ds.schema().iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(
        types,
        [
            "large_string",
            "large_string",
            "large_string",
            "object",
            "int64",
            "float64",
            "bool"
        ]
    );
}

#[test]
fn a_pickle_that_is_not_a_dataframe_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.pkl");
    // pickle.dumps([1, 2], protocol=4)
    std::fs::write(
        &path,
        b"\x80\x04\x95\x09\x00\x00\x00\x00\x00\x00\x00]\x94(K\x01K\x02e.",
    )
    .unwrap();
    let err = open(&path).unwrap_err().to_string();
    assert_eq!(
        err,
        format!(
            "`{}` is not a readable pandas pickle: it holds a list, expected a pandas DataFrame",
            path.display()
        )
    );
}
