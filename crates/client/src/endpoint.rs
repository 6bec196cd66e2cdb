//! Server URLs, parsed once at start so the hot path only clones ready-made URIs. `http://`
//! and `https://` (hosted or key-protected servers behind a TLS proxy) are spoken.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use http::Uri;

use crate::ClientError;

/// Which wire protocol a server speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// SGLang's native `POST /generate` with `input_ids`.
    Sglang,
    /// OpenAI-compatible `POST /v1/completions` with a token-id prompt (vLLM, trtllm-serve,
    /// SGLang's OpenAI server).
    Openai,
}

impl Backend {
    /// The name used in messages: `an SGLang server`, `an OpenAI-compatible server`.
    pub fn server_name(self) -> &'static str {
        match self {
            Backend::Sglang => "an SGLang server",
            Backend::Openai => "an OpenAI-compatible server",
        }
    }
}

/// One server's base URL, e.g. `http://localhost:30000`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    url: String,
    tls: bool,
    authority: http::uri::Authority,
    prefix: String,
}

impl Endpoint {
    /// Parses a base URL. A missing scheme means `http://`; another scheme than `http` or
    /// `https`, a query or a fragment is an error. A trailing `/` and, for OpenAI servers, a trailing `/v1` are
    /// ignored, so `http://h:8000/v1` and `http://h:8000` are the same endpoint.
    pub fn parse(url: &str) -> Result<Endpoint, ClientError> {
        let bad = |reason: &str| ClientError::BadUrl {
            url: url.to_owned(),
            reason: reason.to_owned(),
        };
        let trimmed = url.trim();
        if trimmed.is_empty() {
            return Err(bad("expected a URL like `http://localhost:30000`"));
        }
        let with_scheme = if trimmed.contains("://") {
            trimmed.to_owned()
        } else {
            format!("http://{trimmed}")
        };
        let uri = Uri::from_str(&with_scheme).map_err(|e| {
            bad(&format!(
                "{e}; expected a URL like `http://localhost:30000`"
            ))
        })?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            Some(other) => {
                return Err(bad(&format!(
                    "scheme `{other}` is not supported, use `http://` or `https://`"
                )))
            }
            None => return Err(bad("expected a URL like `http://localhost:30000`")),
        };
        let authority = uri
            .authority()
            .cloned()
            .ok_or_else(|| bad("expected a host, as in `http://localhost:30000`"))?;
        if uri.query().is_some() || with_scheme.contains('#') {
            return Err(bad("expected a base URL without `?query` or `#fragment`"));
        }
        let mut prefix = uri.path().trim_end_matches('/').to_owned();
        if let Some(stripped) = prefix.strip_suffix("/v1") {
            prefix = stripped.to_owned();
        }
        let scheme = if tls { "https" } else { "http" };
        Ok(Endpoint {
            url: format!("{scheme}://{authority}{prefix}"),
            tls,
            authority,
            prefix,
        })
    }

    /// The normalized base URL, e.g. `http://localhost:30000`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The `host:port` part.
    pub(crate) fn authority(&self) -> &http::uri::Authority {
        &self.authority
    }

    /// Whether it is spoken over TLS (`https://`).
    pub fn is_tls(&self) -> bool {
        self.tls
    }

    /// The port, or the scheme's own (80, 443).
    pub(crate) fn port(&self) -> u16 {
        self.authority
            .port_u16()
            .unwrap_or(if self.tls { 443 } else { 80 })
    }

    /// The path of `path` (which starts with `/`) on this server, after its base path.
    pub(crate) fn path(&self, path: &str) -> String {
        format!("{}{path}", self.prefix)
    }

    /// The head of a request to this server: `method` and `path` (after the base path), and a
    /// JSON body of `body_len` bytes when there is one, with the `extra` header lines. Every
    /// request the workspace sends
    /// (generation, health check, `serve`'s probe, the metrics scrape) starts here.
    pub(crate) fn request_head(
        &self,
        method: &str,
        path: &str,
        body_len: Option<usize>,
        extra: &str,
    ) -> Vec<u8> {
        let mut head = format!(
            "{method} {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: ossperf/{}\r\n",
            self.path(path),
            self.authority(),
            env!("CARGO_PKG_VERSION")
        );
        // `Authorization` and `--header` lines (headers.rs).
        head.push_str(extra);
        if let Some(len) = body_len {
            head.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {len}\r\n"
            ));
        }
        head.push_str("\r\n");
        head.into_bytes()
    }

    /// The full URI of `path` (which starts with `/`) on this server.
    pub fn uri(&self, path: &str) -> Result<Uri, ClientError> {
        Uri::builder()
            .scheme(if self.tls { "https" } else { "http" })
            .authority(self.authority.clone())
            .path_and_query(format!("{}{path}", self.prefix))
            .build()
            .map_err(|e| ClientError::BadUrl {
                url: format!("{}{path}", self.url),
                reason: e.to_string(),
            })
    }
}

/// Reads an `--endpoints-file`: one server URL per line; blank lines and text after `#`
/// are ignored. Errors name the file and line.
pub fn read_endpoints_file(path: &Path) -> Result<Vec<Endpoint>, ClientError> {
    let text = std::fs::read_to_string(path).map_err(|source| ClientError::EndpointsFileRead {
        path: path.to_owned(),
        source,
    })?;
    parse_endpoints(path, &text)
}

/// Parses the text of an endpoints file (see [`read_endpoints_file`]).
pub fn parse_endpoints(path: &Path, text: &str) -> Result<Vec<Endpoint>, ClientError> {
    let mut endpoints = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let url = line.split('#').next().unwrap_or("").trim();
        if url.is_empty() {
            continue;
        }
        let endpoint = Endpoint::parse(url).map_err(|e| ClientError::EndpointsFile {
            path: path.to_owned(),
            line: n + 1,
            reason: match e {
                ClientError::BadUrl { url, reason } => format!("`{url}`: {reason}"),
                other => other.to_string(),
            },
        })?;
        endpoints.push(endpoint);
    }
    if endpoints.is_empty() {
        return Err(ClientError::EndpointsFile {
            path: path.to_owned(),
            line: 0,
            reason: "no server URL, expected one `http://host:port` per line".to_owned(),
        });
    }
    Ok(endpoints)
}

impl FromStr for Endpoint {
    type Err = ClientError;
    fn from_str(s: &str) -> Result<Endpoint, ClientError> {
        Endpoint::parse(s)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_host_and_port_means_plain_http() {
        let ep = Endpoint::parse("localhost:30000").unwrap();
        assert_eq!(ep.url(), "http://localhost:30000");
        assert_eq!(
            ep.uri("/generate").unwrap().to_string(),
            "http://localhost:30000/generate"
        );
    }

    #[test]
    fn a_trailing_slash_and_v1_are_dropped_and_a_path_prefix_is_kept() {
        let ep = Endpoint::parse("http://10.0.0.2:8000/v1/").unwrap();
        assert_eq!(ep.url(), "http://10.0.0.2:8000");
        let ep = Endpoint::parse("http://gw:80/replica3/").unwrap();
        assert_eq!(
            ep.uri("/v1/completions").unwrap().to_string(),
            "http://gw:80/replica3/v1/completions"
        );
    }

    #[test]
    fn an_https_url_is_spoken_over_tls_on_port_443_by_default() {
        let ep = Endpoint::parse("https://example.com/v1").unwrap();
        assert_eq!(
            (ep.url(), ep.is_tls(), ep.port()),
            ("https://example.com", true, 443)
        );
        assert_eq!(
            ep.uri("/v1/models").unwrap().to_string(),
            "https://example.com/v1/models"
        );
        let ep = Endpoint::parse("example.com").unwrap();
        assert_eq!((ep.is_tls(), ep.port()), (false, 80));
        let err = Endpoint::parse("ftp://example.com").unwrap_err();
        assert_eq!(
            err.to_string(),
            "server URL `ftp://example.com`: scheme `ftp` is not supported, use `http://` or \
             `https://`"
        );
    }

    #[test]
    fn an_endpoints_file_skips_blanks_and_comments_and_names_a_bad_line() {
        let path = Path::new("eps.txt");
        let eps = parse_endpoints(path, "# replicas\nhttp://a:1\n\n  b:2  # second\n").unwrap();
        let urls: Vec<&str> = eps.iter().map(Endpoint::url).collect();
        assert_eq!(urls, ["http://a:1", "http://b:2"]);
        let err = parse_endpoints(path, "http://a:1\nws://c:3\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "eps.txt:2: `ws://c:3`: scheme `ws` is not supported, use `http://` or `https://`"
        );
        let err = parse_endpoints(path, "# nothing\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "eps.txt: no server URL, expected one `http://host:port` per line"
        );
    }

    #[test]
    fn a_query_string_or_an_empty_url_is_refused() {
        let err = Endpoint::parse("http://h:1/?x=1").unwrap_err();
        assert_eq!(
            err.to_string(),
            "server URL `http://h:1/?x=1`: expected a base URL without `?query` or `#fragment`"
        );
        let err = Endpoint::parse(" ").unwrap_err();
        assert_eq!(
            err.to_string(),
            "server URL ` `: expected a URL like `http://localhost:30000`"
        );
    }
}
