//! The runner against the bundled sample problems and against hostile programs.

use std::collections::HashSet;
use std::path::Path;

use super::*;

fn data(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

fn options() -> Option<LcbOptions> {
    let sandbox = sandbox::tests::sandbox_or_skip("lcb runner")?;
    Some(LcbOptions {
        workers: 2,
        per_test_timeout: Duration::from_secs(2),
        sandbox: SandboxConfig {
            memory_bytes: 1 << 30,
            max_output_bytes: 1 << 20,
            // run_jobs reserves its own slots above the process's base.
            uid_base: sandbox::default_uid_base(),
            ..sandbox.config().clone()
        },
    })
}

fn solutions() -> Vec<LcbJob> {
    #[derive(Deserialize)]
    struct Solution {
        question_id: String,
        solution: String,
    }
    let text = std::fs::read_to_string(data("sample_lcb_solutions.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str::<Solution>(l).unwrap())
        .map(|s| LcbJob {
            question_id: s.question_id,
            code: s.solution,
        })
        .collect()
}

fn suites(jobs: &[LcbJob]) -> HashMap<String, TestSuite> {
    let needed: HashSet<String> = jobs.iter().map(|j| j.question_id.clone()).collect();
    load_suites(&data("sample_lcb_tests.jsonl"), &needed).unwrap()
}

#[test]
fn every_bundled_solution_passes_its_tests() {
    let Some(options) = options() else { return };
    let jobs = solutions();
    assert_eq!(jobs.len(), 12);
    let verdicts = run_jobs(&jobs, &suites(&jobs), &options, &|_| {});
    for (job, v) in jobs.iter().zip(&verdicts) {
        assert!(v.passed, "{}: {v:?}", job.question_id);
    }
}

#[test]
fn a_program_reading_stdin_buffer_reads_the_input_as_in_the_reference() {
    let Some(options) = options() else { return };
    // lcb_runner's stand-in for sys.stdin has a `.buffer` whose read() gives the input as
    // bytes, but `for line in sys.stdin` is a TypeError (the stand-in has no __iter__).
    let job = LcbJob {
        question_id: "ossperf_s01".into(),
        code: "import sys\nt = sys.stdin.buffer.read().split()\nprint(sum(x for x in map(int, t[1:]) if x % 2 == 0))"
            .into(),
    };
    let iterating = LcbJob {
        question_id: "ossperf_s01".into(),
        code: "import sys\nfor line in sys.stdin:\n    print(line)".into(),
    };
    let jobs = [job, iterating];
    let verdicts = run_jobs(&jobs, &suites(&jobs), &options, &|_| {});
    assert!(verdicts[0].passed, "{:?}", verdicts[0]);
    assert_eq!(verdicts[1].results, vec![-4]);
    assert_eq!(verdicts[1].detail, "runtime error on test 1: TypeError");
}

#[test]
fn hostile_programs_fail_their_item_and_the_batch_goes_on() {
    let Some(options) = options() else { return };
    let good = solutions()
        .into_iter()
        .find(|j| j.question_id == "ossperf_s01")
        .unwrap();
    let hostile = [
        "while True: pass",
        "import os\nwhile True:\n    try: os.fork()\n    except OSError: pass",
        "n = int(input())\nexit()",
        "a = bytearray(1 << 40)",
        "import socket\nsocket.create_connection(('127.0.0.1', 9), timeout=1)\nprint(6)",
        "import io\nio.open('/etc/ossperf-escape', 'w').write('x')\nprint(6)",
        "import sys\nwhile True: sys.__stdout__.write('x' * 65536)",
        "print(6",
        "n = int(input())\nprint(n)",
    ];
    let mut jobs: Vec<LcbJob> = hostile
        .iter()
        .map(|code| LcbJob {
            question_id: "ossperf_s01".into(),
            code: (*code).into(),
        })
        .collect();
    jobs.push(good);
    let verdicts = run_jobs(&jobs, &suites(&jobs), &options, &|_| {});
    let last: Vec<i32> = verdicts
        .iter()
        .map(|v| *v.results.last().unwrap())
        .collect();
    // loop: time limit; fork bomb: runtime error (`os.fork` is disabled, as in the reference);
    // `exit()` before printing: wrong answer; memory bomb, network and write: runtime error; endless output: time limit; syntax:
    // compile error; wrong: wrong answer.
    assert_eq!(last, vec![-3, -4, -2, -4, -4, -4, -3, -4, -2, 1]);
    let passed: Vec<bool> = verdicts.iter().map(|v| v.passed).collect();
    assert_eq!(
        passed,
        vec![false, false, false, false, false, false, false, false, false, true]
    );
    assert!(!Path::new("/etc/ossperf-escape").exists());
}

#[test]
fn a_program_whose_item_overruns_is_killed_and_reported_as_an_overrun() {
    let Some(mut options) = options() else { return };
    options.per_test_timeout = Duration::from_secs(1);
    // Ignoring the alarm leaves only the whole-item limit: (1 + 1) · n + 5 seconds.
    let code =
        "import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(1000)";
    let job = LcbJob {
        question_id: "ossperf_s02".into(),
        code: code.into(),
    };
    let mut suites = suites(std::slice::from_ref(&job));
    let suite = suites.get_mut("ossperf_s02").unwrap();
    suite.inputs.truncate(1);
    suite.outputs.truncate(1);
    let v = run_jobs(&[job], &suites, &options, &|_| {});
    assert!(v[0].overrun);
    assert_eq!(v[0].results, vec![-2]);
    assert_eq!(v[0].detail, "killed at the whole-item limit of 7 s");
}
