//! Ctrl-C and SIGTERM: the first stops issuing and cancels what is in flight, so LoadGen
//! writes complete logs of what finished; a second one exits at once.

use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

use ossperf_loadgen::RunControl;

use crate::sut::GptOssSut;

/// Which signal, if any, stopped the run. Dropping it stops listening.
pub(super) struct Interrupt {
    signal: Arc<AtomicI32>,
    listener: tokio::task::JoinHandle<()>,
}

impl Drop for Interrupt {
    fn drop(&mut self) {
        self.listener.abort();
    }
}

impl Interrupt {
    /// The signal number that stopped the run, if one did.
    pub(super) fn signal(&self) -> Option<i32> {
        match self.signal.load(Ordering::Acquire) {
            0 => None,
            n => Some(n),
        }
    }

    /// The exit code a shell expects after that signal (130 for SIGINT, 143 for SIGTERM).
    pub(super) fn exit_code(&self) -> Option<u8> {
        self.signal().and_then(|n| u8::try_from(128 + n).ok())
    }
}

/// Listens for SIGINT and SIGTERM on `runtime` for the rest of the run.
pub(super) fn install(
    runtime: &tokio::runtime::Handle,
    control: RunControl,
    sut: GptOssSut,
) -> anyhow::Result<Interrupt> {
    use tokio::signal::unix::{signal, SignalKind};
    let signal_number = Arc::new(AtomicI32::new(0));
    let mut sigint = {
        let _guard = runtime.enter();
        signal(SignalKind::interrupt())?
    };
    let mut sigterm = {
        let _guard = runtime.enter();
        signal(SignalKind::terminate())?
    };
    let state = signal_number.clone();
    let listener = runtime.spawn(async move {
        loop {
            let number = tokio::select! {
                _ = sigint.recv() => libc::SIGINT,
                _ = sigterm.recv() => libc::SIGTERM,
            };
            if state.swap(number, Ordering::AcqRel) != 0 {
                crate::output::warn("interrupted again: exiting without waiting");
                std::process::exit(128 + number);
            }
            crate::output::warn(
                "interrupted: no more queries are issued; cancelling what is in flight \
                 and writing the logs (press Ctrl-C again to exit at once)",
            );
            control.abort();
            ossperf_loadgen_official::abort();
            sut.cancel_all();
        }
    });
    Ok(Interrupt {
        signal: signal_number,
        listener,
    })
}
