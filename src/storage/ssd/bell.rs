//! A bell that wakes every commit-to-device waiter sleeping on it with one call: the end of a
//! batch wakes its parked writers with one `FUTEX_WAKE` (Linux) instead of one unpark each —
//! each unpark is a syscall after which the waker is usually preempted by the thread it just
//! woke, so a leader waking 15 writers went back and forth 15 times (BENCHMARKS.md "Group
//! commit wake-ups", session 6).
//!
//! Protocol: a sleeper reads [`Bell::rung`] while it holds the store lock (where it registers),
//! then sleeps with that value; a ringer changes the value while holding the store lock (after
//! it changed what the sleepers look at) and calls [`Bell::wake_all`] after releasing it. A
//! sleeper therefore never misses a ring: the value it slept with differs, and the sleep
//! returns at once.
//!
//! Spin, then sleep: a sleeper first gives its CPU away up to [`SPIN_YIELDS`] times
//! (`sched_yield`), looking at the value after each, and goes into `FUTEX_WAIT` only if it did
//! not change meanwhile. A ring that comes while it spins then costs no wake-up: on this
//! machine's virtual CPUs a futex wake-up of a sleeping thread costs several µs of both CPUs,
//! and the leader's one `FUTEX_WAKE` of 15 writers left the device idle while they came back
//! one after another (the engine-free floor of `examples/group_commit_floor.rs`: ~5.7 µs per
//! writer and group; BENCHMARKS.md "Group commit, session 10"). Yielding, not busy-waiting: a
//! thread with work (the leader, a writer building its next image) runs first.
//!
//! Invariants: the value only changes by `ring`; a sleep never lasts longer than its bound
//! plus the spin (callers look at the store again after it, so a lost wake costs at most that
//! long); the spin is a bounded number of yields, so it never waits on time itself.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// The bell (one per store).
#[derive(Debug, Default)]
pub(super) struct Bell {
    word: AtomicU32,
    #[cfg(not(target_os = "linux"))]
    portable: (std::sync::Mutex<()>, std::sync::Condvar),
}

/// Yields a sleeper makes, looking at the value after each, before it sleeps in the kernel
/// (measured with 16 and 64 commit-to-device writers: 20 … 64 all beat 0; BENCHMARKS.md
/// "Group commit, session 10").
pub(super) const SPIN_YIELDS: u32 = 32;

/// Yield the CPU up to [`SPIN_YIELDS`] times until `done` holds, looking after each yield;
/// whether it holds (the spin of a bell's sleeper, and of `commit_wait`'s candidate).
pub(super) fn spin_until(done: impl Fn() -> bool) -> bool {
    for _ in 0..SPIN_YIELDS {
        if done() {
            return true;
        }
        std::thread::yield_now();
    }
    done()
}

impl Bell {
    /// The current value (read under the store lock before sleeping).
    pub(super) fn rung(&self) -> u32 {
        self.word.load(Ordering::Acquire)
    }

    /// Change the value (under the store lock); the sleepers wake at `wake_all`.
    pub(super) fn ring(&self) {
        self.word.fetch_add(1, Ordering::Release);
    }

    /// Yield the CPU up to [`SPIN_YIELDS`] times while the value is still `seen`; whether it
    /// changed.
    fn spin(&self, seen: u32) -> bool {
        spin_until(|| self.rung() != seen)
    }

    /// Sleep while the value is still `seen`, at most `max` after a bounded spin (spurious
    /// returns are allowed).
    #[cfg(target_os = "linux")]
    pub(super) fn sleep(&self, seen: u32, max: Duration) {
        if self.spin(seen) {
            return;
        }
        let ts = libc::timespec {
            tv_sec: libc::time_t::try_from(max.as_secs()).unwrap_or(libc::time_t::MAX),
            tv_nsec: libc::c_long::from(max.subsec_nanos() as i32),
        };
        // SAFETY: FUTEX_WAIT reads the aligned u32 behind `word` (alive for `&self`) and the
        // timespec on this stack frame; it compares and sleeps, writing nothing of ours.
        // Its result is not needed: every outcome (woken, value changed, timeout,
        // interruption) sends the caller back to look at the store.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.word.as_ptr(),
                libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
                seen,
                &ts as *const libc::timespec,
            );
        }
    }

    /// Wake every sleeper (after releasing the store lock).
    #[cfg(target_os = "linux")]
    pub(super) fn wake_all(&self) {
        // SAFETY: FUTEX_WAKE only uses the address of `word` as a key; it reads nothing else.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                self.word.as_ptr(),
                libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
                i32::MAX,
            );
        }
    }

    /// Sleep while the value is still `seen`, at most `max` after a bounded spin (spurious
    /// returns are allowed).
    #[cfg(not(target_os = "linux"))]
    pub(super) fn sleep(&self, seen: u32, max: Duration) {
        if self.spin(seen) {
            return;
        }
        let (m, cv) = &self.portable;
        let g = m.lock().unwrap_or_else(|p| p.into_inner());
        if self.rung() == seen {
            drop(cv.wait_timeout(g, max));
        }
    }

    /// Wake every sleeper (after releasing the store lock).
    #[cfg(not(target_os = "linux"))]
    pub(super) fn wake_all(&self) {
        let (m, cv) = &self.portable;
        drop(m.lock().unwrap_or_else(|p| p.into_inner()));
        cv.notify_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::{Clock, SystemClock};

    #[test]
    fn a_sleeper_with_a_stale_value_returns_at_once_and_a_ring_wakes_all() {
        let clock = SystemClock;
        let bell = Bell::default();
        let seen = bell.rung();
        bell.ring();
        let t0 = clock.monotonic_us();
        bell.sleep(seen, Duration::from_secs(5));
        assert!(clock.monotonic_us() - t0 < 1_000_000, "stale value: no sleep");
        let seen = bell.rung();
        std::thread::scope(|s| {
            let sleepers: Vec<_> = (0..4)
                .map(|_| {
                    s.spawn(|| {
                        let t0 = clock.monotonic_us();
                        while bell.rung() == seen && clock.monotonic_us() - t0 < 5_000_000 {
                            bell.sleep(seen, Duration::from_secs(5));
                        }
                        clock.monotonic_us() - t0
                    })
                })
                .collect();
            std::thread::sleep(Duration::from_millis(20));
            bell.ring();
            bell.wake_all();
            for s in sleepers {
                let waited = s.join().expect("sleeper");
                assert!(waited < 4_000_000, "woken by the ring");
            }
        });
    }

    #[test]
    fn an_unrung_sleep_ends_after_its_spin_and_bound() {
        let clock = SystemClock;
        let bell = Bell::default();
        let seen = bell.rung();
        let t0 = clock.monotonic_us();
        bell.sleep(seen, Duration::from_millis(20));
        let waited = clock.monotonic_us() - t0;
        assert!(waited < 2_000_000, "bounded: {waited} µs");
        assert_eq!(bell.rung(), seen, "sleeping never rings");
    }
}
