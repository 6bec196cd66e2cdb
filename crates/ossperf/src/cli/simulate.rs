//! `ossperf simulate`: the simulated SGLang server as a standalone process, with SGLang's launch
//! flags where they exist (`--host`, `--port`, `--max-running-requests`, `--chunked-prefill-size`,
//! `--stream-interval`), a timing profile, answers that can be scored and fault injection.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use ossperf_sim::{
    CostModel, Faults, OutputLen, ReferenceRow, ReferenceSet, SimConfig, StreamFormat, Timing,
};

use crate::output;

/// The timing profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProfileArg {
    /// gpt-oss-120b on one H100 SXM (continuous batching model)
    H100,
    /// gpt-oss-120b on one H200 SXM (continuous batching model)
    H200,
    /// No modeled cost: every token is ready at once (for measuring clients)
    Zero,
}

/// How streamed chunks carry `output_ids` and `text`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum StreamOutputArg {
    /// Only what is new since the previous chunk (`--incremental-streaming-output`)
    Delta,
    /// Everything produced so far
    Cumulative,
}

/// Arguments of `ossperf simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Address to listen on
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port to listen on (0 picks a free one)
    #[arg(long, default_value_t = 30000)]
    pub port: u16,

    /// Timing profile
    #[arg(long, value_enum, default_value_t = ProfileArg::H100)]
    pub profile: ProfileArg,

    /// Fixed time to first token in ms, independent of load (with --tpot-ms; overrides --profile)
    #[arg(long, value_name = "MS", requires = "tpot_ms")]
    pub ttft_ms: Option<f64>,

    /// Fixed time per output token in ms (with --ttft-ms)
    #[arg(long, value_name = "MS", requires = "ttft_ms")]
    pub tpot_ms: Option<f64>,

    /// Requests in the running batch; more wait in a queue
    #[arg(long, value_name = "N", default_value_t = 512, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_running_requests: u32,

    /// Prompt tokens prefilled per scheduler step
    #[arg(long, value_name = "N", default_value_t = 16384, value_parser = clap::value_parser!(u32).range(1..))]
    pub chunked_prefill_size: u32,

    /// Tokens per streamed chunk (the first token is sent alone)
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub stream_interval: u32,

    /// Delta or cumulative `output_ids` and `text` in streamed chunks
    #[arg(long, value_enum, default_value_t = StreamOutputArg::Delta)]
    pub stream_output: StreamOutputArg,

    /// Every answer has exactly N tokens (before max_new_tokens caps it)
    #[arg(long, value_name = "N", conflicts_with = "output_mean")]
    pub output_len: Option<u32>,

    /// Answer lengths drawn uniformly from [M/2, 3M/2] (the performance set's mean is 1278)
    #[arg(long, value_name = "M", default_value_t = ossperf_sim::REFERENCE_MEAN_OUTPUT)]
    pub output_mean: u32,

    /// Use each reference row's own output length (a length column of --reference-data),
    /// drawing the others as --output-mean
    #[arg(long, requires = "reference_data", conflicts_with = "output_len")]
    pub output_from_data: bool,

    /// A dataset whose rows' ground truth the simulator answers (parquet, pickle or JSONL)
    #[arg(long, value_name = "FILE")]
    pub reference_data: Option<PathBuf>,

    /// LiveCodeBench solutions (JSONL of question_id, solution) [default: the bundled sample's]
    #[arg(long, value_name = "FILE")]
    pub lcb_solutions: Option<PathBuf>,

    /// Probability that a row with known ground truth gets a correct final answer
    #[arg(long, value_name = "P", default_value_t = 0.83, value_parser = probability)]
    pub accuracy: f64,

    /// Seed for answers, lengths and faults
    #[arg(long, default_value_t = 0)]
    pub seed: u64,

    /// Share of requests answered with an HTTP error
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub fail_rate: f64,

    /// HTTP status of those errors
    #[arg(long, value_name = "CODE", default_value_t = 500, value_parser = clap::value_parser!(u16).range(400..600))]
    pub fail_status: u16,

    /// Share of streams whose connection is closed halfway
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub disconnect_rate: f64,

    /// Share of requests that send headers and then nothing
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub stall_rate: f64,

    /// Share of streams with one malformed (truncated JSON) event
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub malformed_rate: f64,

    /// Share of streams whose completion_tokens goes backwards once (a retraction)
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    pub retract_rate: f64,

    /// Answer 503 to health checks and generation for this many seconds after start
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub slow_start: f64,

    /// Exit after this many generation requests
    #[arg(long, value_name = "N")]
    pub exit_after: Option<u64>,

    /// Write the true TTFT/TPOT of every request as JSON Lines
    #[arg(long, value_name = "FILE")]
    pub truth_log: Option<PathBuf>,

    /// Also log when every streamed chunk left (`sends_us` in the truth log)
    #[arg(long, requires = "truth_log")]
    pub record_sends: bool,
}

/// Parses a probability in [0, 1] (a clap value parser).
pub fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s
        .parse()
        .map_err(|_| format!("expected a number in [0, 1], got `{s}`"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("expected a number in [0, 1], got `{s}`"))
    }
}

/// Columns that hold a reference answer's length (accuracy spec §1.3), in order of preference.
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

/// The simulator configuration these arguments describe.
pub fn config(args: &SimulateArgs) -> anyhow::Result<SimConfig> {
    let timing = match (args.ttft_ms, args.tpot_ms, args.profile) {
        (Some(ttft), Some(tpot), _) => Timing::Fixed {
            ttft: Duration::try_from_secs_f64(ttft / 1e3)
                .context("`--ttft-ms` must be a non-negative number")?,
            tpot: Duration::try_from_secs_f64(tpot / 1e3)
                .context("`--tpot-ms` must be a non-negative number")?,
        },
        (_, _, ProfileArg::H100) => Timing::Batched(CostModel::H100),
        (_, _, ProfileArg::H200) => Timing::Batched(CostModel::H200),
        (_, _, ProfileArg::Zero) => Timing::Zero,
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
    Ok(SimConfig {
        addr: SocketAddr::new(args.host, args.port),
        timing,
        max_running_requests: args.max_running_requests,
        chunked_prefill_size: args.chunked_prefill_size,
        stream_interval: args.stream_interval,
        stream_format: match args.stream_output {
            StreamOutputArg::Delta => StreamFormat::Delta,
            StreamOutputArg::Cumulative => StreamFormat::Cumulative,
        },
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
            slow_start: Duration::try_from_secs_f64(args.slow_start)
                .context("`--slow-start` must be a non-negative number")?,
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
    output::info(&format!(
        "ossperf simulate: SGLang-compatible gpt-oss-120b at {} (profile {}); Ctrl-C stops",
        sim.url(),
        if args.ttft_ms.is_some() {
            "fixed".to_string()
        } else {
            format!("{:?}", args.profile).to_lowercase()
        }
    ));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start a runtime to wait for Ctrl-C")?;
    runtime.block_on(async {
        loop {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => break,
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
            (512, 16384, 1)
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
