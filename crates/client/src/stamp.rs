//! Read-time stamps from the socket itself. hyper reads the socket in its connection task and
//! hands body frames to the request's task through a channel; when the runtime is busy, the
//! request's task may wake well after the read, and the read itself well after the bytes
//! arrived. So every connection's stream is wrapped to note when the bytes of its latest
//! successful read reached the socket (the kernel's receive stamp, `ossperf-rxstamp`; the
//! read's own instant where the kernel gives none), and responses carry that clock
//! (hyper-util copies a connection's `extra` into each response's extensions). A frame is
//! stamped with the connection's latest read, which is never before the read that carried it
//! (hyper reads at most one frame ahead) and never after the frame's arrival.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant};

use http::Uri;
use hyper::rt::{Read, ReadBufCursor, Write};
use hyper_util::client::legacy::connect::{Connected, Connection, HttpConnector};
use tower_service::Service;

/// The instant of a connection's latest successful socket read.
#[derive(Debug, Clone)]
pub(crate) struct ReadClock {
    base: Instant,
    /// Nanoseconds since `base`, plus one; 0 before the first read.
    last: Arc<AtomicU64>,
}

impl ReadClock {
    fn new(base: Instant) -> ReadClock {
        ReadClock {
            base,
            last: Arc::new(AtomicU64::new(0)),
        }
    }

    fn stamp(&self, at: Instant) {
        let ns = u64::try_from(at.saturating_duration_since(self.base).as_nanos())
            .unwrap_or(u64::MAX - 1);
        self.last.store(ns + 1, Ordering::Release);
    }

    /// The latest read, if any.
    pub(crate) fn last_read(&self) -> Option<Instant> {
        match self.last.load(Ordering::Acquire) {
            0 => None,
            v => Some(self.base + Duration::from_nanos(v - 1)),
        }
    }
}

/// When a frame arrived at `now` on a connection with `clock`: its latest read, or `now`.
pub(crate) fn frame_instant(clock: Option<&ReadClock>, now: Instant) -> Instant {
    clock
        .and_then(ReadClock::last_read)
        .map_or(now, |read| read.min(now))
}

/// An [`HttpConnector`] whose connections stamp their reads.
#[derive(Clone)]
pub(crate) struct StampingConnector {
    inner: HttpConnector,
    base: Instant,
}

impl StampingConnector {
    pub(crate) fn new(inner: HttpConnector) -> StampingConnector {
        StampingConnector {
            inner,
            base: Instant::now(),
        }
    }
}

type Inner = <HttpConnector as Service<Uri>>::Response;
type ConnectFuture = Pin<
    Box<
        dyn Future<Output = Result<Stamped<Inner>, Box<dyn std::error::Error + Send + Sync>>>
            + Send,
    >,
>;

impl Service<Uri> for StampingConnector {
    type Response = Stamped<Inner>;
    type Error = Box<dyn std::error::Error + Send + Sync>;
    type Future = ConnectFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, uri: Uri) -> Self::Future {
        let connecting = self.inner.call(uri);
        let base = self.base;
        Box::pin(async move {
            let io = connecting.await?;
            // Without kernel stamps, reads are stamped when they happen: later, never wrong.
            let _ = ossperf_rxstamp::enable(io.inner());
            Ok(Stamped {
                io,
                clock: ReadClock::new(base),
            })
        })
    }
}

/// A connection stream that stamps each successful read.
pub(crate) struct Stamped<T> {
    io: T,
    clock: ReadClock,
}

impl Read for Stamped<Inner> {
    #[allow(unsafe_code)]
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        mut buf: ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        // SAFETY: the slice is only written by the kernel's receive, never de-initialised.
        let unfilled = unsafe { buf.as_mut() };
        let (n, at) = ready!(ossperf_rxstamp::poll_read(this.io.inner(), cx, unfilled))?;
        // SAFETY: the receive initialised exactly `n` bytes at the start of the slice.
        unsafe { buf.advance(n) };
        this.clock.stamp(at.unwrap_or_else(Instant::now));
        Poll::Ready(Ok(()))
    }
}

impl<T: Write + Unpin> Write for Stamped<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<Result<usize, std::io::Error>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), std::io::Error>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Result<(), std::io::Error>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<Result<usize, std::io::Error>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }
}

impl<T: Connection> Connection for Stamped<T> {
    fn connected(&self) -> Connected {
        self.io.connected().extra(self.clock.clone())
    }
}
