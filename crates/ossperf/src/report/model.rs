//! The result model: everything one run produced, as plain data with explicit units.
//!
//! It knows nothing of LoadGen's or the client's types: `ossperf run` maps its `TestReport`,
//! the client's per-request facts and the effective settings into it, and every exporter
//! (`results.json`, the HTML report, the terminal gauge) reads only this. Times of requests
//! are nanoseconds since the LoadGen test start (the `*_ns` fields); every metric carries its
//! [`Unit`], so no reader has to guess what a bare number means.

use serde::{Deserialize, Serialize};

/// The version of the `results.json` layout; bumped on any change a reader could notice.
pub const SCHEMA_VERSION: u32 = 1;

/// One benchmark run: settings, verdict, metrics, per-request records and server samples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunResults {
    /// Always [`SCHEMA_VERSION`] when written by this build.
    pub schema_version: u32,
    /// The tool that wrote the file (`ossperf`).
    pub tool: String,
    /// The tool's version (`0.1.0`).
    pub version: String,
    /// When the test started, RFC 3339 in UTC (`2026-11-26T04:33:52Z`).
    pub started_at: String,
    /// The LoadGen scenario (`Offline`, `Server`); an Interactive run is a `Server` run whose
    /// `model_key` is `gpt-oss-120b-interactive`.
    pub scenario: String,
    /// The LoadGen mode (`PerformanceOnly`, `AccuracyOnly`).
    pub mode: String,
    /// The model key the settings were resolved for (`gpt-oss-120b`).
    pub model_key: String,
    /// Which LoadGen drove the test (files written before this field: ossperf's own).
    #[serde(default)]
    pub loadgen: LoadgenInfo,
    /// Whether the result can be submitted, and why not (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub submittable: Option<super::Submittable>,
    /// How the run was configured (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub config: Option<super::RunConfig>,
    /// The effective settings, in the order LoadGen reports them.
    pub settings: Vec<Setting>,
    /// VALID or INVALID, with each check and the recommendations.
    pub verdict: Verdict,
    /// Every summary metric, with its unit and, where one applies, its constraint.
    pub metrics: Vec<Metric>,
    /// The inference endpoints; [`RequestRecord::endpoint`] indexes this list.
    pub endpoints: Vec<Endpoint>,
    /// Where the output token ids and counts came from; all zero when every answer carried
    /// ids that agreed with the server's count.
    #[serde(default)]
    pub tokens: TokenSources,
    /// One record per sample issued, in issue order.
    pub requests: Vec<RequestRecord>,
    /// Figures beyond LoadGen's, from the records: time to first answer, reasoning and
    /// answer tokens, finish reasons, input lengths (absent in older files).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beyond_loadgen: Option<super::BeyondLoadgen>,
    /// Server-side metric samples over time (scraped Prometheus values), possibly empty.
    pub server_metrics: Vec<MetricSeries>,
    /// The requests sent before the timed run (`--warmup`), when there were any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<super::Warmup>,
    /// The `--telemetry` pages scraped during the run, when any were given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub telemetry: Option<super::Telemetry>,
}

/// Which LoadGen drove a test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoadgenInfo {
    /// `native` (ossperf's own) or `official` (the C++ library).
    pub kind: String,
    /// The official LoadGen version it is (official) or reproduces (native).
    pub version: String,
}

impl Default for LoadgenInfo {
    fn default() -> Self {
        Self::native()
    }
}

impl LoadgenInfo {
    /// The official version ossperf's LoadGen reproduces.
    pub const NATIVE_REPRODUCES: &'static str = "6.0.17";

    /// ossperf's own LoadGen.
    pub fn native() -> Self {
        Self {
            kind: "native".into(),
            version: Self::NATIVE_REPRODUCES.into(),
        }
    }

    /// The official library of `version`.
    pub fn official(version: &str) -> Self {
        Self {
            kind: "official".into(),
            version: version.into(),
        }
    }

    /// `ossperf's LoadGen (reproduces the official 6.0.17)` or `the official LoadGen 6.0.17`.
    pub fn describe(&self) -> String {
        if self.kind == "official" {
            format!("the official LoadGen {} (C++ library)", self.version)
        } else {
            format!(
                "ossperf's LoadGen (reproduces the official {})",
                self.version
            )
        }
    }
}

/// One effective setting, as LoadGen names and prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Setting {
    /// The setting's name (`target_qps`).
    pub key: String,
    /// Its value as printed (`12.5`).
    pub value: String,
}

/// The MLPerf verdict of a run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Verdict {
    /// True when LoadGen says `Result is : VALID`.
    pub valid: bool,
    /// Each validity check (`Performance constraints`, `Min duration`, ...).
    pub checks: Vec<Check>,
    /// The recommendations LoadGen prints for an INVALID result.
    pub reasons: Vec<String>,
    /// The early-stopping results (`TTFT`, `TPOT`) with LoadGen's text.
    pub early_stopping: Vec<EarlyStopping>,
}

/// One validity check of the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Check {
    /// The check as the summary names it (`Min duration`).
    pub name: String,
    /// Whether it was satisfied.
    pub ok: bool,
}

/// One early-stopping result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlyStopping {
    /// What it was computed on (`TTFT`, `TPOT`, `latency`).
    pub on: String,
    /// LoadGen's text, lines joined with `\n`.
    pub text: String,
}

/// The unit of a metric's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Nanoseconds.
    Ns,
    /// Milliseconds.
    Ms,
    /// Seconds.
    S,
    /// Output tokens per second.
    TokensPerS,
    /// Samples per second.
    SamplesPerS,
    /// Queries per second.
    QueriesPerS,
    /// A count.
    Count,
    /// A plain number without unit.
    Number,
}

impl Unit {
    /// The short label shown after a value (`ns`, `tokens/s`).
    pub fn label(self) -> &'static str {
        match self {
            Unit::Ns => "ns",
            Unit::Ms => "ms",
            Unit::S => "s",
            Unit::TokensPerS => "tokens/s",
            Unit::SamplesPerS => "samples/s",
            Unit::QueriesPerS => "queries/s",
            Unit::Count => "",
            Unit::Number => "",
        }
    }
}

/// One summary metric.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Metric {
    /// The metric's name (`ttft_p99`, `completed_tokens_per_second`).
    pub name: String,
    /// The measured value, in `unit`.
    pub value: f64,
    /// The unit of `value` and of the constraint's limit.
    pub unit: Unit,
    /// The limit it must respect, if any.
    pub constraint: Option<Constraint>,
    /// Whether the constraint holds; absent without a constraint.
    pub ok: Option<bool>,
}

impl Metric {
    /// A metric without constraint.
    pub fn new(name: impl Into<String>, value: f64, unit: Unit) -> Metric {
        Metric {
            name: name.into(),
            value,
            unit,
            constraint: None,
            ok: None,
        }
    }

    /// The same metric with a constraint; `ok` is computed from it.
    pub fn with_constraint(mut self, constraint: Constraint) -> Metric {
        self.ok = Some(constraint.holds(self.value));
        self.constraint = Some(constraint);
        self
    }

    /// How far the value is from the limit, toward the safe side: positive when the
    /// constraint holds (`limit - value` for `at_most`), negative when it is broken.
    pub fn margin(&self) -> Option<f64> {
        self.constraint.map(|c| match c.op {
            ConstraintOp::AtMost => c.limit - self.value,
            ConstraintOp::AtLeast => self.value - c.limit,
        })
    }
}

/// A limit on a metric, in the metric's unit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Constraint {
    /// The direction of the limit.
    pub op: ConstraintOp,
    /// The limit itself.
    pub limit: f64,
}

impl Constraint {
    /// The value must not exceed `limit` (LoadGen fails only on `>`).
    pub fn at_most(limit: f64) -> Constraint {
        Constraint {
            op: ConstraintOp::AtMost,
            limit,
        }
    }

    /// The value must reach at least `limit`.
    pub fn at_least(limit: f64) -> Constraint {
        Constraint {
            op: ConstraintOp::AtLeast,
            limit,
        }
    }

    /// Whether `value` respects the limit; equality passes.
    pub fn holds(self, value: f64) -> bool {
        match self.op {
            ConstraintOp::AtMost => value <= self.limit,
            ConstraintOp::AtLeast => value >= self.limit,
        }
    }
}

/// The direction of a [`Constraint`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConstraintOp {
    /// value ≤ limit.
    AtMost,
    /// value ≥ limit.
    AtLeast,
}

/// Where the output tokens came from, in completed samples (issue 19).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TokenSources {
    /// Answers without token ids whose returned text was encoded with the harmony tokenizer
    /// into the LoadGen payload (accuracy and compliance runs, or no count to use).
    #[serde(default)]
    pub text_encoded: u64,
    /// Answers whose output tokens were counted by encoding the text: the server sent
    /// neither ids nor a count (`usage`).
    #[serde(default)]
    pub counted_by_encoding: u64,
    /// Answers whose ids disagreed with the server's count: ids lost or duplicated on the way
    /// (e.g. SGLang v0.5.x dropping queued deltas).
    #[serde(default)]
    pub inconsistent_ids: u64,
}

impl TokenSources {
    /// The lines the summary and the report show, empty when there is nothing to say.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if self.text_encoded > 0 {
            lines.push(format!(
                "{} answer(s) came without token ids: their text was re-encoded with the harmony tokenizer",
                self.text_encoded
            ));
        }
        if self.counted_by_encoding > 0 {
            lines.push(format!(
                "{} answer(s) came without a token count: their tokens were counted by encoding the text",
                self.counted_by_encoding
            ));
        }
        if self.inconsistent_ids > 0 {
            lines.push(format!(
                "{} answer(s) had token ids that disagree with the server's count (lost or extra ids)",
                self.inconsistent_ids
            ));
        }
        lines
    }
}

/// An inference endpoint the client sent requests to, with the client's own counts for it.
/// The counts default to zero when reading a file written before they existed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Its base URL (`http://127.0.0.1:30000`).
    pub url: String,
    /// False when the start-up health check took it out of the run.
    #[serde(default = "in_rotation")]
    pub healthy: bool,
    /// True when it ended the run down: its last connections in a row could not be made.
    #[serde(default)]
    pub down: bool,
    /// Requests sent to it (a retry counts on the endpoint it went to).
    #[serde(default)]
    pub sent: u64,
    /// Requests it completed.
    #[serde(default)]
    pub completed: u64,
    /// Requests that failed on it.
    #[serde(default)]
    pub failed: u64,
    /// Requests whose connection to it failed before any answer, retried on another endpoint.
    #[serde(default)]
    pub retried_away: u64,
    /// Connections to it that could not be made: refused, timed out, or closed by the server
    /// before any answer.
    #[serde(default)]
    pub connect_failures: u64,
    /// Output tokens it generated, as it counted them.
    #[serde(default)]
    pub output_tokens: u64,
    /// What the start-up generation found it to be, e.g. `vllm, sends `return_token_ids:
    /// true`, answers with text only and a token count`; absent when it was left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

fn in_rotation() -> bool {
    true
}

impl Default for Endpoint {
    /// An endpoint with no URL, in rotation, that did nothing.
    fn default() -> Endpoint {
        Endpoint {
            url: String::new(),
            healthy: true,
            down: false,
            sent: 0,
            completed: 0,
            failed: 0,
            retried_away: 0,
            connect_failures: 0,
            output_tokens: 0,
            server: None,
        }
    }
}

/// One sample: when it was due, issued, answered, and what it carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestRecord {
    /// The sample's index in the query sample library.
    pub qsl_idx: u64,
    /// The sub-dataset the sample came from (`aime25`, `gpqa`, `livecodebench`).
    pub dataset: String,
    /// When LoadGen scheduled it, ns since the test start.
    pub scheduled_ns: u64,
    /// When it was actually issued, ns since the test start.
    pub issued_ns: u64,
    /// When the first token arrived, ns since the test start; absent in Offline or on error.
    pub first_token_ns: Option<u64>,
    /// When it completed (successfully or not), ns since the test start.
    pub complete_ns: u64,
    /// Prompt length in tokens.
    pub input_tokens: u32,
    /// Output length in tokens as the server counted them.
    pub output_tokens: u32,
    /// Index into [`RunResults::endpoints`].
    pub endpoint: u32,
    /// Why the request failed, if it did.
    pub error: Option<RequestError>,
    /// Why generation stopped (`stop`, `length`, `other`), for a completed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
    /// What the answer's harmony channels showed, for a completed request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<super::AnswerRecord>,
}

impl RequestRecord {
    /// LoadGen's sample latency: completion − scheduled time, in ns.
    pub fn latency_ns(&self) -> u64 {
        self.complete_ns.saturating_sub(self.scheduled_ns)
    }

    /// LoadGen's TTFT: first token − scheduled time, in ns.
    pub fn ttft_ns(&self) -> Option<u64> {
        self.first_token_ns
            .map(|first| first.saturating_sub(self.scheduled_ns))
    }

    /// LoadGen's TPOT: (latency − TTFT) / (output tokens − 1), truncating, in ns; absent
    /// without a first token or with fewer than 2 output tokens.
    pub fn tpot_ns(&self) -> Option<u64> {
        let ttft = self.ttft_ns()?;
        if self.output_tokens < 2 {
            return None;
        }
        Some(self.latency_ns().saturating_sub(ttft) / u64::from(self.output_tokens - 1))
    }

    /// The time to the first answer token (gpt-oss's final channel), from the scheduled time
    /// as LoadGen's TTFT is, in ns; absent unless the answer's channels showed one.
    pub fn time_to_first_answer_ns(&self) -> Option<u64> {
        let answer = self.answer.as_ref()?;
        (answer.status == super::answers::ANSWERED)
            .then_some(answer.first_answer_ns)?
            .map(|first| first.saturating_sub(self.scheduled_ns))
    }

    /// How late the issue was against the schedule, in ns.
    pub fn lateness_ns(&self) -> u64 {
        self.issued_ns.saturating_sub(self.scheduled_ns)
    }
}

/// Why one request failed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestError {
    /// A stable error kind from a bounded set (`timeout`, `http_status`, `connect`).
    pub kind: String,
    /// The message of this occurrence.
    pub message: String,
}

/// One server-side metric sampled over time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricSeries {
    /// The Prometheus metric name (`sglang:num_running_reqs`).
    pub name: String,
    /// Index into [`RunResults::endpoints`].
    pub endpoint: u32,
    /// The samples, in time order.
    pub points: Vec<MetricPoint>,
}

/// One sample of a [`MetricSeries`].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricPoint {
    /// When it was scraped, ns since the test start.
    pub t_ns: u64,
    /// The scraped value.
    pub value: f64,
}

impl RunResults {
    /// The metric called `name`, if present.
    pub fn metric(&self, name: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.name == name)
    }

    /// The value of the setting called `key`, if present.
    pub fn setting(&self, key: &str) -> Option<&str> {
        self.settings
            .iter()
            .find(|s| s.key == key)
            .map(|s| s.value.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(scheduled: u64, first: Option<u64>, complete: u64, out: u32) -> RequestRecord {
        RequestRecord {
            qsl_idx: 0,
            dataset: "aime25".into(),
            scheduled_ns: scheduled,
            issued_ns: scheduled + 5,
            first_token_ns: first,
            complete_ns: complete,
            input_tokens: 10,
            output_tokens: out,
            endpoint: 0,
            error: None,
            finish_reason: None,
            answer: None,
        }
    }

    #[test]
    fn request_latencies_follow_loadgen_definitions() {
        let r = record(100, Some(1_100), 10_100, 4);
        assert_eq!(r.latency_ns(), 10_000);
        assert_eq!(r.ttft_ns(), Some(1_000));
        assert_eq!(r.tpot_ns(), Some(3_000));
        assert_eq!(r.lateness_ns(), 5);
    }

    #[test]
    fn tpot_truncates_and_needs_two_tokens_and_a_first_token() {
        assert_eq!(record(0, Some(1), 11, 4).tpot_ns(), Some(3));
        assert_eq!(record(0, Some(1), 11, 1).tpot_ns(), None);
        assert_eq!(record(0, None, 11, 4).tpot_ns(), None);
    }

    #[test]
    fn a_limit_equal_to_the_value_passes_and_margin_is_signed() {
        let m = Metric::new("ttft_p99", 3.0, Unit::Ns).with_constraint(Constraint::at_most(3.0));
        assert_eq!(m.ok, Some(true));
        assert_eq!(m.margin(), Some(0.0));
        let over = Metric::new("ttft_p99", 5.0, Unit::Ns).with_constraint(Constraint::at_most(3.0));
        assert_eq!(over.ok, Some(false));
        assert_eq!(over.margin(), Some(-2.0));
        let floor =
            Metric::new("tokens", 5.0, Unit::TokensPerS).with_constraint(Constraint::at_least(3.0));
        assert_eq!(floor.margin(), Some(2.0));
    }
}
