//! The keep-alive connections of one server, and making new ones.

use std::io;
use std::net::SocketAddr;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use super::conn::{Conn, ExchangeError};
use super::head::Head;
use super::tls::Tls;

/// A connection idle this long is checked (one non-blocking read) before it is used again:
/// servers close idle keep-alive connections after a few seconds (uvicorn: 5 s).
const CHECK_AFTER_IDLE: Duration = Duration::from_secs(1);

/// A connection idle this long is closed rather than used.
const MAX_IDLE: Duration = Duration::from_secs(90);

/// How many idle connections [`Pool::keep_warm`] keeps ready (at most the pool's size).
const WARM: usize = 32;

/// Idle connections to one server (the most recently used is used first) and its addresses.
pub(crate) struct Pool {
    host: String,
    /// The TLS settings of an https server.
    tls: Option<Tls>,
    port: u16,
    max_idle: usize,
    connect_timeout: Duration,
    idle: Mutex<Vec<Conn>>,
    /// The resolved addresses, kept until a connection to them fails.
    addrs: Mutex<Vec<SocketAddr>>,
    /// Told when the idle connections run low.
    low: tokio::sync::Notify,
}

/// Whether an idle connection may carry a request: recently used, or quiet and not too old.
fn is_usable(conn: &Conn) -> bool {
    let idle = conn.idle_since.elapsed();
    idle < CHECK_AFTER_IDLE || (idle < MAX_IDLE && conn.is_quiet())
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Pool {
    /// A pool for `host` (a name or an IP address, IPv6 with or without brackets) and `port`,
    /// over TLS with `tls`.
    pub(crate) fn new(
        host: &str,
        port: u16,
        tls: Option<Tls>,
        max_idle: usize,
        connect_timeout: Duration,
    ) -> Pool {
        Pool {
            host: host
                .trim_start_matches('[')
                .trim_end_matches(']')
                .to_owned(),
            tls,
            port,
            max_idle: max_idle.max(1),
            connect_timeout,
            idle: Mutex::new(Vec::new()),
            addrs: Mutex::new(Vec::new()),
            low: tokio::sync::Notify::new(),
        }
    }

    /// An idle connection that still looks usable, if there is one.
    pub(crate) fn take(&self) -> Option<Conn> {
        loop {
            let (conn, left) = {
                let mut idle = lock(&self.idle);
                (idle.pop(), idle.len())
            };
            if left < self.warm() {
                self.low.notify_one();
            }
            let conn = conn?;
            if is_usable(&conn) {
                return Some(conn);
            }
        }
    }

    fn warm(&self) -> usize {
        WARM.min(self.max_idle)
    }

    /// Keeps a few idle connections ready, so a request rarely waits for a TCP handshake (in
    /// a Server run the first second would otherwise open one per query, each on the
    /// measured path): tops the pool up whenever [`Pool::take`] leaves it low, and every
    /// half second drops connections the server closed while they were idle. Returns after
    /// `stop` says so.
    pub(crate) async fn keep_warm(&self, stop: impl Fn() -> bool) {
        loop {
            lock(&self.idle).retain(is_usable);
            let missing = self.warm().saturating_sub(lock(&self.idle).len());
            for _ in 0..missing {
                if stop() {
                    return;
                }
                match self.connect().await {
                    Ok(conn) => self.put(conn),
                    // The requests themselves report what is wrong; try again later.
                    Err(_) => {
                        tokio::time::sleep(Duration::from_secs(1)).await;
                        break;
                    }
                }
            }
            if stop() {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_millis(500), self.low.notified()).await;
        }
    }

    /// Keeps a connection for the next request (closes it when the pool is full).
    pub(crate) fn put(&self, mut conn: Conn) {
        conn.pooled = true;
        let mut idle = lock(&self.idle);
        if idle.len() < self.max_idle {
            idle.push(conn);
        }
    }

    /// Sends a request on `started` (a connection that took its first bytes already), a
    /// pooled connection or a new one, and reads the answer's head. A pooled connection that
    /// fails before any answer was closed by the server while idle: the request then goes
    /// once more, on a new connection.
    pub(crate) async fn exchange(
        &self,
        head: &[u8],
        body: &[u8],
        started: Option<(Conn, usize)>,
    ) -> Result<(Head, Conn), ExchangeError> {
        let (mut conn, mut written) = match started {
            Some(started) => started,
            None => match self.take() {
                Some(conn) => (conn, 0),
                None => (self.connect().await.map_err(ExchangeError::Connect)?, 0),
            },
        };
        loop {
            match conn.exchange(head, body, written).await {
                Ok(head) => return Ok((head, conn)),
                Err(ExchangeError::BeforeAnswer(_)) if conn.pooled => {
                    conn = self.connect().await.map_err(ExchangeError::Connect)?;
                    written = 0;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// A new connection, within the connect timeout; tries each address in turn.
    pub(crate) async fn connect(&self) -> io::Result<Conn> {
        let connecting = async {
            let addrs = self.resolve().await?;
            let mut last = None;
            for addr in addrs {
                match Conn::connect(addr, self.tls.as_ref().map(|t| (t, self.host.as_str()))).await
                {
                    Ok(conn) => return Ok(conn),
                    Err(e) => last = Some(e),
                }
            }
            // The name may point elsewhere now.
            lock(&self.addrs).clear();
            Err(last.unwrap_or_else(|| io::Error::other("the host name has no address")))
        };
        tokio::time::timeout(self.connect_timeout, connecting)
            .await
            .unwrap_or_else(|_| {
                Err(io::Error::new(
                    io::ErrorKind::TimedOut,
                    format!("no connection within {:?}", self.connect_timeout),
                ))
            })
    }

    async fn resolve(&self) -> io::Result<Vec<SocketAddr>> {
        let cached = lock(&self.addrs).clone();
        if !cached.is_empty() {
            return Ok(cached);
        }
        let found: Vec<SocketAddr> = tokio::net::lookup_host((self.host.as_str(), self.port))
            .await
            .map_err(|e| io::Error::new(e.kind(), format!("resolving `{}`: {e}", self.host)))?
            .collect();
        lock(&self.addrs).clone_from(&found);
        Ok(found)
    }
}
