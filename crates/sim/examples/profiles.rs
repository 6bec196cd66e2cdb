//! The H100 and H200 profiles' figures, from the batching model in virtual time (no server, no
//! clock): for `C` identical requests sent at once, the mean TTFT, the mean TPOT, the per-user
//! decode rate and the output throughput. These are the numbers in docs/SIMULATOR.md.
//!
//! Then the MLPerf-like figures the profiles are calibrated to: Offline (4,096 requests of the
//! performance set's mean shape, ISL 1,100 and OSL 1,278, at 512 running) and a Server
//! estimate (the best Offline throughput over running limits whose mean TPOT stays at or
//! under MLPerf's 80 ms bound).
//!
//! `cargo run --release -p ossperf-sim --example profiles [ISL] [OSL]`
#![allow(clippy::print_stdout)]

use std::time::Duration;

use ossperf_sim::{Batcher, CostModel};

fn main() {
    let arg = |i: usize, d: u32| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(d)
    };
    let (isl, osl) = (arg(1, 1024), arg(2, 1024));
    println!("ISL {isl}, OSL {osl}, max-running-requests 512, chunked-prefill-size 16384");
    println!("| profile | concurrency | mean TTFT (ms) | mean TPOT (ms) | tok/s per user | output tok/s |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, cost) in [("h100", CostModel::H100), ("h200", CostModel::H200)] {
        for c in [1u32, 4, 10, 64, 256, 512] {
            let (ttft, tpot, secs) = burst(cost, c, isl, osl);
            println!(
                "| {name} | {c} | {:.0} | {:.1} | {:.0} | {:.0} |",
                ttft * 1e3,
                tpot * 1e3,
                1.0 / tpot,
                f64::from(c * osl) / secs
            );
        }
    }
    println!();
    println!("| profile | Offline output tok/s (512 running) | Server estimate tok/s (running, mean TPOT ms) |");
    println!("|---|---:|---:|");
    for (name, cost) in [("h100", CostModel::H100), ("h200", CostModel::H200)] {
        let (_, _, secs) = burst_capped(cost, 4096, 512, 1100, 1278);
        let offline = 4096.0 * 1278.0 / secs;
        let server = (1..=16)
            .map(|k| {
                let cap = 32 * k;
                let (_, tpot, secs) = burst_capped(cost, 4 * cap, cap, 1100, 1278);
                (f64::from(4 * cap * 1278) / secs, cap, tpot)
            })
            .filter(|&(_, _, tpot)| tpot <= 0.080)
            .fold((0.0, 0, 0.0), |best, x| if x.0 > best.0 { x } else { best });
        println!(
            "| {name} | {offline:.0} | {:.0} ({}, {:.1}) |",
            server.0,
            server.1,
            server.2 * 1e3
        );
    }
}

/// [`burst`] with a running limit of `cap`.
fn burst_capped(cost: CostModel, n: u32, cap: u32, isl: u32, osl: u32) -> (f64, f64, f64) {
    run(Batcher::new(cost, cap, 16_384), n, isl, osl)
}

/// Mean TTFT, mean TPOT (seconds) and total time for `n` requests pushed at once.
fn burst(cost: CostModel, n: u32, isl: u32, osl: u32) -> (f64, f64, f64) {
    run(Batcher::new(cost, 512, 16_384), n, isl, osl)
}

fn run(mut b: Batcher<u32>, n: u32, isl: u32, osl: u32) -> (f64, f64, f64) {
    for i in 0..n {
        b.push(i, isl, osl);
    }
    let mut first = vec![0.0; n as usize];
    let mut last = vec![0.0; n as usize];
    let (mut now, mut out) = (Duration::ZERO, Vec::new());
    while let Some(dt) = b.step(&mut out) {
        now += dt;
        for p in out.drain(..) {
            let t = now.as_secs_f64();
            if p.produced == 1 {
                first[p.tag as usize] = t;
            }
            last[p.tag as usize] = t;
        }
    }
    let nf = f64::from(n);
    let ttft = first.iter().sum::<f64>() / nf;
    let tpot = first
        .iter()
        .zip(&last)
        .map(|(f, l)| (l - f) / f64::from(osl - 1))
        .sum::<f64>()
        / nf;
    (ttft, tpot, now.as_secs_f64())
}
