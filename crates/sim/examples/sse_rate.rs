//! SSE events per second the simulator writes on one core in `--profile zero`.
//!
//! The server runs on its own single-threaded runtime (one core); client threads read raw
//! bytes and count events. Prints events per second of wall time and per second of the server
//! thread's own CPU time (from `/proc`, Linux only), which is the figure that matters: the
//! server must never be what limits a client benchmark.
//!
//! `cargo run --release -p ossperf-sim --example sse_rate [CLIENTS] [REQUESTS] [TOKENS]`
#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use ossperf_sim::{OutputLen, SimConfig, Simulator, Timing};

fn main() {
    let arg = |i: usize, default: u32| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (clients, requests, tokens) = (arg(1, 4), arg(2, 100), arg(3, 2000));
    let sim = Simulator::start(SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(tokens),
        ..SimConfig::default()
    })
    .expect("start");
    let addr = sim.addr();
    // Warm up (tokenizer tables, first connection).
    stream_once(addr, tokens);
    let cpu0 = server_cpu_secs();
    let t0 = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            std::thread::spawn(move || {
                (0..requests)
                    .map(|_| stream_once(addr, tokens))
                    .sum::<u64>()
            })
        })
        .collect();
    let events: u64 = threads.into_iter().map(|t| t.join().unwrap()).sum();
    let wall = t0.elapsed().as_secs_f64();
    let cpu = server_cpu_secs() - cpu0;
    println!(
        "clients {clients}, requests {}, tokens/request {tokens}, stream_interval 1",
        clients * requests
    );
    println!(
        "events {events} in {wall:.3} s wall: {:.0} events/s",
        events as f64 / wall
    );
    if cpu > 0.0 {
        println!(
            "server thread CPU {cpu:.3} s: {:.0} events per CPU-second (one core)",
            events as f64 / cpu
        );
    }
    sim.shutdown();
}

/// One streaming request; returns the number of events read.
fn stream_once(addr: SocketAddr, tokens: u32) -> u64 {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = r#"{"input_ids":[1,2,3,4,5,6,7,8],"sampling_params":{"max_new_tokens":100000},"stream":true}"#;
    write!(s, "POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len()).unwrap();
    let mut buf = vec![0u8; 1 << 20];
    let mut count = 0u64;
    // One `"completion_tokens"` per event; keep the last bytes of each read to catch a key
    // split across reads.
    const KEY: &[u8] = b"\"completion_tokens\"";
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let n = s.read(&mut buf).unwrap();
        if n == 0 {
            break;
        }
        carry.extend_from_slice(&buf[..n]);
        count += carry.windows(KEY.len()).filter(|w| *w == KEY).count() as u64;
        let keep = carry.len().min(KEY.len() - 1);
        carry.drain(..carry.len() - keep);
    }
    assert_eq!(count, u64::from(tokens), "events per request");
    count
}

/// User + system CPU seconds of the `ossperf-sim` thread.
fn server_cpu_secs() -> f64 {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    for task in dir.flatten() {
        let comm = std::fs::read_to_string(task.path().join("comm")).unwrap_or_default();
        if comm.trim() == "ossperf-sim" {
            let stat = std::fs::read_to_string(task.path().join("stat")).unwrap_or_default();
            let after = stat.rsplit(')').next().unwrap_or("");
            let f: Vec<&str> = after.split_whitespace().collect();
            let ticks: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0)
                + f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            return ticks / 100.0;
        }
    }
    0.0
}
