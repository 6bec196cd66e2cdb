//! Checks against fixtures made by Python tiktoken and openai-harmony
//! (`tests/fixtures/gen.py`), and against the bundled sample dataset.

// The fixture helpers are test code; a bad fixture should fail loudly.
#![allow(clippy::unwrap_used)]

mod extract;
mod parse;
mod regen;
mod render;
mod sample;
mod speed;
mod tokens;

use std::path::PathBuf;

use serde_json::Value;

/// Reads `tests/fixtures/<name>` as a JSON array.
pub fn fixture(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    match serde_json::from_str(&text).unwrap() {
        Value::Array(rows) => rows,
        other => panic!("{} is not an array: {other}", path.display()),
    }
}

/// A JSON array of numbers as token ids.
pub fn ids(value: &Value) -> Vec<u32> {
    value
        .as_array()
        .unwrap()
        .iter()
        .map(|v| u32::try_from(v.as_u64().unwrap()).unwrap())
        .collect()
}

/// A JSON string, or `None` for null.
pub fn opt_str(value: &Value) -> Option<&str> {
    value.as_str()
}
