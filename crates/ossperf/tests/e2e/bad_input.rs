//! Bad input everywhere (issue #9): every `ossperf run` flag with invalid values, and broken
//! files (datasets, conf files, generation configs, output directories). Each is one clear
//! message naming the problem and a non-zero exit, before any load is sent.

use std::path::Path;

use crate::faults::{run, Ran};

/// A dataset row in JSONL with these prompt tokens.
fn jsonl_row(tokens: &str) -> String {
    format!("{{\"input_tokens\": {tokens}, \"dataset\": \"aime25\", \"ground_truth\": \"1\"}}\n")
}

/// Writes the broken files of the table into `dir` and returns their paths by name.
fn broken_files(dir: &Path) -> std::collections::HashMap<&'static str, String> {
    let files: [(&str, Vec<u8>); 13] = [
        (
            "no_tokens.jsonl",
            "{\"text_input\": \"hi\", \"dataset\": \"aime25\"}\n".into(),
        ),
        ("empty_prompt.jsonl", jsonl_row("[]").into_bytes()),
        ("null_prompt.jsonl", jsonl_row("null").into_bytes()),
        (
            "out_of_vocab.jsonl",
            jsonl_row("[1, 2, 999999999]").into_bytes(),
        ),
        ("float_token.jsonl", jsonl_row("[1, 2.5]").into_bytes()),
        (
            "bad_line.jsonl",
            format!("{}{{not json\n", jsonl_row("[1, 2]")).into_bytes(),
        ),
        ("empty.jsonl", Vec::new()),
        ("truncated.parquet", "PAR1\0\0\0".into()),
        ("truncated.pkl", vec![0x80, 0x04, 0x95]),
        ("text.csv", "a,b\n1,2\n".into()),
        (
            "bad_line.conf",
            "gpt-oss-120b.Offline.min_duration = soon\n".into(),
        ),
        ("unknown_key.conf", "*.Offline.min_durashun = 0\n".into()),
        ("not_a_line.conf", "this is not a setting\n".into()),
    ];
    let mut paths = std::collections::HashMap::new();
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("write a broken file");
        paths.insert(name, path.to_string_lossy().into_owned());
    }
    let generation = [
        ("gen_not_json.json", "{"),
        ("gen_not_object.json", "[1]"),
        ("gen_unknown_key.json", r#"{"temprature": 1.0}"#),
        ("gen_wrong_type.json", r#"{"top_k": "ten"}"#),
        ("gen_zero_tokens.json", r#"{"max_new_tokens": 0}"#),
    ];
    for (name, body) in generation {
        let path = dir.join(name);
        std::fs::write(&path, body).expect("write a generation config");
        paths.insert(name, path.to_string_lossy().into_owned());
    }
    let file = dir.join("a_regular_file");
    std::fs::write(&file, "not a directory").expect("write");
    paths.insert(
        "under_a_file",
        file.join("out").to_string_lossy().into_owned(),
    );
    paths.insert("a_directory", dir.to_string_lossy().into_owned());
    paths
}

fn assert_clear_failure(args: &[String], ran: &Ran, expected: &str) {
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(2), "{args:?}\n{}", ran.text());
    assert!(
        ran.stderr.contains(expected),
        "{args:?}: expected `{expected}`\n{}",
        ran.text()
    );
    assert_eq!(
        ran.stderr.matches("error").count().min(1),
        1,
        "one error: {}",
        ran.text()
    );
}

#[test]
fn every_run_flag_rejects_its_invalid_values_with_a_clear_message() {
    let dir = ossperf_testkit::temp_dir();
    let f = broken_files(dir.path());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["--scenario", "singlestream"],
            "invalid value 'singlestream'",
        ),
        (
            vec!["--mlperf-conf", "/nonexistent/mlperf.conf"],
            "/nonexistent/mlperf.conf",
        ),
        (
            vec!["--user-conf", "/nonexistent/user.conf"],
            "/nonexistent/user.conf",
        ),
        (
            vec!["--audit-config", "/nonexistent/audit.config"],
            "/nonexistent/audit.config",
        ),
        (
            vec!["--input-file", "/nonexistent/data.parquet"],
            "`/nonexistent/data.parquet` does not exist",
        ),
        (vec!["--input-file", &f["a_directory"]], "is not a file"),
        (
            vec!["--max-samples", "0"],
            "invalid value '0' for '--max-samples",
        ),
        (
            vec!["--max-samples", "-3"],
            "invalid value '-3' for '--max-samples <N>'",
        ),
        (vec!["--max-samples", "many"], "invalid value 'many'"),
        (vec!["--backend", "tgi"], "invalid value 'tgi'"),
        (vec!["--backend", "openai"], "needs a `--server-url`"),
        (
            vec!["--server-url", "not a url"],
            "invalid `--server-url` `not a url`",
        ),
        (
            vec!["--server-url", "ftp://127.0.0.1:9"],
            "invalid `--server-url` `ftp://127.0.0.1:9`",
        ),
        (
            vec!["--generation-config", "/nonexistent/g.json"],
            "/nonexistent/g.json",
        ),
        (
            vec!["--max-new-tokens", "0"],
            "invalid value '0' for '--max-new-tokens",
        ),
        (vec!["--max-new-tokens", "4294967296"], "--max-new-tokens"),
        (vec!["--temperature", "warm"], "invalid value 'warm'"),
        (vec!["--temperature=-1"], "`temperature` must be 0 or more"),
        (
            vec!["--temperature", "NaN"],
            "`temperature` must be 0 or more",
        ),
        (
            vec!["--top-k", "0"],
            "`top_k` must be -1 (disabled) or at least 1",
        ),
        (
            vec!["--top-k", "-2"],
            "`top_k` must be -1 (disabled) or at least 1",
        ),
        (vec!["--top-k", "1.5"], "invalid value '1.5'"),
        (vec!["--top-p", "0"], "`top_p` must be in (0, 1]"),
        (vec!["--top-p", "1.5"], "`top_p` must be in (0, 1]"),
        (vec!["--top-p", "high"], "invalid value 'high'"),
        (vec!["--num-workers", "some"], "invalid value 'some'"),
        (
            vec!["--max-concurrency", "0"],
            "invalid value '0' for '--max-concurrency",
        ),
        (vec!["--timeout", "0"], "invalid value '0' for '--timeout"),
        (
            vec!["--timeout", "1.5"],
            "invalid value '1.5' for '--timeout",
        ),
        (vec!["--stream=yes"], "--stream"),
        (vec!["--sim-profile", "a100"], "invalid value 'a100'"),
        (
            vec!["--sim-output-len", "0"],
            "invalid value '0' for '--sim-output-len",
        ),
        (
            vec!["--sim-accuracy", "1.5"],
            "expected a number in [0, 1], got `1.5`",
        ),
        (
            vec!["--sim-accuracy", "often"],
            "expected a number in [0, 1], got `often`",
        ),
        (
            vec!["--no-such-flag"],
            "unexpected argument '--no-such-flag'",
        ),
    ];
    for (args, expected) in cases {
        let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let ran = run(&args, dir.path());
        assert_clear_failure(&owned, &ran, expected);
        assert!(
            !dir.path().join("out").exists(),
            "{args:?}: nothing written\n{}",
            ran.text()
        );
    }
}

#[test]
fn broken_files_are_one_clear_error_naming_the_file_and_what_was_expected() {
    let dir = ossperf_testkit::temp_dir();
    let f = broken_files(dir.path());
    let input = "--input-file";
    let cases: Vec<([&str; 2], String)> = vec![
        (
            [input, &f["no_tokens.jsonl"]],
            "has no token column: expected `input_tokens` or `tok_input`, found `text_input`"
                .into(),
        ),
        (
            [input, &f["empty_prompt.jsonl"]],
            "row 0 column `input_tokens`: the prompt is empty".into(),
        ),
        (
            [input, &f["null_prompt.jsonl"]],
            "row 0 column `input_tokens`: the prompt is null".into(),
        ),
        (
            [input, &f["out_of_vocab.jsonl"]],
            "position 2: token id `999999999` is outside the vocabulary".into(),
        ),
        (
            [input, &f["float_token.jsonl"]],
            "position 1: expected an integer token id".into(),
        ),
        ([input, &f["bad_line.jsonl"]], "line 2 column".into()),
        ([input, &f["empty.jsonl"]], "the file is empty".into()),
        (
            [input, &f["truncated.parquet"]],
            "is not a readable parquet file".into(),
        ),
        (
            [input, &f["truncated.pkl"]],
            "is not a readable pandas pickle".into(),
        ),
        (
            [input, &f["text.csv"]],
            "is not a parquet, pandas pickle or JSONL dataset".into(),
        ),
        (
            ["--user-conf", &f["bad_line.conf"]],
            "line 1: `gpt-oss-120b.Offline.min_duration` expects an integer".into(),
        ),
        (
            ["--user-conf", &f["unknown_key.conf"]],
            "line 1: unknown key `min_durashun`".into(),
        ),
        (
            ["--mlperf-conf", &f["not_a_line.conf"]],
            format!("`{}` line 1: expected", f["not_a_line.conf"]),
        ),
        (
            ["--audit-config", &f["bad_line.conf"]],
            "line 1: `gpt-oss-120b.Offline.min_duration` expects an integer".into(),
        ),
        (
            ["--generation-config", &f["gen_not_json.json"]],
            "gen_not_json.json".into(),
        ),
        (
            ["--generation-config", &f["gen_not_object.json"]],
            "expected a JSON object of generation parameters".into(),
        ),
        (
            ["--generation-config", &f["gen_unknown_key.json"]],
            "unknown key `temprature`".into(),
        ),
        (
            ["--generation-config", &f["gen_wrong_type.json"]],
            "`top_k` expects".into(),
        ),
        (
            ["--generation-config", &f["gen_zero_tokens.json"]],
            "`max_new_tokens` expects a positive integer, found `0`".into(),
        ),
    ];
    for (args, expected) in cases {
        let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut all = args.to_vec();
        all.extend(["--sim-profile", "zero", "--sim-output-len", "8"]);
        let ran = run(&all, dir.path());
        assert_clear_failure(&owned, &ran, &expected);
    }
}

#[test]
fn an_output_directory_that_cannot_be_created_fails_before_any_load() {
    let dir = ossperf_testkit::temp_dir();
    let f = broken_files(dir.path());
    let sim = ossperf_testkit::sim();
    let user_conf = dir.path().join("user.conf");
    std::fs::write(&user_conf, crate::faults::FAST_CONF).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ossperf"))
        .args(["run", "--server-url", &sim.url(), "--max-samples", "4"])
        .arg("--user-conf")
        .arg(&user_conf)
        .args(["--output-dir", &f["under_a_file"]])
        .output()
        .expect("run ossperf");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("cannot create the output directory") && stderr.contains("a_regular_file"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(sim.truth().is_empty(), "no load was sent");
}

#[test]
fn a_full_disk_is_a_clear_error_and_no_partial_results_file() {
    let dir = ossperf_testkit::temp_dir();
    let mount_point = dir.path().join("tiny");
    std::fs::create_dir(&mount_point).expect("mkdir");
    let mounted = std::process::Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=64k", "tmpfs"])
        .arg(&mount_point)
        .output();
    match mounted {
        Ok(out) if out.status.success() => {}
        Ok(out) => {
            eprintln!(
                "skipped: a tiny tmpfs cannot be mounted here ({})",
                String::from_utf8_lossy(&out.stderr).trim()
            );
            return;
        }
        Err(e) => {
            eprintln!("skipped: `mount` cannot run here ({e})");
            return;
        }
    }
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount").arg(self.0).status();
        }
    }
    let _unmount = Unmount(&mount_point);
    let user_conf = dir.path().join("user.conf");
    std::fs::write(&user_conf, crate::faults::FAST_CONF).expect("write");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ossperf"))
        .args(["run", "--accuracy", "--sim-profile", "zero"])
        .args(["--sim-output-len", "2000", "--max-samples", "20"])
        .arg("--user-conf")
        .arg(&user_conf)
        .arg("--output-dir")
        .arg(&mount_point)
        .output()
        .expect("run ossperf");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("No space left on device") || stderr.contains("os error 28"),
        "{stderr}"
    );
    let results = mount_point.join("offline/accuracy/results.json");
    if let Ok(text) = std::fs::read_to_string(&results) {
        assert!(
            serde_json::from_str::<serde_json::Value>(&text).is_ok(),
            "a results.json that exists is whole"
        );
    }
}

#[test]
fn parquet_files_that_crashed_the_fuzzer_are_clear_errors() {
    // Issue #9: the parquet crate panicked on these (negative column ranges in the footer,
    // a shift overflow in a damaged page); each is now a damaged-file error, and nothing
    // else is printed.
    let dir = ossperf_testkit::temp_dir();
    let regressions =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/regressions/dataset_parquet");
    let mut seen = 0;
    for entry in std::fs::read_dir(&regressions).expect("the committed crash inputs") {
        let input = dir.path().join("crash.parquet");
        std::fs::copy(entry.expect("an entry").path(), &input).expect("copy");
        let input = input.to_string_lossy().into_owned();
        let ran = run(&["--input-file", &input], dir.path());
        assert_eq!(ran.status.code(), Some(2), "{}", ran.text());
        assert!(
            ran.stderr.contains("is not a readable parquet file"),
            "{}",
            ran.text()
        );
        // The parquet crate's own panic message is kept off the terminal too.
        ran.assert_no_panic();
        seen += 1;
    }
    assert_eq!(seen, 5);
}
