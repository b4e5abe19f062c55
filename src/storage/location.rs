//! Where a record image lives: a storage address. Its meaning belongs to the backend (for the
//! device store: write-block number and byte offset in the block; for memory storage: shard and
//! slot). The index stores it; storage defines it, so storage never imports the index for it.

/// Where a record image lives (backend-defined: block and offset, or shard and slot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Location {
    /// Block (or shard) number.
    pub block: u32,
    /// Byte offset (or slot).
    pub offset: u32,
}
