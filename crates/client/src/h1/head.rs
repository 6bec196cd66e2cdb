//! The head of a response: its status and what the headers say about the body.

/// The most headers a response may have.
const MAX_HEADERS: usize = 64;

/// How the body's end is found (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length` bytes (0 for statuses that have no body).
    Length(u64),
    /// `Transfer-Encoding: chunked`.
    Chunked,
    /// Everything until the server closes the connection.
    UntilClose,
}

/// A parsed response head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub status: u16,
    /// `Content-Type: text/event-stream`.
    pub event_stream: bool,
    pub framing: Framing,
    /// Whether the connection may carry another request after this body.
    pub keep_alive: bool,
}

/// Parses a head at the start of `buf`: `Ok(None)` when more bytes are needed, else the head
/// and its length. An informational (`1xx`) head is returned like any other; the caller skips it.
pub(crate) fn parse(buf: &[u8]) -> Result<Option<(Head, usize)>, String> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let len = match response.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(format!("unparsable response head ({e})")),
    };
    let status = response.code.unwrap_or_default();
    let http10 = response.version == Some(0);
    let mut event_stream = false;
    let mut length: Option<u64> = None;
    let mut chunked = false;
    let mut close = http10;
    for h in response.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-type") {
            event_stream = h.value.starts_with(b"text/event-stream");
        } else if name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(h.value)
                .ok()
                .and_then(|v| v.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    format!("bad Content-Length `{}`", String::from_utf8_lossy(h.value))
                })?;
            if length.is_some_and(|l| l != n) {
                return Err("two different Content-Length headers".to_owned());
            }
            length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only the last coding decides whether the body is chunked.
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or_default();
            chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
        } else if name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',') {
                let token = token.trim_ascii();
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Length(0)
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        Framing::UntilClose
    };
    let head = Head {
        status,
        event_stream,
        framing,
        keep_alive: !close && framing != Framing::UntilClose,
    };
    Ok(Some((head, len)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn head(text: &str) -> Head {
        let (head, len) = parse(text.as_bytes()).unwrap().unwrap();
        assert_eq!(len, text.len());
        head
    }

    #[test]
    fn framing_follows_the_headers() {
        let h = head("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        assert_eq!(
            (h.status, h.event_stream, h.framing, h.keep_alive),
            (200, true, Framing::Chunked, true)
        );
        let h = head(
            "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 12\r\nConnection: close\r\n\r\n",
        );
        assert_eq!(
            (h.status, h.event_stream, h.framing, h.keep_alive),
            (500, false, Framing::Length(12), false)
        );
        let h = head("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::UntilClose, false));
        let h = head("HTTP/1.0 200 OK\r\nContent-Length: 2\r\nConnection: Keep-Alive\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(2), true));
        let h = head("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n");
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(0), true));
        let h = head("HTTP/1.1 100 Continue\r\n\r\n");
        assert_eq!((h.status, h.framing), (100, Framing::Length(0)));
    }

    #[test]
    fn partial_heads_wait_and_bad_ones_say_why() {
        assert_eq!(parse(b"HTTP/1.1 200 OK\r\nContent-Le"), Ok(None));
        assert_eq!(parse(b""), Ok(None));
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n"),
            Err("bad Content-Length `1x`".to_owned())
        );
        assert_eq!(
            parse(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Err("two different Content-Length headers".to_owned())
        );
        assert_eq!(
            parse(b"SSH-2.0-OpenSSH_9.6\r\n"),
            Err("unparsable response head (invalid HTTP version)".to_owned())
        );
    }
}
