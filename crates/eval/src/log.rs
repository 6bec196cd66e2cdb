//! Streaming reader of `mlperf_log_accuracy.json` (docs/REFERENCE.md §3.1–3.2).
//!
//! A 4,395 × 32k-token accuracy log is over a gigabyte of hex, so it is never read whole: the
//! JSON array is walked element by element through serde's sequence visitor, and each entry is
//! handed to a callback and dropped. Memory is bounded by the largest single entry. The file's
//! SHA-256 is computed on the same pass, for the `hash=` line of `accuracy.txt`.
//!
//! A JSON array is what LoadGen writes; JSON Lines and concatenated objects are accepted too,
//! as the reference's TEST09 reader does.

use std::io::{self, Read};
use std::path::Path;

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
    // A reader thread hashes and splits the file while this thread parses and scores: the two
    // halves take about the same time. The channel is bounded, so memory stays bounded.
    let (tx, rx) = std::sync::mpsc::sync_channel::<Chunk>(64);
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || split_entries(file, &tx));
        let mut entries = 0;
        let mut outcome = Ok(());
        for chunk in rx.iter() {
            match chunk {
                Chunk::Entry(line, object) => {
                    let parsed = serde_json::from_slice::<T>(&object)
                        .map_err(|e| bad_log(path, entries, line, e.to_string()))
                        .and_then(|entry| each(entries, entry));
                    if let Err(err) = parsed {
                        outcome = Err(err);
                        break;
                    }
                    entries += 1;
                }
                Chunk::Failed(line, failure) => {
                    outcome = Err(match failure {
                        Failure::Io(cause) => Error::Io {
                            path: path.to_owned(),
                            cause,
                        },
                        Failure::Syntax(reason) => bad_log(path, entries, line, reason),
                    });
                    break;
                }
                Chunk::End(sha256) => {
                    return outcome.map(|()| LogPass { entries, sha256 });
                }
            }
        }
        // Dropping the receiver stops the reader at its next send.
        drop(rx);
        let _ = reader.join();
        outcome.and(Err(Error::Io {
            path: path.to_owned(),
            cause: io::Error::other("the log reader stopped early"),
        }))
    })
}

enum Failure {
    Io(io::Error),
    Syntax(String),
}

enum Chunk {
    Entry(usize, Vec<u8>),
    Failed(usize, Failure),
    End(String),
}

fn split_entries(mut file: std::fs::File, tx: &std::sync::mpsc::SyncSender<Chunk>) {
    let mut hasher = Sha256::new();
    let mut scanner = Scanner::default();
    let mut chunk = vec![0u8; 1 << 20];
    let mut objects = Vec::new();
    loop {
        let n = match file.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => {
                let _ = tx.send(Chunk::Failed(scanner.line, Failure::Io(err)));
                return;
            }
        };
        hasher.update(&chunk[..n]);
        let fed = scanner.feed(&chunk[..n], &mut objects);
        for (line, object) in objects.drain(..) {
            if tx.send(Chunk::Entry(line, object)).is_err() {
                return;
            }
        }
        if let Err(reason) = fed {
            let _ = tx.send(Chunk::Failed(scanner.line, Failure::Syntax(reason)));
            return;
        }
    }
    let end = match scanner.finish() {
        Ok(()) => Chunk::End(hex::encode(hasher.finalize())),
        Err(reason) => Chunk::Failed(scanner.line, Failure::Syntax(reason)),
    };
    let _ = tx.send(end);
}

fn bad_log(path: &Path, entry: usize, line: usize, reason: String) -> Error {
    Error::BadLog {
        path: path.to_owned(),
        entry,
        line,
        reason,
    }
}

/// Where the scanner is between objects.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Outer {
    /// Nothing but whitespace seen yet.
    #[default]
    Start,
    /// Inside `[`, expecting an object or `]`.
    ArrayItem,
    /// Inside `[` after an object, expecting `,` or `]`.
    ArrayComma,
    /// After `]`: only whitespace may follow.
    Done,
    /// JSON Lines or concatenated objects.
    Stream,
}

/// Splits a byte stream into top-level JSON objects (array elements or a stream of objects)
/// without parsing them, so each is parsed from a slice (several times faster than parsing
/// from a reader). Memory is one object.
#[derive(Debug)]
struct Scanner {
    outer: Outer,
    object: Vec<u8>,
    object_line: usize,
    depth: usize,
    in_string: bool,
    escaped: bool,
    line: usize,
}

impl Default for Scanner {
    fn default() -> Self {
        Self {
            outer: Outer::Start,
            object: Vec::new(),
            object_line: 1,
            depth: 0,
            in_string: false,
            escaped: false,
            line: 1,
        }
    }
}

impl Scanner {
    fn feed(&mut self, bytes: &[u8], out: &mut Vec<(usize, Vec<u8>)>) -> Result<(), String> {
        let mut i = 0;
        while i < bytes.len() {
            if self.depth > 0 {
                i = self.inside(bytes, i, out);
                continue;
            }
            let b = bytes[i];
            i += 1;
            if b == b'\n' {
                self.line += 1;
            }
            if b.is_ascii_whitespace() {
                continue;
            }
            self.outer = match (self.outer, b) {
                (Outer::Start, b'[') => Outer::ArrayItem,
                (Outer::Start | Outer::Stream, b'{') => self.open(Outer::Stream),
                (Outer::ArrayItem, b'{') => self.open(Outer::ArrayComma),
                (Outer::ArrayComma, b',') => Outer::ArrayItem,
                (Outer::ArrayComma | Outer::ArrayItem, b']') => Outer::Done,
                (outer, other) => return Err(self.unexpected(outer, other)),
            };
        }
        Ok(())
    }

    fn open(&mut self, after: Outer) -> Outer {
        self.object.clear();
        self.object.push(b'{');
        self.object_line = self.line;
        self.depth = 1;
        after
    }

    /// Consumes object bytes from `i`; returns where it stopped.
    fn inside(&mut self, bytes: &[u8], mut i: usize, out: &mut Vec<(usize, Vec<u8>)>) -> usize {
        let start = i;
        while i < bytes.len() {
            let b = bytes[i];
            i += 1;
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if b == b'\\' {
                    self.escaped = true;
                } else if b == b'"' {
                    self.in_string = false;
                } else if let Some(k) = memchr::memchr2(b'"', b'\\', &bytes[i..]) {
                    // Jump over the rest of a long string (the hex `data`) in one step.
                    i += k;
                } else {
                    i = bytes.len();
                }
                continue;
            }
            match b {
                b'"' => self.in_string = true,
                b'{' | b'[' => self.depth += 1,
                b'}' | b']' => {
                    self.depth -= 1;
                    if self.depth == 0 {
                        self.object.extend_from_slice(&bytes[start..i]);
                        out.push((self.object_line, std::mem::take(&mut self.object)));
                        return i;
                    }
                }
                b'\n' => self.line += 1,
                _ => {}
            }
        }
        self.object.extend_from_slice(&bytes[start..i]);
        i
    }

    fn unexpected(&self, outer: Outer, found: u8) -> String {
        let expected = match outer {
            Outer::Start => "`[` or `{` (JSON)",
            Outer::ArrayItem => "an entry object or `]`",
            Outer::ArrayComma => "`,` or `]`",
            Outer::Done => "nothing after the closing `]`",
            Outer::Stream => "an entry object",
        };
        let found = char::from(found).escape_default();
        format!("expected {expected}, found `{found}`")
    }

    fn finish(&self) -> Result<(), String> {
        if self.depth > 0 {
            return Err(format!(
                "the file ends inside the entry that starts on line {}",
                self.object_line
            ));
        }
        match self.outer {
            Outer::ArrayItem | Outer::ArrayComma => {
                Err("the file ends before the closing `]` of the array".to_owned())
            }
            _ => Ok(()),
        }
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
        let path = write(&dir, "bad.json", "\n hello");
        let err = collect(&path).unwrap_err().to_string();
        assert!(err.starts_with("accuracy log `"), "{err}");
        assert!(
            err.ends_with(
                "bad.json` is not valid at entry 0 (line 2): expected `[` or `{` (JSON), found `h`"
            ),
            "{err}"
        );
    }

    #[test]
    fn a_truncated_log_is_an_error_naming_the_entry_and_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            &dir,
            "t.json",
            "[{\"qsl_idx\": 1, \"data\": \"\"},\n{\"qsl_idx\": 2, \"da",
        );
        let err = collect(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("t.json` is not valid at entry 1 (line 2): the file ends inside the entry that starts on line 2"),
            "{err}"
        );
        let path = write(&dir, "u.json", "[{\"qsl_idx\": 1, \"data\": \"\"}\n");
        let err = collect(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("the file ends before the closing `]` of the array"),
            "{err}"
        );
        let path = write(&dir, "m.json", "[\n{\"data\": \"\"}]");
        let err = collect(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("m.json` is not valid at entry 0 (line 2): missing field `qsl_idx` at line 1 column 12"),
            "{err}"
        );
        let path = write(&dir, "x.json", "[{\"qsl_idx\": 1, \"data\": \"\"}] x");
        let err = collect(&path).unwrap_err().to_string();
        assert!(
            err.ends_with("expected nothing after the closing `]`, found `x`"),
            "{err}"
        );
    }

    #[test]
    fn braces_and_escaped_quotes_inside_strings_do_not_split_entries() {
        let dir = tempfile::tempdir().unwrap();
        let text = "[{\"qsl_idx\": 1, \"data\": \"\", \"note\": \"}{ \\\" ]\"}, {\"qsl_idx\": 2, \"data\": \"\"}]";
        let path = write(&dir, "s.json", text);
        let (entries, _) = collect(&path).unwrap();
        assert_eq!(
            entries.iter().map(|e| e.qsl_idx).collect::<Vec<_>>(),
            vec![1, 2]
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
