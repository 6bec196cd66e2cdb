//! JSON Lines datasets: one object per line with the same keys as the parquet columns
//! (`input_tokens` or `tok_input`, `dataset`, `ground_truth`, anything else). Easy to write by
//! hand or with `jq`, and the text form `convert` produces from parquet.

use std::io::Write;
use std::path::Path;

use serde_json::Value;

use crate::assemble::{assemble, Cell, RawTable};
use crate::error::{DatasetError, Result};
use crate::model::{Column, Dataset};
use crate::OpenOptions;

/// A JSON object with its keys in file order (serde_json's map sorts them), so columns come
/// out in the order the file wrote them.
pub(crate) struct Row(pub Vec<(String, Value)>);

impl Row {
    /// The value of `key`.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }
}

impl<'de> serde::Deserialize<'de> for Row {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_map(RowVisitor)
    }
}

struct RowVisitor;

impl<'de> serde::de::Visitor<'de> for RowVisitor {
    type Value = Row;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Row, A::Error> {
        let mut fields = Vec::new();
        while let Some(entry) = map.next_entry::<String, Value>()? {
            fields.push(entry);
        }
        Ok(Row(fields))
    }
}

/// Reads the JSON objects of a JSONL file, one per non-blank line, with their 1-based line
/// numbers.
pub(crate) fn objects(file: &Path, bytes: &[u8]) -> Result<Vec<(usize, Row)>> {
    let text = std::str::from_utf8(bytes).map_err(|e| DatasetError::Json {
        file: file.to_path_buf(),
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
        column: 0,
        message: "invalid UTF-8".to_owned(),
    })?;
    let mut rows = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str::<Row>(line).map_err(|e| {
            let full = e.to_string();
            let message = full
                .rsplit_once(" at line ")
                .map_or(full.as_str(), |(m, _)| m);
            DatasetError::Json {
                file: file.to_path_buf(),
                line: index + 1,
                column: e.column(),
                message: message.to_owned(),
            }
        })?;
        rows.push((index + 1, row));
    }
    Ok(rows)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(crate) fn read(file: &Path, bytes: &[u8], options: &OpenOptions) -> Result<Dataset> {
    assemble(raw_table(file, bytes)?, options)
}

/// The file's keys as columns of cells, before any check.
pub(crate) fn raw_table(file: &Path, bytes: &[u8]) -> Result<RawTable> {
    let rows = objects(file, bytes)?;
    let mut columns: Vec<(String, String, Vec<Cell>)> = Vec::new();
    for (row, (_, object)) in rows.iter().enumerate() {
        for (key, value) in &object.0 {
            let index = match columns.iter().position(|(n, _, _)| n == key) {
                Some(i) => i,
                None => {
                    columns.push((key.clone(), String::new(), vec![Cell::Null; row]));
                    columns.len() - 1
                }
            };
            columns[index].2.push(cell(value));
        }
        for (_, _, cells) in &mut columns {
            cells.resize(row + 1, Cell::Null);
        }
    }
    for (_, type_name, cells) in &mut columns {
        *type_name = describe_cells(cells).to_owned();
    }
    Ok(RawTable {
        file: file.to_path_buf(),
        columns,
    })
}

pub(crate) fn cell(value: &Value) -> Cell {
    match value {
        Value::Null => Cell::Null,
        Value::Bool(b) => Cell::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Cell::Int(i),
            None => Cell::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => Cell::Str(s.clone()),
        Value::Array(items) => {
            let mut ids = Vec::with_capacity(items.len());
            for (position, item) in items.iter().enumerate() {
                match item.as_i64() {
                    Some(id) => ids.push(id),
                    None => {
                        let found = match item {
                            Value::Number(n) => format!("the number `{n}`"),
                            Value::String(s) => format!("the string `{s}`"),
                            other => kind(other).to_owned(),
                        };
                        return Cell::BadList { position, found };
                    }
                }
            }
            Cell::IntList(ids)
        }
        Value::Object(_) => Cell::Other("an object".to_owned()),
    }
}

fn describe_cells(cells: &[Cell]) -> &'static str {
    match cells.iter().find(|c| !matches!(c, Cell::Null)) {
        Some(Cell::Str(_)) => "string",
        Some(Cell::Int(_)) => "int64",
        Some(Cell::Float(_)) => "float64",
        Some(Cell::Bool(_)) => "bool",
        Some(Cell::IntList(_)) => "list<int64>",
        Some(_) => "object",
        None => "null",
    }
}

/// Writes a dataset as JSON Lines: per row `dataset`, `ground_truth`, the kept columns and
/// `input_tokens`, in that key order and in row order.
pub fn write_jsonl(dataset: &Dataset, path: &Path) -> Result<()> {
    let file = std::fs::File::create(path).map_err(|e| DatasetError::io(path, e))?;
    let mut out = std::io::BufWriter::new(file);
    let mut line = String::new();
    for row in 0..dataset.len() {
        line.clear();
        line.push('{');
        push_field(&mut line, "dataset", &text(dataset.sub_dataset(row)));
        line.push(',');
        push_field(&mut line, "ground_truth", &text(dataset.ground_truth(row)));
        for (name, column) in dataset.columns() {
            if matches!(name.as_str(), "dataset" | "ground_truth" | "input_tokens") {
                continue;
            }
            line.push(',');
            push_field(&mut line, name, &column_value(column, row));
        }
        line.push(',');
        let tokens = Value::from(dataset.tokens(row).to_vec());
        push_field(&mut line, "input_tokens", &tokens);
        line.push_str("}\n");
        out.write_all(line.as_bytes())
            .map_err(|e| DatasetError::io(path, e))?;
    }
    out.flush().map_err(|e| DatasetError::io(path, e))
}

fn text(v: Option<&str>) -> Value {
    v.map_or(Value::Null, Value::from)
}

fn push_field(line: &mut String, key: &str, value: &Value) {
    line.push_str(&Value::from(key).to_string());
    line.push(':');
    line.push_str(&value.to_string());
}

fn column_value(column: &Column, row: usize) -> Value {
    match column {
        Column::Str(v) => text(v.get(row).and_then(|s| s.as_deref())),
        Column::Int(v) => v
            .get(row)
            .copied()
            .flatten()
            .map_or(Value::Null, Value::from),
        Column::Float(v) => v
            .get(row)
            .copied()
            .flatten()
            .map_or(Value::Null, Value::from),
        Column::Bool(v) => v
            .get(row)
            .copied()
            .flatten()
            .map_or(Value::Null, Value::from),
        Column::IntList(v) => v
            .get(row)
            .and_then(|l| l.clone())
            .map_or(Value::Null, Value::from),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> Result<Dataset> {
        read(
            Path::new("in.jsonl"),
            text.as_bytes(),
            &OpenOptions::default(),
        )
    }

    #[test]
    fn rows_keep_their_order_and_missing_keys_are_null() {
        let ds = read_str(
            "{\"input_tokens\":[1,2],\"dataset\":\"aime25\",\"ground_truth\":\"7\"}\n\n\
             {\"input_tokens\":[3],\"dataset\":\"gpqa_diamond\",\"extra\":1.5}\n",
        )
        .unwrap();
        assert_eq!(ds.len(), 2);
        assert_eq!(ds.tokens(1), &[3]);
        assert_eq!(ds.sub_dataset(1), Some("gpqa_diamond"));
        assert_eq!(ds.ground_truth(1), None);
        assert_eq!(
            ds.column("extra"),
            Some(&Column::Float(vec![None, Some(1.5)]))
        );
    }

    #[test]
    fn a_line_that_is_not_an_object_names_its_line() {
        let err = read_str("{\"input_tokens\":[1]}\n[1,2]\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`in.jsonl` line 2 column 0: invalid type: sequence, expected a JSON object"
        );
    }

    #[test]
    fn a_float_token_names_the_row_column_and_position() {
        let err = read_str("{\"input_tokens\":[1]}\n{\"input_tokens\":[4,2.5]}\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "`in.jsonl` row 1 column `input_tokens` position 1: expected an integer token id, found the number `2.5`"
        );
    }
}
