//! The JSON the servers send. Each chunk is read first by the fast path in `fast` (the exact
//! shapes SGLang and OpenAI send, without allocating); what it does not recognise is parsed
//! with serde into the typed structs below, which also give every error message. Both
//! backends are reduced to one [`Chunk`] view so the response driver has a single code path.

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

impl FinishReason {
    /// A short stable name for reports and JSON: `stop`, `length`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            FinishReason::Stop => "stop",
            FinishReason::Length => "length",
            FinishReason::Other => "other",
        }
    }
}

/// One chunk (streamed) or whole answer (non-streamed), whichever backend sent it. Its
/// output ids, if any, are in the buffer given to [`parse_chunk`].
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Chunk<'a> {
    /// Whether the chunk had output ids (`output_ids`, `token_ids`), even none.
    pub has_ids: bool,
    pub count: Option<u64>,
    pub prompt_tokens: Option<u64>,
    pub text: Option<Cow<'a, str>>,
    pub finish: Option<Finish>,
    pub error: Option<String>,
    /// An OpenAI chunk with a choice: a generation step, so at least one token, even when
    /// its text is empty (a special token, or half of a multi-byte character).
    pub step: bool,
    /// Leading ids not put in the ids buffer because they repeat the previous chunk's (a
    /// cumulative SGLang stream read by [`parse_chunk_tail`]); 0 otherwise.
    pub skipped: usize,
    /// SGLang's own count of retractions so far: `meta_info.num_retractions` (current) or
    /// `total_retractions` (v0.5.x). SGLang never lowers `completion_tokens` on a retraction.
    pub retractions: Option<u64>,
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
    num_retractions: Option<u64>,
    total_retractions: Option<u64>,
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

pub(crate) fn finish_from(kind: &str, message: Option<String>) -> Finish {
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

/// Parses one JSON chunk from `backend` on its own, its output ids into `ids` (cleared first).
#[cfg(test)]
pub(crate) fn parse_chunk<'a>(
    backend: Backend,
    data: &'a [u8],
    ids: &mut Vec<u32>,
) -> Result<Chunk<'a>, serde_json::Error> {
    parse_chunk_tail(backend, data, ids, &mut crate::fast::Memo::default(), false)
}

/// Parses one JSON chunk of a stream, reading only the new tail of a cumulative SGLang chunk
/// when `skip` allows (the caller's output is the previous chunk's ids): see `fast::tail`.
pub(crate) fn parse_chunk_tail<'a>(
    backend: Backend,
    data: &'a [u8],
    ids: &mut Vec<u32>,
    memo: &mut crate::fast::Memo,
    skip: bool,
) -> Result<Chunk<'a>, serde_json::Error> {
    let fast = match backend {
        Backend::Sglang => crate::fast::sglang_tail(data, ids, memo, skip),
        Backend::Openai => crate::fast::openai(data, ids),
    };
    match fast {
        Some(chunk) => Ok(chunk),
        None => parse_chunk_serde(backend, data, ids),
    }
}

/// The reference parse: serde into the typed structs.
fn parse_chunk_serde<'a>(
    backend: Backend,
    data: &'a [u8],
    ids: &mut Vec<u32>,
) -> Result<Chunk<'a>, serde_json::Error> {
    ids.clear();
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
            let has_ids = raw.output_ids.is_some();
            if let Some(got) = raw.output_ids {
                *ids = got;
            }
            Ok(Chunk {
                has_ids,
                count: meta.as_ref().and_then(|m| m.completion_tokens),
                prompt_tokens: meta.as_ref().and_then(|m| m.prompt_tokens),
                text: None,
                finish,
                error: raw.error.map(error_text),
                step: false,
                skipped: 0,
                retractions: meta
                    .as_ref()
                    .and_then(|m| m.num_retractions.or(m.total_retractions)),
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
                chunk.has_ids = choice.token_ids.is_some();
                if let Some(got) = choice.token_ids {
                    *ids = got;
                }
                chunk.text = choice.text.map(|t| t.0);
                chunk.finish = choice.finish_reason.map(|f| finish_from(&f, None));
            }
            Ok(chunk)
        }
    }
}

/// Runs the fast path and serde on `data`: whenever the fast path answers, serde must answer
/// the same (panics otherwise). Returns whether the fast path answered. For the tests and the
/// `json_chunk` fuzz target; not part of the client's API.
#[doc(hidden)]
pub fn check_fast_path(backend: Backend, data: &[u8]) -> bool {
    let mut fast_ids = vec![99];
    let fast = match backend {
        Backend::Sglang => crate::fast::sglang(data, &mut fast_ids),
        Backend::Openai => crate::fast::openai(data, &mut fast_ids),
    };
    let mut serde_ids = vec![98];
    let serde = parse_chunk_serde(backend, data, &mut serde_ids);
    let Some(fast) = fast else {
        return false;
    };
    match serde {
        Ok(serde) => {
            assert_eq!(fast, serde, "{}", String::from_utf8_lossy(data));
            assert_eq!(fast_ids, serde_ids, "{}", String::from_utf8_lossy(data));
        }
        Err(e) => panic!(
            "fast path accepted `{}` which serde rejects: {e}",
            String::from_utf8_lossy(data)
        ),
    }
    true
}

/// Reads `prev` and then `next` as consecutive SGLang chunks with the tail parse, and `next`
/// with serde: whenever the tail parse answers, `prev`'s skipped ids plus the tail and every
/// other field must equal serde's (panics otherwise). Returns whether ids were skipped. For
/// the tests and the `json_chunk` fuzz target; not part of the client's API.
#[doc(hidden)]
pub fn check_tail_path(prev: &[u8], next: &[u8]) -> bool {
    let mut memo = crate::fast::Memo::default();
    let mut prev_ids = vec![97];
    if crate::fast::sglang_tail(prev, &mut prev_ids, &mut memo, false).is_none() {
        return false;
    }
    let mut tail = vec![96];
    let Some(mut fast) = crate::fast::sglang_tail(next, &mut tail, &mut memo, true) else {
        return false;
    };
    let skipped = std::mem::take(&mut fast.skipped);
    assert!(
        skipped <= prev_ids.len(),
        "skipped more ids than the previous chunk had"
    );
    let mut fast_ids = prev_ids[..skipped].to_vec();
    fast_ids.extend_from_slice(&tail);
    let mut serde_ids = vec![98];
    match parse_chunk_serde(Backend::Sglang, next, &mut serde_ids) {
        Ok(serde) => {
            assert_eq!(fast, serde, "{}", String::from_utf8_lossy(next));
            assert_eq!(fast_ids, serde_ids, "{}", String::from_utf8_lossy(next));
        }
        Err(e) => panic!(
            "tail path accepted `{}` after `{}`, which serde rejects: {e}",
            String::from_utf8_lossy(next),
            String::from_utf8_lossy(prev)
        ),
    }
    skipped > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(backend: Backend, data: &[u8]) -> (Chunk<'_>, Vec<u32>) {
        let mut ids = vec![99];
        let chunk = parse_chunk(backend, data, &mut ids).unwrap();
        (chunk, ids)
    }

    fn sglang_chunk(text: &str, ids: &str, count: u64) -> String {
        format!(
            r#"{{"text":"{text}","output_ids":[{ids}],"meta_info":{{"id":"a","finish_reason":null,"completion_tokens":{count}}}}}"#
        )
    }

    #[test]
    fn a_cumulative_chunk_is_read_as_a_repeat_of_the_previous_one_plus_its_tail() {
        let cases = [
            // (previous, next, whether ids were skipped)
            (
                sglang_chunk("ab", "1,2", 2),
                sglang_chunk(r#"ab\\\"c"#, "1,2,30", 3),
                true,
            ),
            (
                sglang_chunk("é", "1,2", 2),
                sglang_chunk("éè", "1,2", 2),
                true,
            ),
            // A longer last id is not a repeat.
            (
                sglang_chunk("", "1,2", 2),
                sglang_chunk("", "1,23", 2),
                false,
            ),
            (sglang_chunk("", "7", 1), sglang_chunk("", "8,9", 2), false),
            (
                sglang_chunk("ab", "1, 2", 2),
                sglang_chunk("ab", "1, 2 , 3", 3),
                true,
            ),
        ];
        for (prev, next, skips) in &cases {
            assert_eq!(
                check_tail_path(prev.as_bytes(), next.as_bytes()),
                *skips,
                "{prev} then {next}"
            );
        }
        // A repeated head followed by something else is left to serde, which rejects it.
        let prev = sglang_chunk("", "1,2", 2);
        assert!(!check_tail_path(
            prev.as_bytes(),
            br#"{"output_ids":[1,2.5]}"#
        ));
        let lone_surrogate = sglang_chunk(r"\ud800", "1,2,3", 3);
        assert!(!check_tail_path(prev.as_bytes(), lone_surrogate.as_bytes()));
    }

    #[test]
    fn the_tail_parse_agrees_with_serde_on_mutated_cumulative_chunks() {
        // A small deterministic mutation loop (the `json_chunk` fuzz target runs the same
        // property at length): a chunk, then the next cumulative one with one byte changed,
        // inserted or removed.
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        let alphabet = b"0123456789,[]{}\":\\ u.-enulltrue\xC3\xA9";
        let prev = sglang_chunk(r#"a\"b é"#, "200005,17,3", 3);
        let base = sglang_chunk(r#"a\"b é\nc"#, "200005,17,3,42,9", 5);
        let mut skipped = 0;
        for _ in 0..5000 {
            let mut bytes = base.clone().into_bytes();
            let at = (next() % bytes.len() as u64) as usize;
            let byte = alphabet[(next() % alphabet.len() as u64) as usize];
            match next() % 3 {
                0 => bytes[at] = byte,
                1 => bytes.insert(at, byte),
                _ => {
                    bytes.remove(at);
                }
            }
            skipped += usize::from(check_tail_path(prev.as_bytes(), &bytes));
        }
        assert!(skipped > 1000, "the tail path answered {skipped} times");
    }

    #[test]
    fn a_cumulative_stream_read_by_tails_gives_every_id_once() {
        let mut memo = crate::fast::Memo::default();
        let mut acc = crate::accum::TokenAccumulator::new();
        let mut ids = Vec::new();
        let chunks = [
            sglang_chunk("a", "5", 1),
            sglang_chunk("ab", "5,6,7", 3),
            sglang_chunk("abc", "5,6,7,8", 4),
        ];
        let mut parsed = Vec::new();
        for chunk in &chunks {
            let skip = acc.mirrors_chunk();
            let c = parse_chunk_tail(Backend::Sglang, chunk.as_bytes(), &mut ids, &mut memo, skip)
                .unwrap();
            parsed.push((c.skipped, ids.clone()));
            acc.apply_tail(c.skipped, &ids, c.count);
        }
        assert_eq!(
            parsed,
            [(0, vec![5]), (1, vec![6, 7]), (3, vec![8])],
            "only new ids are parsed"
        );
        assert_eq!(acc.ids(), [5, 6, 7, 8]);
        assert!(acc.is_consistent());
    }

    #[test]
    fn an_sglang_chunk_gives_ids_count_and_finish() {
        let data = br#"{"text":"hi \"x\"","output_ids":[5,6],"meta_info":{"id":"a","finish_reason":{"type":"length","length":2},"prompt_tokens":3,"completion_tokens":2,"cached_tokens":0,"e2e_latency":0.1}}"#;
        let (chunk, ids) = parse(Backend::Sglang, data);
        assert!(chunk.has_ids);
        assert_eq!(ids, [5, 6]);
        assert_eq!(chunk.count, Some(2));
        assert_eq!(chunk.prompt_tokens, Some(3));
        assert_eq!(chunk.finish, Some(Finish::Done(FinishReason::Length)));
    }

    #[test]
    fn an_sglang_null_finish_and_an_abort_are_told_apart() {
        let (open, _) = parse(
            Backend::Sglang,
            br#"{"output_ids":[1],"meta_info":{"finish_reason":null,"completion_tokens":1}}"#,
        );
        assert_eq!(open.finish, None);
        let (abort, _) = parse(
            Backend::Sglang,
            br#"{"meta_info":{"finish_reason":{"type":"abort","message":"out of memory","status_code":500}}}"#,
        );
        assert_eq!(
            abort.finish,
            Some(Finish::Abort("out of memory".to_owned()))
        );
    }

    #[test]
    fn an_error_object_is_reported() {
        let (chunk, _) = parse(
            Backend::Sglang,
            br#"{"error":{"message":"bad input","code":400}}"#,
        );
        assert_eq!(chunk.error.as_deref(), Some("bad input"));
        let (chunk, _) = parse(Backend::Openai, br#"{"error":"HTTP 500: boom"}"#);
        assert_eq!(chunk.error.as_deref(), Some("HTTP 500: boom"));
    }

    #[test]
    fn an_openai_chunk_borrows_plain_text_and_reads_token_ids() {
        let data = br#"{"id":"c","object":"text_completion","choices":[{"index":0,"text":"abc","token_ids":[7],"finish_reason":null}],"usage":null}"#;
        let (chunk, ids) = parse(Backend::Openai, data);
        assert!(matches!(chunk.text, Some(Cow::Borrowed("abc"))));
        assert_eq!(ids, [7]);
        assert_eq!(chunk.count, None);
    }

    #[test]
    fn an_openai_usage_chunk_carries_the_count() {
        let data = br#"{"choices":[],"usage":{"prompt_tokens":4,"completion_tokens":9,"total_tokens":13}}"#;
        let (chunk, ids) = parse(Backend::Openai, data);
        assert_eq!(chunk.count, Some(9));
        assert_eq!(chunk.prompt_tokens, Some(4));
        assert!(!chunk.has_ids);
        assert!(ids.is_empty());
    }

    #[test]
    fn a_malformed_chunk_gives_the_serde_error() {
        let mut ids = Vec::new();
        let err = parse_chunk(Backend::Sglang, br#"{"output_ids":[1,}"#, &mut ids).unwrap_err();
        assert_eq!(err.to_string(), "expected value at line 1 column 18");
        let err =
            parse_chunk(Backend::Openai, br#"{"choices":[{"text":1}]}"#, &mut ids).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid type: integer `1`, expected a string at line 1 column 21"
        );
    }

    /// Events as SGLang, the simulator and OpenAI-compatible servers send them.
    const SGLANG: &[&str] = &[
        r#"{"text":"tok","output_ids":[1001],"meta_info":{"id":"0123456789abcdef","finish_reason":null,"prompt_tokens":1024,"completion_tokens":1,"cached_tokens":0,"e2e_latency":0.5}}"#,
        r#"{"text":" the","output_ids":[290,1001,7],"meta_info":{"id":"r1","finish_reason":null,"prompt_tokens":3,"weight_version":"default","total_retractions":0,"completion_tokens":3,"cached_tokens":0,"e2e_latency":0.000123}}"#,
        r#"{"text":"","output_ids":[200002],"meta_info":{"id":"r1","finish_reason":{"type":"stop","matched":200002},"prompt_tokens":3,"completion_tokens":4,"cached_tokens":0,"e2e_latency":1.25}}"#,
        r#"{"text":"x","output_ids":[5],"meta_info":{"id":"r1","finish_reason":{"type":"length","length":128},"prompt_tokens":3,"completion_tokens":128}}"#,
        r#"{"meta_info":{"finish_reason":{"type":"abort","message":"out of memory","status_code":500}}}"#,
        r#"{"meta_info":{"finish_reason":{"type":"abort"}}}"#,
        r#"{"meta_info":{"finish_reason":"stop","completion_tokens":2}}"#,
        r#"{"meta_info":{"finish_reason":"null","completion_tokens":2}}"#,
        r#"{"output_ids":[],"meta_info":{"completion_tokens":0}}"#,
        r#"{"output_ids":null,"meta_info":null}"#,
        r#"{"error":{"message":"bad input","code":400}}"#,
        r#"{"error":{}}"#,
        r#"{"error":"plain"}"#,
        r#"{"error":null,"output_ids":[0,4294967295]}"#,
        r#"{}"#,
        r#"{"text":"tok","output_ids":[1],"meta_info":{"id":"a","finish_reason":null,"completion_tokens":1,"output_token_logprobs":[[-0.5,1,null],[-1e-3,2,"x"]],"spec":{"a":[true,false,{}],"b":-0,"c":1.5E+3}}}"#,
    ];

    const OPENAI: &[&str] = &[
        r#"{"id":"cmpl-1","object":"text_completion","created":1700000000,"model":"gpt-oss-120b","choices":[{"index":0,"text":"abc","logprobs":null,"finish_reason":null,"matched_stop":null}],"usage":null}"#,
        r#"{"id":"c","object":"text_completion","choices":[{"index":0,"text":"abc","token_ids":[7,8],"finish_reason":null}],"usage":null}"#,
        r#"{"id":"c","choices":[{"index":0,"text":"","finish_reason":"stop","matched_stop":200002}],"usage":null}"#,
        r#"{"id":"c","choices":[{"index":0,"text":"z","finish_reason":"length","stop_reason":null}]}"#,
        r#"{"id":"c","choices":[],"usage":{"prompt_tokens":4,"total_tokens":13,"completion_tokens":9}}"#,
        r#"{"choices":[{"text":"a","token_ids":[1]},{"text":"b","token_ids":[2],"finish_reason":"stop"}]}"#,
        r#"{"choices":[{"text":null,"token_ids":null,"finish_reason":null}],"usage":{"prompt_tokens":null,"completion_tokens":null}}"#,
        r#"{"error":"HTTP 500: boom"}"#,
        r#"{"object":"error","message":"m","type":"BadRequestError","param":null,"code":400}"#,
        r#"{"error":{"message":"overloaded","type":"x"}}"#,
    ];

    /// Inputs that are valid but odd: escapes, other field orders, whitespace, numbers.
    const ODD_SGLANG: &[&str] = &[
        "{ \"meta_info\" : { \"completion_tokens\" : 7 , \"finish_reason\" : null } ,\n\t\"output_ids\" : [ 1 , 2 ] , \"text\" : \"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\" }\r\n",
        r#"{"text":"\u0000","meta_info":{"id":"\"quoted\" \\ id","completion_tokens":1},"output_ids":[3]}"#,
        r#"{"text":"caf\u00e9 ☕ 日本","output_ids":[3],"meta_info":{"completion_tokens":1}}"#,
        r#"{"meta_info":{"finish_reason":{"message":"m\nx","type":"abort"}}}"#,
        r#"{"meta_info":{"finish_reason":{"type":"ab\u006frt","message":null}}}"#,
        r#"{"meta_info":{"finish_reason":{"type":"stop","matched":"\u003c|return|\u003e"}}}"#,
        r#"{"error":{"message":"tab\there \ud83d\ude00"}}"#,
        r#"{"output_ids":[0],"meta_info":{"completion_tokens":0,"prompt_tokens":18446744073709551615}}"#,
        r#"{"output_ids":[1],"meta_info":{"completion_tokens":-0}}"#,
        r#"{"output_ids":[1],"meta_info":{"completion_tokens":1e0}}"#,
        r#"{"out\u0070ut_ids":[1],"meta_info":{"completion_tokens":1}}"#,
        r#"{"output_ids":[1],"meta_info":[1,2,null]}"#,
        r#"[[1],null,null]"#,
    ];

    const ODD_OPENAI: &[&str] = &[
        "{\"choices\" : [ { \"finish_reason\" : \"stop\" , \"text\" : \"line\\nnext \\\"q\\\" \\u00e9\\ud83d\\ude00\" , \"token_ids\" : [ 9 ] } ] , \"usage\" : null }  ",
        r#"{"usage":{"completion_tokens":2,"prompt_tokens":1},"choices":[{"text":"日本"}]}"#,
        r#"{"choices":[{"text":"a\/b","logprobs":{"tokens":["a"],"token_logprobs":[-0.25],"top_logprobs":[{"a":-0.25}]}}]}"#,
        r#"{"choices":[{"text":"x"}],"model":"m\u00e9"}"#,
    ];

    fn agree(backend: Backend, data: &[u8]) -> bool {
        check_fast_path(backend, data)
    }

    #[test]
    fn sglang_retractions_are_read_from_meta_info_in_either_name() {
        for (data, want) in [
            (
                &br#"{"output_ids":[1],"meta_info":{"completion_tokens":1,"total_retractions":2}}"#
                    [..],
                Some(2),
            ),
            (
                br#"{"output_ids":[1],"meta_info":{"num_retractions":3,"completion_tokens":1}}"#,
                Some(3),
            ),
            (
                br#"{"output_ids":[1],"meta_info":{"completion_tokens":1}}"#,
                None,
            ),
        ] {
            assert!(check_fast_path(Backend::Sglang, data));
            assert_eq!(parse(Backend::Sglang, data).0.retractions, want);
        }
    }

    #[test]
    fn a_number_beyond_f64_in_a_skipped_field_is_left_to_serde() {
        // Found by the `json_chunk` fuzz target (stable loop): serde rejects these as out of
        // range, so the fast path must not answer.
        let found = include_bytes!("../../../fuzz/regressions/json_chunk/float-out-of-f64-range");
        let long = format!(r#"{{"output_ids":[1],"x":{}}}"#, "9".repeat(400));
        for backend in [Backend::Sglang, Backend::Openai] {
            for data in [
                &found[..],
                br#"{"output_ids":[1],"x":0.551e615}"#,
                br#"{"output_ids":[1],"x":1e1000}"#,
                long.as_bytes(),
            ] {
                assert!(!agree(backend, data), "{}", String::from_utf8_lossy(data));
            }
        }
        // Usual floats, tiny ones included, stay on the fast path.
        for data in [
            &br#"{"output_ids":[1],"x":1.5e-7,"y":-2.25E+10,"z":0.001}"#[..],
            br#"{"output_ids":[1],"x":1e-300}"#,
        ] {
            assert!(
                agree(Backend::Sglang, data),
                "{}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn a_lone_surrogate_in_a_skipped_string_is_left_to_serde() {
        // Found by the `json_chunk` fuzz target: serde rejects it, so the fast path must not
        // answer (it used to skip the string without looking at the escape's value).
        let found =
            include_bytes!("../../../fuzz/regressions/json_chunk/lone-surrogate-in-skipped-string");
        for backend in [Backend::Sglang, Backend::Openai] {
            for data in [
                &found[..],
                br#"{"output_ids":[1],"x":"\ud83d"}"#,
                br#"{"output_ids":[1],"x":"\ude00"}"#,
                br#"{"output_ids":[1],"x":"\ud83d\u0041"}"#,
            ] {
                assert!(!agree(backend, data), "{}", String::from_utf8_lossy(data));
            }
        }
        // A pair is valid and stays on the fast path.
        assert!(agree(
            Backend::Sglang,
            br#"{"output_ids":[1],"x":"\ud83d\ude00"}"#
        ));
    }

    fn cases() -> Vec<(Backend, &'static str)> {
        let mut all = Vec::new();
        for list in [SGLANG, ODD_SGLANG] {
            all.extend(list.iter().map(|s| (Backend::Sglang, *s)));
        }
        for list in [OPENAI, ODD_OPENAI] {
            all.extend(list.iter().map(|s| (Backend::Openai, *s)));
        }
        all
    }

    #[test]
    fn the_fast_path_answers_every_usual_event_as_serde_does() {
        for (backend, list) in [(Backend::Sglang, SGLANG), (Backend::Openai, OPENAI)] {
            for event in list {
                assert!(agree(backend, event.as_bytes()), "not taken: {event}");
            }
        }
    }

    #[test]
    fn odd_but_valid_json_is_read_as_serde_reads_it() {
        let mut taken = 0;
        for (backend, list) in [(Backend::Sglang, ODD_SGLANG), (Backend::Openai, ODD_OPENAI)] {
            for event in list {
                taken += usize::from(agree(backend, event.as_bytes()));
            }
        }
        // Escaped keys, `-0`, a float count and structs as arrays are left to serde.
        assert_eq!(taken, ODD_SGLANG.len() + ODD_OPENAI.len() - 5);
    }

    #[test]
    fn truncated_events_are_left_to_serde() {
        for (backend, event) in cases() {
            let bytes = event.as_bytes();
            for end in 0..bytes.len() {
                let cut = &bytes[..end];
                if bytes[end..].iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                assert!(
                    !agree(backend, cut),
                    "took a prefix: {}",
                    String::from_utf8_lossy(cut)
                );
            }
        }
    }

    #[test]
    fn mutated_events_are_read_as_serde_reads_them_or_left_to_it() {
        let swaps: &[u8] = b"\"}{],[:\\x0-.eE 9n\x01\x80\xff";
        for (backend, event) in cases() {
            let bytes = event.as_bytes();
            for at in 0..bytes.len() {
                let mut cut = bytes.to_vec();
                cut.remove(at);
                agree(backend, &cut);
                for &b in swaps {
                    let mut changed = bytes.to_vec();
                    changed[at] = b;
                    agree(backend, &changed);
                    changed.insert(at, b);
                    agree(backend, &changed);
                }
            }
        }
    }

    #[test]
    fn deep_nesting_is_left_to_serde() {
        for depth in [10, 63, 64, 65, 200] {
            let value = format!("{}1{}", "[".repeat(depth), "]".repeat(depth));
            let event = format!(r#"{{"meta_info":{{"x":{value},"completion_tokens":1}}}}"#);
            let taken = agree(Backend::Sglang, event.as_bytes());
            assert_eq!(taken, depth <= 64, "depth {depth}");
        }
    }

    #[test]
    fn duplicate_fields_are_left_to_serde() {
        for (backend, event) in [
            (Backend::Sglang, r#"{"output_ids":[1],"output_ids":[2]}"#),
            (
                Backend::Sglang,
                r#"{"meta_info":{"completion_tokens":1,"completion_tokens":2}}"#,
            ),
            (
                Backend::Sglang,
                r#"{"meta_info":{"finish_reason":{"type":"stop","type":"length"}}}"#,
            ),
            (Backend::Openai, r#"{"choices":[{"text":"a","text":"b"}]}"#),
            (Backend::Openai, r#"{"usage":null,"usage":null}"#),
        ] {
            assert!(!agree(backend, event.as_bytes()), "{event}");
            let mut ids = Vec::new();
            assert!(parse_chunk(backend, event.as_bytes(), &mut ids).is_err());
        }
    }
}
