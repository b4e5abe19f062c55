//! Who sleeps where while a commit-to-device write waits for its sync (group commit's waiting
//! side; `flush` runs the batches, `group_commit` decides when one starts).
//!
//! Roles: at most one waiter whose bytes are not yet written is the *candidate*: it waits on the
//! store's `slot_cv` for `group_commit::decide` to let it lead the next batch. Every other
//! waiter is *parked* here with its ticket and woken once: by `wake_covered` when the durable
//! frontier reaches its ticket, by `hand_on` when it is to become the candidate, or by
//! `wake_all` when the store fails (16 writers: 3.2 context switches per write instead of 4.7
//! when every batch woke everybody; BENCHMARKS.md "Group commit wake-ups").
//!
//! Invariants:
//! - a waiter whose bytes are not yet written is the candidate or parks while another waiter is
//!   (asserted in `DeviceStorage::wait_ticket`): the candidate gathers after their append, so its
//!   batch carries their bytes; a candidate that leaves without leading hands the role on
//!   (`hand_on`: the lowest unwritten parked ticket), so unwritten bytes never wait without one;
//! - a parked entry is removed exactly when its thread is unparked (by whichever wake), so a
//!   thread is registered at most once and `is_parked` tells whether it still waits to be woken.

use super::group_commit::{self, Decision};
use super::{DeviceStorage, State};
use crate::error::{Error, Result, ResultCode};
use std::thread::{Thread, ThreadId};
use std::time::Duration;

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

    /// Wake (and forget) every parked waiter whose ticket is ≤ `durable`.
    pub(super) fn wake_covered(&mut self, durable: u64) {
        self.parked.retain(|(ticket, thread)| {
            let covered = *ticket <= durable;
            if covered {
                thread.unpark();
            }
            !covered
        });
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

impl DeviceStorage {
    /// Group commit: return once `ticket` is durable, leading a batch when this waiter is the
    /// candidate and `group_commit::decide` says it leads; otherwise parked (module doc).
    pub(super) fn wait_ticket(&self, ticket: u64) -> Result<()> {
        let me = std::thread::current();
        let mut counted = false;
        loop {
            {
                let mut st = self.lock();
                if !counted {
                    st.flush.waiters += 1;
                    counted = true;
                }
                if st.durable >= ticket || st.failed.is_some() {
                    self.vacate(&mut st, &me);
                    st.flush.waiters -= 1;
                    let Some(f) = &st.failed else { return Ok(()) };
                    let e =
                        Error::new(ResultCode::ServerError, format!("device store failed: {f}"));
                    return Err(super::flush::handoff_doubt(&st, ticket, e));
                }
                let written = st.flush.written >= ticket;
                let other = st.flush.sleepers.candidate.is_some_and(|c| c != me.id());
                if written || other {
                    self.vacate(&mut st, &me);
                    assert!(
                        written || st.flush.sleepers.candidate.is_some(),
                        "unwritten bytes never wait without a candidate to lead their batch"
                    );
                    st.flush.sleepers.register(ticket, &me);
                    drop(st);
                    std::thread::park_timeout(Duration::from_millis(5));
                    continue;
                }
                st.flush.sleepers.candidate = Some(me.id());
                if let Decision::Wait(d) = group_commit::decide(&self.group_inputs(&st)) {
                    drop(self.wait_slot(st, d));
                    continue;
                }
                st.flush.sleepers.candidate = None;
            }
            if let Err(e) = self.flush_once(true, false) {
                let mut st = self.lock();
                st.flush.waiters -= 1;
                // Another batch may have made the ticket durable before the store failed.
                if st.durable >= ticket {
                    return Ok(());
                }
                return Err(super::flush::handoff_doubt(&st, ticket, e));
            }
        }
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
