//! Flush and group commit of the device store: gathering what is due into one *batch* (every
//! sealed buffer not yet written, in `flush_size` units, plus the dirty tail of the open buffer
//! when a partial flush is due), writing it, syncing it, and advancing the durable frontier.
//!
//! A batch goes through two phases:
//! 1. **write** — one batch at a time (the *write slot* in the store state): the batch's writes
//!    are submitted together per device (`Device::write_batch_then_sync`: one io_uring
//!    submission for all of them; the portable backend loops `pwrite`), devices in parallel
//!    (one scoped thread per device when a batch spans several). Once every write of the batch
//!    has returned, the slot is handed over and the written frontier recorded, so the next
//!    batch can be gathered and written while this one's `fdatasync` is still in flight;
//! 2. **sync** — up to `MAX_SYNCS_IN_FLIGHT` batches' syncs run at once (on the threads that
//!    wrote them; a batch starts only with room for its sync, whoever gathers it). A batch is
//!    *finished* when all its devices' syncs returned Ok.
//!
//! Group commit: a waiter whose bytes are not yet written may lead the next batch when
//! `group_commit::decide` says so (the policy and its constants live there, as pure functions of
//! the flush state and the ages read from the store's `Clock`); who waits where, and who is woken
//! when, is `commit_wait`.
//!
//! Invariants:
//! - writes of consecutive batches never overlap in time (the slot), so a batch that rewrites a
//!   partly written 4 KiB unit always lands after the earlier write of that unit, and the sync
//!   of batch k covers every write of batches ≤ k (they returned before it began — the `Device`
//!   contract);
//! - the durable frontier advances only over a gap-free prefix of finished batches (batch k's
//!   target is applied only after batches 1 … k−1 finished), so it is monotonic and every
//!   ticket ≤ it is on the device together with all earlier blocks (storage-format.md "Writing
//!   rules"): a batch whose own sync succeeded is still not acknowledged while an earlier one
//!   is in flight;
//! - any write or sync error fails the store before the frontier moves past the failed batch;
//!   from then on no later batch advances it, so the writers of every batch in flight get
//!   ServerError 1 and a failed store serves nothing above the frontier (WP-NOCHANGE) but
//!   durable defrag sources (`moves`);
//! - `durable ≤ submitted` (asserted in `advance`): a waiter's 1 is in doubt exactly when its
//!   ticket is ≤ `submitted`, i.e. its image was handed to the device (ID-DEVICE-HANDOFF,
//!   storage-format.md "Writing rules"); above it the image never left memory;
//! - a sealed buffer leaves the flush queue (to the post-write cache, block state `Used`) only
//!   once durable, exactly as before pipelining: defrag frees nothing earlier.
//!
//! Why overlapped `fdatasync` and not `RWF_DSYNC`/FUA writes with several in flight: two
//! `O_DSYNC` writes of consecutive group commits usually rewrite the same partly flushed 4 KiB
//! unit, and in flight together their order on the device is undefined (the older, shorter
//! content could land last and drop an acknowledged image); serialising them removes the
//! overlap. Concurrent `fdatasync` calls do overlap on this machine's disk (fio, 4 KiB
//! write + fdatasync: 269/s with one job, 3,045/s with four; BENCHMARKS.md "Group commit,
//! batched io_uring I/O, parallel cold start").

use super::commit_wait::Woken;
use super::group_commit::{self, GroupInputs};
use super::space::StateGuard;
use super::{DeviceStorage, State};
use crate::error::{err, Error, Result, ResultCode};
use crate::format::write_block::BlockHeader;
use crate::storage::blocks::BlockState;
use crate::storage::device::{align_down, align_up, AlignedBuf, ALIGN};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Flush bookkeeping in the store state.
#[derive(Debug, Default)]
pub(super) struct FlushState {
    /// A batch is in its write phase.
    pub writing: bool,
    /// Highest ticket whose bytes were written (maybe not yet synced).
    pub written: u64,
    /// Highest ticket whose bytes were handed to the device (a batch covering it began its
    /// write phase): a failure can no longer tell its writer "not applied" (ID-DEVICE-HANDOFF).
    pub submitted: u64,
    /// Batches numbered so far.
    pub issued: u64,
    /// Every batch ≤ this number finished.
    pub finished_upto: u64,
    /// (number, target) of the batches gathered and not yet passed by the durable frontier,
    /// oldest first (`commit_wait` picks bells by them).
    pub targets: std::collections::VecDeque<(u64, u64)>,
    /// Finished batches above `finished_upto` (out of order) with their targets.
    pub finished: std::collections::BTreeMap<u64, u64>,
    /// Batches between the start of their write and the end of their sync.
    pub in_flight: usize,
    /// Images appended since the last batch was gathered, less those a batch left behind:
    /// the images queued for the next batch.
    pub appended: u64,
    /// Of `appended`, those in the open block's unwritten tail. A batch without the tail (the
    /// flusher's, for a block just sealed) leaves them queued: they stay counted, so the group
    /// they belong to is seen complete when its other writers append again.
    pub tail_appended: u64,
    /// The would-be leaders were woken for the group queued since the last gather.
    pub overlap_signalled: bool,
    /// When the sync of the newest batch in flight began (its write phase ended), µs of the
    /// store's monotonic clock.
    pub sync_since: Option<u64>,
    /// Images the next group waits for while the device is idle: the group-commit waiters when
    /// the last sync finished and nothing was in flight (each appends again), else the number
    /// the last batch gathered.
    pub last_group: u64,
    /// The parked commit-to-device waiters and the candidate (`commit_wait`).
    pub sleepers: super::commit_wait::Sleepers,
    /// When the last sync in flight finished (nothing in flight since), µs of the store's
    /// monotonic clock.
    pub idle_since: Option<u64>,
}

/// What a flush attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Flushed {
    /// Nothing was due.
    Nothing,
    /// Another batch holds the write slot (non-blocking attempt).
    Busy,
    /// A batch of this many bytes was written and synced.
    Done(u64),
}

/// One write of a batch.
struct Job {
    block: u32,
    seq: u64,
    from: usize,
    to: usize,
    buf: Arc<AlignedBuf>,
    base: usize,
    sealed: bool,
}

/// What the write phase's hand-over records.
struct Batch {
    no: u64,
    target: u64,
    jobs: Vec<Job>,
    partial: Option<(u32, u64, usize)>,
    bytes: u64,
}

/// ID-DEVICE-HANDOFF: the error of a commit-to-device writer whose `ticket` did not become
/// durable is in doubt once its image was handed to the device — the failed write may have
/// landed, a failed sync may still have reached the media, and a restart then serves it — and
/// definitive only while the image never left memory (the failed store never writes it).
pub(super) fn handoff_doubt(st: &State, ticket: u64, e: Error) -> Error {
    assert!(
        ticket > st.durable,
        "a durable ticket is acknowledged, not failed"
    );
    let handed = ticket <= st.flush.submitted;
    e.with_in_doubt(handed)
}

impl DeviceStorage {
    /// Gather what is due and run it through both phases. `blocking`: wait for the write slot
    /// and room for one more sync (`group_commit::slot_free`: flusher, shutdown) instead of
    /// returning `Busy` (group-commit waiters).
    pub(super) fn flush_once(&self, partial: bool, blocking: bool) -> Result<Flushed> {
        let batch = {
            let mut st = self.lock();
            loop {
                if let Some(f) = &st.failed {
                    return err(ResultCode::ServerError, format!("device store failed: {f}"));
                }
                if self.abandoned.load(Ordering::Acquire) {
                    return Ok(Flushed::Nothing);
                }
                if group_commit::slot_free(&self.group_inputs(&st)) {
                    break;
                }
                if !blocking {
                    return Ok(Flushed::Busy);
                }
                st = self.wait_slot(st, Duration::from_millis(5));
            }
            assert!(
                st.flush.in_flight < group_commit::MAX_SYNCS_IN_FLIGHT,
                "a batch starts only with room for its sync"
            );
            let Some(batch) = self.gather(&mut st, partial) else {
                return Ok(Flushed::Nothing);
            };
            assert!(
                batch.target > st.durable,
                "a batch carries bytes not yet durable"
            );
            st.flush.submitted = st.flush.submitted.max(batch.target);
            self.frontier.publish_submitted(st.flush.submitted);
            self.gathered(&mut st, batch.target);
            st.flush.writing = true;
            st.flush.in_flight += 1;
            batch
        };
        let bytes = batch.bytes;
        self.write_and_sync(batch)?;
        Ok(Flushed::Done(bytes))
    }

    pub(super) fn wait_slot<'a>(&self, st: StateGuard<'a>, d: Duration) -> StateGuard<'a> {
        st.wait_timeout(&self.slot_cv, d)
    }

    /// The batch due now, numbered; `None` when nothing is due.
    fn gather(&self, st: &mut State, partial: bool) -> Option<Batch> {
        let mut jobs = Vec::new();
        let mut target = st.durable;
        debug_assert!(
            st.sealed
                .iter()
                .zip(st.sealed.iter().skip(1))
                .all(|(a, b)| a.seq < b.seq),
            "blocks are flushed in sequence order"
        );
        for s in &st.sealed {
            if s.flushed >= self.block_size {
                continue; // written by an earlier batch, syncing
            }
            jobs.push(Job {
                block: s.block,
                seq: s.seq,
                from: align_down(s.flushed as u64, ALIGN as u64) as usize,
                to: self.block_size,
                buf: s.buf.clone(),
                base: 0,
                sealed: true,
            });
            target = target.max((s.seq + 1) << 32);
        }
        let mut partial_done = None;
        let now_us = self.clock.monotonic_us();
        let due = partial
            || Duration::from_micros(now_us.saturating_sub(st.last_partial)) >= self.flush_max;
        if due {
            st.last_partial = now_us;
            if let Some(c) = &st.current {
                if c.pos() > c.flushed {
                    let from = align_down(c.flushed as u64, ALIGN as u64) as usize;
                    let to = align_up(c.pos() as u64, ALIGN as u64) as usize;
                    jobs.push(Job {
                        block: c.block,
                        seq: c.seq,
                        from,
                        to,
                        buf: Arc::new(AlignedBuf::copy_of(&c.bytes()[from..to])),
                        base: from,
                        sealed: false,
                    });
                    partial_done = Some((c.block, c.seq, c.pos()));
                    target = target.max(c.seq << 32 | c.pos() as u64);
                }
            }
        }
        if jobs.is_empty() {
            return None;
        }
        st.flush.issued += 1;
        let left = if partial_done.is_some() { 0 } else { st.flush.tail_appended };
        assert!(
            left <= st.flush.appended,
            "the open tail's images are among those appended"
        );
        st.flush.last_group = st.flush.appended - left;
        st.flush.appended = left;
        st.flush.tail_appended = left;
        st.flush.overlap_signalled = false;
        let bytes = jobs.iter().map(|j| (j.to - j.from) as u64).sum();
        st.flush.targets.push_back((st.flush.issued, target));
        assert_eq!(
            st.flush.targets.len() as u64,
            st.flush.issued - st.flush.finished_upto,
            "one target per batch not yet passed by the frontier"
        );
        Some(Batch {
            no: st.flush.issued,
            target,
            jobs,
            partial: partial_done,
            bytes,
        })
    }

    /// The device writes of `batch`, per device: `(device offset, bytes)`; full blocks in
    /// flush-size units.
    fn extents_of<'a>(&self, batch: &'a Batch) -> Vec<Vec<(u64, &'a [u8])>> {
        let mut per_device: Vec<Vec<(u64, &[u8])>> = vec![Vec::new(); self.devices.len()];
        for j in &batch.jobs {
            debug_assert!(
                j.base != 0 || BlockHeader::is_incarnation(j.buf.as_slice(), j.block, j.seq),
                "a block is written with its own header (checked again when read)"
            );
            let (dev, block_off) = self.place_of(j.block);
            let mut at = j.from;
            while at < j.to {
                // Full blocks go out in flush-size units (the first one may start mid-unit,
                // after the part an earlier partial flush wrote).
                let end = if j.base == 0 {
                    (align_down(at as u64, self.flush_size as u64) as usize + self.flush_size)
                        .min(j.to)
                } else {
                    j.to
                };
                per_device[dev].push((
                    block_off + at as u64,
                    &j.buf.as_slice()[at - j.base..end - j.base],
                ));
                at = end;
            }
        }
        per_device
    }

    /// Both phases of `batch` (the caller took the write slot and counted it in flight).
    fn write_and_sync(&self, batch: Batch) -> Result<()> {
        let per_device = self.extents_of(&batch);
        let used: Vec<usize> = (0..per_device.len())
            .filter(|&i| !per_device[i].is_empty())
            .collect();
        let writers_left = AtomicUsize::new(used.len());
        let handed_over = std::sync::atomic::AtomicBool::new(false);
        let hand_over = || {
            if writers_left.fetch_sub(1, Ordering::AcqRel) == 1
                && !handed_over.swap(true, Ordering::AcqRel)
            {
                self.written(&batch);
            }
        };
        let run = |i: usize| -> Result<()> {
            let mut cb = || hand_over();
            self.devices[i].write_batch_then_sync(&per_device[i], &mut cb)
        };
        let result: Result<()> = if used.len() == 1 {
            run(used[0])
        } else {
            std::thread::scope(|s| {
                let hs: Vec<_> = used.iter().map(|&i| s.spawn(move || run(i))).collect();
                let mut first = Ok(());
                for h in hs {
                    let r = h.join().unwrap_or_else(|_| {
                        err(ResultCode::ServerError, "device flush thread panicked")
                    });
                    if first.is_ok() {
                        first = r;
                    }
                }
                first
            })
        };
        let mut st = self.lock();
        st.flush.in_flight -= 1;
        if !handed_over.swap(true, Ordering::AcqRel) {
            // A write failed before every device handed over: free the slot (the store fails
            // below, so nobody writes again).
            st.flush.writing = false;
            self.notify_slot();
        }
        if let Err(e) = result {
            self.fail(&mut st, &e);
            return Err(e);
        }
        if let Some(f) = &st.failed {
            // An earlier batch failed while this one was in flight: its writers get 1 too.
            return err(ResultCode::ServerError, format!("device store failed: {f}"));
        }
        self.counters
            .syncs
            .fetch_add(used.len() as u64, Ordering::Relaxed);
        assert!(
            batch.no > st.flush.finished_upto && !st.flush.finished.contains_key(&batch.no),
            "a batch finishes once"
        );
        st.flush.finished.insert(batch.no, batch.target);
        let woken = self.advance(&mut st);
        drop(st);
        // Outside the lock: the woken return at once (`commit_wait::Frontier`) and the
        // would-be leaders take the lock they were woken for.
        woken.wake(&self.frontier);
        self.notify_slot();
        Ok(())
    }

    /// Write phase done: record the written frontier and release the slot.
    fn written(&self, batch: &Batch) {
        let mut st = self.lock();
        assert!(st.flush.writing, "only the write slot's holder hands over");
        assert!(
            batch.target > st.flush.written,
            "batches are written one at a time, in ticket order"
        );
        st.flush.written = st.flush.written.max(batch.target);
        for j in batch.jobs.iter().filter(|j| j.sealed) {
            if let Some(s) = st
                .sealed
                .iter_mut()
                .find(|s| s.block == j.block && s.seq == j.seq)
            {
                s.flushed = self.block_size;
            }
        }
        if let Some((block, seq, pos)) = batch.partial {
            if let Some(c) = st
                .current
                .as_mut()
                .filter(|c| c.block == block && c.seq == seq)
            {
                c.flushed = c.flushed.max(pos);
            } else if let Some(s) = st
                .sealed
                .iter_mut()
                .find(|s| s.block == block && s.seq == seq)
            {
                // Sealed while this partial write was in flight: its prefix is written.
                s.flushed = s.flushed.max(pos);
            }
        }
        st.flush.writing = false;
        st.flush.sync_since = Some(self.clock.monotonic_us());
        self.counters
            .device_bytes
            .fetch_add(batch.bytes, Ordering::Relaxed);
        if self.may_lead(&st) {
            st.flush.overlap_signalled = true;
            self.notify_slot();
        }
    }

    /// An image was appended (commit-to-device waiters follow): wake the would-be leaders once
    /// when the queued group became complete or worth overlapping the sync in flight — unless
    /// the appender waits for its own ticket next (`appender_waits`): it then finds the group
    /// complete itself and leads without waking anyone (`commit_wait`).
    pub(super) fn note_append(&self, st: &mut State, appender_waits: bool) {
        st.flush.appended += 1;
        st.flush.tail_appended += 1;
        // With nothing in flight the decision reads no age (`wake_on_append`), so the clock is
        // not read: one clock read less per buffered write (BENCHMARKS.md "Session 12").
        let inputs = if st.flush.in_flight == 0 {
            self.group_inputs_at(st, None)
        } else {
            self.group_inputs(st)
        };
        if group_commit::wake_on_append(&inputs, st.flush.overlap_signalled) {
            st.flush.overlap_signalled |= inputs.in_flight > 0;
            if !appender_waits {
                self.notify_slot();
            }
        }
    }

    /// Move the durable frontier over the gap-free prefix of finished batches, and retire what
    /// became durable. Answers which bells rang for covered waiters, to wake them once the lock
    /// is released.
    fn advance(&self, st: &mut State) -> Woken {
        if st.flush.in_flight == 0 {
            st.flush.sync_since = None;
            st.flush.idle_since = Some(self.clock.monotonic_us());
            // Every writer waiting now appends again before the next group is complete: with
            // the size of the last batch instead, a group that once split (one writer late)
            // stays split, since the writer completing the group leads at once.
            st.flush.last_group = self.frontier.waiters();
        }
        while let Some(t) = st.flush.finished.remove(&(st.flush.finished_upto + 1)) {
            assert!(
                t > st.durable,
                "the durable frontier moves forward over batches in number order"
            );
            st.flush.finished_upto += 1;
            st.durable = st.durable.max(t);
        }
        let passed = st.flush.finished_upto;
        while st.flush.targets.front().is_some_and(|&(no, _)| no <= passed) {
            st.flush.targets.pop_front();
        }
        let durable = st.durable;
        assert!(
            durable <= st.flush.submitted,
            "only bytes handed to the device become durable"
        );
        assert!(
            durable <= st.flush.written,
            "only written bytes become durable"
        );
        st.moves.on_durable(durable);
        while st
            .sealed
            .front()
            .is_some_and(|s| s.flushed >= self.block_size && (s.seq + 1) << 32 <= durable)
        {
            let s = st.sealed.pop_front().expect("front checked above");
            st.blocks.flushed(s.block, durable);
            if st.blocks.get(s.block).map(|b| b.state) != Some(BlockState::Free) {
                self.cache_mut().insert(s.block, s.seq, s.buf);
            }
        }
        for b in st.blocks.on_durable(durable) {
            self.cache_mut().remove(b);
        }
        self.take_covered(st, durable)
    }

    /// Whether a waiter with unwritten bytes may lead a batch now.
    pub(super) fn may_lead(&self, st: &State) -> bool {
        group_commit::may_lead(&self.group_inputs(st))
    }

    /// The group-commit decision's inputs: the flush state, with ages read from the clock.
    pub(super) fn group_inputs(&self, st: &State) -> GroupInputs {
        self.group_inputs_at(st, Some(self.clock.monotonic_us()))
    }

    /// The group-commit inputs with ages at `now_us`, or without ages (`None`: both unknown)
    /// for a decision that reads none.
    fn group_inputs_at(&self, st: &State, now_us: Option<u64>) -> GroupInputs {
        let f = &st.flush;
        let age = |since: Option<u64>| Some(now_us?.saturating_sub(since?));
        GroupInputs {
            writing: f.writing,
            in_flight: f.in_flight,
            appended: f.appended,
            waiters: self.frontier.waiters(),
            last_group: f.last_group,
            sync_age_us: age(f.sync_since),
            idle_age_us: age(f.idle_since),
        }
    }

    /// Write and sync everything (shutdown): returns when nothing is buffered or in flight.
    pub(super) fn flush_all(&self) -> Result<()> {
        for _ in 0..1_000_000 {
            self.flush_once(true, true)?;
            let st = self.lock();
            if st.failed.is_some() {
                return Ok(());
            }
            let written = st.sealed.iter().all(|s| s.flushed >= self.block_size)
                && st.current.as_ref().is_none_or(|c| c.flushed >= c.pos());
            if written && st.sealed.is_empty() && st.flush.in_flight == 0 {
                return Ok(());
            }
            if written || st.flush.writing {
                drop(self.wait_slot(st, Duration::from_millis(5)));
            }
        }
        Err(Error::new(
            ResultCode::ServerError,
            "flush did not converge",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::config::DeviceConfig;
    use crate::storage::cold_start::tests::image_of;
    use crate::storage::Storage;
    use std::sync::Arc;

    /// A store whose partial flush never falls due by itself (its monotonic clock stands still).
    fn store(dir: &std::path::Path) -> DeviceStorage {
        let clock = ManualClock::new(0).with_manual_monotonic();
        let cfg = DeviceConfig::new(dir.join("d")).file_size(32 << 20);
        crate::storage::ssd::open::ready(&cfg, 90, 5, true, Arc::new(clock))
    }

    /// An image of one blob bin of 100,000 bytes: ten fill a 1 MiB block.
    fn big(d: u8) -> Vec<u8> {
        image_of(d, 0, crate::record::value::Value::Blob(vec![d; 100_000]))
    }

    /// A batch that carries a sealed block but not the open block's tail (the flusher's, at a
    /// block change) leaves the tail's images counted as appended: the group they belong to is
    /// still queued, so the next leader finds it complete instead of waiting out the gather
    /// window for images that were appended long ago (BENCHMARKS.md "Session 22").
    #[test]
    fn a_batch_without_the_open_tail_leaves_its_images_counted() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = store(dir.path());
        let mut n = 0u8;
        let first = s.append(big(n)).expect("append").location.block;
        while s.append(big(n + 1)).expect("append").location.block == first {
            n += 1;
        }
        s.append(big(n + 2)).expect("append into the new block");
        assert_eq!(s.lock().flush.appended, u64::from(n) + 3, "every image counted");
        assert_eq!(s.lock().sealed.len(), 1, "the first block sealed");
        assert!(matches!(s.flush_once(false, true), Ok(Flushed::Done(_))));
        let st = s.lock();
        assert!(st.sealed.iter().all(|b| b.flushed >= s.block_size), "the sealed block written");
        let tail = st.current.as_ref().map(|c| (c.flushed, c.pos())).expect("an open block");
        assert!(tail.0 < tail.1, "the open block's tail is not written: {tail:?}");
        assert_eq!(st.flush.appended, 2, "the open block's two images are still queued");
        drop(st);
        assert!(matches!(s.flush_once(true, true), Ok(Flushed::Done(_))));
        assert_eq!(s.lock().flush.appended, 0, "a batch with the tail leaves nothing queued");
    }
}
