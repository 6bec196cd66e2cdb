//! gpt-oss benchmark datasets: one [`Dataset`] type read from MLCommons parquet, pandas pickles
//! and JSONL, with schema checks, dataset building and writers. Must not know about HTTP.
//!
//! Row `i` of the file is QSL index `i`: readers keep the stored order across parquet row groups
//! and pandas blocks, and never sort or de-duplicate. Prompts are token ids, checked against the
//! o200k_harmony vocabulary when opened, and sent to the server unchanged.
//!
//! ```
//! let ds = ossperf_dataset::bundled_sample().unwrap();
//! let prompt: &[u32] = ds.tokens(0);
//! // Every harmony prompt ends with `<|start|>assistant`.
//! assert_eq!(prompt[prompt.len() - 2], ossperf_harmony::special::START);
//! assert_eq!(ds.sub_dataset(0), Some("aime25"));
//! ```

#![warn(unreachable_pub)]
#![warn(missing_docs)]

mod assemble;
mod build;
mod error;
mod jsonl;
mod model;
mod parquet_io;
pub mod pickle;
mod reference;
mod stats;

use std::path::Path;

pub use build::{build_from_jsonl, BuildOptions};
pub use error::{DatasetError, Result};
pub use jsonl::write_jsonl;
pub use model::{Column, Dataset};
pub use ossperf_harmony::ReasoningEffort;
pub use parquet_io::write_parquet;
pub use reference::{read_reference, ReferenceColumns, ReferenceValue};
pub use stats::{LengthStats, Summary};

/// How [`open_with`] reads a file.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Reject token ids at or above the vocabulary size (on by default; `inspect` turns it off
    /// to count them instead).
    pub check_vocabulary: bool,
    /// Keep only the first N rows (`--max-samples`).
    pub max_samples: Option<usize>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        Self {
            check_vocabulary: true,
            max_samples: None,
        }
    }
}

/// The formats this crate reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// Apache Parquet in the MLCommons schema.
    Parquet,
    /// A pickled pandas DataFrame (protocols 2 to 5).
    Pickle,
    /// JSON Lines, one object per row.
    Jsonl,
}

impl Format {
    /// The format named by a file's extension (`.parquet`, `.pkl`/`.pickle`, `.jsonl`/`.json`).
    pub fn from_extension(path: &Path) -> Option<Self> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "parquet" | "pq" => Some(Self::Parquet),
            "pkl" | "pickle" => Some(Self::Pickle),
            "jsonl" | "ndjson" | "json" => Some(Self::Jsonl),
            _ => None,
        }
    }

    /// The format the first bytes of a file show, if any.
    pub fn sniff(head: &[u8]) -> Option<Self> {
        match head {
            [b'P', b'A', b'R', b'1', ..] => Some(Self::Parquet),
            [0x80, 2..=5, ..] => Some(Self::Pickle),
            _ => match head.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => Some(Self::Jsonl),
                _ => None,
            },
        }
    }
}

/// Opens a dataset file with the default options (vocabulary checked, every row).
pub fn open(path: &Path) -> Result<Dataset> {
    open_with(path, &OpenOptions::default())
}

/// Opens a dataset file. The format comes from the file's first bytes, so a misnamed file is
/// still read; a file that is no known format is an error that says what it starts with.
pub fn open_with(path: &Path, options: &OpenOptions) -> Result<Dataset> {
    let bytes = std::fs::read(path).map_err(|e| DatasetError::io(path, e))?;
    let dataset = from_bytes(path, bytes, options)?;
    Ok(match options.max_samples {
        Some(n) => dataset.max_samples(n),
        None => dataset,
    })
}

fn from_bytes(path: &Path, bytes: Vec<u8>, options: &OpenOptions) -> Result<Dataset> {
    let format = Format::sniff(&bytes).ok_or_else(|| DatasetError::UnknownFormat {
        file: path.to_path_buf(),
        found: describe_head(&bytes),
    })?;
    match format {
        Format::Parquet => parquet_io::read(path, bytes::Bytes::from(bytes), options),
        Format::Pickle => pickle::read(path, &bytes, options),
        Format::Jsonl => jsonl::read(path, &bytes, options),
    }
}

fn describe_head(bytes: &[u8]) -> String {
    if bytes.is_empty() {
        return "the file is empty".to_owned();
    }
    let head: String = bytes
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ");
    format!("it starts with bytes `{head}`")
}

/// The bytes of the bundled sample's parquet file (a run records their hash).
pub static BUNDLED_SAMPLE: &[u8] = include_bytes!("../../../data/sample.parquet");

/// The bundled sample (`data/sample.parquet` in the repository, compiled into the binary): about
/// 100 prompts written for ossperf in the style of each sub-dataset (`aime25`, `gpqa_diamond`,
/// `livecodebench_v6`, `pubmed_summarization`; see `data/README.md`), rendered at reasoning
/// effort `high` by
/// `ossperf dataset build data/sample.jsonl data/sample.parquet --reasoning-effort high`.
/// `ossperf run` uses it when no `--input-file` is given; being compiled in, it works from any
/// working directory. Its source shows as `<bundled sample>`.
pub fn bundled_sample() -> Result<Dataset> {
    parquet_io::read(
        Path::new("<bundled sample>"),
        bytes::Bytes::from_static(BUNDLED_SAMPLE),
        &OpenOptions::default(),
    )
}
