//! `Sindexes`: the indexes of one namespace and their maintenance. `Namespace::commit` and
//! `Namespace::remove` call `on_commit` / `on_remove` under the record lock, right after the
//! primary index changed, so every path that changes a record (write, operate, delete, durable
//! delete, touch, expiry reaping, truncate reclaim, replica apply) keeps the indexes exact
//! (SIDX-EXACT-1). Defrag moves change no value and need nothing.
//!
//! Invariants: index names are unique; no two indexes share set, source (bin and context, or
//! expression), type and collection;
//! at most `MAX_INDEXES`; a namespace with no index pays one atomic load per commit.

use crate::error::{Error, Result, ResultCode};
use crate::record::bin::BinList;
use crate::record::key::Digest;
use crate::sindex::definition::{IndexDef, MAX_INDEXES};
use crate::sindex::filter::Filter;
use crate::sindex::tree::Tree;
use std::sync::atomic::{AtomicBool, AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::thread::JoinHandle;

/// One index: definition, entries and build state.
pub struct SIndex {
    /// Definition.
    pub def: IndexDef,
    /// Entries.
    pub tree: Tree,
    /// Percent of the namespace's partitions the build has visited (100 = loaded).
    pub load_pct: AtomicU8,
    /// Set when the index is dropped (a running build stops).
    pub dropped: AtomicBool,
    /// Set (and notified) when the build ended, loaded or not.
    ended: (Mutex<bool>, Condvar),
}

impl SIndex {
    /// Whether the build has finished (SIDX-BUILD-1).
    pub fn loaded(&self) -> bool {
        let pct = self.load_pct.load(Ordering::Acquire);
        debug_assert!(pct <= 100, "load percentage {pct} is at most 100");
        pct >= 100
    }

    /// End the build: `loaded` makes the index answer queries.
    pub fn end_build(&self, loaded: bool) {
        if loaded {
            self.load_pct.store(100, Ordering::Release);
        }
        let mut g = self.ended.0.lock().unwrap_or_else(|p| p.into_inner());
        *g = true;
        self.ended.1.notify_all();
    }

    /// Whether the build ended (loaded, dropped, or stopped by close).
    pub fn build_ended(&self) -> bool {
        *self.ended.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Block until the build ended.
    pub fn wait_build(&self) {
        let mut g = self.ended.0.lock().unwrap_or_else(|p| p.into_inner());
        while !*g {
            g = self.ended.1.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }
}

/// The indexes of one namespace.
#[derive(Default)]
pub struct Sindexes {
    count: AtomicUsize,
    list: RwLock<Vec<Arc<SIndex>>>,
    /// Background builds not yet joined (finished ones are reaped when a build starts).
    builds: Mutex<Vec<JoinHandle<()>>>,
}

fn conflict(what: String) -> Error {
    Error::new(ResultCode::IndexAlreadyExists, what)
}

impl Sindexes {
    fn all(&self) -> Vec<Arc<SIndex>> {
        if self.count.load(Ordering::Acquire) == 0 {
            return Vec::new();
        }
        self.list.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// No index is defined (one atomic load: the common write path pays nothing more).
    pub fn is_empty(&self) -> bool {
        self.count.load(Ordering::Acquire) == 0
    }

    /// Keep the handle of a build thread so that `join_builds` can wait for it; handles of
    /// builds that already ended are joined here, so at most one per live build is kept.
    pub fn track_build(&self, handle: JoinHandle<()>) {
        let mut builds = self.builds.lock().unwrap_or_else(|p| p.into_inner());
        let (done, running): (Vec<_>, Vec<_>) = builds.drain(..).partition(JoinHandle::is_finished);
        *builds = running;
        builds.push(handle);
        drop(builds);
        for h in done {
            // A build that panicked broke an invariant; its index stays unloaded (201 / 203).
            let _ = h.join();
        }
    }

    /// Wait for every build thread to end (`Database::close`, SIDX-BUILD-1: a build checks the
    /// database's closed flag before each partition, so this waits at most one partition).
    pub fn join_builds(&self) {
        let handles = std::mem::take(&mut *self.builds.lock().unwrap_or_else(|p| p.into_inner()));
        for h in handles {
            let _ = h.join();
        }
        // `close` holds the database exclusively: no build can start meanwhile.
        assert!(
            self.indexes().iter().all(|ix| ix.build_ended()),
            "after join_builds no build runs"
        );
    }

    /// Every index (definitions and state).
    pub fn indexes(&self) -> Vec<Arc<SIndex>> {
        self.all()
    }

    /// SIDX-EXACT-1: the record `digest` of `set_name` now holds `bins` (none for a tombstone).
    pub fn on_commit(&self, digest: &Digest, set_name: &str, bins: &BinList, tombstone: bool) {
        if self.is_empty() {
            return;
        }
        // Under the list's read lock, not a clone of it: a write pays no allocation for the
        // list (create and drop take the write lock and never hold an index's tree lock).
        let list = self.list.read().unwrap_or_else(|p| p.into_inner());
        for ix in list.iter().filter(|ix| ix.def.covers_set(set_name)) {
            if tombstone {
                ix.tree.replace(digest, Vec::new());
                continue;
            }
            // The common case, a write that leaves a single-valued index's bin as it was, is
            // checked without allocating (SIDX-MEMORY-2 "Cost").
            let single = ix.def.single_key(bins);
            if single.is_some_and(|v| ix.tree.holds_only(digest, v)) {
                continue;
            }
            ix.tree.replace(digest, ix.def.keys_of(digest, bins));
        }
    }

    /// SIDX-EXACT-1: the record `digest` is gone.
    pub fn on_remove(&self, digest: &Digest) {
        if self.is_empty() {
            return;
        }
        let list = self.list.read().unwrap_or_else(|p| p.into_inner());
        for ix in list.iter() {
            ix.tree.replace(digest, Vec::new());
        }
    }

    /// Register `def` (validated). `Ok((ix, false))` when an equal definition exists
    /// (SIDX-CREATE-SAME-1); 200 when the name or the bin/type/collection/set is taken by
    /// another definition; 206 beyond `MAX_INDEXES`.
    pub fn create(&self, def: IndexDef) -> Result<(Arc<SIndex>, bool)> {
        def.validate()?;
        let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
        for ix in list.iter() {
            if ix.def == def {
                return Ok((ix.clone(), false));
            }
            if ix.def.name == def.name {
                return Err(conflict(format!(
                    "index {:?} exists with another definition ({:?}); drop it first \
                     (SIDX-CREATE-CONFLICT-1)",
                    def.name, ix.def
                )));
            }
            let same = |a: &IndexDef, b: &IndexDef| {
                (&a.set_name, &a.bin_name, &a.ctx, &a.exp, a.index_type, a.collection)
                    == (&b.set_name, &b.bin_name, &b.ctx, &b.exp, b.index_type, b.collection)
            };
            if same(&ix.def, &def) {
                return Err(conflict(format!(
                    "index {:?} already indexes this set, bin, context (or expression), type \
                     and collection (SIDX-CREATE-CONFLICT-1)",
                    ix.def.name
                )));
            }
        }
        if list.len() >= MAX_INDEXES {
            return Err(Error::new(
                ResultCode::IndexMaxCount,
                format!("a namespace holds at most {MAX_INDEXES} indexes (SIDX-BAD-COUNT)"),
            ));
        }
        let tree = Tree::new(def.index_type);
        let ix = Arc::new(SIndex {
            def,
            tree,
            load_pct: AtomicU8::new(0),
            dropped: AtomicBool::new(false),
            ended: (Mutex::new(false), Condvar::new()),
        });
        list.push(ix.clone());
        assert!(list.len() <= MAX_INDEXES, "at most MAX_INDEXES indexes");
        debug_assert!(
            list.iter()
                .enumerate()
                .all(|(i, a)| list[..i].iter().all(|b| a.def.name != b.def.name)),
            "index names are unique"
        );
        self.count.store(list.len(), Ordering::Release);
        Ok((ix, true))
    }

    /// Remove index `name` (201 when there is none, SIDX-DROP-MISSING).
    pub fn drop_index(&self, name: &str) -> Result<()> {
        let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
        let Some(pos) = list.iter().position(|ix| ix.def.name == name) else {
            return Err(Error::new(
                ResultCode::IndexNotFound,
                format!("no index named {name:?} in this namespace (SIDX-DROP-MISSING)"),
            ));
        };
        let ix = list.remove(pos);
        assert!(
            list.iter().all(|other| other.def.name != name),
            "index names are unique: one drop removes the name"
        );
        ix.dropped.store(true, Ordering::Release);
        ix.end_build(false);
        self.count.store(list.len(), Ordering::Release);
        Ok(())
    }

    /// The index a query's filter uses on a statement of `set_name`: 201 when none fits,
    /// 203 while it is being built (SIDX-BUILD-1).
    pub fn for_filter(&self, f: &Filter, set_name: &str) -> Result<Arc<SIndex>> {
        f.key_ranges()?;
        let ix = self
            .all()
            .into_iter()
            .filter(|ix| f.uses(&ix.def) && ix.def.covers_set(set_name))
            .max_by_key(|ix| !ix.def.set_name.is_empty())
            .ok_or_else(|| {
                Error::new(
                    ResultCode::IndexNotFound,
                    format!(
                        "no index on {} of this context, type and collection covers set \
                         {set_name:?} (SIDX-QUERY-1); create one with create_index_on_bin or \
                         create_index_using_expression",
                        f.source()
                    ),
                )
            })?;
        if !ix.loaded() {
            return Err(Error::new(
                ResultCode::IndexNotReadable,
                format!(
                    "index {:?} is being built ({}% loaded); retry when its IndexTask completes \
                     (SIDX-BUILD-1)",
                    ix.def.name,
                    ix.load_pct.load(Ordering::Acquire)
                ),
            ));
        }
        Ok(ix)
    }
}
