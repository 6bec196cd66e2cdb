//! Requests that fail: each ends in exactly one failure with a bounded kind and a message that
//! names the URL.

use std::sync::Arc;
use std::time::Duration;

use ossperf_client::{Backend, ErrorKind};
use tokio::sync::Notify;

use crate::canned::{
    chunk, last_chunk, refused_port, response, sglang_event, sse_head, Canned, Step,
};
use crate::{client, request, Event, Recorder};

#[tokio::test]
async fn a_server_that_never_answers_hits_the_request_timeout() {
    let server = Canned::start(|_| vec![Step::Wait(Arc::new(Notify::new()))]).await;
    let client = client(Backend::Sglang, &[server.url()], |c| {
        c.timeout = Duration::from_millis(200)
    });
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::Timeout);
    assert_eq!(
        failure.message,
        format!(
            "no response from {}/generate within the 200ms timeout",
            server.url()
        )
    );
    assert_eq!(failure.endpoint, Some(0));
    assert_eq!(recorder.events().len(), 1);
}

#[tokio::test]
async fn a_stream_that_stalls_after_its_first_token_fails_after_the_first_token() {
    let server = Canned::start(|_| {
        vec![
            Step::Write([sse_head(), chunk(&sglang_event(&[4], 1, "null"))].concat()),
            Step::Wait(Arc::new(Notify::new())),
        ]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |c| {
        c.idle_timeout = Some(Duration::from_millis(150));
    });
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let events = recorder.events();
    assert!(matches!(&events[0], Event::First { ids, .. } if ids == &[4]));
    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::Timeout);
    assert_eq!(
        failure.message,
        format!(
            "stream stalled: no bytes for 150ms after 1 tokens ({}/generate)",
            server.url()
        )
    );
    assert!(failure.after_first_token);
}

#[tokio::test]
async fn a_stream_that_trickles_past_the_deadline_hits_the_request_timeout() {
    let server = Canned::start(|_| {
        let mut steps = vec![Step::Write(sse_head())];
        for n in 1..=100u32 {
            steps.push(Step::Write(chunk(&sglang_event(
                &[n],
                u64::from(n),
                "null",
            ))));
            steps.push(Step::Pause(Duration::from_millis(20)));
        }
        steps
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |c| {
        c.timeout = Duration::from_millis(300);
        c.idle_timeout = Some(Duration::from_secs(5));
    });
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::Timeout);
    assert!(
        failure
            .message
            .starts_with("request exceeded the 300ms timeout after "),
        "{}",
        failure.message
    );
    assert!(failure.after_first_token);
}

#[tokio::test]
async fn a_refused_connection_is_a_connect_failure_naming_the_url() {
    let addr = refused_port().await;
    let client = client(Backend::Sglang, &[format!("http://{addr}")], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::Connect);
    assert!(
        failure
            .message
            .starts_with(&format!("cannot connect to http://{addr}/generate: ")),
        "{}",
        failure.message
    );
    assert_eq!(client.endpoint_stats()[0].failed, 1);
}

#[tokio::test]
async fn an_http_500_is_a_status_failure_with_the_body() {
    let server =
        Canned::start(|_| vec![Step::Write(response(500, "text/plain", "engine crashed\n"))]).await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::HttpStatus);
    assert_eq!(
        failure.message,
        format!("HTTP 500 from {}/generate: engine crashed", server.url())
    );
}

#[tokio::test]
async fn bad_json_in_a_stream_is_a_malformed_stream() {
    let server = Canned::start(|_| {
        vec![Step::Write(
            [
                sse_head(),
                chunk("data: {\"output_ids\": [1,\n\n"),
                last_chunk(),
            ]
            .concat(),
        )]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::MalformedStream);
    assert_eq!(
        failure.message,
        format!(
            "bad JSON chunk `{{\"output_ids\": [1,`: EOF while parsing a value at line 1 column 18 ({}/generate)",
            server.url()
        )
    );
}

#[tokio::test]
async fn a_stream_that_ends_without_a_finish_is_a_malformed_stream() {
    let server = Canned::start(|_| {
        vec![Step::Write(
            [
                sse_head(),
                chunk(&sglang_event(&[1], 1, "null")),
                last_chunk(),
            ]
            .concat(),
        )]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::MalformedStream);
    assert_eq!(
        failure.message,
        format!(
            "stream ended after 1 tokens without a finish_reason or `[DONE]` ({}/generate)",
            server.url()
        )
    );
    assert!(failure.after_first_token);
}

#[tokio::test]
async fn a_connection_cut_mid_stream_is_an_io_failure() {
    let server = Canned::start(|_| {
        vec![
            Step::Write([sse_head(), chunk(&sglang_event(&[1], 1, "null"))].concat()),
            Step::Close,
        ]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::Io);
    assert!(
        failure
            .message
            .starts_with("connection failed while reading the body: "),
        "{}",
        failure.message
    );
}

#[tokio::test]
async fn a_server_abort_is_a_server_error() {
    let server = Canned::start(|_| {
        vec![Step::Write(
            [
                sse_head(),
                chunk(&sglang_event(
                    &[],
                    0,
                    r#"{"type":"abort","message":"prompt too long"}"#,
                )),
                last_chunk(),
            ]
            .concat(),
        )]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;

    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::ServerError);
    assert_eq!(
        failure.message,
        format!(
            "server aborted the request: prompt too long ({}/generate)",
            server.url()
        )
    );
}

#[tokio::test]
async fn cancel_all_fails_a_request_in_flight_and_every_later_one() {
    let server = Canned::start(|_| {
        vec![
            Step::Write([sse_head(), chunk(&sglang_event(&[4], 1, "null"))].concat()),
            Step::Wait(Arc::new(Notify::new())),
        ]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let first = Arc::new(Notify::new());
    let recorder = Recorder {
        on_first: Some(first.clone()),
        ..Recorder::default()
    };
    let task = tokio::spawn({
        let (client, recorder) = (client.clone(), recorder.clone());
        async move { client.send(request(true), recorder).await }
    });
    first.notified().await;
    client.cancel_all();
    task.await.unwrap();
    let failure = recorder.failure();
    assert_eq!(
        (
            failure.kind,
            failure.message.as_str(),
            failure.after_first_token
        ),
        (ErrorKind::Cancelled, "cancelled while in flight", true)
    );
    assert_eq!(recorder.events().len(), 2);

    let later = Recorder::default();
    client.send(request(true), later.clone()).await;
    assert_eq!(later.failure().message, "cancelled before it was sent");
    assert_eq!(client.endpoint_stats()[0].outstanding, 0);
}
