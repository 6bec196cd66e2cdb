//! `results.json`: the run's result model on disk, written as a stream and read back checked.
//!
//! A run can hold 100,000+ request records, so the writer never builds a document: it writes
//! the small fields, then one request record per line (which also keeps the file greppable and
//! diffable). It writes to a temporary name and renames, so a crash never leaves half a file
//! under the real name. The reader checks `schema_version` before anything else, so a file of
//! another version gets a message about versions instead of a confusing field error.

use std::fs;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use super::model::{RunResults, SCHEMA_VERSION};

/// The file name `ossperf run` writes beside the MLPerf logs.
pub const RESULTS_FILE: &str = "results.json";

/// Writes `results` as `dir/results.json` and returns its path.
pub fn write_results(dir: &Path, results: &RunResults) -> anyhow::Result<PathBuf> {
    let path = dir.join(RESULTS_FILE);
    let partial = dir.join(format!("{RESULTS_FILE}.partial"));
    let file = fs::File::create(&partial)
        .with_context(|| format!("cannot create `{}`", partial.display()))?;
    let mut out = BufWriter::new(file);
    let written = write_json(results, &mut out).and_then(|()| out.flush());
    drop(out);
    if let Err(err) = written {
        let _ = fs::remove_file(&partial);
        return Err(err).with_context(|| format!("cannot write `{}`", partial.display()));
    }
    fs::rename(&partial, &path).with_context(|| {
        format!(
            "cannot rename `{}` to `{}`",
            partial.display(),
            path.display()
        )
    })?;
    Ok(path)
}

/// Streams `results` as JSON: one top-level field per line, one request record per line.
pub fn write_json(results: &RunResults, out: &mut dyn Write) -> io::Result<()> {
    // An exhaustive destructure: a new field in the model fails to compile until written here.
    let RunResults {
        schema_version,
        tool,
        version,
        started_at,
        scenario,
        mode,
        model_key,
        loadgen,
        submittable,
        config,
        settings,
        verdict,
        metrics,
        endpoints,
        tokens,
        requests,
        beyond_loadgen,
        server_metrics,
        warmup,
        telemetry,
    } = results;
    out.write_all(b"{\n")?;
    field(out, "schema_version", schema_version)?;
    field(out, "tool", tool)?;
    field(out, "version", version)?;
    field(out, "started_at", started_at)?;
    field(out, "scenario", scenario)?;
    field(out, "mode", mode)?;
    field(out, "model_key", model_key)?;
    field(out, "loadgen", loadgen)?;
    if let Some(submittable) = submittable {
        field(out, "submittable", submittable)?;
    }
    if let Some(config) = config {
        field(out, "config", config)?;
    }
    list(out, "settings", settings)?;
    field(out, "verdict", verdict)?;
    list(out, "metrics", metrics)?;
    list(out, "endpoints", endpoints)?;
    field(out, "tokens", tokens)?;
    if let Some(beyond) = beyond_loadgen {
        field(out, "beyond_loadgen", beyond)?;
    }
    list(out, "server_metrics", server_metrics)?;
    if let Some(warmup) = warmup {
        field(out, "warmup", warmup)?;
    }
    if let Some(telemetry) = telemetry {
        field(out, "telemetry", telemetry)?;
    }
    out.write_all(b"\"requests\": [")?;
    for (i, record) in requests.iter().enumerate() {
        out.write_all(if i == 0 { b"\n" } else { b",\n" })?;
        serde_json::to_writer(&mut *out, record)?;
    }
    out.write_all(b"\n]\n}\n")
}

fn field<T: Serialize>(out: &mut dyn Write, key: &str, value: &T) -> io::Result<()> {
    write!(out, "\"{key}\": ")?;
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b",\n")
}

fn list<T: Serialize>(out: &mut dyn Write, key: &str, items: &[T]) -> io::Result<()> {
    write!(out, "\"{key}\": [")?;
    for (i, item) in items.iter().enumerate() {
        out.write_all(if i == 0 { b"\n  " } else { b",\n  " })?;
        serde_json::to_writer(&mut *out, item)?;
    }
    out.write_all(if items.is_empty() { b"],\n" } else { b"\n],\n" })
}

/// Only what identifies a results file, read before the whole model.
#[derive(Deserialize)]
struct Probe {
    schema_version: Option<u32>,
    tool: Option<String>,
    version: Option<String>,
}

/// Reads `dir/results.json` (or `dir` itself when it names a file).
pub fn load_results(dir: &Path) -> anyhow::Result<RunResults> {
    let path = if dir.is_file() {
        dir.to_path_buf()
    } else if dir.is_dir() {
        dir.join(RESULTS_FILE)
    } else {
        bail!(
            "`{}` does not exist: expected a result directory of `ossperf run`",
            dir.display()
        )
    };
    if !path.is_file() {
        bail!(
            "`{}` holds no `{RESULTS_FILE}`: expected a result directory of `ossperf run`",
            dir.display()
        );
    }
    let text =
        fs::read_to_string(&path).with_context(|| format!("cannot read `{}`", path.display()))?;
    parse_results(&text).with_context(|| format!("in `{}`", path.display()))
}

/// Parses the text of a `results.json`, checking its schema version first.
pub fn parse_results(text: &str) -> anyhow::Result<RunResults> {
    let probe: Probe =
        serde_json::from_str(text).map_err(|e| anyhow::anyhow!("not a results file: {e}"))?;
    match probe.schema_version {
        None => bail!("field `schema_version` is missing: expected an ossperf results file"),
        Some(SCHEMA_VERSION) => {}
        Some(other) => bail!(
            "`schema_version` is `{other}`, this ossperf reads `{SCHEMA_VERSION}`: the file was \
             written by `{} {}`; open it with that version or run again",
            probe.tool.as_deref().unwrap_or("an unknown tool"),
            probe.version.as_deref().unwrap_or("(unknown version)"),
        ),
    }
    Ok(serde_json::from_str(text)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::sample;

    #[test]
    fn results_round_trip_through_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let results = sample::server_run(500, 7);
        let path = write_results(dir.path(), &results).unwrap();
        assert_eq!(path, dir.path().join("results.json"));
        assert!(!dir.path().join("results.json.partial").exists());
        assert_eq!(load_results(dir.path()).unwrap(), results);
        assert_eq!(load_results(&path).unwrap(), results);
    }

    #[test]
    fn metric_values_survive_the_file_to_the_last_bit() {
        let mut results = sample::server_run(2, 1);
        for (i, m) in results.metrics.iter_mut().enumerate() {
            m.value = 26_121.597_816_534_042 + i as f64 * 0.1;
        }
        let mut out = Vec::new();
        write_json(&results, &mut out).unwrap();
        let back = parse_results(std::str::from_utf8(&out).unwrap()).unwrap();
        assert_eq!(back.metrics, results.metrics);
    }

    #[test]
    fn each_request_record_is_on_its_own_line() {
        let results = sample::server_run(3, 1);
        let mut out = Vec::new();
        write_json(&results, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let records = text
            .lines()
            .filter(|l| l.starts_with("{\"qsl_idx\":"))
            .count();
        assert_eq!(records, 3);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["schema_version"], 1);
    }

    #[test]
    fn a_directory_without_results_is_named_in_the_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = load_results(dir.path()).unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            format!(
                "`{}` holds no `results.json`: expected a result directory of `ossperf run`",
                dir.path().display()
            )
        );
    }

    #[test]
    fn another_schema_version_is_refused_with_both_versions() {
        let err = parse_results(r#"{"schema_version": 2, "tool": "ossperf", "version": "9.0.0"}"#)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`schema_version` is `2`, this ossperf reads `1`: the file was written by \
             `ossperf 9.0.0`; open it with that version or run again"
        );
    }

    #[test]
    fn a_broken_file_reports_line_and_column() {
        let err = parse_results("{\"schema_version\": 1,\n\"tool\": }").unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a results file: expected value at line 2 column 9"
        );
        let err = parse_results("{\"schema_version\": 1}").unwrap_err();
        assert_eq!(err.to_string(), "missing field `tool` at line 1 column 21");
    }
}
