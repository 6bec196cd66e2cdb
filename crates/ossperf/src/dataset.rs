//! `ossperf dataset`: look inside, build and convert benchmark datasets. The work is done by
//! `ossperf-dataset`; this module parses the arguments and prints through [`crate::output`].

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use ossperf_dataset::{Dataset, Format, OpenOptions, ReasoningEffort, Summary};

use crate::cli::dataset::{BuildArgs, ConvertArgs, DatasetCommand, Effort, InspectArgs};
use crate::output;

impl From<Effort> for ReasoningEffort {
    fn from(e: Effort) -> Self {
        match e {
            Effort::Low => Self::Low,
            Effort::Medium => Self::Medium,
            Effort::High => Self::High,
        }
    }
}

/// Runs `ossperf dataset`.
pub(crate) fn run(cmd: DatasetCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        DatasetCommand::Inspect(args) => inspect(&args),
        DatasetCommand::Build(args) => build(&args),
        DatasetCommand::Convert(args) => convert(&args),
    }?;
    Ok(ExitCode::SUCCESS)
}

fn inspect(args: &InspectArgs) -> anyhow::Result<()> {
    let options = OpenOptions {
        check_vocabulary: false,
        ..OpenOptions::default()
    };
    let ds = ossperf_dataset::open_with(&args.file, &options)?;
    for line in inspect_lines(&ds, format_name(&args.file)) {
        output::data(&line);
    }
    if let Some(row) = args.decode {
        let ids = ds.get_tokens(row).with_context(|| {
            format!(
                "`--decode {row}`: the dataset has {} rows (0 to {})",
                ds.len(),
                ds.len().saturating_sub(1)
            )
        })?;
        let text = ossperf_harmony::tokenizer()
            .decode(ids)
            .with_context(|| format!("cannot decode row {row}"))?;
        output::data(&format!("row {row} ({} tokens):", ids.len()));
        output::data(&text);
    }
    Ok(())
}

/// The report of `inspect`, one line each.
pub(crate) fn inspect_lines(ds: &Dataset, format: &str) -> Vec<String> {
    let summary = Summary::of(ds);
    let mut lines = vec![
        format!("file: {}", ds.source().display()),
        format!("format: {format}"),
        format!("rows: {}", summary.rows),
        format!("tokens: {}", summary.total_tokens),
        format!("token column: {}", ds.token_column()),
        "columns:".to_owned(),
    ];
    let width = ds.schema().iter().map(|(n, _)| n.len()).max().unwrap_or(0);
    for (name, type_name) in ds.schema() {
        lines.push(format!("  {name:<width$}  {type_name}"));
    }
    lines.push("sub-datasets:".to_owned());
    let width = summary
        .sub_datasets
        .iter()
        .map(|(n, _)| n.len())
        .max()
        .unwrap_or(0);
    for (name, count) in &summary.sub_datasets {
        lines.push(format!("  {name:<width$}  {count}"));
    }
    if let Some(l) = &summary.lengths {
        lines.push(format!(
            "input length: min {} mean {:.1} p50 {} p99 {} max {}",
            l.min, l.mean, l.p50, l.p99, l.max
        ));
    }
    lines.push(format!(
        "token ids outside the vocabulary (>= {}): {}",
        ossperf_harmony::VOCAB_SIZE,
        summary.out_of_vocabulary
    ));
    lines
}

/// The format a file's first bytes show, for the report.
fn format_name(path: &Path) -> &'static str {
    let mut head = [0u8; 16];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    match Format::sniff(&head[..n]) {
        Some(Format::Parquet) => "parquet",
        Some(Format::Pickle) => "pandas pickle",
        Some(Format::Jsonl) => "jsonl",
        _ => "unknown",
    }
}

fn build(args: &BuildArgs) -> anyhow::Result<()> {
    let options = ossperf_dataset::BuildOptions {
        reasoning_effort: args.reasoning_effort.into(),
    };
    let ds = ossperf_dataset::build_from_jsonl(&args.input, &options)?;
    ossperf_dataset::write_parquet(&ds, &args.output)?;
    output::info(&format!(
        "wrote {} rows ({} tokens) to {}",
        ds.len(),
        ds.total_tokens(),
        args.output.display()
    ));
    Ok(())
}

fn convert(args: &ConvertArgs) -> anyhow::Result<()> {
    let format = match Format::from_extension(&args.output) {
        Some(f @ (Format::Parquet | Format::Jsonl)) => f,
        _ => anyhow::bail!(
            "`{}`: expected an output file ending in `.parquet` or `.jsonl`",
            args.output.display()
        ),
    };
    let ds = ossperf_dataset::open(&args.input)?;
    if format == Format::Parquet {
        ossperf_dataset::write_parquet(&ds, &args.output)?;
    } else {
        ossperf_dataset::write_jsonl(&ds, &args.output)?;
    }
    output::info(&format!(
        "wrote {} rows to {}",
        ds.len(),
        args.output.display()
    ));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn build_then_convert_to_jsonl_and_back_keeps_every_row() {
        let dir = tempfile::tempdir().unwrap();
        let questions = dir.path().join("q.jsonl");
        std::fs::write(
            &questions,
            "{\"dataset\":\"aime25\",\"question\":\"What is 6 times 7?\",\"ground_truth\":\"42\"}\n\
             {\"dataset\":\"pubmed_summarization\",\"question\":\"Summarize this.\"}\n",
        )
        .unwrap();
        let built = dir.path().join("built.parquet");
        build(&BuildArgs {
            input: questions,
            output: built.clone(),
            reasoning_effort: Effort::Low,
        })
        .unwrap();
        let jsonl = dir.path().join("rows.jsonl");
        convert(&ConvertArgs {
            input: built.clone(),
            output: jsonl.clone(),
        })
        .unwrap();
        let back = dir.path().join("back.parquet");
        convert(&ConvertArgs {
            input: jsonl,
            output: back.clone(),
        })
        .unwrap();
        let (a, b) = (
            ossperf_dataset::open(&built).unwrap(),
            ossperf_dataset::open(&back).unwrap(),
        );
        assert_eq!(a.len(), 2);
        assert_eq!(a.tokens(1), b.tokens(1));
        assert_eq!(b.sub_dataset(1), Some("pubmed_summarization"));
        assert_eq!(b.ground_truth(0), Some("42"));
        let expected =
            ossperf_harmony::render_prompt("aime25", "What is 6 times 7?", ReasoningEffort::Low)
                .unwrap();
        assert_eq!(b.tokens(0), expected.as_slice());
    }

    #[test]
    fn convert_refuses_an_output_of_unknown_format() {
        let err = convert(&ConvertArgs {
            input: PathBuf::from("in.parquet"),
            output: PathBuf::from("out.csv"),
        })
        .unwrap_err();
        assert_eq!(
            format!("{err:#}"),
            "`out.csv`: expected an output file ending in `.parquet` or `.jsonl`"
        );
    }

    #[test]
    fn inspect_reports_counts_columns_and_lengths() {
        let ds = Dataset::from_prompts(&[vec![1, 2, 3], vec![4], vec![5, 201_088]]);
        assert_eq!(
            inspect_lines(&ds, "parquet"),
            [
                "file: <memory>",
                "format: parquet",
                "rows: 3",
                "tokens: 6",
                "token column: input_tokens",
                "columns:",
                "  input_tokens  list<int32>",
                "sub-datasets:",
                "  (none)  3",
                "input length: min 1 mean 2.0 p50 2 p99 3 max 3",
                "token ids outside the vocabulary (>= 201088): 1",
            ]
        );
    }
}
