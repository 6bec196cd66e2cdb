//! Several endpoints: least-outstanding-requests balancing and the one retry elsewhere.

use std::sync::Arc;

use ossperf_client::{Backend, ErrorKind};
use tokio::sync::Notify;

use crate::canned::{chunk, last_chunk, refused_port, sglang_event, sse_head, Canned, Step};
use crate::{client, request, Recorder};

fn answer() -> Vec<u8> {
    [
        sse_head(),
        chunk(&sglang_event(&[1, 2], 2, r#"{"type":"stop"}"#)),
        chunk("data: [DONE]\n\n"),
        last_chunk(),
    ]
    .concat()
}

#[tokio::test]
async fn requests_go_to_the_endpoint_with_the_fewest_in_flight() {
    let hold = Arc::new(Notify::new());
    let gate = hold.clone();
    let slow = Canned::start(move |_| vec![Step::Wait(gate.clone()), Step::Write(answer())]).await;
    let fast = Canned::start(|_| vec![Step::Write(answer())]).await;
    let client = client(Backend::Sglang, &[slow.url(), fast.url()], |_| {});

    // The first request goes to the first endpoint and stays in flight there.
    let held = Recorder::default();
    let task = tokio::spawn({
        let (client, held) = (client.clone(), held.clone());
        async move { client.send(request(true), held).await }
    });
    while slow.received.lock().unwrap().is_empty() {
        tokio::task::yield_now().await;
    }
    // Round-robin would alternate; least-outstanding sends all three to the idle endpoint.
    for _ in 0..3 {
        let recorder = Recorder::default();
        client.send(request(true), recorder.clone()).await;
        assert_eq!(recorder.done().2.endpoint, 1);
    }
    hold.notify_one();
    task.await.unwrap();
    assert_eq!(held.done().2.endpoint, 0);

    let stats = client.endpoint_stats();
    assert_eq!((stats[0].sent, stats[0].completed), (1, 1));
    assert_eq!(
        (stats[1].sent, stats[1].completed, stats[1].output_tokens),
        (3, 3, 6)
    );
}

#[tokio::test]
async fn a_refused_connection_is_retried_once_on_another_endpoint() {
    let dead = refused_port().await;
    let good = Canned::start(|_| vec![Step::Write(answer())]).await;
    let client = client(
        Backend::Sglang,
        &[format!("http://{dead}"), good.url()],
        |_| {},
    );

    // Both endpoints are idle, so round-robin order decides: the first try is endpoint 0.
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;
    let (_, _, done) = recorder.done();
    assert_eq!(done.endpoint, 1);
    assert_eq!(done.ids, [1, 2]);

    let stats = client.endpoint_stats();
    assert_eq!(
        (stats[0].sent, stats[0].retried_away, stats[0].failed),
        (1, 1, 0)
    );
    assert_eq!((stats[1].sent, stats[1].completed), (1, 1));
}

#[tokio::test]
async fn an_endpoint_that_refuses_three_times_in_a_row_is_down_and_skipped() {
    let dead = refused_port().await;
    let good = Canned::start(|_| vec![Step::Write(answer())]).await;
    let client = client(
        Backend::Sglang,
        &[format!("http://{dead}"), good.url()],
        |_| {},
    );

    for _ in 0..5 {
        let recorder = Recorder::default();
        client.send(request(true), recorder.clone()).await;
        assert_eq!(recorder.done().2.endpoint, 1);
    }
    let stats = client.endpoint_stats();
    assert_eq!(
        (
            stats[0].connect_failures,
            stats[0].retried_away,
            stats[0].down,
            stats[0].failed
        ),
        (
            ossperf_client::DOWN_AFTER_CONNECT_FAILURES as u64,
            3,
            true,
            0
        )
    );
    assert_eq!(
        (stats[1].sent, stats[1].completed, stats[1].down),
        (5, 5, false)
    );
}

#[tokio::test]
async fn a_connection_closed_before_any_answer_is_retried_elsewhere_but_only_once() {
    let closer = Canned::start(|_| vec![Step::Close]).await;
    let also_closer = Canned::start(|_| vec![Step::Close]).await;
    let client = client(Backend::Sglang, &[closer.url(), also_closer.url()], |_| {});

    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;
    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::Io);
    assert_eq!(failure.endpoint, Some(1));
    assert!(
        failure.message.starts_with(&format!(
            "connection to {}/generate failed before an answer",
            also_closer.url()
        )),
        "{}",
        failure.message
    );
    let stats = client.endpoint_stats();
    assert_eq!((stats[0].retried_away, stats[1].failed), (1, 1));
    assert_eq!(
        (closer.paths(), also_closer.paths()),
        (vec!["/generate".to_owned()], vec!["/generate".to_owned()])
    );
}

#[tokio::test]
async fn an_http_error_is_not_retried() {
    let failing = Canned::start(|_| {
        vec![Step::Write(crate::canned::response(
            503,
            "text/plain",
            "busy",
        ))]
    })
    .await;
    let good = Canned::start(|_| vec![Step::Write(answer())]).await;
    let client = client(Backend::Sglang, &[failing.url(), good.url()], |_| {});

    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;
    assert_eq!(recorder.failure().kind, ErrorKind::HttpStatus);
    assert_eq!(good.paths(), Vec::<String>::new());
}
