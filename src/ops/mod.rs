//! Operations for `Database::operate` (record-model.md §15): the op list, its static validation
//! (WP-05 … WP-07, RP-08) and applying it to a working copy of the record (WP-17).

pub mod apply;
mod exp_apply;
pub mod operation;
pub mod validate;
pub mod write_ops;

pub use operation::Operation;
pub use write_ops::WriteOps;
