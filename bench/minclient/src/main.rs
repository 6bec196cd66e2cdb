//! The minimal client `bench/run.sh` measures ossperf against: it sends the requests ossperf
//! sends (SGLang `POST /generate` with the dataset's token ids, the same JSON body) over the
//! same hyper 1 + hyper-util keep-alive pool on a two-worker tokio runtime, reads every
//! response to its end and does nothing else: no LoadGen, no timestamps, no JSON parsing, no
//! logs. Its rate is the practical limit of this machine and server; ossperf's figures are
//! quoted as a ratio to it.
//!
//! `minclient URL DATASET.jsonl REQUESTS CONCURRENCY MAX_NEW_TOKENS [stream]`
//! prints `requests N`, `events N` (SSE events, streaming only), `wall_s S` and `rate R`
//! (requests per second of wall time). CPU time is measured from outside (`/usr/bin/time`).

use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// The command line, parsed.
struct Args {
    url: hyper::Uri,
    dataset: String,
    requests: usize,
    concurrency: usize,
    max_new_tokens: u32,
    stream: bool,
}

fn parse_args() -> Result<Args, String> {
    let usage = "usage: minclient URL DATASET.jsonl REQUESTS CONCURRENCY MAX_NEW_TOKENS [stream]";
    let a: Vec<String> = std::env::args().skip(1).collect();
    if a.len() < 5 || a.len() > 6 {
        return Err(usage.to_string());
    }
    let number = |i: usize, name: &str| {
        a[i].parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| format!("{name}: expected a positive integer, got `{}`", a[i]))
    };
    let url = format!("{}/generate", a[0].trim_end_matches('/'))
        .parse()
        .map_err(|e| format!("URL: expected an http URL, got `{}` ({e})", a[0]))?;
    let stream = match a.get(5).map(String::as_str) {
        None => false,
        Some("stream") => true,
        Some(other) => return Err(format!("expected `stream` or nothing, got `{other}`")),
    };
    Ok(Args {
        url,
        dataset: a[1].clone(),
        requests: number(2, "REQUESTS")?,
        concurrency: number(3, "CONCURRENCY")?,
        max_new_tokens: u32::try_from(number(4, "MAX_NEW_TOKENS")?)
            .map_err(|_| format!("MAX_NEW_TOKENS: expected at most `{}`", u32::MAX))?,
        stream,
    })
}

/// One request body per dataset row, encoded once, byte for byte what ossperf's SGLang
/// client sends with the reference's sampling defaults.
fn bodies(args: &Args) -> Result<Vec<Bytes>, String> {
    let text = std::fs::read_to_string(&args.dataset)
        .map_err(|e| format!("`{}`: cannot read ({e})", args.dataset))?;
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let row: serde_json::Value = serde_json::from_str(line).map_err(|e| {
            format!(
                "`{}` line {}: expected a JSON object ({e})",
                args.dataset,
                n + 1
            )
        })?;
        let tokens = row
            .get("input_tokens")
            .or_else(|| row.get("tok_input"))
            .ok_or_else(|| {
                format!(
                    "`{}` line {}: expected an `input_tokens` array",
                    args.dataset,
                    n + 1
                )
            })?;
        let stream = if args.stream { ",\"stream\":true" } else { "" };
        let body = format!(
            "{{\"input_ids\":{tokens},\"sampling_params\":{{\"max_new_tokens\":{},\"temperature\":1.0,\"top_k\":-1,\"top_p\":1.0}}{stream}}}",
            args.max_new_tokens
        );
        out.push(Bytes::from(body));
    }
    if out.is_empty() {
        return Err(format!("`{}`: no rows", args.dataset));
    }
    Ok(out)
}

/// Sends one request and reads its body to the end; returns the SSE events it carried.
async fn one(client: &HttpClient, uri: &hyper::Uri, body: Bytes) -> Result<u64, String> {
    let request = hyper::Request::post(uri.clone())
        .header("content-type", "application/json")
        .body(Full::new(body))
        .map_err(|e| format!("request: {e}"))?;
    let mut response = client
        .request(request)
        .await
        .map_err(|e| format!("send: {e}"))?;
    if !response.status().is_success() {
        return Err(format!("HTTP status `{}`", response.status()));
    }
    let body = response.body_mut();
    let (mut events, mut newline) = (0, false);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("body: {e}"))?;
        if let Some(data) = frame.data_ref() {
            // An SSE event ends with a blank line (which a read may split); counting them is
            // the least a client does.
            for &b in data.iter() {
                let nl = b == b'\n';
                events += u64::from(nl && newline);
                newline = nl && !newline;
            }
        }
    }
    Ok(events)
}

async fn run(args: Args) -> Result<(), String> {
    let bodies = Arc::new(bodies(&args)?);
    let mut connector = HttpConnector::new();
    connector.set_nodelay(true);
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(args.concurrency)
        .pool_idle_timeout(Duration::from_secs(90))
        .build(connector);
    let next = Arc::new(AtomicUsize::new(0));
    let uri = Arc::new(args.url);
    let start = Instant::now();
    let workers: Vec<_> = (0..args.concurrency.min(args.requests))
        .map(|_| {
            let (client, bodies, next, uri) =
                (client.clone(), bodies.clone(), next.clone(), uri.clone());
            let total = args.requests;
            tokio::spawn(async move {
                let mut events = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total {
                        return Ok::<u64, String>(events);
                    }
                    events += one(&client, &uri, bodies[i % bodies.len()].clone()).await?;
                }
            })
        })
        .collect();
    let mut events = 0;
    for w in workers {
        events += w.await.map_err(|e| format!("worker: {e}"))??;
    }
    let wall = start.elapsed().as_secs_f64();
    let mut out = format!("requests {}\n", args.requests);
    if args.stream {
        // The final `data: [DONE]` is an event on the wire but carries no token.
        let tokens = events.saturating_sub(args.requests as u64);
        out += &format!(
            "events {tokens}\nevents_per_s {:.0}\n",
            tokens as f64 / wall
        );
    }
    out += &format!(
        "wall_s {wall:.3}\nrate {:.1}\n",
        args.requests as f64 / wall
    );
    print!("{out}");
    Ok(())
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("minclient: {e}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("minclient: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("minclient: {e}");
            ExitCode::FAILURE
        }
    }
}
