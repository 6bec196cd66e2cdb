//! Learning each server before the run, as the reference's client does with its start-up
//! `/generate`: one real generation per endpoint, with the run's sampling settings and
//! streaming, finds whether the server accepts the request, whether token ids come back and
//! whether it counts tokens. The token-id field is chosen per server kind (`owned_by` of
//! `/v1/models`): `return_token_ids` for vLLM and SGLang, `detokenize: false` for
//! trtllm-serve (whose requests forbid unknown fields), and for an unknown server
//! `return_token_ids` first, nothing when that is refused. docs/SERVERS.md has the sources.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::client::{error_body, Target};
use crate::h1::Body;
use crate::request::{body_for, IdsField};
use crate::response::{read_stream, read_whole, Deadlines, ResponseState};
use crate::{
    Backend, Client, ClientError, Completion, Failure, Prompt, Request, ResponseHandler,
    SamplingParams,
};

/// The longest answer the start-up generation asks for.
const PROBE_TOKENS: u32 = 5;

/// How long the start-up generation may take.
const PROBE_TIMEOUT: Duration = Duration::from_secs(60);

/// How many times a start-up generation answered with a 5xx is sent (a server that fails a
/// share of its requests should not stop the run at the start), and the pause between.
const PROBE_TRIES: usize = 3;
const PROBE_PAUSE: Duration = Duration::from_millis(250);

/// What kind of server an endpoint is, from `/v1/models` `owned_by` (or SGLang's
/// `/model_info`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServerKind {
    /// SGLang (native or its OpenAI server), `owned_by: "sglang"`.
    Sglang,
    /// vLLM, `owned_by: "vllm"`.
    Vllm,
    /// trtllm-serve, `owned_by: "tensorrt_llm"`.
    Trtllm,
    /// Any other OpenAI-compatible server.
    Other,
}

impl ServerKind {
    /// The kind an `owned_by` names.
    pub fn from_owned_by(owned_by: Option<&str>) -> ServerKind {
        match owned_by.map(str::to_ascii_lowercase).as_deref() {
            Some("sglang") => ServerKind::Sglang,
            Some("vllm") => ServerKind::Vllm,
            Some("tensorrt_llm" | "tensorrt-llm" | "trtllm") => ServerKind::Trtllm,
            _ => ServerKind::Other,
        }
    }

    /// A stable name for reports and JSON: `sglang`, `vllm`, `trtllm`, `other`.
    pub fn as_str(self) -> &'static str {
        match self {
            ServerKind::Sglang => "sglang",
            ServerKind::Vllm => "vllm",
            ServerKind::Trtllm => "trtllm",
            ServerKind::Other => "other",
        }
    }

    /// The token-id fields to try, in order.
    fn ids_fields(self, backend: Backend) -> &'static [IdsField] {
        match (backend, self) {
            (Backend::Sglang, _) => &[IdsField::None],
            (_, ServerKind::Trtllm) => &[IdsField::NoDetokenize],
            (_, ServerKind::Vllm | ServerKind::Sglang) => &[IdsField::ReturnTokenIds],
            (_, ServerKind::Other) => &[IdsField::ReturnTokenIds, IdsField::None],
        }
    }
}

/// What the start-up generation found about one endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerProfile {
    /// The endpoint's index in the configured list.
    pub endpoint: usize,
    /// The server kind.
    pub kind: ServerKind,
    /// The token-id field the run sends.
    pub ids_field: IdsField,
    /// Whether the answer carried the generated token ids.
    pub ids: bool,
    /// Whether the server counted the generated tokens (`completion_tokens`, `usage`).
    pub usage: bool,
    /// Whether the answer carried text.
    pub text: bool,
}

impl ServerProfile {
    /// One line for the log, e.g. `vllm, sends `return_token_ids: true`, answers with token
    /// ids and usage`.
    pub fn describe(&self) -> String {
        let mut answers = Vec::new();
        if self.ids {
            answers.push("token ids");
        } else if self.text {
            answers.push("text only");
        }
        if self.usage {
            answers.push("a token count");
        } else {
            answers.push("no token count");
        }
        format!(
            "{}, sends {}, answers with {}",
            self.kind.as_str(),
            self.ids_field.as_str(),
            answers.join(" and ")
        )
    }
}

/// What one probe answer held.
#[derive(Default)]
struct Probe {
    first: bool,
    ids: bool,
    text: bool,
    usage: bool,
    failure: Option<Failure>,
}

impl ResponseHandler for Probe {
    fn on_first_token(&mut self, _: Instant, _: &[u32], _: u64) {
        self.first = true;
    }
    fn on_complete(&mut self, c: &Completion<'_>) {
        self.ids = !c.output_ids.is_empty();
        self.text = !c.text.is_empty();
        self.usage = c.counted_by_server;
    }
    fn on_failure(&mut self, failure: Failure) {
        self.failure = Some(failure);
    }
}

/// Why one probe did not answer.
enum ProbeError {
    /// A non-200 status and its body.
    Status(u16, String),
    /// Anything else, as a start-up error.
    Other(ClientError),
}

impl Client {
    /// Sends one short generation (at most five tokens, otherwise the run's
    /// `params` and `stream`) to every endpoint still in rotation and fixes the request fields
    /// each gets. Call it after [`Client::health_check`]. An endpoint that refuses is taken
    /// out of rotation like an unhealthy one; it is an error when none is left, or when any
    /// answers with neither token ids nor text.
    pub async fn negotiate(
        &self,
        params: SamplingParams,
        stream: bool,
    ) -> Result<Vec<ServerProfile>, ClientError> {
        let mut tasks = Vec::new();
        for i in 0..self.inner.targets.len() {
            if !self.inner.targets[i]
                .counters
                .healthy
                .load(Ordering::Relaxed)
            {
                continue;
            }
            let client = self.clone();
            tasks.push((
                i,
                tokio::spawn(async move { client.negotiate_one(i, params, stream).await }),
            ));
        }
        let mut profiles = Vec::new();
        let mut errors = Vec::new();
        for (i, task) in tasks {
            let target = &self.inner.targets[i];
            let result = task.await.unwrap_or_else(|e| {
                Err(ClientError::Refused {
                    url: target.endpoint.url().to_owned(),
                    found: format!("the start-up generation task failed: {e}"),
                })
            });
            match result {
                Ok(profile) => profiles.push(profile),
                Err(e @ ClientError::NoOutput { .. }) => return Err(e),
                Err(e) => {
                    target.counters.healthy.store(false, Ordering::Relaxed);
                    errors.push(e);
                }
            }
        }
        if !profiles.is_empty() {
            return Ok(profiles);
        }
        if errors.len() == 1 {
            if let Some(only) = errors.pop() {
                return Err(only);
            }
        }
        Err(ClientError::NoHealthyEndpoint(errors))
    }

    async fn negotiate_one(
        &self,
        i: usize,
        params: SamplingParams,
        stream: bool,
    ) -> Result<ServerProfile, ClientError> {
        let target = &self.inner.targets[i];
        let backend = self.inner.config.backend;
        let url = target.endpoint.url().to_owned();
        let kind = target.kind.get().copied().unwrap_or(match backend {
            Backend::Sglang => ServerKind::Sglang,
            Backend::Openai => ServerKind::Other,
        });
        let request = Request {
            // The reference's start-up prompt.
            prompt: Prompt::from(vec![1, 2, 3]),
            params: SamplingParams {
                max_new_tokens: params.max_new_tokens.min(PROBE_TOKENS),
                ..params
            },
            stream,
        };
        let fields = kind.ids_fields(backend);
        let mut refused = Vec::new();
        for (n, &field) in fields.iter().enumerate() {
            target.set_ids_field(field);
            let mut answer = self.probe(target, i, &request).await;
            for _ in 1..PROBE_TRIES {
                if !matches!(answer, Err(ProbeError::Status(500..=599, _))) {
                    break;
                }
                tokio::time::sleep(PROBE_PAUSE).await;
                answer = self.probe(target, i, &request).await;
            }
            let probe = match answer {
                Ok(probe) => probe,
                Err(ProbeError::Status(status @ (401 | 403), body)) => {
                    return Err(ClientError::Auth {
                        url,
                        found: format!("the start-up generation answered HTTP {status}: {body}"),
                    })
                }
                Err(ProbeError::Status(status @ 500..=599, body)) => {
                    return Err(ClientError::NotReady {
                        url,
                        found: format!("the start-up generation answered HTTP {status}: {body}"),
                    })
                }
                // A server that refuses the field may take the request without it.
                Err(ProbeError::Status(status @ (400 | 422), body)) if n + 1 < fields.len() => {
                    refused.push(format!("with {}: HTTP {status}: {body}", field.as_str()));
                    continue;
                }
                Err(ProbeError::Status(status, body)) => {
                    refused.push(format!("with {}: HTTP {status}: {body}", field.as_str()));
                    return Err(ClientError::Refused {
                        url,
                        found: refused.join("; "),
                    });
                }
                Err(ProbeError::Other(e)) => return Err(e),
            };
            if let Some(failure) = probe.failure {
                return Err(ClientError::Refused {
                    url,
                    found: format!("{} ({})", failure.message, failure.kind.as_str()),
                });
            }
            if !probe.ids && !probe.text {
                return Err(ClientError::NoOutput {
                    url,
                    hint: no_output_hint(backend, kind),
                });
            }
            return Ok(ServerProfile {
                endpoint: i,
                kind,
                ids_field: field,
                ids: probe.ids,
                usage: probe.usage,
                text: probe.text,
            });
        }
        Err(ClientError::Refused {
            url,
            found: refused.join("; "),
        })
    }

    /// One start-up generation on endpoint `i`, bypassing balancing and retries.
    async fn probe(
        &self,
        target: &Target,
        i: usize,
        request: &Request,
    ) -> Result<Probe, ProbeError> {
        let backend = self.inner.config.backend;
        let url = target.endpoint.url().to_owned();
        let body = body_for(
            backend,
            request,
            target.model.get().map(String::as_str),
            target.ids_field(),
        );
        let head = target.post_head(body.len());
        let deadlines = Deadlines {
            total: tokio::time::Instant::now() + PROBE_TIMEOUT,
            total_len: PROBE_TIMEOUT,
            idle: None,
        };
        let exchange =
            tokio::time::timeout_at(deadlines.total, target.pool.exchange(&head, &body, None));
        let (head, conn) = match exchange.await {
            Ok(Ok(answer)) => answer,
            Ok(Err(e)) => {
                return Err(ProbeError::Other(ClientError::Unreachable {
                    url,
                    reason: format!("the start-up generation failed: {e:?}"),
                }))
            }
            Err(_) => {
                return Err(ProbeError::Other(ClientError::Refused {
                    url,
                    found: format!("no answer to the start-up generation within {PROBE_TIMEOUT:?}"),
                }))
            }
        };
        let mut reader = Body::new(conn, &head);
        if head.status != 200 {
            let text = error_body(&mut reader, &deadlines).await;
            return Err(ProbeError::Status(head.status, text));
        }
        let mut state = ResponseState::new(backend, i);
        let mut probe = Probe::default();
        let result = if head.event_stream {
            read_stream(&mut reader, &mut state, &mut probe, &deadlines).await
        } else {
            read_whole(&mut reader, &mut state, &mut probe, &deadlines).await
        };
        if let Err(failure) = result {
            probe.failure = Some(failure);
        } else if let Some(conn) = reader.into_reusable() {
            target.pool.put(conn);
        }
        Ok(probe)
    }
}

/// What to change so a server sends ids or text.
fn no_output_hint(backend: Backend, kind: ServerKind) -> String {
    match (backend, kind) {
        (Backend::Sglang, _) => {
            "SGLang's `/generate` always sends `output_ids`: is this SGLang?".to_owned()
        }
        (_, ServerKind::Trtllm) => {
            "trtllm-serve was asked for ids with `detokenize: false` and sent none".to_owned()
        }
        _ => "the server must return `choices[].token_ids` (vLLM ≥ 0.10.2) or `choices[].text`"
            .to_owned(),
    }
}
