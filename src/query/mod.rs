//! Scans and primary-index queries (docs/multi-record.md): `Statement` names what to read,
//! `PartitionFilter` which partitions and from where (its per-partition status is the resume
//! cursor), `QueryPolicy` how, and a [`Recordset`] streams the records, one partition at a time.
//! `query_operate` runs a write or delete over the same selection (`operate.rs`).
//!
//! Invariants:
//! - partitions are visited in id order and digests in increasing order within a partition
//!   (SCAN-ORDER-1); a partition's status digest only grows, so resuming never repeats a record;
//! - a partition's index lock is held only while its entries are copied (SCAN-LOCK-1); each
//!   record is then re-checked under its own record lock before it is returned, so a tombstone,
//!   an expired or a truncated record never leaves a scan (SCAN-VISIBLE-1);
//! - at most one partition's entries and one read batch are held at a time (bounded memory).

pub mod operate;
pub mod partition_filter;
pub mod policy;
pub mod predicate;
pub mod recordset;
pub mod statement;

pub use operate::{ExecuteTask, TaskCounts, TaskStatus};
pub use partition_filter::{PartitionFilter, PartitionStatus};
pub use policy::QueryPolicy;
pub use recordset::{KeyedRecord, Recordset};
pub use statement::Statement;
