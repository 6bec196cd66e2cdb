//! Reading one response body and turning it into events. The rule of the hot path lives here:
//! each piece of the body carries the arrival time of the socket read that brought it (the
//! kernel's receive stamp, see `h1`), and that instant is what the first-token and
//! completion events carry. Everything else (SSE framing, JSON, token bookkeeping) happens
//! after the stamp.

use std::time::{Duration, Instant};

use bytes::Bytes;

use crate::accum::TokenAccumulator;
use crate::fast::Memo;
use crate::h1::{Body, Frame};
use crate::sse::SseParser;
use crate::wire::{parse_chunk_tail, Finish, FinishReason};
use crate::{Backend, ErrorKind, Failure};

/// Receives the events of one request. The client calls `on_first_token` at most once, then
/// exactly one of `on_complete` or `on_failure`.
pub trait ResponseHandler: Send {
    /// The first output token(s) arrived in the read stamped `at`. `ids` are the output ids
    /// so far (empty when the server sends text only) and `count` the tokens generated so far.
    fn on_first_token(&mut self, at: Instant, ids: &[u32], count: u64);
    /// A chunk with output ids arrived in the read stamped `at`; `ids` are the whole output so
    /// far (a cumulative stream and a retraction already resolved), so a handler reads only
    /// what it has not seen. Called on the read path for every such chunk: it must cost
    /// O(new ids) and never block. The default ignores it.
    fn on_tokens(&mut self, at: Instant, ids: &[u32]) {
        let _ = (at, ids);
    }
    /// The response finished; `completion.at` is the read that carried its end.
    fn on_complete(&mut self, completion: &Completion<'_>);
    /// The request failed.
    fn on_failure(&mut self, failure: Failure);
}

/// A finished response.
#[derive(Debug, Clone, PartialEq)]
pub struct Completion<'a> {
    /// When the read that carried the last token (the finish) arrived.
    pub at: Instant,
    /// Every output token id, in order (empty for a text-only OpenAI server).
    pub output_ids: &'a [u32],
    /// The number of generated tokens as the server counts them (`completion_tokens`,
    /// `usage.completion_tokens`), or the ids received when it gave no count.
    pub completion_tokens: u64,
    /// The prompt length the server reported, if it did.
    pub prompt_tokens: Option<u64>,
    /// Why generation stopped.
    pub finish_reason: FinishReason,
    /// The generated text, kept only when the server sent no token ids.
    pub text: &'a str,
    /// The endpoint (index into the configured list) that answered.
    pub endpoint: usize,
    /// Whether `completion_tokens` came from the server.
    pub counted_by_server: bool,
    /// How many times the request was retracted: SGLang's `meta_info.num_retractions` /
    /// `total_retractions`, or how many times the streamed output shrank, whichever is more.
    pub retractions: u32,
    /// Whether `output_ids.len()` equals `completion_tokens`.
    pub consistent: bool,
}

/// The largest non-streamed body accepted (a 32k-token answer is well under 1 MB).
const MAX_BODY_BYTES: usize = 256 << 20;

/// Timeouts for reading one body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Deadlines {
    pub total: tokio::time::Instant,
    pub total_len: Duration,
    pub idle: Option<Duration>,
}

/// The accumulated state of one response.
pub(crate) struct ResponseState {
    backend: Backend,
    endpoint: usize,
    acc: TokenAccumulator,
    /// The latest chunk's output ids (reused, so parsing a chunk allocates nothing); for a
    /// cumulative chunk only its new tail.
    ids: Vec<u32>,
    /// The previous chunk's raw ids and text, to skip what a cumulative chunk repeats.
    memo: Memo,
    text: String,
    saw_ids: bool,
    first_sent: bool,
    finish: Option<(FinishReason, Instant)>,
    prompt_tokens: Option<u64>,
    /// The server's own retraction count, when it reports one.
    server_retractions: u64,
}

impl ResponseState {
    pub(crate) fn new(backend: Backend, endpoint: usize) -> ResponseState {
        ResponseState {
            backend,
            endpoint,
            acc: TokenAccumulator::new(),
            ids: Vec::new(),
            memo: Memo::default(),
            text: String::new(),
            saw_ids: false,
            first_sent: false,
            finish: None,
            prompt_tokens: None,
            server_retractions: 0,
        }
    }

    /// Applies one JSON chunk that arrived in the read stamped `at`; true when it carried
    /// the first output.
    fn apply(&mut self, data: &[u8], at: Instant) -> Result<bool, Failure> {
        let skip = self.acc.mirrors_chunk();
        let chunk = parse_chunk_tail(self.backend, data, &mut self.ids, &mut self.memo, skip)
            .map_err(|e| {
                let shown = String::from_utf8_lossy(&data[..data.len().min(120)]).into_owned();
                Failure::new(
                    ErrorKind::MalformedStream,
                    format!("bad JSON chunk `{shown}`: {e}"),
                )
            })?;
        if let Some(message) = chunk.error {
            return Err(Failure::new(
                ErrorKind::ServerError,
                format!("server error: {message}"),
            ));
        }
        self.saw_ids |= chunk.has_ids;
        if chunk.skipped > 0 {
            self.acc.apply_tail(chunk.skipped, &self.ids, chunk.count);
        } else if chunk.has_ids || chunk.count.is_some() {
            self.acc.apply(&self.ids, chunk.count);
        }
        if !self.saw_ids {
            if let Some(text) = &chunk.text {
                self.text.push_str(text);
            }
        }
        if let Some(n) = chunk.retractions {
            self.server_retractions = self.server_retractions.max(n);
        }
        if chunk.prompt_tokens.is_some() {
            self.prompt_tokens = chunk.prompt_tokens;
        }
        // Ids, text, a count or an OpenAI choice: a server that sends no ids still shows that
        // tokens were generated.
        let has_output = !self.acc.ids().is_empty()
            || !self.text.is_empty()
            || self.acc.count() > 0
            || chunk.step;
        let first = !self.first_sent && has_output;
        match chunk.finish {
            Some(Finish::Abort(message)) => {
                return Err(Failure::new(
                    ErrorKind::ServerError,
                    format!("server aborted the request: {message}"),
                ));
            }
            Some(Finish::Done(reason)) if self.finish.is_none() => self.finish = Some((reason, at)),
            _ => {}
        }
        Ok(first)
    }

    /// Passes the output ids to the handler after a chunk that carried some.
    fn send_tokens<H: ResponseHandler>(&self, at: Instant, handler: &mut H) {
        if self.saw_ids {
            handler.on_tokens(at, self.acc.ids());
        }
    }

    /// Sends the first-token event for the output so far.
    fn send_first<H: ResponseHandler>(&mut self, at: Instant, handler: &mut H) {
        self.first_sent = true;
        handler.on_first_token(at, self.acc.ids(), self.acc.count().max(1));
    }

    /// Whether everything needed for the completion has arrived.
    fn ready(&self) -> bool {
        self.finish.is_some() && self.acc.counted_by_server()
    }

    /// Delivers the completion; `end` is the read that ended the body (used when no finish
    /// reason was seen).
    fn complete<H: ResponseHandler>(
        &mut self,
        end: Instant,
        handler: &mut H,
    ) -> Result<(), Failure> {
        let (reason, at) = self.finish.unwrap_or((FinishReason::Other, end));
        if self.finish.is_none() && self.acc.count() == 0 && self.text.is_empty() {
            return Err(Failure::new(
                ErrorKind::MalformedStream,
                "response ended without a finish_reason or any token",
            ));
        }
        if !self.first_sent {
            // A non-streamed answer: its first token arrived with everything else.
            self.send_first(at, handler);
        }
        handler.on_complete(&Completion {
            at,
            output_ids: self.acc.ids(),
            completion_tokens: self.acc.count(),
            prompt_tokens: self.prompt_tokens,
            finish_reason: reason,
            text: &self.text,
            endpoint: self.endpoint,
            counted_by_server: self.acc.counted_by_server(),
            // SGLang reports retractions itself and never lowers its count; a falling count
            // is what other servers (and the simulator) show.
            retractions: self
                .acc
                .retractions()
                .max(u32::try_from(self.server_retractions).unwrap_or(u32::MAX)),
            consistent: self.acc.is_consistent(),
        });
        Ok(())
    }

    /// Tokens so far, for messages.
    fn tokens(&self) -> u64 {
        self.acc.count()
    }
}

/// Waits for the next piece of the body. `Ok(None)` is the end of the body.
async fn next_frame(
    body: &mut Body,
    d: &Deadlines,
    tokens: u64,
) -> Result<Option<(Bytes, Instant)>, Failure> {
    within(d, tokens, body.frame()).await
}

/// Runs one read of the body under the deadlines.
async fn within<T>(
    d: &Deadlines,
    tokens: u64,
    read: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    let wake = match d.idle {
        Some(idle) => d.total.min(tokio::time::Instant::now() + idle),
        None => d.total,
    };
    match tokio::time::timeout_at(wake, read).await {
        Ok(frame) => frame,
        Err(_) if wake < d.total => {
            let idle = d.idle.unwrap_or_default();
            Err(Failure::new(
                ErrorKind::Timeout,
                format!("stream stalled: no bytes for {idle:?} after {tokens} tokens"),
            ))
        }
        Err(_) => Err(Failure::new(
            ErrorKind::Timeout,
            format!(
                "request exceeded the {:?} timeout after {tokens} tokens",
                d.total_len
            ),
        )),
    }
}

/// Reads a server-sent-event body to its end, calling `handler` on the way.
pub(crate) async fn read_stream<H: ResponseHandler>(
    body: &mut Body,
    state: &mut ResponseState,
    handler: &mut H,
    d: &Deadlines,
) -> Result<(), Failure> {
    let mut parser = SseParser::default();
    loop {
        // An event cut by the last read (a long cumulative chunk) is completed in place.
        let sink = parser.append_target();
        let frame = within(d, state.tokens(), body.frame_into(sink)).await?;
        let ended = frame.is_none();
        let at = match frame {
            Some((Frame::Piece(bytes), at)) => {
                parser.push_bytes(bytes);
                at
            }
            Some((Frame::Appended(_), at)) => at,
            None => {
                parser.finish();
                Instant::now()
            }
        };
        while let Some(data) = parser
            .next_event()
            .map_err(|e| Failure::new(ErrorKind::MalformedStream, e.to_string()))?
        {
            if data.trim_ascii() == b"[DONE]" {
                return state.complete(at, handler);
            }
            let first = state.apply(data, at)?;
            state.send_tokens(at, handler);
            if first {
                state.send_first(at, handler);
            }
            if state.ready() {
                return state.complete(at, handler);
            }
        }
        parser.release();
        if ended {
            if state.finish.is_some() {
                return state.complete(at, handler);
            }
            let tail = String::from_utf8_lossy(parser.pending())
                .trim()
                .chars()
                .take(80)
                .collect::<String>();
            let after = if tail.is_empty() {
                String::new()
            } else {
                format!(" (unparsed tail `{tail}`)")
            };
            return Err(Failure::new(
                ErrorKind::MalformedStream,
                format!(
                    "stream ended after {} tokens without a finish_reason or `[DONE]`{after}",
                    state.tokens()
                ),
            ));
        }
    }
}

/// Reads a whole JSON body; the completion is stamped with the read that carried its end.
pub(crate) async fn read_whole<H: ResponseHandler>(
    body: &mut Body,
    state: &mut ResponseState,
    handler: &mut H,
    d: &Deadlines,
) -> Result<(), Failure> {
    // A body that comes in one frame (most do) is parsed where it is; later frames are
    // gathered behind it.
    let mut first = Bytes::new();
    let mut rest = Vec::new();
    let mut end = Instant::now();
    while let Some((bytes, at)) = next_frame(body, d, 0).await? {
        end = at;
        if first.len() + rest.len() + bytes.len() > MAX_BODY_BYTES {
            return Err(Failure::new(
                ErrorKind::MalformedStream,
                format!("response body larger than `{MAX_BODY_BYTES}` bytes"),
            ));
        }
        if first.is_empty() && rest.is_empty() {
            first = bytes;
        } else {
            if rest.is_empty() {
                rest.reserve(2 * (first.len() + bytes.len()));
                rest.extend_from_slice(&first);
            }
            rest.extend_from_slice(&bytes);
        }
    }
    let whole = if rest.is_empty() {
        &first[..]
    } else {
        &rest[..]
    };
    state.apply(whole, end)?;
    state.send_tokens(end, handler);
    state.complete(end, handler)
}

/// Reads what is left of a body after the completion was delivered, so the connection can be
/// reused; errors no longer matter.
pub(crate) async fn drain(body: &mut Body, within: Duration) {
    let until = tokio::time::Instant::now() + within;
    while let Ok(Ok(Some(_))) = tokio::time::timeout_at(until, body.frame()).await {}
}
