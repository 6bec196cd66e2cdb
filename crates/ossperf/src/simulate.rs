//! `ossperf simulate`: the simulated server (SGLang, vLLM or trtllm-serve: `--personality`) as a
//! standalone process, with SGLang's launch
//! flags where they exist (`--host`, `--port`, `--max-running-requests`, `--chunked-prefill-size`,
//! `--stream-interval`), a timing profile, answers that can be scored and fault injection.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ossperf_sim::{
    CostModel, Faults, OutputLen, ReferenceRow, ReferenceSet, SimConfig, Speculative, StreamFormat,
    Timing,
};

use crate::cli::simulate::{ProfileArg, SimulateArgs, StreamOutputArg};
use crate::output;

/// Columns that hold a reference answer's length (docs/REFERENCE.md §1.3), in order of preference.
const LENGTH_COLUMNS: [&str; 9] = [
    "output_len",
    "output_length",
    "num_output_tokens",
    "target_len",
    "output_token_ids",
    "target_token_ids",
    "output_tokens",
    "expected_output_token_ids",
    "tok_output_len",
];

/// Row `i`'s reference output length from the first length column `dataset` has.
fn output_len(dataset: &ossperf_dataset::Dataset, i: usize) -> Option<u32> {
    use ossperf_dataset::Column;
    let column = LENGTH_COLUMNS
        .iter()
        .find_map(|name| dataset.column(name))?;
    let len = match column {
        Column::Int(v) => v.get(i).copied().flatten()?,
        Column::IntList(v) => v.get(i)?.as_ref()?.len() as i64,
        _ => return None,
    };
    u32::try_from(len).ok()
}

/// The rows of `dataset` as the simulator's reference, with LiveCodeBench `solutions` and each
/// row's reference output length when the dataset has a length column.
pub fn reference_from_dataset(
    dataset: &ossperf_dataset::Dataset,
    solutions: HashMap<String, String>,
) -> ReferenceSet {
    let rows = (0..dataset.len())
        .map(|i| ReferenceRow {
            input_ids: dataset.tokens(i).to_vec(),
            dataset: dataset.sub_dataset(i).unwrap_or_default().to_string(),
            ground_truth: dataset.ground_truth(i).unwrap_or_default().to_string(),
            output_len: output_len(dataset, i),
        })
        .collect();
    ReferenceSet::new(rows, solutions)
}

/// The timing model of a `--profile` (`ossperf simulate`) or `--sim-profile` (`ossperf run`).
pub fn timing(profile: ProfileArg) -> Timing {
    match profile {
        ProfileArg::H100 => Timing::Batched(CostModel::H100),
        ProfileArg::H200 => Timing::Batched(CostModel::H200),
        ProfileArg::Zero => Timing::Zero,
    }
}

/// The simulator configuration these arguments describe.
pub fn config(args: &SimulateArgs) -> anyhow::Result<SimConfig> {
    let timing = match (args.ttft_ms, args.tpot_ms) {
        (Some(ttft), Some(tpot)) => Timing::Fixed {
            ttft: Duration::try_from_secs_f64(ttft / 1e3)
                .context("`--ttft-ms` must be a non-negative number")?,
            tpot: Duration::try_from_secs_f64(tpot / 1e3)
                .context("`--tpot-ms` must be a non-negative number")?,
        },
        _ => timing(args.profile),
    };
    let reference = match &args.reference_data {
        None => None,
        Some(path) => {
            let dataset = ossperf_dataset::open(path)
                .with_context(|| format!("cannot read the reference data `{}`", path.display()))?;
            let solutions = match &args.lcb_solutions {
                Some(p) => ossperf_sim::read_lcb_solutions(p)?,
                None => ossperf_sim::bundled_lcb_solutions(),
            };
            Some(Arc::new(reference_from_dataset(&dataset, solutions)))
        }
    };
    let secs = |v: f64, flag: &str| {
        Duration::try_from_secs_f64(v)
            .with_context(|| format!("`{flag}` must be a non-negative number of seconds"))
    };
    let base = SimConfig::for_personality(args.personality.unwrap_or_default());
    let keep_alive = secs(args.keep_alive, "--keep-alive")?;
    Ok(SimConfig {
        addr: SocketAddr::new(args.host, args.port),
        personality: base.personality,
        timing,
        max_running_requests: args.max_running_requests,
        chunked_prefill_size: args.chunked_prefill_size,
        stream_interval: args.stream_interval.unwrap_or(base.stream_interval),
        stream_format: match args.stream_output {
            None => base.stream_format,
            Some(StreamOutputArg::Delta) => StreamFormat::Delta,
            Some(StreamOutputArg::Cumulative) => StreamFormat::Cumulative,
        },
        speculative: args.eagle3.then_some(Speculative::REFERENCE_EAGLE3),
        max_queued_requests: args.max_queued_requests,
        keep_alive: (!keep_alive.is_zero()).then_some(keep_alive),
        output_len: match (args.output_len, args.output_from_data) {
            (Some(n), _) => OutputLen::Fixed(n),
            (None, true) => OutputLen::FromData(args.output_mean),
            (None, false) => OutputLen::Mean(args.output_mean),
        },
        reference,
        accuracy: args.accuracy,
        seed: args.seed,
        faults: Faults {
            error_rate: args.fail_rate,
            error_status: args.fail_status,
            disconnect_rate: args.disconnect_rate,
            stall_rate: args.stall_rate,
            malformed_rate: args.malformed_rate,
            retract_rate: args.retract_rate,
            loading: secs(args.loading, "--loading")?,
            slow_start: secs(args.slow_start, "--slow-start")?,
            exit_after: args.exit_after,
        },
        truth_log: args.truth_log.clone(),
        record_sends: args.record_sends,
    })
}

/// Runs `ossperf simulate` until Ctrl-C or `--exit-after`.
pub fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let config = config(&args)?;
    let sim = ossperf_sim::Simulator::start(config)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a runtime to wait for Ctrl-C")?;
    // Listening before the ready line: a Ctrl-C right after it stops the server cleanly.
    let mut interrupt = {
        let _guard = runtime.enter();
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
            .context("cannot listen for Ctrl-C")?
    };
    output::info(&format!(
        "ossperf simulate: gpt-oss-120b as {} at {} (profile {}); Ctrl-C stops",
        args.personality.unwrap_or_default().name(),
        sim.url(),
        if args.ttft_ms.is_some() {
            "fixed".to_string()
        } else {
            format!("{:?}", args.profile).to_lowercase()
        }
    ));
    runtime.block_on(async {
        loop {
            tokio::select! {
                _ = interrupt.recv() => break,
                () = tokio::time::sleep(Duration::from_millis(100)) => {
                    if sim.is_stopping() {
                        break;
                    }
                }
            }
        }
    });
    let served = sim.truth().len();
    sim.shutdown();
    output::info(&format!(
        "ossperf simulate: stopped after {served} generation requests"
    ));
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use ossperf_sim::Personality;

    use super::*;
    use crate::cli::{Cli, Command};

    fn parse(args: &[&str]) -> SimulateArgs {
        let argv = ["ossperf", "simulate"].iter().chain(args).copied();
        match Cli::try_parse_from(argv).unwrap().command {
            Command::Simulate(a) => a,
            other => panic!("parsed as {other:?}"),
        }
    }

    #[test]
    fn defaults_are_sglangs_mlperf_launch_on_the_h100_profile() {
        let c = config(&parse(&[])).unwrap();
        assert_eq!(c.addr, "127.0.0.1:30000".parse().unwrap());
        assert_eq!(c.timing, Timing::Batched(CostModel::H100));
        assert_eq!(
            (
                c.max_running_requests,
                c.chunked_prefill_size,
                c.stream_interval
            ),
            (512, 16384, 500)
        );
        assert_eq!(
            (c.personality, c.stream_format, c.speculative, c.keep_alive),
            (
                Personality::Sglang054,
                StreamFormat::Cumulative,
                None,
                Some(Duration::from_secs(5))
            )
        );
        let v = config(&parse(&["--personality", "vllm-0.10.1"])).unwrap();
        assert_eq!(
            (v.stream_interval, v.stream_format),
            (1, StreamFormat::Delta)
        );
        let err = Cli::try_parse_from(["ossperf", "simulate", "--personality", "tgi"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "expected one of sglang, sglang-0.5.4.post2, vllm, vllm-0.10.1, trtllm-serve, \
                 got `tgi`"
            ),
            "{err}"
        );
        assert_eq!(c.output_len, OutputLen::Mean(1278));
    }

    #[test]
    fn fixed_timings_override_the_profile_and_faults_are_mapped() {
        let c = config(&parse(&[
            "--ttft-ms",
            "50",
            "--tpot-ms",
            "10",
            "--fail-rate",
            "0.5",
            "--slow-start",
            "2",
            "--exit-after",
            "3",
            "--output-len",
            "7",
        ]))
        .unwrap();
        assert_eq!(
            c.timing,
            Timing::Fixed {
                ttft: Duration::from_millis(50),
                tpot: Duration::from_millis(10)
            }
        );
        assert_eq!(
            (
                c.faults.error_rate,
                c.faults.slow_start,
                c.faults.exit_after
            ),
            (0.5, Duration::from_secs(2), Some(3))
        );
        assert_eq!(c.output_len, OutputLen::Fixed(7));
    }

    #[test]
    fn a_probability_outside_zero_to_one_is_refused() {
        let argv = ["ossperf", "simulate", "--accuracy", "1.5"];
        let err = Cli::try_parse_from(argv).unwrap_err().to_string();
        assert!(
            err.contains("expected a number in [0, 1], got `1.5`"),
            "{err}"
        );
        assert!(Cli::try_parse_from(["ossperf", "simulate", "--ttft-ms", "5"]).is_err());
        assert!(Cli::try_parse_from(["ossperf", "simulate", "--output-from-data"]).is_err());
        assert!(Cli::try_parse_from(["ossperf", "simulate", "--record-sends"]).is_err());
    }

    #[test]
    fn the_bundled_sample_becomes_a_reference_with_every_row() {
        let ds = ossperf_dataset::bundled_sample().unwrap();
        let set = reference_from_dataset(&ds, ossperf_sim::bundled_lcb_solutions());
        assert_eq!(set.rows().len(), ds.len());
        for (i, row) in set.rows().iter().enumerate() {
            assert_eq!(row.input_ids, ds.tokens(i));
            assert_eq!(Some(row.dataset.as_str()), ds.sub_dataset(i));
            let scored = row.dataset.contains("aime") || row.dataset.contains("gpqa");
            assert!(
                !scored || set.can_answer(row),
                "row {i} ({}) must be answerable",
                row.dataset
            );
        }
    }

    /// POSTs `body` to `/generate` (non-streaming) and returns the decoded output text.
    fn generate_text(addr: SocketAddr, body: &str) -> String {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(addr).unwrap();
        write!(
            s,
            "POST /generate HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut raw = String::new();
        s.read_to_string(&mut raw).unwrap();
        let json = &raw[raw.find("\r\n\r\n").unwrap() + 4..];
        let v: serde_json::Value = serde_json::from_str(json).unwrap();
        let ids: Vec<u32> = v["output_ids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_u64().unwrap() as u32)
            .collect();
        ossperf_harmony::tokenizer().decode(&ids).unwrap()
    }

    #[test]
    fn the_reference_parsers_find_a_correct_answer_in_about_share_p_of_the_sample() {
        use ossperf_eval::extract::{
            aime_is_correct, gpqa_is_correct, parse_aime, parse_code, parse_gpqa,
        };
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/sample.jsonl");
        let rows: Vec<ReferenceRow> = std::fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["dataset"] != "pubmed_summarization")
            .map(|v| ReferenceRow {
                input_ids: ossperf_harmony::tokenizer().encode(v["question"].as_str().unwrap()),
                dataset: v["dataset"].as_str().unwrap().into(),
                ground_truth: v["ground_truth"].as_str().unwrap().into(),
                output_len: None,
            })
            .collect();
        let solutions = ossperf_sim::bundled_lcb_solutions();
        let reference = Arc::new(ReferenceSet::new(rows.clone(), solutions.clone()));
        let sim = ossperf_sim::Simulator::start(SimConfig {
            timing: Timing::Zero,
            output_len: OutputLen::Mean(200),
            reference: Some(reference),
            accuracy: 0.8,
            seed: 7,
            ..SimConfig::default()
        })
        .unwrap();
        let mut correct = 0;
        for row in &rows {
            let body = serde_json::json!({"input_ids": row.input_ids, "sampling_params": {"max_new_tokens": 32768}});
            let text = generate_text(sim.addr(), &body.to_string());
            let ok = match row.dataset.as_str() {
                "aime25" => {
                    parse_aime(&text).is_some_and(|n| aime_is_correct(n, &row.ground_truth))
                }
                "gpqa_diamond" => {
                    parse_gpqa(&text).is_some_and(|c| gpqa_is_correct(c, &row.ground_truth))
                }
                _ => {
                    parse_code(&text).as_deref()
                        == solutions.get(&row.ground_truth).map(|s| s.trim())
                }
            };
            correct += usize::from(ok);
        }
        let truth_correct = sim
            .truth()
            .iter()
            .filter(|t| t.correct == Some(true))
            .count();
        assert_eq!(
            correct, truth_correct,
            "the reference parsers agree with the simulator's record"
        );
        assert_eq!((correct, rows.len()), (51, 62));
    }
}
