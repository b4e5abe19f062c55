//! One index entry. Fields are 4-byte aligned so that digest + entry is 48 bytes per slot
//! (target ≤ 64, Aerospike's figure; asserted below and in tests).

use crate::format::snapshot;
use crate::record::key::Digest;
pub use crate::storage::Location;

/// Entry flag: the record is a tombstone (S-TOMB). The snapshot stores the flags byte as is.
pub const FLAG_TOMBSTONE: u8 = snapshot::FLAG_TOMBSTONE;
/// Entry flag: a user key is stored with the record (SK-STORE).
pub const FLAG_KEY_STORED: u8 = snapshot::FLAG_KEY_STORED;

/// Largest LUT value (40 bits, MD-LUT-UNIT).
pub const LUT_MAX: u64 = snapshot::LUT_MAX;

/// Index entry: metadata plus the location and size of the record image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct IndexEntry {
    /// Image location.
    pub location: Location,
    /// Image size in bytes (padded), for one exact device read and space accounting.
    pub size: u32,
    /// Void-time, seconds since 2010 (0 = never).
    pub void_time: u32,
    lut_lo: u32,
    lut_hi: u8,
    /// Flags: `FLAG_TOMBSTONE`, `FLAG_KEY_STORED`.
    pub flags: u8,
    /// Generation, 1 … 65535.
    pub generation: u16,
    /// Set id in the namespace's set table (0 = no set).
    pub set_id: u16,
}

const _: () = assert!(std::mem::size_of::<IndexEntry>() == 28);
const _: () = assert!(std::mem::size_of::<([u8; 20], IndexEntry)>() == 48);

impl IndexEntry {
    /// A new entry.
    pub fn new(
        location: Location,
        size: u32,
        generation: u16,
        void_time: u32,
        lut: u64,
        set_id: u16,
        flags: u8,
    ) -> IndexEntry {
        assert!(
            generation != 0,
            "stored generations are 1 … 65535 (MD-GEN-WIDTH)"
        );
        assert!(lut <= LUT_MAX, "LUT is 40 bits");
        let e = IndexEntry {
            location,
            size,
            void_time,
            lut_lo: lut as u32,
            lut_hi: (lut >> 32) as u8,
            flags,
            generation,
            set_id,
        };
        debug_assert_eq!(e.lut(), lut, "the LUT round-trips its 40 bits");
        e
    }

    /// Last-update-time, ms since 2010.
    pub fn lut(&self) -> u64 {
        u64::from(self.lut_lo) | (u64::from(self.lut_hi) << 32)
    }

    /// Whether this is a tombstone.
    pub fn is_tombstone(&self) -> bool {
        self.flags & FLAG_TOMBSTONE != 0
    }

    /// Whether a user key is stored.
    pub fn key_stored(&self) -> bool {
        self.flags & FLAG_KEY_STORED != 0
    }

    /// The snapshot's entry for this entry of `digest` (the file format's own type).
    pub fn to_snapshot(self, digest: Digest) -> snapshot::Entry {
        snapshot::Entry {
            digest,
            block: self.location.block,
            offset: self.location.offset,
            size: self.size,
            void_time: self.void_time,
            lut: self.lut(),
            generation: self.generation,
            set_id: self.set_id,
            flags: self.flags,
        }
    }

    /// The digest and index entry of a parsed snapshot entry (`format::snapshot::parse` refuses
    /// generation 0 and LUTs beyond 40 bits, which `new` asserts).
    pub fn from_snapshot(e: &snapshot::Entry) -> (Digest, IndexEntry) {
        let location = Location {
            block: e.block,
            offset: e.offset,
        };
        let entry = IndexEntry::new(
            location,
            e.size,
            e.generation,
            e.void_time,
            e.lut,
            e.set_id,
            e.flags,
        );
        debug_assert_eq!(
            entry.to_snapshot(e.digest),
            *e,
            "the conversion round-trips"
        );
        (e.digest, entry)
    }

    /// EX-DEF: expired when `void_time ≠ 0 ∧ void_time < now_s` (S-EXPIRY-EDGE).
    pub fn is_expired(&self, now_s: u32) -> bool {
        self.void_time != 0 && self.void_time < now_s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lut_round_trips_40_bits() {
        let e = IndexEntry::new(Location::default(), 16, 1, 0, LUT_MAX, 0, 0);
        assert_eq!(e.lut(), LUT_MAX);
        let e = IndexEntry::new(Location::default(), 16, 1, 0, 0x12_3456_789A, 0, 0);
        assert_eq!(e.lut(), 0x12_3456_789A);
    }
}
