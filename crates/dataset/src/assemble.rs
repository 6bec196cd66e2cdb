//! Turning a table of loosely typed cells (what a pickle or a JSONL file holds) into a checked
//! [`Dataset`], and the token checks every reader shares. Keeping the rules in one place makes
//! the three formats fail the same way on the same bad data.

use std::path::{Path, PathBuf};

use crate::error::{DatasetError, Result};
use crate::model::{Column, Dataset};
use crate::OpenOptions;

/// Names of the token column, in the order the reference looks for them.
pub(crate) const TOKEN_COLUMNS: [&str; 2] = ["tok_input", "input_tokens"];

/// One cell of a pickle or JSONL table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    IntList(Vec<i64>),
    /// A list with a non-integer element at `position`.
    BadList {
        position: usize,
        found: String,
    },
    /// Anything else, described for messages (`a dict`, …).
    Other(String),
}

impl Cell {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Null => "null".to_owned(),
            Self::Bool(b) => format!("the boolean `{b}`"),
            Self::Int(n) => format!("the integer `{n}`"),
            Self::Float(f) => format!("the number `{f}`"),
            Self::Str(s) => format!("the string `{}`", clip(s)),
            Self::IntList(_) | Self::BadList { .. } => "a list".to_owned(),
            Self::Other(what) => what.clone(),
        }
    }
}

fn clip(s: &str) -> String {
    match s.char_indices().nth(40) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// A table read from a pickle or JSONL file, before checks.
pub(crate) struct RawTable {
    pub file: PathBuf,
    /// Column names, types as the file stores them, and cells (one per row).
    pub columns: Vec<(String, String, Vec<Cell>)>,
}

/// Collects prompts into the flat buffer, checking each id.
pub(crate) struct TokenSink<'a> {
    file: &'a Path,
    column: &'a str,
    check_vocabulary: bool,
    pub tokens: Vec<u32>,
    pub offsets: Vec<usize>,
}

impl<'a> TokenSink<'a> {
    pub(crate) fn new(file: &'a Path, column: &'a str, options: &OpenOptions, rows: usize) -> Self {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        Self {
            file,
            column,
            check_vocabulary: options.check_vocabulary,
            tokens: Vec::new(),
            offsets,
        }
    }

    /// Adds row `row` (which must be the next row) from its ids.
    #[inline]
    pub(crate) fn push_row(
        &mut self,
        row: usize,
        ids: impl IntoIterator<Item = i64>,
    ) -> Result<()> {
        let start = self.tokens.len();
        let vocab = ossperf_harmony::VOCAB_SIZE as i64;
        for (position, id) in ids.into_iter().enumerate() {
            let in_vocab = (0..vocab).contains(&id);
            match u32::try_from(id) {
                Ok(v) if in_vocab || !self.check_vocabulary => self.tokens.push(v),
                _ => return Err(self.out_of_vocabulary(row, position, id)),
            }
        }
        if self.tokens.len() == start {
            return Err(DatasetError::EmptyPrompt {
                file: self.file.to_path_buf(),
                row,
                column: self.column.to_owned(),
            });
        }
        self.offsets.push(self.tokens.len());
        Ok(())
    }

    fn out_of_vocabulary(&self, row: usize, position: usize, id: i64) -> DatasetError {
        DatasetError::TokenOutOfVocabulary {
            file: self.file.to_path_buf(),
            row,
            column: self.column.to_owned(),
            position,
            id,
        }
    }

    pub(crate) fn null(&self, row: usize) -> DatasetError {
        DatasetError::NullPrompt {
            file: self.file.to_path_buf(),
            row,
            column: self.column.to_owned(),
        }
    }

    pub(crate) fn non_integer(&self, row: usize, position: usize, found: String) -> DatasetError {
        DatasetError::NonIntegerToken {
            file: self.file.to_path_buf(),
            row,
            column: self.column.to_owned(),
            position,
            found,
        }
    }
}

/// Picks the token column the way the reference does (`tok_input` first, then `input_tokens`).
pub(crate) fn token_column<'n>(
    file: &Path,
    mut names: impl Iterator<Item = &'n str> + Clone,
) -> Result<&'static str> {
    TOKEN_COLUMNS
        .into_iter()
        .find(|wanted| names.clone().any(|n| n == *wanted))
        .ok_or_else(|| DatasetError::MissingTokenColumn {
            file: file.to_path_buf(),
            found: list_names(names.by_ref()),
        })
}

pub(crate) fn list_names<'n>(names: impl Iterator<Item = &'n str>) -> String {
    let listed: Vec<String> = names.map(|n| format!("`{n}`")).collect();
    if listed.is_empty() {
        "no columns".to_owned()
    } else {
        listed.join(", ")
    }
}

/// Checks a raw table and builds the dataset.
pub(crate) fn assemble(raw: RawTable, options: &OpenOptions) -> Result<Dataset> {
    let file = raw.file;
    let column_name = token_column(&file, raw.columns.iter().map(|(n, _, _)| n.as_str()))?;
    let rows = raw.columns.first().map_or(0, |(_, _, cells)| cells.len());
    let schema = raw
        .columns
        .iter()
        .map(|(n, t, _)| (n.clone(), t.clone()))
        .collect();
    let mut sink = TokenSink::new(&file, column_name, options, rows);
    let mut sub_datasets = vec![None; rows];
    let mut ground_truth = vec![None; rows];
    let mut columns = Vec::new();
    for (name, _, cells) in raw.columns {
        match name.as_str() {
            n if n == column_name => push_token_cells(&mut sink, cells)?,
            "dataset" => sub_datasets = text_cells(&file, &name, cells, false)?,
            "ground_truth" => ground_truth = text_cells(&file, &name, cells, true)?,
            _ => {
                if let Some(column) = infer_column(cells) {
                    columns.push((name, column));
                }
            }
        }
    }
    let TokenSink {
        tokens, offsets, ..
    } = sink;
    Ok(Dataset {
        source: file,
        token_column: column_name.to_owned(),
        tokens,
        offsets,
        sub_datasets,
        ground_truth,
        columns,
        schema,
    })
}

fn push_token_cells(sink: &mut TokenSink<'_>, cells: Vec<Cell>) -> Result<()> {
    for (row, cell) in cells.into_iter().enumerate() {
        match cell {
            Cell::IntList(ids) => sink.push_row(row, ids)?,
            Cell::Null => return Err(sink.null(row)),
            Cell::BadList { position, found } => return Err(sink.non_integer(row, position, found)),
            other => {
                let found = format!("{} instead of a list", other.describe());
                return Err(sink.non_integer(row, 0, found));
            }
        }
    }
    Ok(())
}

/// Reads a text column; with `numbers_as_text`, integers become their decimal text (the
/// `ground_truth` of AIME rows may be stored as an integer).
fn text_cells(
    file: &Path,
    column: &str,
    cells: Vec<Cell>,
    numbers_as_text: bool,
) -> Result<Vec<Option<String>>> {
    cells
        .into_iter()
        .enumerate()
        .map(|(row, cell)| match cell {
            Cell::Null => Ok(None),
            Cell::Str(s) => Ok(Some(s)),
            Cell::Int(n) if numbers_as_text => Ok(Some(n.to_string())),
            other => Err(DatasetError::WrongType {
                file: file.to_path_buf(),
                where_: format!("row {row}"),
                column: column.to_owned(),
                expected: if numbers_as_text {
                    "a string or an integer"
                } else {
                    "a string"
                },
                found: other.describe(),
            }),
        })
        .collect()
}

/// The narrowest [`Column`] that holds every cell, or `None` (the column is not kept).
pub(crate) fn infer_column(cells: Vec<Cell>) -> Option<Column> {
    let first = cells.iter().find(|c| !matches!(c, Cell::Null))?;
    match first {
        Cell::Str(_) => collect(cells, |c| match c {
            Cell::Str(s) => Some(s),
            _ => None,
        })
        .map(Column::Str),
        Cell::Bool(_) => collect(cells, |c| match c {
            Cell::Bool(b) => Some(b),
            _ => None,
        })
        .map(Column::Bool),
        Cell::IntList(_) => collect(cells, |c| match c {
            Cell::IntList(l) => Some(l),
            _ => None,
        })
        .map(Column::IntList),
        Cell::Int(_) | Cell::Float(_) => {
            if cells.iter().any(|c| matches!(c, Cell::Float(_))) {
                collect(cells, |c| match c {
                    Cell::Float(f) => Some(f),
                    Cell::Int(n) => Some(n as f64),
                    _ => None,
                })
                .map(Column::Float)
            } else {
                collect(cells, |c| match c {
                    Cell::Int(n) => Some(n),
                    _ => None,
                })
                .map(Column::Int)
            }
        }
        _ => None,
    }
}

fn collect<T>(cells: Vec<Cell>, get: impl Fn(Cell) -> Option<T>) -> Option<Vec<Option<T>>> {
    cells
        .into_iter()
        .map(|c| match c {
            Cell::Null => Some(None),
            c => get(c).map(Some),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(columns: Vec<(&str, Vec<Cell>)>) -> RawTable {
        RawTable {
            file: PathBuf::from("t.jsonl"),
            columns: columns
                .into_iter()
                .map(|(n, c)| (n.to_owned(), "object".to_owned(), c))
                .collect(),
        }
    }

    #[test]
    fn tok_input_wins_over_input_tokens_like_the_reference() {
        let raw = table(vec![
            ("input_tokens", vec![Cell::IntList(vec![1])]),
            ("tok_input", vec![Cell::IntList(vec![2])]),
        ]);
        let ds = assemble(raw, &OpenOptions::default()).unwrap();
        assert_eq!(ds.token_column(), "tok_input");
        assert_eq!(ds.tokens(0), &[2]);
        assert_eq!(
            ds.column("input_tokens"),
            Some(&Column::IntList(vec![Some(vec![1])]))
        );
    }

    #[test]
    fn integer_ground_truth_becomes_decimal_text() {
        let raw = table(vec![
            (
                "tok_input",
                vec![Cell::IntList(vec![5]), Cell::IntList(vec![6])],
            ),
            ("ground_truth", vec![Cell::Int(204), Cell::Str("B".into())]),
        ]);
        let ds = assemble(raw, &OpenOptions::default()).unwrap();
        assert_eq!(ds.ground_truth(0), Some("204"));
        assert_eq!(ds.ground_truth(1), Some("B"));
        assert_eq!(ds.sub_dataset(0), None);
    }

    #[test]
    fn mixed_numbers_become_a_float_column_and_mixed_kinds_are_dropped() {
        let nums = infer_column(vec![Cell::Int(1), Cell::Null, Cell::Float(2.5)]);
        assert_eq!(nums, Some(Column::Float(vec![Some(1.0), None, Some(2.5)])));
        assert_eq!(
            infer_column(vec![Cell::Int(1), Cell::Str("a".into())]),
            None
        );
        assert_eq!(infer_column(vec![Cell::Null]), None);
    }

    #[test]
    fn a_string_in_the_token_column_is_a_non_integer_token_at_its_row() {
        let raw = table(vec![(
            "tok_input",
            vec![Cell::IntList(vec![1]), Cell::Str("1 2 3".into())],
        )]);
        let err = assemble(raw, &OpenOptions::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`t.jsonl` row 1 column `tok_input` position 0: expected an integer token id, found the string `1 2 3` instead of a list"
        );
    }
}
