//! Fuzz targets for every parser that reads outside input (issue #9): the conf parser, the
//! SSE parser, the servers' JSON chunks, the HTTP/1.1 response heads and body framing, the
//! dataset readers (parquet, pickle, JSONL), the accuracy-log reader and the harmony parser.
//! Each target is a plain function of bytes that must return, never panic;
//! `fuzz_targets/*.rs` hand them to libFuzzer (`cargo fuzz run <target>`), and
//! `src/replay.rs` runs them on stable Rust as a seeded mutation loop over the committed
//! corpora, for machines without a nightly compiler.

use std::io::Write;
use std::path::PathBuf;

use ossperf_loadgen::{reference_settings, ConfFile, Scenario, TestMode};

/// A fuzz target: any bytes in, no panic out.
pub type Target = fn(&[u8]);

/// Every target by name, as `fuzz_targets/<name>.rs` and `corpus/<name>/` name them.
pub const TARGETS: [(&str, Target); 9] = [
    ("conf", conf),
    ("sse", sse),
    ("dataset_parquet", dataset_parquet),
    ("dataset_pickle", dataset_pickle),
    ("dataset_jsonl", dataset_jsonl),
    ("accuracy_log", accuracy_log),
    ("harmony", harmony),
    ("json_chunk", json_chunk),
    ("http_response", http_response),
];

/// Parses the bytes as a user.conf, then resolves the settings of every scenario and mode
/// with it over the built-in mlperf.conf, as `ossperf run` does.
pub fn conf(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Ok(user) = ConfFile::parse("fuzz.conf", &text) else {
        return;
    };
    let Ok(mlperf) = ConfFile::builtin_mlperf() else {
        return;
    };
    for scenario in [Scenario::Offline, Scenario::Server] {
        for mode in [TestMode::PerformanceOnly, TestMode::AccuracyOnly] {
            let _ = reference_settings("gpt-oss-120b", scenario, mode, &mlperf, Some(&user), None);
        }
    }
}

/// How the SSE target gives the parser a read.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Feed {
    /// `push`: copied.
    Copied,
    /// `push_bytes`, then `release` before the next read.
    ZeroCopy,
    /// As the client does: appended to `append_target` when it offers one (a cut event is
    /// pending), else `push_bytes`.
    Appended,
}

/// Feeds the bytes to the SSE parser in reads split where the first byte says, three ways:
/// copied (`push`), zero-copy (`push_bytes`, then `release` before the next read) and
/// appended to the parser's buffer while a cut event is pending (as the client does). All
/// must yield the same events, none longer than the input given so far.
pub fn sse(data: &[u8]) {
    let Some((&split, body)) = data.split_first() else {
        return;
    };
    let step = usize::from(split).max(1);
    let copied = sse_events(body, step, Feed::Copied);
    let zero_copy = sse_events(body, step, Feed::ZeroCopy);
    assert_eq!(copied, zero_copy, "push and push_bytes disagree");
    let appended = sse_events(body, step, Feed::Appended);
    assert_eq!(copied, appended, "push and appending disagree");
}

/// Every event (or the error that stopped a read's draining) of the body in reads of `step`.
fn sse_events(body: &[u8], step: usize, feed: Feed) -> Vec<Option<Vec<u8>>> {
    let mut parser = ossperf_client::sse::SseParser::new(4096);
    let mut events = Vec::new();
    let mut given = 0;
    let mut drain = |parser: &mut ossperf_client::sse::SseParser, given: usize| loop {
        match parser.next_event() {
            Ok(Some(event)) => {
                assert!(event.len() <= given, "an event longer than the input");
                events.push(Some(event.to_vec()));
            }
            Ok(None) => break,
            Err(_) => {
                events.push(None);
                break;
            }
        }
    };
    for chunk in body.chunks(step) {
        if feed == Feed::Copied {
            parser.push(chunk);
        } else if let Some(buf) = (feed == Feed::Appended)
            .then(|| parser.append_target())
            .flatten()
        {
            buf.extend_from_slice(chunk);
        } else {
            parser.push_bytes(bytes::Bytes::copy_from_slice(chunk));
        }
        given += chunk.len();
        drain(&mut parser, given);
        parser.release();
    }
    parser.finish();
    drain(&mut parser, given);
    events
}

/// Opens the bytes as a parquet dataset (`PAR1` put in front when missing).
pub fn dataset_parquet(data: &[u8]) {
    dataset_with_magic(data, b"PAR1", "parquet");
}

/// Opens the bytes as a pandas pickle (protocol 4's header put in front when missing).
pub fn dataset_pickle(data: &[u8]) {
    dataset_with_magic(data, &[0x80, 0x04], "pkl");
}

/// Opens the bytes as a JSONL dataset (`{` put in front when missing).
pub fn dataset_jsonl(data: &[u8]) {
    dataset_with_magic(data, b"{", "jsonl");
}

/// Reads the bytes as `mlperf_log_accuracy.json` the way the scorer does, and decodes every
/// entry's hex.
pub fn accuracy_log(data: &[u8]) {
    let Some(path) = scratch_file("json", data) else {
        return;
    };
    let mut ids = Vec::new();
    let _ = ossperf_eval::log::for_each_entry(&path, |_, entry| {
        ids.clear();
        let _ = ossperf_eval::log::decode_tokens(&entry.data, &mut ids);
        let _ = ossperf_eval::log::count_tokens_lenient(&entry.data);
        Ok(())
    });
}

/// Parses the bytes as harmony output: three bytes per token (little-endian), the high bit
/// choosing one of the special tokens (so channels, messages and terminators are common) and
/// the rest an ordinary id; then extracts the final answer as the scorer does.
pub fn harmony(data: &[u8]) {
    let ids: Vec<u32> = data
        .chunks_exact(3)
        .map(|t| {
            let v = u32::from_le_bytes([t[0], t[1], t[2], 0]);
            if v & 0x80_0000 != 0 {
                199_998 + (v & 0x1f)
            } else {
                v % ossperf_harmony::VOCAB_SIZE as u32
            }
        })
        .collect();
    if let Ok(messages) = ossperf_harmony::parse_messages(&ids) {
        let _ = ossperf_harmony::final_message(&messages);
    }
    let text = String::from_utf8_lossy(data);
    let _ = ossperf_harmony::py_strip(ossperf_harmony::extract_final_section(&text));
}

fn dataset_with_magic(data: &[u8], magic: &[u8], ext: &str) {
    let mut bytes = Vec::with_capacity(data.len() + magic.len());
    if !data.starts_with(magic) {
        bytes.extend_from_slice(magic);
    }
    bytes.extend_from_slice(data);
    let Some(path) = scratch_file(ext, &bytes) else {
        return;
    };
    let options = ossperf_dataset::OpenOptions::default();
    if let Ok(dataset) = ossperf_dataset::open_with(&path, &options) {
        for i in 0..dataset.len() {
            let _ = dataset.tokens(i);
            let _ = dataset.sub_dataset(i);
        }
    }
}

/// Writes `bytes` to this thread's scratch file (readers take paths) and returns its path.
fn scratch_file(ext: &str, bytes: &[u8]) -> Option<PathBuf> {
    let dir = std::env::temp_dir().join(format!("ossperf-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let path = dir.join(format!("input-{:?}.{ext}", std::thread::current().id()));
    let mut file = std::fs::File::create(&path).ok()?;
    file.write_all(bytes).ok()?;
    Some(path)
}

/// Parses the bytes as an SGLang chunk and as an OpenAI chunk with the client's fast path and
/// with serde: wherever the fast path answers, serde must answer the same. Bytes with a
/// newline are also read as two consecutive SGLang chunks by the cumulative tail parse
/// (`check_tail_path`), which must agree with serde on the second.
pub fn json_chunk(data: &[u8]) {
    for backend in [ossperf_client::Backend::Sglang, ossperf_client::Backend::Openai] {
        ossperf_client::check_fast_path(backend, data);
    }
    if let Some(k) = data.iter().position(|&b| b == b'\n') {
        ossperf_client::check_tail_path(&data[..k], &data[k + 1..]);
    }
}

/// Parses the bytes after the first as an HTTP/1.1 response and decodes its body (chunked,
/// `Content-Length` or until close) in reads of the first byte's length and all at once: both
/// must give the same body and end the same way.
pub fn http_response(data: &[u8]) {
    ossperf_client::check_http_response(data);
}
