//! Ground truth under fixed and batched timing. Only lower bounds are asserted: a token can never
//! leave before its planned time, whatever the machine's load.

use std::time::Duration;

use ossperf_sim::{CostModel, Outcome, OutputLen, SimConfig, Timing};

use crate::http::{post, start};

#[test]
fn fixed_timing_truth_never_beats_the_planned_ttft_and_tpot() {
    let timing = Timing::Fixed {
        ttft: Duration::from_millis(50),
        tpot: Duration::from_millis(10),
    };
    // Cumulative: a delta stream would coalesce tokens this loaded machine was late to send.
    let sim = start(SimConfig {
        timing,
        output_len: OutputLen::Fixed(6),
        stream_format: ossperf_sim::StreamFormat::Cumulative,
        ..crate::http::every_token()
    });
    let r = post(
        sim.addr(),
        "/generate",
        r#"{"input_ids":[1,2,3],"stream":true}"#,
    );
    assert_eq!(r.json_events().len(), 6);
    let truth = sim.truth();
    assert_eq!(truth.len(), 1);
    let t = &truth[0];
    assert_eq!(
        (t.outcome, t.completion_tokens, t.prompt_tokens),
        (Outcome::Completed, 6, 3)
    );
    assert!(
        t.ttft().unwrap() >= Duration::from_millis(50),
        "{:?}",
        t.ttft()
    );
    // The last of six tokens leaves no earlier than TTFT + 5 TPOT after arrival. (The measured
    // TPOT itself may be below 10 ms when the first token left late.)
    let last = t.finished.unwrap() - t.arrived;
    assert!(last >= Duration::from_millis(100), "{last:?}");
}

#[test]
fn a_batched_request_beyond_the_running_limit_waits_for_a_slot() {
    let config = SimConfig {
        timing: Timing::Batched(CostModel::H100),
        max_running_requests: 1,
        output_len: OutputLen::Fixed(20),
        // Cumulative: a delta stream would coalesce tokens this loaded machine was late to send.
        stream_format: ossperf_sim::StreamFormat::Cumulative,
        ..crate::http::every_token()
    };
    let sim = start(config);
    let addr = sim.addr();
    let threads: Vec<_> = (0..2)
        .map(|_| {
            std::thread::spawn(move || {
                post(
                    addr,
                    "/generate",
                    r#"{"input_ids":[1,2,3,4],"stream":true}"#,
                )
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap().json_events().len(), 20);
    }
    let mut truth = sim.truth();
    truth.sort_by_key(|t| t.seq);
    assert_eq!(truth.len(), 2);
    // The second request is prefilled only after the first has left the batch.
    assert!(truth[1].first_token.unwrap() >= truth[0].finished.unwrap());
    // Twenty decode steps of at least the H100's 5 ms base cost.
    assert!(truth[0].finished.unwrap() - truth[0].arrived >= Duration::from_millis(100));
}

#[test]
fn the_truth_log_has_one_json_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("truth.jsonl");
    let sim = start(SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(3),
        truth_log: Some(path.clone()),
        ..crate::http::every_token()
    });
    for _ in 0..3 {
        post(
            sim.addr(),
            "/generate",
            r#"{"input_ids":[9],"stream":true}"#,
        );
    }
    sim.shutdown();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 3);
    assert!(lines
        .iter()
        .all(|l| l["outcome"] == "completed" && l["completion_tokens"] == 3));
}

#[test]
fn record_sends_keeps_each_frames_time_and_token_count() {
    let timing = Timing::Fixed {
        ttft: Duration::from_millis(5),
        tpot: Duration::from_millis(2),
    };
    let sim = start(SimConfig {
        timing,
        output_len: OutputLen::Fixed(12),
        stream_interval: 5,
        record_sends: true,
        ..crate::http::every_token()
    });
    post(
        sim.addr(),
        "/generate",
        r#"{"input_ids":[1],"stream":true}"#,
    );
    let t = &sim.truth()[0];
    let counts: Vec<u32> = t.sends.iter().map(|s| s.1).collect();
    assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
    assert_eq!((counts.first(), counts.last()), (Some(&1), Some(&12)));
    assert_eq!(
        (t.sends[0].0, t.sends.last().map(|s| s.0)),
        (t.first_token.unwrap(), t.finished)
    );
}
