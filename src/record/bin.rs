//! `Bin` (a named value) and `BinList` (a record's bins, or an operate's result entries).
//!
//! Invariants: bin names are validated at request time (B-NAME-LEN, B-NAME-NUL → 21), never at
//! construction; a `BinList` that holds a record's bins has unique names in creation order
//! (B-ORDER); one that holds operate results may repeat names (OPR-SAME-BIN).

use crate::error::{err, Result, ResultCode};
use crate::record::value::Value;
use std::sync::OnceLock;

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

/// Above this many entries a [`BinList`] looks names up through a [`NameIndex`], so lookups stay
/// O(1) and a write of up to B-MAX bins is linear, not quadratic.
const INDEX_FROM: usize = 32;

/// Open-addressing table of entry positions, built on the first lookup of a large list.
///
/// Invariant: every distinct name of the list's entries has exactly one slot, holding the
/// position of its first entry; at most half the slots are used.
#[derive(Debug, Clone, Default)]
struct NameIndex {
    slots: Vec<u32>,
}

const EMPTY: u32 = u32::MAX;

fn name_hash(name: &str) -> usize {
    // FNV-1a: bin names are at most 15 bytes.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    h as usize
}

impl NameIndex {
    fn build(entries: &[(String, Value)]) -> NameIndex {
        let mut ix = NameIndex {
            slots: vec![EMPTY; (entries.len() * 2).next_power_of_two().max(64)],
        };
        for i in 0..entries.len() {
            ix.insert(entries, i);
        }
        ix
    }

    /// The slot holding `name`, or the empty slot where it would go.
    fn probe(&self, entries: &[(String, Value)], name: &str) -> usize {
        let mask = self.slots.len() - 1;
        let mut at = name_hash(name) & mask;
        loop {
            let pos = self.slots[at];
            if pos == EMPTY || entries[pos as usize].0 == name {
                return at;
            }
            at = (at + 1) & mask;
        }
    }

    fn get(&self, entries: &[(String, Value)], name: &str) -> Option<usize> {
        let pos = self.slots[self.probe(entries, name)];
        (pos != EMPTY).then_some(pos as usize)
    }

    /// Record entry `i` unless its name already has a (earlier) position.
    fn insert(&mut self, entries: &[(String, Value)], i: usize) {
        if (i + 1) * 2 > self.slots.len() {
            *self = NameIndex::build(entries);
            return;
        }
        let at = self.probe(entries, &entries[i].0);
        if self.slots[at] == EMPTY {
            self.slots[at] = i as u32;
        }
    }
}

/// An ordered list of (name, value) entries.
///
/// Invariant: a built `index` describes exactly the current `entries` (NameIndex); mutations
/// keep it so or drop it.
#[derive(Debug, Clone, Default)]
pub struct BinList {
    entries: Vec<(String, Value)>,
    index: OnceLock<NameIndex>,
}

impl PartialEq for BinList {
    fn eq(&self, other: &BinList) -> bool {
        self.entries == other.entries
    }
}

impl BinList {
    /// Empty.
    pub fn new() -> BinList {
        BinList::default()
    }

    /// From entries as given (no de-duplication).
    pub fn from_entries(entries: Vec<(String, Value)>) -> BinList {
        BinList {
            entries,
            index: OnceLock::new(),
        }
    }

    fn position(&self, name: &str) -> Option<usize> {
        let found = if self.entries.len() <= INDEX_FROM {
            self.entries.iter().position(|(n, _)| n == name)
        } else {
            self.index
                .get_or_init(|| NameIndex::build(&self.entries))
                .get(&self.entries, name)
        };
        debug_assert!(found.is_none_or(|i| self.entries[i].0 == name));
        found
    }

    /// The first entry named `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.position(name).map(|i| &self.entries[i].1)
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
        self.position(name).map(|i| &mut self.entries[i].1)
    }

    /// Set a bin (in place if present, else appended last: B-ORDER). Nil removes it.
    pub fn set(&mut self, name: &str, value: Value) {
        if value.is_nil() {
            self.remove(name);
            return;
        }
        // A record's bins stay unique (B-ORDER); an operate result list that repeats a name
        // (OPR-SAME-BIN) keeps its repeats: `set` replaces the first entry and adds none.
        let before = if cfg!(debug_assertions) {
            self.get_all(name).count()
        } else {
            0
        };
        match self.get_mut(name) {
            Some(slot) => *slot = value,
            None => self.push(name, value),
        }
        debug_assert_eq!(
            self.get_all(name).count(),
            before.max(1),
            "B-ORDER, OPR-SAME-BIN: set adds a name only when absent"
        );
    }

    /// Append an entry without de-duplication (operate results).
    pub fn push(&mut self, name: &str, value: Value) {
        self.entries.push((name.to_string(), value));
        if let Some(index) = self.index.get_mut() {
            index.insert(&self.entries, self.entries.len() - 1);
        }
    }

    /// Remove a bin, keeping the others' order. Returns whether it existed.
    pub fn remove(&mut self, name: &str) -> bool {
        if self.position(name).is_none() {
            return false;
        }
        self.entries.retain(|(n, _)| n != name);
        self.index = OnceLock::new();
        debug_assert!(self.position(name).is_none(), "a removed bin is gone");
        true
    }

    /// Remove every bin.
    pub fn clear(&mut self) {
        self.entries.clear();
        self.index = OnceLock::new();
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

    /// OPR-SAME-BIN then B-ORDER: `set` on a list that holds repeated names (operate results)
    /// replaces the first entry and adds none; with debug assertions on it used to assert the
    /// name had become unique (issue 12).
    #[test]
    fn set_after_a_repeated_push_replaces_the_first_entry() {
        let mut b = BinList::new();
        b.push("a", 1.into());
        b.push("a", 2.into());
        b.set("a", 3.into());
        assert_eq!(
            b.get_all("a").cloned().collect::<Vec<_>>(),
            vec![Value::Int(3), Value::Int(2)]
        );
        b.set("z", 4.into());
        assert_eq!(b.names(), vec!["a", "a", "z"]);
    }

    /// B-ORDER, OPR-SAME-BIN with the name index: set / push / remove / get across the index
    /// threshold agree with a plain linear model.
    #[test]
    fn name_index_agrees_with_linear_model() {
        let mut rng = crate::rng::Rng::new(7);
        for _ in 0..20 {
            let mut b = BinList::new();
            let mut model: Vec<(String, Value)> = Vec::new();
            for step in 0..600 {
                let name = format!("n{}", rng.below(80));
                match rng.below(10) {
                    0..=5 => {
                        let v = Value::Int(step);
                        b.set(&name, v.clone());
                        match model.iter_mut().find(|(n, _)| *n == name) {
                            Some(slot) => slot.1 = v,
                            None => model.push((name.clone(), v)),
                        }
                    }
                    6 => {
                        b.push(&name, Value::Int(-step));
                        model.push((name.clone(), Value::Int(-step)));
                    }
                    _ => {
                        let had = model.iter().any(|(n, _)| *n == name);
                        model.retain(|(n, _)| *n != name);
                        assert_eq!(b.remove(&name), had);
                    }
                }
                let probe = format!("n{}", rng.below(80));
                let want = model.iter().find(|(n, _)| *n == probe).map(|(_, v)| v);
                assert_eq!(b.get(&probe), want, "step {step} {probe}");
                assert_eq!(b.len(), model.len());
            }
            assert_eq!(b, BinList::from_entries(model.clone()));
            assert_eq!(b.into_entries(), model);
        }
    }
}
