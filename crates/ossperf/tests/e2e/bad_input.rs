//! Bad input everywhere (issue #9): every `ossperf run` flag with invalid values, and broken
//! files (datasets, conf files, generation configs, output directories). Each is one clear
//! message naming the problem and a non-zero exit, before any load is sent. The messages are
//! pinned exactly (the test's temporary directory shown as `[DIR]`).

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

/// Exit status 2 and exactly `expected` on stderr, with the test's directory shown as `[DIR]`.
fn assert_clear_failure(args: &[String], ran: &Ran, expected: &str, dir: &Path) {
    ran.assert_no_panic();
    assert_eq!(ran.status.code(), Some(2), "{args:?}\n{}", ran.text());
    let dir = dir.to_string_lossy();
    assert_eq!(
        ran.stderr.replace(dir.as_ref(), "[DIR]"),
        expected,
        "{args:?}\n{}",
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
            "error: invalid value 'singlestream' for '--scenario <SCENARIO>'\n  [possible values: offline, server, interactive]\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--mlperf-conf", "/nonexistent/mlperf.conf"],
            "error: cannot read conf file `/nonexistent/mlperf.conf`: No such file or directory (os error 2)\n",
        ),
        (
            vec!["--user-conf", "/nonexistent/user.conf"],
            "error: cannot read conf file `/nonexistent/user.conf`: No such file or directory (os error 2)\n",
        ),
        (
            vec!["--audit-config", "/nonexistent/audit.config"],
            "error: cannot read conf file `/nonexistent/audit.config`: No such file or directory (os error 2)\n",
        ),
        (
            vec!["--input-file", "/nonexistent/data.parquet"],
            "error: the dataset `/nonexistent/data.parquet` does not exist or is not a file\n",
        ),
        (
            vec!["--input-file", &f["a_directory"]],
            "error: the dataset `[DIR]` does not exist or is not a file\n",
        ),
        (
            vec!["--max-samples", "0"],
            "error: invalid value '0' for '--max-samples <N>': 0 is not in 1..18446744073709551615\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--max-samples", "-3"],
            "error: invalid value '-3' for '--max-samples <N>': invalid digit found in string\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--max-samples", "many"],
            "error: invalid value 'many' for '--max-samples <N>': invalid digit found in string\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--backend", "tgi"],
            "error: invalid value 'tgi' for '--backend <BACKEND>'\n  [possible values: sglang, openai, sim]\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--backend", "openai"],
            "error: `--backend openai` needs a `--server-url`; leave both out to use the built-in simulator\n",
        ),
        (
            vec!["--server-url", "not a url"],
            "error: invalid `--server-url` `not a url`: server URL `not a url`: invalid uri character; expected a URL like `http://localhost:30000`\n",
        ),
        (
            vec!["--server-url", "ftp://127.0.0.1:9"],
            "error: invalid `--server-url` `ftp://127.0.0.1:9`: server URL `ftp://127.0.0.1:9`: scheme `ftp` is not supported, use `http://` or `https://`\n",
        ),
        (
            vec!["--generation-config", "/nonexistent/g.json"],
            "error: cannot read the generation config `/nonexistent/g.json`: No such file or directory (os error 2)\n",
        ),
        (
            vec!["--max-new-tokens", "0"],
            "error: invalid value '0' for '--max-new-tokens <N>': 0 is not in 1..=4294967295\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--max-new-tokens", "4294967296"],
            "error: invalid value '4294967296' for '--max-new-tokens <N>': 4294967296 is not in 1..=4294967295\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--temperature", "warm"],
            "error: invalid value 'warm' for '--temperature <T>': invalid float literal\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--temperature=-1"],
            "error: invalid generation parameters: `temperature` must be 0 or more, found `-1`\n",
        ),
        (
            vec!["--temperature", "NaN"],
            "error: invalid generation parameters: `temperature` must be 0 or more, found `NaN`\n",
        ),
        (
            vec!["--top-k", "0"],
            "error: invalid generation parameters: `top_k` must be -1 (disabled) or at least 1, found `0`\n",
        ),
        (
            vec!["--top-k", "-2"],
            "error: invalid generation parameters: `top_k` must be -1 (disabled) or at least 1, found `-2`\n",
        ),
        (
            vec!["--top-k", "1.5"],
            "error: invalid value '1.5' for '--top-k <K>': invalid digit found in string\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--top-p", "0"],
            "error: invalid generation parameters: `top_p` must be in (0, 1], found `0`\n",
        ),
        (
            vec!["--top-p", "1.5"],
            "error: invalid generation parameters: `top_p` must be in (0, 1], found `1.5`\n",
        ),
        (
            vec!["--top-p", "high"],
            "error: invalid value 'high' for '--top-p <P>': invalid float literal\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--num-workers", "some"],
            "error: invalid value 'some' for '--num-workers <N>': invalid digit found in string\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--max-concurrency", "0"],
            "error: invalid value '0' for '--max-concurrency <N>': 0 is not in 1..=4294967295\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--timeout", "0"],
            "error: invalid value '0' for '--timeout <SECONDS>': 0 is not in 1..18446744073709551615\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--timeout", "1.5"],
            "error: invalid value '1.5' for '--timeout <SECONDS>': invalid digit found in string\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--stream=yes"],
            "error: unexpected value 'yes' for '--stream' found; no more were expected\n\nUsage: ossperf run --stream\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--sim-profile", "a100"],
            "error: invalid value 'a100' for '--sim-profile <SIM_PROFILE>'\n  [possible values: h100, h200, zero]\n\n  tip: a similar value exists: 'h100'\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--sim-output-len", "0"],
            "error: invalid value '0' for '--sim-output-len <N>': 0 is not in 1..=4294967295\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--sim-accuracy", "1.5"],
            "error: invalid value '1.5' for '--sim-accuracy <P>': expected a number in [0, 1], got `1.5`\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--sim-accuracy", "often"],
            "error: invalid value 'often' for '--sim-accuracy <P>': expected a number in [0, 1], got `often`\n\nFor more information, try '--help'.\n",
        ),
        (
            vec!["--no-such-flag"],
            "error: unexpected argument '--no-such-flag' found\n\nUsage: ossperf run [OPTIONS]\n\nFor more information, try '--help'.\n",
        ),
    ];
    for (args, expected) in cases {
        let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let ran = run(&args, dir.path());
        assert_clear_failure(&owned, &ran, expected, dir.path());
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
    let cases: Vec<([&str; 2], &str)> = vec![
        (
            ["--input-file", &f["no_tokens.jsonl"]],
            "error: `[DIR]/no_tokens.jsonl` has no token column: expected `input_tokens` or `tok_input`, found `text_input`, `dataset`\n",
        ),
        (
            ["--input-file", &f["empty_prompt.jsonl"]],
            "error: `[DIR]/empty_prompt.jsonl` row 0 column `input_tokens`: the prompt is empty, expected at least one token id\n",
        ),
        (
            ["--input-file", &f["null_prompt.jsonl"]],
            "error: `[DIR]/null_prompt.jsonl` row 0 column `input_tokens`: the prompt is null, expected a list of token ids\n",
        ),
        (
            ["--input-file", &f["out_of_vocab.jsonl"]],
            "error: `[DIR]/out_of_vocab.jsonl` row 0 column `input_tokens` position 2: token id `999999999` is outside the vocabulary, expected 0 to 201087\n",
        ),
        (
            ["--input-file", &f["float_token.jsonl"]],
            "error: `[DIR]/float_token.jsonl` row 0 column `input_tokens` position 1: expected an integer token id, found the number `2.5`\n",
        ),
        (
            ["--input-file", &f["bad_line.jsonl"]],
            "error: `[DIR]/bad_line.jsonl` line 2 column 2: key must be a string\n",
        ),
        (
            ["--input-file", &f["empty.jsonl"]],
            "error: `[DIR]/empty.jsonl` is not a parquet, pandas pickle or JSONL dataset: the file is empty; expected parquet (`PAR1`), a pickle (`\\x80` protocol 2-5) or JSON Lines (`{`)\n",
        ),
        (
            ["--input-file", &f["truncated.parquet"]],
            "error: `[DIR]/truncated.parquet` is not a readable parquet file: EOF: Parquet file too small. Size is 7 but need 8\n",
        ),
        (
            ["--input-file", &f["truncated.pkl"]],
            "error: `[DIR]/truncated.pkl` is not a readable pandas pickle: truncated at byte 3: expected 8 more bytes\n",
        ),
        (
            ["--input-file", &f["text.csv"]],
            "error: `[DIR]/text.csv` is not a parquet, pandas pickle or JSONL dataset: it starts with bytes `61 2c 62 0a 31 2c 32 0a`; expected parquet (`PAR1`), a pickle (`\\x80` protocol 2-5) or JSON Lines (`{`)\n",
        ),
        (
            ["--user-conf", &f["bad_line.conf"]],
            "error: `[DIR]/bad_line.conf` line 1: `gpt-oss-120b.Offline.min_duration` expects an integer or a number (no inline comments), found `soon`\n",
        ),
        (
            ["--user-conf", &f["unknown_key.conf"]],
            "error: `[DIR]/unknown_key.conf` line 1: unknown key `min_durashun`; expected a LoadGen setting such as `min_duration`, `target_qps` or `min_query_count`\n",
        ),
        (
            ["--mlperf-conf", &f["not_a_line.conf"]],
            "error: `[DIR]/not_a_line.conf` line 1: expected `=` after the key, found `is`\n",
        ),
        (
            ["--audit-config", &f["bad_line.conf"]],
            "error: `[DIR]/bad_line.conf` line 1: `gpt-oss-120b.Offline.min_duration` expects an integer or a number (no inline comments), found `soon`\n",
        ),
        (
            ["--generation-config", &f["gen_not_json.json"]],
            "error: generation config `[DIR]/gen_not_json.json`: not valid JSON: EOF while parsing an object at line 1 column 1\n",
        ),
        (
            ["--generation-config", &f["gen_not_object.json"]],
            "error: generation config `[DIR]/gen_not_object.json`: expected a JSON object of generation parameters\n",
        ),
        (
            ["--generation-config", &f["gen_unknown_key.json"]],
            "error: generation config `[DIR]/gen_unknown_key.json`: unknown key `temprature`: expected `max_new_tokens`, `temperature`, `top_k`, `top_p` or a comment key starting with `_`\n",
        ),
        (
            ["--generation-config", &f["gen_wrong_type.json"]],
            "error: generation config `[DIR]/gen_wrong_type.json`: `top_k` expects an integer (-1 disables), found `\"ten\"`\n",
        ),
        (
            ["--generation-config", &f["gen_zero_tokens.json"]],
            "error: generation config `[DIR]/gen_zero_tokens.json`: `max_new_tokens` expects a positive integer, found `0`\n",
        ),
    ];
    for (args, expected) in cases {
        let owned: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        let mut all = args.to_vec();
        all.extend(["--sim-profile", "zero", "--sim-output-len", "8"]);
        let ran = run(&all, dir.path());
        assert_clear_failure(&owned, &ran, expected, dir.path());
    }
}

#[test]
fn an_output_directory_that_cannot_be_created_fails_before_any_load() {
    let dir = ossperf_testkit::temp_dir();
    let f = broken_files(dir.path());
    let sim = ossperf_testkit::sim();
    let user_conf = dir.path().join("user.conf");
    std::fs::write(&user_conf, crate::faults::FAST_CONF).expect("write");
    let out = crate::util::ossperf()
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
    assert!(
        ossperf_testkit::served_load(&sim).is_empty(),
        "no load was sent"
    );
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
    let out = crate::util::ossperf()
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
