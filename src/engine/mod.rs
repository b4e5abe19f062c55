//! The record-model engine of one namespace: classifies a digest into a record state (S-*) and runs
//! the write, read and delete paths in the exact order of checks of record-model.md §7.
//!
//! Invariants:
//! - every request on a record holds that record's lock from WP-03 / DP-03 (reads: from lookup)
//!   until its new version is visible, so requests on one record are serialized (OP-ISOLATION);
//! - nothing observable changes before the last check has passed (WP-NOCHANGE); the only early
//!   change is WP-09's discard of an expired record;
//! - the index entry and the image it points at always agree (checked on every load).

pub mod defrag;
pub mod defrag_live;
pub mod delete;
pub mod filter;
pub mod integrity;
pub mod locks;
pub mod namespace;
pub mod read;
pub mod read_inplace;
pub mod read_with;
pub mod recovery;
pub mod replica_apply;
pub mod runtime;
pub mod sets;
pub mod state;
pub mod sweep;
pub mod tombstones;
pub mod truncate;
pub mod write;
pub mod write_inplace;

pub use namespace::Namespace;
