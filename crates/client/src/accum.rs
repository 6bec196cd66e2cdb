//! Output-token bookkeeping by the server's own count. SGLang versions differ on whether a
//! streamed chunk's `output_ids` are the new tokens (delta, `--incremental-streaming-output`)
//! or everything so far (cumulative), and a retraction can make the output shrink. Counting
//! events would be wrong for both, so the count comes from `completion_tokens` (or `usage`):
//! a chunk whose ids are exactly `completion_tokens` long is the whole output and replaces
//! it; ids that bring the output to the count are new ones; more ids than that are the
//! output's new tail. A chunk with no ids and a lower count (a retraction) only moves the
//! count, and the next chunk says whether tokens were really taken back.

/// Accumulates a response's output token ids.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TokenAccumulator {
    ids: Vec<u32>,
    server_count: Option<u64>,
    retractions: u32,
    short_chunks: u32,
    /// Whether `ids` are exactly the latest chunk's ids (so a cumulative chunk's repeated
    /// head can be taken from them: [`TokenAccumulator::apply_tail`]).
    mirrors_chunk: bool,
}

impl TokenAccumulator {
    /// An empty accumulator.
    pub fn new() -> TokenAccumulator {
        TokenAccumulator::default()
    }

    /// Applies one chunk: its `output_ids` and, when the server gave it, the number of
    /// tokens generated so far. The ids are read as whichever of these makes the count add
    /// up: the whole output (cumulative), the new tokens (delta), or the output's new tail
    /// after a retraction. A chunk without ids only moves the count (a retraction that
    /// later chunks resolve).
    pub fn apply(&mut self, ids: &[u32], count: Option<u64>) {
        self.mirrors_chunk = self.ids.is_empty() || ids.len() == self.count_target(count);
        let Some(count) = count else {
            self.ids.extend_from_slice(ids);
            return;
        };
        let target = usize::try_from(count).unwrap_or(usize::MAX);
        let prev = self.ids.len();
        if ids.len() == target {
            if target < prev {
                self.retractions += 1;
            }
            self.ids.clear();
            self.ids.extend_from_slice(ids);
        } else if ids.is_empty() {
            if target < self.count_so_far() {
                self.retractions += 1;
            }
        } else if prev + ids.len() == target {
            self.ids.extend_from_slice(ids);
        } else if ids.len() < target && ids.len() > target.saturating_sub(prev) {
            // More ids than are new: they are the output's tail, replacing what they overlap.
            let keep = target - ids.len();
            if keep < prev && self.count_so_far() >= prev {
                self.retractions += 1;
            }
            self.ids.truncate(keep);
            self.ids.extend_from_slice(ids);
        } else {
            // Fewer ids than the count says are new: keep them and flag the gap.
            self.ids.extend_from_slice(ids);
            self.short_chunks += 1;
        }
        self.server_count = Some(count);
    }

    /// The ids a chunk must carry to be the whole output: its count, when it has one.
    fn count_target(&self, count: Option<u64>) -> usize {
        count.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX))
    }

    /// Whether the ids held are exactly the latest chunk's, so the next chunk may be read
    /// as a repeat of them plus a tail.
    pub fn mirrors_chunk(&self) -> bool {
        self.mirrors_chunk
    }

    /// Applies a chunk whose first `skipped` ids repeat the latest chunk's (which the ids
    /// held mirror) and whose other ids are `tail`: the same as [`TokenAccumulator::apply`]
    /// with every id, without copying the repeated ones when the chunk is the whole output.
    pub fn apply_tail(&mut self, skipped: usize, tail: &[u32], count: Option<u64>) {
        let whole = skipped + tail.len();
        if self.mirrors_chunk && skipped == self.ids.len() && whole == self.count_target(count) {
            self.ids.extend_from_slice(tail);
            self.server_count = count;
            return;
        }
        let mut ids = self.ids[..skipped.min(self.ids.len())].to_vec();
        ids.extend_from_slice(tail);
        self.apply(&ids, count);
    }

    /// The last count seen, or the ids held when none was.
    fn count_so_far(&self) -> usize {
        self.server_count
            .map_or(self.ids.len(), |c| usize::try_from(c).unwrap_or(usize::MAX))
    }

    /// Sets the server's final count without new ids (OpenAI's closing `usage` chunk).
    pub fn set_count(&mut self, count: u64) {
        self.server_count = Some(count);
    }

    /// The output ids so far.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The token count: the server's when it gave one, otherwise the ids received.
    pub fn count(&self) -> u64 {
        self.server_count.unwrap_or(self.ids.len() as u64)
    }

    /// Whether the count came from the server.
    pub fn counted_by_server(&self) -> bool {
        self.server_count.is_some()
    }

    /// How many times the output shrank.
    pub fn retractions(&self) -> u32 {
        self.retractions
    }

    /// How many chunks carried fewer ids than the count said were new.
    pub fn short_chunks(&self) -> u32 {
        self.short_chunks
    }

    /// Whether the ids held agree with the count.
    pub fn is_consistent(&self) -> bool {
        self.ids.len() as u64 == self.count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[(&[u32], Option<u64>)]) -> TokenAccumulator {
        let mut acc = TokenAccumulator::new();
        for (ids, count) in chunks {
            acc.apply(ids, *count);
        }
        acc
    }

    #[test]
    fn delta_chunks_are_appended_by_the_server_count() {
        let acc = run(&[
            (&[10], Some(1)),
            (&[11, 12], Some(3)),
            (&[13], Some(4)),
            (&[], Some(4)),
        ]);
        assert_eq!(acc.ids(), [10, 11, 12, 13]);
        assert_eq!(acc.count(), 4);
        assert!(acc.is_consistent());
        assert_eq!(acc.retractions(), 0);
    }

    #[test]
    fn cumulative_chunks_replace_the_output() {
        let acc = run(&[
            (&[10], Some(1)),
            (&[10, 11, 12], Some(3)),
            (&[10, 11, 12, 13], Some(4)),
        ]);
        assert_eq!(acc.ids(), [10, 11, 12, 13]);
        assert_eq!(acc.count(), 4);
    }

    #[test]
    fn a_cumulative_retraction_shrinks_the_output_and_is_counted() {
        let acc = run(&[
            (&[10, 11, 12, 13], Some(4)),
            (&[10, 11], Some(2)),
            (&[10, 11, 20, 21, 22], Some(5)),
        ]);
        assert_eq!(acc.ids(), [10, 11, 20, 21, 22]);
        assert_eq!(acc.count(), 5);
        assert_eq!(acc.retractions(), 1);
    }

    #[test]
    fn a_delta_retraction_replaces_the_tail() {
        // Four tokens, then the server says 3 with one new id: the fourth is replaced.
        let acc = run(&[(&[10, 11], Some(2)), (&[12, 13], Some(4)), (&[30], Some(3))]);
        assert_eq!(acc.ids(), [10, 11, 30]);
        assert_eq!(acc.retractions(), 1);
        assert!(acc.is_consistent());
    }

    #[test]
    fn a_count_that_dips_and_recovers_keeps_the_delta_ids() {
        // The count goes back by one in an empty chunk, then deltas resume where they were.
        let acc = run(&[
            (&[10], Some(1)),
            (&[11], Some(2)),
            (&[], Some(1)),
            (&[12], Some(3)),
        ]);
        assert_eq!(acc.ids(), [10, 11, 12]);
        assert_eq!(acc.retractions(), 1);
        assert!(acc.is_consistent());
    }

    #[test]
    fn a_count_that_drops_then_regenerates_replaces_the_retracted_tokens() {
        // The count goes back by one, then deltas resume from the shorter output.
        let acc = run(&[
            (&[10], Some(1)),
            (&[11], Some(2)),
            (&[], Some(1)),
            (&[20, 21], Some(3)),
        ]);
        assert_eq!(acc.ids(), [10, 20, 21]);
        assert_eq!(acc.retractions(), 1);
        assert!(acc.is_consistent());
    }

    #[test]
    fn a_chunk_with_fewer_ids_than_its_count_is_flagged_and_the_count_wins() {
        let acc = run(&[(&[10], Some(1)), (&[11], Some(4))]);
        assert_eq!(acc.ids(), [10, 11]);
        assert_eq!(acc.count(), 4);
        assert_eq!(acc.short_chunks(), 1);
        assert!(!acc.is_consistent());
    }

    #[test]
    fn without_a_count_ids_are_deltas_until_usage_arrives() {
        let mut acc = run(&[(&[1, 2], None), (&[3], None)]);
        assert_eq!(acc.count(), 3);
        assert!(!acc.counted_by_server());
        acc.set_count(3);
        assert!(acc.counted_by_server());
        assert!(acc.is_consistent());
    }

    #[test]
    fn a_text_only_server_keeps_its_usage_count() {
        let mut acc = TokenAccumulator::new();
        acc.set_count(17);
        assert_eq!(acc.ids(), [] as [u32; 0]);
        assert_eq!(acc.count(), 17);
    }
}
