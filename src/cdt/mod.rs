//! Collection data types: map and list operations (cdt.md).
//!
//! The engine sees a CDT op only through [`CdtOperation`]: which bin it targets, whether it
//! modifies, and `apply`, which transforms the bin's working value in place and returns the op's
//! result value (Nil when it has none). Atomicity is the engine's job: a failed op discards the
//! whole working copy (OP-ATOMIC), so `apply` may leave the slot in any state on error.
//!
//! Layout: the one value order (§1) lives with the values (`record::order`); `normalize`
//! (canonical stored form), `select` and `result` (selectors and return types, §3–§4), `map` and `list` (the ops, §5–§6), `context`
//! (nested addressing, §10), `builders` (the `operations::maps` / `operations::lists` API),
//! `packed` (the offset index over a packed map or list that `map::inplace` and `list::inplace`
//! run the hot ops on, issue 16 point 4).
//!
//! Check order inside one op (an interpretation; cdt.md fixes no order between these): parameter
//! checks that need no bin first (4 for bad payloads, keys, deltas, return types; 26 for map-only
//! return types on lists and Inverted on single selectors), then the bin / context type (12, 4,
//! 26), then the op's own rules.
//!
//! Key-ordered maps: every map is kept sorted by key (M-ORDER-SEMANTICS), so by-key lookup is a
//! binary search over the decoded entries, O(log n) (see `map`).

pub mod builders;
pub mod context;
pub mod list;
pub mod map;
pub mod normalize;
pub mod number;
pub mod packed;
pub mod policy;
pub mod result;
pub mod return_type;
pub mod select;

use crate::error::{err, Result, ResultCode};
use crate::format::particle::MAX_DEPTH;
use crate::record::value::Value;
use context::CTX;
use list::ListOp;
use map::MapOp;

/// Largest list position an insert, set, increment or context step may pad up to. Far beyond
/// any record that fits `max_record_size`; a larger index is a parameter error (4) rather than
/// an attempt to allocate the padding.
pub const MAX_PAD: usize = 1 << 20;

/// A map op or a list op.
#[derive(Debug, Clone)]
pub enum CdtOp {
    /// cdt.md §5.
    Map(MapOp),
    /// cdt.md §6.
    List(ListOp),
}

/// One map or list operation inside an operate.
#[derive(Debug, Clone)]
pub struct CdtOperation {
    bin: String,
    ctx: Vec<CTX>,
    op: CdtOp,
}

impl CdtOperation {
    /// An op on `bin` without a context.
    pub fn new(bin: &str, op: CdtOp) -> CdtOperation {
        CdtOperation {
            bin: bin.to_string(),
            ctx: Vec::new(),
            op,
        }
    }

    /// The same op addressed through a context (§10). M-CREATE / L-CREATE make the last step
    /// creating.
    pub fn with_context(mut self, ctx: Vec<CTX>) -> CdtOperation {
        self.ctx = ctx;
        let pad = match &self.op {
            CdtOp::List(ListOp::Create(_, pad)) => Some(*pad),
            CdtOp::Map(MapOp::Create(_)) => Some(false),
            _ => None,
        };
        if let (Some(pad), Some(last)) = (pad, self.ctx.last_mut()) {
            *last = last.made_creating(pad);
        }
        self
    }

    /// The bin the op addresses.
    pub fn bin(&self) -> &str {
        &self.bin
    }

    /// The map op, if this is one.
    pub fn map_op(&self) -> Option<&MapOp> {
        match &self.op {
            CdtOp::Map(m) => Some(m),
            CdtOp::List(_) => None,
        }
    }

    /// The list op, if this is one.
    pub fn list_op(&self) -> Option<&ListOp> {
        match &self.op {
            CdtOp::List(l) => Some(l),
            CdtOp::Map(_) => None,
        }
    }

    /// The context steps, outermost first.
    pub fn context(&self) -> &[CTX] {
        &self.ctx
    }

    /// Whether the op may modify the bin (decides OP-PATH and WP-06c).
    pub fn is_modify(&self) -> bool {
        match &self.op {
            CdtOp::Map(m) => m.is_modify(),
            CdtOp::List(l) => l.is_modify(),
        }
    }

    /// Apply to the bin's working value (`None` = bin absent). On return the slot holds the new
    /// bin value (`None` = bin absent, e.g. CDT-ABSENT-NOOP). Returns the op's result value.
    pub fn apply(&self, slot: &mut Option<Value>) -> Result<Value> {
        // The element a context selects sits at nesting ctx.len() of the bin value; the decoder
        // accepts at most MAX_DEPTH, so deeper paths (and operands reaching deeper) are refused.
        let depth = self.ctx.len();
        if depth > MAX_DEPTH {
            return err(
                ResultCode::ParameterError,
                format!("context of {depth} steps; at most {MAX_DEPTH}"),
            );
        }
        let leaf = |s: &mut Option<Value>| match &self.op {
            CdtOp::Map(m) => m.apply(s, depth),
            CdtOp::List(l) => l.apply(s, depth),
        };
        if self.ctx.is_empty() {
            leaf(slot)
        } else {
            context::apply(slot, &self.ctx, self.is_modify(), &leaf)
        }
    }
}
