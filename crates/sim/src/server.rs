//! The HTTP side: start-up on its own runtime thread, routing, the info endpoints, and turning a
//! generation request into a planned answer, a token source and a response body.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, Incoming};
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::answers::AnswerBank;
use crate::config::{SimConfig, StreamFormat, Timing, MODEL_NAME};
use crate::conn::{Conn, RxClock};
use crate::metrics::Stats;
use crate::personality::Personality;
use crate::rng::Rng;
use crate::scheduler::{self, Admit};
use crate::stream::{Cut, GenStream, Job, Source, StreamFaults};
use crate::truth::{Outcome, TruthRecord};
use crate::wire::{self, Api, Refusal};
use crate::Error;

/// State shared by every connection.
#[derive(Debug)]
pub(crate) struct Shared {
    /// The configuration it was started with.
    pub config: SimConfig,
    /// Pre-tokenized answers.
    pub bank: AnswerBank,
    /// Live counters.
    pub stats: Stats,
    started: Instant,
    started_unix: u64,
    scheduler: Option<mpsc::UnboundedSender<Admit>>,
    truth: Mutex<Vec<TruthRecord>>,
    truth_file: Option<Mutex<BufWriter<File>>>,
    stop: watch::Sender<bool>,
}

impl Shared {
    /// Stores one request's ground truth; stops the server after `exit_after` requests.
    pub(crate) fn record(&self, record: TruthRecord) {
        self.stats
            .generation_tokens
            .fetch_add(u64::from(record.completion_tokens), Ordering::Relaxed);
        if let Some(file) = &self.truth_file {
            if let Ok(mut out) = file.lock() {
                let _ = record
                    .write_jsonl(self.started.into_std(), &mut *out)
                    .and_then(|()| out.flush());
            }
        }
        let count = match self.truth.lock() {
            Ok(mut all) => {
                all.push(record);
                all.len() as u64
            }
            Err(_) => 0,
        };
        if self.config.faults.exit_after.is_some_and(|n| count >= n) {
            self.stop.send_replace(true);
        }
    }

    /// SGLang's `Starting` state: `/health` answers 503 until the warm-up request is served.
    fn starting(&self) -> bool {
        self.started.elapsed() < self.config.faults.slow_start
    }

    /// Requests waiting beyond the running limit.
    fn queued(&self) -> u64 {
        self.stats
            .active
            .load(Ordering::Relaxed)
            .saturating_sub(u64::from(self.config.max_running_requests))
    }
}

/// Starts simulators.
#[derive(Debug)]
pub struct Simulator;

/// A running simulator. Dropping it shuts it down.
#[derive(Debug)]
pub struct SimHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Simulator {
    /// Binds `config.addr`, pre-tokenizes the answers and serves on a runtime thread of its
    /// own (one core). Returns once the socket is bound; it listens (accepts connections)
    /// after `faults.loading`, at once by default, as a server loading its weights.
    pub fn start(config: SimConfig) -> Result<SimHandle, Error> {
        let bind = |source| Error::Bind {
            addr: config.addr,
            source,
        };
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Error::Runtime)?;
        let socket = if config.addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()
        } else {
            tokio::net::TcpSocket::new_v6()
        }
        .map_err(bind)?;
        socket.set_reuseaddr(true).map_err(bind)?;
        socket.bind(config.addr).map_err(bind)?;
        let addr = socket.local_addr().map_err(bind)?;
        let loading = config.faults.loading;
        let (listener, socket) = if loading.is_zero() {
            let _context = runtime.enter();
            (Some(socket.listen(1024).map_err(bind)?), None)
        } else {
            (None, Some(socket))
        };
        let truth_file = match &config.truth_log {
            None => None,
            Some(path) => {
                let file = File::create(path).map_err(|source| Error::TruthLog {
                    path: path.clone(),
                    source,
                })?;
                Some(Mutex::new(BufWriter::new(file)))
            }
        };
        let (sched_tx, sched_rx) = mpsc::unbounded_channel();
        let batched = match config.timing {
            Timing::Batched(cost) => Some((cost, sched_rx)),
            _ => None,
        };
        let (stop, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            bank: AnswerBank::new(config.reference.clone()),
            stats: Stats::default(),
            started: Instant::now(),
            started_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
            scheduler: batched.is_some().then_some(sched_tx),
            truth: Mutex::new(Vec::new()),
            truth_file,
            stop,
            config,
        });
        let state = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ossperf-sim".into())
            .spawn(move || {
                runtime.block_on(async move {
                    let listener = match (listener, socket) {
                        (Some(l), _) => l,
                        (None, Some(socket)) => {
                            let mut stop = state.stop.subscribe();
                            tokio::select! {
                                () = tokio::time::sleep(loading) => {}
                                _ = stop.wait_for(|s| *s) => return,
                            }
                            let Ok(l) = socket.listen(1024) else { return };
                            l
                        }
                        (None, None) => return,
                    };
                    if let Some((cost, rx)) = batched {
                        tokio::spawn(scheduler::run(state.clone(), cost, rx));
                    }
                    serve(listener, state).await;
                });
            })
            .map_err(Error::Runtime)?;
        Ok(SimHandle {
            addr,
            shared,
            thread: Some(thread),
        })
    }
}

impl SimHandle {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Ground truth of every generation request that has ended so far, in the order they ended.
    pub fn truth(&self) -> Vec<TruthRecord> {
        self.shared
            .truth
            .lock()
            .map(|t| t.clone())
            .unwrap_or_default()
    }

    /// The server it behaves like.
    pub fn personality(&self) -> crate::Personality {
        self.shared.config.personality
    }

    /// The answer bank (to decode what was sent, in tests).
    pub fn bank(&self) -> &AnswerBank {
        &self.shared.bank
    }

    /// Asks the server to stop; in-flight responses get up to a second to finish.
    pub fn stop(&self) {
        self.shared.stop.send_replace(true);
    }

    /// Blocks until the server has stopped (by [`SimHandle::stop`] or `exit_after`).
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(self) {
        self.stop();
        self.wait();
    }

    /// True once the server has been asked to stop.
    pub fn is_stopping(&self) -> bool {
        *self.shared.stop.borrow()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(file) = &self.shared.truth_file {
            if let Ok(mut out) = file.lock() {
                let _ = out.flush();
            }
        }
    }
}

async fn serve(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    let mut stop = shared.stop.subscribe();
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                conns.spawn(connection(Conn::new(stream, shared.started), shared.clone()));
            }
            stopped = stop.wait_for(|s| *s) => { drop(stopped); break }
            Some(_) = conns.join_next(), if !conns.is_empty() => {}
        }
    }
    drop(listener);
    let drain = async { while conns.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(Duration::from_secs(1), drain).await;
    conns.abort_all();
}

async fn connection(stream: Conn, shared: Arc<Shared>) {
    let mut stop = shared.stop.subscribe();
    let shared_keep_alive = shared.config.keep_alive;
    let clock = stream.clock();
    let service = hyper::service::service_fn(move |req| handle(shared.clone(), req, &clock));
    let keep_alive = shared_keep_alive;
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(hyper_util::rt::TokioTimer::new())
        // Waiting for the next request's headers is the idle time uvicorn limits
        // (`timeout_keep_alive`, 5 s); hyper starts this timer when a connection goes idle.
        .header_read_timeout(keep_alive)
        .serve_connection(stream, service);
    tokio::pin!(conn);
    let stopping = async move {
        let _ = stop.wait_for(|s| *s).await.map(|_| ());
    };
    tokio::select! {
        _ = conn.as_mut() => return,
        () = stopping => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// A response body: a complete buffer or a token stream.
#[derive(Debug)]
pub(crate) enum SimBody {
    /// The whole body at once.
    Full(Option<Bytes>),
    /// Server-sent events.
    Stream(Box<GenStream>),
}

impl Body for SimBody {
    type Data = Bytes;
    type Error = Cut;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Cut>>> {
        match self.get_mut() {
            SimBody::Full(bytes) => Poll::Ready(bytes.take().map(|b| Ok(Frame::data(b)))),
            SimBody::Stream(s) => Pin::new(s.as_mut()).poll_frame(cx),
        }
    }

    fn is_end_stream(&self) -> bool {
        match self {
            SimBody::Full(bytes) => bytes.is_none(),
            SimBody::Stream(s) => s.is_end_stream(),
        }
    }

    /// Exact for whole bodies, so they go out with `Content-Length` as SGLang's do.
    fn size_hint(&self) -> hyper::body::SizeHint {
        match self {
            SimBody::Full(bytes) => {
                hyper::body::SizeHint::with_exact(bytes.as_ref().map_or(0, |b| b.len() as u64))
            }
            SimBody::Stream(s) => s.size_hint(),
        }
    }
}

fn respond(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<SimBody> {
    let body: Bytes = body.into();
    let mut resp = Response::new(SimBody::Full((!body.is_empty()).then_some(body)));
    *resp.status_mut() = status;
    if let Ok(v) = content_type.parse() {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, v);
    }
    resp
}

fn json(status: StatusCode, value: &serde_json::Value) -> Response<SimBody> {
    respond(status, "application/json", value.to_string())
}

/// Answers one request; `clock` is its connection's, whose latest read when hyper hands over
/// a request is the read that completed the request's headers.
fn handle(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    clock: &RxClock,
) -> impl std::future::Future<Output = Result<Response<SimBody>, Cut>> {
    let headers_at = clock.last_read().unwrap_or_else(Instant::now);
    route(shared, req, headers_at)
}

async fn route(
    shared: Arc<Shared>,
    req: Request<Incoming>,
    headers_at: Instant,
) -> Result<Response<SimBody>, Cut> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let get = method == Method::GET;
    let who = shared.config.personality;
    let sglang = who.is_sglang();
    let known = match path.as_str() {
        "/health" | "/v1/models" | "/metrics" | "/v1/completions" => true,
        "/version" => !sglang,
        "/health_generate" | "/get_server_info" | "/generate" => sglang,
        p => who.model_info_routes().contains(&p),
    };
    if !known {
        return Ok(not_found(who));
    }
    Ok(match path.as_str() {
        "/health" | "/health_generate" if get => {
            let status = if shared.starting() {
                StatusCode::SERVICE_UNAVAILABLE
            } else {
                StatusCode::OK
            };
            respond(status, "text/plain", Bytes::new())
        }
        "/get_server_info" if get => json(StatusCode::OK, &server_info(&shared)),
        "/v1/models" if get => json(StatusCode::OK, &models(&shared)),
        "/version" if get => json(
            StatusCode::OK,
            &serde_json::json!({"version": who.version()}),
        ),
        "/metrics" if get => metrics(&shared),
        "/generate" if method == Method::POST || method == Method::PUT => {
            return generate(shared, Api::Native, req, headers_at).await
        }
        "/v1/completions" if method == Method::POST => {
            return generate(shared, Api::Completions, req, headers_at).await
        }
        p if get && who.model_info_routes().contains(&p) => json(StatusCode::OK, &model_info()),
        _ => json(
            StatusCode::METHOD_NOT_ALLOWED,
            &serde_json::json!({"detail": "Method Not Allowed"}),
        ),
    })
}

/// FastAPI's 404 (all three servers are FastAPI apps).
fn not_found(_who: Personality) -> Response<SimBody> {
    json(
        StatusCode::NOT_FOUND,
        &serde_json::json!({"detail": "Not Found"}),
    )
}

fn metrics(shared: &Shared) -> Response<SimBody> {
    let batched = matches!(shared.config.timing, Timing::Batched(_));
    let max = shared.config.max_running_requests;
    let prometheus = "text/plain; version=0.0.4";
    match shared.config.personality {
        Personality::Sglang | Personality::Sglang054 => {
            let text = shared.stats.render(batched, max, shared.started.elapsed());
            respond(StatusCode::OK, prometheus, text)
        }
        Personality::Vllm | Personality::VllmTextOnly => respond(
            StatusCode::OK,
            prometheus,
            shared.stats.render_vllm(batched, max),
        ),
        Personality::Trtllm => respond(
            StatusCode::OK,
            "application/json",
            shared.stats.render_trtllm(),
        ),
    }
}

fn model_info() -> serde_json::Value {
    serde_json::json!({
        "model_path": MODEL_NAME,
        "tokenizer_path": MODEL_NAME,
        "is_generation": true,
        "preferred_sampling_params": null,
        "weight_version": "default",
    })
}

fn server_info(shared: &Shared) -> serde_json::Value {
    let c = &shared.config;
    let timing = match c.timing {
        Timing::Zero => serde_json::json!({"profile": "zero"}),
        Timing::Fixed { ttft, tpot } => {
            serde_json::json!({"ttft_ms": ttft.as_secs_f64() * 1e3, "tpot_ms": tpot.as_secs_f64() * 1e3})
        }
        Timing::Batched(m) => serde_json::json!({
            "base_us": m.base_us, "prefill_token_us": m.prefill_token_us,
            "decode_seq_us": m.decode_seq_us, "context_token_us": m.context_token_us,
        }),
    };
    serde_json::json!({
        "model_path": MODEL_NAME,
        "max_running_requests": c.max_running_requests,
        "chunked_prefill_size": c.chunked_prefill_size,
        "stream_interval": c.stream_interval,
        "incremental_streaming_output": c.stream_format == StreamFormat::Delta,
        "speculative_algorithm": c.speculative.map(|_| "EAGLE3"),
        "max_queued_requests": c.max_queued_requests,
        "enable_metrics": true,
        "random_seed": c.seed,
        "internal_states": [{"steps": shared.stats.steps.load(Ordering::Relaxed)}],
        "version": c.personality.version(),
        "simulator": {
            "name": concat!("ossperf-sim ", env!("CARGO_PKG_VERSION")),
            "personality": c.personality.name(),
            "timing": timing,
        },
    })
}

fn models(shared: &Shared) -> serde_json::Value {
    serde_json::json!({"object": "list", "data": [{
        "id": MODEL_NAME, "object": "model", "created": shared.started_unix,
        "owned_by": shared.config.personality.owned_by(), "root": MODEL_NAME,
        "max_model_len": 131_072,
    }]})
}

/// A generation request whose headers arrived at `arrived`: the truth's and the timing's
/// start, so time the body takes to read, and this thread's own delays, count as the server's.
async fn generate(
    shared: Arc<Shared>,
    api: Api,
    req: Request<Incoming>,
    arrived: Instant,
) -> Result<Response<SimBody>, Cut> {
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Err(Cut),
    };
    let who = shared.config.personality;
    let request = match wire::parse(who, api, &body) {
        Ok(r) => r,
        Err((true, refusal @ Refusal::Value(_))) => {
            let event = format!(
                "data: {}\n\ndata: [DONE]\n\n",
                wire::refusal_body(who, &refusal, api)
            );
            return Ok(respond(StatusCode::OK, "text/event-stream", event));
        }
        Err((_, refusal)) => {
            let status = StatusCode::from_u16(wire::refusal_status(&refusal))
                .unwrap_or(StatusCode::BAD_REQUEST);
            return Ok(respond(
                status,
                "application/json",
                wire::refusal_body(who, &refusal, api),
            ));
        }
    };
    let queue_full = who.is_sglang()
        && shared
            .config
            .max_queued_requests
            .is_some_and(|max| shared.queued() >= u64::from(max));
    let seq = shared.stats.requests.fetch_add(1, Ordering::Relaxed);
    shared
        .stats
        .prompt_tokens
        .fetch_add(request.ids.len() as u64, Ordering::Relaxed);
    let faults = &shared.config.faults;
    let mut rng = Rng::keyed(shared.config.seed, seq, 2);
    let answer = shared
        .bank
        .plan(&shared.config, &request.ids, request.max_new);
    let rid = response_id(&request.rid, api, shared.config.seed, seq);
    let created = shared.started_unix + shared.started.elapsed().as_secs();
    shared.stats.active.fetch_add(1, Ordering::Relaxed);
    let job = Job {
        shared: shared.clone(),
        req: request,
        answer,
        rid,
        seq,
        arrived,
        created,
    };
    if queue_full {
        job.record(0, (None, None), None, Outcome::Failed(503), Vec::new());
        return Ok(queue_full_response(&job));
    }
    if rng.chance(faults.error_rate) {
        let status = faults.status();
        job.record(0, (None, None), None, Outcome::Failed(status), Vec::new());
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return Ok(json(
            code,
            &serde_json::json!({"error": {"message": "simulated failure"}}),
        ));
    }
    let half = job.answer.len / 2;
    let stream_faults = StreamFaults {
        cut_at: rng.chance(faults.disconnect_rate).then_some(half),
        stall: rng.chance(faults.stall_rate),
        malformed_at: rng
            .chance(faults.malformed_rate)
            .then_some(half.max(1).min(job.answer.len) / 2 + 1),
        retract_at: rng.chance(faults.retract_rate).then_some(3),
    };
    let source = token_source(&shared, &job, arrived);
    if job.req.stream {
        let mut resp = Response::new(SimBody::Stream(Box::new(GenStream::new(
            job,
            source,
            stream_faults,
        ))));
        resp.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/event-stream"),
        );
        return Ok(resp);
    }
    finish_whole(job, source, stream_faults).await
}

/// SGLang's answer when `--max-queued-requests` is reached: 503 with the flat error body, or
/// in a stream an abort `finish_reason` (native) or an error event (OpenAI), then `[DONE]`.
fn queue_full_response(job: &Job) -> Response<SimBody> {
    const MESSAGE: &str = "The request queue is full.";
    if !job.req.stream {
        return json(
            StatusCode::SERVICE_UNAVAILABLE,
            &serde_json::json!({
                "object": "error", "message": MESSAGE, "type": "Service Unavailable",
                "param": null, "code": 503
            }),
        );
    }
    let mut buf = bytes::BytesMut::new();
    buf.extend_from_slice(b"data: ");
    match job.req.api {
        Api::Native => job.ctx().native_abort(&mut buf, MESSAGE, 503),
        Api::Completions => buf.extend_from_slice(
            serde_json::json!({"error": {
                "message": MESSAGE, "type": "Service Unavailable", "param": null, "code": 503
            }})
            .to_string()
            .as_bytes(),
        ),
    }
    buf.extend_from_slice(b"\n\ndata: [DONE]\n\n");
    respond(StatusCode::OK, "text/event-stream", buf.freeze())
}

fn token_source(shared: &Shared, job: &Job, arrived: Instant) -> Source {
    match shared.config.timing {
        Timing::Zero => Source::Ready,
        Timing::Fixed { ttft, tpot } => Source::fixed(arrived, ttft, tpot),
        Timing::Batched(_) => {
            let (tx, rx) = mpsc::unbounded_channel();
            if let Some(scheduler) = &shared.scheduler {
                let _ = scheduler.send(Admit {
                    tag: job.seq,
                    prompt: job.req.ids.len() as u32,
                    output: job.answer.len,
                    progress: tx,
                });
            }
            Source::Batched { rx, seen: None }
        }
    }
}

async fn finish_whole(
    job: Job,
    mut source: Source,
    faults: StreamFaults,
) -> Result<Response<SimBody>, Cut> {
    if faults.stall {
        std::future::pending::<()>().await;
    }
    let total = job.answer.len;
    let ready = std::future::poll_fn(|cx| source.poll_until(cx, total, total)).await;
    let now = Instant::now();
    if ready.is_none() || faults.cut_at.is_some() {
        job.record(0, (None, None), None, Outcome::Disconnected, Vec::new());
        return Err(Cut);
    }
    let mut body = job.full_body();
    if faults.malformed_at.is_some() {
        body.truncate(body.len() / 2);
    }
    let sends = if job.shared.config.record_sends {
        vec![(now, total)]
    } else {
        Vec::new()
    };
    let answered = job
        .shared
        .bank
        .channel_counts(&job.answer, total)
        .first_answer
        .map(|_| now);
    job.record(
        total,
        (Some(now), answered),
        Some(now),
        Outcome::Completed,
        sends,
    );
    Ok(respond(StatusCode::OK, "application/json", body))
}

/// The response id: the client's `rid` (JSON-escaped) or 32 hex digits from the seed.
fn response_id(rid: &Option<String>, api: Api, seed: u64, seq: u64) -> String {
    if let Some(rid) = rid {
        let quoted = serde_json::to_string(rid).unwrap_or_default();
        return quoted.trim_matches('"').to_string();
    }
    let mut rng = Rng::keyed(seed, seq, 3);
    let hex = format!("{:016x}{:016x}", rng.next_u64(), rng.next_u64());
    match api {
        Api::Native => hex,
        Api::Completions => format!("cmpl-{hex}"),
    }
}

impl Drop for Job {
    fn drop(&mut self) {
        self.shared.stats.active.fetch_sub(1, Ordering::Relaxed);
    }
}
