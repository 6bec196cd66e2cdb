//! One connection: its socket, its read buffer and the arrival time of its latest read.

use std::future::{poll_fn, Future};
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{ready, Context, Poll};
use std::time::Instant;

use bytes::{Buf, BytesMut};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpSocket, TcpStream};

use super::head::{self, Head};
use super::tls::{Tls, TlsStream};

/// The read buffer of each connection (docs/PERFORMANCE.md, memory at 5,000 streams): about
/// 40 one-token SSE events fit in one read.
const READ_BUF_BYTES: usize = 8 * 1024;

/// A read is made only with this much room; with less, the buffer is reclaimed or grown.
const MIN_READ_ROOM: usize = 1024;

/// The most a direct read ([`Conn::fill_into`]) takes from a TLS session: a few records.
const MAX_TLS_DIRECT_READ: usize = 64 * 1024;

/// The longest response head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;

/// An open connection to a server.
pub(crate) struct Conn {
    stream: TcpStream,
    /// The TLS session of an https connection.
    tls: Option<Box<TlsStream>>,
    /// Bytes read and not yet handed out.
    pub(super) buf: BytesMut,
    /// When the bytes of the latest read reached the socket (the kernel's receive stamp, or
    /// the read itself where there is none).
    pub(super) last_read: Instant,
    /// Whether it waited in the pool (so a failure before any answer may be a keep-alive
    /// connection the server closed while it was idle).
    pub(crate) pooled: bool,
    /// When it went back to the pool.
    pub(super) idle_since: Instant,
}

/// Why an exchange failed.
#[derive(Debug)]
pub(crate) enum ExchangeError {
    /// No connection could be made.
    Connect(io::Error),
    /// No byte of an answer arrived: the write failed, or the connection closed or was reset
    /// first. The server cannot have answered, so the request may go elsewhere.
    BeforeAnswer(io::Error),
    /// The connection failed or closed in the middle of the response head.
    InHead(io::Error),
    /// The answer is not an HTTP/1 response.
    Protocol(String),
}

impl Conn {
    /// Connects with the socket options of the hot path: no Nagle delay, keep-alive probes
    /// and, where the kernel has them, receive timestamps; with `tls`, runs the handshake with
    /// `host` too.
    pub(super) async fn connect(addr: SocketAddr, tls: Option<(&Tls, &str)>) -> io::Result<Conn> {
        let socket = if addr.is_ipv4() {
            TcpSocket::new_v4()?
        } else {
            TcpSocket::new_v6()?
        };
        socket.set_keepalive(true)?;
        let stream = socket.connect(addr).await?;
        stream.set_nodelay(true)?;
        // Without kernel stamps, reads are stamped when they happen: later, never wrong.
        let _ = ossperf_rxstamp::enable(&stream);
        let tls = match tls {
            Some((tls, host)) => Some(Box::new(handshake(&stream, tls, host)?.await?)),
            None => None,
        };
        let now = Instant::now();
        Ok(Conn {
            stream,
            tls,
            buf: BytesMut::with_capacity(READ_BUF_BYTES),
            last_read: now,
            pooled: false,
            idle_since: now,
        })
    }

    /// Sends what the socket takes of a request now, without waiting: the bytes written.
    /// Callable from any thread.
    pub(crate) fn try_send(&mut self, head: &[u8], body: &[u8]) -> io::Result<usize> {
        if let Some(tls) = &mut self.tls {
            // The session takes the whole request; what the socket does not take now leaves
            // with the exchange's flush.
            tls.put(head)?;
            tls.put(body)?;
            tls.try_flush(&self.stream)?;
            return Ok(head.len() + body.len());
        }
        let (slices, count) = request_slices(head, body, 0);
        match self.stream.try_write_vectored(&slices[..count]) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(0),
            done => done,
        }
    }

    /// Sends a request (`head` and `body` in one `writev` where the socket takes it all; the
    /// first `written` bytes were sent already) and reads the answer's head, skipping
    /// informational (`1xx`) ones.
    pub(crate) async fn exchange(
        &mut self,
        head: &[u8],
        body: &[u8],
        written: usize,
    ) -> Result<Head, ExchangeError> {
        self.write_all(head, body, written)
            .await
            .map_err(ExchangeError::BeforeAnswer)?;
        let mut answered = !self.buf.is_empty();
        loop {
            if let Some((head, len)) = head::parse(&self.buf).map_err(ExchangeError::Protocol)? {
                self.buf.advance(len);
                match head.status {
                    101 => {
                        return Err(ExchangeError::Protocol(
                            "unexpected `101 Switching Protocols`".to_owned(),
                        ))
                    }
                    100..=199 => continue,
                    _ => return Ok(head),
                }
            }
            if self.buf.len() > MAX_HEAD_BYTES {
                return Err(ExchangeError::Protocol(format!(
                    "response head longer than {MAX_HEAD_BYTES} bytes"
                )));
            }
            match self.fill().await {
                Ok(0) if !answered => {
                    return Err(ExchangeError::BeforeAnswer(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection",
                    )))
                }
                Ok(0) => {
                    return Err(ExchangeError::InHead(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the server closed the connection inside the response head",
                    )))
                }
                Ok(_) => answered = true,
                Err(e) if !answered => return Err(ExchangeError::BeforeAnswer(e)),
                Err(e) => return Err(ExchangeError::InHead(e)),
            }
        }
    }

    async fn write_all(&mut self, head: &[u8], body: &[u8], written: usize) -> io::Result<()> {
        if let Some(tls) = &mut self.tls {
            let (slices, count) = request_slices(head, body, written);
            for slice in &slices[..count] {
                tls.put(slice)?;
            }
            return tls.flush(&self.stream).await;
        }
        let (mut slices, count) = request_slices(head, body, written);
        let mut rest = &mut slices[..count];
        while !rest.is_empty() {
            let n = self.stream.write_vectored(rest).await?;
            if n == 0 {
                return Err(io::ErrorKind::WriteZero.into());
            }
            IoSlice::advance_slices(&mut rest, n);
        }
        Ok(())
    }

    /// Reads once more into the buffer; 0 is the end of the stream.
    pub(super) async fn fill(&mut self) -> io::Result<usize> {
        poll_fn(|cx| self.poll_fill(cx)).await
    }

    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.buf.is_empty() {
            // Everything read was handed out: once those pieces are gone, read at the buffer's
            // start again instead of walking its whole length, so a stream of short reads (one
            // event at a time) keeps to the first page and leaves the rest untouched, out of
            // the resident set (docs/PERFORMANCE.md, "Peak RSS at 5,000 streams, again").
            // Never allocates; a no-op while a piece is still held.
            let _ = self.buf.try_reclaim(READ_BUF_BYTES);
        }
        if self.buf.capacity() - self.buf.len() < MIN_READ_ROOM {
            // Reclaims the buffer once every handed-out piece of it is gone.
            self.buf.reserve(READ_BUF_BYTES);
        }
        let (n, at) = match &mut self.tls {
            None => {
                let (n, at) = ready!(ossperf_rxstamp::poll_read(
                    &self.stream,
                    cx,
                    self.buf.spare_capacity_mut()
                ))?;
                #[allow(unsafe_code)]
                // SAFETY: the receive initialised the first `n` bytes of the spare capacity.
                unsafe {
                    self.buf.set_len(self.buf.len() + n);
                }
                (n, at)
            }
            Some(tls) => {
                let filled = self.buf.len();
                self.buf.resize(self.buf.capacity(), 0);
                let read = tls.poll_read(&self.stream, cx, &mut self.buf[filled..]);
                let n = match &read {
                    Poll::Ready(Ok((n, _))) => *n,
                    _ => 0,
                };
                self.buf.truncate(filled + n);
                ready!(read)?
            }
        };
        self.stamp(at);
        Poll::Ready(Ok(n))
    }

    /// Reads once, at most `max` bytes, appending them to `dst` instead of the connection's
    /// buffer (which must hold nothing): a large event's body lands where it is parsed, in
    /// one read, not in 8 KiB pieces copied there. 0 is the end of the stream.
    pub(super) async fn fill_into(&mut self, dst: &mut Vec<u8>, max: usize) -> io::Result<usize> {
        debug_assert!(self.buf.is_empty());
        dst.reserve(max);
        poll_fn(|cx| {
            let filled = dst.len();
            let (n, at) = match &mut self.tls {
                None => {
                    let room = &mut dst.spare_capacity_mut()[..max];
                    let (n, at) = ready!(ossperf_rxstamp::poll_read(&self.stream, cx, room))?;
                    #[allow(unsafe_code)]
                    // SAFETY: the receive initialised the first `n` bytes of the spare capacity.
                    unsafe {
                        dst.set_len(filled + n);
                    }
                    (n, at)
                }
                Some(tls) => {
                    // The session reads into initialised bytes: zero no more than it gives.
                    dst.resize(filled + max.min(MAX_TLS_DIRECT_READ), 0);
                    let read = tls.poll_read(&self.stream, cx, &mut dst[filled..]);
                    let n = match &read {
                        Poll::Ready(Ok((n, _))) => *n,
                        _ => 0,
                    };
                    dst.truncate(filled + n);
                    ready!(read)?
                }
            };
            self.stamp(at);
            Poll::Ready(Ok(n))
        })
        .await
    }

    /// Records when the latest read's bytes arrived.
    fn stamp(&mut self, at: Option<Instant>) {
        self.last_read = arrival(self.last_read, at, Instant::now());
    }

    /// Whether an idle connection is still quiet: nothing to read and not closed by the
    /// server. One non-blocking read; only asked of connections idle for a while.
    pub(super) fn is_quiet(&self) -> bool {
        // A peek, so a TLS session's bytes are left where they are.
        let mut byte = [MaybeUninit::uninit(); 1];
        let mut buf = tokio::io::ReadBuf::uninit(&mut byte);
        let mut cx = Context::from_waker(std::task::Waker::noop());
        self.stream.poll_peek(&mut cx, &mut buf).is_pending()
    }
}

/// The TLS handshake of a new connection, boxed: its future holds the session, kilobytes that
/// would otherwise sit inline in the future of every request, over http too, for as long as
/// the request lives (docs/PERFORMANCE.md, "Peak RSS at 5,000 streams, again").
fn handshake<'a>(
    stream: &'a TcpStream,
    tls: &Tls,
    host: &str,
) -> io::Result<Pin<Box<impl Future<Output = io::Result<TlsStream>> + 'a>>> {
    Ok(Box::pin(TlsStream::handshake(stream, tls.session(host)?)))
}

/// When a read's bytes arrived: the kernel's stamp `at` (never after the read, `now`), or
/// the read itself. Never before `previous`, the connection's last arrival: a socket's bytes
/// arrive in order, but each kernel stamp is mapped to an [`Instant`] on its own, and two
/// mappings of one packet's stamp (read in two pieces) or of two packets nanoseconds apart can
/// come out in the wrong order; a completion must never be stamped before its first token.
fn arrival(previous: Instant, at: Option<Instant>, now: Instant) -> Instant {
    at.map_or(now, |at| at.min(now)).max(previous)
}

/// The unsent part of a request as the slices of one `writev`, and how many of them there are
/// (none when all was sent).
fn request_slices<'a>(head: &'a [u8], body: &'a [u8], written: usize) -> ([IoSlice<'a>; 2], usize) {
    let (first, second) = match written.checked_sub(head.len()) {
        None => (&head[written..], body),
        Some(into_body) => (body.get(into_body..).unwrap_or_default(), &[][..]),
    };
    let count = usize::from(!first.is_empty()) + usize::from(!second.is_empty());
    ([IoSlice::new(first), IoSlice::new(second)], count)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The resident set at 5,000 streams counts on this (docs/PERFORMANCE.md): a connection
    /// whose reads are all handed out and dropped reads at its buffer's start again, so short
    /// reads keep to the buffer's first page; a piece still held leaves the buffer where it is.
    #[test]
    fn a_drained_buffer_is_read_from_its_start_again() {
        use std::io::Write;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            let addr = listener.local_addr().unwrap();
            let mut conn = Conn::connect(addr, None).await.unwrap();
            let (mut server, _) = listener.accept().unwrap();
            let start = conn.buf.as_ptr();
            // Reads until `n` bytes are buffered; the offset of the first from the start.
            async fn read(conn: &mut Conn, server: &mut std::net::TcpStream, n: usize) -> usize {
                server.write_all(&vec![b'x'; n]).unwrap();
                while conn.buf.len() < n {
                    assert_ne!(conn.fill().await.unwrap(), 0);
                }
                conn.buf.as_ptr() as usize
            }
            assert_eq!(read(&mut conn, &mut server, 100).await, start as usize);
            let held = conn.buf.split_to(100).freeze();
            // A piece is still held: the next read goes after it.
            assert_eq!(
                read(&mut conn, &mut server, 100).await,
                start as usize + 100
            );
            drop(held);
            drop(conn.buf.split_to(100).freeze());
            // Nothing held: back to the start, the capacity whole.
            assert_eq!(read(&mut conn, &mut server, 100).await, start as usize);
            assert!(conn.buf.capacity() >= READ_BUF_BYTES);
        });
    }

    #[test]
    fn the_unsent_part_of_a_request_starts_where_the_socket_stopped() {
        let sent = |written| {
            let (slices, count) = request_slices(b"HEAD", b"body", written);
            slices[..count]
                .iter()
                .map(|s| s.to_vec())
                .collect::<Vec<_>>()
        };
        assert_eq!(sent(0), [b"HEAD".to_vec(), b"body".to_vec()]);
        assert_eq!(sent(3), [b"D".to_vec(), b"body".to_vec()]);
        assert_eq!(sent(4), [b"body".to_vec()]);
        assert_eq!(sent(6), [b"dy".to_vec()]);
        assert!(sent(8).is_empty());
        let (slices, count) = request_slices(b"GET", b"", 0);
        assert_eq!((count, &slices[0][..]), (1, &b"GET"[..]));
    }

    #[test]
    fn a_reads_arrival_is_its_stamp_capped_at_the_read_and_never_before_the_last_one() {
        let t = Instant::now();
        let ms = std::time::Duration::from_millis;
        // The kernel's stamp; the read's own time without one, or when the stamp is later.
        assert_eq!(arrival(t, Some(t + ms(2)), t + ms(5)), t + ms(2));
        assert_eq!(arrival(t, None, t + ms(5)), t + ms(5));
        assert_eq!(arrival(t, Some(t + ms(9)), t + ms(5)), t + ms(5));
        // A stamp mapped to just before the previous read's stays at the previous one.
        let previous = t + ms(2);
        let earlier = previous - std::time::Duration::from_nanos(7);
        assert_eq!(arrival(previous, Some(earlier), t + ms(5)), previous);
    }
}
