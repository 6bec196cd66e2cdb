//! Giving up on servers that are gone: when every endpoint has been down (connections
//! refused or dropped, several in a row) for a whole grace period, the SUT is abandoned and
//! answers every remaining sample at once as failed, instead of sending into the void for the
//! rest of the schedule. This lives on the SUT's side, so it works under any LoadGen; a caller
//! that owns its LoadGen can also stop the schedule (`on_abandon`).

use std::time::{Duration, Instant};

use super::GptOssSut;

/// How often the endpoints' state is looked at.
const POLL: Duration = Duration::from_millis(100);

/// A running watch; dropping it stops watching.
pub(crate) struct EndpointWatch {
    task: tokio::task::JoinHandle<()>,
}

impl Drop for EndpointWatch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Watches `sut`'s endpoints on `runtime`. Once every endpoint in rotation has been down for
/// `grace`, abandons the SUT with the reason and calls `on_abandon` with it.
pub(crate) fn watch_endpoints(
    runtime: &tokio::runtime::Handle,
    sut: GptOssSut,
    grace: Duration,
    on_abandon: impl FnOnce(&str) + Send + 'static,
) -> EndpointWatch {
    let task = runtime.spawn(async move {
        let mut down_since: Option<Instant> = None;
        let mut ticks = tokio::time::interval(POLL);
        loop {
            ticks.tick().await;
            let stats = sut.shared.client.endpoint_stats();
            let in_rotation = stats.iter().filter(|e| e.healthy);
            let all_down = stats.iter().any(|e| e.healthy) && in_rotation.clone().all(|e| e.down);
            if !all_down {
                down_since = None;
                continue;
            }
            let since = *down_since.get_or_insert_with(Instant::now);
            if since.elapsed() >= grace {
                let reason = format!(
                    "not sent: every endpoint has been down for {} s (--abandon-after)",
                    grace.as_secs_f64()
                );
                sut.abandon(reason.clone());
                on_abandon(&reason);
                return;
            }
        }
    });
    EndpointWatch { task }
}
