//! Who sleeps where while a commit-to-device write waits for its sync (group commit's waiting
//! side; `flush` runs the batches, `group_commit` decides when one starts).
//!
//! Roles: at most one waiter whose bytes are not yet written is the *candidate*: it waits on the
//! store's `slot_cv` for `group_commit::decide` to let it lead the next batch. Every other
//! waiter is *parked* here with its ticket and woken once: by the batch whose sync makes the
//! durable frontier reach its ticket (`take_covered`, unparked after the store lock is
//! released), by `hand_on` when it is to become the candidate, or by `wake_all` when the store
//! fails. A parked waiter whose bytes are unwritten may still lead without the role: the
//! writer whose append completes the group does (`group_commit::may_lead`), so the group starts
//! without a wake-up of the candidate (BENCHMARKS.md "Group commit wake-ups", session 6).
//!
//! Acknowledgement rule: a waiter returns Ok only when the durable frontier covers its ticket,
//! read either under the store lock (`State::durable`) or from [`Frontier`], a copy published
//! after the frontier moved and never ahead of it. The frontier moves only when the syncs of a
//! gap-free prefix of batches returned Ok (`flush`), and a batch's sync begins after its writes
//! returned, so Ok always follows a sync that began after the waiter's bytes were written.
//!
//! Invariants:
//! - a waiter whose bytes are not yet written is the candidate, leads, or parks while another
//!   waiter is the candidate (asserted in `DeviceStorage::wait_ticket`): the candidate gathers
//!   after their append, so its batch carries their bytes; a candidate that leaves without
//!   leading hands the role on (`hand_on`: the lowest unwritten parked ticket), so unwritten
//!   bytes never wait without one;
//! - a parked entry is removed exactly when its thread is to be unparked (by whichever wake), so
//!   a thread is registered at most once and `is_parked` tells whether it still waits;
//! - `Frontier::durable ≤ State::durable` (asserted under the lock), so the lock-free check
//!   never acknowledges more than the store's own frontier.

use super::group_commit::{self, Decision};
use super::{DeviceStorage, State};
use crate::error::{Error, Result, ResultCode};
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{Thread, ThreadId};
use std::time::Duration;

/// Longest park of a waiter before it looks at the store again (every wake that concerns it
/// comes earlier; this bounds a lost one).
const PARK_MAX: Duration = Duration::from_millis(5);

/// What commit-to-device waiters read without the store lock.
#[derive(Debug, Default)]
pub(super) struct Frontier {
    /// A copy of `State::durable`, published after each advance; never above it.
    durable: AtomicU64,
    /// Threads inside the group-commit wait.
    waiters: AtomicU64,
}

impl Frontier {
    /// Publish the durable frontier (called with the store lock held, after it moved).
    pub(super) fn publish(&self, durable: u64) {
        self.durable.fetch_max(durable, Ordering::Release);
    }

    /// Threads inside the group-commit wait (the group-commit decision's input).
    pub(super) fn waiters(&self) -> u64 {
        self.waiters.load(Ordering::Relaxed)
    }

    fn covers(&self, ticket: u64) -> bool {
        self.durable.load(Ordering::Acquire) >= ticket
    }
}

/// Threads to unpark once the store lock is released.
#[must_use = "unpark them after releasing the store lock"]
pub(super) struct Woken(Vec<Thread>);

impl Woken {
    /// Unpark every thread (call without the store lock: a woken thread that needs the lock
    /// would otherwise block on it at once).
    pub(super) fn unpark(self) {
        for t in self.0 {
            t.unpark();
        }
    }
}

/// The parked waiters and the candidate (part of the store's flush state).
#[derive(Debug, Default)]
pub(super) struct Sleepers {
    /// Parked waiters with their tickets.
    parked: Vec<(u64, Thread)>,
    /// The one waiter with unwritten bytes that waits on `slot_cv` to lead the next batch.
    candidate: Option<ThreadId>,
}

impl Sleepers {
    /// Whether `me` is registered as parked for `ticket` (not yet woken).
    fn is_parked(&self, ticket: u64, me: &Thread) -> bool {
        self.parked
            .iter()
            .any(|(t, th)| *t == ticket && th.id() == me.id())
    }

    /// Park `me` for `ticket` unless it is registered already.
    fn register(&mut self, ticket: u64, me: &Thread) {
        if !self.is_parked(ticket, me) {
            self.parked.push((ticket, me.clone()));
        }
    }

    /// Forget every parked waiter whose ticket is ≤ `durable`; they are to be unparked.
    pub(super) fn take_covered(&mut self, durable: u64) -> Woken {
        let mut woken = Vec::new();
        self.parked.retain(|(ticket, thread)| {
            let covered = *ticket <= durable;
            if covered {
                woken.push(thread.clone());
            }
            !covered
        });
        assert!(
            self.parked.iter().all(|(t, _)| *t > durable),
            "every covered waiter is woken"
        );
        Woken(woken)
    }

    /// Wake every parked waiter (the store failed or was abandoned: each returns its error).
    pub(super) fn wake_all(&mut self) {
        for (_, thread) in self.parked.drain(..) {
            thread.unpark();
        }
    }

    /// `me` leaves the candidate role (if it has it) without leading: the parked waiter with
    /// the lowest ticket above `written` is woken to take it. Answers whether `me` was the
    /// candidate (the caller then wakes `slot_cv` too).
    fn vacate(&mut self, me: ThreadId, written: u64) -> bool {
        if self.candidate != Some(me) {
            return false;
        }
        self.candidate = None;
        let next = self
            .parked
            .iter()
            .enumerate()
            .filter(|(_, (t, _))| *t > written)
            .min_by_key(|(_, (t, _))| *t)
            .map(|(i, _)| i);
        if let Some(i) = next {
            let (_, thread) = self.parked.swap_remove(i);
            thread.unpark();
        }
        true
    }
}

/// What a waiter does next (decided under the store lock).
enum Step {
    /// Return: Ok (durable) or the store's failure.
    Done(Result<()>),
    /// Park until woken.
    Park,
    /// Sleep on `slot_cv` as the candidate, then look again.
    Again,
    /// Gather and write the next batch.
    Lead,
}

impl DeviceStorage {
    /// Group commit: return once `ticket` is durable, leading a batch when this waiter is the
    /// candidate or completes the group and `group_commit::decide` says it leads; otherwise
    /// parked (module doc).
    pub(super) fn wait_ticket(&self, ticket: u64) -> Result<()> {
        let me = std::thread::current();
        self.frontier.waiters.fetch_add(1, Ordering::Relaxed);
        let r = self.wait_loop(ticket, &me);
        self.frontier.waiters.fetch_sub(1, Ordering::Relaxed);
        r
    }

    fn wait_loop(&self, ticket: u64, me: &Thread) -> Result<()> {
        // Whether this thread may be the candidate: it then leaves through `next_step`, which
        // hands the role on.
        let mut candidate = false;
        loop {
            if !candidate && self.frontier.covers(ticket) {
                // Parked and covered: the batch that covered the ticket removed its entry.
                return Ok(());
            }
            candidate = false;
            match self.next_step(ticket, me) {
                Step::Done(r) => return r,
                Step::Park => std::thread::park_timeout(PARK_MAX),
                Step::Again => candidate = true,
                Step::Lead => {
                    if let Err(e) = self.flush_once(true, false) {
                        let st = self.lock();
                        // Another batch may have made the ticket durable before the store
                        // failed.
                        if st.durable >= ticket {
                            return Ok(());
                        }
                        return Err(super::flush::handoff_doubt(&st, ticket, e));
                    }
                }
            }
        }
    }

    /// Under the store lock: done, park, wait as the candidate, or lead.
    fn next_step(&self, ticket: u64, me: &Thread) -> Step {
        let mut st = self.lock();
        assert!(
            self.frontier.durable.load(Ordering::Acquire) <= st.durable,
            "the published frontier is never ahead of the store's"
        );
        if st.durable >= ticket {
            // Durable before any failure: acknowledged even if the store failed since.
            self.vacate(&mut st, me);
            return Step::Done(Ok(()));
        }
        if let Some(f) = &st.failed {
            let e = Error::new(ResultCode::ServerError, format!("device store failed: {f}"));
            let e = super::flush::handoff_doubt(&st, ticket, e);
            self.vacate(&mut st, me);
            return Step::Done(Err(e));
        }
        let written = st.flush.written >= ticket;
        let other = st.flush.sleepers.candidate.is_some_and(|c| c != me.id());
        let lead_now = !written && self.may_lead(&st);
        if written || (other && !lead_now) {
            self.vacate(&mut st, me);
            assert!(
                written || st.flush.sleepers.candidate.is_some(),
                "unwritten bytes never wait without a candidate to lead their batch"
            );
            st.flush.sleepers.register(ticket, me);
            return Step::Park;
        }
        if other {
            // The group is complete: lead it at once, the candidate keeps its role.
            return Step::Lead;
        }
        st.flush.sleepers.candidate = Some(me.id());
        if let Decision::Wait(d) = group_commit::decide(&self.group_inputs(&st)) {
            drop(self.wait_slot(st, d));
            return Step::Again;
        }
        st.flush.sleepers.candidate = None;
        Step::Lead
    }

    /// `me` leaves the candidate role without leading (if it had it): hand it on and wake the
    /// `slot_cv` waiters.
    fn vacate(&self, st: &mut State, me: &Thread) {
        let written = st.flush.written;
        if st.flush.sleepers.vacate(me.id(), written) {
            self.slot_cv.notify_all();
        }
    }
}
