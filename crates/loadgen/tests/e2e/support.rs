//! What several test modules share.

use std::sync::Mutex;

use ossperf_loadgen::{QuerySampleIndex, QuerySampleLibrary};

/// A QuerySampleLibrary of a fixed size whose samples are bare indices (nothing to load). The
/// name and counts are logged verbatim, so tests compared with reference logs pass the
/// reference's values.
pub struct Qsl {
    name: &'static str,
    total: usize,
    performance: usize,
    /// Every index LoadGen asked to load, in order, for tests that check the load order.
    pub loaded: Mutex<Vec<QuerySampleIndex>>,
}

impl Qsl {
    pub fn new(name: &'static str, total: usize, performance: usize) -> Self {
        Self {
            name,
            total,
            performance,
            loaded: Mutex::new(Vec::new()),
        }
    }
}

impl QuerySampleLibrary for Qsl {
    fn name(&self) -> String {
        self.name.into()
    }
    fn total_sample_count(&self) -> usize {
        self.total
    }
    fn performance_sample_count(&self) -> usize {
        self.performance
    }
    fn load_samples_to_ram(&self, indices: &[QuerySampleIndex]) {
        self.loaded.lock().unwrap().extend_from_slice(indices);
    }
    fn unload_samples_from_ram(&self, _: &[QuerySampleIndex]) {}
}
