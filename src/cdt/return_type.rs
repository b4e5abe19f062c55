//! Return types of get_by_* / remove_by_* (cdt.md §4, RT-* rows).
//!
//! A `ReturnType` is the raw Aerospike code (so an unknown code can reach the engine and fail
//! with 4, RT-UNKNOWN); [`ReturnType::parse`] splits it into a [`Base`] type and the Inverted flag.
//! `MapReturnType` and `ListReturnType` are the same type under the official client's names.

use crate::error::{err, Result, ResultCode};
use std::ops::BitOr;

/// A return type code, possibly OR-ed with `Inverted`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReturnType(pub u32);

/// The official client's name for map ops.
pub type MapReturnType = ReturnType;
/// The official client's name for list ops.
pub type ListReturnType = ReturnType;

/// The Inverted flag bit (RT-INVERTED).
const INVERTED: u32 = 0x10000;

#[allow(non_upper_case_globals)]
impl ReturnType {
    /// RT-NONE.
    pub const None: ReturnType = ReturnType(0);
    /// RT-INDEX.
    pub const Index: ReturnType = ReturnType(1);
    /// RT-REVINDEX.
    pub const ReverseIndex: ReturnType = ReturnType(2);
    /// RT-RANK.
    pub const Rank: ReturnType = ReturnType(3);
    /// RT-REVRANK.
    pub const ReverseRank: ReturnType = ReturnType(4);
    /// RT-COUNT.
    pub const Count: ReturnType = ReturnType(5);
    /// RT-KEY (maps only).
    pub const Key: ReturnType = ReturnType(6);
    /// RT-VALUE.
    pub const Value: ReturnType = ReturnType(7);
    /// RT-KEYVALUE (maps only).
    pub const KeyValue: ReturnType = ReturnType(8);
    /// RT-EXISTS.
    pub const Exists: ReturnType = ReturnType(13);
    /// RT-UNORDERED-MAP (maps only).
    pub const UnorderedMap: ReturnType = ReturnType(16);
    /// RT-ORDERED-MAP (maps only).
    pub const OrderedMap: ReturnType = ReturnType(17);
    /// RT-INVERTED: OR with a type to select the complement.
    pub const Inverted: ReturnType = ReturnType(INVERTED);
}

impl BitOr for ReturnType {
    type Output = ReturnType;
    fn bitor(self, rhs: ReturnType) -> ReturnType {
        ReturnType(self.0 | rhs.0)
    }
}

/// The return type without the Inverted flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Base {
    /// Nil.
    None,
    /// Indexes.
    Index,
    /// `n - 1 - index`.
    ReverseIndex,
    /// Ranks.
    Rank,
    /// `n - 1 - rank`.
    ReverseRank,
    /// A count.
    Count,
    /// Keys.
    Key,
    /// Values.
    Value,
    /// `[key, value]` pairs.
    KeyValue,
    /// A bool.
    Exists,
    /// A map with order Unordered.
    UnorderedMap,
    /// A map with order KeyOrdered.
    OrderedMap,
}

impl Base {
    /// Whether this type needs keys (→ 26 on lists, §4).
    pub fn map_only(self) -> bool {
        matches!(
            self,
            Base::Key | Base::KeyValue | Base::UnorderedMap | Base::OrderedMap
        )
    }

    /// Whether results are ranks (SEL-RESULT-ORDER treats these apart).
    pub fn is_rank(self) -> bool {
        matches!(self, Base::Rank | Base::ReverseRank)
    }
}

impl ReturnType {
    /// A raw code (as it would arrive on the wire); unknown codes fail at apply time (RT-UNKNOWN).
    pub fn from_code(code: u32) -> ReturnType {
        ReturnType(code)
    }

    /// RT-UNKNOWN: split into base and Inverted; any other code → 4.
    pub fn parse(self) -> Result<(Base, bool)> {
        let inverted = self.0 & INVERTED != 0;
        let base = match self.0 & !INVERTED {
            0 => Base::None,
            1 => Base::Index,
            2 => Base::ReverseIndex,
            3 => Base::Rank,
            4 => Base::ReverseRank,
            5 => Base::Count,
            6 => Base::Key,
            7 => Base::Value,
            8 => Base::KeyValue,
            13 => Base::Exists,
            16 => Base::UnorderedMap,
            17 => Base::OrderedMap,
            other => {
                return err(
                    ResultCode::ParameterError,
                    format!("unknown return type {other:#x} (RT-UNKNOWN)"),
                )
            }
        };
        Ok((base, inverted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RT-NONE … RT-INVERTED codes, RT-UNKNOWN.
    #[test]
    fn rt_codes_and_unknown() {
        assert_eq!(ReturnType::Exists.parse().ok(), Some((Base::Exists, false)));
        assert_eq!(
            (ReturnType::Count | ReturnType::Inverted).parse().ok(),
            Some((Base::Count, true))
        );
        assert_eq!(ReturnType::OrderedMap.0, 17);
        assert_eq!(ReturnType::Inverted.0, 0x10000);
        for bad in [9, 10, 12, 14, 15, 18, 0x20000, 0x10009] {
            assert_eq!(
                ReturnType(bad).parse().map_err(|e| e.code()),
                Err(ResultCode::ParameterError)
            );
        }
    }
}
