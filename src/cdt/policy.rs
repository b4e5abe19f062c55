//! Map and list policies and write flags (cdt.md §5.1, §5.3, §6.1, §6.2, §6.7).
//!
//! Flags are bit sets with Aerospike's numbers (M-FLAG-VALUES, L-FLAG-VALUES, L-SORT-FLAGS),
//! combined with `|`. Unknown bits are carried but have no effect.

use crate::record::value::{ListOrderType, MapOrder};
use std::ops::BitOr;

macro_rules! flag_set {
    ($(#[$doc:meta])* $name:ident { $($(#[$fdoc:meta])* $flag:ident = $val:expr),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub struct $name(pub u32);

        #[allow(non_upper_case_globals)]
        impl $name {
            $($(#[$fdoc])* pub const $flag: $name = $name($val);)*

            /// Whether every bit of `other` is set.
            pub fn contains(self, other: $name) -> bool {
                self.0 & other.0 == other.0 && other.0 != 0
            }
        }

        impl BitOr for $name {
            type Output = $name;
            fn bitor(self, rhs: $name) -> $name {
                $name(self.0 | rhs.0)
            }
        }
    };
}

flag_set!(
    /// M-FLAG-VALUES: map write flags.
    MapWriteFlags {
        /// No flag: create or update.
        Default = 0,
        /// Fail (24) when the key exists.
        CreateOnly = 1,
        /// Fail (23) when the key does not exist.
        UpdateOnly = 2,
        /// A violation is a silent no-op.
        NoFail = 4,
        /// With NoFail, put_items applies the items that do not violate.
        Partial = 8,
    }
);

flag_set!(
    /// L-FLAG-VALUES: list write flags.
    ListWriteFlags {
        /// No flag.
        Default = 0,
        /// Fail (24) when the value is already present.
        AddUnique = 1,
        /// Fail (26) when inserting beyond the end.
        InsertBounded = 2,
        /// A violation is a silent no-op.
        NoFail = 4,
        /// With NoFail, multi-item writes apply the items that do not violate.
        Partial = 8,
    }
);

flag_set!(
    /// L-SORT-FLAGS: list sort flags.
    ListSortFlags {
        /// Ascending.
        Default = 0,
        /// Descending (unordered lists only).
        Descending = 1,
        /// Keep only the first of each run of equal elements.
        DropDuplicates = 2,
    }
);

/// Map policy: the order used when an op creates the map (M-ORDER-CREATE) and the write flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MapPolicy {
    /// Order of a map the op creates.
    pub order: MapOrder,
    /// Write flags (put, put_items only: M-FLAG-SCOPE).
    pub flags: MapWriteFlags,
    /// M-PERSIST-INDEX: a storage hint with no semantic effect.
    pub persist_index: bool,
}

impl MapPolicy {
    /// A policy with this order and these flags.
    pub fn new(order: MapOrder, flags: MapWriteFlags) -> MapPolicy {
        MapPolicy {
            order,
            flags,
            persist_index: false,
        }
    }
}

/// List policy: the order used when append/append_items/increment create the list
/// (L-ORDER-CREATE) and the write flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListPolicy {
    /// Order of a list the op creates.
    pub order: ListOrderType,
    /// Write flags.
    pub flags: ListWriteFlags,
}

impl ListPolicy {
    /// A policy with this order and these flags.
    pub fn new(order: ListOrderType, flags: ListWriteFlags) -> ListPolicy {
        ListPolicy { order, flags }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// M-FLAG-VALUES, L-FLAG-VALUES, L-SORT-FLAGS, M-ORDER-FLAGS, L-ORDER-FLAGS.
    #[test]
    fn flag_numbers() {
        assert_eq!(MapWriteFlags::CreateOnly.0, 1);
        assert_eq!(MapWriteFlags::UpdateOnly.0, 2);
        assert_eq!(MapWriteFlags::NoFail.0, 4);
        assert_eq!(MapWriteFlags::Partial.0, 8);
        assert_eq!((MapWriteFlags::CreateOnly | MapWriteFlags::NoFail).0, 5);
        assert!((MapWriteFlags::CreateOnly | MapWriteFlags::NoFail).contains(MapWriteFlags::NoFail));
        assert!(!MapWriteFlags::CreateOnly.contains(MapWriteFlags::Default));
        assert_eq!(ListWriteFlags::AddUnique.0, 1);
        assert_eq!(ListWriteFlags::InsertBounded.0, 2);
        assert_eq!(ListWriteFlags::NoFail.0, 4);
        assert_eq!(ListWriteFlags::Partial.0, 8);
        assert_eq!(ListSortFlags::Descending.0, 1);
        assert_eq!(ListSortFlags::DropDuplicates.0, 2);
        assert_eq!(MapOrder::Unordered as u8, 0);
        assert_eq!(MapOrder::KeyOrdered as u8, 1);
        assert_eq!(MapOrder::KeyValueOrdered as u8, 3);
        assert_eq!(ListOrderType::Unordered as u8, 0);
        assert_eq!(ListOrderType::Ordered as u8, 1);
    }
}
