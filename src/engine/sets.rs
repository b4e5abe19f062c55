//! The namespace's set table: set name ↔ set id (K-SET-NAME, K-SET-COUNT). Id 0 is "no set".
//! Invariants: ids are dense 1 … n, never reused, n ≤ 4095; the first [`LINEAR_MAX`] names are
//! also in `first` (set once each, before `count` says they exist), so a lookup among them
//! takes no lock — every request looks its set up.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{OnceLock, RwLock};

use crate::error::{err, Result, ResultCode};
pub use crate::record::key::{validate_set_name, SETS_MAX};

#[derive(Default)]
struct Table {
    names: Vec<String>,
    ids: HashMap<String, u16>,
}

/// Up to this many sets a lookup compares names in order instead of hashing: a namespace
/// usually has a handful of sets, and every request looks its set up.
const LINEAR_MAX: usize = 8;

impl Table {
    /// The id of `name` (not ""), if registered: `names[id - 1] == name`.
    fn lookup(&self, name: &str) -> Option<u16> {
        let found = if self.names.len() <= LINEAR_MAX {
            self.names
                .iter()
                .position(|n| n == name)
                .map(|i| (i + 1) as u16)
        } else {
            self.ids.get(name).copied()
        };
        debug_assert_eq!(found, self.ids.get(name).copied(), "names and ids agree");
        found
    }
}

/// Set table.
#[derive(Default)]
pub struct Sets {
    t: RwLock<Table>,
    /// `first[i]` = the name of id `i + 1`, for ids up to `LINEAR_MAX`.
    first: [OnceLock<String>; LINEAR_MAX],
    /// Registered names (n), published after `first` is set.
    count: AtomicUsize,
}

impl Sets {
    /// The id of an existing set ("" → 0), if known.
    pub fn id(&self, name: &str) -> Option<u16> {
        if name.is_empty() {
            return Some(0);
        }
        let n = self.count.load(Ordering::Acquire);
        let known = &self.first[..n.min(LINEAR_MAX)];
        if let Some(i) = known.iter().position(|f| f.get().is_some_and(|f| f == name)) {
            return Some((i + 1) as u16);
        }
        if n <= LINEAR_MAX {
            return None;
        }
        self.t.read().expect("set table poisoned").lookup(name)
    }

    /// Whether creating a record in `name` would exceed K-SET-COUNT.
    pub fn would_overflow(&self, name: &str) -> bool {
        self.id(name).is_none()
            && self.t.read().expect("set table poisoned").names.len() >= SETS_MAX
    }

    /// The id of `name`, registering it if new (→ 4 beyond K-SET-COUNT).
    pub fn intern(&self, name: &str) -> Result<u16> {
        if let Some(id) = self.id(name) {
            return Ok(id);
        }
        let mut t = self.t.write().expect("set table poisoned");
        if let Some(id) = t.lookup(name) {
            return Ok(id);
        }
        if t.names.len() >= SETS_MAX {
            return err(
                ResultCode::ParameterError,
                "more than 4095 sets (K-SET-COUNT)",
            );
        }
        t.names.push(name.to_string());
        let id = t.names.len() as u16;
        if let Some(slot) = self.first.get(usize::from(id) - 1) {
            assert!(slot.set(name.to_string()).is_ok(), "ids are never reused");
        }
        self.count.store(t.names.len(), Ordering::Release);
        let reused = t.ids.insert(name.to_string(), id);
        assert!(reused.is_none(), "set ids are never reused");
        assert_eq!(t.ids.len(), t.names.len(), "set ids are dense 1 … n");
        assert!(usize::from(id) <= SETS_MAX, "n ≤ 4095 (K-SET-COUNT)");
        Ok(id)
    }

    /// Number of named sets (ids 1 … len).
    pub fn len(&self) -> usize {
        self.t.read().expect("set table poisoned").names.len()
    }

    /// Whether no named set exists.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The name of set id `id` ("" for 0).
    pub fn name(&self, id: u16) -> String {
        if id == 0 {
            return String::new();
        }
        let t = self.t.read().expect("set table poisoned");
        t.names
            .get(usize::from(id) - 1)
            .cloned()
            .expect("set ids come from intern")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids before and beyond the lock-free first names agree with registration order, unknown
    /// names have none, and a reader racing the registrations never sees a wrong id.
    #[test]
    fn ids_are_found_on_both_sides_of_the_first_names() {
        let sets = Sets::default();
        let names: Vec<String> = (0..20).map(|i| format!("set{i}")).collect();
        std::thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..2000 {
                    for (i, n) in names.iter().enumerate() {
                        if let Some(id) = sets.id(n) {
                            assert_eq!(usize::from(id), i + 1, "{n}");
                        }
                    }
                }
            });
            for n in &names {
                sets.intern(n).expect("intern");
            }
        });
        for (i, n) in names.iter().enumerate() {
            assert_eq!(sets.id(n), Some((i + 1) as u16));
            assert_eq!(sets.intern(n).expect("again"), (i + 1) as u16);
            assert_eq!(sets.name((i + 1) as u16), *n);
        }
        assert_eq!((sets.id(""), sets.id("other"), sets.len()), (Some(0), None, 20));
    }
}
