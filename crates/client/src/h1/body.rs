//! Reading a response body as it arrives: each piece is handed out as soon as its bytes are
//! in the buffer (no copy: a `Bytes` view of the read buffer), with the arrival time of the
//! read that completed it.

use std::time::Instant;

use bytes::{Buf, Bytes};

use super::conn::Conn;
use super::head::{Framing, Head};
use crate::{ErrorKind, Failure};

/// The longest chunk-size or trailer line accepted.
const MAX_LINE_BYTES: usize = 4096;

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

/// The body of one response; owns its connection until the body ends.
pub(crate) struct Body {
    conn: Conn,
    state: State,
    keep_alive: bool,
}

impl Body {
    pub(crate) fn new(conn: Conn, head: &Head) -> Body {
        let state = match head.framing {
            Framing::Length(n) => State::Length(n),
            Framing::Chunked => State::ChunkSize,
            Framing::UntilClose => State::UntilClose,
        };
        Body {
            conn,
            state,
            keep_alive: head.keep_alive,
        }
    }

    /// The next piece of the body and when its last byte arrived; `None` at the body's end.
    pub(crate) async fn frame(&mut self) -> Result<Option<(Bytes, Instant)>, Failure> {
        loop {
            if let Some(step) = self.step()? {
                return Ok(step);
            }
            let n = self.conn.fill().await.map_err(|e| {
                Failure::new(
                    ErrorKind::Io,
                    format!("connection failed while reading the body: {e}"),
                )
            })?;
            if n == 0 {
                if self.state == State::UntilClose {
                    self.state = State::Done;
                    return Ok(None);
                }
                let missing = match self.state {
                    State::Length(n) => format!("{n} bytes before the body's end"),
                    _ => "before the last chunk".to_owned(),
                };
                return Err(Failure::new(
                    ErrorKind::Io,
                    format!(
                        "connection failed while reading the body: the server closed it {missing}"
                    ),
                ));
            }
        }
    }

    /// Goes as far as the buffered bytes allow: a piece or the end, or `None` when more bytes
    /// are needed.
    #[allow(clippy::option_option)]
    fn step(&mut self) -> Result<Option<Option<(Bytes, Instant)>>, Failure> {
        let buf = &mut self.conn.buf;
        loop {
            match self.state {
                State::Done => return Ok(Some(None)),
                State::Length(0) => self.state = State::Done,
                State::Length(left) | State::ChunkData(left) => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let take = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
                    let left = left - take as u64;
                    self.state = match self.state {
                        State::Length(_) => State::Length(left),
                        _ if left == 0 => State::ChunkEnd,
                        _ => State::ChunkData(left),
                    };
                    let piece = buf.split_to(take).freeze();
                    return Ok(Some(Some((piece, self.conn.last_read))));
                }
                State::UntilClose => {
                    if buf.is_empty() {
                        return Ok(None);
                    }
                    let piece = buf.split().freeze();
                    return Ok(Some(Some((piece, self.conn.last_read))));
                }
                State::ChunkSize => {
                    let Some(end) = line_end(buf)? else {
                        return Ok(None);
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
                        return Ok(None);
                    };
                    if !matches!(&buf[..end], b"" | b"\r") {
                        return Err(protocol("chunk data longer than its size"));
                    }
                    buf.advance(end + 1);
                    self.state = State::ChunkSize;
                }
                State::Trailers => {
                    let Some(end) = line_end(buf)? else {
                        return Ok(None);
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

    /// The connection, when the body was read to its end and it can carry another request.
    pub(crate) fn into_reusable(self) -> Option<Conn> {
        let Body {
            mut conn,
            state,
            keep_alive,
        } = self;
        (state == State::Done && keep_alive && conn.buf.is_empty()).then(|| {
            conn.idle_since = Instant::now();
            conn
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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
