//! The store's space state — overload (WP-02) and stop-writes (WP-04) — published for reads
//! without the store lock, and the store lock's guard that publishes it.
//!
//! Why: every write asks both before it takes its record's lock (`Storage::space`,
//! `Storage::stop_writes_cause`). With the store lock each question was a lock round trip that
//! moved the lock's and the state's cache lines between CPUs, twice per write besides the
//! append's own (BENCHMARKS.md "Session 18").
//!
//! Protocol: [`StateGuard`], what `DeviceStorage::lock` returns, recomputes the flags from the
//! state it guards whenever it gives the lock up — when dropped, and before a condition-variable
//! wait releases it — and stores them when they changed. Everything they depend on (`failed`,
//! `live_bytes`, the free block count, the flush queue's length) changes only under the lock,
//! so a reader loading them (Acquire) sees the flags of the last critical section that ended:
//! exactly what it would have computed had it taken the lock at that moment.
//!
//! Invariants: whenever the lock is free, the published flags are [`SpaceBits::of`] the state
//! (asserted after each publish); a guard publishes exactly once per release of the lock.

use super::{DeviceStorage, State};
use crate::storage::SpaceState;
use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Condvar, MutexGuard};
use std::time::Duration;

/// The flags, as one byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct SpaceBits(u8);

const OVERLOADED: u8 = 1;
const STOP_WRITES: u8 = 2;

impl SpaceBits {
    /// The flags of `st` in `store`.
    fn of(store: &DeviceStorage, st: &State) -> SpaceBits {
        let overloaded = st.sealed.len() as u64 * store.block_size as u64 > store.max_write_cache;
        let stop = store.stop_reason(st).is_some();
        SpaceBits((u8::from(overloaded) * OVERLOADED) | (u8::from(stop) * STOP_WRITES))
    }

    pub(super) fn state(self) -> SpaceState {
        SpaceState {
            overloaded: self.0 & OVERLOADED != 0,
            stop_writes: self.0 & STOP_WRITES != 0,
        }
    }
}

/// The published flags (one per store), on a line of their own: every write reads them, and
/// only a change of the flags writes them.
#[derive(Debug, Default)]
#[repr(align(128))]
pub(super) struct SpaceFlags(AtomicU8);

impl SpaceFlags {
    /// The flags of the last critical section that ended.
    pub(super) fn load(&self) -> SpaceBits {
        SpaceBits(self.0.load(Ordering::Acquire))
    }

    /// Publish the flags of `st` (called with the lock held, as it is given up). Stores only
    /// on a change, so a flag that stays put costs no write to a line every writer reads.
    fn publish(&self, store: &DeviceStorage, st: &State) {
        let bits = SpaceBits::of(store, st);
        if self.load() != bits {
            self.0.store(bits.0, Ordering::Release);
        }
        debug_assert_eq!(self.load(), bits, "the published flags are the state's");
    }
}

/// The store lock, held: derefs to the [`State`] and publishes the space flags when it gives
/// the lock up.
pub(super) struct StateGuard<'a> {
    /// `None` only inside [`StateGuard::wait_timeout`], after the flags were published.
    guard: Option<MutexGuard<'a, State>>,
    store: &'a DeviceStorage,
}

impl<'a> StateGuard<'a> {
    pub(super) fn new(guard: MutexGuard<'a, State>, store: &'a DeviceStorage) -> StateGuard<'a> {
        StateGuard {
            guard: Some(guard),
            store,
        }
    }

    /// Wait on `cv` (which releases the lock) for at most `d`; the lock is held again on return.
    pub(super) fn wait_timeout(mut self, cv: &Condvar, d: Duration) -> StateGuard<'a> {
        let store = self.store;
        let guard = self.guard.take().expect("a guard holds the lock until it waits");
        store.space.publish(store, &guard);
        let guard = cv
            .wait_timeout(guard, d)
            .expect("device store state poisoned")
            .0;
        StateGuard::new(guard, store)
    }
}

impl Deref for StateGuard<'_> {
    type Target = State;

    fn deref(&self) -> &State {
        self.guard.as_ref().expect("a guard holds the lock until it waits")
    }
}

impl DerefMut for StateGuard<'_> {
    fn deref_mut(&mut self) -> &mut State {
        self.guard.as_mut().expect("a guard holds the lock until it waits")
    }
}

impl Drop for StateGuard<'_> {
    fn drop(&mut self) {
        if let Some(g) = &self.guard {
            self.store.space.publish(self.store, g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::SystemClock;
    use crate::config::DeviceConfig;
    use crate::record::value::Value;
    use crate::storage::cold_start::tests::image_of;
    use crate::storage::{Maintenance, Storage};
    use std::sync::Arc;

    /// A store of 31 blocks of 1 MiB (stop-writes at `used_pct` % live bytes, flush queue limit
    /// `max_write_cache`), opened and restored.
    fn store(dir: &tempfile::TempDir, used_pct: u8, max_write_cache: u64) -> DeviceStorage {
        let mut cfg = DeviceConfig::new(dir.path().join("d")).file_size(32 << 20);
        cfg.max_write_cache = max_write_cache;
        crate::storage::ssd::open::ready(&cfg, used_pct, 0, false, Arc::new(SystemClock))
    }

    /// What a reader holding the lock would see.
    fn locked(s: &DeviceStorage) -> SpaceState {
        SpaceBits::of(s, &s.lock()).state()
    }

    /// Stop-writes seen without the lock comes on as appends pass the used percentage and goes
    /// off as releases bring the live bytes back, always agreeing with the locked view.
    #[test]
    fn stop_writes_read_without_the_lock_follows_appends_and_releases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir, 10, u64::MAX);
        let mut placed = Vec::new();
        while !s.space().stop_writes {
            assert!(placed.len() < 100, "stop-writes never came");
            let img = image_of(placed.len() as u8, 0, Value::Blob(vec![1; 300_000]));
            placed.push(s.append(img).expect("append below the limit"));
            assert_eq!(s.space(), locked(&s), "after append {}", placed.len());
        }
        let cause = s.stop_writes_cause().expect("a cause while stopped");
        assert!(cause.contains("stop_writes_used_pct 10"), "{cause}");
        while s.space().stop_writes {
            let p = placed.pop().expect("releasing every image ends stop-writes");
            s.release(p.location, p.size);
            assert_eq!(s.space(), locked(&s), "after a release");
        }
        assert_eq!(s.stop_writes_cause(), None);
    }

    /// Overload seen without the lock comes on when a sealed block waits in the flush queue
    /// beyond `max_write_cache` and goes off once a flush wrote it.
    #[test]
    fn overload_read_without_the_lock_follows_the_flush_queue() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(&dir, 90, 0);
        for d in 0..4u8 {
            s.append(image_of(d, 0, Value::Blob(vec![d; 300_000])))
                .expect("append");
            assert_eq!(s.space(), locked(&s), "after append {d}");
        }
        assert!(s.space().overloaded, "a sealed block waits beyond a limit of 0");
        s.flush_step(false).expect("flush");
        assert!(!s.space().overloaded, "the queue drained");
        assert_eq!(s.space(), locked(&s));
    }
}
