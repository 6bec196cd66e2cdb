//! The parquet crate panics on some damaged files (issue #9's fuzzing); the reader turns the
//! panic into a clean error and keeps the panic hook quiet meanwhile, so the user sees only
//! the error. A process of its own: the hook is process-wide.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

static HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

fn main() {
    std::panic::set_hook(Box::new(|_| {
        HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
    }));
    let _ = std::panic::catch_unwind(|| panic!("an ordinary panic"));
    assert_eq!(HOOK_CALLS.load(Ordering::SeqCst), 1, "the hook is in place");

    let dir = tempfile::tempdir().unwrap();
    let regressions =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/dataset_parquet");
    let mut caught = 0;
    for entry in std::fs::read_dir(regressions).unwrap() {
        let path = dir.path().join("crash.parquet");
        std::fs::copy(entry.unwrap().path(), &path).unwrap();
        let message = ossperf_dataset::open(&path).unwrap_err().to_string();
        let prefix = format!("`{}` is not a readable parquet file: ", path.display());
        assert!(message.starts_with(&prefix), "{message}");
        // A debug build's overflow check inside the parquet crate: a caught panic.
        if message.contains("with overflow") {
            caught += 1;
        }
    }
    // Release builds check no overflow, so nothing panics there.
    assert!(
        caught >= 1 || !cfg!(debug_assertions),
        "no regression input made the parquet crate panic"
    );
    assert_eq!(
        HOOK_CALLS.load(Ordering::SeqCst),
        1,
        "the reader's caught panics reached the panic hook"
    );

    let _ = std::panic::catch_unwind(|| panic!("another ordinary panic"));
    assert_eq!(
        HOOK_CALLS.load(Ordering::SeqCst),
        2,
        "after the reader, panics reach the hook again"
    );
    println!("quiet_panic: ok ({caught} caught parquet panic(s), none reported by the hook)");
}
