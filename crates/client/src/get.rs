//! A GET on the client's own HTTP/1.1 transport: the start-up health check, `ossperf serve`'s
//! readiness probe and the run's `/metrics` scrape all go through [`get_on`], so the request
//! head, the connection, the body framing (length, chunked, until close) and the deadline are
//! those of the generation requests. The side channels use [`get`], which opens a connection
//! of its own: they must never take a connection from (or wait on) the benchmark's pool.

use std::time::Duration;

use crate::h1::{Body, ExchangeError, Pool, Tls};
use crate::{ClientError, Endpoint};

/// An answer to a GET: the status code and the whole body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body, at most the `max_body` asked for.
    pub body: Vec<u8>,
}

/// Sends `GET path` (after the endpoint's base path) on a new connection of its own and reads
/// the answer within `limit`. A body over `max_body` bytes, a refused connection or a late
/// answer is [`ClientError::Unreachable`], naming the URL and what went wrong.
pub async fn get(
    endpoint: &Endpoint,
    path: &str,
    limit: Duration,
    max_body: usize,
) -> Result<Answer, ClientError> {
    let authority = endpoint.authority();
    // https with the system's roots; a run's side channels with `--ca-cert` or a key go
    // through a client of their own instead ([`crate::Client::fetch`]).
    let tls = if endpoint.is_tls() {
        Some(Tls::new(&crate::TlsOptions::default())?)
    } else {
        None
    };
    let pool = Pool::new(authority.host(), endpoint.port(), tls, 1, limit);
    get_on(&pool, endpoint, path, limit, max_body, "").await
}

/// [`get`] on `pool`'s connections (a reusable one goes back to it), with `extra_headers`
/// (`Authorization`, `--header`) after the fixed ones.
pub(crate) async fn get_on(
    pool: &Pool,
    endpoint: &Endpoint,
    path: &str,
    limit: Duration,
    max_body: usize,
    extra_headers: &str,
) -> Result<Answer, ClientError> {
    let unreachable = |reason: String| ClientError::Unreachable {
        url: endpoint.url().to_owned(),
        reason,
    };
    let exchange = async {
        let head = endpoint.request_head("GET", path, None, extra_headers);
        let (head, conn) = pool.exchange(&head, &[], None).await.map_err(|e| {
            unreachable(match e {
                ExchangeError::Connect(e) => format!("cannot connect: {e}"),
                ExchangeError::BeforeAnswer(e) | ExchangeError::InHead(e) => {
                    format!("`GET {path}` failed: {e}")
                }
                ExchangeError::Protocol(why) => format!("`GET {path}`: {why}"),
            })
        })?;
        let mut body = Body::new(conn, &head);
        let mut bytes = Vec::new();
        while let Some((piece, _)) = body
            .frame()
            .await
            .map_err(|f| unreachable(format!("reading `GET {path}`: {}", f.message)))?
        {
            if bytes.len() + piece.len() > max_body {
                return Err(unreachable(format!(
                    "`GET {path}` answered more than {max_body} bytes"
                )));
            }
            bytes.extend_from_slice(&piece);
        }
        if let Some(conn) = body.into_reusable() {
            pool.put(conn);
        }
        Ok(Answer {
            status: head.status,
            body: bytes,
        })
    };
    tokio::time::timeout(limit, exchange)
        .await
        .unwrap_or_else(|_| {
            Err(unreachable(format!(
                "no answer to `GET {path}` within {limit:?}"
            )))
        })
}
