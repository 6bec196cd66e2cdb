//! Canned OpenAI-compatible servers that behave as the real ones do on the points the client
//! negotiates (docs/SERVERS.md): a strict trtllm-serve that refuses unknown fields and sends
//! ids only with `detokenize: false`, a text-only server (vLLM before 0.10.2, SGLang's OpenAI
//! server before mid-2026), one with neither ids nor usage, and one with neither ids nor text.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::canned::{chunk, last_chunk, response, sse_head, Canned, Received, Step};

/// How a canned OpenAI server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Persona {
    /// trtllm-serve: `owned_by: "tensorrt_llm"`, unknown fields are a 400, ids only with
    /// `detokenize: false` (then no text).
    Trtllm,
    /// A current vLLM: ids with `return_token_ids`.
    Vllm,
    /// vLLM before 0.10.2: ignores `return_token_ids`, answers text and usage.
    VllmTextOnly,
    /// An unknown server (`owned_by: "acme"`) that refuses unknown fields and sends text only.
    StrictUnknown,
    /// Text with neither ids nor usage.
    Bare,
    /// Neither ids nor text (nor usage).
    Mute,
}

/// The ids every answer generates.
pub const IDS: [u32; 4] = [200005, 17, 18, 200002];

/// The fields a strict server knows (TensorRT-LLM `CompletionRequest`, the ones ossperf may
/// send).
const KNOWN: [&str; 9] = [
    "model",
    "prompt",
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stream",
    "stream_options",
    "detokenize",
];

impl Persona {
    fn owned_by(self) -> &'static str {
        match self {
            Persona::Trtllm => "tensorrt_llm",
            Persona::Vllm | Persona::VllmTextOnly => "vllm",
            Persona::StrictUnknown | Persona::Bare | Persona::Mute => "acme",
        }
    }

    /// The answer to `r`.
    pub fn answer(self, r: &Received) -> Vec<Step> {
        match r.path.as_str() {
            "/health" => vec![Step::Write(response(200, "text/plain", ""))],
            "/v1/models" => vec![Step::Write(response(
                200,
                "application/json",
                &format!(
                    r#"{{"object":"list","data":[{{"id":"gpt-oss-120b","object":"model","owned_by":"{}"}}]}}"#,
                    self.owned_by()
                ),
            ))],
            "/v1/completions" => self.complete(r),
            _ => vec![Step::Write(response(
                404,
                "application/json",
                r#"{"detail":"Not Found"}"#,
            ))],
        }
    }

    fn complete(self, r: &Received) -> Vec<Step> {
        let Ok(Value::Object(body)) = serde_json::from_str::<Value>(&r.body) else {
            return vec![Step::Write(response(
                400,
                "application/json",
                r#"{"error":"bad JSON"}"#,
            ))];
        };
        let strict = matches!(self, Persona::Trtllm | Persona::StrictUnknown);
        let known: BTreeSet<&str> = match self {
            Persona::StrictUnknown => KNOWN[..8].iter().copied().collect(),
            _ => KNOWN.iter().copied().collect(),
        };
        if let Some(extra) = body
            .keys()
            .find(|k| !known.contains(k.as_str()))
            .filter(|_| strict)
        {
            // pydantic's wording for `extra="forbid"`, as TensorRT-LLM returns it.
            let message = format!(
                r#"{{"error":"1 validation error for CompletionRequest\n{extra}\n  Extra inputs are not permitted"}}"#
            );
            return vec![Step::Write(response(400, "application/json", &message))];
        }
        let ids = match self {
            Persona::Trtllm => body.get("detokenize") == Some(&Value::Bool(false)),
            Persona::Vllm => body.get("return_token_ids") == Some(&Value::Bool(true)),
            _ => false,
        };
        let text = !(ids && self == Persona::Trtllm) && self != Persona::Mute;
        let usage = !matches!(self, Persona::Bare | Persona::Mute);
        let stream = body.get("stream") == Some(&Value::Bool(true));
        let choice = |piece: &[u32], finish: &str| {
            let mut c = format!(r#"{{"index":0,"text":"{}""#, if text { "ab" } else { "" });
            if ids {
                c.push_str(&format!(r#","token_ids":{piece:?}"#));
            }
            c.push_str(&format!(r#","finish_reason":{finish}}}"#));
            c
        };
        let usage_json = format!(
            r#"{{"prompt_tokens":3,"completion_tokens":{},"total_tokens":{}}}"#,
            IDS.len(),
            IDS.len() + 3
        );
        if !stream {
            let mut whole = format!(
                r#"{{"id":"cmpl-1","object":"text_completion","choices":[{}]"#,
                choice(&IDS, r#""stop""#)
            );
            if usage {
                whole.push_str(&format!(r#","usage":{usage_json}"#));
            }
            whole.push('}');
            return vec![Step::Write(response(200, "application/json", &whole))];
        }
        let mut steps = vec![Step::Write(sse_head())];
        for (n, id) in IDS.iter().enumerate() {
            let finish = if n + 1 == IDS.len() {
                r#""stop""#
            } else {
                "null"
            };
            let event = format!(
                r#"data: {{"id":"cmpl-1","choices":[{}]}}"#,
                choice(&[*id], finish)
            );
            steps.push(Step::Write(chunk(&format!("{event}\n\n"))));
        }
        if usage {
            let event = format!(r#"data: {{"id":"cmpl-1","choices":[],"usage":{usage_json}}}"#);
            steps.push(Step::Write(chunk(&format!("{event}\n\n"))));
        }
        steps.push(Step::Write(chunk("data: [DONE]\n\n")));
        steps.push(Step::Write(last_chunk()));
        steps
    }

    /// A canned server with this persona.
    pub async fn start(self) -> Canned {
        Canned::start(move |r| self.answer(r)).await
    }
}
