//! Regressions, each citing its issue: what a new user hit, driven through the real binary.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use crate::util::{ossperf, text};

fn data_file(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../data")
        .join(name)
}

/// Runs `cmd` with its stdout a pipe whose reader has gone away before the first write.
fn into_closed_pipe(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start ossperf");
    // The reader leaves at once, long before the child has parsed its arguments.
    drop(child.stdout.take());
    child.wait_with_output().expect("wait for ossperf")
}

// issue 17, item 3: `ossperf dataset inspect data/sample.parquet --decode 0 | head -1` panicked
// with exit 101 and a backtrace.
#[test]
fn a_reader_that_exits_early_ends_dataset_inspect_quietly_with_status_0() {
    let out = into_closed_pipe(
        ossperf()
            .args(["dataset", "inspect", "--decode", "0"])
            .arg(data_file("sample.parquet")),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(out.stderr.is_empty(), "{}", text(&out));
}

const FAST_CONF: &str = "\
gpt-oss-120b.*.performance_sample_count_override = 0
gpt-oss-120b.Offline.min_duration = 0
gpt-oss-120b.Server.min_duration = 0
gpt-oss-120b.Server.min_query_count = 40
gpt-oss-120b.Server.target_qps = 100
";

/// `ossperf run` on the zero-cost simulator with fast settings, in `dir`, writing `dir/out`.
fn fast_run(dir: &Path, args: &[&str]) -> Output {
    let conf = dir.join("user.conf");
    std::fs::write(&conf, FAST_CONF).unwrap();
    ossperf()
        .current_dir(dir)
        .args(["run", "--sim-profile", "zero", "--sim-output-len", "8"])
        .args(["--max-samples", "20", "--user-conf"])
        .arg(&conf)
        .args(args)
        .output()
        .unwrap()
}

// issue 17, item 2: `compliance test09 -- <run flags>` overwrote the user's performance run
// in `<output-dir>/<scenario>/performance/` and left `TEST09-audit.config` behind.
#[test]
fn an_audit_run_never_overwrites_a_performance_run_or_an_earlier_audit_run() {
    let dir = ossperf_testkit::temp_dir();
    let out = fast_run(dir.path(), &["--output-dir", "runs"]);
    assert!(out.status.success(), "{}", text(&out));
    let perf = dir.path().join("runs/offline/performance");
    let before = std::fs::read(perf.join("mlperf_log_detail.txt")).unwrap();
    for _ in 0..2 {
        let out = ossperf()
            .current_dir(dir.path())
            .args(["compliance", "test09", "-o", "compliance", "--"])
            .args(["--sim-profile", "zero", "--max-samples", "20"])
            .args(["--user-conf", "user.conf", "--output-dir", "runs"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }
    let after = std::fs::read(perf.join("mlperf_log_detail.txt")).unwrap();
    assert!(before == after, "the performance run was rewritten");
    let mut names: Vec<String> = std::fs::read_dir(dir.path().join("runs/offline"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["TEST09", "TEST09-2", "performance"]);
    for run in ["TEST09", "TEST09-2"] {
        let run = dir.path().join("runs/offline").join(run);
        assert!(run.join("mlperf_log_accuracy.json").is_file());
        assert!(
            run.join("audit.config").is_file(),
            "the audit run's own record"
        );
    }
    let mut top: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    top.sort();
    assert_eq!(top, ["compliance", "runs", "user.conf"], "nothing stray");
    let mut layout: Vec<String> = std::fs::read_dir(dir.path().join("compliance"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    layout.sort();
    assert_eq!(layout, ["TEST09"]);
}

// issue 17, item 6: a `results.json` that could not be written was found only after the whole
// run, leaving a `.partial` file and no summary.
#[test]
fn an_output_that_cannot_be_written_stops_the_run_before_the_first_query() {
    let dir = ossperf_testkit::temp_dir();
    let logs = dir.path().join("out/offline/performance");
    std::fs::create_dir_all(logs.join("results.json")).unwrap();
    let out = fast_run(dir.path(), &["--output-dir", "out"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        stderr.trim_end(),
        "error: cannot write `out/offline/performance/results.json`: it exists and is not a \
         file; move it away or choose another --output-dir"
    );
    let mut left: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["results.json"],
        "no log, no .partial: nothing was run"
    );
}

/// Runs `cmd` with stderr on a pseudo-terminal `cols` columns wide and returns what the
/// terminal received.
#[allow(unsafe_code)]
fn stderr_on_terminal(cmd: &mut Command, cols: u16) -> (std::process::ExitStatus, String) {
    use std::io::Read;
    use std::os::fd::FromRawFd;

    let (mut master, mut slave) = (0, 0);
    let size = libc::winsize {
        ws_row: 24,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors into the integers given; the name and termios
    // are left out, and `size` lives through the call.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            &size,
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: both descriptors were just opened and are owned here alone.
    let (master, slave) = unsafe {
        (
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        )
    };
    let mut child = cmd
        .env_remove("COLUMNS")
        .stdout(Stdio::null())
        .stderr(slave)
        .spawn()
        .expect("start ossperf");
    let reader = std::thread::spawn(move || {
        let mut master = master;
        let mut seen = Vec::new();
        let mut buf = [0u8; 4096];
        // The read fails (EIO) once the child has closed the terminal's last writer.
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            seen.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&seen).into_owned()
    });
    let status = child.wait().expect("wait for ossperf");
    // `cmd` keeps a copy of the slave in its stdio config; drop it so the reader sees the end.
    drop(std::mem::replace(cmd, Command::new("true")));
    (status, reader.join().expect("reader"))
}

// issue 17, item 4: the live line was about 165 columns, not fitted to the terminal; at 80
// columns every update left wrapped fragments.
#[test]
fn the_live_line_fits_an_80_column_terminal() {
    let dir = ossperf_testkit::temp_dir();
    let conf = dir.path().join("user.conf");
    std::fs::write(
        &conf,
        "gpt-oss-120b.*.performance_sample_count_override = 0\n\
         gpt-oss-120b.Server.min_duration = 1600\n\
         gpt-oss-120b.Server.min_query_count = 1\n\
         gpt-oss-120b.Server.target_qps = 20\n",
    )
    .unwrap();
    let mut cmd = ossperf();
    cmd.current_dir(dir.path())
        .args(["run", "--scenario", "server", "--sim-profile", "zero"])
        .args(["--sim-output-len", "8", "--max-samples", "20"])
        .arg("--user-conf")
        .arg(&conf);
    let (status, screen) = stderr_on_terminal(&mut cmd, 80);
    assert!(status.success(), "{screen}");
    let updates: Vec<&str> = screen
        .split(['\r', '\n'])
        .map(|s| s.trim_start_matches("\x1b[2K"))
        .filter(|s| s.starts_with('[') && s.contains(" issued "))
        .collect();
    assert!(
        !updates.is_empty(),
        "no live line on the terminal:\n{screen}"
    );
    for line in &updates {
        assert!(
            line.chars().count() < 80,
            "{} columns: {line}",
            line.chars().count()
        );
    }
    assert!(
        updates.iter().any(|l| l.contains("TTFT p99")),
        "{updates:#?}"
    );
}

/// The `<svg class="chart">` elements of a report, each with its title.
fn charts(html: &str) -> Vec<(String, String)> {
    html.split("<svg class=\"chart\"")
        .skip(1)
        .map(|rest| {
            let svg = &rest[..rest.find("</svg>").unwrap()];
            let title = attr(svg, "aria-label").unwrap_or_default();
            (title, svg.to_string())
        })
        .collect()
}

/// The value of the first `name="..."` in `text`.
fn attr(text: &str, name: &str) -> Option<String> {
    let start = text.find(&format!("{name}=\""))? + name.len() + 2;
    let len = text[start..].find('"')?;
    Some(text[start..start + len].to_string())
}

/// Every `(x, y)` of a path's `d` (`M1,2L3,4...Z`).
fn path_points(d: &str) -> Vec<(f64, f64)> {
    d.trim_end_matches('Z')
        .split(['M', 'L'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (x, y) = p.split_once(',').unwrap();
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

/// The texts of the elements that start with `prefix` (`<text class="legend"`), with the tag.
fn elements<'a>(svg: &'a str, prefix: &str) -> Vec<(&'a str, &'a str)> {
    svg.match_indices(prefix)
        .map(|(i, _)| {
            let tag_end = i + svg[i..].find('>').unwrap();
            let text_end = tag_end + svg[tag_end..].find('<').unwrap();
            (&svg[i..tag_end], &svg[tag_end + 1..text_end])
        })
        .collect()
}

// issue 17, item 5: fills closed with a diagonal, the queue chart's y axis read `0,0,0,0,0,0`,
// legends fell off the chart with three runs, latency charts were scaled to the limit.
#[test]
fn the_report_charts_close_fills_label_axes_keep_legends_inside_and_scale_to_the_data() {
    let dir = ossperf_testkit::temp_dir();
    for (out, scenario) in [("a", "offline"), ("b", "server"), ("c", "server")] {
        let out = fast_run(dir.path(), &["--scenario", scenario, "--output-dir", out]);
        assert!(out.status.success(), "{}", text(&out));
    }
    let report = ossperf()
        .current_dir(dir.path())
        .args(["report", "a/offline/performance", "b/server/performance"])
        .args(["c/server/performance", "-o", "three.html"])
        .output()
        .unwrap();
    assert!(report.status.success(), "{}", text(&report));
    let one = std::fs::read_to_string(dir.path().join("b/server/performance/report.html")).unwrap();
    let three = std::fs::read_to_string(dir.path().join("three.html")).unwrap();
    let offline =
        std::fs::read_to_string(dir.path().join("a/offline/performance/report.html")).unwrap();

    let mut fills = 0;
    for (title, svg) in charts(&one).into_iter().chain(charts(&offline)) {
        let axis_y: f64 = {
            let axis = &svg[svg.find("<line class=\"axis\"").unwrap()..];
            attr(axis, "y1").unwrap().parse().unwrap()
        };
        for (tag, _) in elements(&svg, "<path class=\"fill\"") {
            let points = path_points(&attr(tag, "d").unwrap());
            let n = points.len();
            let (first, last) = (points[0], points[n - 3]);
            assert_eq!(
                points[n - 2],
                (last.0, axis_y),
                "`{title}`: down to the axis"
            );
            assert_eq!(
                points[n - 1],
                (first.0, axis_y),
                "`{title}`: along the axis"
            );
            fills += 1;
        }
        let y_labels: Vec<&str> = elements(&svg, "<text x=")
            .into_iter()
            .filter(|(tag, _)| tag.contains("text-anchor=\"end\""))
            .map(|(_, label)| label)
            .collect();
        let mut distinct = y_labels.clone();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), y_labels.len(), "`{title}`: {y_labels:?}");
    }
    assert!(fills > 5, "{fills} filled areas");

    assert!(
        charts(&one).iter().any(|(t, _)| t.starts_with("Queue")),
        "the queue chart (its labels are among those checked above)"
    );
    let endpoints = &offline[offline.find("<section id=\"endpoints\">").unwrap()..];
    let row_end = endpoints.find("</td></tr>").unwrap();
    assert!(
        endpoints[..row_end].ends_with("<td class=\"num\">—"),
        "Offline has no TTFT, in the endpoint table too"
    );

    for (title, svg) in charts(&three) {
        let width: f64 = attr(&svg, "viewBox")
            .unwrap()
            .split(' ')
            .nth(2)
            .unwrap()
            .parse()
            .unwrap();
        let legends = elements(&svg, "<text class=\"legend\"");
        for (tag, label) in legends {
            let x: f64 = attr(tag, "x").unwrap().parse().unwrap();
            let right = x + 6.5 * label.chars().count() as f64;
            assert!(
                right <= width,
                "`{title}`: legend `{label}` ends at {right} of {width}"
            );
        }
    }

    let (_, ttft) = charts(&one)
        .into_iter()
        .find(|(t, _)| t == "TTFT: CDF")
        .expect("a TTFT chart");
    assert!(
        ttft.contains(">TTFT limit 3 s →</text>"),
        "the limit is named at the edge: {ttft}"
    );
    let x_labels: Vec<&str> = elements(&ttft, "<text x=")
        .into_iter()
        .filter(|(tag, _)| tag.contains("text-anchor=\"middle\""))
        .map(|(_, label)| label)
        .collect();
    assert!(
        x_labels.iter().all(|l| !l.ends_with(" s")),
        "µs TTFTs are not drawn on a seconds axis: {x_labels:?}"
    );
}

// issue 17, item 9: a server that died mid-run was never abandoned; the run went on issuing
// for the rest of the schedule.
#[test]
fn a_run_whose_every_server_is_gone_answers_the_rest_as_failed_and_ends_invalid() {
    use crate::faults::{finish, spawn_run, Logs};
    use ossperf_testkit::ossperf_sim::{Faults, SimConfig};

    let sim = ossperf_testkit::sim_with(SimConfig {
        faults: Faults {
            // Five of the run's requests after the start-up generation (docs/SERVERS.md).
            exit_after: Some(6),
            ..Faults::default()
        },
        ..ossperf_testkit::zero_config(8)
    });
    let dir = ossperf_testkit::temp_dir();
    // 2,000 queries at 20/s: a 100 s schedule, of which the server serves the first 5.
    let conf = "gpt-oss-120b.*.performance_sample_count_override = 0\n\
                gpt-oss-120b.Server.min_duration = 0\n\
                gpt-oss-120b.Server.min_query_count = 2000\n\
                gpt-oss-120b.Server.target_qps = 20\n";
    let started = std::time::Instant::now();
    let child = spawn_run(
        &[
            "--scenario",
            "server",
            "--server-url",
            &sim.url(),
            "--abandon-after",
            "1",
        ],
        dir.path(),
        conf,
    );
    let ran = finish(child, started);
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(1), "{}", ran.text());
    let logs = Logs::read(dir.path(), "server", "performance", &ran);
    let reason = "not sent: every endpoint has been down for 1 s (--abandon-after)";
    logs.assert_invalid_with(logs.failed(), "samples failed");
    assert!(
        logs.summary.contains(
            " * The run was aborted before every query was issued. \
             Every endpoint had been down for 1 s (--abandon-after)."
        ),
        "{}",
        logs.summary
    );
    assert!(
        logs.requests().len() < 2000,
        "the schedule was not run to its end: {} requests",
        logs.requests().len()
    );
    assert_eq!(
        logs.requests().len() - logs.failed(),
        5,
        "only what the server answered before it left succeeded"
    );
    assert!(ran.stderr.contains(&format!(
        "warning: {reason}: the remaining queries are answered as failed and the run ends INVALID"
    )));
}

// issue 17, item 8: an INVALID result's reason was folded away in the report, and a script
// could not tell INVALID from VALID by the exit status.
#[test]
fn an_invalid_result_says_why_first_and_fails_the_exit_status_on_request() {
    let dir = ossperf_testkit::temp_dir();
    // 40 Server queries: fewer than early stopping needs (459), so INVALID with no failure.
    let plain = fast_run(dir.path(), &["--scenario", "server", "--output-dir", "a"]);
    assert_eq!(plain.status.code(), Some(0), "{}", text(&plain));
    let strict = fast_run(
        dir.path(),
        &[
            "--scenario",
            "server",
            "--output-dir",
            "b",
            "--fail-on-invalid",
        ],
    );
    assert_eq!(strict.status.code(), Some(1), "{}", text(&strict));
    assert!(String::from_utf8_lossy(&strict.stdout).contains("Result is : INVALID"));
    let html =
        std::fs::read_to_string(dir.path().join("b/server/performance/report.html")).unwrap();
    let main = &html[html.find("<section").unwrap()..];
    assert!(
        main.starts_with("<section id=\"verdict\">"),
        "the verdict comes first"
    );
    let why = &main[main.find("<b>Why</b><ul><li>").expect("a reason list") + 18..];
    let first = &why[..why.find("</li>").unwrap()];
    assert!(
        first.starts_with("TPOT Early stopping not satisfied: Run unsuccessful. Processed 40 queries. Would need to run at least 419 more queries"),
        "{first}"
    );
}

/// The commands of the README's fenced block that follows `heading`, continuation lines
/// joined, each split into words (none of them quotes anything).
fn readme_commands(heading: &str) -> Vec<Vec<String>> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .unwrap();
    let section = &readme[readme.find(heading).expect("the README section")..];
    let block = &section[section.find("```sh\n").unwrap() + 6..];
    let block = &block[..block.find("```").unwrap()];
    block
        .replace("\\\n", " ")
        .lines()
        .map(|l| l.split_whitespace().map(str::to_string).collect())
        .collect()
}

// issue 17, item 10: the README's accuracy flow failed twice on the bundled sample before the
// right flags were found, and the errors did not name them.
#[test]
fn the_readme_accuracy_flow_works_as_written_on_the_bundled_sample() {
    let dir = ossperf_testkit::temp_dir();
    std::os::unix::fs::symlink(data_file(""), dir.path().join("data")).unwrap();
    let commands = readme_commands("## Accuracy on the bundled sample");
    assert_eq!(commands.len(), 2, "{commands:?}");
    let mut last = None;
    for words in &commands {
        assert_eq!(words[0], "ossperf");
        let out = ossperf()
            .current_dir(dir.path())
            .args(&words[1..])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}\n{}", words.join(" "), text(&out));
        last = Some(out);
    }
    let stdout = String::from_utf8(last.unwrap().stdout).unwrap();
    assert!(
        stdout.contains("Skipped entries: 35 of dataset `pubmed_summarization`"),
        "{stdout}"
    );
    assert!(stdout.contains("'exact_match': "), "{stdout}");
    // Without the LiveCodeBench tests, the error says where the sample's are.
    let eval = &commands[1];
    let cut = eval.iter().position(|w| w == "--lcb-tests").unwrap();
    let without: Vec<&String> = eval[1..cut].iter().chain(&eval[cut + 2..]).collect();
    let out = ossperf()
        .current_dir(dir.path())
        .args(without)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("the bundled sample's are in `data/sample_lcb_tests.jsonl`"),
        "{}",
        text(&out)
    );
}

#[test]
fn each_first_try_error_of_the_accuracy_flow_names_the_flag_that_fixes_it() {
    let dir = ossperf_testkit::temp_dir();
    let log = dir.path().join("mlperf_log_accuracy.json");
    // One entry of the sample's `pubmed_summarization` rows (62 to 96).
    let eval = |log_text: &str, extra: &[&str]| {
        std::fs::write(&log, log_text).unwrap();
        let out = ossperf()
            .args(["eval", "--mlperf-log"])
            .arg(&log)
            .arg("--reference-data")
            .arg(data_file("sample.parquet"))
            .args(extra)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{}", text(&out));
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let entry = |qsl: u32| {
        format!(r#"{{"seq_id": {qsl}, "qsl_idx": {qsl}, "data": "00000000", "token_count": 1}}"#)
    };
    let pubmed = eval(&format!("[{}]", entry(62)), &[]);
    assert!(
        pubmed.contains("pass `--skip-unscored-datasets` to skip (and count) its entries"),
        "{pubmed}"
    );
    let out = ossperf()
        .args(["eval", "--mlperf-log"])
        .arg(&log)
        .args(["--reference-data", "data/acc_eval_ref.parquet"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).trim_end(),
        "error: the reference data `data/acc_eval_ref.parquet` does not exist; a run on the \
         bundled sample is scored against `data/sample.parquet`"
    );
}

/// `ossperf <args>`'s exit status and stderr.
fn refused(args: &[&str]) -> (Option<i32>, String) {
    let out = ossperf().args(args).output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

// issue 17, item 11: the smaller things a new user met.
#[test]
fn small_mistakes_get_a_clear_refusal_and_help_lists_only_what_is_accepted() {
    let (code, err) = refused(&["plan", "--total-sample-count", "0"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("error: invalid value '0' for '--total-sample-count <N>': 0 is not in 1.."),
        "{err}"
    );
    let (code, err) = refused(&["run", "--max-samples", "-1"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("error: invalid value '-1' for '--max-samples <N>'"),
        "not an unexpected argument: {err}"
    );
    let (code, err) = refused(&["run", "--stream", "--no-stream"]);
    assert_eq!(code, Some(2));
    assert!(
        err.starts_with("error: the argument '--stream' cannot be used with '--no-stream'"),
        "{err}"
    );
    let (code, err) = refused(&[
        "eval",
        "--mlperf-log",
        "log.json",
        "--reference-data",
        "ref.parquet",
        "--save-outputs",
        "outputs.pkl",
    ]);
    assert_eq!(code, Some(2));
    assert_eq!(
        err.trim_end(),
        "error: `--save-outputs outputs.pkl` would be JSON Lines in a file named like a pickle; \
         name it `.jsonl` (ossperf writes per-entry results as JSON Lines, not pandas pickles)"
    );
    let help = ossperf().args(["tune", "--help"]).output().unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(!help.contains("--accuracy"), "{help}");
    assert!(!help.contains("--audit-config"), "{help}");
    assert!(help.contains("--user-conf"), "{help}");
}

// issue 17, item 8: the built-in demo settings gave INVALID Server and Interactive results
// (early stopping). Each demo runs the full simulated H100 timing (Offline about 30 s, Server
// about 90 s, Interactive about 3 min), so this runs with OSSPERF_DEMO_TESTS=1.
#[test]
fn the_demo_of_every_scenario_is_valid_on_the_simulator() {
    if std::env::var_os("OSSPERF_DEMO_TESTS").is_none() {
        eprintln!("skipped: set OSSPERF_DEMO_TESTS=1 to run the three demos (about 5 minutes)");
        return;
    }
    let dir = ossperf_testkit::temp_dir();
    for scenario in ["offline", "server", "interactive"] {
        let out = ossperf()
            .current_dir(dir.path())
            .args(["run", "--scenario", scenario, "--fail-on-invalid"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{scenario}: {}", text(&out));
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains("Result is : VALID"), "{scenario}: {stdout}");
    }
}

// issue 17: the README's "Other commands", each run as written, in a directory holding what
// they name. The lines that need a server (`simulate`, `compliance`, `submission run` and the
// `assemble` and `check` of its result) run in `readme.rs`, against `ossperf simulate`; `readme.rs` also lists the lines that cannot run
// (`dataset convert data.pkl`, `eval LOG FILE`) with the reason.
#[test]
fn the_readme_other_commands_run_as_written() {
    let dir = ossperf_testkit::temp_dir();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::copy(data_file("sample.jsonl"), data.join("sample.jsonl")).unwrap();
    std::fs::copy(
        data_file("sample.parquet"),
        data.join("perf_eval_ref.parquet"),
    )
    .unwrap();
    std::fs::write(dir.path().join("user.conf"), FAST_CONF).unwrap();
    let setup = fast_run(dir.path(), &["--scenario", "server"]);
    assert!(setup.status.success(), "{}", text(&setup));
    let skipped = ["simulate", "convert", "LOG", "compliance", "submission"];
    let mut ran = Vec::new();
    for words in readme_commands("## Other commands") {
        let words: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .take_while(|w| !w.starts_with('#'))
            .collect();
        if words.is_empty() || words.iter().any(|w| skipped.contains(w)) {
            continue;
        }
        assert_eq!(words[0], "ossperf", "{words:?}");
        let out = ossperf()
            .current_dir(dir.path())
            .args(&words[1..])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}\n{}", words.join(" "), text(&out));
        ran.push(words[1..3].join(" "));
    }
    assert_eq!(
        ran,
        [
            "plan --scenario",
            "dataset inspect",
            "dataset build",
            "report mlperf_results/server/performance",
            "conf dump"
        ]
    );
    assert!(dir.path().join("plan.jsonl").is_file());
    assert!(dir.path().join("out.parquet").is_file());
    assert!(dir.path().join("mlperf.conf").is_file());
}

// issue 17, item 3 (continued): `run` into a reader that exits early finishes its run and
// writes every file; the summary that could not be shown is in mlperf_log_summary.txt.
#[test]
fn a_run_into_a_reader_that_exits_early_still_writes_every_file() {
    let dir = ossperf_testkit::temp_dir();
    std::fs::write(dir.path().join("user.conf"), FAST_CONF).unwrap();
    let out = into_closed_pipe(
        ossperf()
            .current_dir(dir.path())
            .args(["run", "--sim-profile", "zero", "--sim-output-len", "8"])
            .args(["--max-samples", "20", "--user-conf", "user.conf"]),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
    let logs = dir.path().join("mlperf_results/offline/performance");
    for file in ["mlperf_log_summary.txt", "results.json", "report.html"] {
        assert!(logs.join(file).is_file(), "{file}\n{}", text(&out));
    }
}

// issue 17, item 5 (continued): two recommendations ran into one bullet.
#[test]
fn each_recommendation_is_its_own_reason() {
    use ossperf_testkit::ossperf_sim::{SimConfig, Timing};
    let sim = ossperf_testkit::sim_with(SimConfig {
        timing: Timing::Fixed {
            ttft: std::time::Duration::from_millis(200),
            tpot: std::time::Duration::from_millis(20),
        },
        ..ossperf_testkit::zero_config(4)
    });
    let dir = ossperf_testkit::temp_dir();
    let conf = format!(
        "{FAST_CONF}gpt-oss-120b.Server.ttft_latency = 100\ngpt-oss-120b.Server.tpot_latency = 10\n"
    );
    std::fs::write(dir.path().join("slow.conf"), conf).unwrap();
    let out = ossperf()
        .current_dir(dir.path())
        .args(["run", "--scenario", "server", "--server-url", &sim.url()])
        .args(["--max-samples", "20", "--user-conf", "slow.conf"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let results = crate::util::json(
        &dir.path()
            .join("mlperf_results/server/performance/results.json"),
    );
    let reasons: Vec<&str> = results["verdict"]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        reasons[..2],
        [
            "TTFT constrain not met: Reduce target QPS to improve latency.",
            "TPOT constrain not met: Reduce target QPS to improve latency."
        ],
        "{reasons:#?}"
    );
}

// issue 17, item 11: `plan`'s defaults differed from `run`'s (6,396 rows and the reference
// user.conf against the bundled sample and the demo user.conf). Without flags, `plan` previews
// what `run` without flags issues. (`run` gets `--sim-profile zero`: the simulator's speed
// changes nothing LoadGen issues, and it keeps the demo's run short.)
#[test]
fn plan_without_flags_previews_exactly_what_run_without_flags_issues() {
    let dir = ossperf_testkit::temp_dir();
    let plan = ossperf()
        .current_dir(dir.path())
        .arg("plan")
        .output()
        .unwrap();
    assert!(plan.status.success(), "{}", text(&plan));
    let run = ossperf()
        .current_dir(dir.path())
        .args(["run", "--sim-profile", "zero"])
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", text(&run));
    let estimate = |out: &Output| -> Vec<String> {
        String::from_utf8_lossy(&out.stderr)
            .lines()
            .filter(|l| l.starts_with("performance: "))
            .map(str::to_string)
            .collect()
    };
    assert_eq!(
        estimate(&plan),
        [
            "performance: 1 query issuing 97 samples (samples_per_query logged 88, issued 97); \
          expected 12.12 s at target_qps 8"
        ]
    );
    assert_eq!(estimate(&plan), estimate(&run));
    let issued: Vec<u64> = String::from_utf8_lossy(&plan.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|l| l["kind"] == "issue")
        .map(|l| l["index"].as_u64().unwrap())
        .collect();
    let results = crate::util::json(
        &dir.path()
            .join("mlperf_results/offline/performance/results.json"),
    );
    let ran: Vec<u64> = results["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["qsl_idx"].as_u64().unwrap())
        .collect();
    assert_eq!(issued.len(), 97);
    assert_eq!(issued, ran);
}
