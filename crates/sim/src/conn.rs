//! The server side of a connection: a TCP stream that remembers when the bytes of its latest
//! read reached the socket (the kernel's receive stamp, see `ossperf-rxstamp`), so that a
//! request's arrival is the arrival of its headers, not the moment this one thread got round
//! to reading them.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};

use hyper::rt::{Read, ReadBufCursor, Write};
use tokio::io::AsyncWrite;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// When a connection's latest read arrived.
#[derive(Debug)]
pub(crate) struct RxClock {
    base: Instant,
    /// Nanoseconds since `base`, plus one; 0 before the first read.
    last: AtomicU64,
}

impl RxClock {
    fn note(&self, at: Instant) {
        let ns = at.saturating_duration_since(self.base).as_nanos();
        self.last.store(
            u64::try_from(ns).unwrap_or(u64::MAX - 1) + 1,
            Ordering::Relaxed,
        );
    }

    /// When the bytes of the latest read arrived, if anything was read.
    pub(crate) fn last_read(&self) -> Option<Instant> {
        match self.last.load(Ordering::Relaxed) {
            0 => None,
            v => Some(self.base + std::time::Duration::from_nanos(v - 1)),
        }
    }
}

/// An accepted connection for hyper.
#[derive(Debug)]
pub(crate) struct Conn {
    stream: TcpStream,
    clock: Arc<RxClock>,
}

impl Conn {
    /// Wraps `stream`, asking the kernel to stamp what it receives; `base` is any earlier
    /// instant.
    pub(crate) fn new(stream: TcpStream, base: Instant) -> Conn {
        let _ = stream.set_nodelay(true);
        // Without stamps, reads are stamped when they happen: later, never wrong.
        let _ = ossperf_rxstamp::enable(&stream);
        Conn {
            stream,
            clock: Arc::new(RxClock {
                base,
                last: AtomicU64::new(0),
            }),
        }
    }

    /// Its read clock.
    pub(crate) fn clock(&self) -> Arc<RxClock> {
        self.clock.clone()
    }
}

impl Read for Conn {
    #[allow(unsafe_code)]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        // SAFETY: the slice is only written by the kernel's receive, never de-initialised.
        let unfilled = unsafe { buf.as_mut() };
        let (n, at) = ready!(ossperf_rxstamp::poll_read(&this.stream, cx, unfilled))?;
        // SAFETY: the receive initialised exactly `n` bytes at the start of the slice.
        unsafe { buf.advance(n) };
        if n > 0 {
            this.clock
                .note(at.map_or_else(Instant::now, Instant::from_std));
        }
        Poll::Ready(Ok(()))
    }
}

impl Write for Conn {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().stream).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().stream).poll_write_vectored(cx, bufs)
    }
}
