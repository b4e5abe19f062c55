//! In-memory storage (Aerospike's `storage-engine memory`): images in sharded slabs.
//!
//! Invariants: a slot holds exactly the bytes appended until released; `used_bytes` is the sum of
//! the sizes of occupied slots; with a capacity, stop-writes holds while used ≥ `stop_used_pct`.
//!
//! It implements the data path ([`Storage`]) and the lifecycle ([`Lifecycle`]), not
//! [`crate::storage::Maintenance`]: it has no buffer to flush, no blocks to defragment, no image
//! a restart could bring back and nothing persistent, so the engine skips those steps.

use crate::error::{err, Result, ResultCode};
use crate::format::record_image;
use crate::storage::Location;
use crate::storage::{
    Backend, IndexImage, Lifecycle, Maintenance, Placement, Restore, SpaceState, Storage,
    StorageAudit, StorageStats,
};
use bytes::Bytes;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

const SHARDS: usize = 64;

/// What [`StorageStats::io_backend`] says for this backend.
pub const IO_BACKEND: &str = "memory";

#[derive(Default)]
struct Slab {
    slots: Vec<Option<Bytes>>,
    free: Vec<u32>,
}

/// Memory backend.
pub struct MemoryStorage {
    shards: Vec<Mutex<Slab>>,
    next_shard: AtomicU64,
    used: AtomicU64,
    written: AtomicU64,
    capacity: u64,
    stop_used_pct: u64,
}

impl MemoryStorage {
    /// A backend with an optional capacity (bytes, 0 = unbounded) and stop-writes threshold.
    pub fn new(capacity: u64, stop_used_pct: u8) -> MemoryStorage {
        MemoryStorage {
            shards: (0..SHARDS).map(|_| Mutex::new(Slab::default())).collect(),
            next_shard: AtomicU64::new(0),
            used: AtomicU64::new(0),
            written: AtomicU64::new(0),
            capacity,
            stop_used_pct: u64::from(stop_used_pct),
        }
    }

    fn shard(&self, i: u32) -> std::sync::MutexGuard<'_, Slab> {
        self.shards[i as usize % SHARDS]
            .lock()
            .expect("memory slab poisoned")
    }
}

impl Storage for MemoryStorage {
    fn append(&self, mut image: Vec<u8>) -> Result<Placement> {
        record_image::seal(&mut image, 0);
        let size = image.len() as u32;
        if self.capacity != 0 && self.used.load(Ordering::Relaxed) + u64::from(size) > self.capacity
        {
            return err(
                ResultCode::ServerMemError,
                "memory storage full (WP-20, L-NO-BLOCK)",
            );
        }
        let shard = (self.next_shard.fetch_add(1, Ordering::Relaxed) % SHARDS as u64) as u32;
        let mut slab = self.shard(shard);
        let bytes = Bytes::from(image);
        let slot = match slab.free.pop() {
            Some(s) => {
                slab.slots[s as usize] = Some(bytes);
                s
            }
            None => {
                slab.slots.push(Some(bytes));
                (slab.slots.len() - 1) as u32
            }
        };
        self.used.fetch_add(u64::from(size), Ordering::Relaxed);
        self.written.fetch_add(u64::from(size), Ordering::Relaxed);
        Ok(Placement {
            location: Location {
                block: shard,
                offset: slot,
            },
            size,
            ticket: 0,
        })
    }

    fn read(&self, location: Location, size: u32) -> Result<Bytes> {
        let slab = self.shard(location.block);
        match slab.slots.get(location.offset as usize) {
            Some(Some(b)) if b.len() == size as usize => Ok(b.clone()),
            _ => err(ResultCode::ServerError, format!("no image at {location:?}")),
        }
    }

    /// The slot's `Bytes` is shared, so the visit runs outside the slab lock.
    fn read_with(&self, location: Location, size: u32, visit: &mut dyn FnMut(&[u8])) -> Result<()> {
        let b = self.read(location, size)?;
        visit(&b);
        Ok(())
    }

    /// Nothing: an image is found only under its shard's lock, which a hint does not take.
    fn prefetch_image(&self, location: Location, size: u32) {
        let _ = (location, size);
    }

    /// Each read is a reference-count increment: the batch reads one after another.
    fn read_many(&self, reqs: &[(Location, u32)]) -> Vec<Result<Bytes>> {
        reqs.iter()
            .map(|&(location, size)| self.read(location, size))
            .collect()
    }

    /// A prefetched image shares the slot's allocation, which stays alive while the prefetch
    /// holds it; a reused slot holds a new allocation. So the slot still holds the image exactly
    /// when it holds the same allocation.
    fn prefetch_current(&self, location: Location, image: &[u8]) -> bool {
        let slab = self.shard(location.block);
        matches!(
            slab.slots.get(location.offset as usize),
            Some(Some(b)) if b.as_ptr() == image.as_ptr() && b.len() == image.len()
        )
    }

    /// Per image, under its shard's lock: a slot's image is never put back once taken, and the
    /// prefetched `Bytes` keeps its allocation alive, so a pointer match means it was there
    /// since it was read.
    fn prefetch_current_many(&self, images: &[(Location, &[u8])]) -> Vec<bool> {
        images
            .iter()
            .map(|(location, image)| self.prefetch_current(*location, image))
            .collect()
    }

    fn release(&self, location: Location, size: u32) {
        let mut slab = self.shard(location.block);
        let slot = slab.slots.get_mut(location.offset as usize);
        let taken = slot.and_then(Option::take);
        assert!(
            taken.as_ref().map(Bytes::len) == Some(size as usize),
            "release of a live slot"
        );
        slab.free.push(location.offset);
        self.used.fetch_sub(u64::from(size), Ordering::Relaxed);
    }

    /// Nothing outlives the process, so nothing is ever lost in a crash that a restart could
    /// find: every image counts as durable.
    fn is_durable(&self, _location: Location, _size: u32) -> bool {
        true
    }

    fn wait_durable(&self, _ticket: u64) -> Result<()> {
        Ok(())
    }

    fn space(&self) -> SpaceState {
        let stop_writes = self.capacity != 0
            && self.used.load(Ordering::Relaxed) * 100 >= self.capacity * self.stop_used_pct;
        SpaceState {
            overloaded: false,
            stop_writes,
        }
    }

    fn stop_writes_cause(&self) -> Option<String> {
        self.space().stop_writes.then(|| {
            format!(
                "{} bytes used of a {} byte capacity reach stop_writes_used_pct {}",
                self.used.load(Ordering::Relaxed),
                self.capacity,
                self.stop_used_pct
            )
        })
    }

    fn audit(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> StorageAudit {
        let mut a = StorageAudit::default();
        let mut seen = std::collections::HashSet::new();
        for (loc, size) in live {
            a.images += 1;
            a.bytes += u64::from(size);
            if !seen.insert(loc) {
                a.problem(|| format!("two index entries reference slot {loc:?}"));
            }
            let slab = self.shard(loc.block);
            let len = slab
                .slots
                .get(loc.offset as usize)
                .and_then(|s| s.as_ref().map(Bytes::len));
            if loc.block as usize >= SHARDS || len != Some(size as usize) {
                a.problem(|| format!("entry at {loc:?} of {size} bytes: slot holds {len:?} bytes"));
            }
        }
        let mut occupied = 0u64;
        for s in &self.shards {
            let slab = s.lock().expect("memory slab poisoned");
            occupied += slab.slots.iter().filter(|s| s.is_some()).count() as u64;
            a.blocks += 1;
        }
        let (images, bytes) = (a.images, a.bytes);
        if occupied != images {
            a.problem(|| format!("{occupied} occupied slots, {images} referenced by the index"));
        }
        let used = self.used.load(Ordering::Relaxed);
        if used != bytes {
            a.problem(|| format!("used_bytes {used}, index entries sum to {bytes}"));
        }
        a
    }

    fn stats(&self) -> StorageStats {
        StorageStats {
            used_bytes: self.used.load(Ordering::Relaxed),
            capacity_bytes: self.capacity,
            bytes_written: self.written.load(Ordering::Relaxed),
            client_bytes: self.written.load(Ordering::Relaxed),
            io_backend: IO_BACKEND,
            ..StorageStats::default()
        }
    }
}

impl Lifecycle for MemoryStorage {
    /// Nothing outlives the process: every open starts empty.
    fn restore(&self) -> Result<Restore> {
        Ok(Restore::Fresh)
    }

    fn scan(&self, visit: &mut dyn FnMut(Location, u64, &[u8])) -> Result<()> {
        for (i, s) in self.shards.iter().enumerate() {
            let slab = s.lock().expect("memory slab poisoned");
            for (j, b) in slab.slots.iter().enumerate() {
                if let Some(b) = b {
                    visit(
                        Location {
                            block: i as u32,
                            offset: j as u32,
                        },
                        0,
                        b,
                    );
                }
            }
        }
        Ok(())
    }

    /// The accounting is kept by `append` and `release` as they happen; nothing to rebuild.
    /// A fresh store has no live image, so `live` is empty; an entry that names no occupied
    /// slot of its size is refused.
    fn finish_open(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> Result<()> {
        for (loc, size) in live {
            self.read(loc, size)?;
        }
        Ok(())
    }

    /// Nothing to make durable and no snapshot: the images go with the process.
    fn close(&self, _index: &dyn Fn() -> IndexImage) -> Result<()> {
        Ok(())
    }

    /// Nothing is durable, so a crash has nothing to drop beyond what the process loses.
    fn abandon(&self) {}
}

impl Backend for MemoryStorage {
    /// No background work and nothing persistent (module docs).
    fn maintenance(&self) -> Option<&dyn Maintenance> {
        None
    }
}
