//! Truncate (docs/multi-record.md TRUNC-*): a cut-off LUT per set (or for the whole namespace)
//! below which records are gone. Readers, writers and scans test an entry against its cut-off
//! under the record lock (TRUNC-VISIBLE-1); the sweeper and the open path remove such entries
//! (TRUNC-RECLAIM-1); a create after a truncate takes a LUT at or above the cut-off, so it
//! survives its own set's cut-off even within the same millisecond (TRUNC-AFTER-1).
//!
//! Invariants:
//! - cut-offs only grow; the namespace cut-off applies to every set (TRUNC-CUT-1);
//! - the table is persisted by the storage backend before it takes effect in memory, so a
//!   truncate that returned Ok is never undone by a restart (TRUNC-PERSIST-1);
//! - `by_id[s]` equals the table's cut-off of set `s`'s name once that set is known.

use crate::clock::CITRUSLEAF_EPOCH_UNIX_S;
use crate::engine::namespace::Namespace;
use crate::engine::sets::validate_set_name;
use crate::engine::state::State;
use crate::error::{err, Result, ResultCode};
use crate::index::entry::LUT_MAX;
use crate::index::IndexEntry;
use crate::record::key::{Digest, PARTITIONS};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;

/// Set ids 0 … 4095 (0 = no set).
const SET_IDS: usize = 4096;

/// One persisted cut-off: set name ("" = the whole namespace) and LUT in ms since 2010.
pub type TruncateEntry = (String, u64);

/// The namespace's truncate cut-offs.
pub struct Truncations {
    ns_cut: AtomicU64,
    any_set: AtomicBool,
    by_id: Vec<AtomicU64>,
    by_name: Mutex<BTreeMap<String, u64>>,
}

impl Truncations {
    /// A table holding `entries` (as the storage backend found them).
    pub fn new(entries: &[TruncateEntry]) -> Truncations {
        let t = Truncations {
            ns_cut: AtomicU64::new(0),
            any_set: AtomicBool::new(false),
            by_id: (0..SET_IDS).map(|_| AtomicU64::new(0)).collect(),
            by_name: Mutex::new(BTreeMap::new()),
        };
        let mut names = t.names();
        for (name, cut) in entries {
            if name.is_empty() {
                t.ns_cut.fetch_max(*cut, Ordering::AcqRel);
            } else {
                let c = names.entry(name.clone()).or_insert(0);
                *c = (*c).max(*cut);
                t.any_set.store(true, Ordering::Release);
            }
        }
        drop(names);
        t
    }

    fn names(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, u64>> {
        // A poisoned table means a panic mid-update: an invariant already broke.
        self.by_name.lock().expect("truncate table poisoned")
    }

    /// The cut-off of set id `set_id`: records with a smaller LUT are truncated.
    pub fn cutoff(&self, set_id: u16) -> u64 {
        let ns = self.ns_cut.load(Ordering::Acquire);
        match self.by_id.get(usize::from(set_id)) {
            Some(c) if self.any_set.load(Ordering::Acquire) => ns.max(c.load(Ordering::Acquire)),
            _ => ns,
        }
    }

    /// The table as persisted: the namespace cut-off first (if any), then sets by name.
    pub fn entries(&self) -> Vec<TruncateEntry> {
        let names = self.names();
        let ns = self.ns_cut.load(Ordering::Acquire);
        let mut out: Vec<TruncateEntry> = Vec::with_capacity(names.len() + 1);
        if ns > 0 {
            out.push((String::new(), ns));
        }
        out.extend(names.iter().map(|(n, c)| (n.clone(), *c)));
        out
    }
}

/// TRUNC-CUT-1: the cut-off LUT (ms since 2010) of `truncate(before_nanos)` at `now_ms`.
/// 0 = now: every record updated at or before `now_ms` goes. Otherwise records updated before
/// `before_nanos` (Unix nanoseconds) go; a cut-off in the future or before 2010 → 4.
pub fn cutoff_of(before_nanos: u64, now_ms: u64) -> Result<u64> {
    if before_nanos == 0 {
        return Ok(now_ms.saturating_add(1).min(LUT_MAX));
    }
    let unix_ms = before_nanos.div_ceil(1_000_000);
    let epoch_ms = CITRUSLEAF_EPOCH_UNIX_S * 1000;
    if unix_ms <= epoch_ms || unix_ms - epoch_ms > now_ms.saturating_add(1) {
        return err(
            ResultCode::ParameterError,
            format!(
                "truncate cut-off {before_nanos} ns (Unix) must lie after 2010-01-01 and not in \
                 the future; pass 0 for now (TRUNC-CUT-1)"
            ),
        );
    }
    Ok((unix_ms - epoch_ms).min(LUT_MAX))
}

impl Namespace {
    /// Whether `e` lies below its set's truncate cut-off (TRUNC-VISIBLE-1).
    pub fn truncated(&self, e: &IndexEntry) -> bool {
        e.lut() < self.truncations.cutoff(e.set_id)
    }

    /// The lowest LUT a new record of `set_name` may take (TRUNC-AFTER-1).
    pub fn lut_floor(&self, set_name: &str) -> u64 {
        let t = &self.truncations;
        match self.sets.id(set_name) {
            Some(id) => t.cutoff(id),
            None if t.any_set.load(Ordering::Acquire) => {
                let ns = t.ns_cut.load(Ordering::Acquire);
                ns.max(t.names().get(set_name).copied().unwrap_or(0))
            }
            None => t.ns_cut.load(Ordering::Acquire),
        }
    }

    /// The state of `digest` under its record lock, a truncated entry removed (it is then
    /// missing: a write creates generation 1, TRUNC-AFTER-1).
    pub fn classify_locked(&self, digest: &Digest, now_s: u32) -> State {
        self.classify_entry(digest, self.index.get(digest), now_s)
    }

    /// [`Namespace::classify_locked`] for a write: a missing record's index insert is hinted by
    /// the same lookup (`Index::get_for_write`).
    pub fn classify_for_write(&self, digest: &Digest, now_s: u32) -> State {
        self.classify_entry(digest, self.index.get_for_write(digest), now_s)
    }

    fn classify_entry(&self, digest: &Digest, entry: Option<IndexEntry>, now_s: u32) -> State {
        debug_assert!(
            self.locks.is_held(digest),
            "classify_locked under the record lock"
        );
        match entry {
            Some(e) if self.truncated(&e) => {
                self.remove(digest, &e);
                State::Missing
            }
            e => State::classify(e, now_s),
        }
    }

    /// Raise the cut-off of `set_name` ("" = the whole namespace) to `cutoff`: persisted first
    /// (TRUNC-PERSIST-1), then visible to every request.
    pub fn truncate(&self, set_name: &str, cutoff: u64) -> Result<()> {
        validate_set_name(set_name)?;
        let t = &self.truncations;
        let mut names = t.names();
        let mut ns_cut = t.ns_cut.load(Ordering::Acquire);
        let mut next = names.clone();
        if set_name.is_empty() {
            ns_cut = ns_cut.max(cutoff);
            next.retain(|_, c| *c > ns_cut);
        } else if cutoff > ns_cut {
            let c = next.entry(set_name.to_string()).or_insert(0);
            *c = (*c).max(cutoff);
        }
        let mut table: Vec<TruncateEntry> = Vec::with_capacity(next.len() + 1);
        if ns_cut > 0 {
            table.push((String::new(), ns_cut));
        }
        table.extend(next.iter().map(|(n, c)| (n.clone(), *c)));
        // TRUNC-CUT-1: cut-offs only grow; a set's entry is dropped only when the namespace
        // cut-off covers it.
        assert!(
            ns_cut >= t.ns_cut.load(Ordering::Acquire),
            "the namespace cut-off only grows"
        );
        debug_assert!(
            names
                .iter()
                .all(|(n, c)| next.get(n).map_or(*c <= ns_cut, |nc| nc >= c)),
            "set cut-offs only grow"
        );
        // A failed header write may have reached some devices (open takes the greatest cut-off
        // any device holds), so the truncate may still take effect after a restart: in doubt.
        // A backend without maintenance keeps the table in memory only (nothing to persist).
        if let Some(m) = self.storage.maintenance() {
            m.persist_truncations(&table).map_err(|e| {
                let in_doubt = e.code() != ResultCode::ParameterError;
                e.with_in_doubt(in_doubt)
            })?;
        }
        t.ns_cut.fetch_max(ns_cut, Ordering::AcqRel);
        *names = next;
        drop(names);
        self.bind_truncations();
        Ok(())
    }

    /// Point every known set id at its name's cut-off (after a truncate and after open).
    pub fn bind_truncations(&self) {
        let t = &self.truncations;
        let names = t.names();
        for (name, cut) in names.iter() {
            if let Some(id) = self.sets.id(name) {
                let slot = &t.by_id[usize::from(id)];
                slot.fetch_max(*cut, Ordering::AcqRel);
                // `by_id[s]` equals its name's cut-off (both change only under `by_name`).
                debug_assert_eq!(slot.load(Ordering::Acquire), *cut, "by_id of set {name:?}");
            }
        }
        if !names.is_empty() {
            t.any_set.store(true, Ordering::Release);
        }
    }

    /// TRUNC-RECLAIM-1: remove the truncated entries of `count` partitions from `first`
    /// (wrapping), each re-checked under its record lock. Returns how many were removed.
    pub fn reap_truncated(&self, first: usize, count: usize) -> usize {
        let mut reaped = 0;
        for i in 0..count.min(PARTITIONS) {
            let pid = (first + i) % PARTITIONS;
            let candidates: Vec<Digest> = self
                .index
                .partition(pid)
                .iter()
                .filter(|(_, e)| self.truncated(e))
                .map(|(d, _)| *d)
                .collect();
            for d in candidates {
                let Ok(_guard) = self.locks.acquire(d, 0, None) else {
                    continue;
                };
                if let Some(e) = self.index.get(&d).filter(|e| self.truncated(e)) {
                    self.remove(&d, &e);
                    reaped += 1;
                }
            }
        }
        reaped
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// TRUNC-CUT-1: 0 = now (inclusive); explicit cut-offs round up to the next millisecond;
    /// future and pre-2010 cut-offs are refused.
    #[test]
    fn trunc_cut_1_cutoff_arithmetic() {
        let now_ms = 500_000_000_000;
        assert_eq!(cutoff_of(0, now_ms).ok(), Some(now_ms + 1));
        let unix_ns = |ms: u64| (ms + CITRUSLEAF_EPOCH_UNIX_S * 1000) * 1_000_000;
        assert_eq!(cutoff_of(unix_ns(1000), now_ms).ok(), Some(1000));
        assert_eq!(cutoff_of(unix_ns(1000) + 1, now_ms).ok(), Some(1001));
        assert!(cutoff_of(unix_ns(now_ms + 2), now_ms).is_err());
        assert!(cutoff_of(1, now_ms).is_err());
    }

    /// A persisted cut-off beyond the 40-bit LUT range (a damaged but checksummed device
    /// header can hold any u64) must not panic the write path: the new version's LUT floor is
    /// clamped as `next_lut` clamps its result (regression: `next_lut` asserts a stored LUT).
    #[test]
    fn cutoff_beyond_lut_max_does_not_panic_a_write() {
        use crate::{as_bin, as_key, Database, WritePolicy};
        let db = Database::open_in_memory().expect("open");
        let ns = db.namespace("test").expect("namespace");
        ns.truncations.ns_cut.store(LUT_MAX + 5, Ordering::Release);
        let key = as_key!("test", "s", 1);
        let put = db.put(&WritePolicy::default(), &key, &[as_bin!("a", 1)]);
        assert_eq!(put.map(|r| r.last_update_time).ok(), Some(LUT_MAX));
    }

    #[test]
    fn table_keeps_the_greater_cutoff_per_name() {
        let t = Truncations::new(&[("a".into(), 5), ("a".into(), 3), (String::new(), 2)]);
        assert_eq!(t.entries(), vec![(String::new(), 2), ("a".to_string(), 5)]);
        assert_eq!(t.cutoff(0), 2);
    }
}
