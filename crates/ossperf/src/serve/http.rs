//! A minimal HTTP/1.0 GET for the two side channels that must not share the benchmark
//! client's pool: `serve`'s readiness probe and the run's `/metrics` scraper. HTTP/1.0 with
//! `Connection: close` means the body is whatever arrives before the server closes, so no
//! chunked decoding is needed; the body is capped and every step has a deadline.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The largest body read; a Prometheus page of a busy server is well under this.
pub(crate) const MAX_BODY: usize = 8 << 20;

/// An answer: the status code and the body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Answer {
    /// The HTTP status code.
    pub status: u16,
    /// The body, at most [`MAX_BODY`] bytes.
    pub body: Vec<u8>,
}

/// Sends `GET path` to `authority` (`host:port`) and reads the answer within `limit`.
/// Errors are one line naming the address and what went wrong.
pub(crate) async fn get(authority: &str, path: &str, limit: Duration) -> Result<Answer, String> {
    match tokio::time::timeout(limit, exchange(authority, path)).await {
        Ok(result) => result,
        Err(_) => Err(format!(
            "no answer to `GET {path}` from `{authority}` within {limit:?}"
        )),
    }
}

async fn exchange(authority: &str, path: &str) -> Result<Answer, String> {
    let mut stream = tokio::net::TcpStream::connect(authority)
        .await
        .map_err(|e| format!("cannot connect to `{authority}`: {e}"))?;
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\nConnection: close\r\n\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| format!("cannot send `GET {path}` to `{authority}`: {e}"))?;
    let mut raw = Vec::new();
    let mut chunk = [0u8; 16 * 1024];
    loop {
        let n = stream
            .read(&mut chunk)
            .await
            .map_err(|e| format!("reading `GET {path}` from `{authority}`: {e}"))?;
        if n == 0 || raw.len() > MAX_BODY {
            break;
        }
        raw.extend_from_slice(&chunk[..n]);
    }
    parse(&raw).ok_or_else(|| {
        format!("`GET {path}` from `{authority}` did not answer with an HTTP status line")
    })
}

/// Splits a raw HTTP/1.x answer into status and body.
fn parse(raw: &[u8]) -> Option<Answer> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status_line = head.lines().next()?;
    let mut parts = status_line.split_whitespace();
    if !parts.next()?.starts_with("HTTP/1.") {
        return None;
    }
    let status = parts.next()?.parse().ok()?;
    let mut body = raw[end + 4..].to_vec();
    body.truncate(MAX_BODY);
    Some(Answer { status, body })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_splits_into_status_and_body() {
        let answer = parse(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nup 1\n").unwrap();
        assert_eq!(answer.status, 200);
        assert_eq!(answer.body, b"up 1\n");
        assert_eq!(parse(b"SSH-2.0-OpenSSH\r\n\r\n"), None);
        assert_eq!(parse(b"HTTP/1.1 404 Not Found\r\n"), None);
    }
}
