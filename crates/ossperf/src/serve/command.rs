//! The launch command of an inference server with the MLPerf reference's arguments
//! (docs/REFERENCE.md §8.1, `sglang/run_server.sh`), and vLLM's equivalents. Kept apart from
//! the process handling so the exact argument lists are plain data a test can compare.

/// The draft head the reference names for speculative decoding in Interactive.
pub(crate) const EAGLE3_DRAFT: &str = "nvidia/gpt-oss-120b-Eagle3-long-context";

/// Requests each SGLang data-parallel replica may run at once (`512 * dp` in the reference).
pub(crate) const RUNNING_PER_REPLICA: u32 = 512;

pub(crate) use crate::cli::serve::Engine;

impl Engine {
    /// The Python package that must be importable.
    pub fn package(self) -> &'static str {
        match self {
            Engine::Sglang => "sglang",
            Engine::Vllm => "vllm",
        }
    }

    /// The module run with `python -m`.
    pub fn module(self) -> &'static str {
        match self {
            Engine::Sglang => "sglang.launch_server",
            Engine::Vllm => "vllm.entrypoints.openai.api_server",
        }
    }

    /// The engine's own default port (SGLang 30000, vLLM 8000).
    pub fn default_port(self) -> u16 {
        match self {
            Engine::Sglang => 30000,
            Engine::Vllm => 8000,
        }
    }

    /// What to install when the package cannot be imported.
    pub fn install_hint(self) -> &'static str {
        match self {
            Engine::Sglang => {
                "install it with `pip install \"sglang[all]\"` (the reference uses the container \
                 `lmsysorg/sglang:v0.5.4.post2`)"
            }
            Engine::Vllm => "install it with `pip install vllm`",
        }
    }
}

/// Speculative decoding with an EAGLE3 draft head.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Speculative {
    /// `--eagle-path P`: the draft head at `P`, the engine's own step settings.
    Draft(String),
    /// `--speculative`: the reference's Interactive policy, [`EAGLE3_DRAFT`] with 3 steps and
    /// top-k 1.
    Reference,
}

/// Everything that decides the launch command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LaunchSpec {
    /// The engine.
    pub engine: Engine,
    /// The Python interpreter that runs it.
    pub python: String,
    /// The model directory or Hugging Face id.
    pub model_path: String,
    /// The address the server listens on.
    pub host: String,
    /// The port it listens on.
    pub port: u16,
    /// Data-parallel replicas (one per GPU with tensor parallelism 1).
    pub dp: u32,
    /// Tensor-parallel size; passed only when given.
    pub tp: Option<u32>,
    /// Tokens per streamed chunk; `None` leaves the flag out (a vLLM too old to have it).
    pub stream_interval: Option<u32>,
    /// Speculative decoding, if any.
    pub speculative: Option<Speculative>,
    /// Passed through after the built arguments.
    pub extra: Vec<String>,
}

impl LaunchSpec {
    /// The arguments after the interpreter: `-m <module>` and the engine's flags.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec!["-m".to_string(), self.engine.module().to_string()];
        match self.engine {
            Engine::Sglang => self.sglang(&mut args),
            Engine::Vllm => self.vllm(&mut args),
        }
        args.extend(self.extra.iter().cloned());
        args
    }

    /// The whole command line, shell-quoted, as it is printed.
    pub fn command_line(&self) -> String {
        std::iter::once(self.python.as_str())
            .chain(self.args().iter().map(String::as_str))
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn sglang(&self, args: &mut Vec<String>) {
        push(
            args,
            &["--model-path", &self.model_path, "--host", &self.host],
        );
        push(args, &["--port", &self.port.to_string()]);
        args.push(format!("--data-parallel-size={}", self.dp));
        if let Some(tp) = self.tp {
            push(args, &["--tp-size", &tp.to_string()]);
        }
        let running = RUNNING_PER_REPLICA.saturating_mul(self.dp).to_string();
        push(args, &["--max-running-requests", &running]);
        push(args, &["--mem-fraction-static", "0.85"]);
        push(args, &["--chunked-prefill-size", "16384", "--ep-size=1"]);
        push(args, &["--enable-metrics"]);
        if let Some(n) = self.stream_interval {
            push(args, &["--stream-interval", &n.to_string()]);
        }
        match &self.speculative {
            None => {}
            Some(Speculative::Draft(path)) => push(
                args,
                &[
                    "--speculative-draft-model-path",
                    path,
                    "--speculative-algorithm",
                    "EAGLE3",
                ],
            ),
            Some(Speculative::Reference) => push(
                args,
                &[
                    "--speculative-draft-model-path",
                    EAGLE3_DRAFT,
                    "--speculative-algorithm",
                    "EAGLE3",
                    "--speculative-num-steps",
                    "3",
                    "--speculative-eagle-topk",
                    "1",
                ],
            ),
        }
    }

    fn vllm(&self, args: &mut Vec<String>) {
        push(args, &["--model", &self.model_path, "--host", &self.host]);
        push(args, &["--port", &self.port.to_string()]);
        push(args, &["--data-parallel-size", &self.dp.to_string()]);
        if let Some(tp) = self.tp {
            push(args, &["--tensor-parallel-size", &tp.to_string()]);
        }
        // vLLM's limit is per engine, and each data-parallel rank is one engine.
        push(args, &["--max-num-seqs", &RUNNING_PER_REPLICA.to_string()]);
        push(args, &["--gpu-memory-utilization", "0.85"]);
        push(args, &["--enable-chunked-prefill"]);
        push(args, &["--max-num-batched-tokens", "16384"]);
        // vLLM has the flag only since vllm-project/vllm#27869 (late 2025); older ones
        // refuse to start with it, so `serve` leaves it out for them (launch.rs).
        if let Some(n) = self.stream_interval {
            push(args, &["--stream-interval", &n.to_string()]);
        }
        let config = match &self.speculative {
            None => None,
            Some(Speculative::Draft(path)) => Some(serde_json::json!({
                "method": "eagle3",
                "model": path,
            })),
            Some(Speculative::Reference) => Some(serde_json::json!({
                "method": "eagle3",
                "model": EAGLE3_DRAFT,
                "num_speculative_tokens": 3,
            })),
        };
        if let Some(config) = config {
            push(args, &["--speculative-config", &config.to_string()]);
        }
    }
}

fn push(args: &mut Vec<String>, items: &[&str]) {
    args.extend(items.iter().map(|s| (*s).to_string()));
}

/// Quotes `word` for a POSIX shell when it holds anything but safe characters.
pub(crate) fn shell_quote(word: &str) -> String {
    let safe = !word.is_empty()
        && word
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_./=:,+@%".contains(&b));
    if safe {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(engine: Engine) -> LaunchSpec {
        LaunchSpec {
            engine,
            python: "python3".into(),
            model_path: "/models/gpt-oss-120b".into(),
            host: "0.0.0.0".into(),
            port: 30000,
            dp: 2,
            tp: None,
            stream_interval: Some(500),
            speculative: None,
            extra: vec![],
        }
    }

    #[test]
    fn sglang_gets_the_reference_arguments_with_512_running_requests_per_replica() {
        assert_eq!(
            spec(Engine::Sglang).command_line(),
            "python3 -m sglang.launch_server --model-path /models/gpt-oss-120b --host 0.0.0.0 \
             --port 30000 --data-parallel-size=2 --max-running-requests 1024 \
             --mem-fraction-static 0.85 --chunked-prefill-size 16384 --ep-size=1 \
             --enable-metrics --stream-interval 500"
        );
    }

    #[test]
    fn the_reference_speculative_policy_is_eagle3_with_3_steps_and_top_k_1_in_both_engines() {
        let mut s = spec(Engine::Sglang);
        s.speculative = Some(Speculative::Reference);
        assert!(s.command_line().ends_with(
            "--speculative-draft-model-path nvidia/gpt-oss-120b-Eagle3-long-context \
             --speculative-algorithm EAGLE3 --speculative-num-steps 3 --speculative-eagle-topk 1"
        ));
        s.engine = Engine::Vllm;
        assert!(s.command_line().ends_with(
            "--speculative-config '{\"method\":\"eagle3\",\"model\":\"nvidia/gpt-oss-120b-Eagle3-long-context\",\"num_speculative_tokens\":3}'"
        ));
    }

    #[test]
    fn a_vllm_without_stream_interval_is_launched_without_the_flag() {
        let mut s = spec(Engine::Vllm);
        assert!(s.command_line().contains(" --stream-interval 500"));
        s.stream_interval = None;
        assert!(!s.command_line().contains("--stream-interval"));
    }

    #[test]
    fn words_with_shell_characters_are_single_quoted() {
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
        assert_eq!(shell_quote(""), "''");
        assert_eq!(shell_quote("--x=1"), "--x=1");
    }
}
