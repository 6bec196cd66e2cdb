//! Arguments of `ossperf plan`; the command is `crate::plan`.

use std::path::PathBuf;

use super::conf_args::ConfArgs;

/// The output format, shown by `ossperf plan --help`.
const OUTPUT_FORMAT: &str = "\
Output: the requested and effective settings go to stderr; one JSON object per line goes to
--output (default stdout). For each phase (accuracy before performance in a submission run) and
each loadable set it issues (performance: only the first):

  {\"kind\":\"loaded\",\"phase\":\"performance\",\"set\":0,\"samples\":[5402,3543,...]}
  {\"kind\":\"issue\",\"phase\":\"performance\",\"set\":0,\"query\":0,\"index\":1987,\"scheduled_ns\":0,\"accuracy_log\":false}
  ... one \"issue\" line per sample, in issue order ...
  {\"kind\":\"generated\",\"phase\":\"performance\",\"set\":0,\"query_count\":12792,\"samples_per_query\":1,\"query_duration_ns\":126759396}

samples: QSL indices in load order. index: the QSL index of an issued sample; query: its query
number; scheduled_ns: the query's time after the start of the run (Server: the Poisson schedule;
Offline: 0); accuracy_log: whether its response goes to the accuracy log. generated: LoadGen's
generated_query_count, generated_samples_per_query and generated_query_duration.";

/// Arguments of `ossperf plan`.
#[derive(Debug, clap::Args)]
#[command(after_long_help = OUTPUT_FORMAT)]
pub struct PlanArgs {
    #[command(flatten)]
    pub conf: ConfArgs,
    /// Number of samples in the dataset (the QSL's total sample count) [default: the bundled
    /// sample's rows, with ossperf's demo user.conf unless `--user-conf` is given, as `ossperf
    /// run` without `--input-file`]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub total_sample_count: Option<u64>,
    /// The QSL's performance sample count (default: the total sample count)
    #[arg(long, value_name = "N")]
    pub performance_sample_count: Option<u64>,
    /// Draw integers like LoadGen builds made with GCC 10 or older (libstdc++'s division
    /// method) instead of the official 6.0.x wheels (GCC 14, Lemire's method)
    #[arg(long)]
    pub gcc10_int_draw: bool,
    /// The LoadGen the run would use (decides whether its result can be submitted)
    #[arg(long, value_enum, default_value = "native")]
    pub loadgen: super::run::LoadgenArg,
    /// Write the JSON lines here instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
