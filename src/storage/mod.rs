//! The storage boundary: where record images live. The engine (index, locks, record model) sees
//! storage only through [`Storage`]; backends are `memory` (Aerospike's `storage-engine memory`)
//! and, in later modules, the log-structured device store.
//!
//! Contract every backend keeps:
//! - `append` takes a complete encoded image, seals it (block sequence + CRC) and places it; the
//!   returned location stays readable until `release` is called for it;
//! - an image's bytes, once appended, are never changed (a new version is a new image);
//! - `read` returns exactly the bytes appended, or an error (never different bytes);
//! - `wait_durable(ticket)` returns once the image of that ticket survives a crash (immediately for
//!   memory); concurrent waiters may share one device sync (group commit);
//! - `scan` visits every image that a cold start could find, in any order.

pub mod memory;
pub mod record_image;

use crate::error::Result;
use crate::index::Location;
use bytes::Bytes;

/// Where an appended image went and how to wait for it to be durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Location for the index.
    pub location: Location,
    /// Padded image size.
    pub size: u32,
    /// Durability ticket for `wait_durable`.
    pub ticket: u64,
}

/// Space and back-pressure state (WP-02, WP-04).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SpaceState {
    /// The write queue is over `max_write_cache` (→ 18).
    pub overloaded: bool,
    /// The namespace is in stop-writes (→ 8).
    pub stop_writes: bool,
}

/// Counters a backend reports (merged into `Database::stats`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct StorageStats {
    /// Bytes of live images.
    pub used_bytes: u64,
    /// Capacity (0 = unbounded).
    pub capacity_bytes: u64,
    /// Bytes written to the device (or to memory) in total.
    pub bytes_written: u64,
}

/// A storage backend.
pub trait Storage: Send + Sync {
    /// Append an encoded image (see module contract).
    fn append(&self, image: Vec<u8>) -> Result<Placement>;
    /// Read the image at `location` of `size` bytes.
    fn read(&self, location: Location, size: u32) -> Result<Bytes>;
    /// The image at `location` is no longer referenced by the index.
    fn release(&self, location: Location, size: u32);
    /// Block until the image of `ticket` is durable.
    fn wait_durable(&self, ticket: u64) -> Result<()>;
    /// Current space state.
    fn space(&self) -> SpaceState;
    /// Visit every image a cold start could find.
    fn scan(&self, visit: &mut dyn FnMut(Location, &[u8])) -> Result<()>;
    /// Counters.
    fn stats(&self) -> StorageStats;
}
