//! Each injected fault, as a client sees it.

use std::time::Duration;

use ossperf_sim::{Faults, Outcome, OutputLen, Personality, SimConfig, Timing};
use serde_json::json;

use crate::http::{get, post, request, start};

fn with(faults: Faults) -> SimConfig {
    SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(20),
        faults,
        ..crate::http::every_token()
    }
}

const STREAM: &str = r#"{"input_ids":[1,2],"stream":true}"#;

#[test]
fn an_error_share_of_one_fails_every_request_with_the_chosen_status() {
    let sim = start(with(Faults {
        error_rate: 1.0,
        error_status: 503,
        ..Faults::default()
    }));
    let r = post(sim.addr(), "/generate", STREAM);
    assert_eq!(
        (r.status, r.json()),
        (503, json!({"error": {"message": "simulated failure"}}))
    );
    assert_eq!(sim.truth()[0].outcome, Outcome::Failed(503));
}

#[test]
fn a_disconnect_cuts_the_stream_halfway_without_done() {
    let sim = start(with(Faults {
        disconnect_rate: 1.0,
        ..Faults::default()
    }));
    let r = post(sim.addr(), "/generate", STREAM);
    assert!(!r.complete);
    assert!(!r.events().contains(&"[DONE]".to_string()));
    assert_eq!(r.json_events().len(), 10);
    assert_eq!(sim.truth()[0].outcome, Outcome::Disconnected);
}

#[test]
fn a_stall_sends_headers_and_then_nothing() {
    let sim = start(with(Faults {
        stall_rate: 1.0,
        ..Faults::default()
    }));
    let r = request(
        sim.addr(),
        "POST",
        "/generate",
        Some(STREAM),
        Duration::from_millis(300),
    );
    assert_eq!((r.status, r.body.len()), (200, 0));
}

#[test]
fn a_malformed_event_is_truncated_json_between_good_ones() {
    let sim = start(with(Faults {
        malformed_rate: 1.0,
        ..Faults::default()
    }));
    let events = post(sim.addr(), "/generate", STREAM).events();
    let bad: Vec<&String> = events
        .iter()
        .filter(|e| *e != "[DONE]" && serde_json::from_str::<serde_json::Value>(e).is_err())
        .collect();
    assert_eq!(bad, ["{\"text\":\""]);
    assert_eq!(events.len(), 22);
}

#[test]
fn a_retraction_is_counted_in_meta_info_and_completion_tokens_never_go_back() {
    // SGLang re-prefills a retracted request with its output so far (`reset_for_retract`).
    let sim = start(with(Faults {
        retract_rate: 1.0,
        ..Faults::default()
    }));
    let events = post(sim.addr(), "/generate", STREAM).json_events();
    let counts: Vec<u64> = events
        .iter()
        .map(|e| e["meta_info"]["completion_tokens"].as_u64().unwrap())
        .collect();
    assert_eq!(counts, (1..=20).collect::<Vec<u64>>());
    let retractions: Vec<u64> = events
        .iter()
        .map(|e| e["meta_info"]["num_retractions"].as_u64().unwrap())
        .collect();
    assert_eq!(&retractions[..5], &[0, 0, 0, 1, 1]);
    let v054 = start(SimConfig {
        personality: Personality::Sglang054,
        ..with(Faults {
            retract_rate: 1.0,
            ..Faults::default()
        })
    });
    let events = post(v054.addr(), "/generate", STREAM).json_events();
    assert_eq!(
        events.last().unwrap()["meta_info"]["total_retractions"],
        json!(1)
    );
}

/// A reader that lags gets current SGLang's delta chunks merged; the merged chunk still carries
/// the retraction of an event it passed over. With no time between tokens every token is ready
/// at the first read, which is the laggiest reader there is, on any machine.
#[test]
fn a_retraction_survives_when_a_lagging_readers_chunks_are_merged() {
    let sim = start(SimConfig {
        timing: Timing::Fixed {
            ttft: Duration::from_millis(1),
            tpot: Duration::ZERO,
        },
        ..with(Faults {
            retract_rate: 1.0,
            ..Faults::default()
        })
    });
    let events = post(sim.addr(), "/generate", STREAM).json_events();
    let meta: Vec<(u64, u64, usize)> = events
        .iter()
        .map(|e| {
            (
                e["meta_info"]["completion_tokens"].as_u64().unwrap(),
                e["meta_info"]["num_retractions"].as_u64().unwrap(),
                e["output_ids"].as_array().unwrap().len(),
            )
        })
        .collect();
    assert_eq!(meta, [(20, 1, 20)]);
}

/// The same for a malformed event: when the merged chunk is the whole stream, the truncated
/// event comes before it.
#[test]
fn a_malformed_event_survives_when_a_lagging_readers_chunks_are_merged() {
    let sim = start(SimConfig {
        timing: Timing::Fixed {
            ttft: Duration::from_millis(1),
            tpot: Duration::ZERO,
        },
        ..with(Faults {
            malformed_rate: 1.0,
            ..Faults::default()
        })
    });
    let events = post(sim.addr(), "/generate", STREAM).events();
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(events[0], "{\"text\":\"");
    let whole: serde_json::Value = serde_json::from_str(&events[1]).unwrap();
    assert_eq!(whole["output_ids"].as_array().map(Vec::len), Some(20));
    assert_eq!(events[2], "[DONE]");
}

#[test]
fn a_slow_start_answers_503_on_health_and_still_serves_generation() {
    // SGLang's `Starting` state: `/health` is 503 until its warm-up request has answered,
    // while `/generate` is served (the warm-up is one).
    let sim = start(with(Faults {
        slow_start: Duration::from_secs(600),
        ..Faults::default()
    }));
    assert_eq!(get(sim.addr(), "/health").status, 503);
    assert_eq!(
        post(sim.addr(), "/generate", STREAM).json_events().len(),
        20
    );
}

#[test]
fn while_loading_the_port_refuses_connections_then_it_listens() {
    let sim = start(with(Faults {
        loading: Duration::from_millis(300),
        ..Faults::default()
    }));
    let refused = std::net::TcpStream::connect(sim.addr()).map_err(|e| e.kind());
    assert_eq!(refused.err(), Some(std::io::ErrorKind::ConnectionRefused));
    // Waiting is a condition here, not a timing assertion: poll until it listens.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(sim.addr()).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "never started listening"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(get(sim.addr(), "/health").status, 200);
}

#[test]
fn exit_after_stops_the_server_after_that_many_requests() {
    let sim = start(with(Faults {
        exit_after: Some(2),
        ..Faults::default()
    }));
    let addr = sim.addr();
    assert_eq!(post(addr, "/generate", STREAM).status, 200);
    assert_eq!(post(addr, "/generate", STREAM).json_events().len(), 20);
    sim.wait();
    assert!(std::net::TcpStream::connect(addr).is_err());
}
