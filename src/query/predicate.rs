//! The per-record predicate hook of scans and `query_operate`: what a filter sees of a record
//! (its metadata and bins) and answers keep / skip. A filter expression implements it: false or
//! unknown skips the record (EXP-UNKNOWN-1, SCAN-FILTER-1). The expression's static check runs
//! once when the query starts ([`check_query_filter`]), so a malformed one fails the query.

use crate::error::Result;
use crate::expressions::Expression;
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
    /// The scan's time, ms since 2010-01-01 (from the namespace `Clock`).
    pub now_ms: u64,
    /// Whether the namespace keeps records in memory only.
    pub memory_only: bool,
}

/// Keep or skip one record.
pub trait RecordPredicate: Send + Sync {
    /// Whether the record is selected.
    fn keep(&self, view: &RecordView<'_>) -> bool;
}

impl RecordPredicate for Expression {
    fn keep(&self, view: &RecordView<'_>) -> bool {
        let r = view.record;
        let exp_view = crate::expressions::RecordView {
            bins: &r.bins,
            digest: &view.digest.0,
            set_name: view.set_name,
            key: r.key.as_ref(),
            generation: r.generation,
            void_time: r.expiration,
            last_update_ms: r.last_update_time,
            now_ms: view.now_ms,
            tombstone: false,
            record_size: u64::from(view.device_size),
            memory_only: view.memory_only,
        };
        // The static check passed at query start (`check_query_filter`, the only way a
        // recordset gets its filter), so evaluation cannot fail here.
        let keep = self.matches(&exp_view);
        debug_assert!(
            keep.is_ok(),
            "a query's filter was checked when the query started"
        );
        keep.unwrap_or(false)
    }
}

/// Refuse a malformed filter expression before a query or background task starts (4 / 16).
pub fn check_query_filter(filter: Option<&Expression>) -> Result<()> {
    match filter {
        Some(f) => crate::expressions::check::check_filter(f),
        None => Ok(()),
    }
}
