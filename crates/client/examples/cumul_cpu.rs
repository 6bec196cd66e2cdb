//! CPU cost of the client per output token on cumulative SGLang streams (its default) beside
//! delta ones, the client alone: a canned server on its own thread writes SGLang `/generate`
//! chunks the way the simulator frames them (events packed into HTTP chunks of up to 64 KiB),
//! and the client runs on this thread's single-threaded runtime, whose CPU time (from
//! `/proc/thread-self/schedstat`, Linux) is the whole client's. Run with
//! `cargo run --release -p ossperf-client --example cumul_cpu [requests] [tokens] [interval]
//! [concurrency] [--delta]`; it prints CPU per token and per byte received.

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ossperf_client::{
    Backend, Client, ClientConfig, Completion, Endpoint, Failure, Prompt, Request, ResponseHandler,
    SamplingParams,
};
use tokio::io::AsyncWriteExt;

mod common;
use common::thread_cpu;

/// The largest HTTP chunk the server writes (the simulator's frame).
const FRAME_BYTES: usize = 64 * 1024;

#[derive(Clone, Copy)]
struct Shape {
    tokens: usize,
    interval: usize,
    cumulative: bool,
}

/// The text of token `n`: a few bytes, some of them escaped, some not ASCII.
fn token_text(n: usize) -> &'static str {
    const WORDS: [&str; 8] = [
        " the",
        " answer",
        " is",
        "\\n",
        " é",
        " 42",
        ",",
        " \\\"x\\\"",
    ];
    WORDS[n % WORDS.len()]
}

/// Writes one answer as chunked SSE; returns the body bytes written.
async fn write_answer(socket: &mut tokio::net::TcpStream, shape: Shape) -> std::io::Result<u64> {
    socket
        .write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
        )
        .await?;
    let (mut text, mut ids) = (String::new(), String::new());
    let mut frame = Vec::with_capacity(FRAME_BYTES + 4096);
    let mut wire = 0u64;
    let mut from = 0;
    while from < shape.tokens {
        let to = (from + shape.interval).min(shape.tokens);
        if !shape.cumulative {
            text.clear();
            ids.clear();
        }
        for n in from..to {
            text.push_str(token_text(n));
            if !ids.is_empty() {
                ids.push(',');
            }
            ids.push_str(&(1000 + n * 37 % 150_000).to_string());
        }
        let finish = if to == shape.tokens {
            format!(r#"{{"type":"length","length":{to}}}"#)
        } else {
            "null".to_owned()
        };
        write!(
            frame,
            "data: {{\"text\":\"{text}\",\"output_ids\":[{ids}],\"meta_info\":{{\"id\":\"0123456789abcdef\",\"finish_reason\":{finish},\"prompt_tokens\":1024,\"weight_version\":\"default\",\"total_retractions\":0,\"completion_tokens\":{to},\"cached_tokens\":0}}}}\n\n"
        )?;
        from = to;
        if frame.len() >= FRAME_BYTES || from == shape.tokens {
            wire += frame.len() as u64;
            let mut chunk = format!("{:x}\r\n", frame.len()).into_bytes();
            chunk.append(&mut frame);
            chunk.extend_from_slice(b"\r\n");
            socket.write_all(&chunk).await?;
        }
    }
    socket.write_all(b"0\r\n\r\n").await?;
    Ok(wire)
}

/// The canned server answering with `shape`; returns its URL and the body bytes it wrote.
fn start_server(shape: Shape) -> (String, Arc<AtomicU64>) {
    let wire = Arc::new(AtomicU64::new(0));
    let written = wire.clone();
    let url = common::start_server(Box::new(move |mut socket| {
        let written = written.clone();
        Box::pin(async move {
            written.fetch_add(write_answer(&mut socket, shape).await?, Ordering::Relaxed);
            Ok(socket)
        })
    }));
    (url, wire)
}

/// Checks each answer's ids against the server's.
struct Check {
    tokens: Arc<AtomicU64>,
    expected: usize,
}

impl ResponseHandler for Check {
    fn on_first_token(&mut self, _: Instant, _: &[u32], _: u64) {}
    fn on_complete(&mut self, c: &Completion<'_>) {
        assert_eq!(c.output_ids.len(), self.expected);
        for (n, &id) in c.output_ids.iter().enumerate() {
            assert_eq!(id as usize, 1000 + n * 37 % 150_000, "id {n}");
        }
        self.tokens
            .fetch_add(c.completion_tokens, Ordering::Relaxed);
    }
    fn on_failure(&mut self, f: Failure) {
        panic!("{f}");
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let cumulative = !args.iter().any(|a| a == "--delta");
    args.retain(|a| a != "--delta");
    let args: Vec<usize> = args.iter().map(|a| a.parse().unwrap()).collect();
    let requests = args.first().copied().unwrap_or(20);
    let tokens = args.get(1).copied().unwrap_or(2000);
    let interval = args.get(2).copied().unwrap_or(1).max(1);
    let concurrency = args.get(3).copied().unwrap_or(4);
    let shape = Shape {
        tokens,
        interval,
        cumulative,
    };

    let (url, wire) = start_server(shape);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let done = Arc::new(AtomicU64::new(0));
    let (wall, cpu) = rt.block_on(async {
        let mut config = ClientConfig::new(Backend::Sglang, vec![Endpoint::parse(&url).unwrap()]);
        config.concurrency = concurrency;
        let client = Client::new(config).unwrap();
        let request = Request {
            prompt: Prompt::from(vec![1u32; 1024]),
            params: SamplingParams::default(),
            stream: true,
        };
        let (start, cpu0) = (Instant::now(), thread_cpu());
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..concurrency {
            let (client, request) = (client.clone(), request.clone());
            let check = done.clone();
            let mine = requests / concurrency + usize::from(k < requests % concurrency);
            tasks.spawn(async move {
                for _ in 0..mine {
                    let handler = Check {
                        tokens: check.clone(),
                        expected: tokens,
                    };
                    client.send(request.clone(), handler).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        (start.elapsed(), thread_cpu() - cpu0)
    });
    let total = (requests * tokens) as f64;
    assert_eq!(done.load(Ordering::Relaxed), total as u64);
    let bytes = wire.load(Ordering::Relaxed) as f64;
    let shape = if cumulative { "cumulative" } else { "delta" };
    println!(
        "{shape}: {requests} requests x {tokens} tokens, interval {interval}, {concurrency} streams"
    );
    println!(
        "client: {:.3} s wall, {:.3} s CPU: {:.3} us CPU/token, {:.0} body bytes/token, {:.3} ns CPU/byte",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / total,
        bytes / total,
        cpu.as_secs_f64() * 1e9 / bytes
    );
}
