//! Two kinds of trouble, kept apart on purpose: a [`ClientError`] is a configuration or
//! start-up problem (a bad URL, an endpoint that is not an inference server) and stops the run
//! before any load is sent; a [`Failure`] is one request that went wrong, which is data: it is
//! counted by its bounded [`ErrorKind`] and the run goes on.

use std::fmt;

/// A configuration or start-up error: the run cannot begin.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// A `--server-url` that does not parse as an absolute URL.
    #[error("server URL `{url}`: {reason}")]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What was wrong and what was expected.
        reason: String,
    },
    /// An `--endpoints-file` could not be read.
    #[error("cannot read endpoints file `{path}`: {source}")]
    EndpointsFileRead {
        /// The file.
        path: std::path::PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A line of an `--endpoints-file` is not a server URL.
    #[error("{}: {reason}", location(.path, *.line))]
    EndpointsFile {
        /// The file.
        path: std::path::PathBuf,
        /// The 1-based line number (0 for the file as a whole).
        line: usize,
        /// What was wrong and what was expected.
        reason: String,
    },
    /// No endpoints were given.
    #[error("no server URL given: expected at least one `--server-url`")]
    NoEndpoints,
    /// An endpoint did not answer its health check.
    #[error("{url} is unreachable: {reason}")]
    Unreachable {
        /// The URL that was checked.
        url: String,
        /// The transport error or status.
        reason: String,
    },
    /// An endpoint answered that it is not ready yet (HTTP 5xx), e.g. still loading weights.
    #[error("{url} is not ready: {found}")]
    NotReady {
        /// The URL that was checked.
        url: String,
        /// What it answered.
        found: String,
    },
    /// An endpoint answered, but not as the chosen backend's server would.
    #[error("{url} does not look like {expected}: {found}")]
    NotAServer {
        /// The URL that was checked.
        url: String,
        /// The server kind that was expected, e.g. `an SGLang server`.
        expected: &'static str,
        /// What came back instead.
        found: String,
    },
    /// An endpoint refused the credentials (HTTP 401 or 403).
    #[error("{url} refused the credentials: {found}; check `--api-key` (or `OPENAI_API_KEY`) and `--header`")]
    Auth {
        /// The URL that was checked.
        url: String,
        /// What it answered.
        found: String,
    },
    /// The start-up generation failed: the server would refuse the run's requests.
    #[error("{url} refused the start-up generation: {found}")]
    Refused {
        /// The URL that was checked.
        url: String,
        /// What it answered.
        found: String,
    },
    /// The start-up generation came back with neither token ids nor text.
    #[error("{url} answered the start-up generation with neither token ids nor text, so no output could be recorded; {hint}")]
    NoOutput {
        /// The URL that was checked.
        url: String,
        /// What the server kind needs.
        hint: String,
    },
    /// The TLS settings could not be built (`--ca-cert`).
    #[error("{0}")]
    Tls(String),
    /// A `--header` that is not `NAME:VALUE`.
    #[error("`--header {header}`: {reason}")]
    BadHeader {
        /// The header as given.
        header: String,
        /// What was wrong and what was expected.
        reason: String,
    },
    /// Every endpoint failed its health check.
    #[error("no healthy endpoint: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    NoHealthyEndpoint(Vec<ClientError>),
}

impl ClientError {
    /// Whether waiting may cure it: the server is down or still starting.
    pub fn is_transient(&self) -> bool {
        match self {
            ClientError::Unreachable { .. } | ClientError::NotReady { .. } => true,
            ClientError::NoHealthyEndpoint(all) => all.iter().all(ClientError::is_transient),
            _ => false,
        }
    }
}

/// `file:line`, or just `file` for line 0.
fn location(path: &std::path::Path, line: usize) -> String {
    match line {
        0 => path.display().to_string(),
        n => format!("{}:{n}", path.display()),
    }
}

/// Why one request failed. Bounded, so failures can be counted by kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The TCP connection could not be made (refused, unreachable, connect timeout).
    Connect,
    /// The server answered with a non-success HTTP status.
    HttpStatus,
    /// The request took longer than the per-request timeout, or the stream stalled.
    Timeout,
    /// The connection was reset or closed, or another I/O error, after it was made.
    Io,
    /// The body could not be understood: bad SSE framing, bad JSON, no finish.
    MalformedStream,
    /// The HTTP exchange itself was broken (a bad response head, a bad chunk size).
    Protocol,
    /// The server reported an error or aborted the request inside a well-formed answer.
    ServerError,
    /// The request was cancelled (Ctrl-C) before it finished.
    Cancelled,
    /// The harness could not build the request (e.g. no prompt for a sample index).
    Internal,
}

impl ErrorKind {
    /// Every kind, in a fixed order (for counters and reports).
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::Connect,
        ErrorKind::HttpStatus,
        ErrorKind::Timeout,
        ErrorKind::Io,
        ErrorKind::MalformedStream,
        ErrorKind::Protocol,
        ErrorKind::ServerError,
        ErrorKind::Cancelled,
        ErrorKind::Internal,
    ];

    /// A short stable name, e.g. `timeout`, for reports and JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Connect => "connect",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Io => "io",
            ErrorKind::MalformedStream => "malformed_stream",
            ErrorKind::Protocol => "protocol",
            ErrorKind::ServerError => "server_error",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal",
        }
    }

    /// The position of this kind in [`ErrorKind::ALL`].
    pub fn index(self) -> usize {
        match self {
            ErrorKind::Connect => 0,
            ErrorKind::HttpStatus => 1,
            ErrorKind::Timeout => 2,
            ErrorKind::Io => 3,
            ErrorKind::MalformedStream => 4,
            ErrorKind::Protocol => 5,
            ErrorKind::ServerError => 6,
            ErrorKind::Cancelled => 7,
            ErrorKind::Internal => 8,
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One failed request: its kind, a message for people, and where it happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The bounded reason.
    pub kind: ErrorKind,
    /// What happened, naming the URL and the value that was wrong.
    pub message: String,
    /// The endpoint (index into the configured list) the request was last sent to, if any.
    pub endpoint: Option<usize>,
    /// Whether the first token had already been reported when it failed.
    pub after_first_token: bool,
}

impl Failure {
    /// A failure of `kind` with `message`, not tied to an endpoint.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Failure {
        Failure {
            kind,
            message: message.into(),
            endpoint: None,
            after_first_token: false,
        }
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}
