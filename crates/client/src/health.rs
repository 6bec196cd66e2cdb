//! The start-up check of every endpoint, so a wrong URL is one clear line before any load is
//! sent rather than thousands of failed requests. `GET /health` must answer 200; then SGLang
//! must answer `GET /model_info` (or, before SGLang deprecated it for that, `GET
//! /get_model_info`) with a `model_path`, and an OpenAI server `GET /v1/models` with a model
//! list (whose first id becomes the request's `model` unless one was configured, and whose
//! `owned_by` names the server kind). 401 and 403 are authentication failures. An endpoint that fails is taken out of rotation with a warning; the check
//! fails only when none is left.

use std::sync::atomic::Ordering;
use std::time::Duration;

use serde::Deserialize;

use crate::client::Target;
use crate::get::get_on;
use crate::{Backend, Client, ClientError};

/// An endpoint taken out of rotation by the health check.
#[derive(Debug)]
pub struct HealthWarning {
    /// The endpoint's index in the configured list.
    pub endpoint: usize,
    /// Why it was taken out.
    pub error: ClientError,
}

/// The largest health or model-information answer read.
const MAX_INFO_BYTES: usize = 16 << 20;

/// How often [`Client::wait_until_healthy`] checks again.
const RECHECK_EVERY: Duration = Duration::from_millis(250);

#[derive(Deserialize)]
struct ModelInfo {
    model_path: Option<String>,
}

#[derive(Deserialize)]
struct ModelList {
    data: Vec<ModelEntry>,
}

#[derive(Deserialize)]
struct ModelEntry {
    id: String,
    #[serde(default)]
    owned_by: Option<String>,
}

impl Client {
    /// Checks every endpoint concurrently. Unhealthy ones are taken out of rotation and
    /// returned as warnings; it is an error when none is healthy (with one endpoint, that
    /// endpoint's own error).
    pub async fn health_check(&self) -> Result<Vec<HealthWarning>, ClientError> {
        let mut tasks = Vec::new();
        for i in 0..self.inner.targets.len() {
            let client = self.clone();
            tasks.push(tokio::spawn(async move { client.check_one(i).await }));
        }
        let mut warnings = Vec::new();
        for (i, task) in tasks.into_iter().enumerate() {
            let target = &self.inner.targets[i];
            let result = task.await.unwrap_or_else(|e| {
                Err(ClientError::Unreachable {
                    url: target.endpoint.url().to_owned(),
                    reason: format!("health check task failed: {e}"),
                })
            });
            target
                .counters
                .healthy
                .store(result.is_ok(), Ordering::Relaxed);
            if let Err(error) = result {
                warnings.push(HealthWarning { endpoint: i, error });
            }
        }
        if warnings.len() < self.inner.targets.len() {
            return Ok(warnings);
        }
        let mut errors: Vec<ClientError> = warnings.into_iter().map(|w| w.error).collect();
        if errors.len() == 1 {
            if let Some(only) = errors.pop() {
                return Err(only);
            }
        }
        Err(ClientError::NoHealthyEndpoint(errors))
    }

    /// Runs [`Client::health_check`] until every endpoint passes or `within` has passed,
    /// waiting while the failures are transient (unreachable, not ready). Used right after a
    /// server was launched.
    pub async fn wait_until_healthy(
        &self,
        within: Duration,
    ) -> Result<Vec<HealthWarning>, ClientError> {
        let until = tokio::time::Instant::now() + within;
        loop {
            let result = self.health_check().await;
            let again = match &result {
                Ok(warnings) => warnings.iter().any(|w| w.error.is_transient()),
                Err(e) => e.is_transient(),
            };
            if !again || tokio::time::Instant::now() + RECHECK_EVERY > until {
                return result;
            }
            tokio::time::sleep(RECHECK_EVERY).await;
        }
    }

    async fn check_one(&self, i: usize) -> Result<(), ClientError> {
        let target = &self.inner.targets[i];
        let backend = self.inner.config.backend;
        let health = self.get(target, "/health").await?;
        let auth = |path: &str, status: u16| ClientError::Auth {
            url: target.endpoint.url().to_owned(),
            found: format!("`GET {path}` answered HTTP {status}"),
        };
        if matches!(health.0, 401 | 403) {
            return Err(auth("/health", health.0));
        }
        if (500..600).contains(&health.0) {
            return Err(ClientError::NotReady {
                url: target.endpoint.url().to_owned(),
                found: format!("`GET /health` answered HTTP {}", health.0),
            });
        }
        if health.0 != 200 {
            return Err(ClientError::NotAServer {
                url: target.endpoint.url().to_owned(),
                expected: backend.server_name(),
                found: format!("`GET /health` answered HTTP {}", health.0),
            });
        }
        let mut path = match backend {
            Backend::Sglang => "/model_info",
            Backend::Openai => "/v1/models",
        };
        let (mut status, mut body) = self.get(target, path).await?;
        if backend == Backend::Sglang && status == 404 {
            // SGLang before `/model_info` (v0.5.x, the MLPerf-pinned image).
            path = "/get_model_info";
            (status, body) = self.get(target, path).await?;
        }
        if matches!(status, 401 | 403) {
            return Err(auth(path, status));
        }
        let not_a_server = |found: String| ClientError::NotAServer {
            url: target.endpoint.url().to_owned(),
            expected: backend.server_name(),
            found,
        };
        if status != 200 {
            return Err(not_a_server(format!("`GET {path}` answered HTTP {status}")));
        }
        let shown = || String::from_utf8_lossy(&body[..body.len().min(80)]).into_owned();
        match backend {
            Backend::Sglang => match serde_json::from_slice::<ModelInfo>(&body) {
                Ok(ModelInfo {
                    model_path: Some(_),
                }) => {
                    let _ = target.kind.set(crate::ServerKind::Sglang);
                    Ok(())
                }
                _ => Err(not_a_server(format!(
                    "`GET {path}` answered `{}`, expected JSON with `model_path`",
                    shown()
                ))),
            },
            Backend::Openai => match serde_json::from_slice::<ModelList>(&body) {
                Ok(list) if !list.data.is_empty() => {
                    if let Some(first) = list.data.into_iter().next() {
                        let kind = crate::ServerKind::from_owned_by(first.owned_by.as_deref());
                        let _ = target.kind.set(kind);
                        let _ = target.model.set(first.id);
                    }
                    Ok(())
                }
                _ => Err(not_a_server(format!(
                    "`GET {path}` answered `{}`, expected JSON with a non-empty `data` list",
                    shown()
                ))),
            },
        }
    }

    /// `GET path` on endpoint `endpoint` (an index into the configured list), with the
    /// client's TLS settings, key and headers, within `limit`: the status and the body. For
    /// side channels such as the metrics scrape; give them a client of their own so their
    /// connections stay out of the benchmark's pool.
    pub async fn fetch(
        &self,
        endpoint: usize,
        path: &str,
        limit: Duration,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        let target = self
            .inner
            .targets
            .get(endpoint)
            .ok_or(ClientError::NoEndpoints)?;
        get_target(target, path, limit).await
    }

    /// A GET on the endpoint's pool with the health check's deadline; transport errors
    /// become [`ClientError::Unreachable`].
    pub(crate) async fn get(
        &self,
        target: &Target,
        path: &str,
    ) -> Result<(u16, Vec<u8>), ClientError> {
        // SGLang's `/health` runs a one-token generation and answers within its
        // `SGLANG_HEALTH_CHECK_TIMEOUT` (20 s): wait that long, and a little more.
        let limit = self.inner.config.connect_timeout + Duration::from_secs(25);
        get_target(target, path, limit).await
    }
}

/// `GET path` on a target's pool with its headers: the status and the body.
async fn get_target(
    target: &Target,
    path: &str,
    limit: Duration,
) -> Result<(u16, Vec<u8>), ClientError> {
    let answer = get_on(
        &target.pool,
        &target.endpoint,
        path,
        limit,
        MAX_INFO_BYTES,
        &target.extra_headers,
    )
    .await?;
    Ok((answer.status, answer.body))
}
