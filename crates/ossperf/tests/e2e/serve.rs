//! `ossperf serve` end to end, against stand-in `sglang` and `vllm` Python modules on a
//! temporary `PYTHONPATH` that record the arguments they were launched with and serve
//! `/health` with Python's http.server.

use crate::util::text;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Records argv as JSON to `$FAKE_ARGV`; `FAKE_MODE=exit` exits at once with `$FAKE_EXIT`;
/// `once` answers one `/health` then exits with `$FAKE_EXIT`; `serve` serves until SIGTERM,
/// which it records next to the argv file; `sick` serves with `/health` answering 503 and
/// leaves SIGTERM to end it, so it dies of that signal whether it comes during the
/// interpreter's start-up (a loaded machine can take longer than the ready timeout to get
/// here) or after.
const FAKE_SERVER: &str = r#"
import json, os, signal, sys
from http.server import BaseHTTPRequestHandler, HTTPServer
out = os.environ["FAKE_ARGV"]
with open(out, "w") as f:
    json.dump(sys.argv[1:], f)
mode = os.environ.get("FAKE_MODE", "once")
code = int(os.environ.get("FAKE_EXIT", "0"))
if mode == "exit":
    sys.exit(code)
args = sys.argv[1:]
port = int(args[args.index("--port") + 1])
class Health(BaseHTTPRequestHandler):
    def do_GET(self):
        ok = self.path == "/health" and mode != "sick"
        self.send_response(200 if ok else 503)
        self.end_headers()
    def log_message(self, *a):
        pass
def stopped(sig, frame):
    with open(out + ".signal", "w") as f:
        f.write(str(sig))
    os._exit(0)
if mode != "sick":
    signal.signal(signal.SIGTERM, stopped)
server = HTTPServer(("127.0.0.1", port), Health)
if mode == "once":
    server.handle_request()
    sys.exit(code)
server.serve_forever()
"#;

pub(crate) fn fake_engines(dir: &Path) {
    let files = [
        "sglang/__init__.py",
        "vllm/__init__.py",
        "vllm/entrypoints/__init__.py",
        "vllm/entrypoints/openai/__init__.py",
        "vllm/engine/__init__.py",
    ];
    for file in files {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "").unwrap();
    }
    std::fs::write(dir.join("sglang/launch_server.py"), FAKE_SERVER).unwrap();
    // A vLLM with `--stream-interval` (vllm-project/vllm#27869).
    std::fs::write(
        dir.join("vllm/engine/arg_utils.py"),
        "class EngineArgs:\n    stream_interval: int = 1\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("vllm/entrypoints/openai/api_server.py"),
        FAKE_SERVER,
    )
    .unwrap();
}

pub(crate) fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

fn serve(dir: &Path, mode: &str, args: &[&str]) -> Command {
    let mut cmd = crate::util::ossperf();
    cmd.arg("serve")
        .args(args)
        .env("PYTHONPATH", dir)
        .env("FAKE_ARGV", dir.join("argv.json"))
        .env("FAKE_MODE", mode);
    cmd
}

pub(crate) fn recorded_argv(dir: &Path) -> Vec<String> {
    let bytes = std::fs::read(dir.join("argv.json")).expect("the stand-in recorded its argv");
    serde_json::from_slice(&bytes).unwrap()
}

fn words(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

#[test]
fn sglang_is_launched_with_the_reference_arguments_and_every_option_then_its_status_is_ours() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    let port = free_port().to_string();
    let out = serve(
        dir.path(),
        "once",
        &[
            "sglang",
            "--model-path",
            "/m/gpt-oss",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--dp",
            "4",
            "--tp",
            "2",
            "--stream-interval",
            "100",
            "--speculative",
            "--",
            "--log-level",
            "debug",
        ],
    )
    .env("FAKE_EXIT", "7")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(7), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!("the server is ready: http://127.0.0.1:{port}")),
        "{}",
        text(&out)
    );
    assert!(
        stderr.contains("the server exited (exit status 7)"),
        "{}",
        text(&out)
    );
    let expected = words(&format!(
        "--model-path /m/gpt-oss --host 127.0.0.1 --port {port} --data-parallel-size=4 \
         --tp-size 2 --max-running-requests 2048 --mem-fraction-static 0.85 \
         --chunked-prefill-size 16384 --ep-size=1 --enable-metrics --stream-interval 100 \
         --speculative-draft-model-path nvidia/gpt-oss-120b-Eagle3-long-context \
         --speculative-algorithm EAGLE3 --speculative-num-steps 3 --speculative-eagle-topk 1 \
         --log-level debug"
    ));
    assert_eq!(recorded_argv(dir.path()), expected);
}

#[test]
fn vllm_is_launched_with_its_equivalents_of_the_reference_arguments() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    let port = free_port().to_string();
    let out = serve(
        dir.path(),
        "once",
        &[
            "vllm",
            "--model-path",
            "/m/gpt-oss",
            "--host",
            "127.0.0.1",
            "--port",
            &port,
            "--dp",
            "2",
            "--eagle-path",
            "/m/draft",
        ],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let mut expected = words(&format!(
        "--model /m/gpt-oss --host 127.0.0.1 --port {port} --data-parallel-size 2 \
         --max-num-seqs 512 --gpu-memory-utilization 0.85 --enable-chunked-prefill \
         --max-num-batched-tokens 16384 --stream-interval 500 --speculative-config"
    ));
    expected.push(r#"{"method":"eagle3","model":"/m/draft"}"#.to_string());
    assert_eq!(recorded_argv(dir.path()), expected);
}

#[test]
fn dry_run_prints_the_whole_command_and_starts_nothing() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    let out = serve(
        dir.path(),
        "once",
        &["sglang", "--dry-run", "--python", "/opt/py/bin/python"],
    )
    .output()
    .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "/opt/py/bin/python -m sglang.launch_server --model-path openai/gpt-oss-120b \
         --host 0.0.0.0 --port 30000 --data-parallel-size=1 --max-running-requests 512 \
         --mem-fraction-static 0.85 --chunked-prefill-size 16384 --ep-size=1 --enable-metrics \
         --stream-interval 500\n"
    );
    assert!(!dir.path().join("argv.json").exists());
}

#[test]
fn a_python_without_the_engine_is_refused_with_what_to_install() {
    let dir = ossperf_testkit::temp_dir();
    let out = serve(
        dir.path(),
        "once",
        &["vllm", "--port", &free_port().to_string()],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("`python3 -c \"import vllm\"` failed (ModuleNotFoundError: No module named 'vllm'): install it with `pip install vllm` into that Python, or name one that has it with `--python`"),
        "{}",
        text(&out)
    );
}

#[test]
fn an_unknown_engine_is_refused_with_the_known_ones() {
    let dir = ossperf_testkit::temp_dir();
    let out = serve(dir.path(), "once", &["tgi"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("invalid value 'tgi' for '<ENGINE>'"),
        "{}",
        text(&out)
    );
    assert!(
        stderr.contains("[possible values: sglang, vllm]"),
        "{}",
        text(&out)
    );
}

#[test]
fn a_port_in_use_is_named_before_anything_starts() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = serve(
        dir.path(),
        "once",
        &["sglang", "--host", "127.0.0.1", "--port", &port],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "port `{port}` on `127.0.0.1` is in use: stop what listens there or choose another with `--port`"
        )),
        "{}",
        text(&out)
    );
    assert!(!dir.path().join("argv.json").exists());
}

#[test]
fn a_server_that_exits_before_it_is_healthy_is_an_error_naming_its_status() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    let port = free_port().to_string();
    let out = serve(
        dir.path(),
        "exit",
        &["sglang", "--host", "127.0.0.1", "--port", &port],
    )
    .env("FAKE_EXIT", "3")
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(&format!(
            "the server exited (exit status 3) before `GET /health` on `127.0.0.1:{port}` answered 200"
        )),
        "{}",
        text(&out)
    );
}

#[test]
fn sigterm_is_forwarded_to_the_server_and_ossperf_exits_with_it() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    let port = free_port().to_string();
    let mut child = serve(
        dir.path(),
        "serve",
        &["sglang", "--host", "127.0.0.1", "--port", &port],
    )
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let until = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    while !seen
        .iter()
        .any(|l: &String| l.contains("the server is ready"))
    {
        let left = until.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                panic!("no ready line within 30 s: {seen:?}");
            }
        }
    }
    crate::util::send_signal(&child, libc::SIGTERM);
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0));
    let signal = std::fs::read_to_string(dir.path().join("argv.json.signal")).unwrap();
    assert_eq!(signal, libc::SIGTERM.to_string());
}

#[test]
fn a_server_that_never_becomes_healthy_is_stopped_after_the_ready_timeout() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    let port = free_port().to_string();
    let args = [
        "sglang",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--ready-timeout",
        "1",
    ];
    let out = serve(dir.path(), "sick", &args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    // Stopped with SIGTERM, which ended it (no SIGKILL was needed), then the error.
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stopping: Vec<&str> = stderr
        .lines()
        .skip_while(|l| !l.contains("forwarding signal"))
        .collect();
    assert_eq!(
        stopping,
        [
            format!("forwarding signal {} to the server", libc::SIGTERM),
            format!("the server exited (killed by signal {})", libc::SIGTERM),
            format!(
                "error: `GET /health` on `127.0.0.1:{port}` did not answer 200 within 1s; the \
                 server was stopped (give it longer with `--ready-timeout`)"
            ),
        ],
        "{}",
        text(&out)
    );
}

#[test]
fn vllm_gets_tensor_parallelism_the_stream_interval_the_reference_speculation_and_extra_args() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    let port = free_port().to_string();
    let args = [
        "vllm",
        "--host",
        "127.0.0.1",
        "--port",
        &port,
        "--tp",
        "8",
        "--stream-interval",
        "10",
        "--speculative",
        "--",
        "--kv-cache-dtype",
        "fp8",
    ];
    let out = serve(dir.path(), "once", &args).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let mut expected = words(&format!(
        "--model openai/gpt-oss-120b --host 127.0.0.1 --port {port} --data-parallel-size 1 \
         --tensor-parallel-size 8 --max-num-seqs 512 --gpu-memory-utilization 0.85 \
         --enable-chunked-prefill --max-num-batched-tokens 16384 --stream-interval 10 \
         --speculative-config"
    ));
    expected.push(
        r#"{"method":"eagle3","model":"nvidia/gpt-oss-120b-Eagle3-long-context","num_speculative_tokens":3}"#
            .to_string(),
    );
    expected.extend(words("--kv-cache-dtype fp8"));
    assert_eq!(recorded_argv(dir.path()), expected);
}

#[test]
fn a_vllm_older_than_stream_interval_is_launched_without_it_and_says_so() {
    let dir = ossperf_testkit::temp_dir();
    fake_engines(dir.path());
    std::fs::write(
        dir.path().join("vllm/engine/arg_utils.py"),
        "class EngineArgs:\n    max_num_seqs: int = 256\n",
    )
    .unwrap();
    let port = free_port().to_string();
    let args = ["vllm", "--host", "127.0.0.1", "--port", &port];
    let out = serve(dir.path(), "once", &args).output().unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert!(!recorded_argv(dir.path()).contains(&"--stream-interval".to_string()));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains(
            "this vLLM has no `--stream-interval` (added by vllm-project/vllm#27869): it is \
             launched without it and streams every token"
        ),
        "{}",
        text(&out)
    );
}

#[test]
fn eagle_path_and_speculative_cannot_be_given_together() {
    let dir = ossperf_testkit::temp_dir();
    let out = serve(
        dir.path(),
        "once",
        &["sglang", "--eagle-path", "/d", "--speculative", "--dry-run"],
    )
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the argument '--eagle-path <PATH>' cannot be used with '--speculative'"),
        "{}",
        text(&out)
    );
}
