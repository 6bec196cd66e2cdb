use std::time::Instant;

use ossperf_harmony::tokenizer;

/// Prints encode and decode throughput; run with
/// `cargo test --release -p ossperf-harmony --test e2e -- --ignored --nocapture decode_speed`.
#[test]
#[ignore = "a measurement, not a check; run in release"]
fn decode_speed() {
    let tok = tokenizer();
    let text = include_str!("../../src/tokenizer.rs").repeat(40)
        + &"Grüße, 日本語, emoji 🚀 and numbers 12345. ".repeat(4000);
    tok.encode("warm up the regex"); // compiles the thread's regex outside the timing
    let start = Instant::now();
    let ids = tok.encode(&text);
    let encode = start.elapsed();
    let rounds = 20;
    let start = Instant::now();
    let mut bytes = 0;
    for _ in 0..rounds {
        bytes += tok.decode(&ids).unwrap().len();
    }
    let whole = start.elapsed();
    let start = Instant::now();
    let mut out = Vec::new();
    for _ in 0..rounds {
        for chunk in ids.chunks(1000) {
            out.clear();
            tok.decode_into(chunk, &mut out).unwrap();
            bytes += out.len();
        }
    }
    let chunked = start.elapsed();
    let n = (ids.len() * rounds) as f64;
    println!(
        "encode: {} tokens in {:.1} ms, {:.2} M tok/s",
        ids.len(),
        encode.as_secs_f64() * 1e3,
        ids.len() as f64 / encode.as_secs_f64() / 1e6,
    );
    println!(
        "decode: {} tokens x {rounds}: whole {:.1} M tok/s, 1000-token chunks {:.1} M tok/s ({bytes} bytes)",
        ids.len(),
        n / whole.as_secs_f64() / 1e6,
        n / chunked.as_secs_f64() / 1e6,
    );
}
