//! The interfaces between LoadGen and the code it measures: the query sample library (QSL)
//! that owns the samples, and the system under test (SUT) that answers them.

/// Identifies one issued sample; never 0. The SUT echoes it back unchanged.
pub type ResponseId = u64;

/// An index into the query sample library, `0..total_sample_count`.
pub type QuerySampleIndex = usize;

/// One sample of a query: the id to answer with and the QSL index to answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuerySample {
    /// The id the SUT passes back when it completes the sample.
    pub id: ResponseId,
    /// The QSL index of the sample.
    pub index: QuerySampleIndex,
}

/// The query sample library: what can be asked, and the hook to bring samples into memory.
pub trait QuerySampleLibrary: Send + Sync {
    /// Logged as `qsl_name`.
    fn name(&self) -> String;
    /// Logged as `qsl_reported_total_count`.
    fn total_sample_count(&self) -> usize;
    /// Logged as `qsl_reported_performance_count`.
    fn performance_sample_count(&self) -> usize;
    /// Called once per loadable set before it is issued.
    fn load_samples_to_ram(&self, indices: &[QuerySampleIndex]);
    /// Called once per loadable set after all of its results are in.
    fn unload_samples_from_ram(&self, indices: &[QuerySampleIndex]);
}

/// The system under test. `issue_query` may return at once and answer later from any thread
/// through the [`Responder`](crate::Responder), which is cheap to clone.
pub trait SystemUnderTest: Send + Sync {
    /// Logged as `sut_name`.
    fn name(&self) -> String;
    /// Offline: one call per loadable set with every sample; Server: one sample per call.
    fn issue_query(&self, samples: &[QuerySample], responder: &crate::Responder);
    /// Called once after the last `issue_query` of each issuing series.
    fn flush_queries(&self);
}
