//! `Record`: what reads and writes return — bins (or operate result entries) and metadata.

use crate::clock::CITRUSLEAF_EPOCH_UNIX_S;
use crate::record::bin::BinList;
use crate::record::value::Value;

/// A record as returned to callers (metadata per MD-*, bins per B-ORDER / OPR-*).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Record {
    /// Bins (reads) or result entries (operate, in op order).
    pub bins: BinList,
    /// Generation (0 after a write that became a delete, GC-REPORT).
    pub generation: u32,
    /// Absolute void-time in seconds since 2010-01-01 (0 = never expires).
    pub expiration: u32,
    /// Last-update-time in ms since 2010-01-01 (MD-LUT-EXPOSE).
    pub last_update_time: u64,
    /// The stored user key, if one is stored (SK-RETURN).
    pub key: Option<Value>,
}

impl Record {
    /// TTL-REPORT: `None` when the record never expires, else `max(1, void_time − now_s)`.
    pub fn time_to_live(&self, now_s: u32) -> Option<u32> {
        if self.expiration == 0 {
            None
        } else {
            Some(self.expiration.saturating_sub(now_s).max(1))
        }
    }

    /// The void-time as Unix seconds (MD-EPOCH), or `None` for "never".
    pub fn expiration_unix_s(&self) -> Option<u64> {
        (self.expiration != 0).then(|| u64::from(self.expiration) + CITRUSLEAF_EPOCH_UNIX_S)
    }

    /// Shorthand for `self.bins.get(name)`.
    pub fn bin(&self, name: &str) -> Option<&Value> {
        self.bins.get(name)
    }
}
