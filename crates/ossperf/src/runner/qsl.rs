//! The query sample library of a run: the dataset's prompts by QSL index. Row i of the
//! dataset is QSL index i; prompts are shared [`Prompt`]s, so a request never copies their
//! ids and each one's body is encoded once: when LoadGen loads the sample, before the timed
//! run (or on its first request where no client was given).

use std::sync::Arc;

use ossperf_client::{Client, Prompt, Request, SamplingParams};
use ossperf_dataset::Dataset;
use ossperf_loadgen::{QuerySampleIndex, QuerySampleLibrary};

use crate::sut::PromptSource;

/// The dataset as LoadGen and the SUT see it.
pub(super) struct DatasetQsl {
    prompts: Vec<Prompt>,
    performance_count: usize,
    /// Encodes each loaded sample's request body ahead of the run.
    encoder: Option<(Client, SamplingParams, bool)>,
}

impl DatasetQsl {
    /// Every row's prompt; the performance count is the whole dataset, as the reference's.
    pub(super) fn new(dataset: &Dataset) -> Self {
        let prompts: Vec<Prompt> = (0..dataset.len())
            .map(|i| Prompt::from(dataset.tokens(i)))
            .collect();
        let performance_count = prompts.len();
        Self {
            prompts,
            performance_count,
            encoder: None,
        }
    }

    /// Encodes the request body of each sample LoadGen loads, for `client` with these
    /// settings, so that no request is encoded on the timed path (about 25 µs for a
    /// 1,250-token prompt, on the issuing thread in a Server run).
    pub(super) fn encoding_for(
        mut self,
        client: Client,
        params: SamplingParams,
        stream: bool,
    ) -> Self {
        self.encoder = Some((client, params, stream));
        self
    }

    /// The prompts, for the SUT.
    pub(super) fn prompts(&self) -> Arc<dyn PromptSource> {
        Arc::new(self.prompts.clone())
    }

    /// The prompts as a list (to salt them).
    pub(super) fn prompt_list(&self) -> Vec<Prompt> {
        self.prompts.clone()
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
    // The prompts are in memory from the start, as in the reference; loading encodes bodies.
    fn load_samples_to_ram(&self, indices: &[QuerySampleIndex]) {
        let Some((client, params, stream)) = &self.encoder else {
            return;
        };
        for prompt in indices.iter().filter_map(|&i| self.prompts.get(i)) {
            client.prepare(&Request {
                prompt: prompt.clone(),
                params: *params,
                stream: *stream,
            });
        }
    }
    fn unload_samples_from_ram(&self, _indices: &[QuerySampleIndex]) {}
}
