//! Each endpoint and framing against the shapes of docs/REFERENCE.md §8.

use ossperf_harmony::{special, tokenizer};
use ossperf_sim::{OutputLen, SimConfig, StreamFormat, Timing};
use serde_json::json;

use crate::http::{get, post, start};

fn zero(len: u32) -> SimConfig {
    SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(len),
        ..crate::http::every_token()
    }
}

fn ids(v: &serde_json::Value) -> Vec<u32> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_u64().unwrap() as u32)
        .collect()
}

#[test]
fn health_info_models_and_metrics_answer_like_sglang() {
    let sim = start(zero(20));
    let a = sim.addr();
    for path in ["/health", "/health_generate"] {
        let r = get(a, path);
        assert_eq!((r.status, r.body.len()), (200, 0), "{path}");
    }
    assert_eq!(
        get(a, "/get_model_info").json(),
        json!({"model_path": "openai/gpt-oss-120b", "tokenizer_path": "openai/gpt-oss-120b",
               "is_generation": true, "preferred_sampling_params": null, "weight_version": "default"})
    );
    let info = get(a, "/get_server_info").json();
    assert_eq!(
        (
            info["max_running_requests"].clone(),
            info["chunked_prefill_size"].clone()
        ),
        (json!(512), json!(16384))
    );
    assert_eq!(info["stream_interval"], json!(1));
    let models = get(a, "/v1/models").json();
    assert_eq!(
        (models["object"].clone(), models["data"][0]["id"].clone()),
        (json!("list"), json!("openai/gpt-oss-120b"))
    );
    let metrics = get(a, "/metrics");
    assert_eq!(
        metrics.header("content-type").as_deref(),
        Some("text/plain; version=0.0.4")
    );
    for name in [
        "num_running_reqs",
        "num_queue_reqs",
        "token_usage",
        "gen_throughput",
        "generation_tokens_total",
    ] {
        assert!(
            metrics.text().contains(&format!(
                "sglang:{name}{{model_name=\"openai/gpt-oss-120b\"}} "
            )),
            "{name}"
        );
    }
    assert_eq!(
        (get(a, "/nope").status, get(a, "/nope").json()),
        (404, json!({"detail": "Not Found"}))
    );
    assert_eq!(
        (get(a, "/generate").status, get(a, "/generate").json()),
        (405, json!({"detail": "Method Not Allowed"}))
    );
}

#[test]
fn a_non_streaming_generate_returns_every_id_with_stop_meta_info() {
    let sim = start(zero(40));
    let r = post(
        sim.addr(),
        "/generate",
        r#"{"input_ids":[1,2,3],"sampling_params":{"max_new_tokens":100,"temperature":1.0,"top_k":-1,"top_p":1.0}}"#,
    );
    assert_eq!(
        (r.status, r.header("content-type").as_deref()),
        (200, Some("application/json"))
    );
    let v = r.json();
    let out = ids(&v["output_ids"]);
    assert_eq!(out.len(), 40);
    assert_eq!(out.last(), Some(&special::RETURN));
    let meta = &v["meta_info"];
    let mut keys: Vec<_> = meta.as_object().unwrap().keys().cloned().collect();
    keys.sort();
    assert_eq!(
        keys,
        [
            "cached_tokens",
            "completion_tokens",
            "e2e_latency",
            "finish_reason",
            "id",
            "num_retractions",
            "prompt_tokens",
            "weight_version"
        ]
    );
    assert_eq!(
        meta["finish_reason"],
        json!({"type": "stop", "matched": 200002})
    );
    assert_eq!(
        (
            meta["prompt_tokens"].clone(),
            meta["completion_tokens"].clone()
        ),
        (json!(3), json!(40))
    );
    assert_eq!(meta["id"].as_str().map(str::len), Some(32));
    let text = tokenizer().decode(&out).unwrap();
    assert!(
        text.starts_with("<|channel|>analysis<|message|>")
            && text.contains("<|end|><|start|>assistant<|channel|>final<|message|>"),
        "{text}"
    );
    // `text` skips special tokens by default, as SGLang does.
    assert_eq!(
        v["text"].as_str(),
        Some(
            tokenizer()
                .decode_without_special_tokens(&out)
                .unwrap()
                .as_str()
        )
    );
}

#[test]
fn max_new_tokens_caps_the_output_with_a_length_finish_and_zero_is_allowed() {
    let sim = start(zero(40));
    let v = post(
        sim.addr(),
        "/generate",
        r#"{"input_ids":[5],"sampling_params":{"max_new_tokens":7},"rid":"abc"}"#,
    )
    .json();
    assert_eq!(ids(&v["output_ids"]).len(), 7);
    assert_eq!(
        v["meta_info"]["finish_reason"],
        json!({"type": "length", "length": 7})
    );
    assert_eq!(v["meta_info"]["id"], json!("abc"));
    let v = post(
        sim.addr(),
        "/generate",
        r#"{"input_ids":[5],"sampling_params":{"max_new_tokens":0}}"#,
    )
    .json();
    assert_eq!(
        (
            v["output_ids"].clone(),
            v["meta_info"]["finish_reason"].clone()
        ),
        (json!([]), json!({"type": "length", "length": 0}))
    );
}

#[test]
fn delta_streaming_sends_one_token_per_event_then_done() {
    let sim = start(zero(30));
    let r = post(
        sim.addr(),
        "/generate",
        r#"{"input_ids":[1,2],"sampling_params":{"max_new_tokens":1000},"stream":true}"#,
    );
    assert_eq!(
        (r.status, r.header("content-type").as_deref(), r.complete),
        (200, Some("text/event-stream"), true)
    );
    assert_eq!(r.events().last().map(String::as_str), Some("[DONE]"));
    let events = r.json_events();
    assert_eq!(events.len(), 30);
    let counts: Vec<u64> = events
        .iter()
        .map(|e| e["meta_info"]["completion_tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, (1..=30).collect::<Vec<u64>>());
    assert!(events[..29]
        .iter()
        .all(|e| e["meta_info"]["finish_reason"].is_null()));
    assert_eq!(
        events[29]["meta_info"]["finish_reason"],
        json!({"type": "stop", "matched": 200002})
    );
    let all: Vec<u32> = events.iter().flat_map(|e| ids(&e["output_ids"])).collect();
    assert_eq!(all.len(), 30);
    assert!(tokenizer().decode(&all).unwrap().ends_with("<|return|>"));
}

#[test]
fn cumulative_streaming_repeats_everything_so_far() {
    let sim = start(SimConfig {
        stream_format: StreamFormat::Cumulative,
        ..zero(12)
    });
    let events = post(
        sim.addr(),
        "/generate",
        r#"{"input_ids":[1],"stream":true}"#,
    )
    .json_events();
    let outs: Vec<Vec<u32>> = events.iter().map(|e| ids(&e["output_ids"])).collect();
    assert_eq!(
        outs.iter().map(Vec::len).collect::<Vec<_>>(),
        (1..=12).collect::<Vec<usize>>()
    );
    for w in outs.windows(2) {
        assert_eq!(&w[1][..w[0].len()], &w[0][..]);
    }
    let texts: Vec<&str> = events.iter().map(|e| e["text"].as_str().unwrap()).collect();
    assert!(texts.windows(2).all(|w| w[1].starts_with(w[0])));
}

#[test]
fn stream_interval_sends_the_first_token_alone_then_every_interval() {
    let sim = start(SimConfig {
        stream_interval: 5,
        ..zero(12)
    });
    let events = post(
        sim.addr(),
        "/generate",
        r#"{"input_ids":[1],"stream":true}"#,
    )
    .json_events();
    let counts: Vec<u64> = events
        .iter()
        .map(|e| e["meta_info"]["completion_tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, [1, 6, 11, 12]);
    let sizes: Vec<usize> = events
        .iter()
        .map(|e| e["output_ids"].as_array().unwrap().len())
        .collect();
    assert_eq!(sizes, [1, 5, 5, 1]);
}

#[test]
fn text_prompts_are_tokenized_for_prompt_tokens() {
    let sim = start(zero(10));
    let v = post(
        sim.addr(),
        "/generate",
        r#"{"text":"Hello world, how are you?"}"#,
    )
    .json();
    let n = tokenizer().encode("Hello world, how are you?").len();
    assert_eq!(v["meta_info"]["prompt_tokens"], json!(n));
}

#[test]
fn openai_completions_take_token_ids_and_report_usage() {
    let sim = start(zero(9));
    let v = post(
        sim.addr(),
        "/v1/completions",
        r#"{"model":"openai/gpt-oss-120b","prompt":[1,2,3,4],"max_tokens":50}"#,
    )
    .json();
    assert_eq!(v["object"], json!("text_completion"));
    assert_eq!(v["choices"][0]["finish_reason"], json!("stop"));
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 4, "total_tokens": 13, "completion_tokens": 9})
    );
    let r = post(
        sim.addr(),
        "/v1/completions",
        r#"{"prompt":[1,2],"max_tokens":5,"stream":true,"stream_options":{"include_usage":true}}"#,
    );
    let events = r.json_events();
    assert_eq!(events.len(), 6);
    assert_eq!(events[4]["choices"][0]["finish_reason"], json!("length"));
    assert_eq!(
        (
            events[5]["choices"].clone(),
            events[5]["usage"]["completion_tokens"].clone()
        ),
        (json!([]), json!(5))
    );
    assert!(events[..5].iter().all(|e| e["usage"].is_null()));
    assert_eq!(r.events().last().map(String::as_str), Some("[DONE]"));
}

#[test]
fn bad_input_gets_sglangs_status_and_error_body() {
    let sim = start(zero(10));
    let a = sim.addr();
    let r = post(a, "/generate", "{\"input_ids\": [1,");
    assert_eq!(r.status, 400);
    let v = r.json();
    assert_eq!(
        (v["object"].clone(), v["code"].clone(), v["type"].clone()),
        (json!("error"), json!(400), json!("Bad Request"))
    );
    let r = post(
        a,
        "/generate",
        r#"{"sampling_params":{"max_new_tokens":5}}"#,
    );
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"error": {"message": "Either text, input_ids or input_embeds should be provided."}})
        )
    );
    let r = post(a, "/generate", r#"{"input_ids":[1,300000]}"#);
    assert_eq!(r.status, 400);
    assert_eq!(
        r.json()["error"]["message"],
        json!("The input_ids contains token id 300000, outside the vocabulary [0, 201088).")
    );
    let r = post(
        a,
        "/generate",
        r#"{"input_ids":[1],"sampling_params":{"max_new_tokens":-1}}"#,
    );
    assert_eq!(
        (r.status, r.json()),
        (
            400,
            json!({"error": {"message": "max_new_tokens must be at least 0, got -1."}})
        )
    );
    // A stream reports the same errors as an event with status 200, as SGLang's generator does.
    let r = post(a, "/generate", r#"{"input_ids":[-3],"stream":true}"#);
    assert_eq!(r.status, 200);
    assert_eq!(r.events(), ["{\"error\":{\"message\":\"The input_ids contains token id -3, outside the vocabulary [0, 201088).\"}}", "[DONE]"]);
    // The server is still fine afterwards, and none of these reached the truth log.
    assert_eq!(post(a, "/generate", r#"{"input_ids":[1]}"#).status, 200);
    assert_eq!(sim.truth().len(), 1);
}
