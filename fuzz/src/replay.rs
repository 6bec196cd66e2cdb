//! The fuzz targets on stable Rust: for each target, every seed of `corpus/<target>/`, then
//! seeded mutations of them (bit flips, interesting bytes, truncation, duplication, splices)
//! until the time budget is spent. A panic is a crash: its input is saved under
//! `artifacts/<target>/` and the run exits 1. This is the fallback where `cargo fuzz` (which
//! needs a nightly compiler) cannot run; it finds less than libFuzzer, but finds it the same
//! way, and replays libFuzzer's crash files as regression inputs.
//!
//! `cargo run --release --bin replay -- [--seconds N] [--seed S] [TARGET...]`
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// A small deterministic generator (xorshift64*), so a run is reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

const INTERESTING: [u8; 12] = [
    0, 1, 0x7f, 0x80, 0xff, b'\n', b'\r', b':', b'"', b'{', b']', b'=',
];

fn mutate(rng: &mut Rng, input: &[u8], corpus: &[Vec<u8>]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let len = out.len();
        match rng.below(7) {
            0 if len > 0 => {
                let i = rng.below(len);
                out[i] ^= 1 << rng.below(8);
            }
            1 if len > 0 => {
                let i = rng.below(len);
                out[i] = INTERESTING[rng.below(INTERESTING.len())];
            }
            2 if len > 0 => out.truncate(rng.below(len)),
            3 if len > 0 => {
                let a = rng.below(len);
                let b = (a + rng.below(64)).min(len);
                let piece = out[a..b].to_vec();
                let at = rng.below(len);
                out.splice(at..at, piece);
            }
            4 => {
                let at = rng.below(len + 1);
                let n = 1 + rng.below(8);
                let bytes: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                out.splice(at..at, bytes);
            }
            5 if len > 0 => {
                let a = rng.below(len);
                let b = (a + 1 + rng.below(32)).min(len);
                out.drain(a..b);
            }
            6 if !corpus.is_empty() => {
                let other = &corpus[rng.below(corpus.len())];
                let cut = rng.below(out.len() + 1);
                let from = rng.below(other.len() + 1);
                out.truncate(cut);
                out.extend_from_slice(&other[from..]);
            }
            _ => {}
        }
    }
    out.truncate(1 << 20);
    out
}

fn read_corpus(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|entries| entries.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter(|p| p.is_file())
        .filter_map(|p| std::fs::read(p).ok())
        .collect()
}

/// Runs `target` once; on a panic saves the input and returns its path.
fn try_one(name: &str, target: ossperf_fuzz::Target, input: &[u8], root: &Path) -> Option<PathBuf> {
    if catch_unwind(AssertUnwindSafe(|| target(input))).is_ok() {
        return None;
    }
    let dir = root.join("artifacts").join(name);
    let _ = std::fs::create_dir_all(&dir);
    let hash = input.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    });
    let path = dir.join(format!("crash-{hash:016x}"));
    let _ = std::fs::write(&path, input);
    Some(path)
}

struct Args {
    seconds: u64,
    seed: u64,
    targets: Vec<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 10,
        seed: 1,
        targets: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut number = |flag: &str| -> Result<u64, String> {
            let value = it.next().ok_or(format!("`{flag}` needs a number"))?;
            value
                .parse()
                .map_err(|_| format!("`{flag}` expects a whole number, found `{value}`"))
        };
        match arg.as_str() {
            "--seconds" => args.seconds = number("--seconds")?,
            "--seed" => args.seed = number("--seed")?.max(1),
            name if ossperf_fuzz::TARGETS.iter().any(|(n, _)| *n == name) => {
                args.targets.push(name.to_string());
            }
            other => {
                let names: Vec<&str> = ossperf_fuzz::TARGETS.iter().map(|(n, _)| *n).collect();
                return Err(format!(
                    "unknown argument `{other}`; expected `--seconds N`, `--seed S` or a target: {}",
                    names.join(", ")
                ));
            }
        }
    }
    Ok(args)
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("error: {message}");
            return ExitCode::from(2);
        }
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    // Panics are expected findings: keep their messages short and on stderr.
    std::panic::set_hook(Box::new(|info| eprintln!("panic: {info}")));
    let mut crashed = false;
    for (name, target) in ossperf_fuzz::TARGETS {
        if !args.targets.is_empty() && !args.targets.iter().any(|t| t == name) {
            continue;
        }
        let mut corpus = read_corpus(&root.join("corpus").join(name));
        corpus.extend(read_corpus(&root.join("regressions").join(name)));
        let budget = Duration::from_secs(args.seconds);
        let started = Instant::now();
        let mut rng = Rng(args.seed ^ 0x9e37_79b9_7f4a_7c15);
        let mut execs = 0_u64;
        let mut crashes = Vec::new();
        for seed in &corpus {
            execs += 1;
            crashes.extend(try_one(name, target, seed, &root));
        }
        while started.elapsed() < budget && !corpus.is_empty() {
            let base = &corpus[rng.below(corpus.len())];
            let input = mutate(&mut rng, base, &corpus);
            execs += 1;
            crashes.extend(try_one(name, target, &input, &root));
            if crashes.len() >= 5 {
                break;
            }
        }
        let took = started.elapsed().as_secs_f64();
        println!(
            "{name:16} {execs:>9} execs in {took:6.1} s ({:>8.0}/s), {} seeds, {} crashes",
            execs as f64 / took.max(1e-9),
            corpus.len(),
            crashes.len()
        );
        for path in &crashes {
            println!("  crash input: {}", path.display());
        }
        crashed |= !crashes.is_empty();
    }
    if crashed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
