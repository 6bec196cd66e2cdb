//! The query sample library of a run: the dataset's prompts by QSL index. Row i of the
//! dataset is QSL index i; prompts are shared [`Prompt`]s, so a request never copies their
//! ids and each one's body is encoded once, on its first request.

use std::sync::Arc;

use ossperf_client::Prompt;
use ossperf_dataset::Dataset;
use ossperf_loadgen::{QuerySampleIndex, QuerySampleLibrary};

use crate::sut::PromptSource;

/// The dataset as LoadGen and the SUT see it.
pub struct DatasetQsl {
    prompts: Vec<Prompt>,
    performance_count: usize,
}

impl DatasetQsl {
    /// Every row's prompt; the performance count is the whole dataset, as the reference's.
    pub fn new(dataset: &Dataset) -> Self {
        let prompts: Vec<Prompt> = (0..dataset.len())
            .map(|i| Prompt::from(dataset.tokens(i)))
            .collect();
        let performance_count = prompts.len();
        Self {
            prompts,
            performance_count,
        }
    }

    /// The prompts, for the SUT.
    pub fn prompts(&self) -> Arc<dyn PromptSource> {
        Arc::new(self.prompts.clone())
    }
}

impl QuerySampleLibrary for DatasetQsl {
    fn name(&self) -> String {
        "gpt-oss-120b QSL".to_string()
    }
    fn total_sample_count(&self) -> usize {
        self.prompts.len()
    }
    fn performance_sample_count(&self) -> usize {
        self.performance_count
    }
    // The prompts are in memory from the start: loading is a no-op, as in the reference.
    fn load_samples_to_ram(&self, _indices: &[QuerySampleIndex]) {}
    fn unload_samples_from_ram(&self, _indices: &[QuerySampleIndex]) {}
}
