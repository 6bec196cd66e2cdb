//! The reference data as the reference's scorer reads it: only `dataset` and `ground_truth`
//! (no token column needed), each ground truth with the type pandas gives it.

use std::path::Path;

use arrow_array::cast::AsArray;
use arrow_array::types::{Float32Type, Float64Type};
use arrow_array::{Array, ArrayRef};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ProjectionMask;

use crate::assemble::{Cell, RawTable};
use crate::error::{DatasetError, Result};
use crate::Format;

/// One `ground_truth` cell.
#[derive(Debug, Clone, PartialEq)]
pub enum ReferenceValue {
    /// Null (or a float NaN, which pandas treats as missing).
    Missing,
    /// A string.
    Text(String),
    /// An integer.
    Int(i64),
    /// A float (never NaN).
    Float(f64),
}

/// The two columns the scorer reads; row `i` is QSL index `i`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ReferenceColumns {
    /// The `dataset` column (`None` for a null cell).
    pub datasets: Vec<Option<String>>,
    /// The `ground_truth` column.
    pub ground_truths: Vec<ReferenceValue>,
}

/// Reads `dataset` and `ground_truth` from a parquet, pandas pickle or JSONL file. Either column
/// missing is an error naming it; other columns, the token column included, are not needed.
pub fn read_reference(path: &Path) -> Result<ReferenceColumns> {
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    let format = Format::sniff(&bytes).ok_or_else(|| DatasetError::UnknownFormat {
        file: path.to_path_buf(),
        found: crate::describe_head(&bytes),
    })?;
    match format {
        Format::Parquet => crate::parquet_io::read_reference(path, bytes::Bytes::from(bytes)),
        Format::Pickle => from_raw(crate::pickle::raw_table(path, &bytes)?),
        Format::Jsonl => from_raw(crate::jsonl::raw_table(path, &bytes)?),
    }
}

fn missing(file: &Path, column: &str) -> DatasetError {
    DatasetError::MissingColumn {
        file: file.to_path_buf(),
        column: column.to_owned(),
    }
}

fn from_raw(raw: RawTable) -> Result<ReferenceColumns> {
    let take = |name: &str| {
        raw.columns
            .iter()
            .find(|(n, _, _)| n == name)
            .map(|(_, _, cells)| cells)
            .ok_or_else(|| missing(&raw.file, name))
    };
    let datasets = take("dataset")?
        .iter()
        .map(|c| match c {
            Cell::Str(s) => Some(s.clone()),
            _ => None,
        })
        .collect();
    let ground_truths = take("ground_truth")?
        .iter()
        .enumerate()
        .map(|(row, c)| match c {
            Cell::Null => Ok(ReferenceValue::Missing),
            Cell::Str(s) => Ok(ReferenceValue::Text(s.clone())),
            Cell::Int(n) => Ok(ReferenceValue::Int(*n)),
            Cell::Float(f) => Ok(float(*f)),
            other => Err(wrong_type(
                &raw.file,
                &format!("row {row}"),
                other.describe(),
            )),
        })
        .collect::<Result<_>>()?;
    Ok(ReferenceColumns {
        datasets,
        ground_truths,
    })
}

fn float(f: f64) -> ReferenceValue {
    if f.is_nan() {
        ReferenceValue::Missing
    } else {
        ReferenceValue::Float(f)
    }
}

fn wrong_type(file: &Path, where_: &str, found: String) -> DatasetError {
    DatasetError::WrongType {
        file: file.to_path_buf(),
        where_: where_.to_owned(),
        column: "ground_truth".to_owned(),
        expected: "a string or a number",
        found,
    }
}

/// The parquet half of [`read_reference`]: projects the two columns and keeps their types.
pub(crate) fn read_parquet(file: &Path, data: bytes::Bytes) -> Result<ReferenceColumns> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(data)
        .map_err(|e| crate::parquet_io::parquet_error(file, e))?;
    let names: Vec<String> = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let index = |name: &str| {
        names
            .iter()
            .position(|n| n == name)
            .ok_or_else(|| missing(file, name))
    };
    let (ds, gt) = (index("dataset")?, index("ground_truth")?);
    let mask = ProjectionMask::roots(builder.parquet_schema(), [ds, gt]);
    let batches = builder
        .with_projection(mask)
        .build()
        .map_err(|e| crate::parquet_io::parquet_error(file, e))?;
    let mut out = ReferenceColumns::default();
    for batch in batches {
        let batch = batch.map_err(|e| crate::parquet_io::arrow_error(file, e))?;
        // The projection keeps file order.
        let (d, g) = if ds < gt { (0, 1) } else { (1, 0) };
        let datasets =
            crate::parquet_io::strings(batch.column(d)).ok_or_else(|| DatasetError::WrongType {
                file: file.to_path_buf(),
                where_: "every row".to_owned(),
                column: "dataset".to_owned(),
                expected: "`string`",
                found: format!("`{}`", batch.column(d).data_type()),
            })?;
        out.datasets.extend(datasets);
        out.ground_truths.extend(values(file, batch.column(g))?);
    }
    Ok(out)
}

fn values(file: &Path, array: &ArrayRef) -> Result<Vec<ReferenceValue>> {
    if let Some(s) = crate::parquet_io::strings(array) {
        return Ok(s
            .into_iter()
            .map(|v| v.map_or(ReferenceValue::Missing, ReferenceValue::Text))
            .collect());
    }
    if let Some(n) = crate::parquet_io::ints(array) {
        return Ok(n
            .into_iter()
            .map(|v| v.map_or(ReferenceValue::Missing, ReferenceValue::Int))
            .collect());
    }
    let floats: Option<Vec<Option<f64>>> = if let Some(a) = array.as_primitive_opt::<Float64Type>()
    {
        Some(a.iter().collect())
    } else {
        array
            .as_primitive_opt::<Float32Type>()
            .map(|a| a.iter().map(|v| v.map(f64::from)).collect())
    };
    match floats {
        Some(f) => Ok(f
            .into_iter()
            .map(|v| v.map_or(ReferenceValue::Missing, float))
            .collect()),
        None => Err(wrong_type(
            file,
            "every row",
            format!("`{}`", array.data_type()),
        )),
    }
}
