//! MLCommons parquet: the main format. The reader projects the columns it can keep, walks the
//! record batches in stored order (row groups included, so row `i` stays QSL index `i`) and
//! copies token ids straight from the Arrow buffers into the flat buffer, whatever the writer
//! chose: `list` or `large_list`, 32- or 64-bit integers, `string`, `large_string` (pandas 3) or
//! `string_view`. The writer produces the MLCommons v4 schema with `list<int32>` tokens.

use std::cell::Cell;
use std::path::Path;
use std::sync::{Arc, Once};

use arrow_array::builder::{Int32Builder, ListBuilder, StringBuilder};
use arrow_array::cast::AsArray;
use arrow_array::types::{Int32Type, Int64Type, UInt32Type, UInt64Type};
use arrow_array::{
    Array, ArrayRef, ArrowPrimitiveType, BooleanArray, Float64Array, GenericListArray, Int64Array,
    OffsetSizeTrait, RecordBatch,
};
use arrow_schema::{DataType, Field, Schema};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::{ArrowWriter, ProjectionMask};
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::ChunkReader;

use crate::assemble::{token_column, TokenSink};
use crate::error::{DatasetError, Result};
use crate::model::{Column, Dataset};
use crate::OpenOptions;

const BATCH_ROWS: usize = 4096;

/// What one projected column becomes.
enum Role {
    Tokens,
    SubDataset,
    GroundTruth,
    Extra(Column),
}

pub(crate) fn parquet_error(file: &Path, e: parquet::errors::ParquetError) -> DatasetError {
    DatasetError::Parquet {
        file: file.to_path_buf(),
        source: Box::new(e),
    }
}

pub(crate) fn arrow_error(file: &Path, e: arrow_schema::ArrowError) -> DatasetError {
    parquet_error(file, parquet::errors::ParquetError::from(e))
}

/// Reads a parquet dataset from any chunk reader (a file's bytes, or the bundled sample).
/// Reads a parquet dataset. The parquet crate panics on some damaged files instead of
/// returning an error (found by fuzzing, issue #9: negative column ranges in the footer,
/// shift overflows in a damaged page); column ranges are checked first, and any other panic
/// of the reader is reported as a damaged file like the crate's own errors, without the panic
/// hook's message before it.
pub(crate) fn read<R: ChunkReader + 'static>(
    file: &Path,
    reader: R,
    options: &OpenOptions,
) -> Result<Dataset> {
    let guarded = quietly(|| read_unguarded(file, reader, options));
    guarded.unwrap_or_else(|panic| Err(panic_error(file, panic.as_ref())))
}

/// The reference data's two columns (see [`crate::read_reference`]), guarded the same way.
pub(crate) fn read_reference(
    file: &Path,
    data: bytes::Bytes,
) -> Result<crate::reference::ReferenceColumns> {
    let guarded = quietly(|| crate::reference::read_parquet(file, data));
    guarded.unwrap_or_else(|panic| Err(panic_error(file, panic.as_ref())))
}

fn panic_error(file: &Path, panic: &(dyn std::any::Any + Send)) -> DatasetError {
    let what = panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "the parquet reader failed".to_owned());
    parquet_error(file, parquet::errors::ParquetError::General(what))
}

thread_local! {
    /// Set while this thread runs the guarded parquet reader: its panics become errors.
    static QUIET: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f`, catching a panic, with the panic hook silent for panics on this thread only (a
/// panic elsewhere, or here outside `f`, still reports as before). The hook is wrapped once
/// rather than swapped per call, as a swap races with other threads that panic or swap too.
fn quietly<T>(f: impl FnOnce() -> T) -> std::thread::Result<T> {
    static WRAP: Once = Once::new();
    WRAP.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !QUIET.try_with(Cell::get).unwrap_or(false) {
                previous(info);
            }
        }));
    });
    let was = QUIET.replace(true);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.set(was);
    result
}

fn read_unguarded<R: ChunkReader + 'static>(
    file: &Path,
    reader: R,
    options: &OpenOptions,
) -> Result<Dataset> {
    let builder = ParquetRecordBatchReaderBuilder::try_new(reader)
        .map_err(|e| parquet_error(file, e))?
        .with_batch_size(BATCH_ROWS);
    for group in builder.metadata().row_groups() {
        for column in group.columns() {
            let start = column
                .dictionary_page_offset()
                .unwrap_or_else(|| column.data_page_offset());
            if start < 0 || column.compressed_size() < 0 {
                return Err(parquet_error(
                    file,
                    parquet::errors::ParquetError::General(format!(
                        "column `{}` has a negative byte range (start `{start}`, length `{}`); \
                         expected a footer with non-negative offsets",
                        column.column_path(),
                        column.compressed_size()
                    )),
                ));
            }
        }
    }
    let schema = builder.schema().clone();
    let names = schema.fields().iter().map(|f| f.name().as_str());
    let token_name = token_column(file, names)?;
    let rows = usize::try_from(builder.metadata().file_metadata().num_rows()).unwrap_or(0);
    let mut kept = Vec::new();
    let mut roles = Vec::new();
    for (index, field) in schema.fields().iter().enumerate() {
        let role = match field.name().as_str() {
            n if n == token_name => Role::Tokens,
            "dataset" => Role::SubDataset,
            "ground_truth" => Role::GroundTruth,
            _ => match empty_column(field.data_type()) {
                Some(column) => Role::Extra(column),
                None => continue,
            },
        };
        kept.push(index);
        roles.push((field.name().clone(), role));
    }
    let mask = ProjectionMask::roots(builder.parquet_schema(), kept);
    let batches = builder
        .with_projection(mask)
        .build()
        .map_err(|e| parquet_error(file, e))?;

    let mut sink = TokenSink::new(file, token_name, options, rows);
    let mut sub_datasets = Vec::with_capacity(rows);
    let mut ground_truth = Vec::with_capacity(rows);
    let mut base = 0;
    for batch in batches {
        let batch = batch.map_err(|e| arrow_error(file, e))?;
        for (array, (name, role)) in batch.columns().iter().zip(roles.iter_mut()) {
            match role {
                Role::Tokens => push_tokens(&mut sink, base, array)?,
                Role::SubDataset => sub_datasets.extend(texts(file, name, array, false)?),
                Role::GroundTruth => ground_truth.extend(texts(file, name, array, true)?),
                Role::Extra(column) => append(column, array),
            }
        }
        base += batch.num_rows();
    }
    let n = sink.offsets.len() - 1;
    sub_datasets.resize(n, None);
    ground_truth.resize(n, None);
    let schema_list = schema
        .fields()
        .iter()
        .map(|f| (f.name().clone(), type_name(f.data_type())))
        .collect();
    let columns = roles
        .into_iter()
        .filter_map(|(name, role)| match role {
            Role::Extra(column) => Some((name, column)),
            _ => None,
        })
        .collect();
    Ok(Dataset {
        source: file.to_path_buf(),
        token_column: token_name.to_owned(),
        tokens: sink.tokens,
        offsets: sink.offsets,
        sub_datasets,
        ground_truth,
        columns,
        schema: schema_list,
    })
}

/// Arrow's type as a short lower-case name (`list<int32>`, `large_string`, …).
fn type_name(t: &DataType) -> String {
    match t {
        DataType::List(f) => format!("list<{}>", type_name(f.data_type())),
        DataType::LargeList(f) => format!("large_list<{}>", type_name(f.data_type())),
        DataType::Utf8 => "string".to_owned(),
        DataType::LargeUtf8 => "large_string".to_owned(),
        DataType::Utf8View => "string_view".to_owned(),
        other => other.to_string().to_ascii_lowercase(),
    }
}

fn push_tokens(sink: &mut TokenSink<'_>, base: usize, array: &ArrayRef) -> Result<()> {
    if let Some(list) = array.as_list_opt::<i32>() {
        push_list(sink, base, list)
    } else if let Some(list) = array.as_list_opt::<i64>() {
        push_list(sink, base, list)
    } else {
        let found = format!("a `{}` column", type_name(array.data_type()));
        Err(sink.non_integer(base, 0, found))
    }
}

fn push_list<O: OffsetSizeTrait>(
    sink: &mut TokenSink<'_>,
    base: usize,
    list: &GenericListArray<O>,
) -> Result<()> {
    let values = list.values();
    if let Some(v) = values.as_primitive_opt::<Int32Type>() {
        push_prims(sink, base, list, v, i64::from)
    } else if let Some(v) = values.as_primitive_opt::<Int64Type>() {
        push_prims(sink, base, list, v, |x| x)
    } else if let Some(v) = values.as_primitive_opt::<UInt32Type>() {
        push_prims(sink, base, list, v, i64::from)
    } else if let Some(v) = values.as_primitive_opt::<UInt64Type>() {
        push_prims(sink, base, list, v, |x| {
            i64::try_from(x).unwrap_or(i64::MAX)
        })
    } else {
        let row = (0..list.len()).find(|&i| list.is_valid(i)).unwrap_or(0);
        let found = format!("a `{}` element", type_name(values.data_type()));
        Err(sink.non_integer(base + row, 0, found))
    }
}

fn push_prims<O: OffsetSizeTrait, T: ArrowPrimitiveType>(
    sink: &mut TokenSink<'_>,
    base: usize,
    list: &GenericListArray<O>,
    values: &arrow_array::PrimitiveArray<T>,
    widen: impl Fn(T::Native) -> i64 + Copy,
) -> Result<()> {
    let offsets = list.value_offsets();
    let raw = values.values();
    for i in 0..list.len() {
        if list.is_null(i) {
            return Err(sink.null(base + i));
        }
        let start = offsets[i].as_usize();
        let end = offsets[i + 1].as_usize();
        if values.null_count() > 0 {
            if let Some(p) = (start..end).find(|&k| values.is_null(k)) {
                return Err(sink.non_integer(base + i, p - start, "null".to_owned()));
            }
        }
        sink.push_row(base + i, raw[start..end].iter().map(|&x| widen(x)))?;
    }
    Ok(())
}

/// The text of each cell of a string column (or an integer column when `numbers_as_text`).
fn texts(
    file: &Path,
    column: &str,
    array: &ArrayRef,
    numbers_as_text: bool,
) -> Result<Vec<Option<String>>> {
    if let Some(s) = strings(array) {
        return Ok(s);
    }
    if numbers_as_text {
        if let Some(n) = ints(array) {
            return Ok(n.into_iter().map(|v| v.map(|n| n.to_string())).collect());
        }
    }
    Err(DatasetError::WrongType {
        file: file.to_path_buf(),
        where_: "every row".to_owned(),
        column: column.to_owned(),
        expected: if numbers_as_text {
            "`string` or an integer type"
        } else {
            "`string`"
        },
        found: format!("`{}`", type_name(array.data_type())),
    })
}

pub(crate) fn strings(array: &ArrayRef) -> Option<Vec<Option<String>>> {
    let own = |s: Option<&str>| s.map(str::to_owned);
    if let Some(a) = array.as_string_opt::<i32>() {
        Some(a.iter().map(own).collect())
    } else if let Some(a) = array.as_string_opt::<i64>() {
        Some(a.iter().map(own).collect())
    } else {
        array
            .as_string_view_opt()
            .map(|a| a.iter().map(own).collect())
    }
}

pub(crate) fn ints(array: &ArrayRef) -> Option<Vec<Option<i64>>> {
    let cast = arrow_cast_int(array)?;
    Some(cast.iter().collect())
}

/// Any integer array widened to `Int64Array`.
fn arrow_cast_int(array: &ArrayRef) -> Option<Int64Array> {
    macro_rules! widen {
        ($($t:ty),*) => {$(
            if let Some(a) = array.as_primitive_opt::<$t>() {
                return Some(a.iter().map(|v| v.and_then(|x| i64::try_from(x).ok())).collect());
            }
        )*};
    }
    use arrow_array::types::{Int16Type, Int8Type, UInt16Type, UInt8Type};
    widen!(
        Int8Type, Int16Type, Int32Type, Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type
    );
    None
}

/// An empty kept column for an Arrow type, or `None` when the type is not kept.
fn empty_column(t: &DataType) -> Option<Column> {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Some(Column::Str(Vec::new())),
        DataType::Boolean => Some(Column::Bool(Vec::new())),
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            Some(Column::Float(Vec::new()))
        }
        t if t.is_integer() => Some(Column::Int(Vec::new())),
        DataType::List(f) | DataType::LargeList(f) if f.data_type().is_integer() => {
            Some(Column::IntList(Vec::new()))
        }
        _ => None,
    }
}

fn append(column: &mut Column, array: &ArrayRef) {
    match column {
        Column::Str(v) => v.extend(strings(array).unwrap_or_default()),
        Column::Int(v) => v.extend(ints(array).map(|a| a.into_iter()).into_iter().flatten()),
        Column::Bool(v) => {
            if let Some(a) = array.as_any().downcast_ref::<BooleanArray>() {
                v.extend(a.iter());
            }
        }
        Column::Float(v) => {
            if let Ok(a) = arrow_cast_float(array) {
                v.extend(a.iter());
            }
        }
        Column::IntList(v) => {
            for i in 0..array.len() {
                v.push(int_list_at(array, i));
            }
        }
    }
}

fn arrow_cast_float(array: &ArrayRef) -> std::result::Result<Float64Array, ()> {
    use arrow_array::types::{Float32Type, Float64Type};
    if let Some(a) = array.as_primitive_opt::<Float64Type>() {
        Ok(a.clone())
    } else if let Some(a) = array.as_primitive_opt::<Float32Type>() {
        Ok(a.iter().map(|v| v.map(f64::from)).collect())
    } else {
        Err(())
    }
}

fn int_list_at(array: &ArrayRef, i: usize) -> Option<Vec<i64>> {
    if array.is_null(i) {
        return None;
    }
    let item = if let Some(l) = array.as_list_opt::<i32>() {
        l.value(i)
    } else {
        array.as_list_opt::<i64>()?.value(i)
    };
    Some(ints(&item)?.into_iter().flatten().collect())
}

/// Writes a dataset as parquet in the MLCommons v4 schema: `dataset`, `ground_truth`, the kept
/// columns, then `input_tokens` as `list<int32>`, zstd-compressed, in row order.
pub fn write_parquet(dataset: &Dataset, path: &Path) -> Result<()> {
    let batch = to_batch(dataset).map_err(|e| DatasetError::WriteParquet {
        file: path.to_path_buf(),
        source: Box::new(e.into()),
    })?;
    let file = std::fs::File::create(path).map_err(|e| DatasetError::io(path, e))?;
    let props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::default()))
        .build();
    let write_error = |e| DatasetError::WriteParquet {
        file: path.to_path_buf(),
        source: Box::new(e),
    };
    let mut writer =
        ArrowWriter::try_new(file, batch.schema(), Some(props)).map_err(write_error)?;
    writer.write(&batch).map_err(write_error)?;
    writer.close().map_err(write_error)?;
    Ok(())
}

fn to_batch(dataset: &Dataset) -> std::result::Result<RecordBatch, arrow_schema::ArrowError> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    let mut text = |name: &str, values: &mut dyn Iterator<Item = Option<&str>>| {
        let mut b = StringBuilder::new();
        values.for_each(|v| b.append_option(v));
        fields.push(Field::new(name, DataType::Utf8, true));
        arrays.push(Arc::new(b.finish()));
    };
    text(
        "dataset",
        &mut dataset.sub_datasets.iter().map(|v| v.as_deref()),
    );
    text(
        "ground_truth",
        &mut dataset.ground_truth.iter().map(|v| v.as_deref()),
    );
    for (name, column) in &dataset.columns {
        if matches!(name.as_str(), "dataset" | "ground_truth" | "input_tokens") {
            continue;
        }
        let array = column_array(column);
        fields.push(Field::new(name, array.data_type().clone(), true));
        arrays.push(array);
    }
    let mut tokens = ListBuilder::with_capacity(
        Int32Builder::with_capacity(dataset.total_tokens()),
        dataset.len(),
    );
    for i in 0..dataset.len() {
        for &id in dataset.tokens(i) {
            tokens
                .values()
                .append_value(i32::try_from(id).unwrap_or(i32::MAX));
        }
        tokens.append(true);
    }
    let tokens = tokens.finish();
    fields.push(Field::new(
        "input_tokens",
        tokens.data_type().clone(),
        false,
    ));
    arrays.push(Arc::new(tokens));
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}

fn column_array(column: &Column) -> ArrayRef {
    match column {
        Column::Str(v) => Arc::new(
            v.iter()
                .map(|s| s.as_deref())
                .collect::<arrow_array::StringArray>(),
        ),
        Column::Int(v) => Arc::new(v.iter().copied().collect::<Int64Array>()),
        Column::Float(v) => Arc::new(v.iter().copied().collect::<Float64Array>()),
        Column::Bool(v) => Arc::new(v.iter().copied().collect::<BooleanArray>()),
        Column::IntList(v) => Arc::new(GenericListArray::<i32>::from_iter_primitive::<
            Int64Type,
            _,
            _,
        >(v.iter().map(|row| {
            row.as_ref()
                .map(|l| l.iter().copied().map(Some).collect::<Vec<_>>())
        }))),
    }
}
