//! The least CPU any client can spend per token on SGLang's cumulative stream, beside a delta
//! stream of the same answer: a sender thread writes `/generate` events (one per HTTP chunk, as
//! uvicorn sends them) over loopback TCP, as fast as the socket takes them, and the receiver
//! does the least each way allows, on its own thread CPU time (`CLOCK_THREAD_CPUTIME_ID`):
//!
//! - `delta, read`: receives every byte, parses nothing;
//! - `cumulative, read`: the same on the cumulative stream (a client that checks the bytes it
//!   is sent must at least receive them);
//! - `cumulative, discarded`: receives only what is new, throwing the repeated text and ids
//!   away unread (`recv` with `MSG_TRUNC`, tcp(7)) at the offsets the previous event gives: a
//!   client that trusts the server to repeat itself exactly.
//!
//! None of them parses ids, so the figures are floors: ossperf's own delta cost is added to each
//! (docs/PERFORMANCE.md, "Cumulative streams"). Linux only.
//!
//! `cargo run --release -p ossperf-rxstamp --example cumulative_floor [ANSWERS] [TOKENS] [INTERVAL]`
//! (default 200 answers of 10,000 tokens at interval 500).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
#![allow(unsafe_code)]

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd as _;

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
const TEXT_START: &[u8] = b"data: {\"text\":\"";
const IDS_START: &[u8] = b"\",\"output_ids\":[";

fn thread_cpu_secs() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// One answer's HTTP chunks (one event each, every `interval` tokens) and the length of its
/// whole text and id list as sent (escaped, comma-separated).
fn answer(tokens: usize, interval: usize, cumulative: bool) -> (Vec<u8>, usize, usize) {
    let (mut text, mut ids, mut body) = (String::new(), String::new(), Vec::new());
    let mut from = 0;
    while from < tokens {
        let to = (from + interval).min(tokens);
        if !cumulative {
            text.clear();
            ids.clear();
        }
        for n in from..to {
            text.push_str(WORDS[n % WORDS.len()]);
            if !ids.is_empty() {
                ids.push(',');
            }
            ids.push_str(&(1000 + n * 37 % 150_000).to_string());
        }
        let finish = if to == tokens { "\"length\"" } else { "null" };
        let event = format!(
            "data: {{\"text\":\"{text}\",\"output_ids\":[{ids}],\"meta_info\":{{\"id\":\"0123456789abcdef\",\"finish_reason\":{finish},\"prompt_tokens\":1024,\"completion_tokens\":{to},\"cached_tokens\":0}}}}\n\n"
        );
        write!(body, "{:x}\r\n{event}\r\n", event.len()).unwrap();
        from = to;
    }
    (body, text.len(), ids.len())
}

/// A receiver that keeps what it read past the point it needed.
struct Reader {
    fd: i32,
    buf: Vec<u8>,
    /// `buf[at..len]` is read and not yet used.
    at: usize,
    len: usize,
}

impl Reader {
    fn fill(&mut self, max: usize) -> usize {
        if self.at == self.len {
            (self.at, self.len) = (0, 0);
        }
        let room = (self.buf.len() - self.len).min(max);
        // SAFETY: `buf[len..len + room]` is writable.
        let n = unsafe { libc::recv(self.fd, self.buf[self.len..].as_mut_ptr().cast(), room, 0) };
        assert!(n > 0, "the sender stopped early");
        self.len += n as usize;
        n as usize
    }

    /// Reads until `pattern` is buffered, in reads of at most `step`, and consumes through
    /// it; returns how many bytes came before it.
    fn through(&mut self, pattern: &[u8], step: usize) -> usize {
        let mut before = 0;
        loop {
            let held = &self.buf[self.at..self.len];
            if let Some(i) = memchr::memmem::find(held, pattern) {
                self.at += i + pattern.len();
                return before + i;
            }
            // Keep only what may begin the pattern, at the buffer's start.
            let keep = held.len().min(pattern.len() - 1);
            before += held.len() - keep;
            self.buf.copy_within(self.len - keep..self.len, 0);
            (self.at, self.len) = (0, keep);
            self.fill(step);
        }
    }

    /// Drops the next `n` bytes: those buffered, then the rest unread.
    fn discard(&mut self, mut n: usize) {
        let buffered = (self.len - self.at).min(n);
        self.at += buffered;
        n -= buffered;
        while n > 0 {
            // SAFETY: with MSG_TRUNC a TCP receive writes nothing; the null buffer is not read.
            let k = unsafe {
                libc::recv(
                    self.fd,
                    std::ptr::null_mut(),
                    n,
                    libc::MSG_TRUNC | libc::MSG_WAITALL,
                )
            };
            assert!(k > 0, "the sender stopped early");
            n -= k as usize;
        }
    }
}

/// Receives `answers` answers; returns the thread CPU seconds and the body bytes sent.
fn run(
    answers: usize,
    tokens: usize,
    interval: usize,
    cumulative: bool,
    discard: bool,
) -> (f64, u64) {
    let (body, whole_text, whole_ids) = answer(tokens, interval, cumulative);
    let total = body.len() as u64 * answers as u64;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        for _ in 0..answers {
            socket.write_all(&body).unwrap();
        }
    });
    let socket = TcpStream::connect(addr).unwrap();
    let mut r = Reader {
        fd: socket.as_raw_fd(),
        buf: vec![0; 1 << 20],
        at: 0,
        len: 0,
    };
    let events = tokens.div_ceil(interval);
    let start = thread_cpu_secs();
    if discard {
        for _ in 0..answers {
            // The repeated text and ids: the previous event's, whose lengths it gives.
            let (mut text_len, mut ids_len) = (0, 0);
            for _ in 0..events {
                r.through(TEXT_START, 64);
                r.discard(text_len);
                text_len += r.through(IDS_START, 4096);
                r.discard(ids_len);
                ids_len += r.through(b"]", 8192);
                r.through(b"\n\n\r\n", 8192);
            }
            // Every byte thrown away was where the previous event said it would be.
            assert_eq!((text_len, ids_len), (whole_text, whole_ids));
        }
        assert_eq!(r.at, r.len, "read past the last answer");
    } else {
        let mut got = 0u64;
        while got < total {
            r.at = r.len;
            got += r.fill(usize::MAX) as u64;
        }
    }
    let cpu = thread_cpu_secs() - start;
    sender.join().unwrap();
    (cpu, total)
}

fn main() {
    let args: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse().expect("a whole number"))
        .collect();
    let answers = args.first().copied().unwrap_or(200);
    let tokens = args.get(1).copied().unwrap_or(10_000);
    let interval = args.get(2).copied().unwrap_or(500).max(1);
    let n = (answers * tokens) as f64;
    println!("{answers} answers x {tokens} tokens, interval {interval}");
    println!(
        "{:<24} {:>14} {:>12}",
        "stream, receiver", "ns CPU/token", "bytes/token"
    );
    for (name, cumulative, discard) in [
        ("delta, read", false, false),
        ("cumulative, read", true, false),
        ("cumulative, discarded", true, true),
    ] {
        let (cpu, bytes) = run(answers, tokens, interval, cumulative, discard);
        println!(
            "{name:<24} {:>14.1} {:>12.0}",
            cpu * 1e9 / n,
            bytes as f64 / n
        );
    }
}
