//! White-box access for aerolite's own tests, fuzz targets and tools (feature `testing`, which
//! `cargo test` turns on through the crate's dev-dependency on itself). Not a stable API: an
//! embedder never needs it, and nothing here is in the documentation.

use crate::engine::Namespace;
use crate::error::Result;
use crate::query::{ExecuteTask, PartitionFilter, Statement};
use crate::{Database, Operation, WritePolicy};
use std::sync::Arc;

/// A namespace's engine, for tests that drive step functions or hold record locks directly.
pub fn namespace<'a>(db: &'a Database, name: &str) -> Option<&'a Arc<Namespace>> {
    db.namespace(name)
}

/// `Database::query_operate`, running `before_write` inside the task just before each record's
/// gen-checked write (to change a record between the task's read and its write).
pub fn query_operate_with_hook(
    db: &Database,
    policy: &WritePolicy,
    partition_filter: PartitionFilter,
    statement: Statement,
    ops: &[Operation],
    before_write: impl Fn() + Send + 'static,
) -> Result<ExecuteTask> {
    db.query_operate_hooked(
        policy,
        partition_filter,
        statement,
        ops,
        Some(Box::new(before_write)),
    )
}
