//! SGLang's wire format: parsing `/generate` and `/v1/completions` requests, the errors SGLang
//! answers bad input with, and writing response bodies and SSE events straight into a buffer.
//!
//! Events are written with a hand-rolled integer formatter and pre-escaped token text
//! ([`crate::answers::Piece`]), so a streamed event costs a few `memcpy`s and no allocation: the
//! buffer is a `BytesMut` split into frames.

use bytes::{BufMut, BytesMut};
use serde::Deserialize;

use crate::answers::{Answer, AnswerBank, Finish};
use crate::config::MODEL_NAME;

/// Ids at or above this are outside gpt-oss's vocabulary.
pub const VOCAB_SIZE: i64 = ossperf_harmony::VOCAB_SIZE as i64;

/// Which API a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Api {
    /// SGLang's native `POST /generate`.
    Native,
    /// OpenAI-compatible `POST /v1/completions`.
    Completions,
}

/// A validated generation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenRequest {
    /// The API it came through.
    pub api: Api,
    /// Prompt token ids.
    pub ids: Vec<u32>,
    /// `max_new_tokens` / `max_tokens`.
    pub max_new: u32,
    /// Whether to stream SSE.
    pub stream: bool,
    /// The client's request id, if given.
    pub rid: Option<String>,
    /// Whether `text` drops special tokens (SGLang's default).
    pub skip_special: bool,
    /// Completions: send a final `usage` chunk (`stream_options.include_usage`).
    pub include_usage: bool,
}

/// Why a request was refused, and how SGLang would say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The body is not JSON of the expected shape: FastAPI's validation error, status 400.
    Validation(String),
    /// SGLang's tokenizer manager raised `ValueError`: status 400, or for a stream an
    /// `{"error": …}` event with status 200.
    Value(String),
}

#[derive(Deserialize)]
struct NativeBody {
    text: Option<serde_json::Value>,
    input_ids: Option<Vec<i64>>,
    #[serde(default)]
    sampling_params: Option<NativeParams>,
    #[serde(default)]
    stream: bool,
    rid: Option<String>,
}

#[derive(Deserialize, Default)]
struct NativeParams {
    max_new_tokens: Option<i64>,
    skip_special_tokens: Option<bool>,
}

#[derive(Deserialize)]
struct CompletionBody {
    prompt: serde_json::Value,
    max_tokens: Option<i64>,
    #[serde(default)]
    stream: bool,
    stream_options: Option<StreamOptions>,
    skip_special_tokens: Option<bool>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// Parses and validates a request body the way SGLang does.
pub fn parse(api: Api, body: &[u8]) -> Result<GenRequest, (bool, Refusal)> {
    match api {
        Api::Native => parse_native(body),
        Api::Completions => parse_completion(body).map_err(|r| (false, r)),
    }
}

fn parse_native(body: &[u8]) -> Result<GenRequest, (bool, Refusal)> {
    let req: NativeBody = serde_json::from_slice(body).map_err(|e| {
        (
            false,
            Refusal::Validation(format!("JSON decode error: {e}")),
        )
    })?;
    let stream = req.stream;
    let value = |m: String| (stream, Refusal::Value(m));
    let params = req.sampling_params.unwrap_or_default();
    let ids = match (req.input_ids, req.text) {
        (Some(ids), _) => ids,
        (None, Some(serde_json::Value::String(text))) => encode(&text),
        _ => {
            return Err(value(
                "Either text, input_ids or input_embeds should be provided.".into(),
            ))
        }
    };
    let ids = check_ids(ids).map_err(value)?;
    let max_new =
        check_max_new(params.max_new_tokens.unwrap_or(128), "max_new_tokens").map_err(value)?;
    Ok(GenRequest {
        api: Api::Native,
        ids,
        max_new,
        stream,
        rid: req.rid,
        skip_special: params.skip_special_tokens.unwrap_or(true),
        include_usage: false,
    })
}

fn parse_completion(body: &[u8]) -> Result<GenRequest, Refusal> {
    let req: CompletionBody = serde_json::from_slice(body)
        .map_err(|e| Refusal::Validation(format!("JSON decode error: {e}")))?;
    let ids = match req.prompt {
        serde_json::Value::String(text) => encode(&text),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_i64().ok_or_else(|| {
                    Refusal::Validation("`prompt` must be a string or a list of token ids".into())
                })
            })
            .collect::<Result<Vec<i64>, _>>()?,
        _ => {
            return Err(Refusal::Validation(
                "`prompt` must be a string or a list of token ids".into(),
            ))
        }
    };
    let ids = check_ids(ids).map_err(Refusal::Value)?;
    let max_new =
        check_max_new(req.max_tokens.unwrap_or(16), "max_tokens").map_err(Refusal::Value)?;
    Ok(GenRequest {
        api: Api::Completions,
        ids,
        max_new,
        stream: req.stream,
        rid: None,
        skip_special: req.skip_special_tokens.unwrap_or(true),
        include_usage: req.stream_options.is_some_and(|o| o.include_usage),
    })
}

fn encode(text: &str) -> Vec<i64> {
    ossperf_harmony::tokenizer()
        .encode(text)
        .into_iter()
        .map(i64::from)
        .collect()
}

fn check_ids(ids: Vec<i64>) -> Result<Vec<u32>, String> {
    if ids.is_empty() {
        return Err("The input_ids is empty.".into());
    }
    if let Some(bad) = ids.iter().find(|&&id| !(0..VOCAB_SIZE).contains(&id)) {
        return Err(format!(
            "The input_ids contains token id {bad}, outside the vocabulary [0, {VOCAB_SIZE})."
        ));
    }
    Ok(ids.into_iter().map(|id| id as u32).collect())
}

fn check_max_new(v: i64, name: &str) -> Result<u32, String> {
    if v < 0 {
        return Err(format!("{name} must be at least 0, got {v}."));
    }
    Ok(v.min(i64::from(u32::MAX)) as u32)
}

/// The JSON body SGLang sends with a refusal: FastAPI validation errors use the OpenAI error
/// envelope, `ValueError`s `{"error": {"message": …}}`.
pub fn refusal_body(refusal: &Refusal, api: Api) -> String {
    match (refusal, api) {
        (Refusal::Validation(m), _) => serde_json::json!({
            "object": "error", "message": m, "type": "Bad Request", "param": null, "code": 400
        })
        .to_string(),
        (Refusal::Value(m), Api::Native) => {
            serde_json::json!({"error": {"message": m}}).to_string()
        }
        (Refusal::Value(m), Api::Completions) => serde_json::json!({
            "object": "error", "message": m, "type": "BadRequestError", "param": null, "code": 400
        })
        .to_string(),
    }
}

/// Appends `v` in decimal.
pub fn put_u64(buf: &mut BytesMut, mut v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    loop {
        i -= 1;
        tmp[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    buf.put_slice(&tmp[i..]);
}

/// Appends a duration in seconds with six decimals (`e2e_latency`).
pub fn put_secs(buf: &mut BytesMut, micros: u64) {
    put_u64(buf, micros / 1_000_000);
    let frac = micros % 1_000_000;
    buf.put_u8(b'.');
    let mut tmp = [b'0'; 6];
    let mut f = frac;
    for slot in tmp.iter_mut().rev() {
        *slot = b'0' + (f % 10) as u8;
        f /= 10;
    }
    buf.put_slice(&tmp);
}

/// Everything an event needs besides the token range.
#[derive(Debug)]
pub struct EventCtx<'a> {
    /// The piece table.
    pub bank: &'a AnswerBank,
    /// The planned answer.
    pub answer: &'a Answer,
    /// The response id, JSON-safe.
    pub rid: &'a [u8],
    /// Prompt tokens.
    pub prompt: u32,
    /// Drop special tokens from `text`.
    pub skip_special: bool,
    /// Unix seconds of the request (completions' `created`).
    pub created: u64,
}

impl EventCtx<'_> {
    fn put_text(&self, buf: &mut BytesMut, from: u32, to: u32) {
        buf.put_u8(b'"');
        for k in from..to {
            let p = self.bank.piece_at(self.answer, k);
            if !(self.skip_special && p.special) {
                buf.put_slice(&p.text);
            }
        }
        buf.put_u8(b'"');
    }

    fn put_ids(&self, buf: &mut BytesMut, from: u32, to: u32) {
        buf.put_u8(b'[');
        for k in from..to {
            if k > from {
                buf.put_u8(b',');
            }
            buf.put_slice(&self.bank.piece_at(self.answer, k).id_text);
        }
        buf.put_u8(b']');
    }

    /// A native object: `{"text":…,"output_ids":[…],"meta_info":{…}}` for tokens
    /// `from..to`, reporting `completion` tokens in total.
    pub fn native(
        &self,
        buf: &mut BytesMut,
        range: (u32, u32),
        completion: u32,
        finished: bool,
        retractions: u32,
        e2e_us: u64,
    ) {
        buf.put_slice(b"{\"text\":");
        self.put_text(buf, range.0, range.1);
        buf.put_slice(b",\"output_ids\":");
        self.put_ids(buf, range.0, range.1);
        buf.put_slice(b",\"meta_info\":{\"id\":\"");
        buf.put_slice(self.rid);
        buf.put_slice(b"\",\"finish_reason\":");
        match (finished, self.answer.finish) {
            (false, _) => buf.put_slice(b"null"),
            (true, Finish::Stop(id)) => {
                buf.put_slice(b"{\"type\":\"stop\",\"matched\":");
                put_u64(buf, u64::from(id));
                buf.put_u8(b'}');
            }
            (true, Finish::Length(n)) => {
                buf.put_slice(b"{\"type\":\"length\",\"length\":");
                put_u64(buf, u64::from(n));
                buf.put_u8(b'}');
            }
        }
        buf.put_slice(b",\"prompt_tokens\":");
        put_u64(buf, u64::from(self.prompt));
        buf.put_slice(b",\"weight_version\":\"default\",\"total_retractions\":");
        put_u64(buf, u64::from(retractions));
        buf.put_slice(b",\"completion_tokens\":");
        put_u64(buf, u64::from(completion));
        buf.put_slice(b",\"cached_tokens\":0,\"e2e_latency\":");
        put_secs(buf, e2e_us);
        buf.put_slice(b"}}");
    }

    /// A completions object with one choice holding tokens `from..to`.
    pub fn completion(
        &self,
        buf: &mut BytesMut,
        range: (u32, u32),
        finished: bool,
        usage: Option<u32>,
    ) {
        self.completion_head(buf);
        buf.put_slice(b"[{\"index\":0,\"text\":");
        self.put_text(buf, range.0, range.1);
        buf.put_slice(b",\"logprobs\":null,\"finish_reason\":");
        match (finished, self.answer.finish) {
            (false, _) => buf.put_slice(b"null,\"matched_stop\":null"),
            (true, Finish::Stop(id)) => {
                buf.put_slice(b"\"stop\",\"matched_stop\":");
                put_u64(buf, u64::from(id));
            }
            (true, Finish::Length(_)) => buf.put_slice(b"\"length\",\"matched_stop\":null"),
        }
        buf.put_slice(b"}],\"usage\":");
        self.put_usage(buf, usage);
        buf.put_u8(b'}');
    }

    /// The completions usage-only object (`choices: []`).
    pub fn completion_usage(&self, buf: &mut BytesMut, completion: u32) {
        self.completion_head(buf);
        buf.put_slice(b"[],\"usage\":");
        self.put_usage(buf, Some(completion));
        buf.put_u8(b'}');
    }

    fn completion_head(&self, buf: &mut BytesMut) {
        buf.put_slice(b"{\"id\":\"");
        buf.put_slice(self.rid);
        buf.put_slice(b"\",\"object\":\"text_completion\",\"created\":");
        put_u64(buf, self.created);
        buf.put_slice(b",\"model\":\"");
        buf.put_slice(MODEL_NAME.as_bytes());
        buf.put_slice(b"\",\"choices\":");
    }

    fn put_usage(&self, buf: &mut BytesMut, usage: Option<u32>) {
        match usage {
            None => buf.put_slice(b"null"),
            Some(c) => {
                buf.put_slice(b"{\"prompt_tokens\":");
                put_u64(buf, u64::from(self.prompt));
                buf.put_slice(b",\"total_tokens\":");
                put_u64(buf, u64::from(self.prompt) + u64::from(c));
                buf.put_slice(b",\"completion_tokens\":");
                put_u64(buf, u64::from(c));
                buf.put_u8(b'}');
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_and_seconds_are_written_exactly() {
        let mut b = BytesMut::new();
        put_u64(&mut b, 0);
        b.put_u8(b' ');
        put_u64(&mut b, 18_446_744_073_709_551_615);
        b.put_u8(b' ');
        put_secs(&mut b, 1_000_042);
        assert_eq!(&b[..], b"0 18446744073709551615 1.000042");
    }

    #[test]
    fn a_native_request_takes_ids_params_and_defaults() {
        let r = parse(Api::Native, br#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":5,"temperature":0.001,"top_k":1},"stream":true,"rid":"r1"}"#).unwrap();
        assert_eq!(
            (r.ids, r.max_new, r.stream, r.rid.as_deref(), r.skip_special),
            (vec![1, 2, 3], 5, true, Some("r1"), true)
        );
        let r = parse(Api::Native, br#"{"input_ids":[7]}"#).unwrap();
        assert_eq!((r.max_new, r.stream), (128, false));
    }

    #[test]
    fn bad_native_input_gets_sglangs_messages() {
        let refusal = |body: &[u8]| parse(Api::Native, body).unwrap_err();
        assert!(
            matches!(refusal(b"{not json"), (false, Refusal::Validation(m)) if m.starts_with("JSON decode error"))
        );
        assert_eq!(
            refusal(br#"{"sampling_params":{}}"#),
            (
                false,
                Refusal::Value("Either text, input_ids or input_embeds should be provided.".into())
            )
        );
        assert_eq!(
            refusal(br#"{"input_ids":[1],"sampling_params":{"max_new_tokens":-1},"stream":true}"#),
            (
                true,
                Refusal::Value("max_new_tokens must be at least 0, got -1.".into())
            )
        );
        assert_eq!(
            refusal(br#"{"input_ids":[1,201088]}"#),
            (
                false,
                Refusal::Value(
                    "The input_ids contains token id 201088, outside the vocabulary [0, 201088)."
                        .into()
                )
            )
        );
    }

    #[test]
    fn refusal_bodies_have_sglangs_shapes() {
        assert_eq!(
            refusal_body(&Refusal::Value("m".into()), Api::Native),
            r#"{"error":{"message":"m"}}"#
        );
        assert_eq!(
            refusal_body(&Refusal::Validation("v".into()), Api::Native),
            r#"{"code":400,"message":"v","object":"error","param":null,"type":"Bad Request"}"#
        );
    }

    #[test]
    fn a_completion_request_takes_token_ids_and_usage() {
        let r = parse(Api::Completions, br#"{"model":"m","prompt":[5,6],"max_tokens":9,"stream":true,"stream_options":{"include_usage":true}}"#).unwrap();
        assert_eq!(
            (r.ids, r.max_new, r.stream, r.include_usage),
            (vec![5, 6], 9, true, true)
        );
        assert!(parse(Api::Completions, br#"{"prompt":{"a":1}}"#).is_err());
    }
}
