//! The group-commit decision of the device store as pure functions of their inputs: whether a
//! commit-to-device waiter whose bytes are not yet written leads the next flush batch now, and
//! otherwise how long it sleeps before it asks again. `flush` fills [`GroupInputs`] from the
//! store state and the `Clock`'s monotonic reading; `tests/group_commit_sim.rs` drives the same
//! functions from seeds with a simulated clock, writers and syncs of random durations.
//!
//! Policy: a waiter leads when the write slot is free and either
//! - no sync is in flight and the group is ready: as many images are queued as the group
//!   expected (`last_group`: the commit-to-device waiters when the last sync finished, each of
//!   which appends again — set by `flush`), or the device has been idle for [`GATHER_WAIT`] (so
//!   the writers the last sync released append first); or
//! - fewer than [`MAX_SYNCS_IN_FLIGHT`] syncs are in flight, the newest has run for at least
//!   [`OVERLAP_AFTER`], and at least [`MIN_OVERLAP_GROUP`] images and half the waiting writers
//!   are queued behind it (on a fast-syncing device a second, smaller batch costs more CPU than
//!   it saves; measured, see [`OVERLAP_AFTER`]).
//!
//! Invariants (asserted): a decision never leads while a batch holds the write slot or
//! [`MAX_SYNCS_IN_FLIGHT`] syncs are in flight, and no batch starts then ([`slot_free`], for
//! leaders and the flusher alike); a wait is never zero and never longer than [`WAIT_MAX`], so
//! a waiter always asks again.

use std::time::Duration;

/// Batches whose sync may be in flight at once (group commit pipelining depth).
pub const MAX_SYNCS_IN_FLIGHT: usize = 2;

/// A sync must have run this long before a second batch overlaps it: on a device that syncs
/// faster (this machine's disk: ~0.4 ms per aerolite group commit) overlapping only splits the
/// groups and costs CPU (measured: −10 … −20 % writes/s at 16 and 32 writers); on a slow or
/// busy device it lets the next group's write and sync start at once.
pub const OVERLAP_AFTER: Duration = Duration::from_millis(1);

/// With no sync in flight, how long a would-be leader waits for a group as large as expected
/// before it writes what is queued.
pub const GATHER_WAIT: Duration = Duration::from_micros(200);

/// Images that must be waiting (and at least half the waiting writers) before a batch
/// overlaps a sync in flight.
pub const MIN_OVERLAP_GROUP: u64 = 8;

/// Longest sleep of a would-be leader before it asks again (every state change that lets it
/// lead also wakes it).
pub const WAIT_MAX: Duration = Duration::from_millis(5);

/// Shortest sleep while waiting for a sync to become old enough to overlap.
const OVERLAP_WAIT_MIN: Duration = Duration::from_micros(50);

/// Shortest sleep while waiting for the gather window to end.
const GATHER_WAIT_MIN: Duration = Duration::from_micros(20);

/// What the decision looks at (a snapshot of the store's flush state).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct GroupInputs {
    /// A batch is in its write phase (holds the write slot).
    pub writing: bool,
    /// Batches between the start of their write and the end of their sync.
    pub in_flight: usize,
    /// Images queued for the next batch: appended since the last batch was gathered, plus
    /// those of the open block's tail that batch left behind (`FlushState::tail_appended`).
    pub appended: u64,
    /// Threads inside the group-commit wait.
    pub waiters: u64,
    /// Images the next group is expected to have: the waiters when the last sync finished with
    /// nothing else in flight, else the number the last batch gathered.
    pub last_group: u64,
    /// How long the sync of the newest batch in flight has run, in µs (`None`: no sync runs).
    pub sync_age_us: Option<u64>,
    /// How long the device has been idle since the last sync finished, in µs (`None`: no sync
    /// finished yet).
    pub idle_age_us: Option<u64>,
}

/// What a waiter whose bytes are not yet written does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Gather and write the next batch now.
    Lead,
    /// Sleep this long (or until woken) and ask again.
    Wait(Duration),
}

/// Whether a waiter with unwritten bytes may lead a batch now.
pub fn may_lead(i: &GroupInputs) -> bool {
    let lead = !i.writing
        && ((i.in_flight == 0 && group_ready(i))
            || (i.in_flight < MAX_SYNCS_IN_FLIGHT
                && i.appended >= MIN_OVERLAP_GROUP.max(i.waiters / 2)
                && i.sync_age_us.is_some_and(|a| a >= us(OVERLAP_AFTER))));
    assert!(
        !lead || (!i.writing && i.in_flight < MAX_SYNCS_IN_FLIGHT),
        "a leader finds the slot free and room for its sync"
    );
    lead
}

/// With nothing in flight: a group as large as expected is queued, or the device has been
/// idle for [`GATHER_WAIT`].
fn group_ready(i: &GroupInputs) -> bool {
    i.appended >= i.last_group || i.idle_age_us.is_none_or(|a| a >= us(GATHER_WAIT))
}

/// Lead now, or how long to sleep: until the sync in flight becomes old enough to be
/// overlapped, or the gather window ends, at most [`WAIT_MAX`].
pub fn decide(i: &GroupInputs) -> Decision {
    if may_lead(i) {
        return Decision::Lead;
    }
    let left = |limit: Duration, age: u64| limit.saturating_sub(Duration::from_micros(age));
    let d = match (i.sync_age_us, i.idle_age_us) {
        (Some(age), _) if i.in_flight == 1 && !i.writing => {
            left(OVERLAP_AFTER, age).clamp(OVERLAP_WAIT_MIN, WAIT_MAX)
        }
        (_, Some(age)) if i.in_flight == 0 => {
            left(GATHER_WAIT, age).clamp(GATHER_WAIT_MIN, WAIT_MAX)
        }
        _ => WAIT_MAX,
    };
    assert!(
        d > Duration::ZERO && d <= WAIT_MAX,
        "a bounded, non-zero wait"
    );
    Decision::Wait(d)
}

/// Whether `flush_once` may take the write slot and start a batch now: no batch writes and
/// fewer than [`MAX_SYNCS_IN_FLIGHT`] syncs run. Checked under the same lock as the gather, for
/// every batch (a leader's, whose decision was taken before the lock was dropped and the state
/// may have moved since; the flusher's; shutdown's).
pub fn slot_free(i: &GroupInputs) -> bool {
    !i.writing && i.in_flight < MAX_SYNCS_IN_FLIGHT
}

/// Whether an append just completed a group worth waking the would-be leaders for: with
/// nothing in flight, as many images as expected (`last_group`) are queued (no age is read:
/// callers may leave the ages unknown then); with a sync in flight (and the leaders not yet
/// woken for this group), the group may now overlap it.
pub fn wake_on_append(i: &GroupInputs, overlap_signalled: bool) -> bool {
    if i.in_flight == 0 {
        i.appended == i.last_group.max(1)
    } else {
        !overlap_signalled && may_lead(i)
    }
}

fn us(d: Duration) -> u64 {
    crate::clock::duration_us(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn idle(appended: u64, last_group: u64, idle_us: Option<u64>) -> GroupInputs {
        GroupInputs {
            appended,
            waiters: appended,
            last_group,
            idle_age_us: idle_us,
            ..GroupInputs::default()
        }
    }

    fn syncing(in_flight: usize, appended: u64, waiters: u64, age_us: u64) -> GroupInputs {
        GroupInputs {
            in_flight,
            appended,
            waiters,
            last_group: 4,
            sync_age_us: Some(age_us),
            ..GroupInputs::default()
        }
    }

    #[test]
    fn idle_device_leads_once_the_group_is_complete_or_the_window_ends() {
        assert_eq!(
            decide(&idle(4, 4, Some(0))),
            Decision::Lead,
            "group complete"
        );
        assert_eq!(decide(&idle(1, 0, None)), Decision::Lead, "first batch");
        assert_eq!(decide(&idle(1, 4, None)), Decision::Lead, "never synced");
        assert_eq!(
            decide(&idle(1, 4, Some(200))),
            Decision::Lead,
            "window over"
        );
        assert_eq!(
            decide(&idle(1, 4, Some(150))),
            Decision::Wait(Duration::from_micros(50)),
            "the rest of the gather window"
        );
        assert_eq!(
            decide(&idle(1, 4, Some(195))),
            Decision::Wait(Duration::from_micros(20)),
            "at least the minimum sleep"
        );
    }

    #[test]
    fn overlap_needs_an_old_sync_a_large_group_and_a_free_slot() {
        assert_eq!(decide(&syncing(1, 8, 10, 1_000)), Decision::Lead);
        assert_eq!(
            decide(&syncing(1, 8, 10, 400)),
            Decision::Wait(Duration::from_micros(600)),
            "until the sync is old enough"
        );
        assert!(!may_lead(&syncing(1, 7, 10, 5_000)), "group too small");
        assert!(
            !may_lead(&syncing(1, 8, 20, 5_000)),
            "less than half the waiters"
        );
        assert!(may_lead(&syncing(1, 10, 20, 5_000)));
        assert_eq!(
            decide(&syncing(MAX_SYNCS_IN_FLIGHT, 50, 50, 9_000)),
            Decision::Wait(WAIT_MAX),
            "pipeline full"
        );
        let writing = GroupInputs {
            writing: true,
            ..syncing(1, 50, 50, 9_000)
        };
        assert_eq!(decide(&writing), Decision::Wait(WAIT_MAX), "slot taken");
        let idle_writing = GroupInputs {
            writing: true,
            ..idle(9, 1, None)
        };
        assert_eq!(decide(&idle_writing), Decision::Wait(WAIT_MAX));
    }

    #[test]
    fn a_batch_starts_only_with_the_slot_free_and_room_for_its_sync() {
        assert!(slot_free(&idle(1, 1, None)));
        assert!(slot_free(&syncing(MAX_SYNCS_IN_FLIGHT - 1, 0, 0, 0)));
        assert!(!slot_free(&syncing(MAX_SYNCS_IN_FLIGHT, 0, 0, 0)));
        let writing = GroupInputs {
            writing: true,
            ..idle(1, 1, None)
        };
        assert!(!slot_free(&writing));
    }

    #[test]
    fn appends_wake_the_leaders_once_per_group() {
        assert!(wake_on_append(&idle(4, 4, Some(0)), false));
        assert!(
            !wake_on_append(&idle(5, 4, Some(0)), false),
            "already woken at 4"
        );
        assert!(
            wake_on_append(&idle(1, 0, None), false),
            "a first image wakes"
        );
        assert!(wake_on_append(&syncing(1, 8, 10, 2_000), false));
        assert!(
            !wake_on_append(&syncing(1, 8, 10, 2_000), true),
            "signalled already"
        );
        assert!(
            !wake_on_append(&syncing(1, 8, 10, 10), false),
            "sync too young"
        );
    }

    /// `note_append` leaves the ages unknown when nothing is in flight (no clock read): the
    /// decision must not depend on them then.
    #[test]
    fn with_nothing_in_flight_appends_read_no_age() {
        for (appended, last_group) in [(1, 0), (4, 4), (5, 4), (3, 16)] {
            for signalled in [false, true] {
                let unknown = wake_on_append(&idle(appended, last_group, None), signalled);
                for age in [Some(0), Some(1), Some(5_000), Some(u64::MAX)] {
                    let aged = GroupInputs {
                        sync_age_us: age,
                        ..idle(appended, last_group, age)
                    };
                    assert_eq!(wake_on_append(&aged, signalled), unknown, "{appended}/{last_group}");
                }
            }
        }
    }
}
