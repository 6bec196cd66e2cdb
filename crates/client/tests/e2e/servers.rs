//! The client against servers that behave as each real one does (issue 19): the start-up
//! negotiation picks request fields nothing refuses, finds whether ids come back, and a wrong
//! key, kind or certificate is one clear message.

use ossperf_client::{Backend, IdsField, ServerKind, ServerProfile, TlsOptions};

use crate::canned::{response, Canned, Step};
use crate::personas::{Persona, IDS};
use crate::tlsfront::TlsFront;
use crate::{client, request, Recorder};

fn profile(
    kind: ServerKind,
    ids_field: IdsField,
    ids: bool,
    usage: bool,
    text: bool,
) -> ServerProfile {
    ServerProfile {
        endpoint: 0,
        kind,
        ids_field,
        ids,
        usage,
        text,
    }
}

/// Health check, negotiation, then `n` streamed and `n` whole requests; the completions.
async fn negotiate_and_send(
    server: &Canned,
    url: &str,
    tune: impl FnOnce(&mut ossperf_client::ClientConfig),
    n: usize,
) -> (Vec<ServerProfile>, Vec<crate::Done>) {
    let _ = server;
    let client = client(Backend::Openai, &[url.to_owned()], tune);
    client.health_check().await.unwrap();
    let profiles = client.negotiate(request(true).params, true).await.unwrap();
    let mut done = Vec::new();
    for stream in [true, false] {
        for _ in 0..n {
            let recorder = Recorder::default();
            client.send(request(stream), recorder.clone()).await;
            done.push(recorder.done().2);
        }
    }
    (profiles, done)
}

fn completion_bodies(server: &Canned) -> Vec<String> {
    server
        .received
        .lock()
        .unwrap()
        .iter()
        .filter(|r| r.path == "/v1/completions")
        .map(|r| r.body.clone())
        .collect()
}

#[tokio::test]
async fn a_trtllm_server_gets_detokenize_false_and_never_a_refused_request() {
    let server = Persona::Trtllm.start().await;
    let (profiles, done) = negotiate_and_send(&server, &server.url(), |_| {}, 3).await;
    assert_eq!(
        profiles,
        [profile(
            ServerKind::Trtllm,
            IdsField::NoDetokenize,
            true,
            true,
            false
        )]
    );
    assert_eq!(
        profiles[0].describe(),
        "trtllm, sends `detokenize: false`, answers with token ids and a token count"
    );
    assert!(done
        .iter()
        .all(|d| d.ids == IDS && d.count == 4 && d.consistent));
    // The probe and six run requests, each with the field trtllm-serve knows.
    let bodies = completion_bodies(&server);
    assert_eq!(bodies.len(), 7);
    assert!(bodies
        .iter()
        .all(|b| b.contains(r#""detokenize":false"#) && !b.contains("return_token_ids")));
}

#[tokio::test]
async fn an_unknown_strict_server_is_asked_again_without_the_field_and_runs_on_text() {
    let server = Persona::StrictUnknown.start().await;
    let (profiles, done) = negotiate_and_send(&server, &server.url(), |_| {}, 2).await;
    assert_eq!(
        profiles,
        [profile(
            ServerKind::Other,
            IdsField::None,
            false,
            true,
            true
        )]
    );
    assert!(done
        .iter()
        .all(|d| d.ids.is_empty() && d.count == 4 && !d.text.is_empty()));
    let bodies = completion_bodies(&server);
    // The refused first probe, the second, then four run requests without the field.
    assert_eq!(bodies.len(), 6);
    assert!(bodies[0].contains("return_token_ids"));
    assert!(bodies[1..].iter().all(|b| !b.contains("return_token_ids")));
}

#[tokio::test]
async fn a_current_vllm_returns_ids_and_an_old_one_text_with_usage() {
    let server = Persona::Vllm.start().await;
    let (profiles, done) = negotiate_and_send(&server, &server.url(), |_| {}, 1).await;
    assert_eq!(
        profiles,
        [profile(
            ServerKind::Vllm,
            IdsField::ReturnTokenIds,
            true,
            true,
            false
        )]
    );
    assert!(done.iter().all(|d| d.ids == IDS));

    let server = Persona::VllmTextOnly.start().await;
    let (profiles, done) = negotiate_and_send(&server, &server.url(), |_| {}, 1).await;
    assert_eq!(
        profiles,
        [profile(
            ServerKind::Vllm,
            IdsField::ReturnTokenIds,
            false,
            true,
            true
        )]
    );
    assert_eq!(
        profiles[0].describe(),
        "vllm, sends `return_token_ids: true`, answers with text only and a token count"
    );
    assert!(done.iter().all(|d| d.ids.is_empty()
        && d.count == 4
        && d.counted_by_server
        && d.text.starts_with("ab")));
}

#[tokio::test]
async fn a_server_with_neither_ids_nor_usage_is_found_out_at_start() {
    let server = Persona::Bare.start().await;
    let (profiles, done) = negotiate_and_send(&server, &server.url(), |_| {}, 1).await;
    assert_eq!(
        profiles,
        [profile(
            ServerKind::Other,
            IdsField::ReturnTokenIds,
            false,
            false,
            true
        )]
    );
    assert!(
        done.iter()
            .all(|d| !d.counted_by_server && d.text.starts_with("ab")),
        "{done:?}"
    );
}

#[tokio::test]
async fn a_server_with_neither_ids_nor_text_refuses_to_start() {
    let server = Persona::Mute.start().await;
    let client = client(Backend::Openai, &[server.url()], |_| {});
    client.health_check().await.unwrap();
    let err = client
        .negotiate(request(true).params, true)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{} answered the start-up generation with neither token ids nor text, so no output \
             could be recorded; the server must return `choices[].token_ids` (vLLM ≥ 0.10.2) or \
             `choices[].text`",
            server.url()
        )
    );
}

#[tokio::test]
async fn a_generation_the_server_refuses_is_one_message_at_start() {
    let server = Canned::start(|r| match r.path.as_str() {
        "/v1/completions" => vec![Step::Write(response(
            404,
            "application/json",
            r#"{"error":{"message":"The model `gpt-oss-120b` does not exist."}}"#,
        ))],
        _ => Persona::Vllm.answer(r),
    })
    .await;
    let client = client(Backend::Openai, &[server.url()], |_| {});
    client.health_check().await.unwrap();
    let err = client
        .negotiate(request(false).params, false)
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{} refused the start-up generation: with `return_token_ids: true`: HTTP 404: \
             {{\"error\":{{\"message\":\"The model `gpt-oss-120b` does not exist.\"}}}}",
            server.url()
        )
    );
}

#[tokio::test]
async fn an_old_sglang_answers_model_info_at_the_deprecated_path() {
    let server = Canned::start(|r| match r.path.as_str() {
        "/health" => vec![Step::Write(response(200, "text/plain", ""))],
        "/get_model_info" => vec![Step::Write(response(
            200,
            "application/json",
            r#"{"model_path":"openai/gpt-oss-120b"}"#,
        ))],
        _ => vec![Step::Write(response(
            404,
            "application/json",
            r#"{"detail":"Not Found"}"#,
        ))],
    })
    .await;
    let client = client(Backend::Sglang, &[server.url()], |_| {});
    assert!(client.health_check().await.unwrap().is_empty());
    assert_eq!(
        server.paths(),
        ["/health", "/model_info", "/get_model_info"]
    );
}

/// An OpenAI server that wants `Authorization: Bearer sk-test` and `X-Tenant: t1` on its
/// `/v1` routes (`/health` is exempt, as in SGLang and vLLM).
async fn keyed_server() -> Canned {
    Canned::start(|r| {
        let keyed = r.header("authorization") == Some("Bearer sk-test")
            && r.header("x-tenant") == Some("t1");
        if r.path.starts_with("/v1") && !keyed {
            return vec![Step::Write(response(
                401,
                "application/json",
                r#"{"error":"Unauthorized"}"#,
            ))];
        }
        Persona::Vllm.answer(r)
    })
    .await
}

fn keyed(ca: Option<&TlsFront>, key: &str) -> impl FnOnce(&mut ossperf_client::ClientConfig) {
    let ca_certs = ca.map(|f| vec![f.ca_file.clone()]).unwrap_or_default();
    let key = key.to_owned();
    move |c| {
        c.api_key = Some(key);
        c.headers = vec![("X-Tenant".to_owned(), "t1".to_owned())];
        c.tls = TlsOptions {
            ca_certs,
            insecure: false,
        };
    }
}

#[tokio::test]
async fn an_https_server_with_a_key_gets_the_key_and_headers_on_every_request() {
    let server = keyed_server().await;
    let front = TlsFront::start(server.addr).await;
    let (profiles, done) =
        negotiate_and_send(&server, &front.url(), keyed(Some(&front), "sk-test"), 2).await;
    assert_eq!(
        profiles,
        [profile(
            ServerKind::Vllm,
            IdsField::ReturnTokenIds,
            true,
            true,
            false
        )]
    );
    assert!(done.iter().all(|d| d.ids == IDS));
    let received = server.received.lock().unwrap().clone();
    assert_eq!(received.len(), 7);
    assert!(received
        .iter()
        .all(|r| r.header("authorization") == Some("Bearer sk-test")
            && r.header("x-tenant") == Some("t1")));
}

#[tokio::test]
async fn a_wrong_key_is_one_authentication_message() {
    let server = keyed_server().await;
    let client = client(Backend::Openai, &[server.url()], keyed(None, "sk-wrong"));
    assert_eq!(
        client.health_check().await.unwrap_err().to_string(),
        format!(
            "{} refused the credentials: `GET /v1/models` answered HTTP 401; check `--api-key` \
             (or `OPENAI_API_KEY`) and `--header`",
            server.url()
        )
    );
}

#[tokio::test]
async fn an_untrusted_certificate_is_named_and_insecure_accepts_it() {
    let server = Persona::Vllm.start().await;
    let front = TlsFront::start(server.addr).await;
    let strict = client(Backend::Openai, &[front.url()], |_| {});
    assert_eq!(
        strict.health_check().await.unwrap_err().to_string(),
        format!(
            "{} is unreachable: cannot connect: TLS: invalid peer certificate: UnknownIssuer",
            front.url()
        )
    );
    let insecure = client(Backend::Openai, &[front.url()], |c| c.tls.insecure = true);
    assert!(insecure.health_check().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_ca_file_without_certificates_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.pem");
    std::fs::write(&path, "not a certificate\n").unwrap();
    let endpoints = vec![ossperf_client::Endpoint::parse("https://127.0.0.1:1").unwrap()];
    let mut config = ossperf_client::ClientConfig::new(Backend::Openai, endpoints);
    config.tls.ca_certs = vec![path.clone()];
    let err = ossperf_client::Client::new(config).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "`--ca-cert {}`: no `-----BEGIN CERTIFICATE-----` block, expected PEM certificates",
            path.display()
        )
    );
}
