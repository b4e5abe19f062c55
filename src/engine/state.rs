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
            Some(e) if e.is_tombstone() => {
                // S-TOMB: a tombstone never expires (void-time 0); only reclamation drops it.
                debug_assert_eq!(e.void_time, 0, "a tombstone never expires");
                State::Tomb(e)
            }
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
    let next = if g == u16::MAX { 1 } else { g + 1 };
    // MD-GEN-WIDTH: a stored generation is never 0; it moves by exactly one, modulo the wrap.
    debug_assert!(
        next != 0 && (next == 1 || next - 1 == g),
        "generation {g} increments by one"
    );
    next
}

/// MD-LUT-MONO: the LUT of a new version, `max(LUT_old, now_ms)`, saturated at the 40-bit maximum
/// (MD-LUT-UNIT: reached in 2044). Past that point every version keeps `LUT_MAX`, which still
/// never goes backwards; writes keep working instead of failing or breaking the index invariant.
pub fn next_lut(lut_old: u64, now_ms: u64) -> u64 {
    // Stored LUTs come from index entries, which hold 40 bits.
    assert!(lut_old <= LUT_MAX, "a stored LUT {lut_old} fits 40 bits");
    let lut = lut_old.max(now_ms).min(LUT_MAX);
    debug_assert!(lut >= lut_old, "MD-LUT-MONO: the LUT never goes backwards");
    lut
}
