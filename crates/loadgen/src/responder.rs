//! How a SUT reports first tokens and completions back to LoadGen, from any thread, without a
//! global lock. (Placeholder signatures: the issue-loop work fills in the bodies.)

use std::time::Instant;

use crate::ResponseId;

/// A cheap, cloneable handle through which the SUT answers samples.
#[derive(Clone, Debug, Default)]
pub struct Responder {}

impl Responder {
    /// `QuerySamplesComplete` for one sample, timestamped now.
    pub fn complete(&self, id: ResponseId, data: &[u8], n_tokens: i64) {
        self.complete_at(id, data, n_tokens, Instant::now());
    }
    /// `QuerySamplesComplete` with the time the last byte arrived.
    pub fn complete_at(&self, _id: ResponseId, _data: &[u8], _n_tokens: i64, _at: Instant) {}
    /// `FirstTokenComplete` for one sample, timestamped now.
    pub fn first_token(&self, id: ResponseId, data: &[u8], n_tokens: i64) {
        self.first_token_at(id, data, n_tokens, Instant::now());
    }
    /// `FirstTokenComplete` with the time the first token's bytes arrived.
    pub fn first_token_at(&self, _id: ResponseId, _data: &[u8], _n_tokens: i64, _at: Instant) {}
}
