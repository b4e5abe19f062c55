//! Who sleeps where while a commit-to-device write waits for its sync (group commit's waiting
//! side; `flush` runs the batches, `group_commit` decides when one starts).
//!
//! Roles: at most one waiter whose bytes are not yet handed to a batch (*unsubmitted*) is the
//! *candidate*: it waits for `group_commit::decide` to let it lead the next batch — first
//! yielding its CPU up to `bell::SPIN_YIELDS` times while neither its bytes were handed to a
//! batch ([`Frontier`]'s copy of the submitted frontier) nor the store's `slot_cv` was notified
//! (the *slot signal*, changed with every notification), and only then asleep on `slot_cv`. In the
//! usual cycle the group's last writer leads, and the candidate's bytes go with it: a candidate
//! asleep in the kernel then came back only when the batch's sync ended, by a wake-up, and was
//! often the writer its next group waited for (BENCHMARKS.md "Session 23"). Every other waiter
//! is *parked*: registered here with its ticket, asleep on one of two [`Bell`]s, the one of the
//! parity of the batch expected to cover it. The batch whose sync makes the durable frontier
//! reach parked tickets removes them and rings their bell once (`take_covered`; one
//! `FUTEX_WAKE` for all of them, after the store lock is released); the waiters of another
//! batch in flight sleep on. A waiter with unsubmitted bytes may lead without the role: the
//! writer whose append completes the group does (`group_commit::may_lead`), so the group starts
//! without a wake-up of the candidate; a gathered batch that carries the candidate's bytes
//! takes the role from it (`gathered`), so the writers appending next take it themselves
//! instead of being handed it (BENCHMARKS.md "Group commit wake-ups", session 6).
//!
//! Acknowledgement rule: a waiter returns Ok only when the durable frontier covers its ticket,
//! read either under the store lock (`State::durable`) or from [`Frontier`], a copy published
//! after the frontier moved and never ahead of it. The frontier moves only when the syncs of a
//! gap-free prefix of batches returned Ok (`flush`), and a batch's sync begins after its writes
//! returned, so Ok always follows a sync that began after the waiter's bytes were written
//! (`tests/storage_group_commit.rs` checks it for every acknowledgement).
//!
//! Invariants:
//! - a waiter whose bytes are unsubmitted is the candidate, leads, or parks while another
//!   waiter is the candidate (asserted in `next_step`): the candidate gathers after their
//!   append, so its batch carries their bytes; a candidate that leaves without leading hands
//!   the role on (`vacate`: the lowest unsubmitted parked ticket is removed and the bell rings),
//!   so unsubmitted bytes never wait without one;
//! - a parked entry is removed exactly when the bell it was registered on is rung for it
//!   (covered, handed the role, or the store failed), so no removal goes unrung and a thread is
//!   registered at most once (`register` replaces its entry);
//! - `Frontier::durable ≤ State::durable` (asserted under the lock), so the lock-free check
//!   never acknowledges more than the store's own frontier;
//! - `Frontier::submitted ≤ FlushState::submitted` (asserted under the lock): a spinning
//!   candidate only ever stops early, and whatever it saw it decides again under the lock; its
//!   spin is bounded (`bell::SPIN_YIELDS` yields), and a spin that saw nothing change is
//!   followed by the bounded sleep on `slot_cv`, so a missed signal costs at most that sleep.

use super::bell::{spin_until, Bell};
use super::group_commit::{self, Decision};
use super::{DeviceStorage, State};
use crate::error::{Error, Result, ResultCode};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::thread::ThreadId;
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
    /// What parked waiters sleep on, by the parity of the batch expected to cover them (so
    /// the end of one batch does not wake the waiters of the other one in flight): a bell is
    /// rung when an entry registered on it is removed (covered, handed the candidate role, or
    /// the store failed).
    bells: [Bell; 2],
    /// A copy of `FlushState::submitted`, published when it moves; never above it.
    submitted: AtomicU64,
    /// Changed with every notification of the store's `slot_cv` (what a spinning candidate
    /// watches instead of sleeping on it).
    slot_signal: AtomicU32,
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

    /// Publish the submitted frontier (called with the store lock held, after it moved).
    pub(super) fn publish_submitted(&self, submitted: u64) {
        self.submitted.fetch_max(submitted, Ordering::Release);
    }

    /// Change the slot signal (with every notification of `slot_cv`).
    pub(super) fn signal_slot(&self) {
        self.slot_signal.fetch_add(1, Ordering::Release);
    }

    /// The slot signal (read under the store lock before a candidate spins).
    fn slot_signal(&self) -> u32 {
        self.slot_signal.load(Ordering::Acquire)
    }

    /// The candidate's wait before it sleeps: yield up to `bell::SPIN_YIELDS` times while
    /// `ticket` is not submitted and the slot signal is still `seen`; whether either changed.
    fn candidate_spin(&self, ticket: u64, seen: u32) -> bool {
        spin_until(|| {
            self.submitted.load(Ordering::Acquire) >= ticket || self.slot_signal() != seen
        })
    }
}

/// Which bells rang for covered parked waiters: they are to be woken once the store lock is
/// released.
#[must_use = "wake them after releasing the store lock"]
pub(super) struct Woken([bool; 2]);

impl Woken {
    /// Wake the parked waiters, one call per bell (without the store lock: a woken thread that
    /// needs the lock would otherwise block on it at once).
    pub(super) fn wake(self, frontier: &Frontier) {
        for (bell, rang) in frontier.bells.iter().zip(self.0) {
            if rang {
                bell.wake_all();
            }
        }
    }
}

/// The parked waiters and the candidate (part of the store's flush state).
#[derive(Debug, Default)]
pub(super) struct Sleepers {
    /// Parked waiters with their tickets and the bell they sleep on.
    parked: Vec<(u64, ThreadId, usize)>,
    /// The one waiter with unsubmitted bytes that waits on `slot_cv` to lead the next batch,
    /// with its ticket.
    candidate: Option<(ThreadId, u64)>,
}

impl Sleepers {
    /// Park `me` for `ticket` on `bell` (again: a woken waiter that is not covered yet may
    /// expect another batch now).
    fn register(&mut self, ticket: u64, me: ThreadId, bell: usize) {
        self.parked.retain(|&(t, th, _)| !(t == ticket && th == me));
        self.parked.push((ticket, me, bell));
    }

    /// `me` leaves the candidate role (if it has it) without leading: the parked waiter with
    /// the lowest ticket above `submitted` is woken to take it (with every other parked
    /// waiter: one bell; they park again). Answers whether `me` was the candidate (the caller
    /// then wakes `slot_cv` too).
    fn vacate(&mut self, me: ThreadId, submitted: u64, bells: &[Bell; 2]) -> bool {
        if self.candidate.is_none_or(|(c, _)| c != me) {
            return false;
        }
        self.candidate = None;
        let next = self
            .parked
            .iter()
            .enumerate()
            .filter(|(_, (t, _, _))| *t > submitted)
            .min_by_key(|(_, (t, _, _))| *t)
            .map(|(i, _)| i);
        if let Some(i) = next {
            let (_, _, b) = self.parked.swap_remove(i);
            bells[b].ring();
            bells[b].wake_all();
        }
        true
    }
}

/// What a waiter does next (decided under the store lock).
enum Step {
    /// Return: Ok (durable) or the store's failure.
    Done(Result<()>),
    /// Park until this bell's value differs from this one.
    Park(usize, u32),
    /// Sleep on `slot_cv` as the candidate, then look again.
    Again,
    /// Spin as the candidate while the slot signal is this value (`Frontier::candidate_spin`),
    /// then look again.
    Spin(u32),
    /// Gather and write the next batch.
    Lead,
}

impl DeviceStorage {
    /// Group commit: return once `ticket` is durable, leading a batch when this waiter is the
    /// candidate or completes the group and `group_commit::decide` says it leads; otherwise
    /// parked (module doc).
    pub(super) fn wait_ticket(&self, ticket: u64) -> Result<()> {
        let me = std::thread::current().id();
        self.frontier.waiters.fetch_add(1, Ordering::Relaxed);
        let r = self.wait_loop(ticket, me);
        self.frontier.waiters.fetch_sub(1, Ordering::Relaxed);
        r
    }

    fn wait_loop(&self, ticket: u64, me: ThreadId) -> Result<()> {
        // Whether this thread may be the candidate: it then leaves through `next_step`, which
        // hands the role on.
        let mut candidate = false;
        // Whether its last spin as the candidate saw nothing change (it then sleeps).
        let mut spun = false;
        loop {
            if !candidate && self.frontier.covers(ticket) {
                // Parked and covered: the batch that covered the ticket removed its entry.
                return Ok(());
            }
            candidate = false;
            match self.next_step(ticket, me, std::mem::take(&mut spun)) {
                Step::Done(r) => return r,
                Step::Park(bell, seen) => self.frontier.bells[bell].sleep(seen, PARK_MAX),
                Step::Again => candidate = true,
                Step::Spin(seen) => {
                    candidate = true;
                    spun = !self.frontier.candidate_spin(ticket, seen);
                }
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

    /// Under the store lock: done, park, wait as the candidate (spinning first unless its last
    /// spin, `spun`, saw nothing change), or lead.
    fn next_step(&self, ticket: u64, me: ThreadId, spun: bool) -> Step {
        let mut st = self.lock();
        assert!(
            self.frontier.durable.load(Ordering::Acquire) <= st.durable,
            "the published frontier is never ahead of the store's"
        );
        assert!(
            self.frontier.submitted.load(Ordering::Acquire) <= st.flush.submitted,
            "the published submitted frontier is never ahead of the store's"
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
        // Handed to a batch (maybe still being written): that batch carries them, so they need
        // no candidate.
        let submitted = st.flush.submitted >= ticket;
        let other = st.flush.sleepers.candidate.is_some_and(|(c, _)| c != me);
        let lead_now = !submitted && self.may_lead(&st);
        if submitted || (other && !lead_now) {
            self.vacate(&mut st, me);
            assert!(
                submitted || st.flush.sleepers.candidate.is_some(),
                "unsubmitted bytes never wait without a candidate to lead their batch"
            );
            let bell = Self::bell_for(&st, ticket);
            st.flush.sleepers.register(ticket, me, bell);
            return Step::Park(bell, self.frontier.bells[bell].rung());
        }
        if other {
            // The group is complete: lead it at once, the candidate keeps its role.
            return Step::Lead;
        }
        st.flush.sleepers.candidate = Some((me, ticket));
        if let Decision::Wait(d) = group_commit::decide(&self.group_inputs(&st)) {
            if !spun {
                return Step::Spin(self.frontier.slot_signal());
            }
            drop(self.wait_slot(st, d));
            return Step::Again;
        }
        st.flush.sleepers.candidate = None;
        assert!(!submitted, "a leader carries bytes of its own");
        Step::Lead
    }

    /// Notify `slot_cv` and change the slot signal (what a spinning candidate watches).
    pub(super) fn notify_slot(&self) {
        self.frontier.signal_slot();
        self.slot_cv.notify_all();
    }

    /// `me` leaves the candidate role without leading (if it had it): hand it on and wake the
    /// `slot_cv` waiters.
    fn vacate(&self, st: &mut State, me: ThreadId) {
        let submitted = st.flush.submitted;
        if st.flush.sleepers.vacate(me, submitted, &self.frontier.bells) {
            self.notify_slot();
        }
    }

    /// Forget every parked waiter whose ticket is ≤ `durable` and publish `durable` (the
    /// store's frontier, just moved): the bell rings for them; wake them once the lock is
    /// released.
    pub(super) fn take_covered(&self, st: &mut State, durable: u64) -> Woken {
        assert!(durable <= st.durable, "only the store's frontier is published");
        let mut rang = [false; 2];
        st.flush.sleepers.parked.retain(|&(ticket, _, bell)| {
            let covered = ticket <= durable;
            rang[bell] |= covered;
            !covered
        });
        self.frontier.publish(durable);
        for (bell, _) in self.frontier.bells.iter().zip(rang).filter(|(_, r)| *r) {
            bell.ring();
        }
        Woken(rang)
    }

    /// The bell of the batch expected to cover `ticket`: the gathered batch whose target
    /// reaches it, else the next one. A wrong guess (a flusher batch without the open buffer's
    /// tail) costs a spurious wake-up, never a lost one: the bell an entry was registered on
    /// rings when the entry is removed.
    fn bell_for(st: &State, ticket: u64) -> usize {
        let f = &st.flush;
        let batch = f
            .targets
            .iter()
            .find(|&&(_, target)| target >= ticket)
            .map_or(f.issued + 1, |&(no, _)| no);
        (batch % 2) as usize
    }

    /// A batch carrying everything up to `target` was gathered: a candidate whose bytes it
    /// carries has nothing left to lead and loses the role without handing it on (the
    /// writers that append after the gather find no candidate and take it).
    pub(super) fn gathered(&self, st: &mut State, target: u64) {
        let c = &mut st.flush.sleepers.candidate;
        if c.is_some_and(|(_, ticket)| ticket <= target) {
            *c = None;
        }
    }

    /// Wake every parked waiter (the store failed or was abandoned: each returns its error).
    pub(super) fn wake_all_parked(&self, st: &mut State) {
        st.flush.sleepers.parked.clear();
        for bell in &self.frontier.bells {
            bell.ring();
            bell.wake_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_candidate_spin_ends_when_its_bytes_are_submitted_or_the_slot_is_signalled() {
        let f = Frontier::default();
        let seen = f.slot_signal();
        assert!(!f.candidate_spin(5, seen), "nothing changed: the spin runs out");
        f.publish_submitted(4);
        assert!(!f.candidate_spin(5, seen), "ticket 5 is not submitted by 4");
        f.publish_submitted(5);
        assert!(f.candidate_spin(5, seen), "ticket 5 handed to a batch");
        assert!(f.candidate_spin(7, seen + 1), "a signal since the lock was held");
        f.signal_slot();
        assert!(!f.candidate_spin(7, f.slot_signal()), "read after the signal");
        f.publish_submitted(3);
        assert_eq!(f.submitted.load(Ordering::Acquire), 5, "the copy never moves back");
        std::thread::scope(|s| {
            let seen = f.slot_signal();
            let f = &f;
            let spinner = s.spawn(move || {
                let mut spins = 0u32;
                while !f.candidate_spin(9, seen) {
                    spins += 1;
                    assert!(spins < 1_000_000, "the signal ends the spin");
                }
            });
            f.signal_slot();
            spinner.join().expect("spinner");
        });
    }
}
