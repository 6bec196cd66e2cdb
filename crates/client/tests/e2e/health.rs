//! The start-up health check: one clear message per bad endpoint.

use ossperf_client::Backend;

use crate::canned::{refused_port, response, sglang_health, Canned, Step};
use crate::{client, request, Recorder};

#[tokio::test]
async fn an_sglang_server_passes_its_health_check() {
    let server = Canned::start(|r| sglang_health(r).unwrap_or_default()).await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let warnings = client.health_check().await.unwrap();
    assert!(warnings.is_empty());
    assert_eq!(server.paths(), ["/health", "/model_info"]);
    assert!(server
        .received
        .lock()
        .unwrap()
        .iter()
        .all(|r| r.method == "GET"));
}

#[tokio::test]
async fn an_unreachable_url_is_named_in_the_error() {
    let addr = refused_port().await;
    let client = client(Backend::Sglang, &[format!("http://{addr}")], |_| {});
    let message = client.health_check().await.unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("http://{addr} is unreachable: ")),
        "{message}"
    );
}

#[tokio::test]
async fn a_server_that_is_not_sglang_is_named_with_what_it_answered() {
    let server = Canned::start(|r| match r.path.as_str() {
        "/health" => vec![Step::Write(response(200, "text/plain", "ok"))],
        _ => vec![Step::Write(response(404, "text/plain", "not found"))],
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    assert_eq!(
        client.health_check().await.unwrap_err().to_string(),
        format!(
            "{} does not look like an SGLang server: `GET /get_model_info` answered HTTP 404",
            server.url()
        )
    );

    let openai = self::client(Backend::Openai, &[server.url()], |_| {});
    assert_eq!(
        openai.health_check().await.unwrap_err().to_string(),
        format!(
            "{} does not look like an OpenAI-compatible server: `GET /v1/models` answered HTTP 404",
            server.url()
        )
    );
}

#[tokio::test]
async fn an_openai_server_lends_its_model_name_to_requests() {
    let server = Canned::start(|r| match r.path.as_str() {
        "/health" => vec![Step::Write(response(200, "text/plain", ""))],
        "/v1/models" => vec![Step::Write(response(
            200,
            "application/json",
            r#"{"object":"list","data":[{"id":"openai/gpt-oss-120b","object":"model"}]}"#,
        ))],
        _ => vec![Step::Write(response(
            200,
            "application/json",
            r#"{"choices":[{"text":"x","token_ids":[3,4],"finish_reason":"stop"}],"usage":{"completion_tokens":2}}"#,
        ))],
    })
    .await;
    let client = client(Backend::Openai, &[server.url()], |_| {});
    client.health_check().await.unwrap();
    let recorder = Recorder::default();
    client.send(request(false), recorder.clone()).await;
    assert_eq!(recorder.done().2.ids, [3, 4]);
    let body = server.received.lock().unwrap()[2].body.clone();
    assert!(
        body.starts_with(r#"{"model":"openai/gpt-oss-120b","prompt":[1,2,3]"#),
        "{body}"
    );
}

#[tokio::test]
async fn an_unhealthy_endpoint_is_taken_out_with_a_warning_and_gets_no_requests() {
    let addr = refused_port().await;
    let good = Canned::start(|r| {
        sglang_health(r).unwrap_or_else(|| {
            vec![Step::Write(response(
                200,
                "application/json",
                r#"{"output_ids":[9],"meta_info":{"finish_reason":{"type":"stop"},"completion_tokens":1}}"#,
            ))]
        })
    })
    .await;
    let client = client(
        Backend::Sglang,
        &[format!("http://{addr}"), good.url()],
        |_| {},
    );
    let warnings = client.health_check().await.unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].endpoint, 0);
    for _ in 0..2 {
        let recorder = Recorder::default();
        client.send(request(false), recorder.clone()).await;
        assert_eq!(recorder.done().2.endpoint, 1);
    }
    let stats = client.endpoint_stats();
    assert_eq!((stats[0].healthy, stats[0].sent), (false, 0));
    assert_eq!((stats[1].healthy, stats[1].sent), (true, 2));
}

#[tokio::test]
async fn when_every_endpoint_is_down_the_error_lists_them_all() {
    let a = refused_port().await;
    let b = refused_port().await;
    let client = client(
        Backend::Sglang,
        &[format!("http://{a}"), format!("http://{b}")],
        |_| {},
    );
    let message = client.health_check().await.unwrap_err().to_string();
    assert!(
        message.starts_with(&format!("no healthy endpoint: http://{a} is unreachable: ")),
        "{message}"
    );
    assert!(
        message.contains(&format!("; http://{b} is unreachable: ")),
        "{message}"
    );
}

#[tokio::test]
async fn a_server_that_is_still_starting_is_not_ready_until_it_answers() {
    let calls = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let seen = calls.clone();
    let server = Canned::start(move |r| {
        let starting =
            r.path == "/health" && seen.fetch_add(1, std::sync::atomic::Ordering::SeqCst) < 2;
        if starting {
            return vec![Step::Write(response(503, "text/plain", "loading"))];
        }
        sglang_health(r).unwrap_or_default()
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    assert_eq!(
        client.health_check().await.unwrap_err().to_string(),
        format!(
            "{} is not ready: `GET /health` answered HTTP 503",
            server.url()
        )
    );
    let warnings = client
        .wait_until_healthy(std::time::Duration::from_secs(20))
        .await
        .unwrap();
    assert!(warnings.is_empty());
    assert_eq!(calls.load(std::sync::atomic::Ordering::SeqCst), 3);
}

#[tokio::test]
async fn waiting_does_not_retry_a_server_of_the_wrong_kind() {
    let server = Canned::start(|r| match r.path.as_str() {
        "/health" => vec![Step::Write(response(200, "text/plain", ""))],
        _ => vec![Step::Write(response(200, "application/json", "{}"))],
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    let err = client
        .wait_until_healthy(std::time::Duration::from_secs(20))
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{} does not look like an SGLang server: `GET /model_info` answered `{{}}`, expected JSON with `model_path`",
            server.url()
        )
    );
    assert_eq!(server.paths(), ["/health", "/model_info"]);
}

#[tokio::test]
async fn a_side_channel_get_reads_status_and_body_on_the_base_path_and_refuses_a_big_body() {
    let server = Canned::start(|r| {
        let body = if r.path == "/base/metrics" {
            "up 1\n"
        } else {
            "a longer page"
        };
        vec![Step::Write(response(200, "text/plain", body))]
    })
    .await;
    let endpoint = ossperf_client::Endpoint::parse(&format!("{}/base", server.url())).unwrap();
    let limit = std::time::Duration::from_secs(5);
    let answer = ossperf_client::get(&endpoint, "/metrics", limit, 1024)
        .await
        .unwrap();
    assert_eq!((answer.status, answer.body), (200, b"up 1\n".to_vec()));
    let err = ossperf_client::get(&endpoint, "/other", limit, 4)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}/base is unreachable: `GET /other` answered more than 4 bytes",
            server.url()
        )
    );
    assert_eq!(server.paths(), ["/base/metrics", "/base/other"]);
}
