//! Arguments of `ossperf sweep`: a series of runs over rates (each a LoadGen Server run) or
//! over concurrencies (a closed loop of N streams, not an MLPerf scenario), listed or grown
//! automatically up to saturation. The command is `crate::sweep`; see docs/SWEEP.md.

use std::time::Duration;

/// The loads of a sweep: listed, or grown geometrically until the stop rule ends the sweep.
#[derive(Debug, Clone, PartialEq)]
pub enum Levels {
    /// Grow from the start by `--growth` until saturation.
    Auto,
    /// These loads, in this order.
    List(Vec<f64>),
}

/// Arguments of `ossperf sweep`: every flag of `ossperf run`, plus the sweep's own.
#[derive(Debug, clap::Args)]
#[command(mut_arg("accuracy", |a| a.hide(true)), mut_arg("audit_config", |a| a.hide(true)))]
#[command(group(clap::ArgGroup::new("axis").required(true).args(["rates", "concurrency"])))]
pub struct SweepArgs {
    /// The connection, dataset and conf flags of `ossperf run`
    #[command(flatten)]
    pub run: crate::cli::run::RunArgs,

    /// Sweep over Server rates: `auto`, or queries/s as a list (`1,2,4.5`); each point is a
    /// LoadGen Server (or Interactive) run
    #[arg(long, value_name = "auto|QPS,...", value_parser = parse_rates,
          help_heading = "Sweep")]
    pub rates: Option<Levels>,

    /// Sweep over concurrencies: `auto`, or streams as a list (`1,2,4`); each point is a closed
    /// loop of N streams, not an MLPerf scenario
    #[arg(long, value_name = "auto|N,...", value_parser = parse_concurrency,
          help_heading = "Sweep")]
    pub concurrency: Option<Levels>,

    /// Shortest time each point issues load (`30s`, `2m`); a rate point also issues at least
    /// the conf's min_query_count [default: the conf's min_duration]
    #[arg(long, value_name = "DURATION", value_parser = crate::cli::tune::parse_max_time,
          help_heading = "Sweep")]
    pub point_duration: Option<Duration>,

    /// GPUs serving the model, for throughput per GPU
    #[arg(long, value_name = "N", help_heading = "Sweep",
          value_parser = clap::value_parser!(u32).range(1..))]
    pub gpus: Option<u32>,

    /// First load of an automatic sweep (queries/s, or streams)
    #[arg(long, value_name = "LOAD", default_value_t = 1.0,
          value_parser = crate::cli::tune::parse_rate, help_heading = "Sweep")]
    pub start: f64,

    /// Factor between the loads of an automatic sweep
    #[arg(long, value_name = "F", default_value_t = 2.0, value_parser = parse_growth,
          help_heading = "Sweep")]
    pub growth: f64,

    /// Most points an automatic sweep makes before it stops without saturation
    #[arg(long, value_name = "N", default_value_t = 12, help_heading = "Sweep",
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_points: u32,
}

/// Parses `--rates`: `auto`, or positive numbers separated by commas.
pub fn parse_rates(text: &str) -> Result<Levels, String> {
    parse_levels(text, false)
}

/// Parses `--concurrency`: `auto`, or positive whole numbers separated by commas.
pub fn parse_concurrency(text: &str) -> Result<Levels, String> {
    parse_levels(text, true)
}

fn parse_levels(text: &str, whole: bool) -> Result<Levels, String> {
    if text.trim() == "auto" {
        return Ok(Levels::Auto);
    }
    let expected = if whole {
        "a whole number of streams above zero"
    } else {
        "a number of queries/s above zero"
    };
    let mut out = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        let value = item
            .parse::<f64>()
            .ok()
            .filter(|v| v.is_finite() && *v > 0.0 && (!whole || v.fract() == 0.0))
            .ok_or_else(|| format!("`{item}` in `{text}` is not {expected}; expected `auto` or a list like `1,2,4`"))?;
        out.push(value);
    }
    Ok(Levels::List(out))
}

/// Parses `--growth`: a factor above 1.
pub fn parse_growth(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v > 1.0 && v.is_finite() => Ok(v),
        _ => Err(format!(
            "`{text}` is not a factor above 1; expected e.g. `2` or `1.5`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_read_auto_or_a_list() {
        assert_eq!(parse_rates("auto"), Ok(Levels::Auto));
        assert_eq!(
            parse_rates("1, 2.5,4"),
            Ok(Levels::List(vec![1.0, 2.5, 4.0]))
        );
        assert_eq!(
            parse_concurrency("1,2.5"),
            Err("`2.5` in `1,2.5` is not a whole number of streams above zero; expected `auto` or a list like `1,2,4`".into())
        );
        assert_eq!(
            parse_rates("1,,2"),
            Err("`` in `1,,2` is not a number of queries/s above zero; expected `auto` or a list like `1,2,4`".into())
        );
    }
}
