//! `run_test`: LoadGen's `StartTest` (docs/LOADGEN.md §4). Creates the four logs before anything
//! runs, logs the header and settings, runs the accuracy and/or performance phase, computes the
//! verdict and writes the summary.
//!
//! An abort ([`RunControl::abort`], e.g. Ctrl-C) stops issuing; LoadGen then waits for the
//! samples already issued (the SUT cancels and fails them), writes the logs for what
//! happened, and the report says the run was aborted.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use crate::clock;

mod control;
mod peak;
mod timestamps;

use crate::generate::{
    generate_queries, loadable_sets, AccuracyLogSampler, GenerateError, LoadableSet, Phase,
};
use crate::issue::{self, Issued, Stop};
use crate::logs::accuracy::AccuracyLog;
use crate::logs::detail::{DetailLog, Level, Value};
use crate::logs::trace::{TraceLog, TraceSample};
use crate::logs::{self, settings as log_settings, summary, LogPaths};
use crate::report::{SampleRecord, TestReport};
use crate::responder::{FailureSummary, QuerySlot, SampleSlot, Series, KEPT_MESSAGES, NO_TIME};
use crate::results::{PerformanceResult, RawResults};
use crate::settings::{LogSettings, Scenario, TestMode, TestSettings};
use crate::{EffectiveSettings, QuerySampleLibrary, SystemUnderTest};
pub use control::{RunControl, RunError, ABORTED, FIND_PEAK_UNSUPPORTED, NO_OUTPUT_TOKENS};

/// The state of one test across its phases.
struct Test<'a> {
    sut: &'a dyn SystemUnderTest,
    qsl: &'a dyn QuerySampleLibrary,
    control: &'a RunControl,
    eff: EffectiveSettings,
    paths: LogPaths,
    origin: Instant,
    detail: DetailLog,
    accuracy: AccuracyLog,
    trace: Option<TraceLog>,
    sampler: AccuracyLogSampler,
    next_seq: u64,
    records: Vec<SampleRecord>,
    failures: FailureSummary,
    aborted: bool,
    /// Reasons the run is not a result beyond LoadGen's checks (e.g. FindPeak refused).
    notes: Vec<String>,
}

fn write_err(path: &std::path::Path) -> impl Fn(io::Error) -> RunError + '_ {
    move |source| RunError::WriteLog {
        path: path.to_path_buf(),
        source,
    }
}

/// What ends a phase early: a failed write to the detail log, the one log the phases write
/// (so its `io::Result`s propagate with `?` and get its path once, in [`run_test`]), or any
/// other [`RunError`].
enum PhaseError {
    Detail(io::Error),
    Run(RunError),
}

impl From<io::Error> for PhaseError {
    fn from(e: io::Error) -> Self {
        Self::Detail(e)
    }
}

impl From<RunError> for PhaseError {
    fn from(e: RunError) -> Self {
        Self::Run(e)
    }
}

impl From<GenerateError> for PhaseError {
    fn from(e: GenerateError) -> Self {
        Self::Run(e.into())
    }
}

impl PhaseError {
    fn at_detail(self, detail: &std::path::Path) -> RunError {
        match self {
            Self::Detail(source) => write_err(detail)(source),
            Self::Run(e) => e,
        }
    }
}

/// The four log files, created before anything runs (LoadGen's `LogOutputs`).
type OpenLogs = (LogPaths, File, DetailLog, AccuracyLog, Option<TraceLog>);

fn open_logs(log: &LogSettings, wall: SystemTime, datetime: &str) -> Result<OpenLogs, RunError> {
    let paths = LogPaths::new(&log.log_output, datetime);
    let [summary_file, detail_file, accuracy_file, trace_file] = paths
        .create()
        .map_err(|(path, source)| RunError::CreateLog { path, source })?;
    let detail = DetailLog::new(Box::new(BufWriter::new(detail_file)), Instant::now());
    let accuracy =
        AccuracyLog::start(Box::new(accuracy_file)).map_err(write_err(&paths.accuracy))?;
    let trace = if log.enable_trace {
        let epoch_us = wall
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros();
        let out = Box::new(BufWriter::new(trace_file));
        Some(TraceLog::start(out, epoch_us).map_err(write_err(&paths.trace))?)
    } else {
        None
    };
    Ok((paths, summary_file, detail, accuracy, trace))
}

/// Runs a whole test (LoadGen's `StartTest`) and writes its logs.
pub fn run_test(
    sut: &dyn SystemUnderTest,
    qsl: &dyn QuerySampleLibrary,
    settings: &TestSettings,
    log: &LogSettings,
    control: &RunControl,
) -> Result<TestReport, RunError> {
    settings.check_schedulable()?;
    let wall = SystemTime::now();
    let datetime = logs::test_datetime(wall);
    let (paths, summary_file, detail, accuracy, trace) = open_logs(log, wall, &datetime)?;
    let origin = detail.origin();
    let named = Instant::now();
    let sut_name = sut.name();
    let sut_name_ns = clock::since(named, Instant::now());
    if qsl.total_sample_count() == 0 {
        return Err(RunError::EmptyQsl);
    }
    let mut requested = settings.clone();
    let test05 = requested.apply_test05(settings);
    let eff = EffectiveSettings::derive(
        &requested,
        qsl.total_sample_count() as u64,
        qsl.performance_sample_count() as u64,
    );
    let mut test = Test {
        sut,
        qsl,
        control,
        eff,
        paths,
        origin,
        detail,
        accuracy,
        trace,
        sampler: AccuracyLogSampler::new(),
        next_seq: 0,
        records: Vec::new(),
        failures: FailureSummary::default(),
        aborted: false,
        notes: Vec::new(),
    };
    let header = log_settings::Header {
        datetime: &datetime,
        sut_name: &sut_name,
        sut_name_ns,
        qsl_name: &qsl.name(),
        qsl_total: qsl.total_sample_count(),
        qsl_performance: qsl.performance_sample_count(),
    };
    let performance = test
        .start_and_run(&header, test05)
        .map_err(|e| e.at_detail(&test.paths.detail))?;
    test.finish(performance, &sut_name, summary_file)
}

impl Test<'_> {
    /// Logs the header and settings, then runs the phases.
    fn start_and_run(
        &mut self,
        header: &log_settings::Header<'_>,
        test05: bool,
    ) -> Result<Option<(PerformanceResult, String)>, PhaseError> {
        self.log_start(header, test05)?;
        self.run_phases()
    }

    fn log_start(&mut self, header: &log_settings::Header<'_>, test05: bool) -> io::Result<()> {
        log_settings::log_header(&mut self.detail, header)?;
        if let Some(name) = &self.control.audit_config {
            let message = format!(
                "Found Audit Config file ({name}). Overriding TestSettings from audit.config file."
            );
            self.detail.warning("warning_generic_message", &message)?;
        }
        if test05 {
            self.detail.warning(
                "warning_generic_message",
                "Test05 flag detected Overriding random seeds",
            )?;
        }
        log_settings::log_requested(&mut self.detail, &self.eff.requested)?;
        log_settings::log_effective(&mut self.detail, &self.eff)?;
        for issue in &self.eff.issues {
            self.detail.error(issue.key, &issue.message)?;
        }
        Ok(())
    }

    fn run_phases(&mut self) -> Result<Option<(PerformanceResult, String)>, PhaseError> {
        let mode = self.eff.mode;
        if matches!(mode, TestMode::SubmissionRun | TestMode::AccuracyOnly) {
            self.detail
                .log("generic_message", Value::Str("Starting accuracy mode"))?;
            let sets = loadable_sets(&self.eff, self.qsl.total_sample_count(), Phase::Accuracy);
            for set in &sets {
                if self.aborted {
                    break;
                }
                self.run_series(set, Phase::Accuracy)?;
                self.qsl.unload_samples_from_ram(&set.samples);
            }
        }
        if mode == TestMode::FindPeakPerformance && !self.aborted {
            return self.find_peak();
        }
        if !matches!(mode, TestMode::SubmissionRun | TestMode::PerformanceOnly) || self.aborted {
            return Ok(None);
        }
        self.detail
            .log("generic_message", Value::Str("Starting performance mode"))?;
        let result = self.performance_series(self.eff.print_timestamps)?;
        Ok(Some(self.report_result(result)?))
    }

    /// Logs a performance result's detail keys and renders its summary body.
    fn report_result(
        &mut self,
        result: PerformanceResult,
    ) -> Result<(PerformanceResult, String), PhaseError> {
        summary::log_detail(&mut self.detail, &result, &self.eff)?;
        let body = summary::render(&result, &self.eff, &self.sut.name());
        Ok((result, body))
    }

    /// One performance series at the current effective settings: load the first set, issue,
    /// wait, compute the result, unload. `print_timestamps`: LoadGen's lines on stdout.
    fn performance_series(
        &mut self,
        print_timestamps: bool,
    ) -> Result<PerformanceResult, PhaseError> {
        let sets = loadable_sets(&self.eff, self.qsl.total_sample_count(), Phase::Performance);
        let Some(set) = sets.first() else {
            return Err(RunError::EmptyQsl.into());
        };
        let clocks = (Instant::now(), SystemTime::now());
        if print_timestamps {
            timestamps::print(&timestamps::start_line(clocks.1));
        }
        let (series, issued) = self.run_series(set, Phase::Performance)?;
        if print_timestamps {
            timestamps::print(&timestamps::stop_lines_since(clocks));
        }
        self.check_clocks(clocks)?;
        let raw = RawResults::collect(&series, &issued, &self.eff);
        let failures = series
            .failures
            .lock()
            .map(|f| f.clone())
            .unwrap_or_default();
        let aborted = self.aborted.then(|| self.abort_line());
        let result = PerformanceResult::compute(raw, &self.eff, &failures, aborted);
        self.qsl.unload_samples_from_ram(&set.samples);
        Ok(result)
    }

    /// LoadGen compares its performance clock with the system clock over the performance phase
    /// (docs/LOADGEN.md §8.7). LoadGen measures both in whole milliseconds, which flags any run
    /// shorter than a second; this measures in nanoseconds, so only a real drift (e.g. NTP slewing
    /// the wall clock) is reported, with LoadGen's messages. Under a second, the gap between
    /// reading the two clocks alone can exceed 0.1 %, so shorter phases are not judged.
    fn check_clocks(&mut self, (pc_start, sc_start): (Instant, SystemTime)) -> io::Result<()> {
        let pc = pc_start.elapsed().as_nanos() as f64;
        let Ok(sc) = sc_start.elapsed().map(|d| d.as_nanos() as f64) else {
            return Ok(());
        };
        if sc < 1e9 {
            return Ok(());
        }
        let ratio = (pc / sc) as f32;
        let shown = crate::logs::format::format_g(f64::from(ratio));
        if !(0.99..=1.01).contains(&ratio) {
            let message =
                format!("PerfClock and system_clock differ by more than 1%!  pc_sc_ratio: {shown}");
            self.detail.error("error_runtime", &message)
        } else if !(0.999..=1.001).contains(&ratio) {
            let message = format!(
                "PerfClock and system_clock differ by more than 0.1%!  pc_sc_ratio: {shown}"
            );
            self.detail.warning("warning_generic_message", &message)
        } else {
            Ok(())
        }
    }

    /// Loads a set, generates and issues its queries, waits for them and logs the series.
    fn run_series(
        &mut self,
        set: &LoadableSet,
        phase: Phase,
    ) -> Result<(Arc<Series>, Issued), PhaseError> {
        self.qsl.load_samples_to_ram(&set.samples);
        self.detail
            .log("loaded_qsl_set", Value::Indices(&set.samples))?;
        let generated = generate_queries(&self.eff, set, phase)?;
        self.detail.log(
            "generated_query_count",
            Value::UInt(generated.query_count()),
        )?;
        self.detail.log(
            "generated_samples_per_query",
            Value::UInt(generated.samples_per_query),
        )?;
        self.detail.log(
            "generated_query_duration",
            Value::UInt(generated.query_duration_ns),
        )?;
        if generated.queries.is_empty() {
            return Err(RunError::NoQueries {
                loaded: set.samples.len(),
            }
            .into());
        }
        let logged = self.sampler.select(&self.eff, &generated, phase);
        let series = Arc::new(self.new_series(&generated, &logged));
        self.next_seq += generated.sample_count() as u64;
        let power_begin = SystemTime::now();
        let detail = &mut self.detail;
        let mut registered = Ok(());
        let mut register = |r: issue::Registered| {
            // LoadGen's `RegisterIssueQueryThread`, logged from the registering thread.
            let message = format!(
                "Registered IssueQueryThread[{}]. thread ID : {}",
                r.index, r.thread_id
            );
            let value = Value::Str(&message);
            let logged = detail.write_entry("generic_message", value, Level::Info, r.at, r.tid);
            if registered.is_ok() {
                registered = logged;
            }
        };
        let issued = issue::issue_all(
            &series,
            &generated,
            &self.eff,
            phase,
            self.sut,
            self.control,
            &mut register,
        );
        registered?;
        self.log_stop(&issued, phase)?;
        issue::wait_for_completions(&series, issued.samples);
        // LoadGen: power_end = power_begin + (last completion − start of issuing).
        let last_ns = series
            .samples
            .iter()
            .map(|slot| slot.complete_ns.load(Ordering::Acquire))
            .filter(|&ns| ns != NO_TIME)
            .max()
            .unwrap_or(issued.start_ns);
        let power_end =
            power_begin + std::time::Duration::from_nanos(last_ns.saturating_sub(issued.start_ns));
        self.log_series_end(&series, power_begin, power_end)?;
        self.collect(&series, &issued, phase)?;
        Ok((series, issued))
    }

    fn new_series(&self, generated: &crate::generate::GeneratedQueries, logged: &[bool]) -> Series {
        let mut samples = Vec::with_capacity(generated.sample_count());
        let mut queries = Vec::with_capacity(generated.queries.len());
        for (qi, q) in generated.queries.iter().enumerate() {
            queries.push(QuerySlot::new(q.sample_indices.len() as u32));
            for &idx in &q.sample_indices {
                let log = logged.get(samples.len()).copied().unwrap_or(false);
                samples.push(SampleSlot::new(qi as u32, idx, log));
            }
        }
        Series {
            origin: self.origin,
            first_seq: self.next_seq,
            samples: samples.into_boxed_slice(),
            queries: queries.into_boxed_slice(),
            token_mode: self.eff.requested.use_token_latencies,
            needs_first_token: self.eff.needs_first_token(),
            completed_samples: AtomicU64::new(0),
            completed_queries: AtomicU64::new(0),
            expected_samples: AtomicU64::new(u64::MAX),
            wake_per_query: matches!(
                self.eff.scenario,
                Scenario::SingleStream | Scenario::MultiStream
            ),
            waiter: std::thread::current(),
            accuracy: self.accuracy.sender(),
            failures: Mutex::new(FailureSummary::default()),
            errors: Mutex::new((0, Vec::new())),
        }
    }

    fn log_stop(&mut self, issued: &Issued, phase: Phase) -> io::Result<()> {
        for stop in &issued.stops {
            if let (Stop::Early(message), Some((at, tid))) = (&stop.stop, stop.at) {
                // An issue thread's own line, at its time and with its tid, as LoadGen logs it.
                self.detail.write_entry(
                    "error_runtime",
                    Value::Str(message),
                    Level::Error,
                    at,
                    tid,
                )?;
            } else if !(stop.stop == Stop::Aborted && self.aborted) {
                self.log_one_stop(&stop.stop, issued, phase)?;
            }
        }
        Ok(())
    }

    fn log_one_stop(&mut self, stop: &Stop, issued: &Issued, phase: Phase) -> io::Result<()> {
        match stop {
            Stop::Natural => self.detail.log(
                "generic_message",
                Value::Str("Ending naturally: Minimum query count and test duration met."),
            ),
            Stop::Early(message) => self.detail.error("error_runtime", message),
            Stop::Aborted => {
                self.aborted = true;
                let mut message = format!(
                    "Run aborted: issued {} queries before the abort.",
                    issued.queries
                );
                if let Some(why) = self.control.abort_reason() {
                    message.push(' ');
                    message.push_str(why);
                }
                self.detail.error("error_runtime", &message)
            }
            Stop::Exhausted
                if phase == Phase::Performance && self.eff.scenario != Scenario::Server =>
            {
                self.detail.error(
                    "error_runtime",
                    "Ending early: Ran out of generated queries to issue before the minimum query \
                     count and test duration were reached. Please update the relevant expected \
                     latency or target qps in the TestSettings so they are more accurate.",
                )
            }
            Stop::Exhausted => Ok(()),
        }
    }

    fn log_series_end(
        &mut self,
        series: &Series,
        begin: SystemTime,
        end: SystemTime,
    ) -> io::Result<()> {
        let errors = series.errors.lock().map(|e| e.clone()).unwrap_or_default();
        for e in &errors.1 {
            self.detail.write_entry(
                "error_runtime",
                Value::Str(&e.message),
                Level::Error,
                e.at,
                e.tid,
            )?;
        }
        if errors.0 > errors.1.len() as u64 {
            let message = format!(
                "{} more runtime errors were not logged.",
                errors.0 - errors.1.len() as u64
            );
            self.detail.error("error_runtime", &message)?;
        }
        for key in [
            "logger_swap_request_slots_retry_count",
            "logger_swap_request_slots_retry_retry_count",
            "logger_swap_request_slots_retry_reencounter_count",
            "logger_start_reading_entries_retry_count",
            "logger_tls_total_log_cas_fail_count",
            "logger_tls_total_swap_buffers_slot_retry_count",
        ] {
            self.detail.log(key, Value::UInt(0))?;
        }
        self.detail
            .log("power_begin", Value::Str(&logs::power_time(begin)))?;
        self.detail
            .log("power_end", Value::Str(&logs::power_time(end)))
    }

    /// Appends the issued samples' records (and their trace events) and merges the series'
    /// failures.
    fn collect(&mut self, series: &Series, issued: &Issued, phase: Phase) -> Result<(), RunError> {
        let opt = |v: u64| (v != NO_TIME).then_some(v);
        for (i, slot) in series.samples.iter().enumerate() {
            let qi = slot.query as usize;
            if qi >= issued.end {
                break;
            }
            let q = &series.queries[qi];
            if q.issued_ns.load(Ordering::Acquire) == NO_TIME {
                continue; // another issue thread's query, not reached
            }
            let seq_id = series.first_seq + i as u64;
            let record = SampleRecord {
                phase,
                seq_id,
                response_id: seq_id + 1,
                qsl_idx: slot.qsl_idx,
                scheduled_ns: q.scheduled_ns.load(Ordering::Acquire),
                issued_ns: q.issued_ns.load(Ordering::Acquire),
                first_token_ns: opt(slot.first_token_ns.load(Ordering::Acquire)),
                complete_ns: slot.complete_ns.load(Ordering::Acquire),
                n_tokens: slot.n_tokens.load(Ordering::Acquire),
                error: slot.failure_reason().map(str::to_string),
            };
            if let Some(trace) = &mut self.trace {
                trace
                    .sample(&TraceSample {
                        sample_seq: record.seq_id,
                        query_seq: qi as u64,
                        sample_idx: record.qsl_idx,
                        issue_start_ns: record.issued_ns,
                        complete_ns: record.complete_ns,
                    })
                    .map_err(write_err(&self.paths.trace))?;
            }
            self.records.push(record);
        }
        if let Ok(f) = series.failures.lock() {
            self.failures.count += f.count;
            for (reason, n) in &f.reasons {
                if let Some(entry) = self.failures.reasons.iter_mut().find(|(r, _)| r == reason) {
                    entry.1 += n;
                } else if self.failures.reasons.len() < KEPT_MESSAGES {
                    self.failures.reasons.push((reason.clone(), *n));
                }
            }
        }
        Ok(())
    }

    /// The reason line of an abort: [`ABORTED`] and the caller's reason, if it gave one.
    fn abort_line(&self) -> String {
        match self.control.abort_reason() {
            Some(why) => format!("{ABORTED} {why}"),
            None => ABORTED.to_string(),
        }
    }

    /// The report's reasons: LoadGen's, then failed samples, the abort and FindPeak.
    fn invalid_reasons(&self, performance: Option<&PerformanceResult>) -> Vec<String> {
        let mut invalid_reasons = Vec::new();
        if let Some(r) = performance.filter(|r| !r.valid) {
            invalid_reasons.extend(r.reasons());
        }
        if self.failures.count > 0 {
            invalid_reasons.push(self.failures.reason_line());
        }
        if self.aborted {
            invalid_reasons.push(self.abort_line());
        }
        if performance.is_some_and(|r| r.extra_reasons.iter().any(|e| e == NO_OUTPUT_TOKENS)) {
            invalid_reasons.push(NO_OUTPUT_TOKENS.to_string());
        }
        invalid_reasons.extend(self.notes.iter().cloned());
        invalid_reasons
    }

    /// The detail log's last lines: the failed samples and, after a performance run,
    /// `num_errors`.
    fn close_detail(&mut self, performance: bool) -> io::Result<()> {
        if self.failures.count > 0 {
            self.detail
                .error("error_runtime", &self.failures.reason_line())?;
        }
        if performance {
            let errors = self.detail.errors();
            self.detail.log("num_errors", Value::UInt(errors))?;
        }
        self.detail.flush()
    }

    /// Ends the test: `num_errors`, the summary, the accuracy-log footer and the trace.
    fn finish(
        mut self,
        performance: Option<(PerformanceResult, String)>,
        sut_name: &str,
        summary_file: File,
    ) -> Result<TestReport, RunError> {
        self.close_detail(performance.is_some())
            .map_err(write_err(&self.paths.detail))?;
        let (warnings, errors) = (self.detail.warnings(), self.detail.errors());
        let mut text = performance
            .as_ref()
            .map(|(_, body)| body.clone())
            .unwrap_or_default();
        text.push_str(&summary::trailer(warnings, errors));
        let invalid_reasons = self.invalid_reasons(performance.as_ref().map(|(r, _)| r));
        let mut out = BufWriter::new(summary_file);
        out.write_all(text.as_bytes())
            .and_then(|()| out.flush())
            .map_err(write_err(&self.paths.summary))?;
        self.accuracy
            .finish()
            .map_err(write_err(&self.paths.accuracy))?;
        if let Some(trace) = self.trace.take() {
            trace.finish().map_err(write_err(&self.paths.trace))?;
        }
        let performance = performance.map(|(r, _)| r);
        Ok(TestReport {
            scenario: self.eff.scenario,
            mode: self.eff.mode,
            sut_name: sut_name.to_string(),
            valid: invalid_reasons.is_empty(),
            invalid_reasons,
            aborted: self.aborted,
            performance,
            failures: self.failures,
            samples: self.records,
            settings: self.eff,
            summary: text,
            warnings,
            errors,
            logs: self.paths,
        })
    }
}
