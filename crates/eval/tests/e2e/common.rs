//! Crafting accuracy logs.

use std::io::Write;
use std::path::{Path, PathBuf};

use ossperf_eval::ReferenceRow;

pub const A: &str = "<|channel|>analysis<|message|>";
pub const F: &str = "<|end|><|start|>assistant<|channel|>final<|message|>";
pub const R: &str = "<|return|>";

pub fn tokens(text: &str) -> Vec<u32> {
    ossperf_harmony::tokenizer().encode_with_special_tokens(text)
}

pub fn hex_of(ids: &[u32]) -> String {
    let mut out = String::with_capacity(ids.len() * 8);
    for id in ids {
        out.push_str(&hex::encode_upper(id.to_le_bytes()));
    }
    out
}

/// Streams a LoadGen-style accuracy log to `path`, one entry per `(qsl_idx, ids)`.
pub fn write_log<I: IntoIterator<Item = (u64, Vec<u32>)>>(path: &Path, entries: I) {
    let file = std::fs::File::create(path).unwrap();
    let mut f = std::io::BufWriter::new(file);
    writeln!(f, "[").unwrap();
    for (i, (qsl, ids)) in entries.into_iter().enumerate() {
        let sep = if i == 0 { "" } else { ",\n" };
        write!(
            f,
            "{sep}{{\"seq_id\": {i}, \"qsl_idx\": {qsl}, \"data\": \"{}\", \"token_count\": {}}}",
            hex_of(&ids),
            ids.len()
        )
        .unwrap();
    }
    writeln!(f, "\n]").unwrap();
}

pub fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// The bundled sample's rows (`data/sample.jsonl`), in file order.
pub fn sample_reference() -> Vec<ReferenceRow> {
    let text = std::fs::read_to_string(data("sample.jsonl")).unwrap();
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            ReferenceRow {
                dataset: v["dataset"].as_str().unwrap().to_owned(),
                ground_truth: match &v["ground_truth"] {
                    serde_json::Value::Null => None,
                    serde_json::Value::String(s) => Some(s.as_str().into()),
                    other => Some(other.to_string().into()),
                },
            }
        })
        .collect()
}

/// True when LiveCodeBench items can run here at full strength; prints why not otherwise.
pub fn sandbox_ready(test: &str) -> bool {
    let config = ossperf_eval::lcb::SandboxConfig::default();
    match ossperf_eval::lcb::probe(&config) {
        Ok(ossperf_eval::lcb::Strength::Full) => true,
        Ok(_) => {
            println!("{test}: skipped, the full sandbox needs root");
            false
        }
        Err(reason) => {
            println!("{test}: skipped, {reason}");
            false
        }
    }
}
