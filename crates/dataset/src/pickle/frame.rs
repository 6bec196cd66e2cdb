//! The pandas layer over the decoded pickle: DataFrame → BlockManager → blocks → numpy arrays
//! (object arrays of lists or arrays, numeric arrays in protocol 4 bytes or protocol 5
//! `_frombuffer` form) or Arrow-backed string arrays (pandas 3), reassembled into columns in
//! the frame's order. Rows stay in stored order: block `k`'s row `r` is row `r` of the frame.

use super::machine::{Heap, Obj, Val};
use super::PickleError;
use crate::assemble::Cell;

/// One column of the frame; `cells` is `None` when its storage is not one this reader decodes.
pub(crate) struct FrameColumn {
    pub name: String,
    pub type_name: String,
    pub cells: Option<Vec<Cell>>,
}

/// A decoded array: its shape and its values in logical (C) order.
struct Array {
    shape: Vec<usize>,
    type_name: String,
    cells: Vec<Cell>,
}

/// A numpy dtype: kind (`i`, `u`, `f`, `b`, `O`), item size and byte order.
struct DType {
    kind: char,
    size: usize,
    big_endian: bool,
}

fn unsupported(what: impl Into<String>) -> PickleError {
    PickleError::Unsupported { what: what.into() }
}

/// Reads the columns of a pickled DataFrame.
pub(crate) fn dataframe(heap: &Heap<'_>, root: Val) -> Result<Vec<FrameColumn>, PickleError> {
    let not_frame = || PickleError::NotADataFrame {
        found: heap.describe(root),
    };
    let (class, _, state) = heap.call(root).ok_or_else(not_frame)?;
    if !class.ends_with(".DataFrame") {
        return Err(not_frame());
    }
    let mgr = state
        .and_then(|s| heap.dict_get(s, "_mgr"))
        .ok_or_else(|| {
            unsupported("a DataFrame without a `_mgr` block manager (pandas before 1.0?)")
        })?;
    let (mgr_name, mgr_args, _) = heap
        .call(mgr)
        .ok_or_else(|| unsupported(format!("a `_mgr` that is {}", heap.describe(mgr))))?;
    if !mgr_name.ends_with("BlockManager") {
        return Err(unsupported(format!("the block manager `{mgr_name}`")));
    }
    let [blocks, axes] =
        pair(heap, mgr_args).ok_or_else(|| unsupported("BlockManager arguments"))?;
    let columns_index = heap
        .seq(axes)
        .and_then(|a| a.first().copied())
        .ok_or_else(|| unsupported("BlockManager axes"))?;
    let names = index_names(heap, columns_index)?;
    let mut columns: Vec<Option<(String, Option<Vec<Cell>>)>> = Vec::new();
    columns.resize_with(names.len(), || None);
    for &block in heap
        .seq(blocks)
        .ok_or_else(|| unsupported("BlockManager blocks"))?
    {
        let (values, placement) = block_parts(heap, block)?;
        let placement = placement_indices(heap, placement)?;
        let decoded = array(heap, values);
        for (k, &col) in placement.iter().enumerate() {
            let slot = columns
                .get_mut(col)
                .ok_or_else(|| unsupported(format!("block placement `{col}` past the columns")))?;
            *slot = Some(match &decoded {
                Ok(a) => (a.type_name.clone(), Some(block_column(a, k)?)),
                Err(what) => (format!("unsupported {what}"), None),
            });
        }
    }
    names
        .into_iter()
        .zip(columns)
        .map(|(name, slot)| {
            let (type_name, cells) =
                slot.ok_or_else(|| unsupported(format!("column `{name}` in no block")))?;
            Ok(FrameColumn {
                name,
                type_name,
                cells,
            })
        })
        .collect()
}

fn pair(heap: &Heap<'_>, v: Val) -> Option<[Val; 2]> {
    match heap.seq(v)? {
        [a, b, ..] => Some([*a, *b]),
        _ => None,
    }
}

fn block_parts(heap: &Heap<'_>, block: Val) -> Result<(Val, Val), PickleError> {
    let (name, args, _) = heap
        .call(block)
        .ok_or_else(|| unsupported(format!("a block that is {}", heap.describe(block))))?;
    if !name.contains("block") {
        return Err(unsupported(format!("the block constructor `{name}`")));
    }
    let [values, placement] = pair(heap, args).ok_or_else(|| unsupported("block arguments"))?;
    Ok((values, placement))
}

/// Column `k` of a block: row `r` is element `(k, r)` of a 2-D block, or `r` of a 1-D one.
fn block_column(a: &Array, k: usize) -> Result<Vec<Cell>, PickleError> {
    let rows = *a.shape.last().unwrap_or(&0);
    let start = k * rows;
    a.cells
        .get(start..start + rows)
        .map(<[Cell]>::to_vec)
        .ok_or_else(|| unsupported("a block smaller than its shape"))
}

/// The column names from the columns Index.
fn index_names(heap: &Heap<'_>, index: Val) -> Result<Vec<String>, PickleError> {
    let (_, args, _) = heap
        .call(index)
        .ok_or_else(|| unsupported(format!("a columns index that is {}", heap.describe(index))))?;
    let [_, state] = pair(heap, args).ok_or_else(|| unsupported("columns index arguments"))?;
    let data = heap
        .dict_get(state, "data")
        .ok_or_else(|| unsupported("a columns index without `data` (a RangeIndex?)"))?;
    let names = array(heap, data).map_err(|what| unsupported(format!("column names in {what}")))?;
    Ok(names
        .cells
        .into_iter()
        .map(|c| match c {
            Cell::Str(s) => s,
            Cell::Int(n) => n.to_string(),
            other => other.describe(),
        })
        .collect())
}

fn placement_indices(heap: &Heap<'_>, placement: Val) -> Result<Vec<usize>, PickleError> {
    if let Some((name, args, _)) = heap.call(placement) {
        if name == "builtins.slice" {
            let parts = heap.seq(args).unwrap_or(&[]);
            let num = |i: usize, default: i64| match parts.get(i) {
                Some(Val::Int(n)) => *n,
                _ => default,
            };
            let (start, stop, step) = (num(0, 0), num(1, 0), num(2, 1));
            if start < 0 || stop < start || step <= 0 {
                return Err(unsupported("a block placement slice that is not ascending"));
            }
            return Ok((start..stop)
                .step_by(step as usize)
                .map(|i| i as usize)
                .collect());
        }
    }
    let a =
        array(heap, placement).map_err(|what| unsupported(format!("block placement {what}")))?;
    a.cells
        .into_iter()
        .map(|c| match c {
            Cell::Int(n) if n >= 0 => Ok(n as usize),
            _ => Err(unsupported("a block placement that is not column numbers")),
        })
        .collect()
}

/// An array-like object before its values are turned into cells.
enum Raw<'h> {
    Objects(Vec<usize>, &'h [Val]),
    Numbers {
        bytes: &'h [u8],
        dtype: DType,
        shape: Vec<usize>,
        fortran: bool,
    },
    Strings(Vec<Cell>),
}

/// Finds the parts of an array-like object; the error says what it was.
fn raw<'h>(heap: &'h Heap<'_>, v: Val) -> Result<Raw<'h>, String> {
    let Some((name, args, state)) = heap.call(v) else {
        return Err(heap.describe(v));
    };
    if name.ends_with("multiarray._reconstruct") {
        let st = state
            .and_then(|s| heap.seq(s))
            .ok_or("an ndarray without state")?;
        let [_, shape, dtype, fortran, data, ..] = st else {
            return Err("an ndarray with a short state".to_owned());
        };
        let shape = shape_of(heap, *shape)?;
        match heap.get(*data) {
            Some(Obj::List(items)) => Ok(Raw::Objects(shape, items)),
            Some(Obj::Bytes(bytes)) => Ok(Raw::Numbers {
                bytes,
                dtype: dtype_of(heap, *dtype)?,
                shape,
                fortran: *fortran == Val::Bool(true),
            }),
            _ => Err("an ndarray without data".to_owned()),
        }
    } else if name.ends_with("numeric._frombuffer") {
        let parts = heap.seq(args).unwrap_or(&[]);
        let [buffer, dtype, shape, order, ..] = parts else {
            return Err("a `_frombuffer` call with few arguments".to_owned());
        };
        let Some(bytes) = heap.bytes(*buffer) else {
            return Err(
                "a `_frombuffer` call without a buffer (out-of-band pickle buffers?)".to_owned(),
            );
        };
        Ok(Raw::Numbers {
            bytes,
            dtype: dtype_of(heap, *dtype)?,
            shape: shape_of(heap, *shape)?,
            fortran: heap.str(*order) == Some("F"),
        })
    } else if name.ends_with("ArrowStringArray") || name.ends_with("ArrowExtensionArray") {
        let pa = state
            .and_then(|s| heap.dict_get(s, "_pa_array"))
            .ok_or("an Arrow array without `_pa_array`")?;
        Ok(Raw::Strings(super::arrow::strings(heap, pa)?))
    } else {
        Err(format!("`{name}`"))
    }
}

/// Decodes an array-like object into cells; the error says what it was.
fn array(heap: &Heap<'_>, v: Val) -> Result<Array, String> {
    match raw(heap, v)? {
        Raw::Objects(shape, items) => Ok(Array {
            shape,
            type_name: "object".to_owned(),
            cells: items.iter().map(|&item| object_cell(heap, item)).collect(),
        }),
        Raw::Numbers {
            bytes,
            dtype,
            shape,
            fortran,
        } => numeric(bytes, &dtype, shape, fortran),
        Raw::Strings(cells) => Ok(Array {
            shape: vec![cells.len()],
            type_name: "large_string".to_owned(),
            cells,
        }),
    }
}

fn shape_of(heap: &Heap<'_>, v: Val) -> Result<Vec<usize>, String> {
    heap.seq(v)
        .ok_or("an ndarray without a shape")?
        .iter()
        .map(|d| match d {
            Val::Int(n) if *n >= 0 => Ok(*n as usize),
            _ => Err("an ndarray with a bad shape".to_owned()),
        })
        .collect()
}

fn dtype_of(heap: &Heap<'_>, v: Val) -> Result<DType, String> {
    let (_, args, state) = heap.call(v).ok_or("an ndarray without a dtype")?;
    let code = heap
        .seq(args)
        .and_then(|a| a.first().copied())
        .and_then(|c| heap.str(c))
        .ok_or("a dtype without a code")?;
    let order = state
        .and_then(|s| heap.seq(s))
        .and_then(|s| s.get(1).copied())
        .and_then(|o| heap.str(o))
        .unwrap_or("|");
    let mut chars = code.chars();
    let kind = chars.next().ok_or("an empty dtype code")?;
    let size = chars
        .as_str()
        .parse()
        .map_err(|_| format!("the dtype `{code}`"))?;
    Ok(DType {
        kind,
        size,
        big_endian: order == ">",
    })
}

/// Decodes numeric bytes into cells in logical (C) order.
fn numeric(bytes: &[u8], dtype: &DType, shape: Vec<usize>, fortran: bool) -> Result<Array, String> {
    let name = format!("{}{}", dtype.kind, dtype.size * 8);
    if dtype.big_endian {
        return Err(format!("a big-endian `{name}` array"));
    }
    let to_cell = |c: &[u8]| -> Option<Cell> {
        let mut b = [0u8; 8];
        b[..c.len()].copy_from_slice(c);
        let raw = u64::from_le_bytes(b);
        let sign_extend = |bits: u32| ((raw << (64 - bits)) as i64) >> (64 - bits);
        Some(match (dtype.kind, c.len()) {
            ('i', 1 | 2 | 4 | 8) => Cell::Int(sign_extend(c.len() as u32 * 8)),
            ('u', 1 | 2 | 4) => Cell::Int(raw as i64),
            ('u', 8) => Cell::Int(i64::try_from(raw).unwrap_or(i64::MAX)),
            ('b', 1) => Cell::Bool(raw != 0),
            ('f', 8) => float_cell(f64::from_bits(raw)),
            ('f', 4) => float_cell(f64::from(f32::from_bits(raw as u32))),
            _ => return None,
        })
    };
    if dtype.size == 0 || dtype.size > 8 || bytes.len() % dtype.size != 0 {
        return Err(format!("a `{name}` array"));
    }
    let flat: Option<Vec<Cell>> = bytes.chunks_exact(dtype.size).map(to_cell).collect();
    let mut cells = flat.ok_or_else(|| format!("a `{name}` array"))?;
    if fortran {
        if let [rows, cols] = shape[..] {
            cells = (0..rows * cols)
                .map(|i| cells[(i % cols) * rows + i / cols].clone())
                .collect();
        }
    }
    let type_name = match dtype.kind {
        'i' | 'u' => "int64",
        'f' => "float64",
        _ => "bool",
    };
    Ok(Array {
        shape,
        type_name: type_name.to_owned(),
        cells,
    })
}

/// A missing value in pandas is a NaN.
fn float_cell(f: f64) -> Cell {
    if f.is_nan() {
        Cell::Null
    } else {
        Cell::Float(f)
    }
}

/// One Python object of an object column.
fn object_cell(heap: &Heap<'_>, v: Val) -> Cell {
    match v {
        Val::None => Cell::Null,
        Val::Bool(b) => Cell::Bool(b),
        Val::Int(n) => Cell::Int(n),
        Val::Float(f) => float_cell(f),
        Val::Obj(_) => match heap.get(v) {
            Some(Obj::Str(s)) => Cell::Str((*s).to_owned()),
            Some(Obj::List(items) | Obj::Tuple(items)) => int_list(heap, items),
            Some(Obj::Call { .. }) => match raw(heap, v) {
                Ok(Raw::Numbers { bytes, dtype, .. }) => int_array(bytes, &dtype),
                Ok(_) => Cell::Other(heap.describe(v)),
                Err(_) => scalar(heap, v).unwrap_or_else(|| Cell::Other(heap.describe(v))),
            },
            _ => Cell::Other(heap.describe(v)),
        },
    }
}

/// A numpy scalar (`numpy.core.multiarray.scalar(dtype, bytes)`), as in an object column of
/// `np.int64` values.
fn scalar(heap: &Heap<'_>, v: Val) -> Option<Cell> {
    let (name, args, _) = heap.call(v)?;
    if !name.ends_with("multiarray.scalar") {
        return None;
    }
    let [dtype, data] = pair(heap, args)?;
    let bytes = heap.bytes(data)?;
    let a = numeric(bytes, &dtype_of(heap, dtype).ok()?, vec![1], false).ok()?;
    a.cells.into_iter().next()
}

fn int_list(heap: &Heap<'_>, items: &[Val]) -> Cell {
    let mut ids = Vec::with_capacity(items.len());
    for (position, item) in items.iter().enumerate() {
        match item {
            Val::Int(n) => ids.push(*n),
            other => {
                return Cell::BadList {
                    position,
                    found: heap.describe(*other),
                }
            }
        }
    }
    Cell::IntList(ids)
}

/// A numpy integer array in an object cell (a prompt stored as `np.ndarray`), straight to ids.
fn int_array(bytes: &[u8], dtype: &DType) -> Cell {
    let size = dtype.size;
    let supported = matches!((dtype.kind, size), ('i', 1 | 2 | 4 | 8) | ('u', 1 | 2 | 4));
    if !supported || dtype.big_endian || bytes.len() % size != 0 {
        return Cell::BadList {
            position: 0,
            found: format!("a numpy `{}{}` array", dtype.kind, size * 8),
        };
    }
    let bits = size as u32 * 8;
    let ids = bytes
        .chunks_exact(size)
        .map(|c| {
            let mut b = [0u8; 8];
            b[..size].copy_from_slice(c);
            let raw = u64::from_le_bytes(b);
            if dtype.kind == 'i' {
                ((raw << (64 - bits)) as i64) >> (64 - bits)
            } else {
                raw as i64
            }
        })
        .collect();
    Cell::IntList(ids)
}
