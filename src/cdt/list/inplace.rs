//! List ops on the packed bytes of a list particle (issue 16 point 4): by-index reads decode only
//! the elements they return, an append, insert, set, increment or remove is one splice of the
//! bytes plus a patch of the count header; an ordered list is searched by value with a binary
//! search. The list is never decoded as a whole.
//!
//! Invariants (checked by `assert_valid` after every change, the decode in debug builds):
//! - `spans` holds a whole list particle exactly as `particle::encode` writes the list it holds
//!   (`from_particle` accepts only bytes that re-encode identically, and every splice inserts
//!   `pack` output), so results and bytes equal the decode / modify / encode path;
//! - an ordered list's elements are ascending by `record::order::compare`, an equal value after
//!   its equals (L-ORDER-ORDERED, CH-RANK-TIES).
//!
//! Only the hot ops run here; [`PackedList::apply`] answers `None` for every other op (and for
//! flags such as AddUnique on an unordered list, padding beyond the end, rank return types,
//! Inverted) and the caller falls back to the decoded path.

use super::write::{increment_pos, resolve_index, screen_ordered, Screen};
use super::ListOp;
use crate::cdt::number;
use crate::cdt::packed::{Header, Spans};
use crate::cdt::policy::ListWriteFlags;
use crate::cdt::result::select_and_build;
use crate::cdt::return_type::{Base, ReturnType};
use crate::cdt::select::{pick, Elements, Picked, Selector};
use crate::error::Result;
use crate::format::pack;
use crate::format::particle::{self, Reader};
use crate::record::order::compare;
use crate::record::value::{ListOrderType, Value};
use std::cmp::Ordering;
use std::ops::Range;

/// A list particle with its element offset index.
#[derive(Debug, Clone)]
pub struct PackedList {
    spans: Spans,
    order: ListOrderType,
}

impl PackedList {
    /// Index a list particle (tag byte included). `None` unless the bytes are a list that
    /// re-encodes to exactly these bytes (any other encoding stays on the decoded path).
    pub fn from_particle(bytes: Vec<u8>) -> Option<PackedList> {
        let Ok(Value::List(l)) = particle::decode_all(&bytes) else {
            return None;
        };
        let mut again = Vec::with_capacity(bytes.len());
        particle::encode(&Value::List(l.clone()), &mut again);
        if again != bytes {
            return None;
        }
        let ordered = l.order == ListOrderType::Ordered;
        let header = Header::list(ordered);
        let first = 1 + header.len(l.items.len()) + 3 * usize::from(ordered);
        let spans = Spans::new(bytes, header, first, l.items.iter().map(pack::packed_len))?;
        let p = PackedList {
            spans,
            order: l.order,
        };
        p.assert_valid();
        Some(p)
    }

    /// The particle bytes (tag byte included).
    pub fn bytes(&self) -> &[u8] {
        self.spans.bytes()
    }

    /// Element count.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No elements.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn assert_valid(&self) {
        self.spans.assert_valid();
        debug_assert!(
            matches!(particle::decode_all(self.bytes()), Ok(Value::List(l))
                if l.items.len() == self.len() && l.order == self.order),
            "the packed bytes decode to a list of n elements (an ordered one sorted)"
        );
    }

    fn item(&self, i: usize) -> Value {
        let mut r = Reader::new(self.spans.span(i));
        pack::unpack(&mut r, 1).expect("packed elements decode (invariant)")
    }

    fn items(&self, r: Range<usize>) -> Vec<Value> {
        let mut rd = Reader::new(self.spans.spans(r.clone()));
        r.map(|_| pack::unpack(&mut rd, 1).expect("packed elements decode (invariant)"))
            .collect()
    }

    /// First position whose element is not `below(element)` (elements sorted: a binary search).
    fn partition(&self, below: impl Fn(Ordering) -> bool, v: &Value) -> usize {
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if below(compare(&self.item(mid), v)) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        lo
    }

    /// Positions of the elements equal to `v` in an ordered list.
    fn equal_range(&self, v: &Value) -> Range<usize> {
        debug_assert_eq!(self.order, ListOrderType::Ordered, "a sorted list");
        let lo = self.partition(|o| o == Ordering::Less, v);
        let hi = self.partition(|o| o != Ordering::Greater, v);
        lo..hi.max(lo)
    }

    fn insert_values(&mut self, i: usize, items: &[&Value]) -> Option<()> {
        let mut buf = Vec::new();
        let mut lens = Vec::with_capacity(items.len());
        for v in items {
            let at = buf.len();
            pack::pack(v, &mut buf);
            lens.push(buf.len() - at);
        }
        self.spans.insert(i, &buf, &lens)
    }

    /// Insert `v` after its equals in an ordered list (CH-RANK-TIES), as `insert_sorted` does.
    fn insert_sorted(&mut self, v: &Value) -> Option<()> {
        let at = self.partition(|o| o != Ordering::Greater, v);
        self.insert_values(at, &[v])
    }

    fn replace(&mut self, i: usize, v: &Value) -> Option<()> {
        let mut b = Vec::with_capacity(pack::packed_len(v));
        pack::pack(v, &mut b);
        self.spans.replace(i, 0, &b)
    }

    /// Apply a list op without a context, as `ListOp::apply` does on the decoded list. `None`:
    /// the op is not one of the in-place ops, or an operand is too large; the list may then
    /// have been partly changed and must be discarded (the caller re-runs the request decoded).
    pub fn apply(&mut self, op: &ListOp) -> Option<Result<Value>> {
        let op = match op.prepared(0) {
            Ok(op) => op,
            Err(e) => return Some(Err(e)),
        };
        let size = |l: &PackedList| Value::Int(l.len() as i64);
        let out = match &op {
            ListOp::Size => Ok(None),
            ListOp::Append(p, v) => self.append(p.flags, std::slice::from_ref(v))?,
            ListOp::AppendItems(p, Value::List(l)) => self.append(p.flags, &l.items)?,
            ListOp::Insert(p, i, v) => self.insert(p.flags, *i, std::slice::from_ref(v))?,
            ListOp::InsertItems(p, i, Value::List(l)) => self.insert(p.flags, *i, &l.items)?,
            ListOp::Set(p, i, v) => self.set(p.flags, *i, v)?,
            ListOp::Increment(p, i, d) => self.increment(p.flags, *i, d)?,
            ListOp::Get(sel, rt) => self.select(sel, *rt, false)?.map(Some),
            ListOp::Remove(sel, rt) => self.select(sel, *rt, true)?.map(Some),
            _ => return None,
        };
        self.assert_valid();
        Some(out.map(|v| v.unwrap_or_else(|| size(self))))
    }

    /// §6.3 append / append_items (`write::append_items`). `Ok(None)`: the result is the size.
    fn append(&mut self, flags: ListWriteFlags, items: &[Value]) -> Option<Result<Option<Value>>> {
        if items.is_empty() {
            return Some(Ok(None));
        }
        let ordered = self.order == ListOrderType::Ordered;
        let keep: Vec<&Value> = if flags.contains(ListWriteFlags::AddUnique) {
            if !ordered {
                return None;
            }
            let present = |v: &Value| !self.equal_range(v).is_empty();
            match screen_ordered(&present, flags, items) {
                Ok(Screen::Apply(k)) => k,
                Ok(Screen::NoOp) => return Some(Ok(None)),
                Err(e) => return Some(Err(e)),
            }
        } else {
            items.iter().collect()
        };
        if ordered {
            for v in keep {
                self.insert_sorted(v)?;
            }
        } else {
            self.insert_values(self.len(), &keep)?;
        }
        Some(Ok(None))
    }

    /// §6.4 insert / insert_items within the list (no padding, no AddUnique).
    fn insert(
        &mut self,
        flags: ListWriteFlags,
        i: i64,
        items: &[Value],
    ) -> Option<Result<Option<Value>>> {
        let pos = match resolve_index((self.order, self.len()), flags, i, "insert") {
            Ok(Some(pos)) => pos,
            Ok(None) => return Some(Ok(None)),
            Err(e) => return Some(Err(e)),
        };
        if items.is_empty() {
            return Some(Ok(None));
        }
        if flags.contains(ListWriteFlags::AddUnique) || pos > self.len() {
            return None;
        }
        let keep: Vec<&Value> = items.iter().collect();
        self.insert_values(pos, &keep)?;
        Some(Ok(None))
    }

    /// §6.5 set of an existing element (no AddUnique).
    fn set(&mut self, flags: ListWriteFlags, i: i64, v: &Value) -> Option<Result<Option<Value>>> {
        let pos = match resolve_index((self.order, self.len()), flags, i, "set") {
            Ok(Some(pos)) => pos,
            Ok(None) => return Some(Ok(Some(Value::Nil))),
            Err(e) => return Some(Err(e)),
        };
        if flags.contains(ListWriteFlags::AddUnique) || pos >= self.len() {
            return None;
        }
        self.replace(pos, v)?;
        Some(Ok(Some(Value::Nil)))
    }

    /// §6.6 increment of an existing element (no AddUnique); an ordered list moves it.
    fn increment(
        &mut self,
        flags: ListWriteFlags,
        i: i64,
        delta: &Value,
    ) -> Option<Result<Option<Value>>> {
        let pos = match increment_pos(self.len(), i) {
            Ok(p) => p,
            Err(e) => return Some(Err(e)),
        };
        let p = usize::try_from(pos).ok().filter(|&p| p < self.len())?;
        if flags.contains(ListWriteFlags::AddUnique) {
            return None;
        }
        let new = match number::add(&self.item(p), delta) {
            Ok(v) => v,
            Err(e) => return Some(Err(e)),
        };
        if self.order == ListOrderType::Ordered {
            self.spans.remove(p..p + 1)?;
            self.insert_sorted(&new)?;
        } else {
            self.replace(p, &new)?;
        }
        Some(Ok(Some(new)))
    }

    /// The elements a selector picks, as one range, when it can be found without reading the
    /// other elements: index selectors, and a value on an ordered list (a binary search).
    fn window(&self, sel: &Selector) -> Option<Result<Range<usize>>> {
        let by_len = Window {
            n: self.len(),
            lo: 0,
            vals: Vec::new(),
        };
        match sel {
            Selector::Index(_) | Selector::IndexRange(..) => Some(match pick(&by_len, sel) {
                Ok(Picked::Single(Some(i))) => Ok(i..i + 1),
                Ok(Picked::Multi { set, .. }) => Ok(set.first().map_or(0..0, |&f| f..f + set.len())),
                Ok(Picked::Single(None)) => Ok(0..0),
                Err(e) => Err(e),
            }),
            Selector::Value(v)
                if self.order == ListOrderType::Ordered && !v.has_selector_only() =>
            {
                Some(Ok(self.equal_range(v)))
            }
            _ => None,
        }
    }

    /// get_by_* / remove_by_* for the selectors of [`Self::window`], without Inverted or rank
    /// return types.
    fn select(&mut self, sel: &Selector, rt: ReturnType, remove: bool) -> Option<Result<Value>> {
        match rt.parse() {
            Ok((Base::Rank | Base::ReverseRank, _)) | Ok((_, true)) | Err(_) => return None,
            Ok(_) => {}
        }
        let r = match self.window(sel)? {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let w = Window {
            n: self.len(),
            lo: r.start,
            vals: self.items(r.clone()),
        };
        // A value selection on a sorted list is the index range it occupies, in index order.
        let as_range = match sel {
            Selector::Value(_) => Selector::IndexRange(r.start as i64, Some(r.len() as u64)),
            other => other.clone(),
        };
        let (result, gone) = match select_and_build(&w, &as_range, rt, false) {
            Ok(x) => x,
            Err(e) => return Some(Err(e)),
        };
        debug_assert!(
            gone.iter().copied().eq(r.clone()) || (gone.is_empty() && r.is_empty()),
            "the selection is the window"
        );
        if remove {
            self.spans.remove(r)?;
        }
        Some(Ok(result))
    }
}

static NIL: Value = Value::Nil;

/// A list seen through [`Elements`] with only the elements `lo..lo + vals.len()` decoded.
struct Window {
    n: usize,
    lo: usize,
    vals: Vec<Value>,
}

impl Elements for Window {
    fn len(&self) -> usize {
        self.n
    }
    fn value(&self, i: usize) -> &Value {
        let got = i.checked_sub(self.lo).and_then(|j| self.vals.get(j));
        debug_assert!(got.is_some(), "only the decoded window is read");
        got.unwrap_or(&NIL)
    }
    fn key(&self, _i: usize) -> Option<&Value> {
        None
    }
    fn key_search(&self, _k: &Value) -> std::result::Result<usize, usize> {
        Err(0)
    }
}
