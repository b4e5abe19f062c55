//! `Statement`: the namespace, set and bins a query reads (the official client's `Statement`).

use crate::engine::read::Bins;

/// What a query reads: every record of `namespace` (an empty `set_name` = the whole namespace)
/// or of one set, returning `bins`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Namespace name.
    pub namespace: String,
    /// Set name; empty = every record of the namespace, whatever its set.
    pub set_name: String,
    /// Bins to return (`Bins::None`: metadata only).
    pub bins: Bins,
    /// Secondary-index predicate (SIDX-QUERY-1); `None` = a scan.
    pub filter: Option<crate::sindex::Filter>,
}

impl Statement {
    /// A statement over `namespace` / `set_name` returning `bins`.
    pub fn new(namespace: &str, set_name: &str, bins: Bins) -> Statement {
        Statement {
            namespace: namespace.to_string(),
            set_name: set_name.to_string(),
            bins,
            filter: None,
        }
    }

    /// Query through the secondary index `filter` names (the official client's `set_filter`).
    pub fn set_filter(&mut self, filter: crate::sindex::Filter) {
        self.filter = Some(filter);
    }
}
