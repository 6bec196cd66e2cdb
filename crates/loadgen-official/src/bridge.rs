//! The calls between Rust and the C++ glue (`csrc/glue.cc`): the library calls back into the
//! SUT and QSL through `extern "C"` trampolines, and the SUT's answers reach the library
//! through a [`ResponseSink`]. What ossperf itself saw of each sample is kept beside.

#![cfg_attr(not(official_loadgen), allow(dead_code, unused_imports))]

use std::collections::HashMap;
use std::ffi::{c_void, CString};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use ossperf_loadgen::responder::FailureSummary;
use ossperf_loadgen::{
    QuerySample, QuerySampleLibrary, Responder, ResponseId, ResponseSink, SystemUnderTest,
};

use crate::{Error, Test};

#[cfg(official_loadgen)]
pub(crate) const VERSION: Option<&str> = Some(env!("OSSPERF_LOADGEN_OFFICIAL_VERSION"));
#[cfg(not(official_loadgen))]
pub(crate) const VERSION: Option<&str> = None;

/// What ossperf saw of one sample the official library issued, in nanoseconds since the
/// test started (the library's own timestamps are in its logs).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SampleTimes {
    /// The library's response id (unique while the test runs).
    pub id: ResponseId,
    /// The sample's QSL index.
    pub index: usize,
    /// When `IssueQuery` handed it to the SUT.
    pub issued_ns: u64,
    /// When the SUT reported its first token.
    pub first_token_ns: Option<u64>,
    /// When the SUT reported it complete (or failed).
    pub complete_ns: Option<u64>,
    /// Output tokens as reported.
    pub n_tokens: i64,
    /// Why it failed, if it did.
    pub error: Option<String>,
}

/// What one official-library test produced on ossperf's side.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Every sample in the order the library issued it.
    pub samples: Vec<SampleTimes>,
    /// Each `LoadSamplesToRam` call's indices, in order.
    pub loaded_sets: Vec<Vec<usize>>,
    /// Failed samples (the library itself was told they completed, with no data).
    pub failures: FailureSummary,
}

#[derive(Debug)]
struct Recorder {
    origin: Instant,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    samples: Vec<SampleTimes>,
    by_id: HashMap<ResponseId, usize>,
    loaded_sets: Vec<Vec<usize>>,
    failures: FailureSummary,
}

impl Recorder {
    fn now_ns(&self) -> u64 {
        u64::try_from(self.origin.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn with(&self, id: ResponseId, f: impl FnOnce(&mut SampleTimes, u64)) {
        let ns = self.now_ns();
        if let Ok(mut state) = self.state.lock() {
            if let Some(&i) = state.by_id.get(&id) {
                f(&mut state.samples[i], ns);
            }
        }
    }
}

/// The SUT's answers, handed to the official library.
#[derive(Debug)]
struct OfficialSink {
    recorder: Arc<Recorder>,
}

impl ResponseSink for OfficialSink {
    fn complete(&self, id: ResponseId, data: &[u8], n_tokens: i64) {
        self.recorder.with(id, |s, ns| {
            s.complete_ns = Some(ns);
            s.n_tokens = n_tokens;
        });
        ffi::complete(id, data, n_tokens);
    }

    fn first_token(&self, id: ResponseId, data: &[u8], n_tokens: i64) {
        self.recorder.with(id, |s, ns| s.first_token_ns = Some(ns));
        ffi::first_token(id, data, n_tokens);
    }

    /// The library has no notion of a failed sample: it hears of an empty answer (after an
    /// empty first token where none was sent, so token mode logs no error), and ossperf keeps
    /// the failure, which makes its own verdict INVALID.
    fn fail(&self, id: ResponseId, reason: &str) {
        let mut first_token_sent = true;
        self.recorder.with(id, |s, ns| {
            first_token_sent = s.first_token_ns.is_some();
            s.first_token_ns.get_or_insert(ns);
            s.complete_ns = Some(ns);
            s.error = Some(reason.to_string());
        });
        if let Ok(mut state) = self.recorder.state.lock() {
            state.failures.record(reason);
        }
        if !first_token_sent {
            ffi::first_token(id, &[], 0);
        }
        ffi::complete(id, &[], 0);
    }
}

/// What the trampolines reach through their context pointer.
struct Context<'a> {
    sut: &'a dyn SystemUnderTest,
    qsl: &'a dyn QuerySampleLibrary,
    responder: Responder,
    recorder: Arc<Recorder>,
}

impl Context<'_> {
    fn issue(&self, ids: &[u64], indices: &[u64]) {
        let samples: Vec<QuerySample> = ids
            .iter()
            .zip(indices)
            .map(|(&id, &index)| QuerySample {
                id,
                index: index as usize,
            })
            .collect();
        let ns = self.recorder.now_ns();
        if let Ok(mut state) = self.recorder.state.lock() {
            for s in &samples {
                let at = state.samples.len();
                state.by_id.insert(s.id, at);
                state.samples.push(SampleTimes {
                    id: s.id,
                    index: s.index,
                    issued_ns: ns,
                    ..SampleTimes::default()
                });
            }
        }
        self.sut.issue_query(&samples, &self.responder);
    }

    fn load(&self, indices: &[u64]) {
        let indices: Vec<usize> = indices.iter().map(|&i| i as usize).collect();
        if let Ok(mut state) = self.recorder.state.lock() {
            state.loaded_sets.push(indices.clone());
        }
        self.qsl.load_samples_to_ram(&indices);
    }

    fn unload(&self, indices: &[u64]) {
        let indices: Vec<usize> = indices.iter().map(|&i| i as usize).collect();
        self.qsl.unload_samples_from_ram(&indices);
    }
}

fn c_string(text: &str) -> Result<CString, Error> {
    CString::new(text).map_err(|_| Error::Nul(text.to_string()))
}

fn c_path(path: &std::path::Path) -> Result<CString, Error> {
    c_string(&path.to_string_lossy())
}

pub(crate) fn run(
    sut: &dyn SystemUnderTest,
    qsl: &dyn QuerySampleLibrary,
    test: &Test<'_>,
    mode: i32,
    scenario: &str,
) -> Result<Outcome, Error> {
    let recorder = Arc::new(Recorder {
        origin: Instant::now(),
        state: Mutex::new(State::default()),
    });
    let sink = OfficialSink {
        recorder: Arc::clone(&recorder),
    };
    let context = Context {
        sut,
        qsl,
        responder: Responder::external(Arc::new(sink)),
        recorder: Arc::clone(&recorder),
    };
    let strings = Strings {
        sut_name: c_string(&sut.name())?,
        qsl_name: c_string(&qsl.name())?,
        model: c_string(test.model)?,
        scenario: c_string(scenario)?,
        mlperf_conf: test.mlperf_conf.map(c_path).transpose()?,
        user_conf: test.user_conf.map(c_path).transpose()?,
        audit_config: c_path(test.audit_config)?,
        outdir: c_path(test.outdir)?,
    };
    ffi::start_test(&context, &strings, mode, qsl);
    drop(context);
    let state = match Arc::try_unwrap(recorder) {
        Ok(recorder) => recorder.state.into_inner().unwrap_or_default(),
        Err(shared) => shared
            .state
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default(),
    };
    Ok(Outcome {
        samples: state.samples,
        loaded_sets: state.loaded_sets,
        failures: state.failures,
    })
}

/// The C strings of one test, alive for the whole `start_test` call.
struct Strings {
    sut_name: CString,
    qsl_name: CString,
    model: CString,
    scenario: CString,
    mlperf_conf: Option<CString>,
    user_conf: Option<CString>,
    audit_config: CString,
    outdir: CString,
}

#[cfg(official_loadgen)]
pub(crate) mod ffi {
    use super::*;

    #[repr(C)]
    struct LgTest {
        sut_ctx: *mut c_void,
        issue: extern "C" fn(*mut c_void, *const u64, *const u64, usize),
        flush: extern "C" fn(*mut c_void),
        qsl_ctx: *mut c_void,
        load: extern "C" fn(*mut c_void, *const u64, usize),
        unload: extern "C" fn(*mut c_void, *const u64, usize),
        sut_name: *const std::ffi::c_char,
        qsl_name: *const std::ffi::c_char,
        total_sample_count: u64,
        performance_sample_count: u64,
        model: *const std::ffi::c_char,
        scenario: *const std::ffi::c_char,
        mode: i32,
        mlperf_conf: *const std::ffi::c_char,
        user_conf: *const std::ffi::c_char,
        audit_config: *const std::ffi::c_char,
        outdir: *const std::ffi::c_char,
    }

    extern "C" {
        fn ossperf_lg_start_test(test: *const LgTest);
        fn ossperf_lg_complete(id: u64, data: *const u8, size: usize, n_tokens: i64);
        fn ossperf_lg_first_token(id: u64, data: *const u8, size: usize, n_tokens: i64);
        fn ossperf_lg_abort();
    }

    pub(crate) fn abort() {
        unsafe { ossperf_lg_abort() }
    }

    /// # Safety of the callbacks
    /// `ctx` is the `Context` that `start_test` keeps alive until the library returns, and the
    /// library passes arrays of `n` elements that live for the call.
    fn context<'a>(ctx: *mut c_void) -> &'a Context<'a> {
        unsafe { &*(ctx as *const Context<'a>) }
    }

    fn slice<'a>(ptr: *const u64, n: usize) -> &'a [u64] {
        if n == 0 || ptr.is_null() {
            return &[];
        }
        unsafe { std::slice::from_raw_parts(ptr, n) }
    }

    extern "C" fn issue(ctx: *mut c_void, ids: *const u64, indices: *const u64, n: usize) {
        context(ctx).issue(slice(ids, n), slice(indices, n));
    }

    extern "C" fn flush(ctx: *mut c_void) {
        context(ctx).sut.flush_queries();
    }

    extern "C" fn load(ctx: *mut c_void, indices: *const u64, n: usize) {
        context(ctx).load(slice(indices, n));
    }

    extern "C" fn unload(ctx: *mut c_void, indices: *const u64, n: usize) {
        context(ctx).unload(slice(indices, n));
    }

    fn opt(s: &Option<CString>) -> *const std::ffi::c_char {
        s.as_ref().map_or(std::ptr::null(), |s| s.as_ptr())
    }

    pub(super) fn start_test(
        context: &Context<'_>,
        s: &Strings,
        mode: i32,
        qsl: &dyn QuerySampleLibrary,
    ) {
        let ctx = context as *const Context<'_> as *mut c_void;
        let test = LgTest {
            sut_ctx: ctx,
            issue,
            flush,
            qsl_ctx: ctx,
            load,
            unload,
            sut_name: s.sut_name.as_ptr(),
            qsl_name: s.qsl_name.as_ptr(),
            total_sample_count: qsl.total_sample_count() as u64,
            performance_sample_count: qsl.performance_sample_count() as u64,
            model: s.model.as_ptr(),
            scenario: s.scenario.as_ptr(),
            mode,
            mlperf_conf: opt(&s.mlperf_conf),
            user_conf: opt(&s.user_conf),
            audit_config: s.audit_config.as_ptr(),
            outdir: s.outdir.as_ptr(),
        };
        unsafe { ossperf_lg_start_test(&test) }
    }

    pub(super) fn complete(id: u64, data: &[u8], n_tokens: i64) {
        unsafe { ossperf_lg_complete(id, data.as_ptr(), data.len(), n_tokens) }
    }

    pub(super) fn first_token(id: u64, data: &[u8], n_tokens: i64) {
        unsafe { ossperf_lg_first_token(id, data.as_ptr(), data.len(), n_tokens) }
    }
}

/// Without the library nothing reaches these: `start_test` answers `NotBuilt` first.
#[cfg(not(official_loadgen))]
pub(crate) mod ffi {
    use super::*;

    pub(super) fn start_test(_: &Context<'_>, _: &Strings, _: i32, _: &dyn QuerySampleLibrary) {}
    pub(crate) fn abort() {}
    pub(super) fn complete(_: u64, _: &[u8], _: i64) {}
    pub(super) fn first_token(_: u64, _: &[u8], _: i64) {}
}
