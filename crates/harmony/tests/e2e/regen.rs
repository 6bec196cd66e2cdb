//! The committed fixtures are exactly what `tests/fixtures/gen.py` writes today, with the
//! Python reference packages pointed at tiktoken-rs's own copy of the vocabulary.

use std::path::{Path, PathBuf};
use std::process::Command;

const FIXTURES: [&str; 6] = [
    "tokens.json",
    "render.json",
    "prompts.json",
    "parse.json",
    "extract.json",
    "sample_prompts.json",
];

/// tiktoken-rs's `o200k_base.tiktoken` in the cargo registry, if the sources are there.
fn vocabulary() -> Option<PathBuf> {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))?;
    let src = home.join("registry/src");
    std::fs::read_dir(src).ok()?.flatten().find_map(|index| {
        let file = index
            .path()
            .join("tiktoken-rs-0.12.1/assets/o200k_base.tiktoken");
        file.is_file().then_some(file)
    })
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("ossperf-harmony-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn the_fixture_script_reproduces_every_committed_fixture() {
    let Some(vocab) = vocabulary() else {
        println!("skipped: tiktoken-rs 0.12.1 sources not found in the cargo registry");
        return;
    };
    let probe = Command::new("python3")
        .args(["-c", "import tiktoken, openai_harmony"])
        .output();
    if !probe.as_ref().is_ok_and(|o| o.status.success()) {
        println!("skipped: python3 with tiktoken and openai_harmony is not available");
        return;
    }
    let cache = scratch("vocab");
    std::fs::copy(&vocab, cache.join("o200k_base.tiktoken")).unwrap();
    // Python tiktoken looks the file up by the sha1 of its download URL.
    std::fs::copy(
        &vocab,
        cache.join("fb374d419588a4632f3f557e76b4b70aebbca790"),
    )
    .unwrap();
    let out = scratch("fixtures");
    let here = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let run = Command::new("python3")
        .arg(here.join("gen.py"))
        .arg("--out")
        .arg(&out)
        .env("TIKTOKEN_CACHE_DIR", &cache)
        .env("TIKTOKEN_ENCODINGS_BASE", &cache)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    for name in FIXTURES {
        let fresh = std::fs::read(out.join(name)).unwrap();
        let committed = std::fs::read(here.join(name)).unwrap();
        assert!(fresh == committed, "{name} differs from what gen.py writes");
    }
    std::fs::remove_dir_all(&cache).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
}
