//! Secondary indexes (docs/sindex.md SIDX-*): per namespace, a set of indexes on one bin's
//! values each, on the element a CDT context selects in it, or on an expression's value
//! (`definition`, `ctx`, `exp`), every index an ordered set of `(value, digest)` entries
//! (`tree`), kept by the namespace's two commit points (`registry`: `Namespace::commit` and
//! `Namespace::remove` call it under the record lock), built in the background on creation and
//! at open (`build`), their definitions persisted beside the device file (`persist`), and
//! queried through `Statement::set_filter` (`filter`).
//!
//! Invariants:
//! - an index's entries for a digest are exactly the keys its definition extracts from the
//!   record's current bins, or none when the record is absent or a tombstone — once the index is
//!   loaded (SIDX-EXACT-1); both change only under that record's lock;
//! - a query re-checks every candidate under its record lock against the filter, so an entry
//!   can never answer for a record whose current value does not match (SIDX-RECHECK-1);
//! - at most `MAX_INDEXES` indexes per namespace, names at most `NAME_MAX_LEN` bytes.

pub mod build;
pub mod ctx;
pub mod definition;
pub mod exp;
pub mod filter;
pub mod persist;
pub mod registry;
pub mod tree;

pub use build::IndexTask;
pub use definition::{CollectionIndexType, IndexDef, IndexType};
pub use filter::Filter;
pub use registry::Sindexes;
