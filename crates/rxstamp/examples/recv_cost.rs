//! What receiving a byte over loopback TCP costs the receiving thread, copied to user space or
//! discarded unread (`MSG_TRUNC`, tcp(7)): the floor under any client of a stream whose bytes
//! grow faster than its tokens (SGLang's cumulative chunks, docs/PERFORMANCE.md). A sender
//! thread writes 64 KiB blocks as fast as the socket takes them; the receiver reads with
//! `recv` and reports its own thread CPU time (`CLOCK_THREAD_CPUTIME_ID`) per byte, in two
//! regimes: busy (reads back to back, as a client under a flood) and paced (a 200 µs pause
//! before each read, so data waits in the queue as it does for a client whose server is slower
//! than it). Linux only.
//!
//! `cargo run --release -p ossperf-rxstamp --example recv_cost [MiB]` (default 2048 per case).

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]
#![allow(unsafe_code)]

use std::io::Write as _;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd as _;
use std::time::Duration;

const BLOCK: usize = 64 * 1024;
/// The most one receive asks for.
const MAX_READ: usize = 1 << 20;

fn thread_cpu_secs() -> f64 {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write.
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut t) };
    t.tv_sec as f64 + t.tv_nsec as f64 * 1e-9
}

/// Receives `total` bytes; returns the thread CPU seconds, the bytes and the receive calls.
fn receive(total: u64, discard: bool, pause: Option<Duration>) -> (f64, u64, u64) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let sender = std::thread::spawn(move || {
        let (mut socket, _) = listener.accept().unwrap();
        let block = vec![b'x'; BLOCK];
        let mut sent = 0u64;
        while sent < total {
            if socket.write_all(&block).is_err() {
                break;
            }
            sent += BLOCK as u64;
        }
    });
    let socket = TcpStream::connect(addr).unwrap();
    let fd = socket.as_raw_fd();
    let mut buf = vec![0u8; MAX_READ];
    let (mut got, mut calls) = (0u64, 0u64);
    let start = thread_cpu_secs();
    loop {
        if let Some(pause) = pause {
            std::thread::sleep(pause);
        }
        let n = if discard {
            // SAFETY: with MSG_TRUNC a TCP receive writes nothing; the null buffer is not read.
            unsafe { libc::recv(fd, std::ptr::null_mut(), MAX_READ, libc::MSG_TRUNC) }
        } else {
            // SAFETY: `buf` has MAX_READ writable bytes.
            unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), MAX_READ, 0) }
        };
        if n <= 0 {
            break;
        }
        got += n as u64;
        calls += 1;
    }
    let cpu = thread_cpu_secs() - start;
    sender.join().unwrap();
    (cpu, got, calls)
}

fn main() {
    let mib: u64 = std::env::args()
        .nth(1)
        .map_or(2048, |a| a.parse().expect("MiB: a whole number"));
    let total = mib << 20;
    println!(
        "{:<36} {:>9} {:>13} {:>10}",
        "case", "ns/byte", "bytes/recv", "recv calls"
    );
    for (name, pause) in [
        ("busy", None),
        ("paced 200 us", Some(Duration::from_micros(200))),
    ] {
        for (how, discard) in [("copied", false), ("discarded (MSG_TRUNC)", true)] {
            let (cpu, got, calls) = receive(total, discard, pause);
            println!(
                "{:<36} {:>9.3} {:>13} {:>10}",
                format!("{name}, {how}"),
                cpu * 1e9 / got as f64,
                got / calls.max(1),
                calls
            );
        }
    }
}
