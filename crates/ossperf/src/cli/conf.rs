//! Arguments of `ossperf conf`; the command is `crate::conf`.

use std::path::PathBuf;

/// `ossperf conf` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum ConfCommand {
    /// Write a built-in conf file (a submission includes the ones its runs used)
    Dump(DumpArgs),
}

/// Which built-in file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BuiltinConf {
    /// The official mlperf.conf of LoadGen 6.0.17 (used without `--mlperf-conf`)
    Mlperf,
    /// The reference harness's user.conf for gpt-oss-120b (used without `--user-conf`)
    User,
}

/// Arguments of `ossperf conf dump`.
#[derive(Debug, clap::Args)]
pub struct DumpArgs {
    /// The file to write
    #[arg(value_enum)]
    pub which: BuiltinConf,
    /// Write it here (a new file; an existing one is never replaced) instead of stdout
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}
