//! pandas 3 stores string columns (and column names) as Arrow arrays; pyarrow pickles them as
//! `_restore_array((type, length, null_count, offset, [validity, offsets, data], children,
//! dictionary))` with raw buffers, or a `chunked_array([...])` of those. This decodes the
//! `string` and `large_string` layouts into cells.

use super::machine::{Heap, Val};
use crate::assemble::Cell;

/// The strings of a pickled pyarrow string array or chunked array.
pub(crate) fn strings(heap: &Heap<'_>, v: Val) -> Result<Vec<Cell>, String> {
    let (name, args, _) = heap
        .call(v)
        .ok_or("a pyarrow array that is not an object")?;
    let first = heap.seq(args).and_then(|a| a.first().copied());
    if name.ends_with("chunked_array") {
        let chunks = first
            .and_then(|c| heap.seq(c))
            .ok_or("a chunked array without chunks")?;
        let mut out = Vec::new();
        for &chunk in chunks {
            out.extend(strings(heap, chunk)?);
        }
        return Ok(out);
    }
    if !name.ends_with("_restore_array") {
        return Err(format!("the pyarrow constructor `{name}`"));
    }
    let parts = first
        .and_then(|p| heap.seq(p))
        .ok_or("a pyarrow array without parts")?;
    let [ty, length, _, offset, buffers, ..] = parts else {
        return Err("a pyarrow array with few parts".to_owned());
    };
    let alias = type_alias(heap, *ty)?;
    let wide = match alias {
        "large_string" | "large_utf8" => true,
        "string" | "utf8" => false,
        other => return Err(format!("a pyarrow `{other}` array")),
    };
    let (Val::Int(length), Val::Int(offset)) = (*length, *offset) else {
        return Err("a pyarrow array without a length".to_owned());
    };
    let (length, offset) = (to_usize(length)?, to_usize(offset)?);
    let buffers = heap
        .seq(*buffers)
        .ok_or("a pyarrow array without buffers")?;
    let [validity, offsets, data, ..] = buffers else {
        return Err("a pyarrow string array with few buffers".to_owned());
    };
    let validity = match validity {
        Val::None => None,
        v => Some(buffer(heap, *v)?),
    };
    let offsets = buffer(heap, *offsets)?;
    let data = buffer(heap, *data)?;
    (offset..offset + length)
        .map(|i| {
            if validity.is_some_and(|bits| bits.get(i / 8).is_some_and(|b| b >> (i % 8) & 1 == 0)) {
                return Ok(Cell::Null);
            }
            let (start, end) = (
                offset_at(offsets, i, wide)?,
                offset_at(offsets, i + 1, wide)?,
            );
            let bytes = data
                .get(start..end)
                .ok_or("a string past the data buffer")?;
            let s = std::str::from_utf8(bytes).map_err(|_| "a string that is not UTF-8")?;
            Ok(Cell::Str(s.to_owned()))
        })
        .collect()
}

fn to_usize(n: i64) -> Result<usize, String> {
    usize::try_from(n).map_err(|_| format!("a negative length `{n}`"))
}

fn type_alias<'a>(heap: &Heap<'a>, ty: Val) -> Result<&'a str, String> {
    let (name, args, _) = heap.call(ty).ok_or("a pyarrow array without a type")?;
    if !name.ends_with("type_for_alias") {
        return Err(format!("the pyarrow type `{name}`"));
    }
    heap.seq(args)
        .and_then(|a| a.first().copied())
        .and_then(|a| heap.str(a))
        .ok_or_else(|| "a pyarrow type without a name".to_owned())
}

fn buffer<'a>(heap: &Heap<'a>, v: Val) -> Result<&'a [u8], String> {
    let (name, args, _) = heap
        .call(v)
        .ok_or("a pyarrow buffer that is not an object")?;
    if !name.ends_with("py_buffer") {
        return Err(format!("the pyarrow buffer `{name}`"));
    }
    heap.seq(args)
        .and_then(|a| a.first().copied())
        .and_then(|b| heap.bytes(b))
        .ok_or_else(|| "a pyarrow buffer without bytes".to_owned())
}

fn offset_at(offsets: &[u8], i: usize, wide: bool) -> Result<usize, String> {
    let size = if wide { 8 } else { 4 };
    let raw = offsets
        .get(i * size..(i + 1) * size)
        .ok_or("a string offset past the offsets buffer")?;
    let value = if wide {
        let mut b = [0u8; 8];
        b.copy_from_slice(raw);
        i64::from_le_bytes(b)
    } else {
        let mut b = [0u8; 4];
        b.copy_from_slice(raw);
        i64::from(i32::from_le_bytes(b))
    };
    to_usize(value)
}
