//! The client proper: a keep-alive connection pool per endpoint (the `h1` transport),
//! least-outstanding-requests balancing, one retry on another
//! endpoint when a connection fails before the server answered a byte, a per-request deadline
//! and optional stall timeout, per-endpoint counters, and a cancel switch for Ctrl-C.

use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use crate::h1::{Body, Conn, ExchangeError, Head, Pool, Tls};
use crate::request::{body_for, IdsField};
use crate::response::{drain, read_stream, read_whole, Deadlines, ResponseState};
use crate::{Backend, ClientError, Endpoint, ErrorKind, Failure, Request, ResponseHandler};

/// After this many connection failures in a row an endpoint counts as down: it is chosen
/// only when every other endpoint is down too, until a request to it succeeds again.
pub const DOWN_AFTER_CONNECT_FAILURES: u32 = 3;

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
    /// How https servers are trusted.
    pub tls: crate::TlsOptions,
    /// Sent as `Authorization: Bearer KEY` on every request (`--api-key`, `OPENAI_API_KEY`).
    pub api_key: Option<String>,
    /// Further headers sent on every request (`--header NAME:VALUE`, see
    /// [`parse_header`](crate::parse_header)).
    pub headers: Vec<(String, String)>,
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
            tls: crate::TlsOptions::default(),
            api_key: None,
            headers: Vec::new(),
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
    /// Connections that could not be made: refused, timed out, or closed by the server
    /// before any answer.
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
    /// The URL requests go to, for messages.
    pub request_url: String,
    /// The request line and fixed headers of a request, up to the `Content-Length` value.
    post_head: Box<[u8]>,
    pub pool: Arc<Pool>,
    pub counters: Counters,
    pub model: std::sync::OnceLock<String>,
    /// The `Authorization` and `--header` lines of every request.
    pub(crate) extra_headers: Box<str>,
    /// What the health check found the server to be.
    pub kind: std::sync::OnceLock<crate::ServerKind>,
    /// The field that asks it for token ids (see [`IdsField`]), as negotiated.
    ids_field: std::sync::atomic::AtomicU8,
}

impl Target {
    /// The field that asks this server for token ids.
    pub(crate) fn ids_field(&self) -> IdsField {
        match self.ids_field.load(Ordering::Relaxed) {
            0 => IdsField::ReturnTokenIds,
            1 => IdsField::NoDetokenize,
            _ => IdsField::None,
        }
    }

    pub(crate) fn set_ids_field(&self, field: IdsField) {
        let code = match field {
            IdsField::ReturnTokenIds => 0,
            IdsField::NoDetokenize => 1,
            IdsField::None => 2,
        };
        self.ids_field.store(code, Ordering::Relaxed);
    }

    /// The head of a request to the inference path with a body of `body_len` bytes: the
    /// prebuilt part and the length.
    pub(crate) fn post_head(&self, body_len: usize) -> Vec<u8> {
        use std::io::Write;
        let mut head = Vec::with_capacity(self.post_head.len() + 24);
        head.extend_from_slice(&self.post_head);
        // Writing to a Vec cannot fail.
        let _ = write!(head, "{body_len}\r\n\r\n");
        head
    }
}

pub(crate) struct Inner {
    pub config: ClientConfig,
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
struct Outstanding {
    inner: Arc<Inner>,
    endpoint: usize,
}

impl Drop for Outstanding {
    fn drop(&mut self) {
        self.inner.targets[self.endpoint]
            .counters
            .outstanding
            .fetch_sub(1, Ordering::Relaxed);
    }
}

/// One try of a request on one endpoint: its bytes, and the connection they went out on
/// when [`Client::start`] could send them at once.
struct Attempt {
    busy: Outstanding,
    head: Vec<u8>,
    body: bytes::Bytes,
    /// A pooled connection and how many bytes of the request it took already.
    started: Option<(Conn, usize)>,
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
        let tls = if config.endpoints.iter().any(Endpoint::is_tls) {
            Some(Tls::new(&config.tls)?)
        } else {
            None
        };
        let extra_headers =
            crate::headers::extra_lines(config.api_key.as_deref(), &config.headers)?;
        let mut targets = Vec::with_capacity(config.endpoints.len());
        for endpoint in &config.endpoints {
            let model = std::sync::OnceLock::new();
            if let Some(name) = &config.model {
                let _ = model.set(name.clone());
            }
            let authority = endpoint.authority();
            let mut target = Target {
                request_url: endpoint.uri(path)?.to_string(),
                post_head: Box::default(),
                pool: Arc::new(Pool::new(
                    authority.host(),
                    endpoint.port(),
                    endpoint.is_tls().then(|| tls.clone()).flatten(),
                    config.concurrency,
                    config.connect_timeout,
                )),
                endpoint: endpoint.clone(),
                counters: Counters {
                    healthy: AtomicBool::new(true),
                    ..Counters::default()
                },
                model,
                extra_headers: extra_headers.clone().into_boxed_str(),
                kind: std::sync::OnceLock::new(),
                ids_field: std::sync::atomic::AtomicU8::new(0),
            };
            if config.backend == Backend::Sglang {
                target.set_ids_field(IdsField::None);
            }
            let mut head =
                target
                    .endpoint
                    .request_head("POST", path, Some(0), &target.extra_headers);
            // Cut after `Content-Length: `, before the `0` and the blank line.
            head.truncate(head.len() - "0\r\n\r\n".len());
            target.post_head = head.into_boxed_slice();
            targets.push(target);
        }
        let (cancel, _) = watch::channel(false);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                targets,
                next: AtomicUsize::new(0),
                cancel,
            }),
        })
    }

    /// Keeps a few idle connections open to every endpoint from now on, so requests do not
    /// wait for TCP handshakes (call it after the health check, before load). Spawns one task
    /// per endpoint on the current runtime; they end with the client or on
    /// [`Client::cancel_all`].
    pub fn keep_warm(&self) {
        for i in 0..self.inner.targets.len() {
            let inner = Arc::downgrade(&self.inner);
            let pool = self.inner.targets[i].pool.clone();
            let cancelled = self.inner.cancel.subscribe();
            // The task holds the pool, not the client, so that dropping the client stops it.
            tokio::spawn(async move {
                pool.keep_warm(|| *cancelled.borrow() || inner.strong_count() == 0)
                    .await;
            });
        }
    }

    /// Encodes `request`'s body for every endpoint now and keeps it with its prompt, so that
    /// sending it later encodes nothing.
    pub fn prepare(&self, request: &Request) {
        for target in &self.inner.targets {
            body_for(
                self.inner.config.backend,
                request,
                target.model.get().map(String::as_str),
                target.ids_field(),
            );
        }
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
    pub async fn send<H: ResponseHandler + 'static>(&self, request: Request, handler: H) {
        self.start(request, handler).await;
    }

    /// Like [`Client::send`], but the request leaves now, from the calling thread, when an
    /// idle connection is at hand and its socket takes the bytes: the time it leaves then
    /// does not wait for a runtime worker to poll the returned future, which reads the
    /// answer (and sends the request itself when it could not leave at once). Call it from
    /// LoadGen's issue thread and spawn the future.
    pub fn start<H: ResponseHandler + 'static>(
        &self,
        request: Request,
        mut handler: H,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        let client = self.clone();
        let mut cancel = self.inner.cancel.subscribe();
        let cancelled = *cancel.borrow_and_update();
        let total = self.inner.config.timeout;
        let deadlines = Deadlines {
            total: tokio::time::Instant::now() + total,
            total_len: total,
            idle: self.inner.config.idle_timeout,
        };
        let first = if cancelled {
            None
        } else {
            self.pick(None).map(|i| self.attempt(i, &request, true))
        };
        async move {
            if cancelled {
                handler.on_failure(Failure::new(
                    ErrorKind::Cancelled,
                    "cancelled before it was sent",
                ));
                return;
            }
            let mut first_sent = false;
            let mut endpoint = None;
            let outcome = tokio::select! {
                biased;
                _ = cancel.wait_for(|c| *c) => Err(Failure::new(ErrorKind::Cancelled, "cancelled while in flight")),
                r = client.run(&request, first, &mut handler, &deadlines, &mut endpoint, &mut first_sent) => r,
            };
            if let Err(mut failure) = outcome {
                failure.endpoint = endpoint;
                failure.after_first_token = first_sent;
                if let Some(i) = endpoint {
                    client.inner.targets[i]
                        .counters
                        .failed
                        .fetch_add(1, Ordering::Relaxed);
                }
                handler.on_failure(failure);
            }
        }
    }

    /// Marks endpoint `i` busy with `request` and, when `now`, sends it on an idle connection
    /// if one is at hand and its socket takes the bytes without waiting.
    fn attempt(&self, i: usize, request: &Request, now: bool) -> Attempt {
        let target = &self.inner.targets[i];
        target.counters.outstanding.fetch_add(1, Ordering::Relaxed);
        target.counters.sent.fetch_add(1, Ordering::Relaxed);
        let body = body_for(
            self.inner.config.backend,
            request,
            target.model.get().map(String::as_str),
            target.ids_field(),
        );
        let head = target.post_head(body.len());
        let mut started = None;
        if let Some(mut conn) = now.then(|| target.pool.take()).flatten() {
            // A socket that fails the write is dropped; the exchange then finds another.
            if let Ok(written) = conn.try_send(&head, &body) {
                started = Some((conn, written));
            }
        }
        Attempt {
            busy: Outstanding {
                inner: self.inner.clone(),
                endpoint: i,
            },
            head,
            body,
            started,
        }
    }

    /// Sends, retries once elsewhere when the connection failed before any answer, and reads
    /// the response. `Ok` means the handler already got its completion.
    async fn run<H: ResponseHandler>(
        &self,
        request: &Request,
        first: Option<Attempt>,
        handler: &mut H,
        deadlines: &Deadlines,
        endpoint: &mut Option<usize>,
        first_sent: &mut bool,
    ) -> Result<(), Failure> {
        let (i, head, conn, _busy) = self.connect(request, first, deadlines, endpoint).await?;
        let target = &self.inner.targets[i];
        let url = &target.request_url;
        let mut body = Body::new(conn, &head);
        if head.status != 200 {
            let text = error_body(&mut body, deadlines).await;
            let auth = if matches!(head.status, 401 | 403) {
                "authentication failed: "
            } else {
                ""
            };
            return Err(Failure::new(
                ErrorKind::HttpStatus,
                format!("{auth}HTTP {} from {url}: {text}", head.status),
            ));
        }
        let mut state = ResponseState::new(self.inner.config.backend, i);
        let mut counted = CountingHandler {
            inner: handler,
            first_sent,
            tokens: None,
        };
        let result = if head.event_stream {
            read_stream(&mut body, &mut state, &mut counted, deadlines).await
        } else {
            read_whole(&mut body, &mut state, &mut counted, deadlines).await
        };
        if let Some(tokens) = counted.tokens {
            let c = &target.counters;
            c.completed.fetch_add(1, Ordering::Relaxed);
            c.output_tokens.fetch_add(tokens, Ordering::Relaxed);
            drain(&mut body, Duration::from_secs(2).min(deadlines.total_len)).await;
            if let Some(conn) = body.into_reusable() {
                target.pool.put(conn);
            }
        }
        result.map_err(|mut f| {
            f.message = format!("{} ({url})", f.message);
            f
        })
    }

    /// Posts to the least busy endpoint (`first`), and once more to another one when the
    /// connection failed before any answer. Returns the endpoint, the answer's head, the
    /// connection carrying its body and the endpoint's busy mark.
    async fn connect(
        &self,
        request: &Request,
        first: Option<Attempt>,
        deadlines: &Deadlines,
        endpoint: &mut Option<usize>,
    ) -> Result<(usize, Head, Conn, Outstanding), Failure> {
        let mut attempt = first.ok_or_else(|| {
            Failure::new(ErrorKind::Connect, "no healthy endpoint left to send to")
        })?;
        let first_pick = attempt.busy.endpoint;
        loop {
            let tried = attempt.busy.endpoint;
            *endpoint = Some(tried);
            let target = &self.inner.targets[tried];
            let counters = &target.counters;
            let exchange =
                target
                    .pool
                    .exchange(&attempt.head, &attempt.body, attempt.started.take());
            match tokio::time::timeout_at(deadlines.total, exchange).await {
                Ok(Ok((head, conn))) => {
                    counters.failing_in_a_row.store(0, Ordering::Relaxed);
                    return Ok((tried, head, conn, attempt.busy));
                }
                Ok(Err(e)) => {
                    let (failure, retryable) = classify_exchange_error(e, &target.request_url);
                    // Retryable means a new connection got no answer at all.
                    if retryable {
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
                    attempt = self.attempt(other, request, false);
                }
                Err(_) => {
                    return Err(Failure::new(
                        ErrorKind::Timeout,
                        format!(
                            "no response from {} within the {:?} timeout",
                            target.request_url, deadlines.total_len
                        ),
                    ))
                }
            }
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
    fn on_tokens(&mut self, at: std::time::Instant, ids: &[u32]) {
        self.inner.on_tokens(at, ids);
    }
    fn on_complete(&mut self, completion: &crate::Completion<'_>) {
        self.tokens = Some(completion.completion_tokens);
        self.inner.on_complete(completion);
    }
    fn on_failure(&mut self, failure: Failure) {
        self.inner.on_failure(failure);
    }
}

/// Classifies an error from sending a request and says whether it may be retried elsewhere.
fn classify_exchange_error(e: ExchangeError, url: &str) -> (Failure, bool) {
    match e {
        ExchangeError::Connect(e) => (
            Failure::new(ErrorKind::Connect, format!("cannot connect to {url}: {e}")),
            true,
        ),
        ExchangeError::BeforeAnswer(e) => (
            Failure::new(
                ErrorKind::Io,
                format!(
                    "connection to {url} failed before an answer ({}): {e}",
                    e.kind()
                ),
            ),
            true,
        ),
        ExchangeError::InHead(e) => (
            Failure::new(
                ErrorKind::Io,
                format!("connection to {url} failed inside the answer's head: {e}"),
            ),
            false,
        ),
        ExchangeError::Protocol(why) => (
            Failure::new(
                ErrorKind::Protocol,
                format!("bad response from {url}: {why}"),
            ),
            false,
        ),
    }
}

/// Reads up to 1 KiB of an error body for the message.
pub(crate) async fn error_body(body: &mut Body, deadlines: &Deadlines) -> String {
    let mut buf = Vec::new();
    let until = deadlines
        .total
        .min(tokio::time::Instant::now() + Duration::from_secs(5));
    while buf.len() < 1024 {
        match tokio::time::timeout_at(until, body.frame()).await {
            Ok(Ok(Some((data, _)))) => buf.extend_from_slice(&data),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Completion, Prompt, SamplingParams};

    struct Ignore;

    impl ResponseHandler for Ignore {
        fn on_first_token(&mut self, _: std::time::Instant, _: &[u32], _: u64) {}
        fn on_complete(&mut self, _: &Completion<'_>) {}
        fn on_failure(&mut self, _: Failure) {}
    }

    /// Every request in flight is one such future, so its size is memory per stream
    /// (docs/PERFORMANCE.md, "Peak RSS at 5,000 streams, again": a TLS handshake inline in it
    /// once took it from about 2.9 to 6.3 KB in release, for http too).
    #[test]
    fn a_request_future_carries_no_tls_handshake() {
        let endpoint = Endpoint::parse("http://127.0.0.1:9").unwrap();
        let client = Client::new(ClientConfig::new(Backend::Sglang, vec![endpoint])).unwrap();
        let request = Request {
            prompt: Prompt::from(vec![1u32; 8]),
            params: SamplingParams::default(),
            stream: true,
        };
        let send = client.send(request, Ignore);
        let size = std::mem::size_of_val(&send);
        assert!(size <= 4096, "the request future is {size} bytes");
    }
}
