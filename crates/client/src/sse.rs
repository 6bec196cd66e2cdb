//! A server-sent-events parser that hands out each event's `data` as a slice of its own
//! buffer. Socket reads cut events anywhere: in the middle of a line, between `\r` and `\n`,
//! or several events at once; the parser keeps the unfinished tail and returns whole events
//! only. One `data:` line is returned without copying; several are joined with `\n` as the
//! SSE standard says. Comments (`:`), `event:`, `id:` and `retry:` lines are skipped.
//!
//! One leniency: at the end of the body a last event without its closing blank line is still
//! delivered (some servers end with `data: [DONE]\n`).

/// The largest event accepted, so a server that never sends a blank line cannot grow the
/// buffer without bound.
pub(crate) const DEFAULT_MAX_EVENT_BYTES: usize = 64 << 20;

/// An SSE framing error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SseError {
    /// An event grew past the size limit without a closing blank line.
    #[error("server-sent event larger than `{limit}` bytes without a closing blank line")]
    EventTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
}

/// Incremental SSE parser. Feed reads with [`push`](SseParser::push) or
/// [`push_bytes`](SseParser::push_bytes), then take events with
/// [`next_event`](SseParser::next_event) until it returns `None`.
#[derive(Debug)]
pub struct SseParser {
    /// Bytes kept across reads (an event cut by a read), when `in_frame` is false.
    buf: Vec<u8>,
    /// The latest read, parsed in place while nothing from earlier reads is pending.
    frame: bytes::Bytes,
    in_frame: bool,
    /// Start of the pending (not yet dispatched) event in the source.
    start: usize,
    /// Where line scanning resumes, relative to `start`.
    cursor: usize,
    /// Bytes after the cursor already searched for a line end without finding one, so a long
    /// line cut over many reads (a cumulative chunk) is searched once, not once per read.
    searched: usize,
    /// `data` values of the pending event, as ranges relative to `start`.
    data: Vec<(usize, usize)>,
    joined: Vec<u8>,
    eof: bool,
    max_event: usize,
}

impl Default for SseParser {
    fn default() -> SseParser {
        SseParser::new(DEFAULT_MAX_EVENT_BYTES)
    }
}

impl SseParser {
    /// A parser that refuses events longer than `max_event` bytes.
    pub fn new(max_event: usize) -> SseParser {
        SseParser {
            buf: Vec::new(),
            frame: bytes::Bytes::new(),
            in_frame: false,
            start: 0,
            cursor: 0,
            searched: 0,
            data: Vec::new(),
            joined: Vec::new(),
            eof: false,
            max_event,
        }
    }

    /// Appends the bytes of one read (copied).
    pub fn push(&mut self, bytes: &[u8]) {
        self.keep_pending();
        self.buf.extend_from_slice(bytes);
    }

    /// Appends one read without copying it when no earlier bytes are pending (the read ends
    /// where an event ends, as most do): events are then slices of `bytes` itself, and only
    /// an event cut by the end of a read is copied, with the reads that complete it.
    pub fn push_bytes(&mut self, bytes: bytes::Bytes) {
        if self.pending().is_empty() {
            self.buf.clear();
            self.frame = bytes;
            self.in_frame = true;
            self.start = 0;
            self.cursor = 0;
            self.searched = 0;
        } else {
            self.push(&bytes);
        }
    }

    /// Where the next read may be appended in place of a [`push`](SseParser::push): the
    /// parser's own buffer, while an event cut by an earlier read is pending there (after
    /// [`release`](SseParser::release)). A long event then arrives in the buffer it is parsed
    /// from, in large reads, instead of being copied there piece by piece.
    pub fn append_target(&mut self) -> Option<&mut Vec<u8>> {
        if self.in_frame || self.eof || self.pending().is_empty() {
            return None;
        }
        self.keep_pending();
        Some(&mut self.buf)
    }

    /// Lets go of the latest read, copying what is pending of it (an event cut by the read's
    /// end). Call it before waiting for the next read: the connection can reuse its read
    /// buffer only once no slice of it is held.
    pub fn release(&mut self) {
        if self.in_frame {
            self.keep_pending();
        }
    }

    /// Moves the pending bytes to the front of `buf`.
    fn keep_pending(&mut self) {
        if self.in_frame {
            self.buf.clear();
            self.buf.extend_from_slice(&self.frame[self.start..]);
            self.frame = bytes::Bytes::new();
            self.in_frame = false;
        } else if self.start == self.buf.len() {
            self.buf.clear();
        } else if self.start > 0 {
            self.buf.copy_within(self.start.., 0);
            self.buf.truncate(self.buf.len() - self.start);
        }
        self.start = 0;
    }

    /// Where the bytes being parsed are.
    fn src(&self) -> &[u8] {
        if self.in_frame {
            &self.frame
        } else {
            &self.buf
        }
    }

    /// Marks the end of the body: a trailing `\r` ends its line, and a last event without
    /// its blank line is delivered.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Bytes received but not yet part of a returned event (whitespace-only tails count).
    pub fn pending(&self) -> &[u8] {
        &self.src()[self.start..]
    }

    /// The next complete event's data, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Result<Option<&[u8]>, SseError> {
        loop {
            let from = self.start + self.cursor;
            let rest_len = self.src().len() - from;
            let searched = self.searched.min(rest_len);
            let found =
                memchr::memchr2(b'\n', b'\r', &self.src()[from + searched..]).map(|i| searched + i);
            let Some(i) = found else {
                self.searched = rest_len;
                let rest = &self.src()[from..];
                if self.eof && !rest.is_empty() {
                    // The last line had no terminator: take it as a full line.
                    self.handle_line(from, from + rest.len(), rest.len());
                    continue;
                }
                if self.eof && !self.data.is_empty() {
                    return Ok(Some(self.dispatch()));
                }
                if self.src().len() - self.start > self.max_event {
                    return Err(SseError::EventTooLarge {
                        limit: self.max_event,
                    });
                }
                return Ok(None);
            };
            let rest = &self.src()[from..];
            let term = if rest[i] == b'\r' {
                match rest.get(i + 1) {
                    Some(b'\n') => 2,
                    Some(_) => 1,
                    None if self.eof => 1,
                    // A `\r` at the end of a read may be followed by `\n` in the next one.
                    None => return Ok(None),
                }
            } else {
                1
            };
            if i == 0 {
                self.cursor += term;
                self.searched = 0;
                if self.data.is_empty() {
                    // A blank line with no data: nothing to dispatch; drop what was scanned.
                    self.start += self.cursor;
                    self.cursor = 0;
                    continue;
                }
                return Ok(Some(self.dispatch()));
            }
            self.handle_line(from, from + i, i + term);
        }
    }

    /// Records the line `buf[from..end]` and moves the cursor by `advance`.
    fn handle_line(&mut self, from: usize, end: usize, advance: usize) {
        self.cursor += advance;
        self.searched = 0;
        let line = &self.src()[from..end];
        if line[0] == b':' {
            return;
        }
        let (name, value_at) = match line.iter().position(|&b| b == b':') {
            Some(colon) => {
                let skip = usize::from(line.get(colon + 1) == Some(&b' '));
                (&line[..colon], colon + 1 + skip)
            }
            None => (line, line.len()),
        };
        if name == b"data" {
            self.data
                .push((from + value_at - self.start, end - self.start));
        }
    }

    /// Ends the pending event and returns its data.
    fn dispatch(&mut self) -> &[u8] {
        let base = self.start;
        self.start += self.cursor;
        self.cursor = 0;
        self.searched = 0;
        if self.data.len() == 1 {
            let (a, b) = self.data[0];
            self.data.clear();
            return &self.src()[base + a..base + b];
        }
        self.joined.clear();
        let src = if self.in_frame {
            &self.frame[..]
        } else {
            &self.buf[..]
        };
        for (n, &(a, b)) in self.data.iter().enumerate() {
            if n > 0 {
                self.joined.push(b'\n');
            }
            self.joined.extend_from_slice(&src[base + a..base + b]);
        }
        self.data.clear();
        &self.joined
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(parser: &mut SseParser) -> Vec<String> {
        let mut out = Vec::new();
        while let Some(data) = parser.next_event().unwrap() {
            out.push(String::from_utf8(data.to_vec()).unwrap());
        }
        out
    }

    /// Gives `parser` one read as the client does: appended to its own buffer when it offers
    /// it (an event cut by the previous read is pending), else parsed in place.
    fn give(parser: &mut SseParser, read: &[u8]) {
        match parser.append_target() {
            Some(buf) => buf.extend_from_slice(read),
            None => parser.push_bytes(bytes::Bytes::copy_from_slice(read)),
        }
    }

    /// Feeds `chunks` one read at a time and collects every event three ways: copying the
    /// reads, parsing them in place, and as the client does ([`give`]); all must agree.
    fn parse_reads(chunks: &[&[u8]]) -> Vec<String> {
        let mut copied = SseParser::default();
        let mut in_place = SseParser::default();
        let mut appended = SseParser::default();
        let (mut out, mut out_in_place, mut out_appended) = (Vec::new(), Vec::new(), Vec::new());
        for chunk in chunks {
            copied.push(chunk);
            out.extend(events(&mut copied));
            in_place.push_bytes(bytes::Bytes::copy_from_slice(chunk));
            out_in_place.extend(events(&mut in_place));
            in_place.release();
            give(&mut appended, chunk);
            out_appended.extend(events(&mut appended));
            appended.release();
        }
        copied.finish();
        out.extend(events(&mut copied));
        in_place.finish();
        out_in_place.extend(events(&mut in_place));
        appended.finish();
        out_appended.extend(events(&mut appended));
        assert_eq!(out, out_in_place);
        assert_eq!(out, out_appended, "appending to the parser's buffer");
        out
    }

    #[test]
    fn several_events_in_one_read_come_out_in_order() {
        let out = parse_reads(&[b"data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n"]);
        assert_eq!(out, ["{\"a\":1}", "{\"a\":2}", "[DONE]"]);
    }

    #[test]
    fn an_event_split_at_every_byte_is_reassembled() {
        let stream = b"data: {\"x\": \"y\"}\r\n\r\ndata: [DONE]\r\n\r\n";
        let reads: Vec<&[u8]> = stream.chunks(1).collect();
        assert_eq!(parse_reads(&reads), ["{\"x\": \"y\"}", "[DONE]"]);
    }

    #[test]
    fn a_crlf_split_between_reads_is_one_line_ending() {
        let out = parse_reads(&[b"data: one\r", b"\n\r", b"\ndata: two\r\n\r\n"]);
        assert_eq!(out, ["one", "two"]);
    }

    #[test]
    fn bare_cr_line_endings_are_accepted() {
        assert_eq!(parse_reads(&[b"data: a\r\rdata: b\r\r"]), ["a", "b"]);
    }

    #[test]
    fn comments_and_other_fields_are_skipped() {
        let out = parse_reads(&[b": keep-alive\n\nevent: message\nid: 7\nretry: 10\ndata: x\n\n"]);
        assert_eq!(out, ["x"]);
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        let out = parse_reads(&[b"data: {\"a\":\ndata:1}\ndata\n\n"]);
        assert_eq!(out, ["{\"a\":\n1}\n"]);
    }

    #[test]
    fn a_last_event_without_its_blank_line_is_delivered_at_the_end() {
        assert_eq!(
            parse_reads(&[b"data: a\n\ndata: [DONE]\n"]),
            ["a", "[DONE]"]
        );
        assert_eq!(parse_reads(&[b"data: [DONE]"]), ["[DONE]"]);
    }

    #[test]
    fn an_unfinished_event_waits_for_more_bytes() {
        let mut parser = SseParser::default();
        parser.push(b"data: {\"par");
        assert_eq!(parser.next_event().unwrap(), None);
        parser.push(b"tial\":1}\n");
        assert_eq!(parser.next_event().unwrap(), None);
        parser.push(b"\n");
        assert_eq!(parser.next_event().unwrap(), Some(&b"{\"partial\":1}"[..]));
    }

    #[test]
    fn reads_cut_anywhere_give_the_same_events() {
        let stream: &[u8] =
            b"data: {\"a\":1}\n\n: ping\r\n\r\ndata: x\ndata: y\r\rdata: [DONE]\n\n";
        let whole = parse_reads(&[stream]);
        assert_eq!(whole, ["{\"a\":1}", "x\ny", "[DONE]"]);
        for i in 0..stream.len() {
            for j in i..stream.len() {
                assert_eq!(
                    parse_reads(&[&stream[..i], &stream[i..j], &stream[j..]]),
                    whole,
                    "cut at {i} and {j}"
                );
            }
        }
    }

    #[test]
    fn a_read_of_whole_events_is_not_copied() {
        let read = bytes::Bytes::from_static(b"data: one\n\ndata: two\n\n");
        let mut parser = SseParser::default();
        parser.push_bytes(read.clone());
        let first = parser.next_event().unwrap().unwrap();
        assert_eq!(first, b"one");
        assert_eq!(first.as_ptr(), read[6..].as_ptr());
        assert_eq!(parser.next_event().unwrap(), Some(&b"two"[..]));
        assert_eq!(parser.next_event().unwrap(), None);
        assert_eq!(parser.buf.capacity(), 0);
    }

    #[test]
    fn a_released_read_keeps_only_its_cut_event() {
        let mut parser = SseParser::default();
        parser.push_bytes(bytes::Bytes::from_static(b"data: one\n\ndata: t"));
        assert_eq!(parser.next_event().unwrap(), Some(&b"one"[..]));
        assert_eq!(parser.next_event().unwrap(), None);
        parser.release();
        assert!(!parser.in_frame);
        assert!(parser.frame.is_empty());
        assert_eq!(parser.pending(), b"data: t");
        parser.push_bytes(bytes::Bytes::from_static(b"wo\n\n"));
        assert_eq!(parser.next_event().unwrap(), Some(&b"two"[..]));
    }

    #[test]
    fn only_a_pending_cut_event_offers_the_buffer_for_appending() {
        let mut parser = SseParser::default();
        assert!(parser.append_target().is_none(), "nothing pending");
        parser.push_bytes(bytes::Bytes::from_static(b"data: one\n\ndata: t"));
        assert_eq!(parser.next_event().unwrap(), Some(&b"one"[..]));
        assert_eq!(parser.next_event().unwrap(), None);
        assert!(parser.append_target().is_none(), "the read is still held");
        parser.release();
        let buf = parser.append_target().unwrap();
        assert_eq!(buf, b"data: t");
        buf.extend_from_slice(b"wo\n\ndata: three\n\n");
        assert_eq!(parser.next_event().unwrap(), Some(&b"two"[..]));
        assert_eq!(parser.next_event().unwrap(), Some(&b"three"[..]));
        assert_eq!(parser.next_event().unwrap(), None);
        assert!(parser.append_target().is_none(), "nothing pending any more");
    }

    /// A cumulative SGLang stream as the reference launches it: every id and all the text so
    /// far in each event, text with escapes and non-ASCII characters.
    fn cumulative_stream(tokens: u32, interval: u32) -> (Vec<u8>, Vec<u32>, String) {
        let words = [" a", "\\n", " \\u00e9", "\\\"", " é", "1"];
        let (mut stream, mut ids, mut text) = (Vec::new(), Vec::new(), String::new());
        let mut raw = (String::new(), String::new());
        for n in 0..tokens {
            ids.push(200_000 - n * 7);
            raw.0.push_str(words[n as usize % words.len()]);
            if !raw.1.is_empty() {
                raw.1.push(',');
            }
            raw.1.push_str(&ids[n as usize].to_string());
            if (n + 1) % interval == 0 || n + 1 == tokens {
                let finish = if n + 1 == tokens {
                    format!(r#"{{"type":"length","length":{tokens}}}"#)
                } else {
                    "null".to_owned()
                };
                let event = format!(
                    "data: {{\"text\":\"{}\",\"output_ids\":[{}],\"meta_info\":{{\"id\":\"r\",\"finish_reason\":{finish},\"completion_tokens\":{}}}}}\n\n",
                    raw.0, raw.1, n + 1
                );
                stream.extend_from_slice(event.as_bytes());
                text = serde_json::from_str(&format!("\"{}\"", raw.0)).unwrap();
            }
        }
        stream.extend_from_slice(b"data: [DONE]\n\n");
        (stream, ids, text)
    }

    /// The output ids and last text that the client's path (SSE appended as the client
    /// does, each chunk's new tail parsed, ids accumulated) takes out of `reads`.
    fn client_ids(reads: &[&[u8]]) -> (Vec<u32>, String) {
        let mut parser = SseParser::default();
        let (mut memo, mut tail) = (crate::fast::Memo::default(), Vec::new());
        let mut acc = crate::accum::TokenAccumulator::new();
        let mut last = Vec::new();
        for read in reads {
            give(&mut parser, read);
            while let Some(data) = parser.next_event().unwrap() {
                if data == b"[DONE]" {
                    continue;
                }
                let skip = acc.mirrors_chunk();
                let chunk = crate::wire::parse_chunk_tail(
                    crate::Backend::Sglang,
                    data,
                    &mut tail,
                    &mut memo,
                    skip,
                )
                .unwrap();
                acc.apply_tail(chunk.skipped, &tail, chunk.count);
                last = data.to_vec();
            }
            parser.release();
        }
        assert!(acc.is_consistent());
        let value: serde_json::Value = serde_json::from_slice(&last).unwrap();
        (
            acc.ids().to_vec(),
            value["text"].as_str().unwrap().to_owned(),
        )
    }

    #[test]
    fn a_cumulative_stream_cut_at_every_byte_gives_its_exact_ids_and_text() {
        let (stream, ids, text) = cumulative_stream(40, 7);
        assert!(text.contains("\n \u{e9}\" \u{e9}1"), "{text}");
        for cut in 0..=stream.len() {
            let (a, b) = stream.split_at(cut);
            assert_eq!(
                client_ids(&[a, b]),
                (ids.clone(), text.clone()),
                "cut at {cut}"
            );
        }
        for size in 1..64 {
            let reads: Vec<&[u8]> = stream.chunks(size).collect();
            assert_eq!(
                client_ids(&reads),
                (ids.clone(), text.clone()),
                "reads of {size}"
            );
        }
        // Long events (interval 1, about 13 KB at the end) in the client's read sizes.
        let (stream, ids, text) = cumulative_stream(1000, 1);
        for size in [1000, 8192, 65536] {
            let reads: Vec<&[u8]> = stream.chunks(size).collect();
            assert_eq!(
                client_ids(&reads),
                (ids.clone(), text.clone()),
                "reads of {size}"
            );
        }
    }

    #[test]
    fn an_event_over_the_limit_is_an_error() {
        let mut parser = SseParser::new(8);
        parser.push(b"data: 0123456789");
        assert_eq!(
            parser.next_event().unwrap_err().to_string(),
            "server-sent event larger than `8` bytes without a closing blank line"
        );
    }
}
