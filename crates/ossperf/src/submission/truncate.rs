//! The accuracy log's truncation and `accuracy.txt`'s hash line, as the official
//! `tools/submission/truncate_accuracy_log.py` does them (docs/SUBMISSION.md names the commit):
//! the SHA-256 of the whole log is added to `accuracy.txt`, then the log keeps its first and
//! last 4,096 characters around `\n\n...\n\n`. `tests/e2e/truncation.rs` compares the result
//! byte for byte with the tool's own output (golden data in `tests/data/truncation/`).

use std::io::Write as _;
use std::path::Path;

use anyhow::Context;
use sha2::Digest as _;

use super::layout::{ACCURACY_LOG, ACCURACY_TXT};

/// `MAX_ACCURACY_LOG_SIZE`: the largest accuracy log the checker takes as truncated (bytes).
pub(crate) const MAX_ACCURACY_LOG_SIZE: u64 = 10 * 1024;

/// `VIEWABLE_SIZE`: what the tool keeps from each end of the log.
const VIEWABLE_SIZE: usize = 4096;

/// A text file's lines as Python reads them in text mode (`open(path)`, as the tool and the
/// checker read `accuracy.txt`): a line ends at `\n`, `\r\n` or a lone `\r`, and each ending
/// reads as `\n`, so a hash line saved with Windows line endings is still a hash line.
pub(crate) fn text_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' || c == '\n' {
            if c == '\r' && chars.peek() == Some(&'\n') {
                chars.next();
            }
            line.push('\n');
            lines.push(std::mem::take(&mut line));
        } else {
            line.push(c);
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// The value of a hash line (`^hash=([\w\d]+)$` as the tool and the checker match it, on a line
/// as Python reads it: `$` also matches before the line's newline).
pub(crate) fn hash_of_line(line: &str) -> Option<&str> {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let value = line.strip_prefix("hash=")?;
    (!value.is_empty() && value.chars().all(|c| c.is_alphanumeric() || c == '_')).then_some(value)
}

/// Truncates `dir/mlperf_log_accuracy.json` and writes its hash into `dir/accuracy.txt` as the
/// tool does: for a compliance test (TEST07, TEST09) `accuracy.txt` is a new file holding only
/// the hash line; otherwise the line is appended to the score's `accuracy.txt`, and nothing is
/// done when that file has a hash line already and the log is under the size limit. Returns
/// whether the log was truncated.
pub(crate) fn truncate_dir(dir: &Path, compliance: bool) -> anyhow::Result<bool> {
    let log = dir.join(ACCURACY_LOG);
    let txt = dir.join(ACCURACY_TXT);
    let size = std::fs::metadata(&log)
        .with_context(|| format!("cannot read `{}`", log.display()))?
        .len();
    if !compliance {
        let text = std::fs::read_to_string(&txt)
            .with_context(|| format!("cannot read `{}`", txt.display()))?;
        if text_lines(&text).iter().any(|l| hash_of_line(l).is_some())
            && size < MAX_ACCURACY_LOG_SIZE
        {
            return Ok(false);
        }
    }
    let bytes = std::fs::read(&log).with_context(|| format!("cannot read `{}`", log.display()))?;
    let hash = hex::encode(sha2::Sha256::digest(&bytes));
    if compliance {
        std::fs::write(&txt, format!("hash={hash}\n"))
            .with_context(|| format!("cannot write `{}`", txt.display()))?;
    } else {
        let mut file = std::fs::OpenOptions::new()
            .append(true)
            .open(&txt)
            .with_context(|| format!("cannot write `{}`", txt.display()))?;
        write!(file, "\nhash={hash}\n")
            .with_context(|| format!("cannot write `{}`", txt.display()))?;
    }
    if let Some(truncated) = truncated(&bytes) {
        std::fs::write(&log, truncated)
            .with_context(|| format!("cannot write `{}`", log.display()))?;
    }
    Ok(true)
}

/// The tool's `truncate_file`: `None` under 4,096 bytes (left as it is), else the first 4,096
/// characters, `\n\n...\n\n`, and what follows byte `size - 4096`. The log is ASCII JSON, where
/// characters and bytes are the same.
fn truncated(bytes: &[u8]) -> Option<Vec<u8>> {
    if bytes.len() < VIEWABLE_SIZE {
        return None;
    }
    let text = String::from_utf8_lossy(bytes);
    let start: String = text.chars().take(VIEWABLE_SIZE).collect();
    let mut out = start.into_bytes();
    out.extend_from_slice(b"\n\n...\n\n");
    out.extend_from_slice(&bytes[bytes.len() - VIEWABLE_SIZE..]);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_keeps_4096_bytes_at_each_end_around_an_ellipsis() {
        let log: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let out = truncated(&log).unwrap();
        assert_eq!(out.len(), 4096 + 7 + 4096);
        assert_eq!(&out[..4096], &log[..4096]);
        assert_eq!(&out[4096..4103], b"\n\n...\n\n");
        assert_eq!(&out[4103..], &log[10_000 - 4096..]);
        assert_eq!(truncated(&log[..4095]), None);
    }

    #[test]
    fn lines_end_at_lf_crlf_or_a_lone_cr_and_read_as_lf() {
        assert_eq!(
            text_lines("a\r\nhash=1\rb\n\r\nc"),
            ["a\n", "hash=1\n", "b\n", "\n", "c"]
        );
        assert_eq!(text_lines("\r\r\n"), ["\n", "\n"]);
        assert_eq!(text_lines(""), Vec::<String>::new());
    }

    #[test]
    fn a_crlf_hash_line_counts_so_a_log_under_10_kib_is_left_alone_as_the_tool_leaves_it() {
        let dir = ossperf_testkit::temp_dir();
        let log = b"[\n{ \"seq_id\" : 0 }\n]\n";
        std::fs::write(dir.path().join(ACCURACY_LOG), log).unwrap();
        let txt = "'exact_match': 90.0\r\nhash=ab12\r\n";
        std::fs::write(dir.path().join(ACCURACY_TXT), txt).unwrap();
        assert!(!truncate_dir(dir.path(), false).unwrap());
        let after = std::fs::read_to_string(dir.path().join(ACCURACY_TXT)).unwrap();
        assert_eq!(after, txt);

        // Without a hash line the tool appends one, whatever the log's size.
        std::fs::write(dir.path().join(ACCURACY_TXT), "'exact_match': 90.0\r\n").unwrap();
        assert!(truncate_dir(dir.path(), false).unwrap());
        let after = std::fs::read_to_string(dir.path().join(ACCURACY_TXT)).unwrap();
        let hash = hex::encode(sha2::Sha256::digest(log));
        assert_eq!(after, format!("'exact_match': 90.0\r\n\nhash={hash}\n"));
        assert_eq!(std::fs::read(dir.path().join(ACCURACY_LOG)).unwrap(), log);
    }

    #[test]
    fn a_hash_line_is_hash_then_word_characters() {
        assert_eq!(hash_of_line("hash=ab12_c\n"), Some("ab12_c"));
        assert_eq!(hash_of_line("hash=ab12"), Some("ab12"));
        assert_eq!(hash_of_line("hash=\n"), None);
        assert_eq!(hash_of_line("hash=ab-12\n"), None);
        assert_eq!(hash_of_line(" hash=ab\n"), None);
        assert_eq!(hash_of_line("hash: ab\n"), None);
    }
}
