//! Record states (record-model.md §6) and the generation arithmetic of §10.

use crate::index::entry::LUT_MAX;
use crate::index::IndexEntry;

/// The state of a digest at request time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// S-MISSING.
    Missing,
    /// S-LIVE.
    Live(IndexEntry),
    /// S-TOMB.
    Tomb(IndexEntry),
    /// S-EXPIRED (not reaped).
    Expired(IndexEntry),
}

impl State {
    /// Classify an index entry at `now_s`.
    pub fn classify(entry: Option<IndexEntry>, now_s: u32) -> State {
        match entry {
            None => State::Missing,
            Some(e) if e.is_tombstone() => State::Tomb(e),
            Some(e) if e.is_expired(now_s) => State::Expired(e),
            Some(e) => State::Live(e),
        }
    }

    /// Whether live.
    pub fn is_live(&self) -> bool {
        matches!(self, State::Live(_))
    }

    /// The entry, if any.
    pub fn entry(&self) -> Option<IndexEntry> {
        match self {
            State::Missing => None,
            State::Live(e) | State::Tomb(e) | State::Expired(e) => Some(*e),
        }
    }
}

/// `inc(x)`: x + 1, with 65535 → 1 (GC-WRAP).
pub fn inc(g: u16) -> u16 {
    if g == u16::MAX {
        1
    } else {
        g + 1
    }
}

/// MD-LUT-MONO: the LUT of a new version, `max(LUT_old, now_ms)`, saturated at the 40-bit maximum
/// (MD-LUT-UNIT: reached in 2044). Past that point every version keeps `LUT_MAX`, which still
/// never goes backwards; writes keep working instead of failing or breaking the index invariant.
pub fn next_lut(lut_old: u64, now_ms: u64) -> u64 {
    lut_old.max(now_ms).min(LUT_MAX)
}
