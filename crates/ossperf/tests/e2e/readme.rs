//! The README's commands, each run as written (issue 17). The tests read the README's fenced
//! `sh` blocks themselves, so an edit to a command changes what runs, and a new command fails
//! [`every_readme_command_is_run_by_a_test_or_listed_with_why_not`] until it is accounted for.
//! The only change to a line is the server's address: `http://localhost:30000` becomes the URL
//! of an `ossperf simulate` started for the line (one per SGLang personality where the line is
//! SGLang's), and a fixed `--port` (or `serve`'s default one) a free loopback port. Each line
//! runs in a directory holding the files it names, built from the bundled sample.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use crate::util::{json, ossperf, text};

/// How a README line is accounted for.
enum Covered {
    /// Run by this module's test of that name.
    Here(&'static str),
    /// Run as written by that test elsewhere.
    Elsewhere(&'static str),
    /// Not run, for this reason.
    Not(&'static str),
}

/// Every README command, by how its line starts.
const LINES: &[(&str, Covered)] = &[
    (
        "cargo run --release -- run",
        Covered::Elsewhere(
            "regression::the_demo_of_every_scenario_is_valid_on_the_simulator runs the `ossperf \
             run` it builds (with OSSPERF_DEMO_TESTS=1: the simulated H100 takes minutes)",
        ),
    ),
    (
        "cargo test --workspace",
        Covered::Not("the test suite itself"),
    ),
    (
        "python3 run_mlperf.py",
        Covered::Not("the reference harness, shown for comparison: not ossperf"),
    ),
    (
        "ossperf run --scenario offline --input-file",
        Covered::Here("the_readme_server_run_works_against_each_sglang_personality"),
    ),
    (
        "ossperf run --accuracy",
        Covered::Elsewhere(
            "regression::the_readme_accuracy_flow_works_as_written_on_the_bundled_sample",
        ),
    ),
    (
        "ossperf eval --mlperf-log mlperf_results/",
        Covered::Elsewhere(
            "regression::the_readme_accuracy_flow_works_as_written_on_the_bundled_sample",
        ),
    ),
    (
        "MLPERF_LOADGEN_SRC=$(bash scripts/official-loadgen-src.sh) cargo build",
        Covered::Not(
            "builds ossperf with the official LoadGen; `.ci/run` makes that build and runs \
             `e2e official`, which takes the next line's test too",
        ),
    ),
    (
        "target/release/ossperf run --loadgen official",
        Covered::Here("the_readme_official_loadgen_run_works_or_names_the_build_it_needs"),
    ),
    (
        "ossperf tune",
        Covered::Here("the_readme_tune_line_searches_a_server_and_writes_its_user_conf"),
    ),
    (
        "ossperf sweep",
        Covered::Elsewhere(
            "sweep::an_automatic_rate_sweep_grows_the_load_until_throughput_stops_rising_and_says_why \
             runs an automatic rate sweep against a small simulator, with short points (as \
             written, each point is a demo-length Server run: minutes)",
        ),
    ),
    (
        "ossperf serve sglang",
        Covered::Here("the_readme_serve_line_launches_sglang_with_the_reference_arguments"),
    ),
    (
        "ossperf run --scenario server --endpoints-file",
        Covered::Here("the_readme_endpoints_file_line_balances_over_every_server"),
    ),
    (
        "ossperf plan",
        Covered::Elsewhere("regression::the_readme_other_commands_run_as_written"),
    ),
    (
        "ossperf simulate",
        Covered::Here("the_readme_simulate_line_serves_until_ctrl_c"),
    ),
    (
        "ossperf dataset inspect",
        Covered::Elsewhere("regression::the_readme_other_commands_run_as_written"),
    ),
    (
        "ossperf dataset build",
        Covered::Elsewhere("regression::the_readme_other_commands_run_as_written"),
    ),
    (
        "ossperf dataset convert data.pkl",
        Covered::Not(
            "needs a pandas pickle, which ossperf does not write (`dataset` tests read pickles)",
        ),
    ),
    (
        "ossperf eval --mlperf-log LOG",
        Covered::Not("placeholders; the accuracy flow runs `eval` for real"),
    ),
    (
        "ossperf compliance test09",
        Covered::Here("the_readme_compliance_line_makes_and_verifies_the_test09_audit_run"),
    ),
    (
        "ossperf report",
        Covered::Elsewhere("regression::the_readme_other_commands_run_as_written"),
    ),
    (
        "ossperf conf dump",
        Covered::Elsewhere("regression::the_readme_other_commands_run_as_written"),
    ),
    (
        "ossperf submission run",
        Covered::Here("the_readme_submission_lines_run_assemble_and_check_the_sequence"),
    ),
    (
        "ossperf submission assemble",
        Covered::Here("the_readme_submission_lines_run_assemble_and_check_the_sequence"),
    ),
    (
        "ossperf submission check",
        Covered::Here("the_readme_submission_lines_run_assemble_and_check_the_sequence"),
    ),
];

/// The address the README's server lines name.
const README_SERVER: &str = "http://localhost:30000";

/// The `user.conf` the README's lines name: short runs, a Server run long enough for early
/// stopping (460 queries) and a TTFT limit a small server can miss.
const USER_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Offline.target_qps = 100
gpt-oss-120b.Server.min_duration = 1000
gpt-oss-120b.Server.min_query_count = 460
gpt-oss-120b.Server.ttft_latency = 400
gpt-oss-120b.Server.target_qps = 100
";

/// Every command line of the README's fenced `sh` blocks: continuation lines joined, a
/// trailing `# comment` dropped, words separated by one space.
fn readme_lines() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let mut lines = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```sh\n") {
        let block = &rest[start + 6..];
        let end = block.find("```").unwrap();
        for line in block[..end].replace("\\\n", " ").lines() {
            let words: Vec<&str> = line
                .split_whitespace()
                .take_while(|w| !w.starts_with('#'))
                .collect();
            if !words.is_empty() {
                lines.push(words.join(" "));
            }
        }
        rest = &block[end + 3..];
    }
    lines
}

/// The one README line that starts with `prefix`, as words.
fn line(prefix: &str) -> Vec<String> {
    let matching: Vec<String> = readme_lines()
        .into_iter()
        .filter(|l| l.starts_with(prefix))
        .collect();
    assert_eq!(matching.len(), 1, "README lines starting `{prefix}`");
    matching[0].split(' ').map(str::to_string).collect()
}

/// The line as a command in `dir`: the binary under test for `ossperf`, `server` for the
/// README's address.
fn as_written(words: &[String], dir: &Path, server: &str) -> Command {
    assert!(
        ["ossperf", "target/release/ossperf"].contains(&words[0].as_str()),
        "{words:?}"
    );
    let mut cmd = ossperf();
    cmd.current_dir(dir).args(words[1..].iter().map(|w| {
        if w == README_SERVER {
            server
        } else {
            w.as_str()
        }
    }));
    cmd
}

#[test]
fn every_readme_command_is_run_by_a_test_or_listed_with_why_not() {
    let lines = readme_lines();
    for l in &lines {
        let owners: Vec<&str> = LINES
            .iter()
            .filter(|(p, _)| l.starts_with(p))
            .map(|(p, _)| *p)
            .collect();
        assert_eq!(owners.len(), 1, "`{l}` is accounted for by {owners:?}");
    }
    for (prefix, covered) in LINES {
        let n = lines.iter().filter(|l| l.starts_with(prefix)).count();
        assert_eq!(n, 1, "`{prefix}` names {n} README lines");
        let why = match covered {
            Covered::Here(test) | Covered::Elsewhere(test) => test,
            Covered::Not(why) => why,
        };
        assert!(!why.is_empty());
    }
}

/// `ossperf simulate` on a free loopback port with `args`, stopped when dropped.
struct Simulate {
    child: Child,
    url: String,
}

impl Simulate {
    fn start(args: &[&str]) -> Simulate {
        let mut child = ossperf()
            .args(["simulate", "--port", "0"])
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut stderr = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        stderr.read_line(&mut first).unwrap();
        // `ossperf simulate: gpt-oss-120b as <name> at <url> (profile <p>); Ctrl-C stops`
        let url = first
            .split(" at ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .unwrap_or_else(|| panic!("no URL in `{first}`"))
            .to_string();
        std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
        Simulate { child, url }
    }
}

impl Drop for Simulate {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A directory holding what the README's lines name, made from the bundled sample: the
/// sample's AIME and GPQA rows (scored without flags) as `data/perf_eval_ref.parquet` and
/// `acc_eval_ref.parquet`, its GPQA rows as `acc_eval_compliance_gpqa.parquet`, `user.conf`.
fn fixture() -> tempfile::TempDir {
    fixture_of(1)
}

/// [`fixture`] with the performance set's rows repeated `times` times (the real one has 6,396
/// rows, which the reference user.conf's `performance_sample_count_override` assumes).
fn fixture_of(times: usize) -> tempfile::TempDir {
    let dir = ossperf_testkit::temp_dir();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample.jsonl");
    let sample = std::fs::read_to_string(sample).unwrap();
    let build = |rows: &[&str], out: &Path, times: usize| {
        let jsonl = out.with_extension("jsonl");
        let rows_text: String = sample
            .lines()
            .filter(|l| {
                rows.iter()
                    .any(|r| l.contains(&format!("\"dataset\": \"{r}\"")))
            })
            .map(|l| format!("{l}\n"))
            .collect::<String>()
            .repeat(times);
        std::fs::write(&jsonl, rows_text).unwrap();
        let out_ = ossperf()
            .args(["dataset", "build"])
            .arg(&jsonl)
            .arg(out)
            .args(["--reasoning-effort", "high"])
            .output()
            .unwrap();
        assert!(out_.status.success(), "{}", text(&out_));
    };
    let perf = data.join("perf_eval_ref.parquet");
    build(&["aime25", "gpqa_diamond"], &perf, times);
    std::fs::copy(&perf, dir.path().join("acc_eval_ref.parquet")).unwrap();
    build(
        &["gpqa_diamond"],
        &dir.path().join("acc_eval_compliance_gpqa.parquet"),
        1,
    );
    std::fs::write(dir.path().join("user.conf"), USER_CONF).unwrap();
    dir
}

/// A zero-cost `ossperf simulate` as `personality` that knows the fixture's answers.
fn simulate(dir: &Path, personality: &str) -> Simulate {
    let reference = dir.join("data/perf_eval_ref.parquet");
    Simulate::start(&[
        "--profile",
        "zero",
        "--personality",
        personality,
        "--reference-data",
        reference.to_str().unwrap(),
    ])
}

fn run_in(words: &[String], dir: &Path, server: &str) -> Output {
    as_written(words, dir, server).output().unwrap()
}

#[test]
fn the_readme_server_run_works_against_each_sglang_personality() {
    let words = line("ossperf run --scenario offline --input-file");
    for personality in ["sglang", "sglang-0.5.4.post2"] {
        let dir = fixture();
        let sim = simulate(dir.path(), personality);
        let out = run_in(&words, dir.path(), &sim.url);
        assert!(out.status.success(), "{personality}: {}", text(&out));
        let results = json(
            &dir.path()
                .join("mlperf_results/offline/performance/results.json"),
        );
        let requests = results["requests"].as_array().unwrap();
        assert!(requests.len() >= 50, "every row at least once");
        assert!(requests.iter().all(|r| r["error"].is_null()));
        let server = results["endpoints"][0]["server"].as_str().unwrap_or("");
        assert!(server.contains("sglang"), "{personality}: {server}");
        assert_eq!(results["endpoints"][0]["failed"], 0);
    }
}

#[test]
fn the_readme_official_loadgen_run_works_or_names_the_build_it_needs() {
    let words = line("target/release/ossperf run --loadgen official");
    let dir = fixture();
    let sim = simulate(dir.path(), "sglang-0.5.4.post2");
    let out = run_in(&words, dir.path(), &sim.url);
    if ossperf_loadgen_official::version().is_none() {
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr)
                .starts_with("error: this ossperf was built without the official LoadGen"),
            "{}",
            text(&out)
        );
        return;
    }
    assert!(out.status.success(), "{}", text(&out));
    let results = json(
        &dir.path()
            .join("mlperf_results/offline/performance/results.json"),
    );
    assert_eq!(results["loadgen"]["kind"], "official");
}

#[test]
fn the_readme_tune_line_searches_a_server_and_writes_its_user_conf() {
    let words = line("ossperf tune");
    let dir = fixture();
    // A small server (8 running requests, 4-token answers on the H100 cost model), so the
    // search finds a limit.
    let sim = Simulate::start(&[
        "--profile",
        "h100",
        "--output-len",
        "4",
        "--max-running-requests",
        "8",
    ]);
    let out = run_in(&words, dir.path(), &sim.url);
    // 0: found and confirmed; 1: the confirmation failed at every step down (a result).
    assert!(matches!(out.status.code(), Some(0 | 1)), "{}", text(&out));
    let tune = dir.path().join("mlperf_results/tune/server");
    let summary = json(&tune.join("tune.json"));
    let runs = summary["runs"].as_array().unwrap();
    assert!(runs.iter().any(|r| r["kind"] == "probe"), "{summary}");
    if out.status.success() {
        assert_eq!(summary["confirmed"], true, "{summary}");
        let written = std::fs::read_to_string(tune.join("user.conf")).unwrap();
        let found = summary["found_qps"].as_f64().unwrap();
        assert!(
            written.ends_with(&format!("gpt-oss-120b.Server.target_qps = {found}\n")),
            "{written}"
        );
    }
}

#[test]
fn the_readme_serve_line_launches_sglang_with_the_reference_arguments() {
    let words = line("ossperf serve sglang");
    let dir = fixture();
    crate::serve::fake_engines(dir.path());
    let port = crate::serve::free_port().to_string();
    let out = as_written(&words, dir.path(), "")
        .args(["--host", "127.0.0.1", "--port", &port])
        .env("PYTHONPATH", dir.path())
        .env("FAKE_ARGV", dir.path().join("argv.json"))
        .env("FAKE_MODE", "once")
        .env("FAKE_EXIT", "0")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let argv = crate::serve::recorded_argv(dir.path()).join(" ");
    assert!(
        argv.starts_with(&format!(
            "--model-path openai/gpt-oss-120b --host 127.0.0.1 --port {port} \
             --data-parallel-size=8 "
        )),
        "{argv}"
    );
}

#[test]
fn the_readme_endpoints_file_line_balances_over_every_server() {
    let words = line("ossperf run --scenario server --endpoints-file");
    let dir = fixture();
    let (a, b) = (
        simulate(dir.path(), "sglang-0.5.4.post2"),
        simulate(dir.path(), "sglang"),
    );
    std::fs::write(
        dir.path().join("nodes.txt"),
        format!("{}\n{}\n", a.url, b.url),
    )
    .unwrap();
    let out = run_in(&words, dir.path(), "");
    assert!(out.status.success(), "{}", text(&out));
    let results = json(
        &dir.path()
            .join("mlperf_results/server/performance/results.json"),
    );
    let endpoints = results["endpoints"].as_array().unwrap();
    assert_eq!(endpoints.len(), 2);
    for e in endpoints {
        assert!(e["completed"].as_u64().unwrap() > 0, "{e}");
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Per endpoint:"), "{stdout}");
}

#[test]
fn the_readme_simulate_line_serves_until_ctrl_c() {
    let words = line("ossperf simulate");
    let port = crate::serve::free_port().to_string();
    let given: Vec<String> = words
        .iter()
        .map(|w| {
            if w == "30000" {
                port.clone()
            } else {
                w.clone()
            }
        })
        .collect();
    let mut child = as_written(&given, Path::new("."), "")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    assert_eq!(
        first,
        format!(
            "ossperf simulate: gpt-oss-120b as sglang-0.5.4.post2 at http://127.0.0.1:{port} \
             (profile h100); Ctrl-C stops\n"
        )
    );
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port.parse().unwrap())).unwrap();
    conn.write_all(b"GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut answer = String::new();
    conn.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    crate::util::send_signal(&child, libc::SIGINT);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    assert!(child.wait().unwrap().success(), "{rest}");
    assert_eq!(
        rest,
        "ossperf simulate: stopped after 0 generation requests\n"
    );
}

#[test]
fn the_readme_compliance_line_makes_and_verifies_the_test09_audit_run() {
    let words = line("ossperf compliance test09");
    // No --user-conf: the reference one loads 6,396 rows, as many as the real set has.
    let dir = fixture_of(128);
    let sim = simulate(dir.path(), "sglang-0.5.4.post2");
    let out = run_in(&words, dir.path(), &sim.url);
    assert!(out.status.success(), "{}", text(&out));
    let verdict =
        std::fs::read_to_string(dir.path().join("compliance/TEST09/verify_output_len.txt"))
            .unwrap();
    assert!(verdict.ends_with("TEST PASS\n"), "{verdict}");
    assert!(dir
        .path()
        .join("mlperf_results/offline/TEST09/mlperf_log_detail.txt")
        .is_file());
}

#[test]
fn the_readme_submission_lines_run_assemble_and_check_the_sequence() {
    let words = line("ossperf submission run");
    let dir = fixture();
    let sim = simulate(dir.path(), "sglang-0.5.4.post2");
    let out = run_in(&words, dir.path(), &sim.url);
    assert!(out.status.success(), "{}", text(&out));
    let record = json(&dir.path().join("submission/offline/submission.json"));
    let steps: Vec<(&str, i64)> = record["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["step"].as_str().unwrap(),
                s["exit_code"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            ("performance", 0),
            ("accuracy", 0),
            ("score", 0),
            ("TEST07", 0),
            ("TEST09", 0)
        ]
    );
    let assemble = run_in(&line("ossperf submission assemble"), dir.path(), "");
    assert!(assemble.status.success(), "{}", text(&assemble));
    assert!(dir.path().join("tree/closed/Acme").is_dir());
    // 1 is the checker's verdict on a simulated, short run: a result, not a failure to run.
    let check = run_in(&line("ossperf submission check"), dir.path(), "");
    assert!(
        matches!(check.status.code(), Some(0 | 1)),
        "{}",
        text(&check)
    );
    assert!(!check.stdout.is_empty(), "{}", text(&check));
}
