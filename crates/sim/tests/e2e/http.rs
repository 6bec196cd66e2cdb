//! A minimal blocking HTTP/1.1 client: one request per connection, chunked decoding, SSE split.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ossperf_sim::{SimConfig, SimHandle, Simulator};

/// One response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub head: String,
    pub body: Vec<u8>,
    /// False when the connection ended before the body did.
    pub complete: bool,
}

impl Reply {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<String> {
        self.head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
        })
    }

    /// The `data:` payloads of an SSE body, in order.
    pub fn events(&self) -> Vec<String> {
        self.text()
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: ").map(str::to_string))
            .collect()
    }

    /// The JSON payloads (everything but `[DONE]`).
    pub fn json_events(&self) -> Vec<serde_json::Value> {
        self.events()
            .iter()
            .filter(|e| *e != "[DONE]")
            .map(|e| serde_json::from_str(e).unwrap_or_else(|err| panic!("bad event ({err}): {e}")))
            .collect()
    }
}

/// Starts a simulator with `config` on a free loopback port.
pub fn start(config: SimConfig) -> SimHandle {
    Simulator::start(config).expect("simulator starts")
}

pub fn get(addr: SocketAddr, path: &str) -> Reply {
    request(addr, "GET", path, None, Duration::from_secs(20))
}

pub fn post(addr: SocketAddr, path: &str, body: &str) -> Reply {
    request(addr, "POST", path, Some(body), Duration::from_secs(20))
}

/// Sends one request and reads until the server closes or `timeout` passes without data.
pub fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Option<&str>,
    timeout: Duration,
) -> Reply {
    let mut s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(timeout)).unwrap();
    let body = body.unwrap_or("");
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: sim\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut raw = Vec::new();
    let mut buf = [0u8; 65536];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => raw.extend_from_slice(&buf[..n]),
        }
    }
    parse(&raw)
}

fn parse(raw: &[u8]) -> Reply {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a header block");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("a status");
    let rest = &raw[split + 4..];
    let chunked = head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked");
    if !chunked {
        return Reply {
            status,
            head,
            body: rest.to_vec(),
            complete: true,
        };
    }
    let (mut body, mut i, mut complete) = (Vec::new(), 0, false);
    while let Some(nl) = rest[i..].windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(std::str::from_utf8(&rest[i..i + nl]).unwrap().trim(), 16)
            .unwrap();
        i += nl + 2;
        if size == 0 {
            complete = true;
            break;
        }
        if rest.len() < i + size {
            body.extend_from_slice(&rest[i..]);
            break;
        }
        body.extend_from_slice(&rest[i..i + size]);
        i += size + 2;
    }
    Reply {
        status,
        head,
        body,
        complete,
    }
}

/// Current SGLang launched with `--incremental-streaming-output --stream-interval 1`: one
/// delta event per token, the shape most of these tests read. The default (v0.5.4.post2,
/// cumulative, interval 500) has tests of its own.
pub fn every_token() -> ossperf_sim::SimConfig {
    ossperf_sim::SimConfig {
        stream_format: ossperf_sim::StreamFormat::Delta,
        stream_interval: 1,
        ..ossperf_sim::SimConfig::for_personality(ossperf_sim::Personality::Sglang)
    }
}
