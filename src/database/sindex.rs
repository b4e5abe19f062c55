//! The secondary-index commands of `Database` (docs/sindex.md): `create_index_on_bin`,
//! `create_index_using_expression`, `drop_index`, and the rebuild of persisted indexes at open
//! (SIDX-RESTART-1).

use super::Database;
use crate::cdt::context::CTX;
use crate::config::StorageConfig;
use crate::engine::Namespace;
use crate::error::Result;
use crate::expressions::Expression;
use crate::sindex::ctx::IndexCtx;
use crate::sindex::exp::IndexExp;
use crate::sindex::{persist, CollectionIndexType, IndexDef, IndexTask, IndexType};
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// Policy of index administration (the official client's `AdminPolicy`).
#[derive(Debug, Clone, Default)]
pub struct AdminPolicy {
    /// Accepted for compatibility; index commands do not wait on record locks.
    pub timeout: Option<Duration>,
}

/// Where `ns` keeps its index definitions (`None`: a memory namespace keeps them in memory).
fn defs_path(ns: &Namespace) -> Option<PathBuf> {
    match &ns.config.storage {
        StorageConfig::Device(d) => d.paths.first().map(|p| persist::path_for(p)),
        _ => None,
    }
}

fn save(ns: &Namespace) -> Result<()> {
    match defs_path(ns) {
        Some(p) => {
            let defs: Vec<IndexDef> = ns
                .sindexes
                .indexes()
                .iter()
                .map(|i| i.def.clone())
                .collect();
            persist::store(&p, &defs)
        }
        None => Ok(()),
    }
}

/// SIDX-RESTART-1: register the persisted definitions of `ns` and build them from its records
/// (synchronously). Returns (indexes, entries, elapsed).
pub(crate) fn rebuild_at_open(ns: &Namespace) -> Result<(usize, u64, Duration)> {
    let Some(p) = defs_path(ns) else {
        return Ok((0, 0, Duration::ZERO));
    };
    let defs = persist::load(&p)?;
    if defs.is_empty() {
        return Ok((0, 0, Duration::ZERO));
    }
    let start = ns.clock.monotonic_us();
    let mut entries = 0;
    for def in defs {
        let (ix, _) = ns.sindexes.create(def)?;
        crate::sindex::build::build(ns, &ix, &|| true);
        // Nothing can drop the index or close the database while it opens.
        assert!(ix.loaded(), "a rebuild at open visits every partition");
        entries += ix.tree.len() as u64;
    }
    let us = ns.clock.monotonic_us().saturating_sub(start);
    Ok((
        ns.sindexes.indexes().len(),
        entries,
        Duration::from_micros(us),
    ))
}

impl Database {
    /// Create a secondary index on `bin_name` of `set_name` ("" = every set) and build it in
    /// the background (SIDX-BUILD-1); the task reports its progress. An equal existing index is
    /// a no-op success; a conflicting one answers 200, too many 206, a long name 205. A
    /// non-empty `ctx` indexes the element it selects in the bin, as a CDT read op selects it
    /// (SIDX-CTX-1); queries name it with `Filter::context`.
    #[allow(clippy::too_many_arguments)]
    pub fn create_index_on_bin(
        &self,
        _policy: &AdminPolicy,
        namespace: &str,
        set_name: &str,
        bin_name: &str,
        index_name: &str,
        index_type: IndexType,
        collection_index_type: CollectionIndexType,
        ctx: Option<&[CTX]>,
    ) -> Result<IndexTask> {
        self.create_index(
            namespace,
            IndexDef {
                name: index_name.to_string(),
                set_name: set_name.to_string(),
                bin_name: bin_name.to_string(),
                ctx: IndexCtx::of(ctx.unwrap_or_default()),
                exp: None,
                index_type,
                collection: collection_index_type,
            },
        )
    }

    /// Create a secondary index on the value `expression` has for each record of `set_name`
    /// ("" = every set), as Aerospike 8.1 does (SIDX-EXP-1), and build it in the background.
    /// The index holds the keys of that value as a bin index of `index_type` and
    /// `collection_index_type` holds a bin's; a record where the value is unknown or of
    /// another type is not in it. The expression may read bins and `digest_modulo`, nothing
    /// else of the record, and must have the index's type (a list for `List`, a map for
    /// `MapKeys` / `MapValues`): ParameterError 4 otherwise (SIDX-EXP-BAD). Queries name the
    /// index with `Filter::…(…).expression(e)`, `e` of the same bytes.
    ///
    /// ```
    /// use aerolite::expressions::{int_bin, int_val, num_mul};
    /// use aerolite::{as_bin, AdminPolicy, Bins, CollectionIndexType, Database, Filter};
    /// use aerolite::{IndexType, Key, PartitionFilter, QueryPolicy, Statement, WritePolicy};
    ///
    /// let db = Database::open_in_memory()?;
    /// for i in 0..10 {
    ///     let key = Key::new("test", "s", i)?;
    ///     db.put(&WritePolicy::default(), &key, &[as_bin!("a", i)])?;
    /// }
    /// let doubled = num_mul(vec![int_bin("a"), int_val(2)]);
    /// db.create_index_using_expression(
    ///     &AdminPolicy::default(), "test", "s", "a_doubled",
    ///     IndexType::Numeric, CollectionIndexType::Default, &doubled,
    /// )?
    /// .wait_till_complete()?;
    /// let mut st = Statement::new("test", "s", Bins::All);
    /// st.set_filter(Filter::range("", 4, 8).expression(doubled));
    /// let found = db.query(&QueryPolicy::default(), PartitionFilter::all(), st)?.count();
    /// assert_eq!(found, 3); // a = 2, 3, 4
    /// # Ok::<(), aerolite::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn create_index_using_expression(
        &self,
        _policy: &AdminPolicy,
        namespace: &str,
        set_name: &str,
        index_name: &str,
        index_type: IndexType,
        collection_index_type: CollectionIndexType,
        expression: &Expression,
    ) -> Result<IndexTask> {
        self.create_index(
            namespace,
            IndexDef {
                name: index_name.to_string(),
                set_name: set_name.to_string(),
                bin_name: String::new(),
                ctx: IndexCtx::default(),
                exp: Some(IndexExp::of(expression)),
                index_type,
                collection: collection_index_type,
            },
        )
    }

    /// Register `def` (checked), persist it, and start its build.
    pub(crate) fn create_index(&self, namespace: &str, def: IndexDef) -> Result<IndexTask> {
        let ns = self.ns_named(namespace)?.clone();
        let name = def.name.clone();
        let (ix, fresh) = ns.sindexes.create(def)?;
        if fresh {
            if let Err(e) = save(&ns) {
                // Nothing half-built: the index leaves with its definition.
                let _ = ns.sindexes.drop_index(&name);
                return Err(e);
            }
        }
        let inner = self.inner.clone();
        let alive = Box::new(move || !inner.closed.load(Ordering::Acquire));
        IndexTask::start(ns, ix, fresh, alive)
    }

    /// Drop index `index_name` (201 when there is none, SIDX-DROP-MISSING).
    pub fn drop_index(
        &self,
        _policy: &AdminPolicy,
        namespace: &str,
        _set_name: &str,
        index_name: &str,
    ) -> Result<()> {
        let ns = self.ns_named(namespace)?;
        ns.sindexes.drop_index(index_name)?;
        save(ns)
    }

    /// Every index of `namespace` with its build progress and entry count, in creation order
    /// (what the wire server's `sindex-list` / `sindex-stat` answer).
    #[cfg(feature = "server")]
    pub(crate) fn index_list(&self, namespace: &str) -> Result<Vec<IndexState>> {
        let ns = self.ns_named(namespace)?;
        Ok(ns
            .sindexes
            .indexes()
            .iter()
            .map(|ix| IndexState {
                def: ix.def.clone(),
                load_pct: ix.load_pct.load(Ordering::Acquire),
                entries: ix.tree.len() as u64,
            })
            .collect())
    }
}

/// One index as `Database::index_list` reports it.
#[cfg(feature = "server")]
#[derive(Debug, Clone)]
pub(crate) struct IndexState {
    /// Definition.
    pub def: IndexDef,
    /// Percent of the namespace the build has visited (100 = queries can use it).
    pub load_pct: u8,
    /// Entries (keys × records) in the index.
    pub entries: u64,
}
