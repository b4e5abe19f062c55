//! Contexts: addressing a map or list nested inside a bin (cdt.md §10, CTX-* rows).
//!
//! [`apply`] walks the steps from the bin's value down, takes the selected element out of its
//! parent, lets the op transform it, and puts it back (an enclosing ordered list re-sorts it,
//! CTX-APPLY). Creating steps (`map_key_create`, `list_index_create`) create missing levels in
//! modify ops only (CTX-CREATE); levels created for an op that ends as a no-op are dropped again,
//! so no empty parents are left behind (the DEV-2 rule, applied through contexts).

use crate::cdt::list;
use crate::cdt::normalize::is_valid_key;
use crate::cdt::select::{rank_order, single_pos, ListElems, MapElems};
use crate::error::{err, Result, ResultCode};
use crate::ops::Operation;
use crate::record::order::compare;
use crate::record::value::{List, ListOrderType, Map, MapOrder, Value};

/// One context step (CTX-PATH, CTX-CREATE). Named as in the official clients' `CTX`.
#[derive(Debug, Clone)]
#[allow(clippy::upper_case_acronyms)]
pub enum CTX {
    /// `map_key(k)`.
    MapKey(Value),
    /// `map_key_create(k, order)`: `order` is given to a map this step has to create.
    MapKeyCreate(Value, MapOrder),
    /// `map_index(i)`, key order.
    MapIndex(i64),
    /// `map_rank(r)`.
    MapRank(i64),
    /// `map_value(v)`: the lowest-ranked entry whose value equals `v`.
    MapValue(Value),
    /// `list_index(i)`.
    ListIndex(i64),
    /// `list_index_create(i, order, pad)`.
    ListIndexCreate(i64, ListOrderType, bool),
    /// `list_rank(r)`.
    ListRank(i64),
    /// `list_value(v)`: the lowest-ranked element equal to `v`.
    ListValue(Value),
}

impl CTX {
    /// Select the entry with key `k`.
    pub fn map_key(k: impl Into<Value>) -> CTX {
        CTX::MapKey(k.into())
    }
    /// Select the entry with key `k`, creating it in modify ops.
    pub fn map_key_create(k: impl Into<Value>, order: MapOrder) -> CTX {
        CTX::MapKeyCreate(k.into(), order)
    }
    /// Select the entry at index `i` (key order).
    pub fn map_index(i: i64) -> CTX {
        CTX::MapIndex(i)
    }
    /// Select the entry of rank `r`.
    pub fn map_rank(r: i64) -> CTX {
        CTX::MapRank(r)
    }
    /// Select the lowest-ranked entry whose value equals `v`.
    pub fn map_value(v: impl Into<Value>) -> CTX {
        CTX::MapValue(v.into())
    }
    /// Select the element at index `i`.
    pub fn list_index(i: i64) -> CTX {
        CTX::ListIndex(i)
    }
    /// Select the element at index `i`, creating the position in modify ops.
    pub fn list_index_create(i: i64, order: ListOrderType, pad: bool) -> CTX {
        CTX::ListIndexCreate(i, order, pad)
    }
    /// Select the element of rank `r`.
    pub fn list_rank(r: i64) -> CTX {
        CTX::ListRank(r)
    }
    /// Select the lowest-ranked element equal to `v`.
    pub fn list_value(v: impl Into<Value>) -> CTX {
        CTX::ListValue(v.into())
    }

    fn is_map_step(&self) -> bool {
        matches!(
            self,
            CTX::MapKey(_)
                | CTX::MapKeyCreate(..)
                | CTX::MapIndex(_)
                | CTX::MapRank(_)
                | CTX::MapValue(_)
        )
    }

    fn is_creating(&self) -> bool {
        matches!(self, CTX::MapKeyCreate(..) | CTX::ListIndexCreate(..))
    }

    /// The same step made creating (M-CREATE, L-CREATE); other steps are returned unchanged.
    pub fn made_creating(&self, pad: bool) -> CTX {
        match self {
            CTX::MapKey(k) => CTX::MapKeyCreate(k.clone(), MapOrder::Unordered),
            CTX::ListIndex(i) => CTX::ListIndexCreate(*i, ListOrderType::Unordered, pad),
            other => other.clone(),
        }
    }

    /// The empty container this step indexes into, when a level has to be created for it
    /// (CTX-CREATE: it gets the step's order); `None` when this step cannot follow a creation.
    fn new_container(&self, after_create: bool) -> Option<Value> {
        match self {
            CTX::MapKeyCreate(_, order) => Some(Value::Map(Map {
                order: *order,
                entries: Vec::new(),
            })),
            CTX::MapKey(_) if after_create => Some(Value::Map(Map::default())),
            CTX::ListIndexCreate(i, order, pad)
                if *i == 0
                    || *i == -1
                    || (*i > 0 && (*pad || *order == ListOrderType::Ordered)) =>
            {
                Some(Value::List(List {
                    order: *order,
                    items: Vec::new(),
                }))
            }
            CTX::ListIndex(0 | -1) if after_create => Some(Value::List(List::default())),
            _ => None,
        }
    }
}

/// Attach a context to a CDT op (the official client's `set_context`); no effect on other ops.
impl Operation {
    /// Address the op at the element `ctx` selects (cdt.md §10).
    pub fn set_context(self, ctx: &[CTX]) -> Operation {
        match self {
            Operation::Cdt(c) => Operation::Cdt(c.with_context(ctx.to_vec())),
            other => other,
        }
    }
}

/// The leaf op, applied to the selected element's slot.
pub type Leaf<'a> = dyn Fn(&mut Option<Value>) -> Result<Value> + 'a;

fn na<T>(why: impl Into<String>) -> Result<T> {
    err(ResultCode::OpNotApplicable, why)
}

/// Apply `leaf` at the element `steps` select in the bin `slot` (CTX-APPLY).
pub fn apply(
    slot: &mut Option<Value>,
    steps: &[CTX],
    modify: bool,
    leaf: &Leaf<'_>,
) -> Result<Value> {
    let Some(first) = steps.first() else {
        return leaf(slot);
    };
    match slot {
        None if !modify => Ok(Value::Nil), // CTX-READ-ABSENT
        None => {
            let Some(mut container) = first
                .is_creating()
                .then(|| first.new_container(true))
                .flatten()
            else {
                return na("modify with a context on an absent bin needs a creating first step (CTX-ABSENT-BIN)");
            };
            let (result, present) = descend(&mut container, steps, modify, true, leaf)?;
            if present {
                *slot = Some(container);
            }
            Ok(result)
        }
        Some(v @ (Value::Map(_) | Value::List(_))) => {
            let was_map = matches!(v, Value::Map(_));
            let result = descend(v, steps, modify, false, leaf)?.0;
            // Contexts change what is inside the bin, never the bin's own container type.
            assert_eq!(
                matches!(v, Value::Map(_)),
                was_map,
                "a context keeps the bin's type"
            );
            Ok(result)
        }
        Some(other) => err(
            ResultCode::ParameterError,
            format!(
                "a context on a {:?} bin (CTX-BIN-TYPE)",
                other.particle_type()
            ),
        ),
    }
}

/// Where a step landed in its container.
enum Found {
    At(usize),
    /// Missing; create at this position (map: insert position; list: index, maybe past the end).
    Create(usize),
}

/// Walk `steps` inside `container` (a map or list). Returns the result and whether the selected
/// element exists afterwards (false only when a created path ended without its element).
fn descend(
    container: &mut Value,
    steps: &[CTX],
    modify: bool,
    after_create: bool,
    leaf: &Leaf<'_>,
) -> Result<(Value, bool)> {
    let Some((step, rest)) = steps.split_first() else {
        let mut slot = Some(std::mem::take(container));
        let result = leaf(&mut slot)?;
        if let Some(v) = slot {
            *container = v;
        }
        return Ok((result, true));
    };
    let found = locate(container, step, modify, after_create)?;
    let len = match &*container {
        Value::Map(m) => m.entries.len(),
        Value::List(l) => l.items.len(),
        _ => 0,
    };
    match found {
        Found::At(i) => assert!(
            i < len,
            "a found element {i} lies inside its container of {len}"
        ),
        Found::Create(i) => assert!(
            i <= len.max(crate::cdt::MAX_PAD),
            "a creation position is a search result or a bounded pad"
        ),
    }
    let (child_slot, pos, created) = match (&found, &mut *container) {
        (Found::At(i), Value::Map(m)) => (Some(std::mem::take(&mut m.entries[*i].1)), *i, false),
        (Found::At(i), Value::List(l)) => (Some(std::mem::take(&mut l.items[*i])), *i, false),
        (Found::Create(i), _) => (None, *i, true),
        _ => return na("context step on a non-container (CTX-STEP-TYPE)"),
    };
    let mut child = child_slot;
    let (result, present) =
        match rest.first() {
            None => {
                let r = leaf(&mut child)?;
                let p = child.is_some();
                (r, p)
            }
            Some(next) => match child.take() {
                Some(mut c @ (Value::Map(_) | Value::List(_))) => {
                    let (r, _) = descend(&mut c, rest, modify, false, leaf)?;
                    child = Some(c);
                    (r, true)
                }
                Some(_) => return na(
                    "context step meets a value that is neither a list nor a map (CTX-STEP-TYPE)",
                ),
                None => {
                    let Some(mut c) = next.new_container(true) else {
                        return na(
                            "after a creating step, each step must create its level (CTX-CREATE)",
                        );
                    };
                    let (r, p) = descend(&mut c, rest, modify, true, leaf)?;
                    if p {
                        child = Some(c);
                    }
                    (r, p)
                }
            },
        };
    put_back(container, step, pos, created, child);
    Ok((result, present))
}

/// Find the element a step selects (CTX-PATH, CTX-NOT-FOUND, CTX-STEP-TYPE, CTX-CREATE).
fn locate(container: &Value, step: &CTX, modify: bool, after_create: bool) -> Result<Found> {
    let creating = modify && (step.is_creating() || after_create);
    match (container, step.is_map_step()) {
        (Value::Map(m), true) => {
            let n = m.entries.len();
            let e = MapElems(&m.entries);
            let hit = match step {
                CTX::MapKey(k) | CTX::MapKeyCreate(k, _) => {
                    match m.entries.binary_search_by(|(ek, _)| compare(ek, k)) {
                        Ok(i) => Some(i),
                        Err(i) if creating && is_valid_key(k) => return Ok(Found::Create(i)),
                        Err(_) => None,
                    }
                }
                CTX::MapIndex(i) => single_pos(*i, n),
                CTX::MapRank(r) => single_pos(*r, n).map(|p| rank_order(&e)[p]),
                CTX::MapValue(v) => m.entries.iter().position(|(_, x)| x == v),
                _ => None,
            };
            hit.map(Found::At).map_or_else(
                || {
                    na(format!(
                        "context step {step:?} selects nothing (CTX-NOT-FOUND)"
                    ))
                },
                Ok,
            )
        }
        (Value::List(l), false) => {
            let n = l.items.len();
            let hit = match step {
                CTX::ListIndex(i) | CTX::ListIndexCreate(i, ..) => match single_pos(*i, n) {
                    Some(p) => Some(p),
                    None if creating => return list_create_pos(l, step, after_create),
                    None => None,
                },
                CTX::ListRank(r) => single_pos(*r, n).map(|p| rank_order(&ListElems(&l.items))[p]),
                CTX::ListValue(v) => l.items.iter().position(|x| x == v),
                _ => None,
            };
            hit.map(Found::At).map_or_else(
                || {
                    na(format!(
                        "context step {step:?} selects nothing (CTX-NOT-FOUND)"
                    ))
                },
                Ok,
            )
        }
        (Value::Map(_), false) => na("a list context step meets a map (CTX-STEP-TYPE)"),
        (Value::List(_), true) => na("a map context step meets a list (CTX-STEP-TYPE)"),
        _ => na("context step on a non-container (CTX-STEP-TYPE)"),
    }
}

/// CTX-CREATE for a missing list position.
fn list_create_pos(l: &List, step: &CTX, after_create: bool) -> Result<Found> {
    let n = l.items.len() as i128;
    let (i, pad) = match step {
        CTX::ListIndexCreate(i, _, pad) => (i128::from(*i), *pad),
        CTX::ListIndex(i) if after_create => (i128::from(*i), false),
        _ => return na("list_index selects nothing (CTX-NOT-FOUND)"),
    };
    let ok = if l.order == ListOrderType::Ordered {
        true
    } else {
        i == n || (i == -1 && n == 0) || (i > n && pad)
    };
    if !ok {
        return na(format!(
            "list_index_create({i}) cannot create on {n} elements (CTX-CREATE)"
        ));
    }
    if i > crate::cdt::MAX_PAD as i128 {
        return err(
            ResultCode::ParameterError,
            "context index pads beyond the size limit",
        );
    }
    let pos = if i < 0 { n as usize } else { i as usize };
    debug_assert!(
        l.order == ListOrderType::Ordered || pos >= l.items.len(),
        "an unordered list creates only at or past its end"
    );
    Ok(Found::Create(pos))
}

/// Store the (possibly new) child back (CTX-APPLY); an ordered list parent re-sorts it.
fn put_back(container: &mut Value, step: &CTX, pos: usize, created: bool, child: Option<Value>) {
    let Some(child) = child else {
        return;
    };
    match container {
        Value::Map(m) => {
            if created {
                debug_assert!(
                    matches!(step, CTX::MapKey(_) | CTX::MapKeyCreate(..)),
                    "only key steps create map entries"
                );
                let key = match step {
                    CTX::MapKey(k) | CTX::MapKeyCreate(k, _) => k.clone(),
                    _ => return,
                };
                assert!(
                    pos <= m.entries.len(),
                    "a map insert position is a search result"
                );
                m.entries.insert(pos, (key, child));
                debug_assert!(
                    crate::cdt::normalize::map_is_canonical(m),
                    "a created context entry keeps the keys sorted (CH-MAP-KEY-ORDER)"
                );
            } else {
                m.entries[pos].1 = child;
            }
        }
        Value::List(l) => {
            if !created {
                l.items[pos] = child;
                if l.order == ListOrderType::Ordered {
                    let v = l.items.remove(pos);
                    list::insert_sorted(&mut l.items, v);
                }
            } else if l.order == ListOrderType::Ordered {
                list::insert_sorted(&mut l.items, child);
            } else {
                if pos > l.items.len() {
                    l.items.resize(pos, Value::Nil);
                }
                l.items.insert(pos, child);
            }
        }
        _ => {}
    }
}
