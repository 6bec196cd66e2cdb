//! The HTTP/1.1 transport: bodies cut at every byte, the three ways a body ends, and keep-alive
//! connections the server closed while they were idle.

use std::time::Duration;

use ossperf_client::{Backend, ErrorKind, FinishReason};

use crate::canned::{chunk, last_chunk, response, sglang_event, sse_head, Canned, Step};
use crate::{client, request, Recorder};

/// `bytes` as one write per `piece` bytes, with a short pause between, so every boundary of
/// the chunked framing (size lines, CRLFs, data) falls inside some read.
fn trickle(bytes: &[u8], piece: usize) -> Vec<Step> {
    bytes
        .chunks(piece)
        .flat_map(|p| {
            [
                Step::Write(p.to_vec()),
                Step::Pause(Duration::from_millis(1)),
            ]
        })
        .collect()
}

#[tokio::test]
async fn a_chunked_stream_cut_at_every_few_bytes_gives_the_same_answer() {
    let answer = [
        sse_head(),
        chunk(&sglang_event(&[10], 1, "null")),
        // Two events in one chunk, then a chunk with an extension and a trailer at the end.
        chunk(
            &[
                sglang_event(&[10, 11], 2, "null"),
                sglang_event(&[10, 11, 12], 3, "null"),
            ]
            .concat(),
        ),
        format!("{:X};ext=1\r\n", 14).into_bytes(),
        b"data: [DONE]\n\n\r\n".to_vec(),
        b"0\r\nX-Trailer: 1\r\n\r\n".to_vec(),
    ]
    .concat();
    for piece in [1, 2, 3, 7, 64] {
        let steps = trickle(&answer, piece);
        let server = Canned::start(move |_| steps.clone()).await;
        let client = client(Backend::Sglang, &[server.url()], |_| {});
        for _ in 0..2 {
            let recorder = Recorder::default();
            client.send(request(true), recorder.clone()).await;
            let (_, first_ids, done) = recorder.done();
            assert_eq!(first_ids, [10], "pieces of {piece}");
            assert_eq!(
                (done.ids, done.count),
                (vec![10, 11, 12], 3),
                "pieces of {piece}"
            );
        }
        // The body was read to its last chunk, so the connection carried both requests.
        assert_eq!(*server.connections.lock().unwrap(), 1, "pieces of {piece}");
    }
}

#[tokio::test]
async fn length_and_close_delimited_bodies_are_read_to_their_end() {
    let json = r#"{"text":"t","output_ids":[5,6],"meta_info":{"finish_reason":{"type":"length"},"completion_tokens":2}}"#;
    let with_length = response(200, "application/json", json);
    let until_close =
        format!("HTTP/1.0 200 OK\r\ncontent-type: application/json\r\n\r\n{json}").into_bytes();
    for (answer, connections) in [(with_length, 1), (until_close, 2)] {
        let mut steps = trickle(&answer, 5);
        if connections == 2 {
            steps.push(Step::Close);
        }
        let server = Canned::start(move |_| steps.clone()).await;
        let client = client(Backend::Sglang, &[server.url()], |_| {});
        for _ in 0..2 {
            let recorder = Recorder::default();
            client.send(request(false), recorder.clone()).await;
            let done = recorder.done().2;
            assert_eq!((done.ids, done.finish), (vec![5, 6], FinishReason::Length));
        }
        // A body that ends with the connection cannot be followed by another request on it.
        assert_eq!(*server.connections.lock().unwrap(), connections);
    }
}

#[tokio::test]
async fn a_keep_alive_connection_closed_while_idle_is_replaced_without_a_failure() {
    // The server answers and closes each connection without saying so, as a server whose
    // keep-alive timeout passed does.
    let server = Canned::start(|_| {
        vec![
            Step::Write(response(
                200,
                "application/json",
                r#"{"output_ids":[7],"meta_info":{"finish_reason":{"type":"stop"},"completion_tokens":1}}"#,
            )),
            Step::Close,
        ]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    for _ in 0..3 {
        let recorder = Recorder::default();
        client.send(request(false), recorder.clone()).await;
        assert_eq!(recorder.done().2.ids, [7]);
    }
    let stats = &client.endpoint_stats()[0];
    assert_eq!((stats.sent, stats.completed, stats.failed), (3, 3, 0));
    assert_eq!(*server.connections.lock().unwrap(), 3);
}

#[tokio::test]
async fn a_chunk_longer_than_its_size_is_a_protocol_failure() {
    let server = Canned::start(|_| {
        vec![Step::Write(
            [sse_head(), b"3\r\ndata: x\n\n\r\n".to_vec(), last_chunk()].concat(),
        )]
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;
    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::Protocol);
    assert_eq!(
        failure.message,
        format!(
            "HTTP protocol error: chunk data longer than its size ({}/generate)",
            server.url()
        )
    );
}

#[tokio::test]
async fn an_answer_that_is_not_http_is_a_protocol_failure_naming_it() {
    let server = Canned::start(|_| vec![Step::Write(b"SSH-2.0-OpenSSH_9.6\r\n".to_vec())]).await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let recorder = Recorder::default();
    client.send(request(true), recorder.clone()).await;
    let failure = recorder.failure();
    assert_eq!(failure.kind, ErrorKind::Protocol);
    assert_eq!(
        failure.message,
        format!(
            "bad response from {}/generate: unparsable response head (invalid HTTP version)",
            server.url()
        )
    );
}
