//! Arguments of `ossperf tune`: find the highest `target_qps` whose Server or Interactive run
//! stays VALID (or, Offline, the `target_qps` that fills the minimum duration) and write it as
//! a user.conf. The command is `crate::tune`; see docs/TUNE.md.

use std::path::PathBuf;
use std::time::Duration;

/// Arguments of `ossperf tune`: every flag of `ossperf run`, plus the search's own. The
/// performance search has no accuracy mode and brings its own settings, so the two `run`
/// flags it refuses are left out of its help.
#[derive(Debug, clap::Args)]
#[command(mut_arg("accuracy", |a| a.hide(true)), mut_arg("audit_config", |a| a.hide(true)))]
pub struct TuneArgs {
    /// The connection, dataset and conf flags of `ossperf run`
    #[command(flatten)]
    pub run: crate::cli::run::RunArgs,

    /// Stop bisecting when the bracket is this narrow relative to its passing end (`2%`, `0.02`)
    #[arg(long, value_name = "PCT", default_value = "2%",
          value_parser = parse_precision, help_heading = "Search")]
    pub precision: f64,

    /// Bound on the whole search (`90s`, `30m`, `2h`), checked before each run [default: none]
    #[arg(long, value_name = "DURATION", value_parser = parse_max_time,
          help_heading = "Search")]
    pub max_time: Option<Duration>,

    /// Skip the confirmation run with the submission settings at the found value
    #[arg(long, help_heading = "Search")]
    pub no_confirm: bool,

    /// Where to write the tuned user.conf (by default `<output-dir>/tune/<scenario>/user.conf`)
    #[arg(long, value_name = "FILE", help_heading = "Search")]
    pub output: Option<PathBuf>,

    /// First rate to probe [default: the user.conf's target_qps, else a short Offline
    /// throughput measurement]
    #[arg(long, value_name = "QPS", value_parser = parse_rate,
          help_heading = "Search")]
    pub start_qps: Option<f64>,

    /// Never probe above this rate
    #[arg(long, value_name = "QPS", value_parser = parse_rate,
          help_heading = "Search")]
    pub max_qps: Option<f64>,

    /// Queries over the latency limits a probe may have and still pass; sets the probe size
    /// from LoadGen's early stopping (0: 459 queries, 1: 662, 2: 838)
    #[arg(long, value_name = "N", default_value_t = 1, help_heading = "Search",
          value_parser = clap::value_parser!(u32).range(0..=50))]
    pub probe_overlatency: u32,
}

/// Parses `--precision`: `2%`, `2` (percent) or `0.02`.
pub fn parse_precision(text: &str) -> Result<f64, String> {
    let (number, percent) = match text.trim().strip_suffix('%') {
        Some(n) => (n, true),
        None => (text.trim(), false),
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number; expected a percentage like `2%`"))?;
    let fraction = if percent || value >= 1.0 {
        value / 100.0
    } else {
        value
    };
    if !(fraction > 0.0 && fraction < 1.0) {
        return Err(format!(
            "`{text}` is out of range; expected more than 0 % and less than 100 %"
        ));
    }
    Ok(fraction)
}

/// Parses `--max-time`: `90`, `90s`, `30m` or `2h`.
pub fn parse_max_time(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let (number, unit) = match t.char_indices().find(|(_, c)| c.is_ascii_alphabetic()) {
        Some((i, _)) => t.split_at(i),
        None => (t, "s"),
    };
    let scale = match unit {
        "s" | "sec" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit; expected `s`, `m` or `h`"
            ))
        }
    };
    let value: f64 = number
        .trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a duration; expected e.g. `90s`, `30m`, `2h`"))?;
    if !(value > 0.0 && value.is_finite()) {
        return Err(format!(
            "`{text}` is not positive; expected a duration above zero"
        ));
    }
    Ok(Duration::from_secs_f64(value * scale))
}

/// Parses a positive rate (`--start-qps`, `--max-qps`).
pub fn parse_rate(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v > 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!(
            "`{text}` is not a positive number of queries per second"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn precision_reads_percentages_and_fractions() {
        assert_eq!(parse_precision("2%"), Ok(0.02));
        assert_eq!(parse_precision("5"), Ok(0.05));
        assert_eq!(parse_precision("0.1"), Ok(0.1));
        assert_eq!(
            parse_precision("100%"),
            Err("`100%` is out of range; expected more than 0 % and less than 100 %".into())
        );
    }

    #[test]
    fn max_time_reads_seconds_minutes_and_hours() {
        assert_eq!(parse_max_time("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_max_time("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse_max_time("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(
            parse_max_time("3d"),
            Err("`3d` has an unknown unit; expected `s`, `m` or `h`".into())
        );
    }
}
