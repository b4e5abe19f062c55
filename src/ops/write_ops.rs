//! The ops of a write-path request as the write path sees them: an operate's op list, or a put's
//! bins. A put is exactly the op list with one `Operation::Write` per bin, in order (the same
//! checks, errors, results and image); it is passed as the bins themselves so that the write path
//! copies each value at most once (into the working copy) instead of twice (into an op list, then
//! into the working copy), and not at all when the put's bins are the new version's bins as they
//! are (`ops::apply::put_as_is`: a create or Replace of plain values, encoded from the request).
//!
//! Invariants: every question asked of a `Put` answers what the same question would answer for
//! its op list (`tests/write_put_equivalence.rs` compares the two through the public API); a
//! `Put` holds no touch, delete-all, read, CDT or expression op.

use crate::ops::Operation;
use crate::record::bin::Bin;

/// The ops of one write-path request.
#[derive(Debug, Clone, Copy)]
pub enum WriteOps<'a> {
    /// An operate's op list.
    List(&'a [Operation]),
    /// A put's bins: `Operation::Write(bin)` for each, in order.
    Put(&'a [Bin]),
}

impl<'a> WriteOps<'a> {
    /// The op list, when the request is one (a put has none to hand out).
    pub fn list(self) -> Option<&'a [Operation]> {
        match self {
            WriteOps::List(ops) => Some(ops),
            WriteOps::Put(_) => None,
        }
    }

    /// Whether any op is a touch (which needs the record to exist, WP-08).
    pub fn has_touch(self) -> bool {
        self.list()
            .is_some_and(|ops| ops.iter().any(|o| matches!(o, Operation::Touch)))
    }

    /// Whether any op is an expression op (they need the record's metadata and bins).
    pub fn has_exp(self) -> bool {
        self.list().is_some_and(|ops| {
            ops.iter()
                .any(|o| matches!(o, Operation::ExpRead(..) | Operation::ExpWrite(..)))
        })
    }
}
