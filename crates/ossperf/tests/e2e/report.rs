//! `ossperf report`: results directories in, one self-contained HTML page out; and the page
//! as a browser sees it (headless Chromium, skipped with a reason when it is absent).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use ossperf::report::stats::percentile;
use ossperf::report::{self, sample, RunResults};

fn ossperf(args: &[&str]) -> Output {
    crate::util::ossperf()
        .args(args)
        .output()
        .expect("run ossperf")
}

fn run_dir(parent: &Path, name: &str, results: &RunResults) -> PathBuf {
    let dir = parent.join(name);
    std::fs::create_dir(&dir).unwrap();
    report::write_results(&dir, results).unwrap();
    dir
}

/// A Server run of the bundled sample against the built-in simulator (once per test binary):
/// its `server/performance` directory, with the MLPerf logs, `results.json` and `report.html`.
fn bundled_sample_run() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-e2e-run");
        let _ = std::fs::remove_dir_all(&root);
        std::fs::create_dir_all(&root).unwrap();
        let conf = root.join("user.conf");
        let lines = "*.Server.target_qps = 40\n*.Server.min_duration = 3000\n";
        std::fs::write(&conf, lines).unwrap();
        let out = ossperf(&[
            "run",
            "--scenario",
            "server",
            "--user-conf",
            conf.to_str().unwrap(),
            "--max-new-tokens",
            "256",
            "--output-dir",
            root.to_str().unwrap(),
        ]);
        let dir = root.join("server").join("performance");
        assert!(
            dir.join("report.html").is_file(),
            "no report after `ossperf run`:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        dir
    })
}

/// The value after `label` on its line of `mlperf_log_summary.txt`.
fn summary_value<'a>(summary: &'a str, label: &str) -> &'a str {
    summary
        .lines()
        .find_map(|line| {
            let (key, value) = line.split_once(':')?;
            (key.trim() == label).then(|| value.trim())
        })
        .unwrap_or_else(|| panic!("`{label}` is not in the summary"))
}

/// `(metric name, value)` for every figure the report marks with `data-metric`.
fn figures(html: &str) -> Vec<(String, usize, f64)> {
    html.split("data-metric=\"")
        .skip(1)
        .map(|s| {
            let name = s.split('"').next().unwrap().to_string();
            let run = s
                .split("data-run=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let value = s
                .split("data-value=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            (name, run.parse().unwrap(), value.parse().unwrap())
        })
        .collect()
}

#[test]
fn report_of_one_directory_lands_beside_its_results_with_the_same_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let results = sample::server_run(3_000, 11);
    let dir = run_dir(tmp.path(), "qps-8", &results);
    let out = ossperf(&["report", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("report.html");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        path.display().to_string()
    );
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.contains("<title>ossperf report: qps-8</title>"));
    let shown = figures(&html);
    for m in &results.metrics {
        assert!(
            shown.contains(&(m.name.clone(), 0, m.value)),
            "`{}` = `{}` is not in the report",
            m.name,
            m.value
        );
    }
    let errors = results
        .requests
        .iter()
        .filter(|r| r.error.is_some())
        .count();
    let shown_errors: usize = html
        .split("data-errors=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().parse::<usize>().unwrap())
        .sum();
    assert_eq!(shown_errors, errors);
}

#[test]
fn the_report_of_a_run_shows_the_summary_figures_and_its_charts_agree_with_them() {
    let dir = bundled_sample_run();
    let summary = std::fs::read_to_string(dir.join("mlperf_log_summary.txt")).unwrap();
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    let shown = |name: &str| -> f64 {
        figures(&html)
            .into_iter()
            .find(|f| f.0 == name)
            .unwrap_or_else(|| panic!("`{name}` is not in the report"))
            .2
    };
    for (label, name) in [
        (
            "Completed samples per second",
            "completed_samples_per_second",
        ),
        ("Completed tokens per second", "completed_tokens_per_second"),
        (
            "Scheduled samples per second",
            "scheduled_samples_per_second",
        ),
    ] {
        let value = format!("{:.2}", shown(name));
        assert_eq!(value, summary_value(&summary, label), "{name}");
    }
    for (label, name) in [
        ("99.00 percentile first token latency (ns)", "ttft_p99"),
        ("99.00 percentile time to output token (ns)", "tpot_p99"),
        ("99.00 percentile latency (ns)", "latency_p99"),
        ("50.00 percentile first token latency (ns)", "ttft_p50"),
        ("Max latency (ns)", "latency_max"),
    ] {
        let value = format!("{}", shown(name));
        assert_eq!(value, summary_value(&summary, label), "{name}");
    }
    // The charts are drawn from the records: their percentiles are the summary's.
    let results = report::load_results(dir).unwrap();
    let mut ttft: Vec<u64> = results
        .requests
        .iter()
        .filter_map(|r| r.ttft_ns())
        .collect();
    let mut tpot: Vec<u64> = results
        .requests
        .iter()
        .filter_map(|r| r.tpot_ns())
        .collect();
    ttft.sort_unstable();
    tpot.sort_unstable();
    let ttft_p99 = percentile(&ttft, 0.99).unwrap().to_string();
    let tpot_p99 = percentile(&tpot, 0.99).unwrap().to_string();
    assert_eq!(
        ttft_p99,
        summary_value(&summary, "99.00 percentile first token latency (ns)")
    );
    assert_eq!(
        tpot_p99,
        summary_value(&summary, "99.00 percentile time to output token (ns)")
    );
    let verdict = if results.verdict.valid {
        "VALID"
    } else {
        "INVALID"
    };
    assert_eq!(summary_value(&summary, "Result is"), verdict);
    assert!(html.contains(&format!("data-verdict=\"{verdict}\"")));
}

#[test]
fn report_of_several_directories_overlays_them_with_a_table_of_differences() {
    let tmp = tempfile::tempdir().unwrap();
    let a = run_dir(tmp.path(), "qps-8", &sample::server_run(800, 1));
    let b = run_dir(tmp.path(), "qps-10", &sample::server_run(800, 2));
    let output = tmp.path().join("compare.html");
    let out = ossperf(&[
        "report",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "--output",
        output.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let html = std::fs::read_to_string(&output).unwrap();
    assert!(html.contains("<title>ossperf report: 2 runs compared</title>"));
    assert!(html.contains("Metrics and differences"));
    assert!(html.contains("1 setting(s) differ between the runs"));
    let runs: std::collections::BTreeSet<usize> = figures(&html).iter().map(|f| f.1).collect();
    assert_eq!(runs.into_iter().collect::<Vec<_>>(), vec![0, 1]);
    assert!(html.contains("TTFT on gpqa"));
}

#[test]
fn a_directory_without_results_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ossperf(&["report", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: `{}` holds no `results.json`: expected a result directory of `ossperf run`\n",
            tmp.path().display()
        )
    );
}

#[test]
fn results_of_another_schema_version_are_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("results.json");
    std::fs::write(
        &file,
        r#"{"schema_version": 7, "tool": "ossperf", "version": "3.1.0"}"#,
    )
    .unwrap();
    let out = ossperf(&["report", tmp.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "error: in `{}`: `schema_version` is `7`, this ossperf reads `1`: the file was written \
             by `ossperf 3.1.0`; open it with that version or run again\n",
            file.display()
        )
    );
}

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium(profile: &Path, extra: &[&str], url: &str) -> Output {
    Command::new(CHROMIUM)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(url)
        .output()
        .expect("run chromium")
}

/// The value of `name="..."` on the dumped `<html>` element.
fn html_attribute<'a>(dom: &'a str, name: &str) -> Option<&'a str> {
    let head = &dom[dom.find("<html")?..];
    let head = &head[..head.find('>')?];
    head.split(&format!("{name}=\"")).nth(1)?.split('"').next()
}

#[test]
fn the_report_loads_in_chromium_without_errors_and_every_chart_has_data() {
    if !Path::new(CHROMIUM).exists() {
        println!("skipped: `{CHROMIUM}` is absent (apt-get install chromium)");
        return;
    }
    let dir = bundled_sample_run();
    let url = format!("file://{}", dir.join("report.html").display());
    let profile = tempfile::tempdir().unwrap();
    let dumped = chromium(profile.path(), &["--dump-dom"], &url);
    let dom = String::from_utf8_lossy(&dumped.stdout);
    assert!(
        dom.contains("data-load-ms"),
        "the page did not finish loading:\n{dom:.400}"
    );
    assert_eq!(html_attribute(&dom, "data-errors"), None, "script errors");
    assert_eq!(html_attribute(&dom, "data-empty-charts"), Some("0"));
    // 6 latency, 3 per sub-dataset, 6 over time, 2 lengths, and the 4 gauges scraped from the
    // built-in simulator's `/metrics`. No time to first answer: `--max-new-tokens 256` cuts
    // every answer in its analysis channel, which the page says instead of drawing an empty
    // chart.
    assert_eq!(html_attribute(&dom, "data-charts"), Some("21"));
    assert!(
        dom.contains("No time to first answer: no answer"),
        "{dom:.400}"
    );

    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("report-screenshot.png");
    let profile = tempfile::tempdir().unwrap();
    let screenshot = format!("--screenshot={}", shot.display());
    let taken = chromium(
        profile.path(),
        &[&screenshot, "--window-size=1400,6200"],
        &url,
    );
    assert!(
        taken.status.success(),
        "{}",
        String::from_utf8_lossy(&taken.stderr)
    );
    assert!(std::fs::metadata(&shot)
        .map(|m| m.len() > 10_000)
        .unwrap_or(false));
    println!("screenshot: {}", shot.display());
}
