//! Write speed and memory of the accuracy log (`bench/run.sh`, not a test): queues records of
//! 32,768 four-byte tokens (a full accuracy-mode answer, 256 KiB of hex each) through
//! `AccuracyLog` into a file until it holds `MB` megabytes, and prints the rate and the
//! process's peak RSS, which must not grow with the log's size.
//!
//! `cargo run --release -p ossperf-loadgen --example accuracy_log FILE [MB]`

#![allow(clippy::print_stdout, clippy::unwrap_used, clippy::expect_used)]

use std::time::Instant;

use ossperf_loadgen::logs::accuracy::{AccuracyLog, AccuracyRecord};

/// The process's peak resident set in MB (`VmHWM`, Linux).
fn peak_rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: accuracy_log FILE [MB]");
    let mb: u64 = args
        .next()
        .map_or(1024, |a| a.parse().expect("MB: an integer"));
    let data: Vec<u8> = (0..32_768u32)
        .flat_map(|t| (t * 7 + 200).to_le_bytes())
        .collect();
    let records = (mb << 20) / (data.len() as u64 * 2);
    let file = std::fs::File::create(&path).expect("create the log file");
    let t0 = Instant::now();
    let log = AccuracyLog::start(Box::new(file)).expect("start the writer");
    let sender = log.sender().expect("a sender");
    for seq_id in 0..records {
        let record = AccuracyRecord {
            seq_id,
            qsl_idx: (seq_id % 6396) as usize,
            data: data.clone(),
            tokens: None,
        };
        assert!(sender.send(record), "the writer stopped");
    }
    drop(sender);
    log.finish().expect("write the log");
    let secs = t0.elapsed().as_secs_f64();
    let bytes = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    println!(
        "accuracy_log_mb {:.0} secs {secs:.3} mb_per_s {:.0} peak_rss_mb {:.1}",
        bytes as f64 / 1e6,
        bytes as f64 / 1e6 / secs,
        peak_rss_mb()
    );
}
