//! How a run was configured and whether its result can be submitted: the parts of the result
//! model that `ossperf run` knows before the first query (the estimate, the verdict, the
//! settings' sources), so a `results.json` alone tells how to reproduce and judge its run.

use serde::{Deserialize, Serialize};

/// Whether the result can go into a closed-division submission (computed by one function,
/// `submittable::verdict`, for the terminal, `results.json` and the report alike).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Submittable {
    /// True when no reason applies.
    pub submittable: bool,
    /// Why it cannot be submitted, one sentence each.
    pub reasons: Vec<String>,
}

/// What one phase of a test issues, known before the first query.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseEstimate {
    /// `performance` or `accuracy`.
    pub phase: String,
    /// Queries issued (LoadGen's `generated_query_count`, summed over the sets it issues).
    pub queries: u64,
    /// `effective_samples_per_query`, as logged.
    pub logged_samples_per_query: u64,
    /// Samples per query actually issued (`generated_samples_per_query`, after equal-issue
    /// padding).
    pub issued_samples_per_query: u64,
    /// Samples issued in all.
    pub samples: u64,
    /// Expected duration at `target_qps`, in nanoseconds: Offline, the samples over the
    /// rate; otherwise the scheduled time of the last query.
    pub duration_ns: u64,
}

/// How the run was configured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    /// The command line, one argument per item (the program first).
    pub command_line: Vec<String>,
    /// The dataset the QSL held.
    pub dataset: DatasetRecord,
    /// The conf files the settings came from, in the order they apply.
    pub conf_files: Vec<ConfRecord>,
    /// The sampling parameters of every request.
    pub generation: GenerationRecord,
    /// `sim` (the built-in simulator), `sglang` or `openai`.
    pub backend: String,
    /// True when the built-in simulator answered: the result measures no real server.
    pub simulated: bool,
    /// The servers, as given (kind and version when the server told them).
    pub servers: Vec<ServerRecord>,
    /// What each phase was expected to issue, and for how long.
    pub estimate: Vec<PhaseEstimate>,
    /// With `--salt-prompts`, the salt number of the test's first request (the warm-up's
    /// first, if any); each later request's is one more, below 10¹² (docs/WARMUP.md).
    /// Absent without salting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_salt: Option<u64>,
}

/// The dataset of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetRecord {
    /// The file as given, or null for the bundled sample.
    pub path: Option<String>,
    /// Rows the QSL held (after `--max-samples`).
    pub rows: u64,
    /// SHA-256 of the file's bytes (of the bundled sample's, without a file), lowercase hex.
    pub sha256: String,
}

/// One conf file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfRecord {
    /// `mlperf.conf`, `user.conf` or `audit.config`.
    pub role: String,
    /// The path as given, or which built-in file stood in (`built-in`, `built-in demo`).
    pub origin: String,
    /// The file's whole text.
    pub text: String,
}

/// The sampling parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenerationRecord {
    /// Most tokens per answer.
    pub max_new_tokens: u32,
    /// Sampling temperature.
    pub temperature: f64,
    /// Top-k (-1: off).
    pub top_k: i32,
    /// Top-p.
    pub top_p: f64,
    /// Whether answers were streamed.
    pub stream: bool,
}

/// One server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerRecord {
    /// Its URL.
    pub url: String,
    /// Its kind (`sglang`, `vllm`, ...), when learned at start.
    pub kind: Option<String>,
    /// Its version, when learned at start.
    pub version: Option<String>,
}
