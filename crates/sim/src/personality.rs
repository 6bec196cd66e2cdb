//! Which real server the simulator behaves like. Each personality fixes what differs between
//! servers and versions (routes, request validation, chunk shapes, how `stream_interval` groups
//! tokens, identity, metrics); the sources each was read from are cited in `docs/SIMULATOR.md`.
//! Timing, answers and faults stay separate axes of [`crate::SimConfig`].

use crate::config::StreamFormat;

/// A real server and version whose protocol the simulator speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Personality {
    /// SGLang, current main: `/model_info` (with `/get_model_info` deprecated),
    /// `return_token_ids` on `/v1/completions`, delta chunks coalesced when the reader lags,
    /// `num_retractions` and `reasoning_tokens` in `meta_info`.
    Sglang,
    /// SGLang v0.5.4.post2, the image the MLPerf reference pins: `/get_model_info` only, an
    /// OpenAI server that ignores `return_token_ids` (text only), delta chunks dropped when the
    /// reader lags, `total_retractions` in `meta_info`.
    #[default]
    Sglang054,
    /// vLLM, current main: `/v1/completions` only, `token_ids` deltas with
    /// `return_token_ids`, `prompt_token_ids` on the first chunk, a usage-only last chunk.
    Vllm,
    /// vLLM before `return_token_ids` and `--stream-interval` (0.10.1): text-only streams.
    VllmTextOnly,
    /// trtllm-serve: unknown request fields are refused (`extra="forbid"`), ids only with
    /// `detokenize: false`, JSON `/metrics`.
    Trtllm,
}

/// How a server picks the tokens after which a streamed chunk goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalRule {
    /// SGLang: after a step that leaves `len(output_ids) % N == 1` (every step for N = 1); a
    /// speculative step that jumps over such a length sends nothing.
    Modulo,
    /// vLLM and TensorRT-LLM: the first token alone, then once at least N tokens wait.
    Accumulate,
}

/// How a completions server returns token ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CompletionIds {
    /// `return_token_ids: true` gives `token_ids` deltas (and `prompt_token_ids` first).
    ReturnTokenIds,
    /// `detokenize: false` gives `token_ids` with an empty `text` (TensorRT-LLM).
    Detokenize,
    /// Never: text only.
    None,
}

impl Personality {
    /// Every personality, in the order they are documented.
    pub const ALL: [Personality; 5] = [
        Personality::Sglang,
        Personality::Sglang054,
        Personality::Vllm,
        Personality::VllmTextOnly,
        Personality::Trtllm,
    ];

    /// The name used on the command line and in `/get_server_info`.
    pub fn name(self) -> &'static str {
        match self {
            Personality::Sglang => "sglang",
            Personality::Sglang054 => "sglang-0.5.4.post2",
            Personality::Vllm => "vllm",
            Personality::VllmTextOnly => "vllm-0.10.1",
            Personality::Trtllm => "trtllm-serve",
        }
    }

    /// The personality with this [`Personality::name`].
    pub fn from_name(name: &str) -> Option<Personality> {
        Personality::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The version modelled: a release, or `main` for the current source that was read.
    pub fn version(self) -> &'static str {
        match self {
            Personality::Sglang054 => "0.5.4.post2",
            Personality::VllmTextOnly => "0.10.1",
            Personality::Sglang | Personality::Vllm | Personality::Trtllm => "main",
        }
    }

    /// `owned_by` in `/v1/models`: how a client tells the servers apart.
    pub fn owned_by(self) -> &'static str {
        match self {
            Personality::Sglang | Personality::Sglang054 => "sglang",
            Personality::Vllm | Personality::VllmTextOnly => "vllm",
            Personality::Trtllm => "tensorrt_llm",
        }
    }

    /// Whether it is an SGLang server (native `/generate`, SGLang info routes and metrics).
    pub fn is_sglang(self) -> bool {
        matches!(self, Personality::Sglang | Personality::Sglang054)
    }

    /// The stream shape when nobody asks for another: SGLang is cumulative unless launched
    /// with `--incremental-streaming-output`; the OpenAI servers always send deltas.
    pub fn default_stream_format(self) -> StreamFormat {
        if self.is_sglang() {
            StreamFormat::Cumulative
        } else {
            StreamFormat::Delta
        }
    }

    /// How `stream_interval` groups tokens.
    pub fn interval_rule(self) -> IntervalRule {
        if self.is_sglang() {
            IntervalRule::Modulo
        } else {
            IntervalRule::Accumulate
        }
    }

    /// Whether `--stream-interval` exists (vLLM gained it after 0.10.1).
    pub fn has_stream_interval(self) -> bool {
        self != Personality::VllmTextOnly
    }

    /// How `/v1/completions` returns ids.
    pub fn completion_ids(self) -> CompletionIds {
        match self {
            Personality::Sglang | Personality::Vllm => CompletionIds::ReturnTokenIds,
            Personality::Trtllm => CompletionIds::Detokenize,
            Personality::Sglang054 | Personality::VllmTextOnly => CompletionIds::None,
        }
    }

    /// Whether unknown request fields are refused (pydantic `extra="forbid"`).
    pub fn forbids_unknown_fields(self) -> bool {
        self == Personality::Trtllm
    }

    /// Whether a streamed completions chunk carries `"usage": null` (SGLang) or no `usage`
    /// key until the usage-only last chunk (vLLM, TensorRT-LLM: `exclude_unset`).
    pub fn usage_on_every_chunk(self) -> bool {
        self.is_sglang()
    }

    /// Whether SGLang's native delta stream coalesces chunks queued while the reader lagged
    /// (current), rather than dropping all but the last (v0.5.x).
    pub fn coalesces_deltas(self) -> bool {
        self == Personality::Sglang
    }

    /// The model-info routes it serves.
    pub fn model_info_routes(self) -> &'static [&'static str] {
        match self {
            Personality::Sglang => &["/model_info", "/get_model_info"],
            Personality::Sglang054 => &["/get_model_info"],
            _ => &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_the_default_is_the_reference_image() {
        for p in Personality::ALL {
            assert_eq!(Personality::from_name(p.name()), Some(p));
        }
        assert_eq!(Personality::default(), Personality::Sglang054);
        assert_eq!(Personality::from_name("tgi"), None);
    }
}
