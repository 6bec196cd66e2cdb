//! A tiny HTTP/1.1 server on a real loopback socket that answers each request with a script
//! of raw writes, pauses and waits, recording when each write started. The client's stamps
//! can then be checked against the server's writes (same clock, same process).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One step of an answer.
#[derive(Clone)]
pub enum Step {
    /// Write these bytes (the time just before is recorded).
    Write(Vec<u8>),
    /// Sleep.
    Pause(Duration),
    /// Wait until the test signals.
    Wait(Arc<Notify>),
    /// Close the connection.
    Close,
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// The header lines, as sent.
    pub headers: String,
    pub body: String,
}

impl Received {
    /// The value of header `name`, if it was sent.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim())
        })
    }
}

type Script = dyn Fn(&Received) -> Vec<Step> + Send + Sync;

pub struct Canned {
    pub addr: SocketAddr,
    pub received: Arc<Mutex<Vec<Received>>>,
    pub writes: Arc<Mutex<Vec<Instant>>>,
    pub connections: Arc<Mutex<usize>>,
}

impl Canned {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts a server whose answer to each request is `script(request)`.
    pub async fn start(script: impl Fn(&Received) -> Vec<Step> + Send + Sync + 'static) -> Canned {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let canned = Canned {
            addr,
            received: Arc::default(),
            writes: Arc::default(),
            connections: Arc::default(),
        };
        let script: Arc<Script> = Arc::new(script);
        let (received, writes, connections) = (
            canned.received.clone(),
            canned.writes.clone(),
            canned.connections.clone(),
        );
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                *connections.lock().unwrap() += 1;
                tokio::spawn(serve(
                    socket,
                    script.clone(),
                    received.clone(),
                    writes.clone(),
                ));
            }
        });
        canned
    }

    /// The paths requested so far.
    pub fn paths(&self) -> Vec<String> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .map(|r| r.path.clone())
            .collect()
    }
}

async fn serve(
    mut socket: TcpStream,
    script: Arc<Script>,
    received: Arc<Mutex<Vec<Received>>>,
    writes: Arc<Mutex<Vec<Instant>>>,
) {
    let mut buf = Vec::new();
    loop {
        let Some(request) = read_request(&mut socket, &mut buf).await else {
            return;
        };
        received.lock().unwrap().push(request.clone());
        for step in script(&request) {
            match step {
                Step::Write(bytes) => {
                    writes.lock().unwrap().push(Instant::now());
                    if socket.write_all(&bytes).await.is_err() {
                        return;
                    }
                }
                Step::Pause(d) => tokio::time::sleep(d).await,
                Step::Wait(n) => n.notified().await,
                Step::Close => return,
            }
        }
    }
}

async fn read_request(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<Received> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let len = head
                .lines()
                .find_map(|l| {
                    let (k, v) = l.split_once(':')?;
                    k.eq_ignore_ascii_case("content-length")
                        .then(|| v.trim().parse::<usize>().ok())?
                })
                .unwrap_or(0);
            while buf.len() < end + 4 + len {
                read_more(socket, buf).await?;
            }
            let body = String::from_utf8_lossy(&buf[end + 4..end + 4 + len]).into_owned();
            buf.drain(..end + 4 + len);
            let mut first = head.lines().next().unwrap_or("").split(' ');
            let method = first.next().unwrap_or("").to_owned();
            let path = first.next().unwrap_or("").to_owned();
            let headers = head.lines().skip(1).collect::<Vec<_>>().join("\n");
            return Some(Received {
                method,
                path,
                headers,
                body,
            });
        }
        read_more(socket, buf).await?;
    }
}

async fn read_more(socket: &mut TcpStream, buf: &mut Vec<u8>) -> Option<()> {
    let mut tmp = [0u8; 4096];
    let n = socket.read(&mut tmp).await.ok()?;
    if n == 0 {
        return None;
    }
    buf.extend_from_slice(&tmp[..n]);
    Some(())
}

/// The head of a chunked SSE answer.
pub fn sse_head() -> Vec<u8> {
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
        .to_vec()
}

/// One chunk of a chunked body.
pub fn chunk(data: &str) -> Vec<u8> {
    format!("{:x}\r\n{data}\r\n", data.len()).into_bytes()
}

/// The last chunk of a chunked body.
pub fn last_chunk() -> Vec<u8> {
    b"0\r\n\r\n".to_vec()
}

/// A whole answer with a body and a content length.
pub fn response(status: u16, content_type: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// An SGLang streamed chunk with these ids, count and finish reason JSON.
pub fn sglang_event(ids: &[u32], count: u64, finish: &str) -> String {
    format!(
        "data: {{\"text\":\"t\",\"output_ids\":{ids:?},\"meta_info\":{{\"id\":\"r\",\"finish_reason\":{finish},\"prompt_tokens\":3,\"completion_tokens\":{count},\"cached_tokens\":0}}}}\n\n"
    )
}

/// A port with nothing listening on it.
pub async fn refused_port() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// The standard health answers of a current SGLang server (`/model_info`; `/get_model_info`
/// too), `None` for everything else.
pub fn sglang_health(r: &Received) -> Option<Vec<Step>> {
    match r.path.as_str() {
        "/health" => Some(vec![Step::Write(response(200, "text/plain", ""))]),
        "/model_info" | "/get_model_info" => Some(vec![Step::Write(response(
            200,
            "application/json",
            r#"{"model_path":"openai/gpt-oss-120b","is_generation":true}"#,
        ))]),
        _ => None,
    }
}
