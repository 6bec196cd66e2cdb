//! `ossperf run` against servers that behave as the real ones do on the points issue 19 is
//! about (docs/SERVERS.md): a strict trtllm-serve, a text-only server, one with neither ids
//! nor usage, one with neither ids nor text, a key-protected one, and one still loading.
//! Each is a few lines of HTTP/1.1 on a loopback port, answering on keep-alive connections.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::util::{json, text};

/// How a server behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Persona {
    /// trtllm-serve: unknown fields are a 400; ids only with `detokenize: false`.
    Trtllm,
    /// Text and usage, no ids (vLLM before 0.10.2).
    TextOnly,
    /// Text only: no ids, no usage.
    Bare,
    /// Neither ids nor text.
    Mute,
    /// A vLLM that wants `Authorization: Bearer sk-test` on `/v1` routes.
    Keyed,
}

/// The text every text answer carries, and the ids every id answer carries.
const TEXT: &str = "The answer is B.";
const IDS: [u32; 4] = [200005, 17, 18, 200002];

/// The fields trtllm-serve's `CompletionRequest` knows, of those ossperf may send.
const TRTLLM_FIELDS: [&str; 9] = [
    "model",
    "prompt",
    "max_tokens",
    "temperature",
    "top_p",
    "top_k",
    "stream",
    "stream_options",
    "detokenize",
];

struct Server {
    url: String,
    /// Every request: path, and the status answered.
    log: Arc<Mutex<Vec<(String, u16)>>>,
}

impl Server {
    fn statuses(&self, path: &str) -> Vec<u16> {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, s)| *s)
            .collect()
    }
}

/// Starts `persona` on a loopback port; with `after`, it listens only after that long (a
/// server loading its weights) on a port reserved now.
fn start(persona: Persona, after: Option<Duration>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log: Arc<Mutex<Vec<(String, u16)>>> = Arc::default();
    let server_log = log.clone();
    let listener = if after.is_some() {
        drop(listener);
        None
    } else {
        Some(listener)
    };
    std::thread::spawn(move || {
        let listener = match (listener, after) {
            (Some(listener), _) => listener,
            (None, wait) => {
                std::thread::sleep(wait.unwrap_or_default());
                TcpListener::bind(addr).unwrap()
            }
        };
        for socket in listener.incoming().flatten() {
            let log = server_log.clone();
            std::thread::spawn(move || serve(persona, socket, &log));
        }
    });
    Server {
        url: format!("http://{addr}"),
        log,
    }
}

fn serve(persona: Persona, socket: TcpStream, log: &Mutex<Vec<(String, u16)>>) {
    let mut reader = BufReader::new(socket.try_clone().unwrap());
    let mut socket = socket;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let path = line.split(' ').nth(1).unwrap_or("").to_owned();
        let (mut len, mut auth) = (0, String::new());
        loop {
            let mut header = String::new();
            reader.read_line(&mut header).unwrap();
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            let (k, v) = header.split_once(':').unwrap();
            if k.eq_ignore_ascii_case("content-length") {
                len = v.trim().parse().unwrap();
            }
            if k.eq_ignore_ascii_case("authorization") {
                auth = v.trim().to_owned();
            }
        }
        let mut body = vec![0; len];
        reader.read_exact(&mut body).unwrap();
        let (status, content_type, answer) = answer(persona, &path, &auth, &body);
        log.lock().unwrap().push((path, status));
        let head = format!(
            "HTTP/1.1 {status} X\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\r\n",
            answer.len()
        );
        if socket.write_all(head.as_bytes()).is_err()
            || socket.write_all(answer.as_bytes()).is_err()
        {
            return;
        }
    }
}

fn answer(persona: Persona, path: &str, auth: &str, body: &[u8]) -> (u16, &'static str, String) {
    let json_type = "application/json";
    if persona == Persona::Keyed && path.starts_with("/v1") && auth != "Bearer sk-test" {
        return (401, json_type, r#"{"error":"Unauthorized"}"#.to_owned());
    }
    let owned_by = match persona {
        Persona::Trtllm => "tensorrt_llm",
        Persona::TextOnly | Persona::Keyed => "vllm",
        Persona::Bare | Persona::Mute => "acme",
    };
    match path {
        "/health" => return (200, "text/plain", String::new()),
        "/v1/models" => {
            return (
                200,
                json_type,
                format!(r#"{{"data":[{{"id":"gpt-oss-120b","owned_by":"{owned_by}"}}]}}"#),
            )
        }
        "/v1/completions" => {}
        _ => return (404, json_type, r#"{"detail":"Not Found"}"#.to_owned()),
    }
    let request: serde_json::Map<String, Value> = serde_json::from_slice(body).unwrap();
    if persona == Persona::Trtllm {
        if let Some(extra) = request
            .keys()
            .find(|k| !TRTLLM_FIELDS.contains(&k.as_str()))
        {
            return (
                400,
                json_type,
                format!(
                    r#"{{"error":"1 validation error for CompletionRequest\n{extra}\n  Extra inputs are not permitted"}}"#
                ),
            );
        }
    }
    let ids = match persona {
        Persona::Trtllm => request.get("detokenize") == Some(&Value::Bool(false)),
        Persona::Keyed => true,
        _ => false,
    };
    let mut choice = serde_json::json!({"index": 0, "finish_reason": "stop"});
    choice["text"] = Value::from(match persona {
        Persona::Mute => "",
        Persona::Trtllm if ids => "",
        _ => TEXT,
    });
    if ids {
        choice["token_ids"] = Value::from(IDS.to_vec());
    }
    let mut answer = serde_json::json!({"id": "cmpl-1", "choices": [choice]});
    if !matches!(persona, Persona::Bare | Persona::Mute) {
        answer["usage"] = serde_json::json!({"prompt_tokens": 3, "completion_tokens": IDS.len()});
    }
    (200, json_type, answer.to_string())
}

const ACCURACY_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Offline.min_query_count = 20
";

fn ossperf_run(dir: &Path, url: &str, extra: &[&str]) -> Output {
    run_as(dir, "openai", url, extra)
}

fn run_as(dir: &Path, backend: &str, url: &str, extra: &[&str]) -> Output {
    let conf = dir.join("user.conf");
    std::fs::write(&conf, ACCURACY_CONF).unwrap();
    Command::new(env!("CARGO_BIN_EXE_ossperf"))
        .args([
            "run",
            "--backend",
            backend,
            "--server-url",
            url,
            "--max-samples",
            "20",
        ])
        .args(extra)
        .arg("--user-conf")
        .arg(&conf)
        .arg("--output-dir")
        .arg(dir.join("out"))
        .env_remove("OPENAI_API_KEY")
        .output()
        .unwrap()
}

/// The accuracy log's entries' `data`.
fn accuracy_data(dir: &Path) -> Vec<String> {
    let log = json(&dir.join("out/offline/accuracy/mlperf_log_accuracy.json"));
    log.as_array()
        .unwrap()
        .iter()
        .map(|e| e["data"].as_str().unwrap().to_owned())
        .collect()
}

fn hex(ids: &[u32]) -> String {
    ids.iter()
        .flat_map(|id| id.to_le_bytes())
        .map(|b| format!("{b:02X}"))
        .collect()
}

#[test]
fn an_accuracy_run_against_a_strict_trtllm_server_sends_no_refused_request() {
    let server = start(Persona::Trtllm, None);
    let dir = ossperf_testkit::temp_dir();
    let out = ossperf_run(dir.path(), &server.url, &["--accuracy"]);
    assert!(out.status.success(), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "{}: trtllm, sends `detokenize: false`, answers with token ids and a token count",
            server.url
        )),
        "{stderr}"
    );
    // The start-up generation and 20 samples, none refused.
    assert_eq!(server.statuses("/v1/completions"), vec![200; 21]);
    let data = accuracy_data(dir.path());
    assert_eq!(data, vec![hex(&IDS); 20]);
    let results = json(&dir.path().join("out/offline/accuracy/results.json"));
    assert_eq!(
        results["tokens"],
        serde_json::json!({"text_encoded": 0, "counted_by_encoding": 0, "inconsistent_ids": 0})
    );
}

#[test]
fn an_accuracy_run_against_a_text_only_server_logs_the_re_encoded_text_and_says_so() {
    let server = start(Persona::TextOnly, None);
    let dir = ossperf_testkit::temp_dir();
    let out = ossperf_run(dir.path(), &server.url, &["--accuracy"]);
    assert!(out.status.success(), "{}", text(&out));
    let ids = ossperf_harmony::tokenizer().encode_with_special_tokens(TEXT);
    assert_eq!(accuracy_data(dir.path()), vec![hex(&ids); 20]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "Note: 20 answer(s) came without token ids: their text was re-encoded with the harmony tokenizer"
        ),
        "{stdout}"
    );
    let results = json(&dir.path().join("out/offline/accuracy/results.json"));
    assert_eq!(results["tokens"]["text_encoded"], 20);
    assert_eq!(
        results["endpoints"][0]["server"],
        "vllm, sends `return_token_ids: true`, answers with text only and a token count"
    );
}

#[test]
fn a_performance_run_without_ids_or_usage_counts_tokens_by_encoding_the_text() {
    let server = start(Persona::Bare, None);
    let dir = ossperf_testkit::temp_dir();
    let out = ossperf_run(dir.path(), &server.url, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Result is : VALID"), "{stdout}");
    assert!(
        stdout.contains(
            "Note: 20 answer(s) came without a token count: their tokens were counted by encoding the text"
        ),
        "{stdout}"
    );
    let results = json(&dir.path().join("out/offline/performance/results.json"));
    let n = ossperf_harmony::tokenizer()
        .encode_with_special_tokens(TEXT)
        .len();
    let requests = results["requests"].as_array().unwrap();
    assert!(
        requests.iter().all(|r| r["output_tokens"] == n),
        "{requests:?}"
    );
    assert_eq!(results["tokens"]["counted_by_encoding"], 20);
}

#[test]
fn a_server_with_neither_ids_nor_text_refuses_to_start_in_seconds() {
    let server = start(Persona::Mute, None);
    let dir = ossperf_testkit::temp_dir();
    let started = Instant::now();
    let out = ossperf_run(dir.path(), &server.url, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the start-up generation failed; no load was sent: {} answered the start-up \
             generation with neither token ids nor text, so no output could be recorded; the \
             server must return `choices[].token_ids` (vLLM ≥ 0.10.2) or `choices[].text`",
            server.url
        )),
        "{stderr}"
    );
    assert_eq!(
        server.statuses("/v1/completions").len(),
        1,
        "only the start-up generation"
    );
}

#[test]
fn a_wrong_key_is_one_authentication_message_and_the_right_one_runs() {
    let server = start(Persona::Keyed, None);
    let dir = ossperf_testkit::temp_dir();
    let out = ossperf_run(dir.path(), &server.url, &["--api-key", "sk-wrong"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the server is not ready; no load was sent: {} refused the credentials: `GET \
             /v1/models` answered HTTP 401; check `--api-key` (or `OPENAI_API_KEY`) and `--header`",
            server.url
        )),
        "{stderr}"
    );
    let conf = dir.path().join("user.conf");
    let out = Command::new(env!("CARGO_BIN_EXE_ossperf"))
        .args([
            "run",
            "--backend",
            "openai",
            "--server-url",
            &server.url,
            "--max-samples",
            "20",
        ])
        .arg("--user-conf")
        .arg(&conf)
        .arg("--output-dir")
        .arg(dir.path().join("out"))
        .env("OPENAI_API_KEY", "sk-test")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn a_server_of_the_wrong_kind_is_named() {
    let server = start(Persona::TextOnly, None);
    let dir = ossperf_testkit::temp_dir();
    let out = run_as(dir.path(), "sglang", &server.url, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the server is not ready; no load was sent: {} does not look like an SGLang server: \
             `GET /get_model_info` answered HTTP 404",
            server.url
        )),
        "{stderr}"
    );
}

#[test]
fn a_loading_server_is_reported_at_once_or_waited_for_with_wait_ready() {
    let dir = ossperf_testkit::temp_dir();
    let loading = start(Persona::TextOnly, Some(Duration::from_secs(60)));
    let started = Instant::now();
    let out = ossperf_run(dir.path(), &loading.url, &[]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(started.elapsed() < Duration::from_secs(20));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "the server is not ready; no load was sent (give a loading server time with \
             `--wait-ready SECONDS`): {} is unreachable: cannot connect: ",
            loading.url
        )),
        "{stderr}"
    );

    let late = start(Persona::TextOnly, Some(Duration::from_secs(2)));
    let out = ossperf_run(dir.path(), &late.url, &["--wait-ready", "60"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("waiting up to 60s for the server to be ready"),
        "{}",
        text(&out)
    );
}
