//! Per-record locks, sharded by digest (4096 stripes, like Aerospike's partitions), with a count of
//! waiters per digest for L-KEY-BUSY and a deadline for CL-TIMEOUT-QUEUED.
//!
//! Deadlines are readings of the namespace `Clock`'s monotonic time (`Clock::deadline_us`), so
//! a simulated clock decides when a queued request times out.
//!
//! Invariants: at most one holder per digest; a digest appears in its stripe's table exactly while
//! it is held or waited for; `waiters` counts threads blocked in `acquire` for that digest; a
//! stripe's `held` counts its held digests (changed under the stripe's mutex, read without it by
//! [`RecordLocks::stripe_idle`], which lets a lock-free read go ahead only while no record of the
//! stripe is locked, so a read still queues behind a held lock as before).

use crate::clock::{Clock, SystemClock};
use crate::error::{err, Result, ResultCode};
use crate::record::key::Digest;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

const STRIPES: usize = 4096;

/// Longest real-time sleep of a waiter with a deadline before it reads the clock again (a
/// simulated clock moves without waking anyone).
const DEADLINE_RECHECK: Duration = Duration::from_millis(20);

#[derive(Default)]
struct Slot {
    held: bool,
    waiters: u32,
}

/// The digests of one stripe that are held or waited for: almost always none or one, so the
/// first lives inline (no heap line to touch per lock) and the rest in a vector.
#[derive(Default)]
struct Entries {
    first: Option<(Digest, Slot)>,
    more: Vec<(Digest, Slot)>,
}

impl Entries {
    fn get(&self, d: &Digest) -> Option<&Slot> {
        match &self.first {
            Some((k, s)) if k == d => Some(s),
            _ => self.more.iter().find(|(k, _)| k == d).map(|(_, s)| s),
        }
    }

    fn get_mut(&mut self, d: &Digest) -> Option<&mut Slot> {
        match &mut self.first {
            Some((k, s)) if k == d => Some(s),
            _ => self.more.iter_mut().find(|(k, _)| k == d).map(|(_, s)| s),
        }
    }

    /// `d`'s slot, added (not held, no waiters) if absent.
    fn entry(&mut self, d: Digest) -> &mut Slot {
        if self.get(&d).is_none() {
            if self.first.is_none() {
                self.first = Some((d, Slot::default()));
            } else {
                self.more.push((d, Slot::default()));
            }
        }
        self.get_mut(&d).expect("just added")
    }

    fn remove(&mut self, d: &Digest) {
        if matches!(&self.first, Some((k, _)) if k == d) {
            self.first = self.more.pop();
        } else if let Some(i) = self.more.iter().position(|(k, _)| k == d) {
            self.more.swap_remove(i);
        }
    }

    fn held(&self) -> usize {
        self.first.iter().chain(&self.more).filter(|(_, s)| s.held).count()
    }
}

struct Stripe {
    table: Mutex<Entries>,
    freed: Condvar,
    /// Held digests in `table` (written under `table`'s mutex).
    held: AtomicU32,
}

impl Stripe {
    /// Count one more held digest in `t`, this stripe's locked table.
    fn note_held(&self, t: &Entries) {
        let n = self.held.fetch_add(1, Ordering::SeqCst) + 1;
        debug_assert_eq!(n as usize, t.held(), "`held` counts the held digests");
    }
}

/// The lock table.
pub struct RecordLocks {
    stripes: Vec<Stripe>,
    clock: Arc<dyn Clock>,
}

/// A held record lock; released on drop.
pub struct RecordGuard<'a> {
    locks: &'a RecordLocks,
    digest: Digest,
}

impl Default for RecordLocks {
    fn default() -> Self {
        RecordLocks::new(Arc::new(SystemClock))
    }
}

impl RecordLocks {
    /// Empty table whose deadlines are readings of `clock`'s monotonic time.
    pub fn new(clock: Arc<dyn Clock>) -> RecordLocks {
        RecordLocks {
            clock,
            stripes: (0..STRIPES)
                .map(|_| Stripe {
                    table: Mutex::new(Entries::default()),
                    freed: Condvar::new(),
                    held: AtomicU32::new(0),
                })
                .collect(),
        }
    }

    fn stripe(&self, d: &Digest) -> &Stripe {
        let i =
            (usize::from(d.0[0]) | usize::from(d.0[1]) << 8 | usize::from(d.0[2]) << 16) % STRIPES;
        &self.stripes[i]
    }

    /// Lock `digest`. Fails with KeyBusy 14 when `pending_limit > 0` and more than
    /// `pending_limit` requests are already waiting (WP-03, L-KEY-BUSY: "more than the limit";
    /// Aerospike's `wait_queue_depth > transaction_pending_limit`, so with limit L up to L + 1
    /// requests queue), and with Timeout 9 when `deadline` (a `Clock::monotonic_us` reading)
    /// passes first.
    pub fn acquire(
        &self,
        digest: Digest,
        pending_limit: u32,
        deadline: Option<u64>,
    ) -> Result<RecordGuard<'_>> {
        let s = self.stripe(&digest);
        let mut t = s.table.lock().expect("lock table poisoned");
        let slot = t.entry(digest);
        if !slot.held {
            slot.held = true;
            s.note_held(&t);
            return Ok(RecordGuard {
                locks: self,
                digest,
            });
        }
        if pending_limit > 0 && slot.waiters > pending_limit {
            return err(
                ResultCode::KeyBusy,
                format!(
                    "{} requests already waiting for this record (WP-03, L-KEY-BUSY)",
                    slot.waiters
                ),
            );
        }
        slot.waiters += 1;
        loop {
            let held = t.get(&digest).is_some_and(|s| s.held);
            if !held {
                break;
            }
            match deadline {
                None => t = s.freed.wait(t).expect("lock table poisoned"),
                Some(d) => {
                    let now = self.clock.monotonic_us();
                    if now >= d {
                        let slot = t.get_mut(&digest).expect("waited-for slot present");
                        assert!(slot.waiters > 0, "a timed-out waiter was counted");
                        slot.waiters -= 1;
                        return err(
                            ResultCode::Timeout,
                            "deadline passed while waiting for the record (CL-TIMEOUT-QUEUED)",
                        );
                    }
                    t = s
                        .freed
                        .wait_timeout(t, Duration::from_micros(d - now).min(DEADLINE_RECHECK))
                        .expect("lock table poisoned")
                        .0;
                }
            }
        }
        let slot = t.get_mut(&digest).expect("waited-for slot present");
        assert!(
            slot.waiters > 0 && !slot.held,
            "a woken waiter was counted and finds the lock free"
        );
        slot.waiters -= 1;
        slot.held = true;
        s.note_held(&t);
        Ok(RecordGuard {
            locks: self,
            digest,
        })
    }
}

impl RecordLocks {
    /// Hint that `digest`'s stripe is about to be read or locked.
    pub fn prefetch(&self, digest: &Digest) {
        crate::prefetch::value(self.stripe(digest));
    }

    /// Whether no record lock of `digest`'s stripe is held right now, read without the stripe's
    /// mutex (one atomic load). A lock-free read goes ahead only then, so a read that starts
    /// while its record is locked queues as before (CL-TIMEOUT-QUEUED, ID-READS); `false` may
    /// also mean another digest of the stripe is locked.
    pub fn stripe_idle(&self, digest: &Digest) -> bool {
        self.stripe(digest).held.load(Ordering::SeqCst) == 0
    }

    /// Whether some request holds the lock of `digest` (for assertions: a caller that holds it
    /// knows the answer stays true until it releases it).
    pub fn is_held(&self, digest: &Digest) -> bool {
        let t = self
            .stripe(digest)
            .table
            .lock()
            .expect("lock table poisoned");
        t.get(digest).is_some_and(|s| s.held)
    }
}

impl Drop for RecordGuard<'_> {
    fn drop(&mut self) {
        let s = self.locks.stripe(&self.digest);
        let mut t = s.table.lock().expect("lock table poisoned");
        let slot = t.get_mut(&self.digest).expect("held slot present");
        assert!(slot.held, "releasing a held lock");
        slot.held = false;
        let before = s.held.fetch_sub(1, Ordering::SeqCst);
        assert!(before > 0, "a stripe with a held digest counts it");
        if slot.waiters == 0 {
            t.remove(&self.digest);
        } else {
            s.freed.notify_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A digest of stripe 7 told apart by its last byte.
    fn d(n: u8) -> Digest {
        let mut b = [0u8; 20];
        b[0] = 7;
        b[19] = n;
        Digest(b)
    }

    /// Several digests of one stripe (the inline entry and the overflow vector) are held and
    /// released in any order, each exactly while its guard lives.
    #[test]
    fn digests_sharing_a_stripe_lock_independently() {
        let locks = RecordLocks::default();
        let a = locks.acquire(d(1), 0, None).expect("a");
        let b = locks.acquire(d(2), 0, None).expect("b");
        let c = locks.acquire(d(3), 0, None).expect("c");
        assert!((1..=3).all(|n| locks.is_held(&d(n))) && !locks.is_held(&d(4)));
        assert!(!locks.stripe_idle(&d(9)), "the stripe has held digests");
        drop(a); // the inline entry goes; an overflow one takes its place
        assert!(!locks.is_held(&d(1)) && locks.is_held(&d(2)) && locks.is_held(&d(3)));
        let a2 = locks.acquire(d(1), 0, None).expect("a again");
        drop(c);
        assert!(locks.is_held(&d(1)) && locks.is_held(&d(2)) && !locks.is_held(&d(3)));
        drop(b);
        drop(a2);
        assert!(locks.stripe_idle(&d(9)) && (1..=3).all(|n| !locks.is_held(&d(n))));
        let t = locks.stripe(&d(1)).table.lock().expect("table");
        assert!(t.first.is_none() && t.more.is_empty(), "released digests leave the table");
    }

    /// A waiter on one digest of a stripe is woken by that digest's release, not blocked by
    /// another held digest of the same stripe.
    #[test]
    fn a_waiter_gets_its_digest_while_a_neighbour_stays_held() {
        let locks = RecordLocks::default();
        let other = locks.acquire(d(1), 0, None).expect("neighbour");
        let held = locks.acquire(d(2), 0, None).expect("held");
        std::thread::scope(|s| {
            let waiter = s.spawn(|| drop(locks.acquire(d(2), 0, None).expect("waiter")));
            std::thread::sleep(Duration::from_millis(20));
            drop(held);
            waiter.join().expect("waiter thread");
        });
        assert!(locks.is_held(&d(1)) && !locks.is_held(&d(2)));
        drop(other);
    }
}
