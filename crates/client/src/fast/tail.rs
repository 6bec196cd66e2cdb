//! Cumulative SGLang streams (its default) repeat every id and all the text so far in each
//! chunk, so parsing each chunk whole costs O(n) per chunk and O(n²) per answer. This keeps
//! the raw bytes of the previous chunk's `output_ids` and `text`; a chunk that starts with
//! the same bytes has them compared (`memcmp` speed) instead of parsed, and only its new tail
//! is read. The result is exactly what a full parse gives: bytes equal to ones already read
//! as valid ids (or a valid string body, which ends on a character boundary and outside any
//! escape) are valid again and mean the same.

use super::Cur;

/// The raw bytes of the previous chunk's `output_ids` (from after `[` to the end of the last
/// id's digits) and of its `text` body.
#[derive(Debug, Default, Clone)]
pub(crate) struct Memo {
    ids_raw: Vec<u8>,
    ids: usize,
    text_raw: Vec<u8>,
}

impl Memo {
    /// Forgets both fields (after a chunk the fast path could not read).
    pub(crate) fn clear(&mut self) {
        self.ids_raw.clear();
        self.ids = 0;
        self.text_raw.clear();
    }
}

/// `null` (false) or an id array (true). When `skip` allows it and the array starts with the
/// previous one's bytes followed by a separator, those ids are not pushed: `skipped` counts
/// them and `ids` gets the rest.
pub(super) fn ids(
    c: &mut Cur<'_>,
    ids: &mut Vec<u32>,
    memo: &mut Memo,
    skip: bool,
    skipped: &mut usize,
) -> Option<bool> {
    ids.clear();
    if c.null() {
        memo.ids_raw.clear();
        memo.ids = 0;
        return Some(false);
    }
    c.eat(b'[')?;
    let start = c.i;
    let known = memo.ids_raw.len();
    let repeats = skip
        && memo.ids > 0
        && c.b[start..].starts_with(&memo.ids_raw)
        && !c.b.get(start + known).is_some_and(u8::is_ascii_digit);
    if repeats {
        c.i = start + known;
        match c.peek()? {
            b']' => c.i += 1,
            b',' => {
                c.i += 1;
                let last = c.id_list(ids)?;
                memo.ids_raw.extend_from_slice(&c.b[start + known..last]);
            }
            _ => return None,
        }
        *skipped = memo.ids;
        memo.ids += ids.len();
        return Some(true);
    }
    memo.ids_raw.clear();
    memo.ids = 0;
    if c.peek()? == b']' {
        c.i += 1;
        return Some(true);
    }
    let last = c.id_list(ids)?;
    memo.ids_raw.extend_from_slice(&c.b[start..last]);
    memo.ids = ids.len();
    Some(true)
}

/// Skips the `text` value, comparing a repeated head with the previous chunk's instead of
/// scanning it; only the rest is checked as a string body.
pub(super) fn text(c: &mut Cur<'_>, memo: &mut Memo) -> Option<()> {
    if c.peek()? != b'"' {
        memo.text_raw.clear();
        return c.skip(0);
    }
    c.i += 1;
    let start = c.i;
    let known = memo.text_raw.len();
    let repeats = known > 0 && c.b[start..].starts_with(&memo.text_raw);
    if repeats {
        c.i += known;
    }
    let from = c.i;
    c.raw_string()?;
    let end = c.i - 1;
    if !repeats {
        memo.text_raw.clear();
    }
    memo.text_raw.extend_from_slice(&c.b[from..end]);
    Some(())
}
