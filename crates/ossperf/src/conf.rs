//! `ossperf conf dump`: writes the conf files ossperf has built in, byte for byte, so a
//! submission can include the files its runs used. Their origins are in
//! `crates/loadgen/conf/README.md`.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::cli::conf::{BuiltinConf, ConfCommand};

/// Runs `ossperf conf`.
pub(crate) fn run(cmd: ConfCommand) -> anyhow::Result<ExitCode> {
    let ConfCommand::Dump(args) = cmd;
    let text = builtin(args.which);
    match &args.output {
        Some(path) => {
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(path)
                .with_context(|| {
                    format!(
                        "cannot create `{}` (an existing file is never replaced)",
                        path.display()
                    )
                })?;
            file.write_all(text.as_bytes())
                .with_context(|| format!("cannot write `{}`", path.display()))?;
        }
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())
                .and_then(|()| out.flush())
                .context("cannot write to stdout")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The built-in file's exact text.
pub(crate) fn builtin(which: BuiltinConf) -> &'static str {
    match which {
        BuiltinConf::Mlperf => ossperf_loadgen::config::BUILTIN_MLPERF_CONF,
        BuiltinConf::User => ossperf_loadgen::config::REFERENCE_USER_CONF,
    }
}
