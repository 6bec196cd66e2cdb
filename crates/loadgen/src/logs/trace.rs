//! `mlperf_log_trace.json` (docs/LOADGEN.md §10.6), written only when tracing is enabled.
//!
//! LoadGen's trace is Chrome trace-event JSON that is not valid JSON (doubled quotes) and
//! that nothing in the checker reads. This one is valid JSON, loadable in Perfetto or
//! `chrome://tracing`: one complete event per sample from its issue to its completion, with
//! LoadGen's `Sample` argument names, written after each series from the sample records.

use std::io::{self, Write};

/// One sample's span on the trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TraceSample {
    /// Global sample sequence number.
    pub sample_seq: u64,
    /// Query sequence number within the series.
    pub query_seq: u64,
    /// QSL index.
    pub sample_idx: usize,
    /// Issue time, ns after the trace origin.
    pub issue_start_ns: u64,
    /// Completion time, ns after the trace origin.
    pub complete_ns: u64,
}

/// A streaming trace writer.
pub(crate) struct TraceLog {
    out: Box<dyn Write + Send>,
    origin_epoch_us: u128,
    pid: u32,
}

impl std::fmt::Debug for TraceLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TraceLog")
            .field("pid", &self.pid)
            .finish_non_exhaustive()
    }
}

fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

impl TraceLog {
    /// Writes the header; `origin_epoch_us` is the trace origin in µs since the Unix epoch.
    pub(crate) fn start(mut out: Box<dyn Write + Send>, origin_epoch_us: u128) -> io::Result<Self> {
        out.write_all(b"{\"traceEvents\":[\n")?;
        Ok(Self {
            out,
            origin_epoch_us,
            pid: std::process::id(),
        })
    }

    /// Writes one sample's span.
    pub(crate) fn sample(&mut self, s: &TraceSample) -> io::Result<()> {
        let dur = s.complete_ns.saturating_sub(s.issue_start_ns);
        writeln!(
            self.out,
            "{{\"name\":\"Sample\",\"ph\":\"X\",\"pid\":{},\"tid\":{},\"ts\":{},\"dur\":{},\
             \"args\":{{\"sample_seq\":{},\"query_seq\":{},\"sample_idx\":{},\
             \"issue_start_ns\":{},\"complete_ns\":{}}}}},",
            self.pid,
            self.pid,
            us(s.issue_start_ns),
            us(dur),
            s.sample_seq,
            s.query_seq,
            s.sample_idx,
            s.issue_start_ns,
            s.complete_ns
        )
    }

    /// Writes LoadGen's footer and flushes.
    pub(crate) fn finish(mut self) -> io::Result<()> {
        write!(
            self.out,
            "{{\"name\":\"LastTrace\"}}\n],\n\"displayTimeUnit\":\"ns\",\n\"otherData\":{{\n\"ts\":{},\n\
             \"version\":\"MLPerf LoadGen v1.0\"\n}}\n}}\n",
            self.origin_epoch_us
        )?;
        self.out.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::test_sink::Sink;

    #[test]
    fn the_trace_is_valid_json_with_one_event_per_sample() {
        let sink = Sink::default();
        let mut trace = TraceLog::start(Box::new(sink.clone()), 1_700_000_000_000_000).unwrap();
        let s = TraceSample {
            sample_seq: 3,
            query_seq: 1,
            sample_idx: 42,
            issue_start_ns: 1500,
            complete_ns: 4000,
        };
        trace.sample(&s).unwrap();
        trace.finish().unwrap();
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["traceEvents"][0]["ts"], 1.5);
        assert_eq!(v["traceEvents"][0]["dur"], 2.5);
        assert_eq!(v["traceEvents"][0]["args"]["sample_idx"], 42);
        assert_eq!(v["traceEvents"][1]["name"], "LastTrace");
        assert_eq!(v["otherData"]["version"], "MLPerf LoadGen v1.0");
    }
}
