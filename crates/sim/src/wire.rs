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
use crate::personality::{CompletionIds, Personality};

/// Ids at or above this are outside gpt-oss's vocabulary.
pub(crate) const VOCAB_SIZE: i64 = ossperf_harmony::VOCAB_SIZE as i64;

/// Which API a request came through.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// SGLang's native `POST /generate`.
    Native,
    /// OpenAI-compatible `POST /v1/completions`.
    Completions,
}

/// A validated generation request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct GenRequest {
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
    /// Completions: answer with `token_ids` (what the personality supports and the request
    /// asked for: `return_token_ids`, or TensorRT-LLM's `detokenize: false`).
    pub return_ids: bool,
}

/// Why a request was refused, and how SGLang would say it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// The body is not JSON of the expected shape: FastAPI's validation error, status 400.
    Validation(String),
    /// SGLang's tokenizer manager raised `ValueError`: status 400, or for a stream an
    /// `{"error": …}` event with status 200.
    Value(String),
    /// vLLM: the `model` is not the one served, status 404.
    UnknownModel(String),
}

/// The fields TensorRT-LLM's `CompletionRequest` declares that a client may send; any other
/// is refused (`extra="forbid"`).
const TRTLLM_FIELDS: &[&str] = &[
    "model",
    "prompt",
    "best_of",
    "echo",
    "frequency_penalty",
    "logit_bias",
    "logprobs",
    "max_tokens",
    "n",
    "presence_penalty",
    "seed",
    "stop",
    "stream",
    "stream_options",
    "suffix",
    "temperature",
    "top_p",
    "user",
    "lora_request",
    "use_beam_search",
    "top_k",
    "top_p_min",
    "min_p",
    "repetition_penalty",
    "length_penalty",
    "early_stopping",
    "stop_token_ids",
    "include_stop_str_in_output",
    "ignore_eos",
    "min_tokens",
    "skip_special_tokens",
    "spaces_between_special_tokens",
    "truncate_prompt_tokens",
    "return_context_logits",
    "detokenize",
    "add_special_tokens",
    "response_format",
    "disaggregated_params",
];

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
    model: Option<String>,
    prompt: serde_json::Value,
    max_tokens: Option<i64>,
    #[serde(default)]
    stream: bool,
    stream_options: Option<StreamOptions>,
    skip_special_tokens: Option<bool>,
    #[serde(default)]
    return_token_ids: bool,
    detokenize: Option<bool>,
}

#[derive(Deserialize)]
struct StreamOptions {
    #[serde(default)]
    include_usage: bool,
}

/// Parses and validates a request body the way `who` does. The flag says whether the
/// request asked to stream (SGLang reports a `ValueError` inside the stream then).
pub(crate) fn parse(
    who: Personality,
    api: Api,
    body: &[u8],
) -> Result<GenRequest, (bool, Refusal)> {
    match api {
        Api::Native => parse_native(body),
        Api::Completions => parse_completion(who, body).map_err(|r| (false, r)),
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
        return_ids: false,
    })
}

/// TensorRT-LLM refuses what its pydantic model does not declare, in pydantic's words.
fn forbid_unknown(body: &[u8]) -> Result<(), Refusal> {
    let Ok(serde_json::Value::Object(fields)) = serde_json::from_slice(body) else {
        return Ok(());
    };
    let extra: Vec<String> = fields
        .iter()
        .filter(|(k, _)| !TRTLLM_FIELDS.contains(&k.as_str()))
        .map(|(k, v)| {
            format!("{k}\n  Extra inputs are not permitted [type=extra_forbidden, input_value={v}]")
        })
        .collect();
    let missing = !fields.contains_key("model");
    if extra.is_empty() && !missing {
        return Ok(());
    }
    let mut errors = extra;
    if missing {
        errors.insert(0, "model\n  Field required [type=missing]".into());
    }
    Err(Refusal::Validation(format!(
        "{} validation error{} for CompletionRequest\n{}",
        errors.len(),
        if errors.len() == 1 { "" } else { "s" },
        errors.join("\n")
    )))
}

fn parse_completion(who: Personality, body: &[u8]) -> Result<GenRequest, Refusal> {
    if who.forbids_unknown_fields() {
        forbid_unknown(body)?;
    }
    let req: CompletionBody = serde_json::from_slice(body)
        .map_err(|e| Refusal::Validation(format!("JSON decode error: {e}")))?;
    if !who.is_sglang() && req.stream_options.is_some() && !req.stream {
        return Err(Refusal::Validation(
            "Stream options can only be defined when `stream=True`.".into(),
        ));
    }
    if matches!(who, Personality::Vllm | Personality::VllmTextOnly) {
        if let Some(model) = req.model.as_deref().filter(|m| *m != MODEL_NAME) {
            return Err(Refusal::UnknownModel(format!(
                "The model `{model}` does not exist."
            )));
        }
    }
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
        return_ids: match who.completion_ids() {
            CompletionIds::ReturnTokenIds => req.return_token_ids,
            CompletionIds::Detokenize => req.detokenize == Some(false),
            CompletionIds::None => false,
        },
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

/// The status a refusal gets.
pub(crate) fn refusal_status(refusal: &Refusal) -> u16 {
    match refusal {
        Refusal::UnknownModel(_) => 404,
        _ => 400,
    }
}

/// The JSON body `who` sends with a refusal. SGLang: FastAPI validation errors use the OpenAI
/// error envelope, `ValueError`s `{"error": {"message": …}}`; vLLM: `{"error": {…}}`;
/// TensorRT-LLM: `{"error": "…"}`.
pub(crate) fn refusal_body(who: Personality, refusal: &Refusal, api: Api) -> String {
    let message = match refusal {
        Refusal::Validation(m) | Refusal::Value(m) | Refusal::UnknownModel(m) => m,
    };
    match who {
        Personality::Trtllm => return serde_json::json!({ "error": message }).to_string(),
        Personality::Vllm | Personality::VllmTextOnly => {
            let (kind, code) = match refusal {
                Refusal::UnknownModel(_) => ("NotFoundError", 404),
                _ => ("BadRequestError", 400),
            };
            return serde_json::json!({"error": {
                "message": message, "type": kind, "param": null, "code": code
            }})
            .to_string();
        }
        Personality::Sglang | Personality::Sglang054 => {}
    }
    match (refusal, api) {
        (Refusal::Validation(m), _) => serde_json::json!({
            "object": "error", "message": m, "type": "Bad Request", "param": null, "code": 400
        })
        .to_string(),
        (Refusal::Value(m) | Refusal::UnknownModel(m), Api::Native) => {
            serde_json::json!({"error": {"message": m}}).to_string()
        }
        (Refusal::Value(m) | Refusal::UnknownModel(m), Api::Completions) => serde_json::json!({
            "object": "error", "message": m, "type": "BadRequestError", "param": null, "code": 400
        })
        .to_string(),
    }
}

/// Appends `v` in decimal.
pub(crate) fn put_u64(buf: &mut BytesMut, mut v: u64) {
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
pub(crate) fn put_secs(buf: &mut BytesMut, micros: u64) {
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
pub(crate) struct EventCtx<'a> {
    /// The server whose shapes to write.
    pub who: Personality,
    /// The piece table.
    pub bank: &'a AnswerBank,
    /// The planned answer.
    pub answer: &'a Answer,
    /// The response id, JSON-safe.
    pub rid: &'a [u8],
    /// Prompt token ids (vLLM's `prompt_token_ids`).
    pub prompt_ids: &'a [u32],
    /// Drop special tokens from `text`.
    pub skip_special: bool,
    /// Completions: add `token_ids` (and, on the first chunk, `prompt_token_ids`).
    pub return_ids: bool,
    /// Unix seconds of the request (completions' `created`).
    pub created: u64,
}

/// What a native chunk reports besides its ids.
#[derive(Debug, Clone, Copy)]
pub(crate) struct NativeMeta {
    /// `completion_tokens`: tokens generated so far.
    pub completion: u32,
    /// Whether this is the finishing chunk.
    pub finished: bool,
    /// Retractions so far.
    pub retractions: u32,
    /// Microseconds since arrival (`e2e_latency`, on the finishing chunk only).
    pub e2e_us: u64,
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

    fn put_prompt_ids(&self, buf: &mut BytesMut) {
        buf.put_u8(b'[');
        for (k, &id) in self.prompt_ids.iter().enumerate() {
            if k > 0 {
                buf.put_u8(b',');
            }
            put_u64(buf, u64::from(id));
        }
        buf.put_u8(b']');
    }

    /// A native object: `{"text":…,"output_ids":[…],"meta_info":{…}}` for tokens
    /// `from..to`.
    pub(crate) fn native(&self, buf: &mut BytesMut, range: (u32, u32), meta: NativeMeta) {
        buf.put_slice(b"{\"text\":");
        self.put_text(buf, range.0, range.1);
        buf.put_slice(b",\"output_ids\":");
        self.put_ids(buf, range.0, range.1);
        buf.put_slice(b",\"meta_info\":{\"id\":\"");
        buf.put_slice(self.rid);
        buf.put_slice(b"\",\"finish_reason\":");
        match (meta.finished, self.answer.finish) {
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
        self.native_counts(buf, meta);
    }

    /// SGLang's abort chunk (`finish_reason` type `abort`), sent in place of tokens when the
    /// request queue is full.
    pub(crate) fn native_abort(&self, buf: &mut BytesMut, message: &str, status: u16) {
        buf.put_slice(b"{\"text\":\"\",\"output_ids\":[],\"meta_info\":{\"id\":\"");
        buf.put_slice(self.rid);
        buf.put_slice(b"\",\"finish_reason\":{\"type\":\"abort\",\"message\":\"");
        buf.put_slice(message.as_bytes());
        buf.put_slice(b"\",\"status_code\":");
        put_u64(buf, u64::from(status));
        buf.put_slice(b",\"err_type\":null}");
        let meta = NativeMeta {
            completion: 0,
            finished: true,
            retractions: 0,
            e2e_us: 0,
        };
        self.native_counts(buf, meta);
    }

    /// The rest of `meta_info`: v0.5.x names retractions `total_retractions`, current SGLang
    /// `num_retractions`; `e2e_latency` comes with the finishing chunk only.
    fn native_counts(&self, buf: &mut BytesMut, meta: NativeMeta) {
        buf.put_slice(b",\"prompt_tokens\":");
        put_u64(buf, self.prompt_ids.len() as u64);
        buf.put_slice(if self.who == Personality::Sglang054 {
            b",\"weight_version\":\"default\",\"total_retractions\":"
        } else {
            b",\"weight_version\":\"default\",\"num_retractions\":"
        });
        put_u64(buf, u64::from(meta.retractions));
        buf.put_slice(b",\"completion_tokens\":");
        put_u64(buf, u64::from(meta.completion));
        buf.put_slice(b",\"cached_tokens\":0");
        if meta.finished {
            buf.put_slice(b",\"e2e_latency\":");
            put_secs(buf, meta.e2e_us);
        }
        buf.put_slice(b"}}");
    }

    /// A completions object with one choice holding tokens `from..to`; `first` marks the
    /// stream's first chunk (vLLM's `prompt_token_ids`), `usage` the count to report in it.
    pub(crate) fn completion(
        &self,
        buf: &mut BytesMut,
        range: (u32, u32),
        finished: bool,
        first: bool,
        usage: Option<u32>,
    ) {
        self.completion_head(buf);
        buf.put_slice(b"[{\"index\":0,\"text\":");
        if self.who == Personality::Trtllm && self.return_ids {
            buf.put_slice(b"\"\"");
        } else {
            self.put_text(buf, range.0, range.1);
        }
        buf.put_slice(b",\"logprobs\":null,\"finish_reason\":");
        let sglang = self.who.is_sglang();
        match (finished, self.answer.finish) {
            (false, _) if sglang => buf.put_slice(b"null,\"matched_stop\":null"),
            (false, _) => buf.put_slice(b"null,\"stop_reason\":null"),
            (true, Finish::Stop(id)) => {
                buf.put_slice(if sglang {
                    b"\"stop\",\"matched_stop\":"
                } else {
                    b"\"stop\",\"stop_reason\":"
                });
                put_u64(buf, u64::from(id));
            }
            (true, Finish::Length(_)) if sglang => {
                buf.put_slice(b"\"length\",\"matched_stop\":null");
            }
            (true, Finish::Length(_)) => buf.put_slice(b"\"length\",\"stop_reason\":null"),
        }
        if self.return_ids {
            if first && self.who != Personality::Trtllm {
                buf.put_slice(b",\"prompt_token_ids\":");
                self.put_prompt_ids(buf);
            }
            buf.put_slice(b",\"token_ids\":");
            self.put_ids(buf, range.0, range.1);
        }
        buf.put_u8(b'}');
        buf.put_u8(b']');
        // SGLang writes `"usage": null` on every chunk; vLLM and TensorRT-LLM leave the key
        // out of intermediate chunks (`exclude_unset`).
        if usage.is_some() || self.who.usage_on_every_chunk() {
            buf.put_slice(b",\"usage\":");
            self.put_usage(buf, usage);
        }
        buf.put_u8(b'}');
    }

    /// The completions usage-only object (`choices: []`).
    pub(crate) fn completion_usage(&self, buf: &mut BytesMut, completion: u32) {
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
        let prompt = self.prompt_ids.len() as u64;
        match usage {
            None => buf.put_slice(b"null"),
            Some(c) => {
                buf.put_slice(b"{\"prompt_tokens\":");
                put_u64(buf, prompt);
                buf.put_slice(b",\"total_tokens\":");
                put_u64(buf, prompt + u64::from(c));
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
        let r = parse(Personality::Sglang054, Api::Native, br#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":5,"temperature":0.001,"top_k":1},"stream":true,"rid":"r1"}"#).unwrap();
        assert_eq!(
            (r.ids, r.max_new, r.stream, r.rid.as_deref(), r.skip_special),
            (vec![1, 2, 3], 5, true, Some("r1"), true)
        );
        let r = parse(Personality::Sglang054, Api::Native, br#"{"input_ids":[7]}"#).unwrap();
        assert_eq!((r.max_new, r.stream), (128, false));
    }

    #[test]
    fn bad_native_input_gets_sglangs_messages() {
        let refusal = |body: &[u8]| parse(Personality::Sglang054, Api::Native, body).unwrap_err();
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
            refusal_body(
                Personality::Sglang054,
                &Refusal::Value("m".into()),
                Api::Native
            ),
            r#"{"error":{"message":"m"}}"#
        );
        assert_eq!(
            refusal_body(
                Personality::Sglang054,
                &Refusal::Validation("v".into()),
                Api::Native
            ),
            r#"{"code":400,"message":"v","object":"error","param":null,"type":"Bad Request"}"#
        );
    }

    #[test]
    fn a_completion_request_takes_token_ids_and_usage() {
        let r = parse(Personality::Sglang054, Api::Completions, br#"{"model":"m","prompt":[5,6],"max_tokens":9,"stream":true,"stream_options":{"include_usage":true}}"#).unwrap();
        assert_eq!(
            (r.ids, r.max_new, r.stream, r.include_usage),
            (vec![5, 6], 9, true, true)
        );
        assert!(parse(
            Personality::Sglang054,
            Api::Completions,
            br#"{"prompt":{"a":1}}"#
        )
        .is_err());
    }
}
