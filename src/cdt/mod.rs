//! Collection data types: map and list operations (cdt.md).
//!
//! The engine sees a CDT op only through [`CdtOperation`]: which bin it targets, whether it
//! modifies, and `apply`, which transforms the bin's working value in place and returns the op's
//! result value (Nil when it has none). Atomicity is the engine's job: a failed op discards the
//! whole working copy (OP-ATOMIC), so `apply` may leave the slot in any state on error.

pub mod order;

use crate::error::{err, Result, ResultCode};
use crate::record::value::Value;

/// One map or list operation inside an operate.
#[derive(Debug, Clone)]
pub struct CdtOperation {
    bin: String,
}

impl CdtOperation {
    /// The bin the op addresses.
    pub fn bin(&self) -> &str {
        &self.bin
    }

    /// Whether the op may modify the bin (decides OP-PATH and WP-06c).
    pub fn is_modify(&self) -> bool {
        false
    }

    /// Apply to the bin's working value (`None` = bin absent). On return the slot holds the new
    /// bin value (`None` = bin absent, e.g. CDT-ABSENT-NOOP). Returns the op's result value.
    pub fn apply(&self, _slot: &mut Option<Value>) -> Result<Value> {
        err(
            ResultCode::UnsupportedFeature,
            "CDT operations are not built yet",
        )
    }
}
