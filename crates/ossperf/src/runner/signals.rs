//! Ctrl-C and SIGTERM: the first stops issuing and cancels what is in flight, so LoadGen
//! writes complete logs of what finished (a sweep's closed loop: its point's records); a
//! second one exits at once.
//!
//! The official LoadGen cannot be stopped mid-test: its `AbortTest` stops the logger thread
//! that records each answer, so a `StartTest` with samples still out waits for them forever
//! (`loadgen.cc`, `AbortTest`; `logging.cc`, `GetLatenciesBlocking`, 6.0.17). Under it the SUT
//! instead answers what is in flight and everything the library still issues as failed at
//! once ([`GptOssSut::abandon`]): Offline ends at once, Server at the end of its schedule.

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

/// Listens for SIGINT and SIGTERM on `runtime` for the rest of the run; `official` says the
/// official LoadGen drives it.
pub(super) fn install(
    runtime: &tokio::runtime::Handle,
    control: RunControl,
    sut: GptOssSut,
    official: bool,
) -> anyhow::Result<Interrupt> {
    listen(runtime, move || {
        if official {
            crate::output::warn(
                "interrupted: what is in flight and every query the official LoadGen still \
                 issues are answered as failed at once, then the logs are written (press \
                 Ctrl-C again to exit at once)",
            );
            sut.abandon(
                "cancelled: interrupted (the official LoadGen runs its schedule to its end)".into(),
            );
            return;
        }
        crate::output::warn(
            "interrupted: no more queries are issued; cancelling what is in flight \
             and writing the logs (press Ctrl-C again to exit at once)",
        );
        control.abort();
        sut.cancel_all();
    })
}

/// Listens for SIGINT and SIGTERM on `runtime` until the [`Interrupt`] is dropped: the first
/// signal calls `stop` (which says what happens and makes it happen), a second one exits at
/// once with 128 + its number. A run and a sweep's closed loop share it.
pub(super) fn listen(
    runtime: &tokio::runtime::Handle,
    mut stop: impl FnMut() + Send + 'static,
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
                // Without exit handlers: the official library's logger, destroyed by them,
                // waits for a thread that is gone.
                // SAFETY: _exit(2) ends the process; nothing runs after it.
                #[allow(unsafe_code)]
                unsafe {
                    libc::_exit(128 + number)
                };
            }
            stop();
        }
    });
    Ok(Interrupt {
        signal: signal_number,
        listener,
    })
}
