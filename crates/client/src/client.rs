//! The client proper: one keep-alive connection pool (hyper 1 + hyper-util, TCP_NODELAY)
//! shared by every endpoint, least-outstanding-requests balancing, one retry on another
//! endpoint when a connection fails before the server answered a byte, a per-request deadline
//! and optional stall timeout, per-endpoint counters, and a cancel switch for Ctrl-C.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::header::{HeaderValue, CONTENT_TYPE};
use http::{Method, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use tokio::sync::watch;

use crate::request::body_for;
use crate::response::{drain, read_stream, read_whole, Deadlines, ResponseState};
use crate::stamp::{ReadClock, StampingConnector};
use crate::{Backend, ClientError, Endpoint, ErrorKind, Failure, Request, ResponseHandler};

/// After this many connection failures in a row an endpoint counts as down: it is chosen
/// only when every other endpoint is down too, until a request to it succeeds again.
pub const DOWN_AFTER_CONNECT_FAILURES: u32 = 3;

/// The read buffer of each connection, fixed (docs/PERFORMANCE.md, memory at 5,000 streams).
const READ_BUF_BYTES: usize = 8 * 1024;

pub(crate) type HttpClient = hyper_util::client::legacy::Client<StampingConnector, Full<Bytes>>;

/// How to reach the servers.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// The wire protocol.
    pub backend: Backend,
    /// One or more servers; requests are balanced across them.
    pub endpoints: Vec<Endpoint>,
    /// The most requests expected in flight; sizes the idle-connection pool.
    pub concurrency: usize,
    /// The whole-request deadline (`--timeout`; the reference uses 1200 s).
    pub timeout: Duration,
    /// Fail a request when no byte arrives for this long (a stalled stream); `None` leaves
    /// stalls to `timeout`.
    pub idle_timeout: Option<Duration>,
    /// The connect timeout for each new connection.
    pub connect_timeout: Duration,
    /// The model name for OpenAI requests; `None` takes the first model `/v1/models` lists.
    pub model: Option<String>,
}

impl ClientConfig {
    /// A configuration with the reference's defaults: 128 in flight, 1200 s timeout.
    pub fn new(backend: Backend, endpoints: Vec<Endpoint>) -> ClientConfig {
        ClientConfig {
            backend,
            endpoints,
            concurrency: 128,
            timeout: Duration::from_secs(1200),
            idle_timeout: None,
            connect_timeout: Duration::from_secs(10),
            model: None,
        }
    }
}

/// What one endpoint has done so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointStats {
    /// The endpoint's base URL.
    pub url: String,
    /// Whether it is in rotation (false after a failed health check).
    pub healthy: bool,
    /// Requests sent to it (retries count on the endpoint they went to).
    pub sent: u64,
    /// Requests it completed.
    pub completed: u64,
    /// Requests that failed on it.
    pub failed: u64,
    /// Requests whose connection failed before any byte and that were retried elsewhere.
    pub retried_away: u64,
    /// Output tokens it generated (server counts).
    pub output_tokens: u64,
    /// Requests in flight now.
    pub outstanding: u64,
    /// Connections that could not be made.
    pub connect_failures: u64,
    /// Whether it is down now ([`DOWN_AFTER_CONNECT_FAILURES`] connection failures in a row).
    pub down: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub healthy: AtomicBool,
    pub sent: AtomicU64,
    pub completed: AtomicU64,
    pub failed: AtomicU64,
    pub retried_away: AtomicU64,
    pub output_tokens: AtomicU64,
    pub outstanding: AtomicU64,
    pub connect_failures: AtomicU64,
    pub failing_in_a_row: AtomicU32,
}

impl Counters {
    fn is_down(&self) -> bool {
        self.failing_in_a_row.load(Ordering::Relaxed) >= DOWN_AFTER_CONNECT_FAILURES
    }
}

pub(crate) struct Target {
    pub endpoint: Endpoint,
    pub request_uri: http::Uri,
    pub counters: Counters,
    pub model: std::sync::OnceLock<String>,
}

pub(crate) struct Inner {
    pub config: ClientConfig,
    pub http: HttpClient,
    pub targets: Vec<Target>,
    next: AtomicUsize,
    cancel: watch::Sender<bool>,
}

/// An inference-server client. Cheap to clone; clones share the pool and counters.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// Marks an endpoint busy for as long as it lives.
struct Outstanding<'a>(&'a Counters);

impl Drop for Outstanding<'_> {
    fn drop(&mut self) {
        self.0.outstanding.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Client {
    /// Builds the client. Makes no connection: call [`Client::health_check`] before load.
    pub fn new(config: ClientConfig) -> Result<Client, ClientError> {
        if config.endpoints.is_empty() {
            return Err(ClientError::NoEndpoints);
        }
        let path = match config.backend {
            Backend::Sglang => "/generate",
            Backend::Openai => "/v1/completions",
        };
        let mut targets = Vec::with_capacity(config.endpoints.len());
        for endpoint in &config.endpoints {
            let model = std::sync::OnceLock::new();
            if let Some(name) = &config.model {
                let _ = model.set(name.clone());
            }
            targets.push(Target {
                request_uri: endpoint.uri(path)?,
                endpoint: endpoint.clone(),
                counters: Counters {
                    healthy: AtomicBool::new(true),
                    ..Counters::default()
                },
                model,
            });
        }
        let mut connector = HttpConnector::new();
        connector.set_nodelay(true);
        connector.set_keepalive(Some(Duration::from_secs(60)));
        connector.set_connect_timeout(Some(config.connect_timeout));
        let http = hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(config.concurrency.max(1))
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_timer(TokioTimer::new())
            // hyper's adaptive read buffer grows to ~33 KB a connection on a stream of small
            // events (heaptrack, 5,000 streams: 165 MB); a fixed 8 KiB keeps memory per
            // stream flat and still packs about 40 SSE events into one read.
            .http1_read_buf_exact_size(READ_BUF_BYTES)
            .build(StampingConnector::new(connector));
        let (cancel, _) = watch::channel(false);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                targets,
                next: AtomicUsize::new(0),
                cancel,
            }),
        })
    }

    /// The configuration it was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// Counters for each endpoint, in configuration order.
    pub fn endpoint_stats(&self) -> Vec<EndpointStats> {
        self.inner
            .targets
            .iter()
            .map(|t| {
                let c = &t.counters;
                EndpointStats {
                    url: t.endpoint.url().to_owned(),
                    healthy: c.healthy.load(Ordering::Relaxed),
                    sent: c.sent.load(Ordering::Relaxed),
                    completed: c.completed.load(Ordering::Relaxed),
                    failed: c.failed.load(Ordering::Relaxed),
                    retried_away: c.retried_away.load(Ordering::Relaxed),
                    output_tokens: c.output_tokens.load(Ordering::Relaxed),
                    outstanding: c.outstanding.load(Ordering::Relaxed),
                    connect_failures: c.connect_failures.load(Ordering::Relaxed),
                    down: c.is_down(),
                }
            })
            .collect()
    }

    /// Fails every request in flight with [`ErrorKind::Cancelled`] and every later one at
    /// once. Used on Ctrl-C.
    pub fn cancel_all(&self) {
        self.inner.cancel.send_replace(true);
    }

    /// Whether [`Client::cancel_all`] was called.
    pub fn is_cancelled(&self) -> bool {
        *self.inner.cancel.borrow()
    }

    /// The healthy endpoint with the fewest requests in flight, other than `except`,
    /// preferring endpoints that are not down; ties go round-robin.
    fn pick(&self, except: Option<usize>) -> Option<usize> {
        let targets = &self.inner.targets;
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        let mut best: Option<(usize, (bool, u64))> = None;
        for k in 0..targets.len() {
            let i = (start + k) % targets.len();
            let c = &targets[i].counters;
            if Some(i) == except || !c.healthy.load(Ordering::Relaxed) {
                continue;
            }
            let key = (c.is_down(), c.outstanding.load(Ordering::Relaxed));
            if best.is_none_or(|(_, b)| key < b) {
                best = Some((i, key));
            }
        }
        best.map(|(i, _)| i)
    }

    /// Sends one request and reports on `handler`: at most one first token, then exactly one
    /// completion or failure. Never returns an error; failures go to the handler.
    pub async fn send<H: ResponseHandler>(&self, request: Request, mut handler: H) {
        let mut cancel = self.inner.cancel.subscribe();
        if *cancel.borrow_and_update() {
            handler.on_failure(Failure::new(
                ErrorKind::Cancelled,
                "cancelled before it was sent",
            ));
            return;
        }
        let total = self.inner.config.timeout;
        let deadlines = Deadlines {
            total: tokio::time::Instant::now() + total,
            total_len: total,
            idle: self.inner.config.idle_timeout,
        };
        let mut first_sent = false;
        let mut endpoint = None;
        let outcome = tokio::select! {
            biased;
            _ = cancel.wait_for(|c| *c) => Err(Failure::new(ErrorKind::Cancelled, "cancelled while in flight")),
            r = self.run(&request, &mut handler, &deadlines, &mut endpoint, &mut first_sent) => r,
        };
        if let Err(mut failure) = outcome {
            failure.endpoint = endpoint;
            failure.after_first_token = first_sent;
            if let Some(i) = endpoint {
                self.inner.targets[i]
                    .counters
                    .failed
                    .fetch_add(1, Ordering::Relaxed);
            }
            handler.on_failure(failure);
        }
    }

    /// Sends, retries once elsewhere when the connection failed before any answer, and reads
    /// the response. `Ok` means the handler already got its completion.
    async fn run<H: ResponseHandler>(
        &self,
        request: &Request,
        handler: &mut H,
        deadlines: &Deadlines,
        endpoint: &mut Option<usize>,
        first_sent: &mut bool,
    ) -> Result<(), Failure> {
        let (i, response, _busy) = self.connect(request, deadlines, endpoint).await?;
        let target = &self.inner.targets[i];
        let url = target.request_uri.to_string();
        let status = response.status();
        let is_sse = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let clock = response.extensions().get::<ReadClock>().cloned();
        let mut body = response.into_body();
        if status != StatusCode::OK {
            let text = error_body(&mut body, deadlines).await;
            return Err(Failure::new(
                ErrorKind::HttpStatus,
                format!("HTTP {} from {url}: {text}", status.as_u16()),
            ));
        }
        let mut state = ResponseState::new(self.inner.config.backend, i);
        let mut counted = CountingHandler {
            inner: handler,
            first_sent,
            tokens: None,
        };
        let result = if is_sse {
            read_stream(
                &mut body,
                &mut state,
                &mut counted,
                deadlines,
                clock.as_ref(),
            )
            .await
        } else {
            read_whole(
                &mut body,
                &mut state,
                &mut counted,
                deadlines,
                clock.as_ref(),
            )
            .await
        };
        if let Some(tokens) = counted.tokens {
            let c = &target.counters;
            c.completed.fetch_add(1, Ordering::Relaxed);
            c.output_tokens.fetch_add(tokens, Ordering::Relaxed);
            drain(&mut body, Duration::from_secs(2).min(deadlines.total_len)).await;
        }
        result.map_err(|mut f| {
            f.message = format!("{} ({url})", f.message);
            f
        })
    }

    /// Posts to the least busy endpoint, and once more to another one when the connection
    /// failed before any answer. Returns the endpoint, its response and its busy mark.
    async fn connect(
        &self,
        request: &Request,
        deadlines: &Deadlines,
        endpoint: &mut Option<usize>,
    ) -> Result<(usize, hyper::Response<Incoming>, Outstanding<'_>), Failure> {
        let first_pick = self.pick(None).ok_or_else(|| {
            Failure::new(ErrorKind::Connect, "no healthy endpoint left to send to")
        })?;
        let mut tried = first_pick;
        loop {
            *endpoint = Some(tried);
            let counters = &self.inner.targets[tried].counters;
            let busy = Outstanding(counters);
            counters.outstanding.fetch_add(1, Ordering::Relaxed);
            counters.sent.fetch_add(1, Ordering::Relaxed);
            match self
                .post(&self.inner.targets[tried], request, deadlines)
                .await
            {
                Ok(response) => {
                    counters.failing_in_a_row.store(0, Ordering::Relaxed);
                    return Ok((tried, response, busy));
                }
                Err((failure, retryable)) => {
                    if failure.kind == ErrorKind::Connect {
                        counters.connect_failures.fetch_add(1, Ordering::Relaxed);
                        counters.failing_in_a_row.fetch_add(1, Ordering::Relaxed);
                    }
                    let other = if retryable && tried == first_pick {
                        self.pick(Some(tried))
                    } else {
                        None
                    };
                    let Some(other) = other else {
                        return Err(failure);
                    };
                    counters.retried_away.fetch_add(1, Ordering::Relaxed);
                    tried = other;
                }
            }
        }
    }

    /// Posts the request body; on error, says whether it may be retried elsewhere (no byte
    /// of an answer was seen).
    async fn post(
        &self,
        target: &Target,
        request: &Request,
        deadlines: &Deadlines,
    ) -> Result<hyper::Response<Incoming>, (Failure, bool)> {
        let body = body_for(
            self.inner.config.backend,
            request,
            target.model.get().map(String::as_str),
        );
        let req = hyper::Request::builder()
            .method(Method::POST)
            .uri(target.request_uri.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .body(Full::new(body))
            .map_err(|e| {
                (
                    Failure::new(ErrorKind::Protocol, format!("building the request: {e}")),
                    false,
                )
            })?;
        let url = target.request_uri.to_string();
        match tokio::time::timeout_at(deadlines.total, self.inner.http.request(req)).await {
            Err(_) => Err((
                Failure::new(
                    ErrorKind::Timeout,
                    format!(
                        "no response from {url} within the {:?} timeout",
                        deadlines.total_len
                    ),
                ),
                false,
            )),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(e)) => Err(classify_request_error(&e, &url)),
        }
    }
}

/// Notes what a handler was told: whether the first token went out (kept even when the
/// request is cancelled mid-stream) and the completed token count, for the counters.
struct CountingHandler<'h, H> {
    inner: &'h mut H,
    first_sent: &'h mut bool,
    tokens: Option<u64>,
}

impl<H: ResponseHandler> ResponseHandler for CountingHandler<'_, H> {
    fn on_first_token(&mut self, at: std::time::Instant, ids: &[u32], count: u64) {
        *self.first_sent = true;
        self.inner.on_first_token(at, ids, count);
    }
    fn on_complete(&mut self, completion: &crate::Completion<'_>) {
        self.tokens = Some(completion.completion_tokens);
        self.inner.on_complete(completion);
    }
    fn on_failure(&mut self, failure: Failure) {
        self.inner.on_failure(failure);
    }
}

/// Classifies an error from sending a request; all of them happened before any answer.
fn classify_request_error(e: &hyper_util::client::legacy::Error, url: &str) -> (Failure, bool) {
    let mut chain = String::new();
    let mut source = std::error::Error::source(e);
    let mut io_kind = None;
    while let Some(s) = source {
        chain.push_str(": ");
        chain.push_str(&s.to_string());
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind = Some(io.kind());
        }
        source = s.source();
    }
    if e.is_connect() {
        return (
            Failure::new(
                ErrorKind::Connect,
                format!("cannot connect to {url}{chain}"),
            ),
            true,
        );
    }
    let hyper_err = std::error::Error::source(e).and_then(|s| s.downcast_ref::<hyper::Error>());
    if hyper_err.is_some_and(|h| h.is_parse() || h.is_parse_status()) {
        return (
            Failure::new(
                ErrorKind::Protocol,
                format!("bad response from {url}{chain}"),
            ),
            false,
        );
    }
    let message = match io_kind {
        Some(kind) => format!("connection to {url} failed before an answer ({kind}){chain}"),
        None => format!("connection to {url} failed before an answer{chain}"),
    };
    (Failure::new(ErrorKind::Io, message), true)
}

/// Reads up to 1 KiB of an error body for the message.
async fn error_body(body: &mut Incoming, deadlines: &Deadlines) -> String {
    let mut buf = Vec::new();
    let until = deadlines
        .total
        .min(tokio::time::Instant::now() + Duration::from_secs(5));
    while buf.len() < 1024 {
        match tokio::time::timeout_at(until, body.frame()).await {
            Ok(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                }
            }
            _ => break,
        }
    }
    buf.truncate(1024);
    let text = String::from_utf8_lossy(&buf).trim().to_owned();
    if text.is_empty() {
        "(empty body)".to_owned()
    } else {
        text
    }
}
