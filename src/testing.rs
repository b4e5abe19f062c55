//! White-box access for aerolite's own tests, fuzz targets and tools (feature `testing`, which
//! `cargo test` turns on through the crate's dev-dependency on itself). Not a stable API: an
//! embedder never needs it, and nothing here is in the documentation.

use crate::engine::Namespace;
use crate::Database;
use std::sync::Arc;

/// A namespace's engine, for tests that drive step functions or hold record locks directly.
pub fn namespace<'a>(db: &'a Database, name: &str) -> Option<&'a Arc<Namespace>> {
    db.namespace(name)
}
