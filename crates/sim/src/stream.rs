//! Response bodies of generation requests: when tokens exist ([`Source`]) and how they are
//! framed ([`GenStream`]).
//!
//! A streaming body is a hyper `Body` that, each time it is polled, writes every event whose
//! tokens are ready into one `BytesMut` and hands the filled part over as a single frame. Many
//! events per frame when tokens are ready at once (`--profile zero`), one per frame when they
//! trickle in; either way no allocation per event. The moment a frame is handed over is the
//! ground-truth send time.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{BufMut, Bytes, BytesMut};
use hyper::body::{Body, Frame};
use tokio::sync::mpsc;
use tokio::time::{Instant, Sleep};

use crate::answers::Answer;
use crate::chunks::Chunker;
use crate::config::StreamFormat;
use crate::rng::Rng;
use crate::server::Shared;
use crate::truth::{Outcome, TruthRecord};
use crate::wire::{Api, EventCtx, GenRequest, NativeMeta};

/// Bytes gathered before a frame is handed to hyper.
const FRAME_BYTES: usize = 64 * 1024;

/// The error that makes hyper cut a connection (an injected disconnect).
#[derive(Debug, thiserror::Error)]
#[error("the simulator cut this stream on purpose")]
pub(crate) struct Cut;

/// When a request's tokens exist.
#[derive(Debug)]
pub(crate) enum Source {
    /// All at once, on arrival.
    Ready,
    /// Token `k` (from 1) at `first + (k − 1)·tpot`.
    Fixed {
        /// When the first token exists.
        first: Instant,
        /// Time between tokens.
        tpot: Duration,
        /// The timer for the next wanted token.
        sleep: Pin<Box<Sleep>>,
    },
    /// As the scheduler reports them.
    Batched {
        /// Produced-token counts from the scheduler.
        rx: mpsc::UnboundedReceiver<u32>,
        /// The latest count, once one has come.
        seen: Option<u32>,
    },
}

impl Source {
    /// A fixed-timing source for a request that arrived at `arrived`.
    pub(crate) fn fixed(arrived: Instant, ttft: Duration, tpot: Duration) -> Self {
        let first = arrived + ttft;
        Source::Fixed {
            first,
            tpot,
            sleep: Box::pin(tokio::time::sleep_until(first)),
        }
    }

    /// Ready with the number of tokens available once at least `need` exist (for `need` 0:
    /// once the request has been processed); `None` when the producer is gone.
    pub(crate) fn poll_until(
        &mut self,
        cx: &mut Context<'_>,
        need: u32,
        total: u32,
    ) -> Poll<Option<u32>> {
        match self {
            Source::Ready => Poll::Ready(Some(total)),
            Source::Fixed { first, tpot, sleep } => loop {
                let now = Instant::now();
                if now >= *first {
                    let after = now.duration_since(*first);
                    let avail = if tpot.is_zero() {
                        total
                    } else {
                        let steps = after.as_nanos() / tpot.as_nanos();
                        total.min(1 + steps.min(u128::from(u32::MAX)) as u32)
                    };
                    if avail >= need {
                        return Poll::Ready(Some(avail));
                    }
                }
                let deadline = *first + *tpot * need.saturating_sub(1);
                sleep.as_mut().reset(deadline);
                if sleep.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
            },
            Source::Batched { rx, seen } => loop {
                if let Some(n) = *seen {
                    if n >= need {
                        return Poll::Ready(Some(n));
                    }
                }
                match rx.poll_recv(cx) {
                    Poll::Ready(Some(n)) => *seen = Some(seen.map_or(n, |s| s.max(n))),
                    Poll::Ready(None) => return Poll::Ready(None),
                    Poll::Pending => return Poll::Pending,
                }
            },
        }
    }
}

/// Faults decided for one stream.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StreamFaults {
    /// Cut the connection once this many tokens were sent.
    pub cut_at: Option<u32>,
    /// Send headers, then nothing.
    pub stall: bool,
    /// Send a truncated event before event number `n`, or before the last event when there
    /// are fewer (a lagging reader's merged chunk may be the whole stream).
    pub malformed_at: Option<u32>,
    /// Count a retraction from event number `n` on (`total_retractions` or
    /// `num_retractions`; SGLang re-prefills and never lowers `completion_tokens`).
    pub retract_at: Option<u32>,
}

/// Everything about one generation request the body needs.
#[derive(Debug)]
pub(crate) struct Job {
    /// Server state.
    pub shared: Arc<Shared>,
    /// The validated request.
    pub req: GenRequest,
    /// The planned answer.
    pub answer: Answer,
    /// Response id (JSON-safe).
    pub rid: String,
    /// Arrival number.
    pub seq: u64,
    /// When the request's headers reached the socket.
    pub arrived: Instant,
    /// Unix seconds at arrival.
    pub created: u64,
}

impl Job {
    /// What event writers need.
    pub(crate) fn ctx(&self) -> EventCtx<'_> {
        EventCtx {
            who: self.shared.config.personality,
            bank: &self.shared.bank,
            answer: &self.answer,
            rid: self.rid.as_bytes(),
            prompt_ids: &self.req.ids,
            skip_special: self.req.skip_special,
            return_ids: self.req.return_ids,
            created: self.created,
        }
    }

    /// Where this request's chunks end.
    fn chunker(&self) -> Chunker {
        let c = &self.shared.config;
        Chunker::new(
            c.personality.interval_rule(),
            c.stream_interval,
            self.answer.len,
            c.speculative,
            Rng::keyed(c.seed, self.seq, 4),
        )
    }

    /// Records the ground truth of this request.
    pub(crate) fn record(
        &self,
        sent: u32,
        (first, first_answer): (Option<Instant>, Option<Instant>),
        finished: Option<Instant>,
        outcome: Outcome,
        sends: Vec<(Instant, u32)>,
    ) {
        let channels = self.shared.bank.channel_counts(&self.answer, sent);
        self.shared.record(TruthRecord {
            seq: self.seq,
            rid: self.rid.clone(),
            prompt_tokens: self.req.ids.len() as u32,
            completion_tokens: sent,
            arrived: self.arrived.into_std(),
            first_token: first.map(Instant::into_std),
            finished: finished.map(Instant::into_std),
            first_answer: first_answer.map(Instant::into_std),
            reasoning_tokens: channels.reasoning_tokens,
            answer_tokens: channels.answer_tokens,
            row: self.answer.row,
            correct: self.answer.correct,
            sends: sends.into_iter().map(|(t, n)| (t.into_std(), n)).collect(),
            outcome,
        });
    }

    /// The whole non-streaming response body.
    pub(crate) fn full_body(&self) -> Bytes {
        let mut buf = BytesMut::with_capacity(64 + self.answer.len as usize * 12);
        let ctx = self.ctx();
        let n = self.answer.len;
        match self.req.api {
            Api::Native => ctx.native(
                &mut buf,
                (0, n),
                NativeMeta {
                    completion: n,
                    finished: true,
                    retractions: 0,
                    e2e_us: self.arrived.elapsed().as_micros() as u64,
                },
            ),
            Api::Completions => ctx.completion(&mut buf, (0, n), true, true, Some(n)),
        }
        buf.freeze()
    }
}

/// A streaming generation body.
#[derive(Debug)]
pub(crate) struct GenStream {
    job: Job,
    source: Source,
    faults: StreamFaults,
    chunker: Chunker,
    buf: BytesMut,
    emitted: u32,
    events: u32,
    retractions: u32,
    first_sent: Option<Instant>,
    /// The output position of the first final-channel content token, and when the frame that
    /// carried it was handed over.
    answer_at: Option<u32>,
    answer_sent: Option<Instant>,
    sends: Vec<(Instant, u32)>,
    done: bool,
    cut: bool,
    /// After a cut, a short pause so hyper flushes what was sent before the connection drops.
    cut_timer: Option<Pin<Box<Sleep>>>,
    closed: bool,
}

impl GenStream {
    /// A body for `job` whose tokens come from `source`.
    pub(crate) fn new(job: Job, source: Source, faults: StreamFaults) -> Self {
        let answer_at = job
            .shared
            .bank
            .channel_counts(&job.answer, job.answer.len)
            .first_answer;
        Self {
            chunker: job.chunker(),
            job,
            source,
            faults,
            buf: BytesMut::with_capacity(FRAME_BYTES + 4096),
            emitted: 0,
            events: 0,
            retractions: 0,
            first_sent: None,
            answer_at,
            answer_sent: None,
            sends: Vec::new(),
            done: false,
            cut: false,
            cut_timer: None,
            closed: false,
        }
    }

    fn next_end(&self) -> u32 {
        self.chunker.peek()
    }

    /// Whether SGLang's native delta stream merges chunks that were ready together (the
    /// reader lagged): current SGLang coalesces them, v0.5.x keeps only the last one.
    fn merges_lagging_deltas(&self) -> bool {
        let c = &self.job.shared.config;
        // Without a timeline (`Timing::Zero`) every token is ready at once, which models a
        // fast reader rather than a lagging one.
        !matches!(self.source, Source::Ready)
            && self.job.req.api == Api::Native
            && c.personality.is_sglang()
            && c.stream_format == StreamFormat::Delta
    }

    /// Writes every event whose tokens are among the first `avail`, until the frame is full.
    fn write_ready(&mut self, avail: u32) {
        let total = self.job.answer.len;
        let e2e = self.job.arrived.elapsed().as_micros() as u64;
        loop {
            if self.emitted == total && (self.events > 0 || total > 0) {
                self.write_end();
                return;
            }
            let mut end = self.next_end();
            if end > avail || self.buf.len() >= FRAME_BYTES {
                return;
            }
            // Faults land at their token or event, or on the last chunk that reaches it when
            // the stream interval groups tokens more coarsely.
            if self.faults.cut_at.is_some_and(|c| end > c) {
                self.cut = true;
                return;
            }
            let mut from = self.emitted;
            if self.merges_lagging_deltas() {
                let drops = !self.job.shared.config.personality.coalesces_deltas();
                loop {
                    let mut probe = self.chunker.clone();
                    probe.advance();
                    if end == total || probe.peek() > avail {
                        break;
                    }
                    self.chunker = probe;
                    if drops {
                        from = end;
                    }
                    end = self.chunker.peek();
                }
            }
            // After merging: a lagging reader's merged chunk may be the whole rest of the
            // stream (all of it, when every token was ready at the first read), and a fault
            // whose event it passed over lands on it.
            let last = end == total;
            if self
                .faults
                .malformed_at
                .is_some_and(|m| self.events == m || (last && self.events < m))
            {
                self.buf.put_slice(b"data: {\"text\":\"\n\n");
            }
            if self.retractions == 0
                && self
                    .faults
                    .retract_at
                    .is_some_and(|r| self.events >= r || last)
            {
                self.retractions += 1;
            }
            self.write_event((from, end), end, last, e2e);
            self.chunker.advance();
            self.emitted = end;
            self.events += 1;
        }
    }

    fn write_event(&mut self, (from, to): (u32, u32), completion: u32, finished: bool, e2e: u64) {
        let cumulative = self.job.shared.config.stream_format == StreamFormat::Cumulative;
        let first = self.events == 0;
        let ctx = self.job.ctx();
        self.buf.put_slice(b"data: ");
        match self.job.req.api {
            Api::Native => {
                let range = if cumulative { (0, to) } else { (from, to) };
                let meta = NativeMeta {
                    completion,
                    finished,
                    retractions: self.retractions,
                    e2e_us: e2e,
                };
                ctx.native(&mut self.buf, range, meta);
            }
            Api::Completions => ctx.completion(&mut self.buf, (from, to), finished, first, None),
        }
        self.buf.put_slice(b"\n\n");
    }

    fn write_end(&mut self) {
        if self.job.req.api == Api::Completions && self.job.req.include_usage {
            self.buf.put_slice(b"data: ");
            self.job.ctx().completion_usage(&mut self.buf, self.emitted);
            self.buf.put_slice(b"\n\n");
        }
        self.buf.put_slice(b"data: [DONE]\n\n");
        self.done = true;
    }

    fn finish(&mut self, outcome: Outcome, at: Option<Instant>) {
        if !self.closed {
            self.closed = true;
            let sends = std::mem::take(&mut self.sends);
            self.job.record(
                self.emitted,
                (self.first_sent, self.answer_sent),
                at,
                outcome,
                sends,
            );
        }
    }
}

impl Body for GenStream {
    type Data = Bytes;
    type Error = Cut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Cut>>> {
        let this = self.get_mut();
        if this.closed {
            return Poll::Ready(None);
        }
        if this.faults.stall {
            return Poll::Pending;
        }
        let total = this.job.answer.len;
        while !this.done && !this.cut && this.buf.len() < FRAME_BYTES {
            let need = if total == 0 { 0 } else { this.next_end() };
            match this.source.poll_until(cx, need, total) {
                Poll::Pending => break,
                Poll::Ready(None) => this.cut = true,
                Poll::Ready(Some(avail)) => this.write_ready(avail),
            }
        }
        if this.buf.is_empty() {
            if this.cut {
                let timer = this
                    .cut_timer
                    .get_or_insert_with(|| Box::pin(tokio::time::sleep(Duration::from_millis(20))));
                if timer.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                this.finish(Outcome::Disconnected, None);
                return Poll::Ready(Some(Err(Cut)));
            }
            return Poll::Pending;
        }
        let now = Instant::now();
        if this.job.shared.config.record_sends
            && this.sends.last().map(|s| s.1) != Some(this.emitted)
        {
            this.sends.push((now, this.emitted));
        }
        if this.first_sent.is_none() && this.events > 0 {
            this.first_sent = Some(now);
        }
        if this.answer_sent.is_none() && this.answer_at.is_some_and(|k| this.emitted > k) {
            this.answer_sent = Some(now);
        }
        let frame = this.buf.split().freeze();
        if this.done {
            this.finish(Outcome::Completed, Some(now));
        }
        Poll::Ready(Some(Ok(Frame::data(frame))))
    }

    fn is_end_stream(&self) -> bool {
        self.closed
    }
}

impl Drop for GenStream {
    fn drop(&mut self) {
        self.finish(Outcome::Abandoned, None);
    }
}
