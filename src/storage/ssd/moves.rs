//! Defrag moves whose copy is not yet durable: for each copy (its block incarnation and offset)
//! the durability ticket and the location of the source image it was copied from.
//!
//! A failed store serves only images below the durable frontier, but a defrag copy holds the
//! same record version as its source, and the source's block is not freed before the copy is
//! durable (SN-REQ-DEFRAG-INVARIANT). So until then a read of the copy is served from the source
//! — on a failed store, where the copy may never become durable (issue 11 point 5).
//!
//! Invariants:
//! - entries are kept in append order: keys `(block_seq, offset)` and tickets both strictly
//!   increase (asserted on insert), so retiring the durable ones pops a prefix;
//! - an entry is dropped once its ticket is durable; a source is therefore never used after its
//!   block could have been freed.

use super::read::MemRead;
use super::{DeviceStorage, State};
use crate::error::{err, Result, ResultCode};
use crate::storage::Location;
use std::collections::BTreeMap;

/// The moves not yet durable.
#[derive(Debug, Default)]
pub(super) struct PendingMoves {
    /// `(copy block_seq, copy offset)` → (copy ticket, source location).
    by_copy: BTreeMap<(u64, u32), (u64, Location)>,
}

impl PendingMoves {
    /// Defrag placed the copy of the image at `source` at `copy` in block incarnation `seq`,
    /// durable at `ticket`.
    pub fn note(&mut self, seq: u64, copy: Location, ticket: u64, source: Location) {
        if let Some((&last_key, &(last_ticket, _))) = self.by_copy.last_key_value() {
            assert!(
                last_key < (seq, copy.offset) && last_ticket < ticket,
                "defrag copies are noted in append order"
            );
        }
        assert_ne!(copy.block, source.block, "a copy lands in another block");
        self.by_copy.insert((seq, copy.offset), (ticket, source));
    }

    /// The frontier moved to `durable`: forget the copies now durable.
    pub fn on_durable(&mut self, durable: u64) {
        while let Some(e) = self.by_copy.first_entry() {
            if e.get().0 > durable {
                break;
            }
            e.remove();
        }
        debug_assert!(
            self.by_copy.values().all(|&(t, _)| t > durable),
            "every durable copy is retired"
        );
    }

    /// The source of the non-durable copy at `copy` in block incarnation `seq`, if it is one.
    pub fn source_of(&self, seq: u64, copy: Location) -> Option<Location> {
        self.by_copy.get(&(seq, copy.offset)).map(|&(_, s)| s)
    }
}

impl DeviceStorage {
    /// A failed store serves only durable images: one above the durable frontier may be the
    /// image of a write whose write or sync failed and was answered with 1, which no request may
    /// observe (WP-NOCHANGE) — unless it is a defrag copy, whose durable source holds the same
    /// record version and is read instead ([`MemRead::Moved`]). `None`: serve the image.
    pub(super) fn not_durable(
        st: &State,
        location: Location,
        seq: u64,
        end: usize,
    ) -> Option<Result<MemRead>> {
        if st.failed.is_none() || (seq << 32 | end as u64) <= st.durable {
            return None;
        }
        Some(match st.moves.source_of(seq, location) {
            Some(source) => Ok(MemRead::Moved(source)),
            None => err(
                ResultCode::ServerError,
                "device store failed: image not durable (reopen the store to serve what the \
                 device holds)",
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loc(block: u32, offset: u32) -> Location {
        Location { block, offset }
    }

    #[test]
    fn sources_are_found_until_their_copies_are_durable() {
        let mut m = PendingMoves::default();
        m.note(7, loc(3, 64), 7 << 32 | 200, loc(1, 64));
        m.note(7, loc(3, 200), 7 << 32 | 400, loc(1, 900));
        assert_eq!(m.source_of(7, loc(3, 200)), Some(loc(1, 900)));
        assert_eq!(m.source_of(8, loc(3, 200)), None, "another incarnation");
        m.on_durable(7 << 32 | 200);
        assert_eq!(m.source_of(7, loc(3, 64)), None, "durable: read the copy");
        assert_eq!(m.source_of(7, loc(3, 200)), Some(loc(1, 900)));
        m.on_durable(u64::MAX);
        assert!(m.by_copy.is_empty());
    }

    #[test]
    #[should_panic(expected = "append order")]
    fn out_of_order_copies_are_refused() {
        let mut m = PendingMoves::default();
        m.note(7, loc(3, 200), 7 << 32 | 400, loc(1, 64));
        m.note(7, loc(3, 64), 7 << 32 | 200, loc(1, 900));
    }
}
