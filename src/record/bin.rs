//! `Bin` (a named value) and `BinList` (a record's bins, or an operate's result entries).
//!
//! Invariants: bin names are validated at request time (B-NAME-LEN, B-NAME-NUL → 21), never at
//! construction; a `BinList` that holds a record's bins has unique names in creation order
//! (B-ORDER); one that holds operate results may repeat names (OPR-SAME-BIN).

use crate::error::{err, Result, ResultCode};
use crate::record::value::Value;

/// Longest bin name in bytes (B-NAME-LEN).
pub const BIN_NAME_MAX: usize = 15;
/// Most bins in a record (B-MAX).
pub const BINS_MAX: usize = 32767;

/// A named value.
#[derive(Debug, Clone, PartialEq)]
pub struct Bin {
    /// Bin name (≤ 15 bytes, no NUL).
    pub name: String,
    /// Value; Nil deletes the bin when written.
    pub value: Value,
}

impl Bin {
    /// A bin.
    pub fn new(name: &str, value: impl Into<Value>) -> Bin {
        Bin {
            name: name.to_string(),
            value: value.into(),
        }
    }
}

/// `as_bin!("name", value)`.
#[macro_export]
macro_rules! as_bin {
    ($name:expr, $val:expr) => {
        $crate::Bin::new($name, $val)
    };
}

/// B-NAME-LEN, B-NAME-NUL: check a bin name → 21.
pub fn validate_bin_name(name: &str) -> Result<()> {
    if name.len() > BIN_NAME_MAX {
        return err(
            ResultCode::BinNameTooLong,
            format!(
                "bin name {name:?} is {} bytes; at most {BIN_NAME_MAX}",
                name.len()
            ),
        );
    }
    if name.as_bytes().contains(&0) {
        return err(
            ResultCode::BinNameTooLong,
            format!("bin name {name:?} contains NUL"),
        );
    }
    Ok(())
}

/// An ordered list of (name, value) entries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BinList {
    entries: Vec<(String, Value)>,
}

impl BinList {
    /// Empty.
    pub fn new() -> BinList {
        BinList::default()
    }

    /// From entries as given (no de-duplication).
    pub fn from_entries(entries: Vec<(String, Value)>) -> BinList {
        BinList { entries }
    }

    /// The first entry named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// Every entry named `name`, in order (OPR-SAME-BIN).
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Value> + 'a {
        self.entries
            .iter()
            .filter(move |(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Mutable access to a bin's value.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.entries
            .iter_mut()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v)
    }

    /// Set a bin (in place if present, else appended last: B-ORDER). Nil removes it.
    pub fn set(&mut self, name: &str, value: Value) {
        if value.is_nil() {
            self.remove(name);
            return;
        }
        match self.get_mut(name) {
            Some(slot) => *slot = value,
            None => self.entries.push((name.to_string(), value)),
        }
    }

    /// Append an entry without de-duplication (operate results).
    pub fn push(&mut self, name: &str, value: Value) {
        self.entries.push((name.to_string(), value));
    }

    /// Remove a bin, keeping the others' order. Returns whether it existed.
    pub fn remove(&mut self, name: &str) -> bool {
        let before = self.entries.len();
        self.entries.retain(|(n, _)| n != name);
        before != self.entries.len()
    }

    /// Remove every bin.
    pub fn clear(&mut self) {
        self.entries.clear();
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Iterate entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|(n, v)| (n.as_str(), v))
    }

    /// The names, in order.
    pub fn names(&self) -> Vec<&str> {
        self.entries.iter().map(|(n, _)| n.as_str()).collect()
    }

    /// Consume into entries.
    pub fn into_entries(self) -> Vec<(String, Value)> {
        self.entries
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// B-NAME-LEN, B-NAME-NUL, B-NAME-EMPTY.
    #[test]
    fn b_name_rules() {
        assert!(validate_bin_name("").is_ok());
        assert!(validate_bin_name(&"x".repeat(15)).is_ok());
        assert_eq!(
            validate_bin_name(&"x".repeat(16)).map_err(|e| e.code()),
            Err(ResultCode::BinNameTooLong)
        );
        assert_eq!(
            validate_bin_name("a\0b").map_err(|e| e.code()),
            Err(ResultCode::BinNameTooLong)
        );
    }

    /// B-ORDER: creation order; delete keeps relative order; re-create goes last.
    #[test]
    fn b_order_creation_order() {
        let mut b = BinList::new();
        b.set("a", 1.into());
        b.set("b", 2.into());
        b.set("c", 3.into());
        b.set("a", 4.into());
        assert_eq!(b.names(), vec!["a", "b", "c"]);
        b.set("b", Value::Nil);
        assert_eq!(b.names(), vec!["a", "c"]);
        b.set("b", 5.into());
        assert_eq!(b.names(), vec!["a", "c", "b"]);
    }
}
