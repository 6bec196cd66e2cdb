//! Figures `bench/run.sh` reads out of an `ossperf run`'s `results.json`, kept out of the
//! minimal client (which must do nothing but send requests) and out of the shell (no Python
//! needed to run the suite).
//!
//! `figures error RESULTS.json TRUTH.jsonl`: the error of the reported TTFT and TPOT against
//! the simulator's own times (`--truth-log`). A record and a truth line are joined by the
//! prompt length (the suite's dataset gives every row its own length) and, among repeats of a
//! row, in issue and arrival order. Prints mean, p99, standard deviation and median of each
//! error in ms. The reported TTFT starts at LoadGen's scheduled time and the true one when the
//! request's headers reached the simulator's socket, so the TTFT error includes issue
//! lateness, the client's time to send, and the first token's transit to the client's socket.
//!
//! `figures lateness RESULTS.json`: issue lateness (`issued_ns − scheduled_ns`) p50, p99 and
//! max in µs.
//!
//! `figures truth TRUTH.jsonl`: the simulator's own TTFT (first token less the arrival of the
//! request's headers) p50 and p99 in ms, to set beside the p50 and p99 a LoadGen reports (the
//! official library reports no per-request times, so its error is measured on the
//! distribution).

use std::collections::HashMap;
use std::process::ExitCode;

use serde_json::Value;

fn read_json(path: &str) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("`{path}`: cannot read ({e})"))?;
    serde_json::from_str(&text).map_err(|e| format!("`{path}`: expected JSON ({e})"))
}

fn field(v: &Value, name: &str, whose: &str) -> Result<f64, String> {
    v.get(name)
        .and_then(Value::as_f64)
        .ok_or_else(|| format!("{whose}: expected a number in field `{name}`"))
}

fn requests(path: &str) -> Result<Vec<Value>, String> {
    match read_json(path)?.get_mut("requests").map(Value::take) {
        Some(Value::Array(r)) => Ok(r),
        _ => Err(format!("`{path}`: expected a `requests` array")),
    }
}

/// `sorted[⌊n·p⌋]`, as LoadGen takes percentiles.
fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// `mean p99 std p50` of `v` (p50 last, so readers of the first three fields keep working).
fn stats(mut v: Vec<f64>) -> String {
    v.sort_by(f64::total_cmp);
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n;
    format!(
        "mean {mean:.4} p99 {:.4} std {:.4} p50 {:.4}",
        percentile(&v, 0.99),
        var.sqrt(),
        percentile(&v, 0.5)
    )
}

fn lateness(results: &str) -> Result<String, String> {
    let mut late = Vec::new();
    for (i, r) in requests(results)?.iter().enumerate() {
        let whose = format!("`{results}` request {i}");
        late.push((field(r, "issued_ns", &whose)? - field(r, "scheduled_ns", &whose)?) / 1e3);
    }
    if late.is_empty() {
        return Err(format!("`{results}`: no requests"));
    }
    late.sort_by(f64::total_cmp);
    Ok(format!(
        "lateness_us p50 {:.1} p99 {:.1} max {:.1} n {}\n",
        percentile(&late, 0.5),
        percentile(&late, 0.99),
        late[late.len() - 1],
        late.len()
    ))
}

fn truth_ttft(truth: &str) -> Result<String, String> {
    let text =
        std::fs::read_to_string(truth).map_err(|e| format!("`{truth}`: cannot read ({e})"))?;
    let mut ttft = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let whose = format!("`{truth}` line {}", n + 1);
        let t: Value =
            serde_json::from_str(line).map_err(|e| format!("{whose}: expected JSON ({e})"))?;
        ttft.push((field(&t, "first_token_us", &whose)? - field(&t, "arrived_us", &whose)?) / 1e3);
    }
    if ttft.is_empty() {
        return Err(format!("`{truth}`: no requests"));
    }
    ttft.sort_by(f64::total_cmp);
    Ok(format!(
        "true_ttft_ms p50 {:.4} p99 {:.4} n {}\n",
        percentile(&ttft, 0.5),
        percentile(&ttft, 0.99),
        ttft.len()
    ))
}

fn error(results: &str, truth: &str) -> Result<String, String> {
    // Reported (TTFT, TPOT) in ms per prompt length, in issue order.
    let mut reported: HashMap<u64, Vec<(f64, f64, f64)>> = HashMap::new();
    for (i, r) in requests(results)?.iter().enumerate() {
        let whose = format!("`{results}` request {i}");
        if !r["error"].is_null() {
            return Err(format!("{whose}: failed ({})", r["error"]));
        }
        let (scheduled, issued) = (
            field(r, "scheduled_ns", &whose)?,
            field(r, "issued_ns", &whose)?,
        );
        let first = field(r, "first_token_ns", &whose)?;
        let (complete, out) = (
            field(r, "complete_ns", &whose)?,
            field(r, "output_tokens", &whose)?,
        );
        let tpot = (complete - first) / (out - 1.0);
        reported
            .entry(field(r, "input_tokens", &whose)? as u64)
            .or_default()
            .push((issued, (first - scheduled) / 1e6, tpot / 1e6));
    }
    let text =
        std::fs::read_to_string(truth).map_err(|e| format!("`{truth}`: cannot read ({e})"))?;
    let mut actual: HashMap<u64, Vec<(f64, f64, f64)>> = HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let whose = format!("`{truth}` line {}", n + 1);
        let t: Value =
            serde_json::from_str(line).map_err(|e| format!("{whose}: expected JSON ({e})"))?;
        let (arrived, first) = (
            field(&t, "arrived_us", &whose)?,
            field(&t, "first_token_us", &whose)?,
        );
        let (finished, out) = (
            field(&t, "finished_us", &whose)?,
            field(&t, "completion_tokens", &whose)?,
        );
        actual
            .entry(field(&t, "prompt_tokens", &whose)? as u64)
            .or_default()
            .push((
                arrived,
                (first - arrived) / 1e3,
                (finished - first) / (out - 1.0) / 1e3,
            ));
    }
    let (mut ttft, mut tpot) = (Vec::new(), Vec::new());
    for (len, mut ours) in reported {
        let mut theirs = actual.remove(&len).unwrap_or_default();
        if theirs.len() != ours.len() {
            return Err(format!(
                "prompt length `{len}`: `{}` requests in the results, `{}` in the truth",
                ours.len(),
                theirs.len()
            ));
        }
        ours.sort_by(|a, b| a.0.total_cmp(&b.0));
        theirs.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (o, t) in ours.iter().zip(&theirs) {
            ttft.push(o.1 - t.1);
            tpot.push(o.2 - t.2);
        }
    }
    if ttft.is_empty() {
        return Err(format!("`{results}`: no requests"));
    }
    Ok(format!(
        "ttft_error_ms {}\ntpot_error_ms {}\njoined {}\n",
        stats(ttft.clone()),
        stats(tpot),
        ttft.len()
    ))
}

fn main() -> ExitCode {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let out = match a.iter().map(String::as_str).collect::<Vec<_>>()[..] {
        ["error", results, truth] => error(results, truth),
        ["truth", truth] => truth_ttft(truth),
        ["lateness", results] => lateness(results),
        _ => Err(
            "usage: figures error RESULTS.json TRUTH.jsonl | figures lateness RESULTS.json | \
             figures truth TRUTH.jsonl"
                .into(),
        ),
    };
    match out {
        Ok(text) => {
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("figures: {e}");
            ExitCode::FAILURE
        }
    }
}
