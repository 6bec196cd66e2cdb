//! A reader for the one pickle shape LiveCodeBench stores: a single pickled `str`.
//!
//! No pickle crate reads this safely without also accepting arbitrary objects; the release files
//! only ever hold `pickle.dumps(json_string)`, so this accepts exactly the opcodes such a pickle
//! uses (protocols 2–5) and rejects everything else.

/// Unpickles a single `str`.
pub(super) fn unpickle_str(bytes: &[u8]) -> Result<String, String> {
    let mut pos = 0;
    let mut value: Option<String> = None;
    let take = |pos: &mut usize, n: usize| -> Result<&[u8], String> {
        let end = pos.checked_add(n).filter(|&e| e <= bytes.len());
        let end = end.ok_or_else(|| format!("pickle truncated at byte {}", *pos))?;
        let out = &bytes[*pos..end];
        *pos = end;
        Ok(out)
    };
    let len_le = |b: &[u8]| {
        b.iter()
            .rev()
            .fold(0usize, |acc, &x| (acc << 8) | usize::from(x))
    };
    loop {
        let op = *take(&mut pos, 1)?
            .first()
            .ok_or_else(|| "empty pickle".to_owned())?;
        match op {
            0x80 => {
                take(&mut pos, 1)?;
            }
            0x95 => {
                take(&mut pos, 8)?;
            }
            0x94 => {}
            b'q' => {
                take(&mut pos, 1)?;
            }
            b'r' => {
                take(&mut pos, 4)?;
            }
            0x8c | b'X' | 0x8d => {
                let width = match op {
                    0x8c => 1,
                    b'X' => 4,
                    _ => 8,
                };
                let n = len_le(take(&mut pos, width)?);
                let raw = take(&mut pos, n)?;
                let text = std::str::from_utf8(raw)
                    .map_err(|e| format!("pickled str is not UTF-8: {e}"))?;
                value = Some(text.to_owned());
            }
            b'.' => {
                return value.ok_or_else(|| "pickle holds no str".to_owned());
            }
            other => {
                return Err(format!(
                    "unsupported pickle opcode `0x{other:02x}` at byte {} (expected a pickled str)",
                    pos - 1
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_protocol_4_short_str_and_a_protocol_2_long_str_unpickle() {
        // pickle.dumps("héllo", protocol=4)
        let p4 = b"\x80\x04\x95\x0a\x00\x00\x00\x00\x00\x00\x00\x8c\x06h\xc3\xa9llo\x94.";
        assert_eq!(unpickle_str(p4).unwrap(), "héllo");
        // pickle.dumps("ab", protocol=2)
        let p2 = b"\x80\x02X\x02\x00\x00\x00abq\x00.";
        assert_eq!(unpickle_str(p2).unwrap(), "ab");
    }

    #[test]
    fn anything_but_a_str_is_rejected() {
        // pickle.dumps([1], protocol=4) starts a list.
        let err = unpickle_str(b"\x80\x04\x95\x00\x00\x00\x00\x00\x00\x00\x00]\x94.").unwrap_err();
        assert_eq!(
            err,
            "unsupported pickle opcode `0x5d` at byte 11 (expected a pickled str)"
        );
        assert_eq!(
            unpickle_str(b"\x80\x04\x8c\x05ab").unwrap_err(),
            "pickle truncated at byte 4"
        );
    }
}
