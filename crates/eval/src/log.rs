//! Streaming reader of `mlperf_log_accuracy.json` (accuracy-spec §3.1–3.2).
//!
//! A 4,395 × 32k-token accuracy log is over a gigabyte of hex, so it is never read whole: the
//! JSON array is walked element by element through serde's sequence visitor, and each entry is
//! handed to a callback and dropped. Memory is bounded by the largest single entry. The file's
//! SHA-256 is computed on the same pass, for the `hash=` line of `accuracy.txt`.
//!
//! A JSON array is what LoadGen writes; JSON Lines and concatenated objects are accepted too,
//! as the reference's TEST09 reader does.

use std::fmt;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use serde::de::{DeserializeSeed, Error as _, SeqAccess, Visitor};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::Error;

/// One response of the log. `token_data` and `token_count` are ignored, as the reference does.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LogEntry {
    /// LoadGen's sequence id of the sample.
    #[serde(default)]
    pub seq_id: u64,
    /// The dataset row (QSL index) the response answers.
    pub qsl_idx: u64,
    /// The response: little-endian int32 token ids as hex.
    pub data: String,
}

/// What one pass over a log saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPass {
    /// Number of entries handed to the callback.
    pub entries: usize,
    /// Lower-case hex SHA-256 of the file's bytes.
    pub sha256: String,
}

/// Calls `each(index, entry)` for every entry of the log at `path`, in file order, with bounded
/// memory. The callback's error stops the pass and is returned as is.
pub fn for_each_entry<F>(path: &Path, each: F) -> Result<LogPass, Error>
where
    F: FnMut(usize, LogEntry) -> Result<(), Error>,
{
    for_each::<LogEntry, F>(path, each)
}

/// Like [`for_each_entry`], for any entry shape `T`.
pub fn for_each<T, F>(path: &Path, mut each: F) -> Result<LogPass, Error>
where
    T: serde::de::DeserializeOwned,
    F: FnMut(usize, T) -> Result<(), Error>,
{
    let file = std::fs::File::open(path).map_err(|cause| Error::Io {
        path: path.to_owned(),
        cause,
    })?;
    let hashing = HashingReader {
        inner: file,
        hasher: Sha256::new(),
    };
    let mut reader = BufReader::with_capacity(1 << 20, hashing);
    let first = first_byte(&mut reader).map_err(|cause| Error::Io {
        path: path.to_owned(),
        cause,
    })?;
    let mut entries = 0;
    let mut stopped: Option<Error> = None;
    let mut counting = |entry: T| {
        let result = each(entries, entry);
        entries += 1;
        result
    };
    let parsed = match first {
        None => Ok(()),
        Some(b'[') => {
            let mut de = serde_json::Deserializer::from_reader(&mut reader);
            let seed = ArraySeed {
                each: &mut counting,
                stopped: &mut stopped,
                entry: std::marker::PhantomData,
            };
            seed.deserialize(&mut de).and_then(|()| de.end())
        }
        Some(b'{') => {
            let stream = serde_json::Deserializer::from_reader(&mut reader).into_iter::<T>();
            let mut result = Ok(());
            for item in stream {
                match item {
                    Ok(entry) => {
                        if let Err(err) = counting(entry) {
                            stopped = Some(err);
                            break;
                        }
                    }
                    Err(err) => {
                        result = Err(err);
                        break;
                    }
                }
            }
            result
        }
        Some(other) => {
            return Err(Error::NotJson {
                path: path.to_owned(),
                found: char::from(other).escape_default().to_string(),
            })
        }
    };
    if let Some(err) = stopped {
        return Err(err);
    }
    parsed.map_err(|cause| Error::BadLog {
        path: path.to_owned(),
        entry: entries,
        cause,
    })?;
    // Hash whatever trails the JSON (whitespace) too, so the digest is of the whole file.
    io::copy(&mut reader, &mut io::sink()).map_err(|cause| Error::Io {
        path: path.to_owned(),
        cause,
    })?;
    let sha256 = hex::encode(reader.into_inner().hasher.finalize());
    Ok(LogPass { entries, sha256 })
}

fn first_byte<R: BufRead>(reader: &mut R) -> io::Result<Option<u8>> {
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok(None);
        }
        match buf.iter().position(|b| !b.is_ascii_whitespace()) {
            Some(i) => return Ok(Some(buf[i])),
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Walks a JSON array, handing each element to the callback without collecting them.
struct ArraySeed<'a, T, F> {
    each: &'a mut F,
    stopped: &'a mut Option<Error>,
    entry: std::marker::PhantomData<T>,
}

impl<'de, T, F> DeserializeSeed<'de> for ArraySeed<'_, T, F>
where
    T: serde::de::DeserializeOwned,
    F: FnMut(T) -> Result<(), Error>,
{
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_seq(self)
    }
}

impl<'de, T, F> Visitor<'de> for ArraySeed<'_, T, F>
where
    T: serde::de::DeserializeOwned,
    F: FnMut(T) -> Result<(), Error>,
{
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array of accuracy-log entries")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(entry) = seq.next_element::<T>()? {
            if let Err(err) = (self.each)(entry) {
                *self.stopped = Some(err);
                return Err(A::Error::custom("stopped by the scorer"));
            }
        }
        Ok(())
    }
}

/// Why a `data` field is not a whole number of int32 tokens.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HexError {
    /// An odd number of hex digits.
    #[error("`data` has an odd number of hex digits (`{0}`)")]
    OddLength(usize),
    /// Whole bytes, but not a multiple of four.
    #[error("`data` holds `{0}` bytes, expected a multiple of 4 (little-endian int32 tokens)")]
    PartialToken(usize),
    /// A character that is not a hex digit.
    #[error("`data` has a non-hex character `{found}` at offset {offset}")]
    NotHex {
        /// The character.
        found: char,
        /// Its byte offset in `data`.
        offset: usize,
    },
    /// A negative token id.
    #[error("`data` holds the negative token id `{id}` at position {position}")]
    Negative {
        /// The id.
        id: i32,
        /// Its token position.
        position: usize,
    },
}

fn nibble(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Decodes `data` into token ids (into `out`, cleared first), strictly as the scorer's
/// `struct.unpack('<{n}i')` does: odd lengths, partial tokens and non-hex characters are errors.
pub fn decode_tokens(hex: &str, out: &mut Vec<u32>) -> Result<(), HexError> {
    out.clear();
    let bytes = hex.as_bytes();
    if bytes.len() % 2 != 0 {
        return Err(HexError::OddLength(bytes.len()));
    }
    if bytes.len() % 8 != 0 {
        return Err(HexError::PartialToken(bytes.len() / 2));
    }
    out.reserve(bytes.len() / 8);
    for (position, word) in bytes.chunks_exact(8).enumerate() {
        let mut value: u32 = 0;
        for (k, pair) in word.chunks_exact(2).enumerate() {
            let offset = position * 8 + k * 2;
            let hi = nibble(pair[0]).ok_or(HexError::NotHex {
                found: char::from(pair[0]),
                offset,
            })?;
            let lo = nibble(pair[1]).ok_or(HexError::NotHex {
                found: char::from(pair[1]),
                offset: offset + 1,
            })?;
            value |= u32::from(hi << 4 | lo) << (8 * k);
        }
        let id = value as i32;
        if id < 0 {
            return Err(HexError::Negative { id, position });
        }
        out.push(value);
    }
    Ok(())
}

/// Counts the tokens of `data` leniently, as the TEST09 verifier does: ASCII whitespace is
/// ignored, a trailing partial token is dropped, and anything that is not hex counts as zero.
pub fn count_tokens_lenient(hex: &str) -> usize {
    let mut digits = 0usize;
    for b in hex.bytes() {
        if b.is_ascii_whitespace() {
            continue;
        }
        if nibble(b).is_none() {
            return 0;
        }
        digits += 1;
    }
    if digits % 2 != 0 {
        return 0;
    }
    digits / 8
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn write(dir: &tempfile::TempDir, name: &str, text: &str) -> PathBuf {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    fn collect(path: &Path) -> Result<(Vec<LogEntry>, LogPass), Error> {
        let mut out = Vec::new();
        let pass = for_each_entry(path, |_, e| {
            out.push(e);
            Ok(())
        })?;
        Ok((out, pass))
    }

    #[test]
    fn a_loadgen_array_streams_every_entry_and_hashes_the_whole_file() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[\n{\"seq_id\": 0, \"qsl_idx\": 348, \"data\": \"450D0300\", \"token_count\": 1},\n{\"seq_id\": 1, \"qsl_idx\": 2, \"data\": \"\", \"token_data\": \"00\", \"token_count\": 0}\n]\n";
        let path = write(&dir, "log.json", text);
        let (entries, pass) = collect(&path).unwrap();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].qsl_idx, 348);
        assert_eq!(entries[1].data, "");
        assert_eq!(pass.sha256, hex::encode(Sha256::digest(text.as_bytes())));
    }

    #[test]
    fn json_lines_and_an_empty_array_are_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "l.jsonl",
            "{\"qsl_idx\": 1, \"data\": \"01000000\"}\n{\"qsl_idx\": 2, \"data\": \"\"}\n",
        );
        assert_eq!(collect(&path).unwrap().0.len(), 2);
        let path = write(&dir, "e.json", " [ ] ");
        assert_eq!(collect(&path).unwrap().1.entries, 0);
    }

    #[test]
    fn a_log_that_is_not_json_is_an_error_naming_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(&dir, "bad.json", "hello");
        let err = collect(&path).unwrap_err().to_string();
        assert!(err.starts_with("accuracy log `"), "{err}");
        assert!(
            err.ends_with("bad.json` is not JSON: expected `[` or `{`, found `h`"),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_log_is_an_error_naming_the_entry_and_position() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "t.json",
            "[{\"qsl_idx\": 1, \"data\": \"\"},\n{\"qsl_idx\": 2, \"da",
        );
        let err = collect(&path).unwrap_err().to_string();
        assert!(err.contains("t.json` entry 1: EOF while parsing"), "{err}");
        let path = write(&dir, "m.json", "[{\"data\": \"\"}]");
        let err = collect(&path).unwrap_err().to_string();
        assert!(
            err.contains("entry 0: missing field `qsl_idx` at line 1 column 13"),
            "{err}"
        );
    }

    #[test]
    fn hex_decodes_little_endian_and_rejects_odd_partial_and_negative_data() {
        let mut out = Vec::new();
        decode_tokens("450D0300ED030000", &mut out).unwrap();
        assert_eq!(out, vec![200_005, 1005]);
        assert_eq!(decode_tokens("450", &mut out), Err(HexError::OddLength(3)));
        assert_eq!(
            decode_tokens("450D03", &mut out),
            Err(HexError::PartialToken(3))
        );
        assert_eq!(
            decode_tokens("450D030G", &mut out),
            Err(HexError::NotHex {
                found: 'G',
                offset: 7
            })
        );
        assert_eq!(
            decode_tokens("FFFFFFFF", &mut out),
            Err(HexError::Negative {
                id: -1,
                position: 0
            })
        );
    }

    #[test]
    fn the_lenient_count_drops_partial_tokens_and_zeroes_garbage() {
        assert_eq!(count_tokens_lenient(" 450D0300 ED030000\n"), 2);
        assert_eq!(count_tokens_lenient("450D0300ED03"), 1);
        assert_eq!(count_tokens_lenient("450"), 0);
        assert_eq!(count_tokens_lenient("zz"), 0);
        assert_eq!(count_tokens_lenient(""), 0);
    }
}
