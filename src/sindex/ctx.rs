//! The CDT context of an index (SIDX-CTX-1): the path from a bin to the nested element an
//! index covers (`create_index_on_bin(…, Some(&[CTX::map_key("a")]))`). The element is found
//! the way a CDT read op finds it (`cdt::context::apply` with `modify` false), so an index and a
//! filter expression on the same path select the same element.
//!
//! A context is kept in its packed form, the one the official clients send: a msgpack array of
//! `(type id, value)` pairs (ids 0x10 list index, 0x11 list rank, 0x13 list value, 0x20 map
//! index, 0x21 map rank, 0x22 map key, 0x23 map value). Equality of two contexts is equality of
//! the packed bytes. Creating steps (`map_key_create`, `list_index_create`) are stored as their
//! reading steps: an index never creates anything.
//!
//! Invariants: `packed` is the packing of `steps` (asserted in `of`); a context that passed
//! `validate` decodes from its packed bytes to the same steps (asserted there), is at most
//! `MAX_STEPS` steps and `MAX_PACKED` bytes; `select` never panics on any bin value.

use crate::cdt::context::{apply, CTX};
use crate::error::{Error, Result, ResultCode};
use crate::format::pack::{pack, unpack};
use crate::format::particle::Reader;
use crate::record::value::{List, Value};

/// Most steps in an index context (the nesting bound of a packed value).
pub const MAX_STEPS: usize = 16;
/// Most packed bytes of an index context (it is stored with a 2-byte length).
pub const MAX_PACKED: usize = u16::MAX as usize;

/// An index's (or a filter's) context; empty = the bin's value itself.
#[derive(Debug, Clone, Default)]
pub struct IndexCtx {
    steps: Vec<CTX>,
    packed: Vec<u8>,
}

impl PartialEq for IndexCtx {
    fn eq(&self, other: &IndexCtx) -> bool {
        self.packed == other.packed
    }
}

impl Eq for IndexCtx {}

/// The type id and value of a reading step (creating steps lose their create flags).
fn step_to_pair(c: &CTX) -> (i64, Value) {
    match c {
        CTX::ListIndex(i) | CTX::ListIndexCreate(i, ..) => (0x10, Value::Int(*i)),
        CTX::ListRank(r) => (0x11, Value::Int(*r)),
        CTX::ListValue(v) => (0x13, v.clone()),
        CTX::MapIndex(i) => (0x20, Value::Int(*i)),
        CTX::MapRank(r) => (0x21, Value::Int(*r)),
        CTX::MapKey(k) | CTX::MapKeyCreate(k, _) => (0x22, k.clone()),
        CTX::MapValue(v) => (0x23, v.clone()),
    }
}

fn pair_to_step(id: i64, v: Value) -> Option<CTX> {
    Some(match id {
        0x10 => CTX::ListIndex(v.as_int()?),
        0x11 => CTX::ListRank(v.as_int()?),
        0x13 => CTX::ListValue(v),
        0x20 => CTX::MapIndex(v.as_int()?),
        0x21 => CTX::MapRank(v.as_int()?),
        0x22 => CTX::MapKey(v),
        0x23 => CTX::MapValue(v),
        _ => return None,
    })
}

fn bad(what: String) -> Error {
    Error::new(ResultCode::ParameterError, what)
}

impl IndexCtx {
    /// The context of `steps` (creating steps become reading ones); not yet validated.
    pub fn of(steps: &[CTX]) -> IndexCtx {
        if steps.is_empty() {
            return IndexCtx::default();
        }
        let mut items = Vec::with_capacity(steps.len() * 2);
        let mut read_steps = Vec::with_capacity(steps.len());
        for s in steps {
            let (id, v) = step_to_pair(s);
            items.push(Value::Int(id));
            items.push(v.clone());
            read_steps.push(pair_to_step(id, v).expect("every id step_to_pair makes is known"));
        }
        let mut packed = Vec::new();
        pack(
            &Value::List(List {
                order: Default::default(),
                items,
            }),
            &mut packed,
        );
        assert!(!packed.is_empty(), "a packed non-empty context has bytes");
        IndexCtx {
            steps: read_steps,
            packed,
        }
    }

    /// The context stored as `packed` (the definitions file); `None` when it does not decode.
    pub fn from_packed(packed: &[u8]) -> Option<IndexCtx> {
        if packed.is_empty() {
            return Some(IndexCtx::default());
        }
        let mut r = Reader::new(packed);
        let Ok(Value::List(l)) = unpack(&mut r, 0) else {
            return None;
        };
        if r.remaining() != 0 || l.items.is_empty() || l.items.len() % 2 != 0 {
            return None;
        }
        let mut steps = Vec::with_capacity(l.items.len() / 2);
        let mut it = l.items.into_iter();
        while let (Some(id), Some(v)) = (it.next(), it.next()) {
            steps.push(pair_to_step(id.as_int()?, v)?);
        }
        let ctx = IndexCtx::of(&steps);
        (ctx.packed == packed).then_some(ctx)
    }

    /// SIDX-CTX-1 bad input (ParameterError 4): more than `MAX_STEPS` steps, more than
    /// `MAX_PACKED` bytes, or a step value that cannot be stored (WILDCARD, INFINITY).
    pub fn validate(&self) -> Result<()> {
        if self.steps.len() > MAX_STEPS {
            return Err(bad(format!(
                "an index context of {} steps exceeds {MAX_STEPS} (SIDX-CTX-1)",
                self.steps.len()
            )));
        }
        if self.packed.len() > MAX_PACKED {
            return Err(bad(format!(
                "an index context of {} packed bytes exceeds {MAX_PACKED} (SIDX-CTX-1)",
                self.packed.len()
            )));
        }
        if IndexCtx::from_packed(&self.packed).as_ref() != Some(self) {
            return Err(bad(
                "an index context step holds a value that cannot be stored (WILDCARD or \
                 INFINITY); name the element by an exact value (SIDX-CTX-1)"
                    .into(),
            ));
        }
        Ok(())
    }

    /// No step: the index covers the bin's value itself.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// The packed bytes (empty for an empty context).
    pub fn packed(&self) -> &[u8] {
        &self.packed
    }

    /// The element the context selects in `bin` (a clone); `None` when a step selects
    /// nothing, meets a value of another type, or the element is nil (CTX-NOT-FOUND,
    /// CTX-STEP-TYPE, CTX-BIN-TYPE: the record is simply not in the index).
    pub fn select(&self, bin: &Value) -> Option<Value> {
        assert!(!self.is_empty(), "select is for a non-empty context");
        let mut slot = Some(bin.clone());
        let leaf = |s: &mut Option<Value>| Ok(s.clone().unwrap_or(Value::Nil));
        match apply(&mut slot, &self.steps, false, &leaf) {
            Ok(Value::Nil) | Err(_) => None,
            Ok(v) => Some(v),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::value::Map;

    #[test]
    fn sidx_ctx_1_packs_reads_and_selects() {
        let ctx = IndexCtx::of(&[CTX::map_key("a"), CTX::list_index(1)]);
        // [0x22, "a", 0x10, 1]: fixarray 4, 0x22, str of 2 bytes (type 3, 'a'), 0x10, 1.
        assert_eq!(ctx.packed(), &[0x94, 0x22, 0xa2, 3, b'a', 0x10, 1]);
        assert_eq!(IndexCtx::from_packed(ctx.packed()), Some(ctx.clone()));
        ctx.validate().expect("valid");
        let inner = Value::List(List {
            order: Default::default(),
            items: vec![Value::Int(5), Value::Int(6)],
        });
        let bin = Value::Map(Map {
            order: Default::default(),
            entries: vec![(Value::from("a"), inner)],
        });
        assert_eq!(ctx.select(&bin), Some(Value::Int(6)));
        assert_eq!(ctx.select(&Value::Int(3)), None, "not a container");
        let missing = IndexCtx::of(&[CTX::map_key("b")]);
        assert_eq!(missing.select(&bin), None);
        let creating = IndexCtx::of(&[CTX::map_key_create("a", Default::default())]);
        assert_eq!(creating, IndexCtx::of(&[CTX::map_key("a")]), "read form");
        let wild = IndexCtx::of(&[CTX::map_value(Value::Wildcard)]);
        assert_eq!(
            wild.validate().map_err(|e| e.code()),
            Err(ResultCode::ParameterError)
        );
        assert_eq!(IndexCtx::from_packed(&[0x94, 0x22]), None, "truncated");
    }
}
