//! The scheduler task: runs the [`Batcher`] against the real clock.
//!
//! Steps are laid end to end on a virtual clock anchored when the server leaves idle; the task
//! sleeps until each step's end and then tells every request that produced tokens how many it
//! has. Arrivals during a step join at the next one, as on a GPU. If the task falls behind, the
//! virtual clock does not stretch: steps run back to back until it has caught up.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::model::{Batcher, CostModel};
use crate::server::Shared;

/// A request handed to the scheduler.
#[derive(Debug)]
pub(crate) struct Admit {
    /// Unique tag (the arrival number).
    pub tag: u64,
    /// Prompt tokens.
    pub prompt: u32,
    /// Output tokens to produce.
    pub output: u32,
    /// Where to report the number of tokens produced so far.
    pub progress: mpsc::UnboundedSender<u32>,
}

/// True when a stream with this interval sends a chunk after token `k` (SGLang: the first
/// token alone, then every `interval`-th: `k % interval == 1`; every token for interval 1).
pub fn is_chunk_end(k: u32, interval: u32) -> bool {
    interval <= 1 || k % interval == 1
}

/// Runs until every sender of `arrivals` is gone.
pub(crate) async fn run(
    shared: Arc<Shared>,
    cost: CostModel,
    mut arrivals: mpsc::UnboundedReceiver<Admit>,
) {
    let cfg = &shared.config;
    // Streams wait for their next chunk end; with speculative steps those ends are not the
    // fixed `1 (mod N)` points, so every token is reported.
    let notify_every = if cfg.speculative.is_some() {
        1
    } else {
        cfg.stream_interval
    };
    let mut batcher: Batcher<u64> =
        Batcher::new(cost, cfg.max_running_requests, cfg.chunked_prefill_size);
    let mut senders: HashMap<u64, mpsc::UnboundedSender<u32>> = HashMap::new();
    let mut out = Vec::new();
    let mut gone = Vec::new();
    let mut clock = Instant::now();
    loop {
        if batcher.is_idle() {
            shared.stats.set_batch(0, 0);
            let Some(admit) = arrivals.recv().await else {
                return;
            };
            clock = Instant::now();
            add(&mut batcher, &mut senders, admit);
        }
        while let Ok(admit) = arrivals.try_recv() {
            add(&mut batcher, &mut senders, admit);
        }
        let Some(step) = batcher.step(&mut out) else {
            continue;
        };
        shared
            .stats
            .set_batch(batcher.running() as u64, batcher.queued() as u64);
        clock += step;
        tokio::time::sleep_until(clock).await;
        for p in out.drain(..) {
            if p.finished || is_chunk_end(p.produced, notify_every) {
                let delivered = senders
                    .get(&p.tag)
                    .is_some_and(|tx| tx.send(p.produced).is_ok());
                if !delivered {
                    gone.push(p.tag);
                }
            }
            if p.finished {
                senders.remove(&p.tag);
            }
        }
        if !gone.is_empty() {
            batcher.abort(|tag| gone.contains(tag));
            for tag in gone.drain(..) {
                senders.remove(&tag);
            }
        }
        shared.stats.steps.fetch_add(1, Ordering::Relaxed);
    }
}

fn add(
    batcher: &mut Batcher<u64>,
    senders: &mut HashMap<u64, mpsc::UnboundedSender<u32>>,
    a: Admit,
) {
    batcher.push(a.tag, a.prompt, a.output);
    senders.insert(a.tag, a.progress);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_end_after_the_first_token_and_then_every_interval() {
        let ends: Vec<u32> = (1..=12).filter(|&k| is_chunk_end(k, 5)).collect();
        assert_eq!(ends, vec![1, 6, 11]);
        assert!((1..=4).all(|k| is_chunk_end(k, 1)));
    }
}
