//! The SUT against a small SGLang-like server on a loopback socket: what LoadGen is told for
//! streamed answers, the Offline concurrency limit, failures and Ctrl-C.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ossperf_client::{Backend, Client, ClientConfig, Endpoint, ErrorKind, SamplingParams};
use ossperf_loadgen::QuerySample;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Call {
    First {
        id: u64,
        data: Vec<u8>,
        at: Instant,
    },
    Complete {
        id: u64,
        data: Vec<u8>,
        n_tokens: i64,
        at: Instant,
    },
    Fail {
        id: u64,
        reason: String,
    },
}

#[derive(Clone, Default)]
pub(super) struct Recording(pub(super) Arc<Mutex<Vec<Call>>>);

impl Reporter for Recording {
    fn first_token_at(&self, id: ResponseId, data: &[u8], _n: i64, at: Instant) {
        self.0.lock().unwrap().push(Call::First {
            id,
            data: data.to_vec(),
            at,
        });
    }
    fn complete_at(&self, id: ResponseId, data: &[u8], n_tokens: i64, at: Instant) {
        self.0.lock().unwrap().push(Call::Complete {
            id,
            data: data.to_vec(),
            n_tokens,
            at,
        });
    }
    fn fail(&self, id: ResponseId, reason: &str) {
        self.0.lock().unwrap().push(Call::Fail {
            id,
            reason: reason.to_owned(),
        });
    }
}

impl Recording {
    /// Waits until `n` samples have ended, then returns every call. The deadline only keeps a
    /// broken SUT from hanging the test; it is far beyond what a loaded machine needs.
    pub(super) async fn wait_for(&self, n: usize) -> Vec<Call> {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            let calls = self.0.lock().unwrap().clone();
            if calls
                .iter()
                .filter(|c| !matches!(c, Call::First { .. }))
                .count()
                >= n
            {
                return calls;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        panic!("samples did not end: {:?}", self.0.lock().unwrap());
    }
}

/// A server that answers each `/generate` with output ids `[100 + prompt[0], 7, 8]` in two
/// streamed chunks, or with `status` when it is not 200, after `gate` lets it through.
struct Server {
    url: String,
    received: Arc<AtomicUsize>,
    gate: Arc<Semaphore>,
    /// The most requests it held at once (received, not yet answered).
    peak: Arc<AtomicUsize>,
}

async fn server(status: u16, open: bool) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let received = Arc::new(AtomicUsize::new(0));
    let gate = Arc::new(Semaphore::new(if open { 1 << 20 } else { 0 }));
    let peak = Arc::new(AtomicUsize::new(0));
    let held = Arc::new(AtomicUsize::new(0));
    let (r, g, p) = (received.clone(), gate.clone(), peak.clone());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let (r, g, p, h) = (r.clone(), g.clone(), p.clone(), held.clone());
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") || !buf.ends_with(b"}") {
                    let n = socket.read(&mut tmp).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                }
                r.fetch_add(1, Ordering::SeqCst);
                p.fetch_max(h.fetch_add(1, Ordering::SeqCst) + 1, Ordering::SeqCst);
                let text = String::from_utf8_lossy(&buf);
                let first: u32 = text
                    .split("\"input_ids\":[")
                    .nth(1)
                    .unwrap()
                    .split([',', ']'])
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                // One permit per answer, kept: `add_permits(n)` lets exactly n answers out.
                let Ok(permit) = g.acquire().await else {
                    return;
                };
                permit.forget();
                let answer = if status == 200 {
                    let e1 = format!(
                        r#"data: {{"output_ids":[{}],"meta_info":{{"finish_reason":null,"completion_tokens":1}}}}"#,
                        100 + first
                    );
                    let e2 = r#"data: {"output_ids":[7,8],"meta_info":{"finish_reason":{"type":"stop"},"completion_tokens":3}}"#;
                    let body = format!("{e1}\n\n{e2}\n\ndata: [DONE]\n\n");
                    format!("HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len())
                } else {
                    format!(
                        "HTTP/1.1 {status} X\r\ncontent-length: 4\r\nconnection: close\r\n\r\nboom"
                    )
                };
                // Released before the answer leaves, so the client cannot send the next one first.
                h.fetch_sub(1, Ordering::SeqCst);
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    Server {
        url,
        received,
        gate,
        peak,
    }
}

fn sut(url: &str, max_concurrency: Option<usize>) -> GptOssSut {
    let config = ClientConfig::new(Backend::Sglang, vec![Endpoint::parse(url).unwrap()]);
    let prompts: Vec<Arc<[u32]>> = (0..4u32).map(|i| Arc::from(vec![i, 1, 2])).collect();
    GptOssSut::new(
        Client::new(config).unwrap(),
        tokio::runtime::Handle::current(),
        Arc::new(prompts),
        SutConfig {
            name: "test".into(),
            params: SamplingParams::default(),
            stream: true,
            max_concurrency,
            encode_text: false,
        },
    )
}

pub(super) fn samples(indices: &[usize]) -> Vec<QuerySample> {
    indices
        .iter()
        .enumerate()
        .map(|(k, &index)| QuerySample {
            id: k as u64 + 1,
            index,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_sample_reports_its_first_token_then_every_output_token_as_little_endian_int32() {
    let server = server(200, true).await;
    let sut = sut(&server.url, None);
    let recording = Recording::default();
    sut.issue(&samples(&[2, 3]), &recording);
    let calls = recording.wait_for(2).await;

    for (id, first_id) in [(1u64, 102u32), (2, 103)] {
        let mine: Vec<&Call> = calls.iter().filter(|c| matches!(c, Call::First { id: i, .. } | Call::Complete { id: i, .. } if *i == id)).collect();
        let [Call::First {
            data: first,
            at: first_at,
            ..
        }, Call::Complete {
            data, n_tokens, at, ..
        }] = mine.as_slice()
        else {
            panic!("expected first token then completion for {id}: {mine:?}");
        };
        assert_eq!(first, &token_bytes(&[first_id]));
        assert_eq!(
            data,
            &[
                first_id.to_le_bytes(),
                7u32.to_le_bytes(),
                8u32.to_le_bytes()
            ]
            .concat()
        );
        assert_eq!(*n_tokens, 3);
        assert!(first_at <= at);
    }
    let live = sut.live();
    assert_eq!(
        (live.issued, live.completed, live.failed, live.output_tokens),
        (2, 2, 0, 6)
    );
    let mut records = sut.records();
    records.sort_by_key(|r| r.response_id());
    assert_eq!(
        (
            records[0].qsl_index(),
            records[0].input_tokens(),
            records[0].endpoint()
        ),
        (2, 3, Some(0))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_never_has_more_than_max_concurrency_requests_in_flight() {
    let server = server(200, false).await;
    let sut = sut(&server.url, Some(2));
    let recording = Recording::default();
    sut.issue(&samples(&[0, 1, 2, 3, 0, 1]), &recording);
    while server.received.load(Ordering::SeqCst) < 2 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(server.received.load(Ordering::SeqCst), 2);
    server.gate.add_permits(1 << 20);
    recording.wait_for(6).await;
    assert_eq!(sut.live().completed, 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_request_is_answered_with_fail_and_its_reason() {
    let server = server(500, true).await;
    let sut = sut(&server.url, None);
    let recording = Recording::default();
    sut.issue(&samples(&[0]), &recording);
    let calls = recording.wait_for(1).await;
    assert_eq!(
        calls,
        [Call::Fail {
            id: 1,
            reason: format!("http_status: HTTP 500 from {}/generate: boom", server.url)
        }]
    );
    assert_eq!(sut.failures().by_kind, [(ErrorKind::HttpStatus, 1)]);
    assert_eq!(sut.records()[0].error(), Some(ErrorKind::HttpStatus));
}

/// A reporter that notes, each time LoadGen would hear that a sample ended, how many records
/// the SUT then held: LoadGen ends the test at its last sample and the results are read from
/// the records right after, so each record must be stored before LoadGen is told.
#[derive(Clone)]
struct RecordsWhenTold {
    sut: GptOssSut,
    seen: Arc<Mutex<Vec<usize>>>,
}

impl Reporter for RecordsWhenTold {
    fn first_token_at(&self, _: ResponseId, _: &[u8], _: i64, _: Instant) {}
    fn complete_at(&self, _: ResponseId, _: &[u8], _: i64, _: Instant) {
        self.seen.lock().unwrap().push(self.sut.records().len());
    }
    fn fail(&self, _: ResponseId, _: &str) {
        self.seen.lock().unwrap().push(self.sut.records().len());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_record_is_stored_before_loadgen_hears_that_its_sample_ended() {
    for status in [200, 500] {
        let server = server(status, true).await;
        let sut = sut(&server.url, Some(1));
        let reporter = RecordsWhenTold {
            sut: sut.clone(),
            seen: Arc::default(),
        };
        // The unknown index fails before it is sent; the others complete or fail at the server.
        sut.issue(&samples(&[0, 1, 9]), &reporter);
        let deadline = Instant::now() + Duration::from_secs(60);
        while reporter.seen.lock().unwrap().len() < 3 {
            assert!(Instant::now() < deadline, "samples did not end");
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(*reporter.seen.lock().unwrap(), [1, 2, 3], "HTTP {status}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_qsl_index_fails_at_once() {
    let server = server(200, true).await;
    let sut = sut(&server.url, None);
    let recording = Recording::default();
    sut.issue(&samples(&[9]), &recording);
    assert_eq!(
        recording.wait_for(1).await,
        [Call::Fail {
            id: 1,
            reason: "internal: no prompt for QSL index `9`".into()
        }]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_all_fails_requests_in_flight_and_waiting_promptly() {
    let server = server(200, false).await;
    let sut = sut(&server.url, Some(1));
    let recording = Recording::default();
    sut.issue(&samples(&[0, 1, 2]), &recording);
    while server.received.load(Ordering::SeqCst) < 1 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    sut.cancel_all();
    let mut reasons: Vec<String> = recording
        .wait_for(3)
        .await
        .into_iter()
        .filter_map(|c| match c {
            Call::Fail { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "cancelled: cancelled before it was sent",
            "cancelled: cancelled before it was sent",
            "cancelled: cancelled while in flight"
        ]
    );
    assert_eq!(sut.failures().by_kind, [(ErrorKind::Cancelled, 3)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_abandoned_sut_fails_what_waits_and_every_later_sample_at_once_with_the_reason() {
    let server = server(200, false).await;
    let sut = sut(&server.url, Some(1));
    let recording = Recording::default();
    sut.issue(&samples(&[0, 1]), &recording);
    while server.received.load(Ordering::SeqCst) < 1 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    sut.abandon("not sent: every endpoint has been down for 1 s".into());
    sut.abandon("a second reason is ignored".into());
    // What an official LoadGen would go on issuing on its schedule.
    sut.issue(&samples(&[2]), &recording);
    let mut reasons: Vec<String> = recording
        .wait_for(3)
        .await
        .into_iter()
        .filter_map(|c| match c {
            Call::Fail { reason, .. } => Some(reason),
            _ => None,
        })
        .collect();
    reasons.sort();
    assert_eq!(
        reasons,
        [
            "cancelled: cancelled while in flight",
            "connect: not sent: every endpoint has been down for 1 s",
            "connect: not sent: every endpoint has been down for 1 s",
        ]
    );
    assert_eq!(
        sut.abandoned(),
        Some("not sent: every endpoint has been down for 1 s")
    );
}

/// Waits until `n` requests have reached the server.
async fn until_received(server: &Server, n: usize) {
    for _ in 0..2000 {
        if server.received.load(Ordering::SeqCst) >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!(
        "the server received {} of {n} requests",
        server.received.load(Ordering::SeqCst)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_queues_samples_without_a_task_each_and_cancel_all_fails_the_queued_ones() {
    let server = server(200, false).await;
    let sut = sut(&server.url, Some(3));
    let recording = Recording::default();
    let tasks_before = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    // 10,000 samples in four issue calls, as LoadGen might split them.
    let all: Vec<QuerySample> = (0..10_000u64)
        .map(|k| QuerySample {
            id: k + 1,
            index: (k % 4) as usize,
        })
        .collect();
    for part in all.chunks(2_500) {
        sut.issue(part, &recording);
    }
    until_received(&server, 3).await;
    // The old SUT spawned a task per sample: 10,000 here. Now 3 senders, plus the client's
    // and the test server's tasks for 3 connections.
    let tasks = tokio::runtime::Handle::current()
        .metrics()
        .num_alive_tasks();
    assert!(
        tasks.saturating_sub(tasks_before) <= 12,
        "{tasks} tasks alive, {tasks_before} before"
    );
    // Ten answers let ten more in, never more than three at once.
    server.gate.add_permits(10);
    until_received(&server, 13).await;
    recording.wait_for(10).await;
    assert_eq!(server.received.load(Ordering::SeqCst), 13);
    assert_eq!(server.peak.load(Ordering::SeqCst), 3);

    sut.cancel_all();
    let calls = recording.wait_for(10_000).await;
    let mut outcomes = std::collections::BTreeMap::<String, usize>::new();
    for call in &calls {
        let key = match call {
            Call::First { .. } => continue,
            Call::Complete { .. } => "completed".to_string(),
            Call::Fail { reason, .. } => reason.clone(),
        };
        *outcomes.entry(key).or_default() += 1;
    }
    assert_eq!(
        outcomes.into_iter().collect::<Vec<_>>(),
        [
            ("cancelled: cancelled before it was sent".to_string(), 9_987),
            ("cancelled: cancelled while in flight".to_string(), 3),
            ("completed".to_string(), 10),
        ]
    );
    assert_eq!(server.received.load(Ordering::SeqCst), 13);
    // Every sample answered exactly once, and a sample issued after Ctrl-C fails at once.
    let mut ids: Vec<u64> = calls
        .iter()
        .filter_map(|c| match c {
            Call::Complete { id, .. } | Call::Fail { id, .. } => Some(*id),
            Call::First { .. } => None,
        })
        .collect();
    ids.sort_unstable();
    assert_eq!(ids, (1..=10_000).collect::<Vec<u64>>());
    sut.issue(&samples(&[0]), &recording);
    assert_eq!(
        recording.0.lock().unwrap().last(),
        Some(&Call::Fail {
            id: 1,
            reason: "cancelled: cancelled before it was sent".into()
        })
    );
    let live = sut.live();
    assert_eq!(
        (live.issued, live.completed, live.failed),
        (10_001, 10, 9_991)
    );
}

/// An OpenAI server that answers every completion with `text` only, with a `usage` count when
/// `usage` is given.
async fn text_server(text: &'static str, usage: Option<u64>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut tmp = [0u8; 4096];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") || !buf.ends_with(b"}") {
                    let n = socket.read(&mut tmp).await.unwrap();
                    if n == 0 {
                        return;
                    }
                    buf.extend_from_slice(&tmp[..n]);
                }
                let choice = serde_json::json!({"index": 0, "text": text, "finish_reason": "stop"});
                let mut body = serde_json::json!({"id": "c", "choices": [choice]});
                if let Some(n) = usage {
                    body["usage"] = serde_json::json!({"prompt_tokens": 3, "completion_tokens": n});
                }
                let body = body.to_string();
                let answer = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}", body.len());
                let _ = socket.write_all(answer.as_bytes()).await;
            });
        }
    });
    url
}

fn text_sut(url: &str, encode_text: bool) -> GptOssSut {
    let mut config = ClientConfig::new(Backend::Openai, vec![Endpoint::parse(url).unwrap()]);
    config.model = Some("m".into());
    let prompts: Vec<Arc<[u32]>> = (0..4u32).map(|i| Arc::from(vec![i, 1, 2])).collect();
    GptOssSut::new(
        Client::new(config).unwrap(),
        tokio::runtime::Handle::current(),
        Arc::new(prompts),
        SutConfig {
            name: "test".into(),
            params: SamplingParams::default(),
            stream: false,
            max_concurrency: None,
            encode_text,
        },
    )
}

const ANSWER: &str = "<|channel|>final<|message|>The answer is B.<|return|>";

fn completion(calls: &[Call]) -> (Vec<u8>, i64) {
    calls
        .iter()
        .find_map(|c| match c {
            Call::Complete { data, n_tokens, .. } => Some((data.clone(), *n_tokens)),
            _ => None,
        })
        .unwrap()
}

#[tokio::test]
async fn an_accuracy_run_against_a_text_only_server_records_the_encoded_text_and_marks_it() {
    let url = text_server(ANSWER, Some(9)).await;
    let sut = text_sut(&url, true);
    let recording = Recording::default();
    sut.issue(&samples(&[1]), &recording);
    let (data, n_tokens) = completion(&recording.wait_for(1).await);
    let ids = ossperf_harmony::tokenizer().encode_with_special_tokens(ANSWER);
    assert_eq!(data, token_bytes(&ids));
    // The server's count stands.
    assert_eq!(n_tokens, 9);
    let record = sut.records()[0];
    assert_eq!(
        (
            record.text_encoded(),
            record.counted_by_encoding(),
            record.ids_consistent()
        ),
        (true, false, true)
    );
}

#[tokio::test]
async fn a_performance_run_counts_tokens_from_usage_and_else_by_encoding_the_text() {
    let url = text_server(ANSWER, Some(9)).await;
    let sut = text_sut(&url, false);
    let recording = Recording::default();
    sut.issue(&samples(&[1]), &recording);
    assert_eq!(completion(&recording.wait_for(1).await), (Vec::new(), 9));
    assert!(!sut.records()[0].text_encoded());

    let url = text_server(ANSWER, None).await;
    let sut = text_sut(&url, false);
    let recording = Recording::default();
    sut.issue(&samples(&[1]), &recording);
    let ids = ossperf_harmony::tokenizer().encode_with_special_tokens(ANSWER);
    assert_eq!(
        completion(&recording.wait_for(1).await),
        (token_bytes(&ids), ids.len() as i64)
    );
    let record = sut.records()[0];
    assert_eq!(
        (
            record.text_encoded(),
            record.counted_by_encoding(),
            record.output_tokens()
        ),
        (true, true, ids.len() as u64)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handler_dropped_before_its_sample_ended_fails_it_once() {
    let sut = sut("http://127.0.0.1:9", None);
    let recording = Recording::default();
    let samples = samples(&[0, 1]);
    let first_slot = sut.shared.stats.issued(&samples);
    // One is dropped with no word from the client; the other fails first, then is dropped.
    drop(SampleHandler::new(
        samples[0],
        first_slot,
        Instant::now(),
        recording.clone(),
        &sut.shared,
    ));
    let mut failed = SampleHandler::new(
        samples[1],
        first_slot + 1,
        Instant::now(),
        recording.clone(),
        &sut.shared,
    );
    failed.on_failure(Failure::new(ErrorKind::Cancelled, "cancelled"));
    drop(failed);
    assert_eq!(
        recording.wait_for(2).await,
        [
            Call::Fail {
                id: 1,
                reason: "internal: the request ended without an answer or a failure".into()
            },
            Call::Fail {
                id: 2,
                reason: "cancelled: cancelled".into()
            }
        ]
    );
    let errors: Vec<Option<ErrorKind>> = sut.records().iter().map(|r| r.error()).collect();
    assert_eq!(
        errors,
        [Some(ErrorKind::Internal), Some(ErrorKind::Cancelled)]
    );
}
