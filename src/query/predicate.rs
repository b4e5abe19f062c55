//! The per-record predicate hook of scans, `query_operate` and batch: what a filter sees of a
//! record (its metadata and bins) and answers keep / skip. `Filter` implements it today; a filter
//! expression plugs in by implementing [`RecordPredicate`].

use crate::policy::filter::Filter;
use crate::record::key::Digest;
use crate::record::record::Record;

/// A record as a predicate sees it.
pub struct RecordView<'a> {
    /// The record's digest.
    pub digest: &'a Digest,
    /// Its set name ("" for none).
    pub set_name: &'a str,
    /// Bins and metadata (generation, void-time, LUT, stored key).
    pub record: &'a Record,
    /// Bytes of its stored image.
    pub device_size: u32,
}

/// Keep or skip one record.
pub trait RecordPredicate: Send + Sync {
    /// Whether the record is selected.
    fn keep(&self, view: &RecordView<'_>) -> bool;
}

impl RecordPredicate for Filter {
    fn keep(&self, view: &RecordView<'_>) -> bool {
        self.matches(view.record)
    }
}
