//! Reading a response body as it arrives: each piece is handed out as soon as its bytes are
//! in the buffer (no copy: a `Bytes` view of the read buffer), with the arrival time of the
//! read that completed it.
//!
//! The framing (`Content-Length`, chunked, until close) is a [`Decoder`] over a buffer and
//! knows nothing of sockets, so it can be tested and fuzzed on bytes alone
//! ([`check_http_response`]); [`Body`] feeds it a connection's reads.

use std::time::Instant;

use bytes::{Buf, Bytes, BytesMut};

use super::conn::Conn;
use super::head::{self, Framing, Head};
use crate::{ErrorKind, Failure};

/// The longest chunk-size or trailer line accepted.
const MAX_LINE_BYTES: usize = 4096;

/// Data of at least this many bytes still to come may be read straight into the caller's
/// buffer ([`Body::frame_into`]); shorter rests go through the connection's buffer, so a
/// read there can also take the framing and the events after them.
const MIN_DIRECT_READ: usize = 8 * 1024;

/// The most one direct read takes (so a huge declared chunk reserves no more than this).
const MAX_DIRECT_READ: usize = 1 << 20;

/// What [`Body::frame_into`] read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Frame {
    /// A piece of the body: a view of the connection's buffer.
    Piece(Bytes),
    /// This many bytes of the body, appended to the given buffer.
    Appended(usize),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Length(u64),
    UntilClose,
    ChunkSize,
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    Trailers,
    Done,
}

/// What the buffered bytes gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Step {
    /// The next piece of the body (a view of the buffer's front, split off it).
    Piece(Bytes),
    /// The body's end; the bytes after it stay in the buffer.
    End,
    /// Nothing more until more bytes arrive.
    NeedMore,
}

/// The framing of one body as a state machine over a read buffer: no I/O, no clock.
#[derive(Debug)]
pub(crate) struct Decoder {
    state: State,
}

impl Decoder {
    pub(crate) fn new(framing: Framing) -> Decoder {
        let state = match framing {
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkSize,
            Framing::UntilClose => State::UntilClose,
        };
        Decoder { state }
    }

    /// Whether the body was read to its end.
    pub(crate) fn is_done(&self) -> bool {
        self.state == State::Done
    }

    /// Goes as far as the bytes in `buf` allow, consuming what it reads: a piece, the end, or
    /// a request for more bytes.
    pub(crate) fn step(&mut self, buf: &mut BytesMut) -> Result<Step, Failure> {
        loop {
            match self.state {
                State::Done => return Ok(Step::End),
                State::Length(0) => self.state = State::Done,
                State::Length(left) | State::ChunkData(left) => {
                    if buf.is_empty() {
                        return Ok(Step::NeedMore);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    self.consumed(take);
                    return Ok(Step::Piece(buf.split_to(take).freeze()));
                }
                State::UntilClose => {
                    if buf.is_empty() {
                        return Ok(Step::NeedMore);
                    }
                    return Ok(Step::Piece(buf.split().freeze()));
                }
                State::ChunkSize => {
                    let Some(end) = line_end(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    let size = chunk_size(&buf[..end])?;
                    buf.advance(end + 1);
                    self.state = if size == 0 {
                        State::Trailers
                    } else {
                        State::ChunkData(size)
                    };
                }
                State::ChunkEnd => {
                    let Some(end) = line_end(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    if !matches!(&buf[..end], b"" | b"\r") {
                        return Err(protocol("chunk data longer than its size"));
                    }
                    buf.advance(end + 1);
                    self.state = State::ChunkSize;
                }
                State::Trailers => {
                    let Some(end) = line_end(buf)? else {
                        return Ok(Step::NeedMore);
                    };
                    let blank = matches!(&buf[..end], b"" | b"\r");
                    buf.advance(end + 1);
                    if blank {
                        self.state = State::Done;
                    }
                }
            }
        }
    }

    /// How many bytes of data come next before any framing (the rest of a chunk or of a
    /// `Content-Length` body), when that is where the decoder is.
    fn data_left(&self) -> Option<u64> {
        match self.state {
            State::Length(left) | State::ChunkData(left) if left > 0 => Some(left),
            _ => None,
        }
    }

    /// Counts `n` bytes of data (at most [`Decoder::data_left`]) as read.
    fn consumed(&mut self, n: usize) {
        self.state = match self.state {
            State::Length(left) => State::Length(left - n as u64),
            State::ChunkData(left) if left == n as u64 => State::ChunkEnd,
            State::ChunkData(left) => State::ChunkData(left - n as u64),
            state => state,
        };
    }

    /// The server closed the connection after [`Step::NeedMore`]: the end of a body that runs
    /// until close, else an error saying what was missing.
    pub(crate) fn at_eof(&mut self) -> Result<(), Failure> {
        let missing = match self.state {
            State::UntilClose | State::Done => {
                self.state = State::Done;
                return Ok(());
            }
            State::Length(n) => format!("{n} bytes before the body's end"),
            _ => "before the last chunk".to_owned(),
        };
        Err(Failure::new(
            ErrorKind::Io,
            format!("connection failed while reading the body: the server closed it {missing}"),
        ))
    }
}

/// The body of one response; owns its connection until the body ends.
pub(crate) struct Body {
    conn: Conn,
    decoder: Decoder,
    keep_alive: bool,
}

impl Body {
    pub(crate) fn new(conn: Conn, head: &Head) -> Body {
        Body {
            conn,
            decoder: Decoder::new(head.framing),
            keep_alive: head.keep_alive,
        }
    }

    /// The next piece of the body and when its last byte arrived; `None` at the body's end.
    pub(crate) async fn frame(&mut self) -> Result<Option<(Bytes, Instant)>, Failure> {
        loop {
            match self.decoder.step(&mut self.conn.buf)? {
                Step::Piece(piece) => return Ok(Some((piece, self.conn.last_read))),
                Step::End => return Ok(None),
                Step::NeedMore => {}
            }
            let n = self.conn.fill().await.map_err(read_failed)?;
            if n == 0 {
                self.decoder.at_eof()?;
                return Ok(None);
            }
        }
    }

    /// As [`Body::frame`], except that when a large stretch of data comes next and nothing of
    /// it is buffered, as much of it as one read gives is appended to `sink` instead (up to
    /// [`MAX_DIRECT_READ`] bytes, never past the data into the framing after it).
    pub(crate) async fn frame_into(
        &mut self,
        sink: Option<&mut Vec<u8>>,
    ) -> Result<Option<(Frame, Instant)>, Failure> {
        let left = self.decoder.data_left().unwrap_or(0);
        let Some(sink) =
            sink.filter(|_| self.conn.buf.is_empty() && left >= MIN_DIRECT_READ as u64)
        else {
            return Ok(self
                .frame()
                .await?
                .map(|(piece, at)| (Frame::Piece(piece), at)));
        };
        let max = usize::try_from(left)
            .unwrap_or(usize::MAX)
            .min(MAX_DIRECT_READ);
        let n = self.conn.fill_into(sink, max).await.map_err(read_failed)?;
        if n == 0 {
            self.decoder.at_eof()?;
            return Ok(None);
        }
        self.decoder.consumed(n);
        Ok(Some((Frame::Appended(n), self.conn.last_read)))
    }

    /// The connection, when the body was read to its end and it can carry another request.
    pub(crate) fn into_reusable(self) -> Option<Conn> {
        let Body {
            mut conn,
            decoder,
            keep_alive,
        } = self;
        (decoder.is_done() && keep_alive && conn.buf.is_empty()).then(|| {
            conn.idle_since = Instant::now();
            conn
        })
    }
}

fn read_failed(e: std::io::Error) -> Failure {
    Failure::new(
        ErrorKind::Io,
        format!("connection failed while reading the body: {e}"),
    )
}

fn protocol(what: &str) -> Failure {
    Failure::new(ErrorKind::Protocol, format!("HTTP protocol error: {what}"))
}

/// Where the buffered line ends (its `\n`), if it is all there.
fn line_end(buf: &[u8]) -> Result<Option<usize>, Failure> {
    match memchr::memchr(b'\n', buf) {
        Some(i) if i <= MAX_LINE_BYTES => Ok(Some(i)),
        None if buf.len() <= MAX_LINE_BYTES => Ok(None),
        _ => Err(protocol(&format!(
            "chunk-size or trailer line longer than {MAX_LINE_BYTES} bytes"
        ))),
    }
}

/// The size in a chunk-size line (hex digits, then optional `;extensions`).
fn chunk_size(line: &[u8]) -> Result<u64, Failure> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let digits = line
        .split(|&b| b == b';')
        .next()
        .unwrap_or_default()
        .trim_ascii();
    let bad = || {
        protocol(&format!(
            "bad chunk size `{}`",
            String::from_utf8_lossy(&line[..line.len().min(40)])
        ))
    };
    if digits.is_empty() || digits.len() > 15 {
        return Err(bad());
    }
    digits.iter().try_fold(0u64, |n, &d| {
        let v = (d as char).to_digit(16).ok_or_else(bad)?;
        Ok(n << 4 | u64::from(v))
    })
}

/// How decoding a body from a byte string ended.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// The body ended with this many input bytes after it.
    End { left: usize },
    /// The input ran out first; what the decoder said when told the connection closed.
    Eof(Result<(), Failure>),
    /// The decoder failed.
    Failed(Failure),
}

/// Decodes `input` fed in reads of `read` bytes, each given only once the decoder asks for
/// more, as `Body::frame` does: the body's bytes and how it ended. With `direct`, data with
/// nothing of it buffered is read straight into the body, as `Body::frame_into` does (here
/// from the first byte, not only past `MIN_DIRECT_READ`).
fn decode(framing: Framing, input: &[u8], read: usize, direct: bool) -> (Vec<u8>, Outcome) {
    let mut decoder = Decoder::new(framing);
    let mut buf = BytesMut::new();
    let mut body = Vec::new();
    let mut fed: usize = 0;
    loop {
        if let Some(left) = decoder.data_left().filter(|_| direct && buf.is_empty()) {
            let max = usize::try_from(left).unwrap_or(usize::MAX).min(read);
            let next = fed.saturating_add(max).min(input.len());
            if next == fed {
                return (body, Outcome::Eof(decoder.at_eof()));
            }
            body.extend_from_slice(&input[fed..next]);
            decoder.consumed(next - fed);
            fed = next;
            continue;
        }
        match decoder.step(&mut buf) {
            Ok(Step::Piece(piece)) => {
                assert!(!piece.is_empty(), "an empty piece");
                body.extend_from_slice(&piece);
            }
            Ok(Step::End) => {
                let left = buf.len() + (input.len() - fed);
                return (body, Outcome::End { left });
            }
            Ok(Step::NeedMore) if fed < input.len() => {
                let next = fed.saturating_add(read).min(input.len());
                buf.extend_from_slice(&input[fed..next]);
                fed = next;
            }
            Ok(Step::NeedMore) => return (body, Outcome::Eof(decoder.at_eof())),
            Err(failure) => return (body, Outcome::Failed(failure)),
        }
    }
}

/// Parses `data[1..]` as a response (returning quietly when its head is partial or bad;
/// `1xx` heads skipped) and decodes its body twice: in reads of `data[0]` bytes (at least 1)
/// and all at once. Both must give the same body, no longer than the input, and end the same
/// way (panics otherwise). For the tests and the `http_response` fuzz target; not part of the
/// client's API.
#[doc(hidden)]
pub fn check_http_response(data: &[u8]) {
    let Some((&split, mut input)) = data.split_first() else {
        return;
    };
    // Informational heads are skipped, as `Conn::exchange` does.
    let head = loop {
        let Ok(Some((head, len))) = head::parse(input) else {
            return;
        };
        input = &input[len..];
        match head.status {
            101 => return,
            100..=199 => {}
            _ => break head,
        }
    };
    let read = usize::from(split).max(1);
    let (split_body, split_end) = decode(head.framing, input, read, false);
    let (whole_body, whole_end) = decode(head.framing, input, usize::MAX, false);
    let (direct_body, direct_end) = decode(head.framing, input, read, true);
    assert!(
        whole_body.len() <= input.len(),
        "a body longer than the input"
    );
    assert!(
        split_body == whole_body,
        "reads of {split} bytes give another body than one read"
    );
    assert_eq!(
        split_end, whole_end,
        "reads of {split} bytes end otherwise than one read"
    );
    assert!(
        direct_body == whole_body,
        "direct reads of {split} bytes give another body than one read"
    );
    assert_eq!(
        direct_end, whole_end,
        "direct reads of {split} bytes end otherwise than one read"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn io(what: &str) -> Failure {
        Failure::new(
            ErrorKind::Io,
            format!("connection failed while reading the body: the server closed it {what}"),
        )
    }

    /// The body and outcome of `input`, checked to be the same for every read size, through
    /// the connection's buffer and read straight into the body.
    fn decode_all_ways(framing: Framing, input: &[u8]) -> (Vec<u8>, Outcome) {
        let whole = decode(framing, input, usize::MAX, false);
        for read in 1..=input.len() {
            assert_eq!(
                decode(framing, input, read, false),
                whole,
                "reads of {read}"
            );
            assert_eq!(
                decode(framing, input, read, true),
                whole,
                "direct reads of {read}"
            );
        }
        whole
    }

    #[test]
    fn a_chunked_body_read_byte_by_byte_is_the_same_as_read_whole() {
        let input = b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\nHTTP/1.1 200";
        let (body, end) = decode(Framing::Chunked, input, 1, false);
        assert_eq!(body, b"hello world");
        assert_eq!(end, Outcome::End { left: 12 });
        assert_eq!(
            decode(Framing::Chunked, input, usize::MAX, false),
            (body, end)
        );
        decode_all_ways(Framing::Chunked, input);
    }

    #[test]
    fn pieces_are_views_of_the_buffer() {
        let mut buf = BytesMut::from(&b"5\r\nhello\r\n"[..]);
        let start = buf.as_ptr();
        let mut decoder = Decoder::new(Framing::Chunked);
        let Ok(Step::Piece(piece)) = decoder.step(&mut buf) else {
            panic!("no piece");
        };
        assert_eq!(&piece[..], b"hello");
        assert_eq!(piece.as_ptr(), start.wrapping_add(3));
        assert_eq!(decoder.step(&mut buf), Ok(Step::NeedMore));
        assert!(buf.is_empty());
    }

    #[test]
    fn chunk_extensions_and_trailers_are_skipped() {
        let input =
            b"3;name=\"v\";x\r\nabc\r\n2 ; y\nde\n0;last\r\nX-Checksum: 1\r\nX-Other: 2\n\r\n";
        assert_eq!(
            decode_all_ways(Framing::Chunked, input),
            (b"abcde".to_vec(), Outcome::End { left: 0 })
        );
    }

    #[test]
    fn a_length_body_stops_at_its_length_and_leaves_what_follows() {
        let mut buf = BytesMut::from(&b"hello, worldHTTP/1.1 100"[..]);
        let mut decoder = Decoder::new(Framing::Length(12));
        assert_eq!(
            decoder.step(&mut buf),
            Ok(Step::Piece(Bytes::from_static(b"hello, world")))
        );
        assert_eq!(decoder.step(&mut buf), Ok(Step::End));
        assert!(decoder.is_done());
        assert_eq!(&buf[..], b"HTTP/1.1 100");
        // No body at all: the end at once, the buffer untouched.
        let mut decoder = Decoder::new(Framing::Length(0));
        assert_eq!(decoder.step(&mut buf), Ok(Step::End));
        assert_eq!(buf.len(), 12);
        assert_eq!(
            decode_all_ways(Framing::Length(5), b"helloXY"),
            (b"hello".to_vec(), Outcome::End { left: 2 })
        );
    }

    #[test]
    fn bad_chunk_framing_is_a_protocol_error() {
        assert_eq!(
            decode_all_ways(Framing::Chunked, b"3\r\nabcd\r\n0\r\n\r\n"),
            (
                b"abc".to_vec(),
                Outcome::Failed(protocol("chunk data longer than its size"))
            )
        );
        assert_eq!(
            decode_all_ways(Framing::Chunked, b"2\r\nab\r\nzz\r\n"),
            (
                b"ab".to_vec(),
                Outcome::Failed(protocol("bad chunk size `zz`"))
            )
        );
        let long = [b'1'; MAX_LINE_BYTES + 1];
        assert_eq!(
            decode(Framing::Chunked, &long, 100, false),
            (
                Vec::new(),
                Outcome::Failed(protocol(
                    "chunk-size or trailer line longer than 4096 bytes"
                ))
            )
        );
    }

    #[test]
    fn an_until_close_body_ends_at_eof() {
        assert_eq!(
            decode_all_ways(Framing::UntilClose, b"{\"text\":\"hi\"}"),
            (b"{\"text\":\"hi\"}".to_vec(), Outcome::Eof(Ok(())))
        );
        let mut decoder = Decoder::new(Framing::UntilClose);
        assert_eq!(decoder.step(&mut BytesMut::new()), Ok(Step::NeedMore));
        assert_eq!(decoder.at_eof(), Ok(()));
        assert!(decoder.is_done());
    }

    #[test]
    fn eof_inside_a_length_or_chunked_body_is_an_io_error() {
        assert_eq!(
            decode_all_ways(Framing::Length(10), b"hello"),
            (
                b"hello".to_vec(),
                Outcome::Eof(Err(io("5 bytes before the body's end")))
            )
        );
        for (input, body) in [
            (&b"5\r\nhel"[..], &b"hel"[..]),
            (b"5\r\nhello\r", b"hello"),
            (b"5\r\nhello\r\n", b"hello"),
            (b"5\r\nhello\r\n0\r\nX-Trailer: 1\r\n", b"hello"),
            (b"", b""),
        ] {
            assert_eq!(
                decode_all_ways(Framing::Chunked, input),
                (
                    body.to_vec(),
                    Outcome::Eof(Err(io("before the last chunk")))
                )
            );
        }
    }

    #[test]
    fn direct_reads_stop_at_the_end_of_a_chunk_s_data() {
        let mut decoder = Decoder::new(Framing::Chunked);
        let mut buf = BytesMut::from(&b"a\r\n01"[..]);
        assert_eq!(
            decoder.step(&mut buf),
            Ok(Step::Piece(Bytes::from_static(b"01")))
        );
        assert_eq!(decoder.data_left(), Some(8));
        decoder.consumed(5);
        assert_eq!(decoder.data_left(), Some(3));
        decoder.consumed(3);
        assert_eq!(decoder.data_left(), None, "the chunk's CRLF is framing");
        let mut buf = BytesMut::from(&b"\r\n0\r\n\r\n"[..]);
        assert_eq!(decoder.step(&mut buf), Ok(Step::End));
        let mut decoder = Decoder::new(Framing::Length(4));
        decoder.consumed(4);
        assert_eq!(decoder.data_left(), None);
        assert_eq!(decoder.step(&mut BytesMut::new()), Ok(Step::End));
        assert_eq!(Decoder::new(Framing::UntilClose).data_left(), None);
    }

    #[test]
    fn the_checker_passes_the_fuzz_seeds() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fuzz/corpus/http_response"
        );
        let mut seeds = 0;
        for entry in std::fs::read_dir(dir).unwrap() {
            let data = std::fs::read(entry.unwrap().path()).unwrap();
            assert!(head::parse(&data[1..]).is_ok_and(|h| h.is_some()));
            check_http_response(&data);
            seeds += 1;
        }
        assert!(seeds >= 5, "{seeds} seeds");
    }

    #[test]
    fn chunk_sizes_are_hex_with_optional_extensions() {
        assert_eq!(chunk_size(b"1a\r").ok(), Some(26));
        assert_eq!(chunk_size(b"0").ok(), Some(0));
        assert_eq!(chunk_size(b"FF;name=value\r").ok(), Some(255));
        assert_eq!(chunk_size(b"10 ;x").ok(), Some(16));
        assert_eq!(
            chunk_size(b"zz\r").map_err(|f| f.message),
            Err("HTTP protocol error: bad chunk size `zz`".to_owned())
        );
        assert!(chunk_size(b"\r").is_err());
        assert!(chunk_size(b"1000000000000000").is_err());
    }
}
