//! The in-place write path for map and list ops (issue 16 point 4): an operate whose CDT ops all
//! address one map or list bin without a context, next to plain reads, writes and adds of other
//! bins, works on the container's packed bytes (`cdt::map::inplace`, `cdt::list::inplace`)
//! instead of decoding, cloning and re-encoding it. The new image is the other bins encoded as
//! usual around the container's particle bytes. The offset-index cache here also serves the
//! read-only operates of `read_inplace.rs`.
//!
//! Invariants:
//! - the result bytes, results and errors are those of the decoded path: an op the packed map
//!   does not run (or any doubt) answers `None` and the write re-runs decoded from scratch
//!   (nothing was committed);
//! - a cached offset index describes exactly the image at `ImageId`: every commit, removal and
//!   defrag move of a record forgets its entry first (namespace.rs, defrag.rs), and the in-place
//!   paths store an entry under the record lock: a write after its own commit, a read after
//!   reading the image it indexed;
//! - the cache is bounded: at most `CACHE_ENTRIES` maps and `CACHE_BYTES` bytes of particles.

use crate::cdt::list::inplace::PackedList;
use crate::cdt::map::inplace::PackedMap;
use crate::cdt::CdtOperation;
use crate::engine::namespace::{undecodable, Namespace};
use crate::error::{Error, Result};
use crate::format::particle::tag;
use crate::format::record_image::{Image, RawBin};
use crate::index::{IndexEntry, Location};
use crate::ops::apply::apply_one;
use crate::ops::Operation;
use crate::policy::write::WritePolicy;
use crate::record::bin::BinList;
use crate::record::key::Digest;
use crate::record::value::Value;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;

/// Most maps whose offset index is kept.
const CACHE_ENTRIES: usize = 1024;
/// Most particle bytes kept in the cache (the maps' bytes live there as well as in storage).
const CACHE_BYTES: usize = 64 << 20;
/// Smaller maps are re-indexed per request: that costs about as much as a cache entry.
const CACHE_MIN_ENTRIES: usize = 64;

/// A map or list particle with its offset index.
#[derive(Debug, Clone)]
pub enum Packed {
    /// A map bin.
    Map(PackedMap),
    /// A list bin.
    List(PackedList),
}

impl Packed {
    /// Index a map or list particle (by its tag byte); `None` for any other particle and for
    /// bytes that are not the canonical encoding.
    pub fn index(particle: &[u8]) -> Option<Packed> {
        match particle.first() {
            Some(&tag::MAP) => PackedMap::from_particle(particle.to_vec()).map(Packed::Map),
            Some(&tag::LIST) => PackedList::from_particle(particle.to_vec()).map(Packed::List),
            _ => None,
        }
    }

    /// The particle bytes (tag byte included).
    pub fn bytes(&self) -> &[u8] {
        match self {
            Packed::Map(m) => m.bytes(),
            Packed::List(l) => l.bytes(),
        }
    }

    /// Element count.
    pub fn len(&self) -> usize {
        match self {
            Packed::Map(m) => m.len(),
            Packed::List(l) => l.len(),
        }
    }

    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Apply a context-free CDT op in place; `None`: run the request decoded (an op of the
    /// other container kind included: the decoded path answers its type error).
    pub fn apply(&mut self, op: &CdtOperation) -> Option<Result<Value>> {
        match self {
            Packed::Map(m) => m.apply(op.map_op()?),
            Packed::List(l) => l.apply(op.list_op()?),
        }
    }
}

/// Which stored image an offset index describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ImageId {
    location: Location,
    size: u32,
    generation: u16,
}

impl ImageId {
    /// The image an index entry points at.
    pub fn of(e: &IndexEntry) -> ImageId {
        ImageId {
            location: e.location,
            size: e.size,
            generation: e.generation,
        }
    }
}

struct Cached {
    image: ImageId,
    bin: String,
    map: Packed,
}

#[derive(Default)]
struct CacheInner {
    maps: HashMap<Digest, Cached>,
    order: VecDeque<Digest>,
    bytes: usize,
}

/// Offset indexes of large maps and lists, keyed by record.
#[derive(Default)]
pub struct MapCache {
    inner: Mutex<CacheInner>,
    /// Fast check for `forget`, which every write calls.
    used: AtomicBool,
}

impl MapCache {
    fn lock(&self) -> std::sync::MutexGuard<'_, CacheInner> {
        // A panic while holding the lock leaves a consistent map (each step is one call).
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Drop the entry of `digest` (its image is being replaced or removed).
    pub fn forget(&self, digest: &Digest) {
        if !self.used.load(Ordering::Acquire) {
            return;
        }
        let mut c = self.lock();
        if let Some(old) = c.maps.remove(digest) {
            c.bytes -= old.map.bytes().len();
        }
    }

    /// Take out the offset index of `bin` in the image `image` of `digest`, if it is cached
    /// (an entry for another image or bin is dropped).
    pub fn take(&self, digest: &Digest, image: ImageId, bin: &str) -> Option<Packed> {
        if !self.used.load(Ordering::Acquire) {
            return None;
        }
        let mut c = self.lock();
        let hit = c
            .maps
            .get(digest)
            .is_some_and(|m| m.image == image && m.bin == bin);
        let old = c.maps.remove(digest)?;
        c.bytes -= old.map.bytes().len();
        hit.then_some(old.map)
    }

    /// Keep the offset index of `bin` in the image `image` of `digest` (small or huge
    /// containers are not kept). Call under the record lock.
    pub fn put(&self, digest: Digest, image: ImageId, bin: &str, map: Packed) {
        let len = map.bytes().len();
        if map.len() < CACHE_MIN_ENTRIES || len > CACHE_BYTES {
            return;
        }
        let mut c = self.lock();
        while c.maps.len() >= CACHE_ENTRIES || c.bytes + len > CACHE_BYTES {
            let Some(d) = c.order.pop_front() else { break };
            if let Some(old) = c.maps.remove(&d) {
                c.bytes -= old.map.bytes().len();
            }
        }
        c.order.push_back(digest);
        // Stale digests in `order` (entries since forgotten) are bounded by re-building it.
        if c.order.len() > 2 * CACHE_ENTRIES {
            let live: VecDeque<Digest> = c
                .order
                .iter()
                .filter(|d| c.maps.contains_key(*d))
                .copied()
                .collect();
            c.order = live;
        }
        c.bytes += len;
        c.maps.insert(
            digest,
            Cached {
                image,
                bin: bin.to_string(),
                map,
            },
        );
        self.used.store(true, Ordering::Release);
        assert!(c.bytes <= CACHE_BYTES, "the cache keeps its byte bound");
        assert!(
            c.maps.len() <= CACHE_ENTRIES,
            "the cache keeps its entry bound"
        );
        debug_assert_eq!(
            c.bytes,
            c.maps.values().map(|m| m.map.bytes().len()).sum::<usize>(),
            "the cache's byte count is the sum of its maps"
        );
    }
}

/// The bin an op list can run in place on, if it can: every CDT op is a map op or a list op on
/// that one bin without a context; every other op reads, writes (non-nil) or adds to another
/// bin. (A map op on a list bin, or the reverse, is answered by the decoded path.)
pub fn plan<'a>(ops: &'a [Operation], policy: &WritePolicy) -> Option<&'a str> {
    if policy.filter_expression.is_some() {
        return None;
    }
    let mut bin = None;
    for op in ops {
        if let Operation::Cdt(c) = op {
            if !c.context().is_empty() || bin.is_some_and(|b| b != c.bin()) {
                return None;
            }
            bin = Some(c.bin());
        }
    }
    let bin = bin?;
    let plain = |op: &Operation| match op {
        Operation::Cdt(_) => true,
        Operation::Read(n) => n != bin,
        Operation::Add(b) | Operation::Write(b) => b.name != bin && !b.value.is_nil(),
        _ => false,
    };
    ops.iter().all(plain).then_some(bin)
}

/// The map or list of a record loaded for the in-place path, with its position.
pub struct Split {
    /// Position of the container among the bins.
    pub pos: usize,
    /// The container.
    pub map: Packed,
}

impl Namespace {
    /// Load the image of `e` split around bin `bin`: the image with every other bin, and the
    /// map or list. `None` when the bin is absent or not a map or list in canonical encoding
    /// (then the caller loads it decoded).
    pub fn load_split(
        &self,
        digest: &Digest,
        e: &IndexEntry,
        bin: &str,
    ) -> Result<Option<(Image, Split)>> {
        let bytes = self.storage.read(e.location, e.size)?;
        let view = Namespace::verified_view(&bytes, digest, e)?;
        let cached = self.map_cache.take(digest, ImageId::of(e), bin);
        let known = cached.as_ref().map(|m| m.bytes().len());
        let (bins, split) = view.bins_split(bin, known).map_err(undecodable)?;
        let Some((pos, particle)) = split else {
            return Ok(None);
        };
        let map = match cached {
            Some(m) => m,
            None => match Packed::index(particle) {
                Some(m) => m,
                None => return Ok(None),
            },
        };
        debug_assert_eq!(map.bytes(), particle, "a cached map is the stored particle");
        let image = Image {
            meta: view.meta(),
            bins,
        };
        Ok(Some((image, Split { pos, map })))
    }

    /// Commit the in-place result and keep its offset index for the next request.
    pub fn commit_split(
        &self,
        meta: &crate::format::record_image::ImageHeader<'_>,
        working: &BinList,
        split: Split,
        bin: &str,
        set_id: u16,
        old: Option<IndexEntry>,
    ) -> Result<u64> {
        let raw = RawBin {
            pos: split.pos.min(working.len()),
            name: bin,
            particle: split.map.bytes(),
        };
        let bins = crate::format::record_image::ImageBins::List(working);
        let (entry, ticket) = self.commit_with(meta, bins, Some(raw), set_id, old)?;
        // The cached offset index is stored after the commit, under the same record lock.
        debug_assert!(
            self.locks.is_held(&meta.digest),
            "commit_split under the lock"
        );
        self.map_cache
            .put(meta.digest, ImageId::of(&entry), bin, split.map);
        Ok(ticket)
    }
}

/// Apply `ops` with the CDT ops on the packed container and the others on `working`, collecting
/// results as `apply_ops_with` does. `None`: an op the packed container does not run; re-run
/// decoded.
pub fn apply_ops(
    working: &mut BinList,
    map: &mut Packed,
    bin: &str,
    ops: &[Operation],
    all: bool,
) -> Option<Result<BinList>> {
    apply_ops_checked(working, map, bin, ops, all, |_, _| Ok(()))
}

/// [`apply_ops`], running `check(i, op)` just before op `i` as `apply_ops_with` does.
pub fn apply_ops_checked(
    working: &mut BinList,
    map: &mut Packed,
    bin: &str,
    ops: &[Operation],
    all: bool,
    check: impl Fn(usize, &Operation) -> Result<()>,
) -> Option<Result<BinList>> {
    let mut out = BinList::new();
    for (i, op) in ops.iter().enumerate() {
        if let Err(e) = check(i, op) {
            return Some(Err(e));
        }
        let done = match op {
            Operation::Cdt(c) => map.apply(c)?.map(|v| {
                if all || !v.is_nil() {
                    out.push(bin, v);
                }
            }),
            other => apply_one(working, other, all, None, &mut out),
        };
        if let Err(e) = done {
            return Some(Err(Error::new(e.code(), format!("op {i}: {}", e.detail()))));
        }
    }
    Some(Ok(out))
}
