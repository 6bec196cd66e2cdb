//! Successful answers: streamed and whole, SGLang and OpenAI, and where the stamps come from.

use std::sync::Arc;
use std::time::Duration;

use ossperf_client::{Backend, FinishReason};
use tokio::sync::Notify;

use crate::canned::{chunk, last_chunk, response, sglang_event, sse_head, Canned, Step};
use crate::{client, request, Recorder};

#[tokio::test]
async fn the_first_token_is_stamped_at_the_read_that_carried_it_not_at_the_end() {
    let release = Arc::new(Notify::new());
    let gate = release.clone();
    let server = Canned::start(move |_| {
        vec![
            Step::Write([sse_head(), chunk(&sglang_event(&[10], 1, "null"))].concat()),
            Step::Wait(gate.clone()),
            Step::Write(chunk(&sglang_event(
                &[11, 12],
                3,
                r#"{"type":"stop","matched":200002}"#,
            ))),
            Step::Write([chunk("data: [DONE]\n\n"), last_chunk()].concat()),
        ]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder {
        on_first: Some(release),
        ..Recorder::default()
    };
    client.send(request(true), recorder.clone()).await;

    let (first_at, first_ids, done) = recorder.done();
    let writes = server.writes.lock().unwrap().clone();
    assert_eq!(first_ids, [10]);
    // The server wrote the second part only after the client reported the first token.
    assert!(writes[0] <= first_at && first_at < writes[1]);
    assert!(writes[1] <= done.at);
    assert_eq!(done.ids, [10, 11, 12]);
    assert_eq!(done.count, 3);
    assert_eq!(done.finish, FinishReason::Stop);
    assert!(done.consistent && done.counted_by_server);
}

#[tokio::test]
async fn cumulative_output_split_across_reads_with_a_retraction_is_accounted_by_the_server_count() {
    let event2 = sglang_event(&[10, 11, 12], 3, "null");
    let (a, b) = event2.split_at(25);
    let (a, b) = (a.to_owned(), b.to_owned());
    let server = Canned::start(move |_| {
        vec![
            Step::Write([sse_head(), chunk(&sglang_event(&[10, 11], 2, "null"))].concat()),
            Step::Write(chunk(&a)),
            Step::Pause(Duration::from_millis(20)),
            Step::Write(chunk(&b)),
            // The server retracts to one token, then generates two others.
            Step::Write(chunk(&sglang_event(&[10], 1, "null"))),
            Step::Write(chunk(&format!(
                "{}data: [DONE]\n\n",
                sglang_event(&[10, 20, 21], 3, r#"{"type":"length","length":3}"#)
            ))),
            Step::Write(last_chunk()),
        ]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let (_, first_ids, done) = recorder.done();
    assert_eq!(first_ids, [10, 11]);
    assert_eq!(done.ids, [10, 20, 21]);
    assert_eq!(done.count, 3);
    assert_eq!(done.retractions, 1);
    assert_eq!(done.finish, FinishReason::Length);
}

#[tokio::test]
async fn long_cumulative_events_cut_across_chunks_and_reads_give_the_exact_ids() {
    // Events of 7 to 28 KB (past the 8 KiB read buffer, so their rest is read straight into
    // the SSE parser's buffer), in HTTP chunks that end inside events, written in pieces.
    let all: Vec<u32> = (0..4000).map(|n| 200_000 - n * 13).collect();
    let mut body = String::new();
    for k in 1..=4 {
        let finish = if k == 4 {
            r#"{"type":"length","length":4000}"#
        } else {
            "null"
        };
        body.push_str(&sglang_event(&all[..k * 1000], k as u64 * 1000, finish));
    }
    body.push_str("data: [DONE]\n\n");
    let mut wire = sse_head();
    for part in body.as_bytes().chunks(20_000) {
        wire.extend(chunk(std::str::from_utf8(part).unwrap()));
    }
    wire.extend(last_chunk());
    let server = Canned::start(move |_| {
        wire.chunks(5000)
            .flat_map(|w| {
                [
                    Step::Write(w.to_vec()),
                    Step::Pause(Duration::from_millis(3)),
                ]
            })
            .collect()
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let (_, first_ids, done) = recorder.done();
    assert_eq!(first_ids, all[..1000]);
    assert_eq!(done.ids, all);
    assert_eq!(done.count, 4000);
    assert_eq!(done.finish, FinishReason::Length);
    assert!(done.consistent && done.counted_by_server);
}

#[tokio::test]
async fn a_whole_sglang_answer_gives_first_token_and_completion_at_its_last_read() {
    let body = r#"{"text":"hi","output_ids":[7,8,9,200002],"meta_info":{"id":"x","finish_reason":{"type":"stop","matched":200002},"prompt_tokens":3,"completion_tokens":4}}"#;
    let head = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    let (a, b) = body.split_at(30);
    let parts = [format!("{head}{a}"), b.to_owned()];
    let server = Canned::start(move |_| {
        vec![
            Step::Write(parts[0].clone().into_bytes()),
            Step::Pause(Duration::from_millis(30)),
            Step::Write(parts[1].clone().into_bytes()),
        ]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(false), recorder.clone()).await;

    let (first_at, first_ids, done) = recorder.done();
    let writes = server.writes.lock().unwrap().clone();
    assert_eq!(first_ids, [7, 8, 9, 200002]);
    assert_eq!(first_at, done.at);
    assert!(done.at >= writes[1]);
    assert_eq!(done.count, 4);
    let sent = &server.received.lock().unwrap()[0];
    assert_eq!(sent.path, "/generate");
    assert_eq!(
        sent.body,
        r#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":8,"temperature":1.0,"top_k":-1,"top_p":1.0}}"#
    );
}

#[tokio::test]
async fn an_openai_stream_takes_delta_token_ids_and_the_usage_count() {
    let events = [
        r#"{"id":"c","object":"text_completion","choices":[{"index":0,"text":"a","token_ids":[5],"finish_reason":null}]}"#,
        r#"{"id":"c","choices":[{"index":0,"text":"bc","token_ids":[6,7],"finish_reason":"stop"}]}"#,
        r#"{"id":"c","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":3,"total_tokens":6}}"#,
    ];
    let server = Canned::start(move |_| {
        let mut body = sse_head();
        for e in events {
            body.extend(chunk(&format!("data: {e}\r\n\r\n")));
        }
        body.extend(chunk("data: [DONE]\r\n\r\n"));
        body.extend(last_chunk());
        vec![Step::Write(body)]
    })
    .await;
    let client = client(Backend::Openai, &[format!("{}/v1", server.url())], |c| {
        c.model = Some("gpt-oss-120b".into());
    });
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let (_, first_ids, done) = recorder.done();
    assert_eq!(first_ids, [5]);
    assert_eq!(done.ids, [5, 6, 7]);
    assert_eq!(done.count, 3);
    assert!(done.counted_by_server && done.consistent);
    assert_eq!(done.text, "");
    let sent = &server.received.lock().unwrap()[0];
    assert_eq!(sent.path, "/v1/completions");
    assert_eq!(
        sent.body,
        r#"{"model":"gpt-oss-120b","prompt":[1,2,3],"max_tokens":8,"temperature":1.0,"top_p":1.0,"stream":true,"stream_options":{"include_usage":true},"return_token_ids":true}"#
    );
}

#[tokio::test]
async fn a_text_only_openai_server_keeps_the_text_and_the_usage_count() {
    let body = r#"{"id":"c","choices":[{"index":0,"text":"Hello \"w\"","finish_reason":"length"}],"usage":{"prompt_tokens":3,"completion_tokens":5}}"#;
    let server =
        Canned::start(move |_| vec![Step::Write(response(200, "application/json", body))]).await;
    let client = client(Backend::Openai, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(false), recorder.clone()).await;

    let (_, first_ids, done) = recorder.done();
    assert_eq!(first_ids, [] as [u32; 0]);
    assert_eq!(done.ids, [] as [u32; 0]);
    assert_eq!(done.count, 5);
    assert_eq!(done.text, "Hello \"w\"");
    assert_eq!(done.finish, FinishReason::Length);
    assert!(!done.consistent);
}

#[tokio::test]
async fn sequential_requests_reuse_one_keep_alive_connection() {
    let server = Canned::start(|_| {
        vec![Step::Write(
            [
                sse_head(),
                chunk(&sglang_event(&[1, 2], 2, r#"{"type":"stop"}"#)),
                chunk("data: [DONE]\n\n"),
                last_chunk(),
            ]
            .concat(),
        )]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    for _ in 0..3 {
        let recorder = Recorder::default();
        client.send(request(true), recorder.clone()).await;
        assert_eq!(recorder.done().2.ids, [1, 2]);
    }
    assert_eq!(*server.connections.lock().unwrap(), 1);
    let stats = &client.endpoint_stats()[0];
    assert_eq!(
        (
            stats.sent,
            stats.completed,
            stats.output_tokens,
            stats.outstanding
        ),
        (3, 3, 6, 0)
    );
}

#[tokio::test]
async fn an_sglang_stream_without_output_ids_still_has_a_first_token_and_the_server_count() {
    let events = [
        r#"{"text":"a","meta_info":{"finish_reason":null,"completion_tokens":1}}"#,
        r#"{"text":"abc","meta_info":{"finish_reason":{"type":"stop"},"completion_tokens":3}}"#,
    ];
    let server = Canned::start(move |_| {
        let mut body = sse_head();
        for e in events {
            body.extend(chunk(&format!("data: {e}\n\n")));
        }
        body.extend(last_chunk());
        vec![Step::Write(body)]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let events = recorder.events();
    assert!(matches!(&events[0], crate::Event::First { ids, count: 1, .. } if ids.is_empty()));
    let (_, _, done) = recorder.done();
    assert_eq!((done.ids.len(), done.count, done.consistent), (0, 3, false));
}

/// Blocks its worker thread in `on_first_token`, as a busy runtime would delay the task.
struct SlowFirst {
    recorder: Recorder,
    woke: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl ossperf_client::ResponseHandler for SlowFirst {
    fn on_first_token(&mut self, at: std::time::Instant, ids: &[u32], count: u64) {
        self.recorder.on_first_token(at, ids, count);
        std::thread::sleep(Duration::from_secs(1));
        *self.woke.lock().unwrap() = Some(std::time::Instant::now());
    }
    fn on_complete(&mut self, c: &ossperf_client::Completion<'_>) {
        self.recorder.on_complete(c);
    }
    fn on_failure(&mut self, f: ossperf_client::Failure) {
        self.recorder.on_failure(f);
    }
}

// The kernel's receive stamps (Linux) date the end by its arrival, not by the late read.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_frame_is_stamped_at_its_arrival_even_when_the_task_wakes_late() {
    let server = Canned::start(|_| {
        vec![
            Step::Write([sse_head(), chunk(&sglang_event(&[10], 1, "null"))].concat()),
            Step::Write(
                [
                    chunk(&sglang_event(&[11], 2, r#"{"type":"stop"}"#)),
                    chunk("data: [DONE]\n\n"),
                    last_chunk(),
                ]
                .concat(),
            ),
        ]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let handler = SlowFirst {
        recorder: Recorder::default(),
        woke: Default::default(),
    };
    let (recorder, woke) = (handler.recorder.clone(), handler.woke.clone());
    client.send(request(true), handler).await;

    let (_, _, done) = recorder.done();
    let woke = woke.lock().unwrap().unwrap();
    // The end arrived while this task slept, and is stamped then.
    assert!(
        done.at < woke,
        "stamped {:?} after the task woke",
        done.at - woke
    );
    assert!(done.at >= server.writes.lock().unwrap()[1]);
}

// Over https the same holds: the TLS records are read (and stamped) by the transport itself.
#[cfg(target_os = "linux")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_https_frame_is_stamped_at_its_arrival_even_when_the_task_wakes_late() {
    let server = Canned::start(|_| {
        vec![
            Step::Write([sse_head(), chunk(&sglang_event(&[10], 1, "null"))].concat()),
            Step::Write(
                [
                    chunk(&sglang_event(&[11], 2, r#"{"type":"stop"}"#)),
                    chunk("data: [DONE]\n\n"),
                    last_chunk(),
                ]
                .concat(),
            ),
        ]
    })
    .await;
    let front = crate::tlsfront::TlsFront::start(server.addr).await;
    let ca = front.ca_file.clone();
    let client = client(Backend::Sglang, &[front.url()], |c| {
        c.tls.ca_certs = vec![ca]
    });
    let handler = SlowFirst {
        recorder: Recorder::default(),
        woke: Default::default(),
    };
    let (recorder, woke) = (handler.recorder.clone(), handler.woke.clone());
    client.send(request(true), handler).await;

    let (_, first_ids, done) = recorder.done();
    assert_eq!((first_ids, done.ids.clone()), (vec![10], vec![10, 11]));
    let woke = woke.lock().unwrap().unwrap();
    assert!(
        done.at < woke,
        "stamped {:?} after the task woke",
        done.at - woke
    );
    assert!(done.at >= server.writes.lock().unwrap()[1]);
}

#[tokio::test]
async fn a_text_only_openai_stream_has_its_first_token_at_the_first_choice_even_with_empty_text() {
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let gate = release.clone();
    let server = Canned::start(move |_| {
        vec![
            Step::Write(
                [sse_head(), chunk(r#"data: {"choices":[{"index":0,"text":"","finish_reason":null}]}"#), chunk("\n\n")]
                    .concat(),
            ),
            Step::Wait(gate.clone()),
            Step::Write(
                [
                    chunk("data: {\"choices\":[{\"index\":0,\"text\":\"analysis\",\"finish_reason\":\"stop\"}]}\n\n"),
                    chunk("data: {\"choices\":[],\"usage\":{\"completion_tokens\":2}}\n\ndata: [DONE]\n\n"),
                    last_chunk(),
                ]
                .concat(),
            ),
        ]
    })
    .await;
    let client = client(Backend::Openai, &[server.url()], |_| {});
    let recorder = Recorder {
        on_first: Some(release),
        ..Recorder::default()
    };
    client.send(request(true), recorder.clone()).await;

    let (first_at, first_ids, done) = recorder.done();
    let writes = server.writes.lock().unwrap().clone();
    assert!(first_at < writes[1]);
    assert_eq!(first_ids, [] as [u32; 0]);
    assert_eq!((done.count, done.text.as_str()), (2, "analysis"));
}
