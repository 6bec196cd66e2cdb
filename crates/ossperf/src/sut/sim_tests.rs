//! The SUT and client against the real simulator (`ossperf_sim`) over loopback: every sample's
//! whole output and the server's count reach LoadGen, for delta and cumulative streams, with
//! retractions, and for the OpenAI API; first tokens are never stamped before the simulator
//! sent them.

use std::sync::Arc;
use std::time::Duration;

use ossperf_client::{Backend, Client, ClientConfig, Endpoint, SamplingParams};
use ossperf_sim::{
    Faults, Outcome, OutputLen, Personality, SimConfig, SimHandle, Simulator, StreamFormat, Timing,
};

use super::tests::{samples, Call, Recording};
use super::*;

const TOKENS: u32 = 16;

fn simulator(format: StreamFormat, retract_rate: f64) -> SimHandle {
    simulator_with(
        format,
        Faults {
            retract_rate,
            ..Faults::default()
        },
    )
}

/// Current SGLang (which coalesces delta chunks a lagging reader missed; v0.5.x drops them)
/// streaming every token, in `format`.
fn simulator_with(format: StreamFormat, faults: Faults) -> SimHandle {
    Simulator::start(SimConfig {
        stream_interval: 1,
        timing: Timing::Fixed {
            ttft: Duration::from_millis(5),
            tpot: Duration::from_millis(1),
        },
        stream_format: format,
        output_len: OutputLen::Fixed(TOKENS),
        faults,
        ..SimConfig::for_personality(Personality::Sglang)
    })
    .unwrap()
}

/// A SUT whose prompt `i` has `3 + i` tokens, so the simulator's records map back to samples.
/// Only the test of stalled streams sets an idle timeout: a loaded machine can hold a healthy
/// stream's next read back for longer than any short one.
async fn sut(
    backend: Backend,
    url: &str,
    max_concurrency: usize,
    idle_timeout: Option<Duration>,
) -> GptOssSut {
    let mut config = ClientConfig::new(backend, vec![Endpoint::parse(url).unwrap()]);
    config.idle_timeout = idle_timeout;
    let client = Client::new(config).unwrap();
    assert!(client.health_check().await.unwrap().is_empty());
    let prompts: Vec<Arc<[u32]>> = (0..20u32)
        .map(|i| Arc::from(vec![200; 3 + i as usize]))
        .collect();
    GptOssSut::new(
        client,
        tokio::runtime::Handle::current(),
        Arc::new(prompts),
        SutConfig {
            name: "sim".into(),
            params: SamplingParams::default(),
            stream: true,
            max_concurrency: Some(max_concurrency),
            encode_text: false,
        },
    )
}

/// Whether the simulator answers `/v1/completions` with token ids when asked.
fn sim_returns_completion_ids(sim: &SimHandle) -> bool {
    sim.personality().completion_ids() != ossperf_sim::CompletionIds::None
}

/// Runs six samples and checks what LoadGen was told against the simulator's own record.
async fn run_and_check(backend: Backend, sim: &SimHandle) -> GptOssSut {
    let sut = sut(backend, &sim.url(), 3, None).await;
    let recording = Recording::default();
    sut.issue(&samples(&[0, 1, 2, 3, 4, 5]), &recording);
    let calls = recording.wait_for(6).await;
    let truth = sim.truth();
    assert_eq!(truth.len(), 6);
    for (k, record) in truth.iter().enumerate() {
        assert_eq!(record.completion_tokens, TOKENS, "simulator record {k}");
        let id = u64::from(record.prompt_tokens) - 3 + 1;
        let first = calls.iter().find_map(|c| match c {
            Call::First { id: i, data, at } if *i == id => Some((data.clone(), *at)),
            _ => None,
        });
        let complete = calls.iter().find_map(|c| match c {
            Call::Complete {
                id: i,
                data,
                n_tokens,
                at,
            } if *i == id => Some((data.clone(), *n_tokens, *at)),
            _ => None,
        });
        let ((first_data, first_at), (data, n_tokens, at)) = (first.unwrap(), complete.unwrap());
        assert_eq!(n_tokens, i64::from(TOKENS));
        let sent = record.first_token.unwrap();
        assert!(
            sent <= first_at && first_at <= at,
            "sent {sent:?}, first token {first_at:?}, completion {at:?}"
        );
        if backend == Backend::Sglang || sim_returns_completion_ids(sim) {
            assert_eq!(data.len(), 4 * TOKENS as usize);
            // The first chunk has the first token, and more when the server coalesced
            // chunks the client had not read yet (current SGLang's delta streams).
            assert!(!first_data.is_empty() && data.starts_with(&first_data));
        } else {
            assert_eq!((data.len(), first_data.len()), (0, 0));
        }
    }
    sut
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_streams_from_the_simulator_reach_loadgen_whole() {
    let sim = simulator(StreamFormat::Delta, 0.0);
    let sut = run_and_check(Backend::Sglang, &sim).await;
    assert!(sut
        .records()
        .iter()
        .all(|r| r.ids_consistent() && r.retractions() == 0));
    assert_eq!(sut.live().output_tokens, 6 * u64::from(TOKENS));
}

// SGLang re-prefills a retracted request and never lowers `completion_tokens`; it only counts
// the retraction in `meta_info` (`num_retractions`, `total_retractions` in v0.5.x), which the
// client reads (issue 19): each request here was retracted once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cumulative_streams_with_retractions_keep_every_token() {
    let sim = simulator(StreamFormat::Cumulative, 1.0);
    let sut = run_and_check(Backend::Sglang, &sim).await;
    assert!(sut
        .records()
        .iter()
        .all(|r| r.ids_consistent() && r.retractions() == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delta_streams_with_retractions_keep_every_token() {
    let sim = simulator(StreamFormat::Delta, 1.0);
    let sut = run_and_check(Backend::Sglang, &sim).await;
    assert!(sut
        .records()
        .iter()
        .all(|r| r.ids_consistent() && r.retractions() == 1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reference_launch_cumulative_every_500_tokens_reaches_loadgen_whole() {
    let sim = Simulator::start(SimConfig {
        timing: Timing::Fixed {
            ttft: Duration::from_millis(5),
            tpot: Duration::from_millis(1),
        },
        output_len: OutputLen::Fixed(TOKENS),
        ..SimConfig::default()
    })
    .unwrap();
    let sut = run_and_check(Backend::Sglang, &sim).await;
    assert!(sut.records().iter().all(|r| r.ids_consistent()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openai_api_of_sglang_054_gives_text_and_the_usage_count() {
    let sim = Simulator::start(SimConfig {
        timing: Timing::Fixed {
            ttft: Duration::from_millis(5),
            tpot: Duration::from_millis(1),
        },
        output_len: OutputLen::Fixed(TOKENS),
        ..SimConfig::for_personality(Personality::Sglang054)
    })
    .unwrap();
    let sut = run_and_check(Backend::Openai, &sim).await;
    assert!(sut
        .records()
        .iter()
        .all(|r| r.output_tokens() == u64::from(TOKENS)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openai_api_of_current_sglang_returns_token_ids() {
    let sim = simulator(StreamFormat::Delta, 0.0);
    let sut = run_and_check(Backend::Openai, &sim).await;
    assert!(sut
        .records()
        .iter()
        .all(|r| r.ids_consistent() && r.output_tokens() == u64::from(TOKENS)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_end_each_sample_once_with_the_matching_reason() {
    let sim = simulator_with(
        StreamFormat::Delta,
        Faults {
            error_rate: 0.2,
            disconnect_rate: 0.2,
            malformed_rate: 0.2,
            stall_rate: 0.2,
            ..Faults::default()
        },
    );
    // All at once, so the stalled requests time out together.
    let sut = sut(
        Backend::Sglang,
        &sim.url(),
        20,
        Some(Duration::from_secs(1)),
    )
    .await;
    let recording = Recording::default();
    let all: Vec<usize> = (0..20).collect();
    sut.issue(&samples(&all), &recording);
    let calls = recording.wait_for(20).await;
    // The simulator records a stream the client gave up on once it sees the connection go.
    let mut truth = sim.truth();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while truth.len() < 20 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(5)).await;
        truth = sim.truth();
    }
    assert_eq!(truth.len(), 20);
    let mut ends: Vec<u64> = calls
        .iter()
        .filter_map(|c| match c {
            Call::Complete { id, .. } | Call::Fail { id, .. } => Some(*id),
            Call::First { .. } => None,
        })
        .collect();
    ends.sort_unstable();
    assert_eq!(ends, (1..=20).collect::<Vec<u64>>());
    for record in &truth {
        let id = u64::from(record.prompt_tokens) - 3 + 1;
        let end = calls.iter().find(
            |c| matches!(c, Call::Complete { id: i, .. } | Call::Fail { id: i, .. } if *i == id),
        );
        let reason = match end {
            Some(Call::Fail { reason, .. }) => reason.split(':').next().unwrap_or(""),
            Some(Call::Complete { n_tokens, .. }) => {
                assert_eq!(*n_tokens, i64::from(TOKENS));
                "completed"
            }
            _ => unreachable!(),
        };
        let expected: &[&str] = match record.outcome {
            // A malformed event does not stop the simulator, which may finish sending first.
            Outcome::Completed => &["completed", "malformed_stream"],
            Outcome::Failed(500) => &["http_status"],
            // A stream can be both cut and malformed; whichever comes first decides.
            Outcome::Disconnected => &["io", "malformed_stream"],
            Outcome::Abandoned => &["malformed_stream", "timeout"],
            Outcome::Failed(_) => &[],
        };
        assert!(
            expected.contains(&reason),
            "{:?} ended as {reason}",
            record.outcome
        );
    }
    let failed: u64 = sut.failures().by_kind.iter().map(|(_, n)| n).sum();
    assert_eq!(failed, sut.live().failed);
    assert!(failed > 0 && sut.live().completed > 0);
}

/// The answer's channels as the SUT followed them equal the simulator's own counts, for every
/// stream shape, retractions included; each first answer token was stamped no earlier than the
/// simulator sent it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_answer_channels_match_the_simulators_plan_in_every_stream_shape() {
    for (format, retract) in [
        (StreamFormat::Delta, 0.0),
        (StreamFormat::Delta, 1.0),
        (StreamFormat::Cumulative, 1.0),
    ] {
        let sim = Simulator::start(SimConfig {
            stream_interval: 3,
            timing: Timing::Fixed {
                ttft: Duration::from_millis(5),
                tpot: Duration::from_millis(1),
            },
            stream_format: format,
            output_len: OutputLen::Fixed(60),
            faults: Faults {
                retract_rate: retract,
                ..Faults::default()
            },
            ..SimConfig::for_personality(Personality::Sglang)
        })
        .unwrap();
        let sut = sut(Backend::Sglang, &sim.url(), 3, None).await;
        let recording = Recording::default();
        sut.issue(&samples(&[0, 1, 2, 3]), &recording);
        recording.wait_for(4).await;
        let truth = sim.truth();
        assert_eq!(truth.len(), 4);
        for t in &truth {
            let record = sut
                .records()
                .into_iter()
                .find(|r| r.input_tokens() == u64::from(t.prompt_tokens))
                .expect("a record for each request");
            let answer = record.answer();
            assert_eq!(
                (
                    answer.status,
                    answer.reasoning_tokens,
                    answer.answer_tokens,
                    record.finish()
                ),
                (
                    AnswerStatus::Answered,
                    t.reasoning_tokens,
                    t.answer_tokens,
                    Some(ossperf_client::FinishReason::Stop)
                ),
                "{format:?} retractions {retract}"
            );
            assert!(t.reasoning_tokens > 0 && t.answer_tokens > 0);
            // The answer's read came no earlier than the simulator sent it: issued ≤ arrived
            // and sent ≤ read, so issue-to-read ≥ arrival-to-send (records hold whole µs).
            let before_end = answer.before_end.expect("a time");
            let latency = record.latency().expect("a latency");
            let sent = t.time_to_first_answer().expect("sent");
            assert!(
                latency - before_end + Duration::from_micros(1) >= sent,
                "{format:?}: read {:?} after issue, sent {sent:?} after arrival",
                latency - before_end
            );
        }
    }
}
