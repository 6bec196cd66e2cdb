//! The four `mlperf_log_*` files (docs/LOADGEN.md §10): detail, summary, accuracy and trace.
//!
//! All four are created before the run starts so a bad `--output-dir` fails before any
//! query is issued, and so a run that stops early still leaves well-formed files.

pub mod accuracy;
pub(crate) mod detail;
pub mod format;
pub mod read;
pub(crate) mod settings;
pub(crate) mod summary;
pub(crate) mod trace;

#[cfg(test)]
mod test_sink;

use std::fs::File;
use std::io;
use std::path::PathBuf;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::settings::LogOutputSettings;

/// Where the four logs of a run are written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogPaths {
    /// `mlperf_log_summary.txt`.
    pub summary: PathBuf,
    /// `mlperf_log_detail.txt`.
    pub detail: PathBuf,
    /// `mlperf_log_accuracy.json`.
    pub accuracy: PathBuf,
    /// `mlperf_log_trace.json` (empty when tracing is off).
    pub trace: PathBuf,
}

impl LogPaths {
    /// `outdir/prefix[datetime_]KIND suffix.EXT`, as LoadGen names them.
    pub fn new(out: &LogOutputSettings, datetime: &str) -> Self {
        let name = |kind: &str, ext: &str| {
            let stamp = if out.prefix_with_datetime {
                format!("{datetime}_")
            } else {
                String::new()
            };
            out.outdir
                .join(format!("{}{stamp}{kind}{}{ext}", out.prefix, out.suffix))
        };
        Self {
            summary: name("summary", ".txt"),
            detail: name("detail", ".txt"),
            accuracy: name("accuracy", ".json"),
            trace: name("trace", ".json"),
        }
    }

    /// Creates (truncates) the four files, in LoadGen's order.
    pub fn create(&self) -> Result<[File; 4], (PathBuf, io::Error)> {
        let open = |p: &PathBuf| File::create(p).map_err(|e| (p.clone(), e));
        Ok([
            open(&self.summary)?,
            open(&self.detail)?,
            open(&self.accuracy)?,
            open(&self.trace)?,
        ])
    }
}

/// Calendar fields of a UTC time: (year, month, day, hour, minute, second, millisecond).
pub(crate) fn utc_fields(t: SystemTime) -> (i64, u32, u32, u32, u32, u32, u32) {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = i64::try_from(d.as_secs()).unwrap_or(0);
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Howard Hinnant's days-to-civil.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
        d.subsec_millis(),
    )
}

/// `test_datetime`: `%Y-%m-%dT%H:%M:%SZ`. LoadGen prints local time with a literal `Z`; this
/// prints UTC, which the `Z` then describes truthfully.
pub fn test_datetime(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s, _) = utc_fields(t);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `power_begin` / `power_end`: UTC `MM-DD-YYYY HH:MM:SS.mmm`.
pub(crate) fn power_time(t: SystemTime) -> String {
    let (y, mo, d, h, mi, s, ms) = utc_fields(t);
    format!("{mo:02}-{d:02}-{y:04} {h:02}:{mi:02}:{s:02}.{ms:03}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates_are_formatted_like_loadgen() {
        let t = UNIX_EPOCH + Duration::from_millis(1_764_131_696_789);
        assert_eq!(test_datetime(t), "2025-11-26T04:34:56Z");
        assert_eq!(power_time(t), "11-26-2025 04:34:56.789");
        assert_eq!(test_datetime(UNIX_EPOCH), "1970-01-01T00:00:00Z");
    }

    #[test]
    fn log_names_follow_prefix_datetime_and_suffix() {
        let out = LogOutputSettings {
            outdir: PathBuf::from("/o"),
            prefix: "p_".into(),
            suffix: "_s".into(),
            prefix_with_datetime: true,
            ..LogOutputSettings::default()
        };
        let paths = LogPaths::new(&out, "D");
        assert_eq!(paths.detail, PathBuf::from("/o/p_D_detail_s.txt"));
        assert_eq!(paths.accuracy, PathBuf::from("/o/p_D_accuracy_s.json"));
    }
}
