//! SIGINT / SIGTERM → a flag the serve loop polls, so the process shuts down cleanly (flush and
//! index snapshot) instead of dying mid-write. The handler only stores to an atomic, which is
//! async-signal-safe.
//!
//! Invariant: [`requested`] turns true only after a SIGINT or SIGTERM arrived (or [`request`]).

use std::sync::atomic::{AtomicBool, Ordering};

static REQUESTED: AtomicBool = AtomicBool::new(false);

#[cfg(target_os = "linux")]
extern "C" fn on_signal(_: libc::c_int) {
    REQUESTED.store(true, Ordering::SeqCst);
}

/// Install the handlers (Linux; elsewhere the default action stays and no snapshot is written).
pub fn install() {
    #[cfg(target_os = "linux")]
    // SAFETY: `on_signal` is an `extern "C" fn(c_int)` that only stores to a static atomic, which
    // is async-signal-safe; `signal` is given valid signal numbers.
    unsafe {
        let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
        libc::signal(libc::SIGINT, handler);
        libc::signal(libc::SIGTERM, handler);
    }
}

/// Whether a shutdown was requested.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::SeqCst)
}

/// Request a shutdown as a signal would (tests, embedders).
pub fn request() {
    REQUESTED.store(true, Ordering::SeqCst);
}
