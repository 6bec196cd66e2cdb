//! CPU cost of the client per SSE event when events arrive packed (many per read).
//!
//! A canned SGLang-style server runs on its own thread and runtime; the client runs on this
//! thread's single-threaded runtime, so this thread's CPU time (from
//! `/proc/thread-self/schedstat`, Linux) is the whole client: the HTTP transport, SSE
//! framing, JSON, token accounting and the handler. Run with
//! `cargo run --release -p ossperf-client --example sse_cpu [requests] [events] [per_write]
//! [--client-only]`; `--client-only` measures the client alone (for callgrind:
//! `valgrind --tool=callgrind --separate-threads=yes`, then the main thread's count).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::time::Instant;

use ossperf_client::sse::SseParser;
use ossperf_client::{
    Backend, Client, ClientConfig, Completion, Endpoint, Failure, Prompt, Request, ResponseHandler,
    SamplingParams,
};
use tokio::io::AsyncWriteExt;

mod common;
use common::thread_cpu;

fn event(n: usize, last: bool) -> String {
    let finish = if last {
        r#"{"type":"length","length":1}"#
    } else {
        "null"
    };
    format!(
        "data: {{\"text\":\"tok\",\"output_ids\":[{}],\"meta_info\":{{\"id\":\"0123456789abcdef\",\"finish_reason\":{finish},\"prompt_tokens\":1024,\"completion_tokens\":{n},\"cached_tokens\":0,\"e2e_latency\":0.5}}}}\n\n",
        1000 + n
    )
}

/// The whole chunked body of one answer, cut into writes of `per_write` events.
fn answer(events: usize, per_write: usize) -> Vec<Vec<u8>> {
    let mut writes = vec![
        b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n"
            .to_vec(),
    ];
    let all: Vec<String> = (1..=events).map(|n| event(n, n == events)).collect();
    for group in all.chunks(per_write) {
        let data = group.concat();
        writes.push(format!("{:x}\r\n{data}\r\n", data.len()).into_bytes());
    }
    let done = "data: [DONE]\n\n";
    writes.push(format!("{:x}\r\n{done}\r\n0\r\n\r\n", done.len()).into_bytes());
    writes
}

/// The canned server, writing `writes` for every request; returns its URL.
fn start_server(writes: Arc<Vec<Vec<u8>>>) -> String {
    common::start_server(Box::new(move |mut socket| {
        let writes = writes.clone();
        Box::pin(async move {
            for w in writes.iter() {
                socket.write_all(w).await?;
            }
            Ok(socket)
        })
    }))
}

#[derive(serde::Deserialize)]
struct Chunk {
    output_ids: Vec<u32>,
    meta_info: Meta,
}

#[derive(serde::Deserialize)]
struct Meta {
    #[allow(dead_code)]
    completion_tokens: u64,
    finish_reason: Option<serde::de::IgnoredAny>,
}

struct Count(Arc<std::sync::atomic::AtomicU64>);

impl ResponseHandler for Count {
    fn on_first_token(&mut self, _: Instant, _: &[u32], _: u64) {}
    fn on_complete(&mut self, c: &Completion<'_>) {
        self.0
            .fetch_add(c.completion_tokens, std::sync::atomic::Ordering::Relaxed);
    }
    fn on_failure(&mut self, f: Failure) {
        panic!("{f}");
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--client-only` skips the framing and JSON comparisons (for callgrind counts).
    let client_only = args.iter().any(|a| a == "--client-only");
    args.retain(|a| a != "--client-only");
    let args: Vec<usize> = args.iter().map(|a| a.parse().unwrap()).collect();
    let requests = args.first().copied().unwrap_or(200);
    let events = args.get(1).copied().unwrap_or(1000);
    let per_write = args.get(2).copied().unwrap_or(100);
    let concurrency = 16;

    let writes = answer(events, per_write);
    let url = start_server(Arc::new(writes.clone()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let tokens = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let (wall, cpu) = rt.block_on(async {
        let mut config = ClientConfig::new(Backend::Sglang, vec![Endpoint::parse(&url).unwrap()]);
        config.concurrency = concurrency;
        let client = Client::new(config).unwrap();
        let request = Request {
            prompt: Prompt::from(vec![1u32; 1024]),
            params: SamplingParams::default(),
            stream: true,
        };
        let send = client.send(request.clone(), Count(tokens.clone()));
        println!("send future: {} bytes", std::mem::size_of_val(&send));
        drop(send);
        let (start, cpu0) = (Instant::now(), thread_cpu());
        let mut tasks = tokio::task::JoinSet::new();
        for k in 0..concurrency {
            let (client, request, tokens) = (client.clone(), request.clone(), tokens.clone());
            let mine = requests / concurrency + usize::from(k < requests % concurrency);
            tasks.spawn(async move {
                for _ in 0..mine {
                    client.send(request.clone(), Count(tokens.clone())).await;
                }
            });
        }
        while tasks.join_next().await.is_some() {}
        (start.elapsed(), thread_cpu() - cpu0)
    });
    let total = (requests * events) as f64;
    assert_eq!(
        tokens.load(std::sync::atomic::Ordering::Relaxed),
        (requests * events) as u64
    );

    println!("requests {requests}, events/request {events}, events/write {per_write}, concurrency {concurrency}");
    println!(
        "client: {total:.0} events in {:.3} s wall, {:.3} s CPU: {:.3} us CPU/event ({:.0} events/s)",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / total,
        total / wall.as_secs_f64()
    );
    if client_only {
        return;
    }

    // The SSE framing alone, over the same bytes.
    let body: Vec<u8> = writes[1..writes.len() - 1]
        .iter()
        .flat_map(|w| {
            let s = std::str::from_utf8(w).unwrap();
            let start = s.find("\r\n").unwrap() + 2;
            s.as_bytes()[start..s.len() - 2].to_vec()
        })
        .collect();
    let reads: Vec<&[u8]> = body.chunks(16 * 1024).collect();
    let cpu0 = thread_cpu();
    let mut framed = 0u64;
    for _ in 0..requests {
        let mut parser = SseParser::default();
        for r in &reads {
            parser.push(r);
            while let Some(data) = parser.next_event().unwrap() {
                std::hint::black_box(data);
                framed += 1;
            }
        }
    }
    let sse_cpu = thread_cpu() - cpu0;
    assert_eq!(framed, (requests * events) as u64);

    // SSE framing plus typed JSON like the client's (ids, count, finish; text skipped).
    let cpu0 = thread_cpu();
    let mut ids = 0u64;
    for _ in 0..requests {
        let mut parser = SseParser::default();
        for r in &reads {
            parser.push(r);
            while let Some(data) = parser.next_event().unwrap() {
                let chunk: Chunk = serde_json::from_slice(data).unwrap();
                ids += chunk.output_ids.len() as u64;
                std::hint::black_box(chunk.meta_info.finish_reason);
            }
        }
    }
    let json_cpu = thread_cpu() - cpu0;
    assert_eq!(ids, (requests * events) as u64);

    println!(
        "SSE framing alone: {:.3} us CPU/event",
        sse_cpu.as_secs_f64() * 1e6 / total
    );
    println!(
        "SSE framing + typed JSON: {:.3} us CPU/event",
        json_cpu.as_secs_f64() * 1e6 / total
    );
}
