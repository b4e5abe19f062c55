//! The in-memory primary index: 4096 partitions (K-PID), each a dense open-addressing table
//! (`table.rs`) from digest to [`IndexEntry`]. The index holds everything the record model needs
//! to classify a record and check a request without touching storage: location, generation,
//! void-time, LUT, set id, flags.
//!
//! Invariants:
//! - an entry exists exactly for live, tombstoned and expired-not-reaped records (S-*);
//! - an entry's location points at an image whose digest, generation, LUT and void-time equal the
//!   entry's (checked on every read, RC-1);
//! - the index lock of a partition is held only for the duration of one map access; per-record
//!   serialization is the engine's record lock, never the partition lock.

pub mod digest_hash;
pub mod entry;
pub mod partition;
pub mod pool;
pub mod table;

pub use entry::{IndexEntry, Location};
pub use partition::{Index, Stamp};
