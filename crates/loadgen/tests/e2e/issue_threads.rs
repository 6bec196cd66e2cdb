//! `server_num_issue_query_threads`: in Server, N > 0 threads issue, thread t taking queries
//! t, t + N, t + 2N, … with its own share of `max_query_count`, and each is logged as
//! registered. The expected sample indices and stop lines were recorded from the official
//! 6.0.17 wheel with N threads registered through `RegisterIssueQueryThread` (same settings,
//! default seeds).

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::thread::ThreadId;
use std::time::Duration;

use ossperf_loadgen::{
    run_test, LogSettings, QuerySample, QuerySampleIndex, Responder, RunControl, Scenario,
    SystemUnderTest, TestMode, TestReport, TestSettings,
};
use serde_json::Value;

use crate::support::Qsl;

/// Records which thread issued which samples; `first_call_delay` holds each thread's first
/// call so that later queries fall due meanwhile.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<(ThreadId, Vec<QuerySample>)>>,
    first_call_delay: Option<Duration>,
}

impl SystemUnderTest for Recorder {
    fn name(&self) -> String {
        "Recorder".into()
    }
    fn issue_query(&self, samples: &[QuerySample], responder: &Responder) {
        let me = std::thread::current().id();
        let first = {
            let mut calls = self.calls.lock().unwrap();
            let first = !calls.iter().any(|(t, _)| *t == me);
            calls.push((me, samples.to_vec()));
            first
        };
        if let (true, Some(delay)) = (first, self.first_call_delay) {
            std::thread::sleep(delay);
        }
        for s in samples {
            responder.complete(s.id, &[1], 1);
        }
    }
    fn flush_queries(&self) {}
}

impl Recorder {
    /// Per issuing thread, in order of its first query: the positions it issued, per call.
    fn by_thread(&self) -> Vec<Vec<Vec<u64>>> {
        let calls = self.calls.lock().unwrap();
        let mut threads: BTreeMap<u64, (ThreadId, Vec<Vec<u64>>)> = BTreeMap::new();
        let mut first_of: Vec<(ThreadId, u64)> = Vec::new();
        for (t, samples) in calls.iter() {
            let positions: Vec<u64> = samples.iter().map(|s| s.id - 1).collect();
            let key = match first_of.iter().find(|(id, _)| id == t) {
                Some(&(_, k)) => k,
                None => {
                    first_of.push((*t, positions[0]));
                    positions[0]
                }
            };
            threads
                .entry(key)
                .or_insert((*t, Vec::new()))
                .1
                .push(positions);
        }
        threads.into_values().map(|(_, calls)| calls).collect()
    }

    fn indices_of(&self, positions: &[u64]) -> Vec<QuerySampleIndex> {
        let calls = self.calls.lock().unwrap();
        positions
            .iter()
            .map(|&p| {
                let all = calls.iter().flat_map(|(_, s)| s.iter());
                all.clone().find(|s| s.id - 1 == p).unwrap().index
            })
            .collect()
    }
}

/// (key, value, file, line_no) of every detail line.
type Detail = Vec<(String, Value, String, u64)>;

fn run(sut: &Recorder, qsl: usize, settings: &TestSettings) -> (TestReport, Detail) {
    let dir = tempfile::tempdir().unwrap();
    let mut log = LogSettings::default();
    log.log_output.outdir = dir.path().to_path_buf();
    let qsl = Qsl::new("Qsl", qsl, qsl);
    let report = run_test(sut, &qsl, settings, &log, &RunControl::new()).unwrap();
    let detail = std::fs::read_to_string(&report.logs.detail)
        .unwrap()
        .lines()
        .map(|line| {
            let v: Value = serde_json::from_str(line.strip_prefix(":::MLLOG ").unwrap()).unwrap();
            let m = &v["metadata"];
            (
                v["key"].as_str().unwrap().to_string(),
                v["value"].clone(),
                m["file"].as_str().unwrap().to_string(),
                m["line_no"].as_u64().unwrap(),
            )
        })
        .collect();
    (report, detail)
}

/// The settings of the recorded official runs.
fn server(threads: u64, max_query_count: u64) -> TestSettings {
    let mut s = TestSettings::new(Scenario::Server, TestMode::PerformanceOnly);
    s.min_duration_ms = 0;
    s.min_query_count = 20;
    s.max_query_count = max_query_count;
    s.server_target_qps = 2000.0;
    s.server_num_issue_query_threads = threads;
    s
}

fn registrations(detail: &Detail) -> Vec<String> {
    detail
        .iter()
        .filter_map(|(k, v, file, line)| {
            let v = v.as_str()?;
            (k == "generic_message" && v.starts_with("Registered IssueQueryThread[")).then(|| {
                assert_eq!((file.as_str(), *line), ("issue_query_controller.cc", 225));
                // The thread ID is a per-process hash: keep its shape only.
                let (head, id) = v.split_once(". thread ID : ").unwrap();
                assert!(id.parse::<u64>().is_ok(), "{v}");
                head.to_string()
            })
        })
        .collect()
}

fn errors(detail: &Detail) -> Vec<(String, u64)> {
    detail
        .iter()
        .filter(|(k, ..)| k == "error_runtime")
        .map(|(_, v, _, line)| (v.as_str().unwrap().to_string(), *line))
        .collect()
}

#[test]
fn three_threads_take_every_third_query_and_a_third_of_max_query_count() {
    let sut = Recorder::default();
    let (report, detail) = run(&sut, 64, &server(3, 10));
    let threads = sut.by_thread();
    let positions: Vec<Vec<u64>> = threads.iter().map(|c| c.concat()).collect();
    assert_eq!(
        positions,
        [vec![0, 3, 6, 9], vec![1, 4, 7], vec![2, 5, 8]],
        "thread t issues queries t, t + 3, … up to its share of max_query_count 10"
    );
    let test_thread = std::thread::current().id();
    assert!(sut
        .calls
        .lock()
        .unwrap()
        .iter()
        .all(|(t, _)| *t != test_thread));
    // The official build issued these sample indices from its three threads.
    let indices: Vec<Vec<usize>> = positions.iter().map(|p| sut.indices_of(p)).collect();
    assert_eq!(
        indices,
        [vec![28, 26, 29, 36], vec![20, 51, 34], vec![45, 50, 29]]
    );
    assert_eq!(report.samples.len(), 10);
    assert_eq!(report.performance.as_ref().unwrap().query_count, 10);
    assert_eq!(
        registrations(&detail),
        [
            "Registered IssueQueryThread[0]",
            "Registered IssueQueryThread[1]",
            "Registered IssueQueryThread[2]"
        ]
    );
    assert_eq!(
        errors(&detail),
        [
            (
                "IssueQueryThread 0 Ending early: Max query count reached. query_count 4".into(),
                504
            ),
            (
                "IssueQueryThread 1 Ending early: Max query count reached. query_count 3".into(),
                504
            ),
            (
                "IssueQueryThread 2 Ending early: Max query count reached. query_count 3".into(),
                504
            ),
        ]
    );
    let requested = detail
        .iter()
        .find(|(k, ..)| k == "requested_server_num_issue_query_threads")
        .unwrap();
    assert_eq!(requested.1, Value::from(3));
    assert_eq!(
        (requested.2.as_str(), requested.3),
        ("test_settings_internal.cc", 312)
    );
}

#[test]
fn a_thread_whose_share_is_zero_still_issues_one_query() {
    // max_query_count 1 over 2 threads: LoadGen checks the share after issuing.
    let sut = Recorder::default();
    let (report, detail) = run(&sut, 64, &server(2, 1));
    let positions: Vec<Vec<u64>> = sut.by_thread().iter().map(|c| c.concat()).collect();
    assert_eq!(positions, [vec![0], vec![1]]);
    let indices: Vec<Vec<usize>> = positions.iter().map(|p| sut.indices_of(p)).collect();
    assert_eq!(indices, [vec![28], vec![20]]);
    assert_eq!(report.samples.len(), 2);
    let messages: Vec<String> = errors(&detail).into_iter().map(|(m, _)| m).collect();
    assert_eq!(
        messages,
        [
            "IssueQueryThread 0 Ending early: Max query count reached. query_count 1",
            "IssueQueryThread 1 Ending early: Max query count reached. query_count 1"
        ]
    );
}

#[test]
fn with_no_limit_every_generated_query_is_issued_once_by_its_thread() {
    let sut = Recorder::default();
    let (report, detail) = run(&sut, 64, &server(4, 0));
    let generated = detail
        .iter()
        .find(|(k, ..)| k == "generated_query_count")
        .unwrap()
        .1
        .as_u64()
        .unwrap();
    assert_eq!(report.samples.len() as u64, generated);
    for (t, calls) in sut.by_thread().iter().enumerate() {
        let expected: Vec<u64> = (t as u64..generated).step_by(4).collect();
        assert_eq!(calls.concat(), expected, "thread {t}");
    }
    assert_eq!(registrations(&detail).len(), 4);
    assert!(errors(&detail).is_empty(), "{:?}", errors(&detail));
}

#[test]
fn coalesced_queries_are_the_threads_own_every_nth() {
    // At 10^6 QPS every query is due long before a thread's held first call returns: each
    // thread's next call carries all of its due queries, and only its own.
    let sut = Recorder {
        first_call_delay: Some(Duration::from_millis(20)),
        ..Recorder::default()
    };
    let mut settings = server(2, 0);
    settings.server_target_qps = 1e6;
    settings.min_query_count = 200;
    settings.server_coalesce_queries = true;
    let (report, _) = run(&sut, 256, &settings);
    let n = report.samples.len() as u64;
    let threads = sut.by_thread();
    assert_eq!(threads.len(), 2);
    let mut calls = 0;
    for (t, thread_calls) in threads.iter().enumerate() {
        let expected: Vec<u64> = (t as u64..n).step_by(2).collect();
        assert_eq!(thread_calls.concat(), expected, "thread {t}");
        calls += thread_calls.len();
    }
    assert!(
        calls < n as usize,
        "{calls} calls for {n} queries: none coalesced"
    );
}

#[test]
fn other_scenarios_and_zero_threads_issue_from_the_callers_thread() {
    let test_thread = std::thread::current().id();
    let mut offline = TestSettings::new(Scenario::Offline, TestMode::PerformanceOnly);
    offline.min_duration_ms = 0;
    offline.server_num_issue_query_threads = 3;
    for settings in [offline, server(0, 10)] {
        let sut = Recorder::default();
        let (_, detail) = run(&sut, 64, &settings);
        assert!(sut
            .calls
            .lock()
            .unwrap()
            .iter()
            .all(|(t, _)| *t == test_thread));
        assert!(registrations(&detail).is_empty());
    }
}

#[test]
fn accuracy_runs_issue_every_query_from_the_threads() {
    let sut = Recorder::default();
    let mut settings = server(3, 0);
    settings.mode = TestMode::AccuracyOnly;
    let (report, detail) = run(&sut, 64, &settings);
    assert_eq!(report.samples.len(), 64);
    let mut positions: Vec<u64> = sut.by_thread().concat().concat();
    positions.sort_unstable();
    assert_eq!(positions, (0..64).collect::<Vec<u64>>());
    assert_eq!(registrations(&detail).len(), 3);
}
