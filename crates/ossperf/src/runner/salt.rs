//! `--salt-prompts`: every request's prompt begins with a salt of its own, so that no server's
//! prefix cache can serve part of it from an earlier request. SGLang's radix cache and vLLM's
//! prefix cache both match a prompt from its first token (docs/WARMUP.md cites where), so the
//! salt comes first, before harmony's `<|start|>system`: a salt after the fixed system
//! message would leave that whole message cached.
//!
//! A salt is a number below 10¹² written as twelve digits, its lowest three first: four 3-digit
//! o200k tokens, of which the first differs between any 1,000 consecutive salts. The numbers
//! run on from a random start drawn once per session, so neither the tests of one session
//! (`tune`'s probes) nor two runs of ossperf against one server send the same salted prompt.

use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use ossperf_client::Prompt;
use ossperf_loadgen::QuerySampleIndex;

use crate::sut::PromptSource;

/// Three-digit groups in a salt.
const GROUPS: u32 = 4;

/// Salt numbers wrap at this.
const SALTS: u64 = 1_000_000_000_000;

/// The salts of a session: the next number, and the ids of each 3-digit group. Cheap to clone.
#[derive(Clone)]
pub(super) struct Salts {
    next: Arc<AtomicU64>,
    /// The ids of `000` to `999`: o200k's pre-tokenizer cuts digits into groups of at most
    /// three, so a salt's ids are its groups' ids one after the other.
    groups: Arc<[Vec<u32>]>,
}

impl Salts {
    /// Salts from a random start.
    pub(super) fn new() -> Salts {
        // The standard library's per-process random hash keys; nothing here needs more.
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(0);
        Salts::starting_at(hasher.finish() % SALTS)
    }

    /// Salts from `first` on.
    pub(super) fn starting_at(first: u64) -> Salts {
        let tokenizer = ossperf_harmony::tokenizer();
        Salts {
            next: Arc::new(AtomicU64::new(first % SALTS)),
            groups: (0..1000)
                .map(|n| tokenizer.encode(&format!("{n:03}")))
                .collect(),
        }
    }

    /// The number the next salted prompt gets.
    pub(super) fn peek(&self) -> u64 {
        self.next.load(Ordering::Relaxed) % SALTS
    }

    /// The ids of salt `seq`, as `encode(salt_text(seq))` gives them.
    fn salt_into(&self, seq: u64, ids: &mut Vec<u32>) {
        for g in 0..GROUPS {
            let group = ((seq / 1000u64.pow(g)) % 1000) as usize;
            if let Some(group_ids) = self.groups.get(group) {
                ids.extend_from_slice(group_ids);
            }
        }
    }
}

/// The text of salt number `seq`: its digits in groups of three, lowest group first, each
/// zero-padded (`1234` is `234001000000`).
#[cfg(test)]
fn salt_text(seq: u64) -> String {
    (0..GROUPS)
        .map(|g| format!("{:03}", (seq / 1000u64.pow(g)) % 1000))
        .collect()
}

/// The prompts of a test, each handed out with the session's next salt.
pub(super) struct SaltedPrompts {
    prompts: Vec<Prompt>,
    salts: Salts,
}

impl SaltedPrompts {
    /// Salts `prompts` with `salts`.
    pub(super) fn new(prompts: Vec<Prompt>, salts: Salts) -> SaltedPrompts {
        SaltedPrompts { prompts, salts }
    }
}

/// A new prompt, and so a new request body, per request: salted bodies are encoded on the
/// send path (about 25 µs for a 1,250-token prompt) instead of once before the run.
impl PromptSource for SaltedPrompts {
    fn prompt(&self, index: QuerySampleIndex) -> Option<Prompt> {
        let base = self.prompts.get(index)?;
        let seq = self.salts.next.fetch_add(1, Ordering::Relaxed) % SALTS;
        let mut ids = Vec::with_capacity(base.len() + 2 * GROUPS as usize);
        self.salts.salt_into(seq, &mut ids);
        ids.extend_from_slice(base.ids());
        Some(Prompt::from(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_prompt_handed_out_begins_with_the_next_salt_whose_first_token_is_its_own() {
        let salts = Salts::starting_at(SALTS - 500);
        let salted = SaltedPrompts::new(vec![Prompt::from(vec![200006, 17360])], salts.clone());
        let tokenizer = ossperf_harmony::tokenizer();
        let mut firsts = std::collections::BTreeSet::new();
        for i in 0..1000 {
            let seq = (SALTS - 500 + i) % SALTS;
            assert_eq!(salts.peek(), seq);
            let ids = salted.prompt(0).unwrap().ids().to_vec();
            let mut expected = tokenizer.encode(&salt_text(seq));
            assert_eq!(expected.len(), 4, "salt {seq}");
            expected.extend([200006, 17360]);
            assert_eq!(ids, expected);
            firsts.insert(ids[0]);
        }
        assert_eq!(firsts.len(), 1000);
        assert!(salted.prompt(1).is_none());
        assert_eq!(salts.peek(), 500, "an index out of range takes no salt");
        assert_eq!(salt_text(1_234), "234001000000");
        assert_eq!(salt_text(999_888_777_666), "666777888999");
        assert!(Salts::new().peek() < SALTS);
    }
}
