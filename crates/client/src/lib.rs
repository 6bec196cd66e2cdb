//! Inference-server clients: SGLang's native `/generate` and OpenAI `/v1/completions`, with
//! SSE parsing, connection pools, several endpoints, timeouts and health checks.
//! Must not know about LoadGen internals.
//!
//! A request is a prompt of token ids plus sampling parameters; its answer arrives as events
//! on a [`ResponseHandler`], each carrying the [`Instant`](std::time::Instant) of the socket
//! read that brought its bytes. Output tokens are kept as ids and counted by the server's own
//! count (`meta_info.completion_tokens`, `usage.completion_tokens`).
//!
//! ```no_run
//! # async fn demo() -> Result<(), ossperf_client::ClientError> {
//! use ossperf_client::{Backend, Client, ClientConfig, Endpoint, Prompt, Request, SamplingParams};
//!
//! let endpoints = vec![Endpoint::parse("http://localhost:30000")?];
//! let client = Client::new(ClientConfig::new(Backend::Sglang, endpoints))?;
//! client.health_check().await?;
//! let request = Request { prompt: Prompt::from(vec![1, 2, 3]), params: SamplingParams::default(), stream: true };
//! # struct H; impl ossperf_client::ResponseHandler for H {
//! #   fn on_first_token(&mut self, _: std::time::Instant, _: &[u32], _: u64) {}
//! #   fn on_complete(&mut self, _: &ossperf_client::Completion<'_>) {}
//! #   fn on_failure(&mut self, _: ossperf_client::Failure) {} }
//! client.send(request, H).await;
//! # Ok(()) }
//! ```
//!
//! OpenAI servers: the prompt goes as `prompt: [ids]` with the token-id field the start-up
//! negotiation chose for the server kind ([`Client::negotiate`], [`IdsField`]), which makes
//! vLLM and trtllm-serve return each chunk's new ids in `choices[0].token_ids`. A server that
//! ignores it answers with text only; then the output ids are empty, the count still comes
//! from `usage` and the text is kept in [`Completion::text`] for the caller to encode.
//!
//! Every request (health, metrics, generation) carries `--api-key` and `--header`s, and
//! `https://` endpoints are spoken with rustls over the same timestamped reads.

#![warn(unreachable_pub)]
#![warn(missing_docs)]

pub mod accum;
mod client;
mod endpoint;
mod error;
mod fast;
mod get;
mod h1;
mod headers;
mod health;
mod negotiate;
mod request;
mod response;
pub mod sse;
mod wire;

pub use client::{Client, ClientConfig, EndpointStats, DOWN_AFTER_CONNECT_FAILURES};
pub use endpoint::{parse_endpoints, read_endpoints_file, Backend, Endpoint};
pub use error::{ClientError, ErrorKind, Failure};
pub use get::{get, Answer};
#[doc(hidden)]
pub use h1::check_http_response;
pub use h1::TlsOptions;
pub use headers::parse_header;
pub use health::HealthWarning;
pub use negotiate::{ServerKind, ServerProfile};
pub use request::{IdsField, Prompt, Request, SamplingParams};
pub use response::{Completion, ResponseHandler};
pub use wire::FinishReason;
#[doc(hidden)]
pub use wire::{check_fast_path, check_tail_path};
