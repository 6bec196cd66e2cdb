//! Inference-server clients: SGLang's native `/generate` and OpenAI `/v1/completions`, with
//! SSE parsing, connection pools, several endpoints, timeouts and health checks.
//! Must not know about LoadGen internals.
