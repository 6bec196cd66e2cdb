//! What one request asks for, and its JSON body for each backend. A [`Prompt`] is shared and
//! keeps its encoded body: a prompt sent again with the same settings (every query of a run)
//! is neither copied nor encoded again, and the body is written from the same `Bytes`.

use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use serde::Serialize;

use crate::Backend;

/// Sampling parameters, as the reference `generation_config.json` names them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SamplingParams {
    /// `max_new_tokens` (SGLang) or `max_tokens` (OpenAI).
    pub max_new_tokens: u32,
    /// Sampling temperature.
    pub temperature: f64,
    /// Nucleus sampling threshold.
    pub top_p: f64,
    /// Top-k; `-1` (or `0`) disables it.
    pub top_k: i32,
}

impl Default for SamplingParams {
    /// The MLPerf performance-run defaults: 10,240 new tokens, temperature 1, top_p 1, top_k −1.
    fn default() -> SamplingParams {
        SamplingParams {
            max_new_tokens: 10_240,
            temperature: 1.0,
            top_p: 1.0,
            top_k: -1,
        }
    }
}

/// A prompt's token ids (already harmony-rendered). Cheap to clone: clones share the ids
/// and the request body encoded for them on first use.
#[derive(Clone)]
pub struct Prompt(Arc<PromptInner>);

struct PromptInner {
    ids: Box<[u32]>,
    /// The body of the first request sent with this prompt, and what it was encoded for.
    body: OnceLock<Encoded>,
}

struct Encoded {
    backend: Backend,
    ids: IdsField,
    model: Option<Box<str>>,
    params: SamplingParams,
    stream: bool,
    bytes: Bytes,
}

impl Prompt {
    /// A prompt of `ids`.
    pub fn new(ids: impl Into<Box<[u32]>>) -> Prompt {
        Prompt(Arc::new(PromptInner {
            ids: ids.into(),
            body: OnceLock::new(),
        }))
    }

    /// The token ids.
    pub fn ids(&self) -> &[u32] {
        &self.0.ids
    }

    /// The number of tokens.
    pub fn len(&self) -> usize {
        self.0.ids.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.0.ids.is_empty()
    }
}

impl std::fmt::Debug for Prompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prompt")
            .field("tokens", &self.len())
            .finish_non_exhaustive()
    }
}

impl From<Vec<u32>> for Prompt {
    fn from(ids: Vec<u32>) -> Prompt {
        Prompt::new(ids)
    }
}

impl From<&[u32]> for Prompt {
    fn from(ids: &[u32]) -> Prompt {
        Prompt::new(ids)
    }
}

/// Which request field asks an OpenAI-compatible server for the generated token ids; chosen
/// per server kind by the start-up negotiation, so nothing a server would refuse is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum IdsField {
    /// `"return_token_ids": true` (vLLM since ≈0.10.2, SGLang's OpenAI server since mid-2026;
    /// older ones ignore it and answer with text).
    #[default]
    ReturnTokenIds,
    /// `"detokenize": false` (trtllm-serve, whose requests forbid unknown fields): ids in
    /// `token_ids`, no text.
    NoDetokenize,
    /// Nothing: the server answers with text only.
    None,
}

impl IdsField {
    /// The field as sent, for messages.
    pub fn as_str(self) -> &'static str {
        match self {
            IdsField::ReturnTokenIds => "`return_token_ids: true`",
            IdsField::NoDetokenize => "`detokenize: false`",
            IdsField::None => "no token-id field",
        }
    }
}

/// One generation request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The prompt.
    pub prompt: Prompt,
    /// How to sample.
    pub params: SamplingParams,
    /// Whether to ask for a server-sent-event stream.
    pub stream: bool,
}

#[derive(Serialize)]
struct SglangBody<'a> {
    input_ids: &'a [u32],
    sampling_params: SglangSampling,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

#[derive(Serialize)]
struct SglangSampling {
    max_new_tokens: u32,
    temperature: f64,
    top_k: i32,
    top_p: f64,
}

#[derive(Serialize)]
struct OpenaiBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<&'a str>,
    prompt: &'a [u32],
    max_tokens: u32,
    temperature: f64,
    top_p: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    top_k: Option<i32>,
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
    #[serde(skip_serializing_if = "Option::is_none")]
    return_token_ids: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    detokenize: Option<bool>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// The request body for `backend`, encoded once per prompt: the first body is kept with the
/// prompt and returned (shared, not copied) whenever the same settings ask again; other
/// settings are encoded each time.
pub(crate) fn body_for(
    backend: Backend,
    request: &Request,
    model: Option<&str>,
    ids: IdsField,
) -> Bytes {
    let kept = &request.prompt.0.body;
    let fits = |e: &Encoded| {
        e.backend == backend
            && e.ids == ids
            && e.model.as_deref() == model
            && e.params == request.params
            && e.stream == request.stream
    };
    if let Some(e) = kept.get().filter(|e| fits(e)) {
        return e.bytes.clone();
    }
    let bytes = Bytes::from(encode_body(backend, request, model, ids));
    let e = kept.get_or_init(|| Encoded {
        backend,
        ids,
        model: model.map(Box::from),
        params: request.params,
        stream: request.stream,
        bytes: bytes.clone(),
    });
    if fits(e) {
        e.bytes.clone()
    } else {
        bytes
    }
}

/// The request body for `backend`. For OpenAI servers `model` names the served model (found
/// by the health check); `top_k` is sent only when it is enabled, and `ids_field` is the field that
/// asks this server for the generated ids.
fn encode_body(
    backend: Backend,
    request: &Request,
    model: Option<&str>,
    ids_field: IdsField,
) -> Vec<u8> {
    let p = &request.params;
    let ids = request.prompt.ids();
    // Writing to a Vec cannot fail, and the structs hold only numbers and strings.
    let encoded = match backend {
        Backend::Sglang => serde_json::to_vec(&SglangBody {
            input_ids: ids,
            sampling_params: SglangSampling {
                max_new_tokens: p.max_new_tokens,
                temperature: p.temperature,
                top_k: p.top_k,
                top_p: p.top_p,
            },
            stream: request.stream,
        }),
        Backend::Openai => serde_json::to_vec(&OpenaiBody {
            model,
            prompt: ids,
            max_tokens: p.max_new_tokens,
            temperature: p.temperature,
            top_p: p.top_p,
            top_k: (p.top_k > 0).then_some(p.top_k),
            stream: request.stream,
            stream_options: request.stream.then_some(StreamOptions {
                include_usage: true,
            }),
            return_token_ids: (ids_field == IdsField::ReturnTokenIds).then_some(true),
            detokenize: (ids_field == IdsField::NoDetokenize).then_some(false),
        }),
    };
    encoded.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(stream: bool) -> Request {
        Request {
            prompt: Prompt::from(vec![1u32, 2, 3]),
            params: SamplingParams::default(),
            stream,
        }
    }

    #[test]
    fn an_sglang_body_matches_the_reference_request() {
        let body = encode_body(Backend::Sglang, &request(true), None, IdsField::None);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":10240,"temperature":1.0,"top_k":-1,"top_p":1.0},"stream":true}"#
        );
    }

    #[test]
    fn a_non_streaming_sglang_body_omits_stream() {
        let body = encode_body(Backend::Sglang, &request(false), None, IdsField::None);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":10240,"temperature":1.0,"top_k":-1,"top_p":1.0}}"#
        );
    }

    #[test]
    fn an_openai_body_asks_for_usage_and_token_ids() {
        let body = |ids| {
            let bytes = encode_body(Backend::Openai, &request(true), Some("gpt-oss-120b"), ids);
            String::from_utf8(bytes).unwrap()
        };
        let head = r#"{"model":"gpt-oss-120b","prompt":[1,2,3],"max_tokens":10240,"temperature":1.0,"top_p":1.0,"stream":true,"stream_options":{"include_usage":true}"#;
        assert_eq!(
            body(IdsField::ReturnTokenIds),
            format!(r#"{head},"return_token_ids":true}}"#)
        );
        assert_eq!(
            body(IdsField::NoDetokenize),
            format!(r#"{head},"detokenize":false}}"#)
        );
        assert_eq!(body(IdsField::None), format!("{head}}}"));
    }

    #[test]
    fn a_prompt_keeps_its_first_body_and_encodes_other_settings_afresh() {
        let first = request(true);
        let body = body_for(Backend::Sglang, &first, None, IdsField::None);
        let again = body_for(Backend::Sglang, &first.clone(), None, IdsField::None);
        // The same bytes, not a copy.
        assert_eq!(body.as_ptr(), again.as_ptr());
        assert_eq!(
            body,
            encode_body(Backend::Sglang, &first, None, IdsField::None)
        );
        let mut other = first.clone();
        other.stream = false;
        other.params.max_new_tokens = 5;
        for (backend, model) in [
            (Backend::Sglang, None),
            (Backend::Openai, Some("m")),
            (Backend::Openai, Some("n")),
        ] {
            for request in [&first, &other] {
                assert_eq!(
                    body_for(backend, request, model, IdsField::ReturnTokenIds),
                    encode_body(backend, request, model, IdsField::ReturnTokenIds),
                    "{backend:?} {model:?} {:?}",
                    request.params
                );
            }
        }
        assert_eq!(
            body_for(Backend::Sglang, &first, None, IdsField::None).as_ptr(),
            body.as_ptr()
        );
    }

    #[test]
    fn a_prepared_request_is_sent_with_the_body_encoded_then() {
        let endpoints = vec![crate::Endpoint::parse("http://127.0.0.1:9").unwrap()];
        let client =
            crate::Client::new(crate::ClientConfig::new(Backend::Sglang, endpoints)).unwrap();
        let first = request(true);
        client.prepare(&first);
        let kept = first.prompt.0.body.get().map(|e| e.bytes.as_ptr());
        assert_eq!(
            kept,
            Some(body_for(Backend::Sglang, &first, None, IdsField::None).as_ptr())
        );
    }
}
