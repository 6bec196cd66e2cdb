//! What one request asks for, and its JSON body for each backend. The prompt is shared
//! (`Arc<[u32]>`): issuing a query never copies token ids, it only writes them into the body.

use std::sync::Arc;

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

/// One generation request.
#[derive(Debug, Clone)]
pub struct Request {
    /// The prompt's token ids (already harmony-rendered).
    pub input_ids: Arc<[u32]>,
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
    return_token_ids: bool,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

/// The request body for `backend`. For OpenAI servers `model` names the served model (found
/// by the health check); `top_k` is sent only when it is enabled, and `return_token_ids`
/// asks vLLM for the generated ids (servers that ignore it answer with text only).
pub(crate) fn encode_body(backend: Backend, request: &Request, model: Option<&str>) -> Vec<u8> {
    let p = &request.params;
    // Writing to a Vec cannot fail, and the structs hold only numbers and strings.
    let encoded = match backend {
        Backend::Sglang => serde_json::to_vec(&SglangBody {
            input_ids: &request.input_ids,
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
            prompt: &request.input_ids,
            max_tokens: p.max_new_tokens,
            temperature: p.temperature,
            top_p: p.top_p,
            top_k: (p.top_k > 0).then_some(p.top_k),
            stream: request.stream,
            stream_options: request.stream.then_some(StreamOptions {
                include_usage: true,
            }),
            return_token_ids: true,
        }),
    };
    encoded.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(stream: bool) -> Request {
        Request {
            input_ids: Arc::from(vec![1u32, 2, 3]),
            params: SamplingParams::default(),
            stream,
        }
    }

    #[test]
    fn an_sglang_body_matches_the_reference_request() {
        let body = encode_body(Backend::Sglang, &request(true), None);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":10240,"temperature":1.0,"top_k":-1,"top_p":1.0},"stream":true}"#
        );
    }

    #[test]
    fn a_non_streaming_sglang_body_omits_stream() {
        let body = encode_body(Backend::Sglang, &request(false), None);
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":10240,"temperature":1.0,"top_k":-1,"top_p":1.0}}"#
        );
    }

    #[test]
    fn an_openai_body_asks_for_usage_and_token_ids() {
        let body = encode_body(Backend::Openai, &request(true), Some("gpt-oss-120b"));
        assert_eq!(
            String::from_utf8(body).unwrap(),
            r#"{"model":"gpt-oss-120b","prompt":[1,2,3],"max_tokens":10240,"temperature":1.0,"top_p":1.0,"stream":true,"stream_options":{"include_usage":true},"return_token_ids":true}"#
        );
    }
}
