//! Each personality's routes, validation, chunk shapes and stream grouping, as a client sees
//! them (sources in `docs/SIMULATOR.md`).

use std::io::{Read, Write};
use std::time::Duration;

use ossperf_sim::{OutputLen, Personality, SimConfig, Speculative, StreamFormat, Timing};
use serde_json::json;

use crate::http::{get, post, start};

fn zero(p: Personality, len: u32) -> SimConfig {
    SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(len),
        ..SimConfig::for_personality(p)
    }
}

fn count(e: &serde_json::Value) -> u64 {
    e["meta_info"]["completion_tokens"].as_u64().unwrap()
}

const NATIVE: &str =
    r#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":10240},"stream":true}"#;

#[test]
fn the_default_streams_cumulative_ids_every_500_tokens_like_the_reference_launch() {
    let config = SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(1200),
        ..SimConfig::default()
    };
    assert_eq!(config.personality, Personality::Sglang054);
    let sim = start(config);
    let events = post(sim.addr(), "/generate", NATIVE).json_events();
    let counts: Vec<u64> = events.iter().map(count).collect();
    assert_eq!(counts, [1, 501, 1001, 1200]);
    let lens: Vec<usize> = events
        .iter()
        .map(|e| e["output_ids"].as_array().unwrap().len())
        .collect();
    assert_eq!(
        lens,
        [1, 501, 1001, 1200],
        "every chunk carries every id so far"
    );
    let with_latency: Vec<bool> = events
        .iter()
        .map(|e| e["meta_info"].get("e2e_latency").is_some())
        .collect();
    assert_eq!(with_latency, [false, false, false, true]);
    assert_eq!(events[0]["meta_info"]["total_retractions"], json!(0));
    let info = get(sim.addr(), "/get_server_info").json();
    assert_eq!(
        (
            &info["version"],
            &info["stream_interval"],
            &info["incremental_streaming_output"]
        ),
        (&json!("0.5.4.post2"), &json!(500), &json!(false))
    );
}

#[test]
fn eagle3_steps_jump_over_sglang_stream_points_so_chunks_are_uneven() {
    let sim = start(SimConfig {
        speculative: Some(Speculative::REFERENCE_EAGLE3),
        stream_interval: 10,
        ..zero(Personality::Sglang054, 200)
    });
    let counts: Vec<u64> = post(sim.addr(), "/generate", NATIVE)
        .json_events()
        .iter()
        .map(count)
        .collect();
    assert_eq!(counts.first(), Some(&1));
    assert_eq!(counts.last(), Some(&200));
    assert!(
        counts[..counts.len() - 1].iter().all(|c| c % 10 == 1),
        "{counts:?}"
    );
    assert!(
        counts.len() < 21,
        "some points were jumped over: {counts:?}"
    );
}

#[test]
fn routes_and_identity_follow_the_personality() {
    let cases = [
        (Personality::Sglang, "sglang", 200, 200, 200),
        (Personality::Sglang054, "sglang", 404, 200, 200),
        (Personality::Vllm, "vllm", 404, 404, 404),
        (Personality::VllmTextOnly, "vllm", 404, 404, 404),
        (Personality::Trtllm, "tensorrt_llm", 404, 404, 404),
    ];
    for (p, owner, model_info, get_model_info, generate) in cases {
        let sim = start(zero(p, 4));
        let a = sim.addr();
        let models = get(a, "/v1/models").json();
        assert_eq!(models["data"][0]["owned_by"], json!(owner), "{p:?}");
        assert_eq!(get(a, "/model_info").status, model_info, "{p:?}");
        assert_eq!(get(a, "/get_model_info").status, get_model_info, "{p:?}");
        assert_eq!(post(a, "/generate", NATIVE).status, generate, "{p:?}");
        assert_eq!(get(a, "/health").status, 200);
    }
}

#[test]
fn metrics_use_each_servers_names_and_format() {
    let text = |p| get(start(zero(p, 4)).addr(), "/metrics").text();
    assert!(text(Personality::Sglang054).contains("sglang:num_running_reqs{"));
    let vllm = text(Personality::Vllm);
    assert!(vllm.contains("vllm:num_requests_running{"), "{vllm}");
    assert!(vllm.contains("vllm:generation_tokens_total{"), "{vllm}");
    let trt: serde_json::Value = serde_json::from_str(&text(Personality::Trtllm)).unwrap();
    assert!(trt[0]["numActiveRequests"].is_u64(), "{trt}");
}

const COMPLETION: &str = r#"{"model":"openai/gpt-oss-120b","prompt":[5,6,7],"max_tokens":100,"stream":true,"stream_options":{"include_usage":true},"return_token_ids":true}"#;

#[test]
fn vllm_streams_token_id_deltas_prompt_ids_first_and_a_usage_only_last_chunk() {
    let sim = start(SimConfig {
        stream_interval: 1,
        ..zero(Personality::Vllm, 5)
    });
    let events = post(sim.addr(), "/v1/completions", COMPLETION).json_events();
    assert_eq!(events.len(), 6);
    let ids: Vec<usize> = events[..5]
        .iter()
        .map(|e| e["choices"][0]["token_ids"].as_array().unwrap().len())
        .collect();
    assert_eq!(ids, [1, 1, 1, 1, 1]);
    assert_eq!(
        events[0]["choices"][0]["prompt_token_ids"],
        json!([5, 6, 7])
    );
    assert!(events[1]["choices"][0].get("prompt_token_ids").is_none());
    assert!(events[..5].iter().all(|e| e.get("usage").is_none()));
    assert_eq!(events[4]["choices"][0]["finish_reason"], json!("stop"));
    assert_eq!(events[5]["choices"], json!([]));
    assert_eq!(events[5]["usage"]["completion_tokens"], json!(5));
}

#[test]
fn text_only_servers_ignore_return_token_ids() {
    for p in [Personality::VllmTextOnly, Personality::Sglang054] {
        let sim = start(zero(p, 5));
        let events = post(sim.addr(), "/v1/completions", COMPLETION).json_events();
        assert!(
            events.iter().all(|e| e["choices"]
                .get(0)
                .is_none_or(|c| c.get("token_ids").is_none())),
            "{p:?}"
        );
        assert_eq!(
            events.last().unwrap()["usage"]["completion_tokens"],
            json!(5)
        );
    }
}

#[test]
fn trtllm_refuses_unknown_fields_and_returns_ids_only_without_detokenizing() {
    let sim = start(zero(Personality::Trtllm, 3));
    let r = post(sim.addr(), "/v1/completions", COMPLETION);
    assert_eq!(r.status, 400);
    let message = r.json()["error"].as_str().unwrap().to_string();
    assert!(message.starts_with("1 validation error for CompletionRequest\nreturn_token_ids\n  Extra inputs are not permitted"), "{message}");
    let body = r#"{"model":"openai/gpt-oss-120b","prompt":[5],"max_tokens":9,"stream":true,"detokenize":false}"#;
    let events = post(sim.addr(), "/v1/completions", body).json_events();
    let choice = &events[0]["choices"][0];
    assert_eq!(
        (
            &choice["text"],
            choice["token_ids"].as_array().unwrap().len()
        ),
        (&json!(""), 1)
    );
    let no_model = post(sim.addr(), "/v1/completions", r#"{"prompt":[5]}"#);
    assert_eq!(no_model.status, 400);
    assert!(
        no_model.text().contains("model\\n  Field required"),
        "{}",
        no_model.text()
    );
}

#[test]
fn vllm_rejects_stream_options_without_stream_and_a_wrong_model() {
    let sim = start(zero(Personality::Vllm, 3));
    let r = post(
        sim.addr(),
        "/v1/completions",
        r#"{"model":"openai/gpt-oss-120b","prompt":[5],"stream_options":{"include_usage":true}}"#,
    );
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["message"],
        json!("Stream options can only be defined when `stream=True`.")
    );
    let r = post(
        sim.addr(),
        "/v1/completions",
        r#"{"model":"llama","prompt":[5]}"#,
    );
    assert_eq!(
        (r.status, &r.json()["error"]["type"]),
        (404, &json!("NotFoundError"))
    );
}

#[test]
fn a_full_sglang_queue_aborts_in_the_stream_with_status_503() {
    let sim = start(SimConfig {
        max_queued_requests: Some(0),
        max_running_requests: 0,
        ..zero(Personality::Sglang054, 3)
    });
    let r = post(sim.addr(), "/generate", NATIVE);
    assert_eq!(r.status, 200);
    let events = r.json_events();
    assert_eq!(events.len(), 1);
    let finish = &events[0]["meta_info"]["finish_reason"];
    assert_eq!(
        (&finish["type"], &finish["status_code"]),
        (&json!("abort"), &json!(503))
    );
    let whole = post(sim.addr(), "/generate", r#"{"input_ids":[1]}"#);
    assert_eq!(whole.status, 503);
    assert_eq!(whole.json()["message"], json!("The request queue is full."));
}

#[test]
fn sglang_054_drops_queued_deltas_when_the_reader_lags_and_current_sglang_coalesces_them() {
    // Every token exists 20 ms after arrival (tpot 0), so all are queued at the first poll.
    let lagging = |p| SimConfig {
        timing: Timing::Fixed {
            ttft: Duration::from_millis(20),
            tpot: Duration::ZERO,
        },
        stream_format: StreamFormat::Delta,
        stream_interval: 1,
        ..zero(p, 8)
    };
    let ids = |p| -> Vec<(usize, u64)> {
        let sim = start(lagging(p));
        post(sim.addr(), "/generate", NATIVE)
            .json_events()
            .iter()
            .map(|e| (e["output_ids"].as_array().unwrap().len(), count(e)))
            .collect()
    };
    assert_eq!(ids(Personality::Sglang054), [(1, 8)]);
    assert_eq!(ids(Personality::Sglang), [(8, 8)]);
}

#[test]
fn an_idle_keep_alive_connection_is_closed_by_the_server() {
    let sim = start(SimConfig {
        keep_alive: Some(Duration::from_millis(200)),
        ..zero(Personality::Sglang054, 3)
    });
    let mut s = std::net::TcpStream::connect(sim.addr()).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(b"GET /health HTTP/1.1\r\nHost: sim\r\n\r\n")
        .unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    // The connection stays open after the answer until it has been idle for the timeout;
    // the read then sees the server's close (0 bytes), not our 30 s read timeout.
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("the server never closed the idle connection: {e}"),
        }
    }
    assert!(got.starts_with(b"HTTP/1.1 200 OK\r\n"));
}
