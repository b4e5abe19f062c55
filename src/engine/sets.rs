//! The namespace's set table: set name ↔ set id (K-SET-NAME, K-SET-COUNT). Id 0 is "no set".
//! Invariant: ids are dense 1 … n, never reused, n ≤ 4095.

use std::collections::HashMap;
use std::sync::RwLock;

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
}

impl Sets {
    /// The id of an existing set ("" → 0), if known.
    pub fn id(&self, name: &str) -> Option<u16> {
        if name.is_empty() {
            return Some(0);
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
