//! `--salt-prompts`: every request's prompt begins with a salt of its own, so that no server's
//! prefix cache can serve part of it from an earlier request. SGLang's radix cache and vLLM's
//! prefix cache both match a prompt from its first token (docs/WARMUP.md cites where), so the
//! salt comes first, before harmony's `<|start|>system`: a salt after the fixed system
//! message would leave that whole message cached. The salt is the request's sequence number
//! in the session (warm-up first) as twelve digits, its lowest three first, so four 3-digit
//! o200k tokens of which the first differs between any 1,000 consecutive requests.

use std::sync::atomic::{AtomicU64, Ordering};

use ossperf_client::Prompt;
use ossperf_loadgen::QuerySampleIndex;

use crate::sut::PromptSource;

/// Three-digit groups in a salt.
const GROUPS: u32 = 4;

/// The text of salt number `seq`: `seq`'s decimal digits in groups of three, lowest group
/// first, each zero-padded (`1234` is `234001000000`).
#[cfg(test)]
fn salt_text(seq: u64) -> String {
    (0..GROUPS)
        .map(|g| format!("{:03}", (seq / 1000u64.pow(g)) % 1000))
        .collect()
}

/// The prompts of a run, each handed out with the next salt.
pub(super) struct SaltedPrompts {
    prompts: Vec<Prompt>,
    /// The ids of `000` to `999`: o200k's pre-tokenizer cuts digits into groups of at most
    /// three, so a salt's ids are its groups' ids one after the other.
    groups: Vec<Vec<u32>>,
    next: AtomicU64,
}

impl SaltedPrompts {
    /// Salts `prompts`; the first prompt handed out gets salt 0.
    pub(super) fn new(prompts: Vec<Prompt>) -> SaltedPrompts {
        let tokenizer = ossperf_harmony::tokenizer();
        let groups = (0..1000)
            .map(|n| tokenizer.encode(&format!("{n:03}")))
            .collect();
        SaltedPrompts {
            prompts,
            groups,
            next: AtomicU64::new(0),
        }
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

/// A new prompt, and so a new request body, per request: salted bodies are encoded on the
/// send path (about 25 µs for a 1,250-token prompt) instead of once before the run.
impl PromptSource for SaltedPrompts {
    fn prompt(&self, index: QuerySampleIndex) -> Option<Prompt> {
        let base = self.prompts.get(index)?;
        let seq = self.next.fetch_add(1, Ordering::Relaxed);
        let mut ids = Vec::with_capacity(base.len() + 2 * GROUPS as usize);
        self.salt_into(seq, &mut ids);
        ids.extend_from_slice(base.ids());
        Some(Prompt::from(ids))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_prompt_handed_out_begins_with_the_next_salt_whose_first_token_is_its_own() {
        let salted = SaltedPrompts::new(vec![Prompt::from(vec![200006, 17360])]);
        let tokenizer = ossperf_harmony::tokenizer();
        let mut firsts = std::collections::BTreeSet::new();
        for seq in 0..1000 {
            let ids = salted.prompt(0).unwrap().ids().to_vec();
            let mut expected = tokenizer.encode(&salt_text(seq));
            assert_eq!(expected.len(), 4, "salt {seq}");
            expected.extend([200006, 17360]);
            assert_eq!(ids, expected);
            firsts.insert(ids[0]);
        }
        assert_eq!(firsts.len(), 1000);
        assert!(salted.prompt(1).is_none());
        assert_eq!(salt_text(1_234), "234001000000");
        assert_eq!(salt_text(999_888_777_666), "666777888999");
    }
}
