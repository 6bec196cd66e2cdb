//! The JSON the servers send, as typed structs that borrow from the read buffer: no
//! `serde_json::Value` on the hot path, and fields the client does not use (SGLang's `text`,
//! `meta_info` timings) are skipped by the parser without being built. Both backends are
//! reduced to one [`Chunk`] view so the response driver has a single code path.

use std::borrow::Cow;

use serde::Deserialize;

use crate::Backend;

/// Why the server stopped generating.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FinishReason {
    /// A stop token (`<|return|>`, `<|call|>`) or stop string.
    Stop,
    /// `max_new_tokens` was reached.
    Length,
    /// Anything else the server named (or no reason at all, when the stream just ended).
    Other,
}

/// One chunk (streamed) or whole answer (non-streamed), whichever backend sent it.
#[derive(Debug, Default)]
pub(crate) struct Chunk<'a> {
    pub ids: Option<Vec<u32>>,
    pub count: Option<u64>,
    pub prompt_tokens: Option<u64>,
    pub text: Option<Cow<'a, str>>,
    pub finish: Option<Finish>,
    pub error: Option<String>,
    /// An OpenAI chunk with a choice: a generation step, so at least one token, even when
    /// its text is empty (a special token, or half of a multi-byte character).
    pub step: bool,
}

/// A finish reason as the wire gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Finish {
    Done(FinishReason),
    Abort(String),
}

#[derive(Deserialize)]
struct SglangChunk {
    output_ids: Option<Vec<u32>>,
    meta_info: Option<SglangMeta>,
    error: Option<ErrorField>,
}

#[derive(Deserialize)]
struct SglangMeta {
    completion_tokens: Option<u64>,
    prompt_tokens: Option<u64>,
    finish_reason: Option<FinishField>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum FinishField {
    Name(String),
    Object {
        #[serde(rename = "type")]
        kind: String,
        message: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ErrorField {
    Text(String),
    Object { message: Option<String> },
}

#[derive(Deserialize)]
struct OpenaiChunk<'a> {
    #[serde(borrow, default)]
    choices: Vec<OpenaiChoice<'a>>,
    usage: Option<Usage>,
    error: Option<ErrorField>,
}

#[derive(Deserialize)]
struct OpenaiChoice<'a> {
    #[serde(borrow)]
    text: Option<Text<'a>>,
    token_ids: Option<Vec<u32>>,
    finish_reason: Option<String>,
}

/// A string that borrows from the input when it has no escapes (`Option<Cow>` alone would
/// always copy).
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

#[derive(Deserialize)]
struct Usage {
    completion_tokens: Option<u64>,
    prompt_tokens: Option<u64>,
}

fn finish_from(kind: &str, message: Option<String>) -> Finish {
    match kind {
        "stop" | "eos" => Finish::Done(FinishReason::Stop),
        "length" => Finish::Done(FinishReason::Length),
        "abort" | "error" => {
            Finish::Abort(message.unwrap_or_else(|| format!("finish_reason `{kind}`")))
        }
        _ => Finish::Done(FinishReason::Other),
    }
}

fn error_text(field: ErrorField) -> String {
    match field {
        ErrorField::Text(text) => text,
        ErrorField::Object { message } => message.unwrap_or_else(|| "no message".to_owned()),
    }
}

/// Parses one JSON chunk from `backend`.
pub(crate) fn parse_chunk(backend: Backend, data: &[u8]) -> Result<Chunk<'_>, serde_json::Error> {
    match backend {
        Backend::Sglang => {
            let raw: SglangChunk = serde_json::from_slice(data)?;
            let meta = raw.meta_info;
            let finish = meta.as_ref().and_then(|m| match &m.finish_reason {
                None => None,
                Some(FinishField::Name(name)) if name == "null" => None,
                Some(FinishField::Name(name)) => Some(finish_from(name, None)),
                Some(FinishField::Object { kind, message }) => {
                    Some(finish_from(kind, message.clone()))
                }
            });
            Ok(Chunk {
                ids: raw.output_ids,
                count: meta.as_ref().and_then(|m| m.completion_tokens),
                prompt_tokens: meta.as_ref().and_then(|m| m.prompt_tokens),
                text: None,
                finish,
                error: raw.error.map(error_text),
                step: false,
            })
        }
        Backend::Openai => {
            let raw: OpenaiChunk<'_> = serde_json::from_slice(data)?;
            let mut chunk = Chunk {
                count: raw.usage.as_ref().and_then(|u| u.completion_tokens),
                prompt_tokens: raw.usage.as_ref().and_then(|u| u.prompt_tokens),
                error: raw.error.map(error_text),
                ..Chunk::default()
            };
            if let Some(choice) = raw.choices.into_iter().next() {
                chunk.step = true;
                chunk.ids = choice.token_ids;
                chunk.text = choice.text.map(|t| t.0);
                chunk.finish = choice.finish_reason.map(|f| finish_from(&f, None));
            }
            Ok(chunk)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_sglang_chunk_gives_ids_count_and_finish() {
        let data = br#"{"text":"hi \"x\"","output_ids":[5,6],"meta_info":{"id":"a","finish_reason":{"type":"length","length":2},"prompt_tokens":3,"completion_tokens":2,"cached_tokens":0,"e2e_latency":0.1}}"#;
        let chunk = parse_chunk(Backend::Sglang, data).unwrap();
        assert_eq!(chunk.ids, Some(vec![5, 6]));
        assert_eq!(chunk.count, Some(2));
        assert_eq!(chunk.prompt_tokens, Some(3));
        assert_eq!(chunk.finish, Some(Finish::Done(FinishReason::Length)));
    }

    #[test]
    fn an_sglang_null_finish_and_an_abort_are_told_apart() {
        let open = parse_chunk(
            Backend::Sglang,
            br#"{"output_ids":[1],"meta_info":{"finish_reason":null,"completion_tokens":1}}"#,
        )
        .unwrap();
        assert_eq!(open.finish, None);
        let abort = parse_chunk(
            Backend::Sglang,
            br#"{"meta_info":{"finish_reason":{"type":"abort","message":"out of memory","status_code":500}}}"#,
        )
        .unwrap();
        assert_eq!(
            abort.finish,
            Some(Finish::Abort("out of memory".to_owned()))
        );
    }

    #[test]
    fn an_error_object_is_reported() {
        let chunk = parse_chunk(
            Backend::Sglang,
            br#"{"error":{"message":"bad input","code":400}}"#,
        )
        .unwrap();
        assert_eq!(chunk.error.as_deref(), Some("bad input"));
        let chunk = parse_chunk(Backend::Openai, br#"{"error":"HTTP 500: boom"}"#).unwrap();
        assert_eq!(chunk.error.as_deref(), Some("HTTP 500: boom"));
    }

    #[test]
    fn an_openai_chunk_borrows_plain_text_and_reads_token_ids() {
        let data = br#"{"id":"c","object":"text_completion","choices":[{"index":0,"text":"abc","token_ids":[7],"finish_reason":null}],"usage":null}"#;
        let chunk = parse_chunk(Backend::Openai, data).unwrap();
        assert!(matches!(chunk.text, Some(Cow::Borrowed("abc"))));
        assert_eq!(chunk.ids, Some(vec![7]));
        assert_eq!(chunk.count, None);
    }

    #[test]
    fn an_openai_usage_chunk_carries_the_count() {
        let data = br#"{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":9,"total_tokens":13}}"#;
        let chunk = parse_chunk(Backend::Openai, data).unwrap();
        assert_eq!(chunk.count, Some(9));
        assert_eq!(chunk.prompt_tokens, Some(4));
        assert_eq!(chunk.ids, None);
    }
}
