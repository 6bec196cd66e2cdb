//! Every simulator personality × Offline/Server × performance/accuracy (issue #20), at a small
//! size: VALID where the real server would serve ossperf's requests, and in the accuracy log the
//! exact output ids, or for a text-only server its text re-encoded and marked as such in
//! `results.json`. `bench/matrix.sh` runs the same cells at full size.

use ossperf_testkit::ossperf_sim::{AnswerBank, OutputLen, Personality, SimConfig, Timing};

use std::time::Instant;

use crate::faults::{finish, spawn_run, Logs};

const SAMPLES: usize = 12;

/// Small runs, with enough Server queries for LoadGen's early stopping to pass at the 99th
/// percentile.
const MATRIX_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.*.accuracy_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Offline.min_query_count = 20
gpt-oss-120b.Server.min_duration = 0
gpt-oss-120b.Server.min_query_count = 500
gpt-oss-120b.Server.target_qps = 250
";
const TOKENS: u32 = 12;

/// The first harmony special token; a text-only server leaves them out of its text
/// (`skip_special_tokens`), so their ids cannot come back when the text is re-encoded.
const FIRST_SPECIAL: u32 = 199_998;

/// The accuracy log's `data` for each sample, as hex: the simulator's planned answer, or for a
/// text-only server that answer's text re-encoded (its ids without the special tokens).
fn expected_data(config: &SimConfig, dataset: &ossperf_dataset::Dataset, row: usize) -> String {
    let bank = AnswerBank::new(config.reference.clone());
    let answer = bank.plan(config, dataset.tokens(row), 32_768);
    let text_only = config.personality == Personality::VllmTextOnly;
    bank.ids(&answer)
        .iter()
        .filter(|&&id| !(text_only && id >= FIRST_SPECIAL))
        .flat_map(|id| id.to_le_bytes())
        .map(|b| format!("{b:02X}"))
        .collect()
}

fn cell(p: Personality, scenario: &str, accuracy: bool, dataset: &ossperf_dataset::Dataset) {
    let name = format!(
        "{} {scenario} {}",
        p.name(),
        if accuracy { "accuracy" } else { "performance" }
    );
    let reference = ossperf::simulate::reference_from_dataset(
        dataset,
        ossperf_testkit::ossperf_sim::bundled_lcb_solutions(),
    );
    let config = SimConfig {
        timing: Timing::Zero,
        output_len: OutputLen::Fixed(TOKENS),
        reference: Some(std::sync::Arc::new(reference)),
        ..SimConfig::for_personality(p)
    };
    let sim = ossperf_testkit::sim_with(config.clone());
    let dir = ossperf_testkit::temp_dir();
    let backend = if p.is_sglang() { "sglang" } else { "openai" };
    let samples = SAMPLES.to_string();
    let url = sim.url();
    let mut args = vec![
        "--backend",
        backend,
        "--server-url",
        url.as_str(),
        "--scenario",
        scenario,
        "--max-samples",
        samples.as_str(),
        "--stream",
    ];
    if accuracy {
        args.push("--accuracy");
    }
    let ran = finish(spawn_run(&args, dir.path(), MATRIX_CONF), Instant::now());
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(0), "{name}\n{}", ran.text());
    let mode = if accuracy { "accuracy" } else { "performance" };
    let logs = Logs::read(dir.path(), scenario, mode, &ran);
    assert_eq!(logs.failed(), 0, "{name}");
    let server = &logs.results["config"]["servers"][0];
    let kind = match p.owned_by() {
        "tensorrt_llm" => "trtllm",
        owner => owner,
    };
    assert_eq!(server["kind"], kind, "{name}: the kind learned at start");
    assert_eq!(
        server["version"],
        p.version(),
        "{name}: the version it told"
    );
    if !accuracy {
        assert!(
            logs.summary.contains("Result is : VALID"),
            "{name}\n{}",
            logs.summary
        );
        check_answers(p, &name, &logs, &ran.stdout);
        return;
    }
    assert_eq!(logs.accuracy.len(), SAMPLES, "{name}: each sample once");
    let encoded = if p == Personality::VllmTextOnly {
        SAMPLES
    } else {
        0
    };
    assert_eq!(
        logs.results["tokens"]["text_encoded"].as_u64().unwrap_or(0),
        encoded as u64,
        "{name}: answers re-encoded from text, as results.json says"
    );
    for entry in &logs.accuracy {
        let row = entry["qsl_idx"].as_u64().expect("qsl_idx") as usize;
        assert_eq!(
            entry["data"].as_str().map(str::to_uppercase),
            Some(expected_data(&config, dataset, row)),
            "{name}: row {row}"
        );
    }
}

/// The time to first answer (issue 24) where the answers carry their token ids, and
/// "unavailable", never the TTFT, where a text-only server sends none.
fn check_answers(p: Personality, name: &str, logs: &Logs, stdout: &str) {
    let answers = &logs.results["beyond_loadgen"]["answers"];
    let requests = logs.results["requests"].as_array().expect("requests");
    let n = requests.len() as u64;
    if p == Personality::VllmTextOnly {
        assert_eq!(
            answers["unavailable"].as_u64(),
            Some(n),
            "{name}: {answers}"
        );
        assert_eq!(answers["answered"].as_u64(), Some(0), "{name}: {answers}");
        assert_eq!(
            answers["unavailable_reasons"],
            serde_json::json!(["the server sent text, not token ids"]),
            "{name}"
        );
        assert!(answers["time_to_first_answer_ns"].is_null(), "{name}");
        assert!(requests.iter().all(|r| r["answer"]["status"] == "text_only"
            && r["answer"].get("first_answer_ns").is_none()));
        assert!(
            stdout.contains(&format!(
                "Time to first answer unavailable for {n} request(s): the server sent text, not token ids\n"
            )),
            "{name}\n{stdout}"
        );
        assert!(
            !stdout.contains("Time to first answer token"),
            "{name}\n{stdout}"
        );
    } else {
        assert_eq!(answers["answered"].as_u64(), Some(n), "{name}: {answers}");
        assert_eq!(
            answers["unavailable"].as_u64(),
            Some(0),
            "{name}: {answers}"
        );
    }
}

fn column(p: Personality) {
    let dataset = ossperf_dataset::bundled_sample()
        .expect("the bundled sample")
        .max_samples(SAMPLES);
    for scenario in ["offline", "server"] {
        for accuracy in [false, true] {
            cell(p, scenario, accuracy, &dataset);
        }
    }
}

#[test]
fn matrix_sglang_current() {
    column(Personality::Sglang);
}

#[test]
fn matrix_sglang_054_the_reference_image() {
    column(Personality::Sglang054);
}

#[test]
fn matrix_vllm_current() {
    column(Personality::Vllm);
}

#[test]
fn matrix_vllm_text_only() {
    column(Personality::VllmTextOnly);
}

#[test]
fn matrix_trtllm_serve() {
    column(Personality::Trtllm);
}
