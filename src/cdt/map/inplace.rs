//! Map ops on the packed bytes of a map particle (issue 16 point 4): by-key and by-index lookups
//! are binary searches over an offset index, a put or remove is one splice of the bytes plus a
//! patch of the count header — the map is never decoded as a whole.
//!
//! Invariants (checked by `assert_valid` after every change in debug builds):
//! - `bytes` is a whole map particle exactly as `particle::encode` writes it for the map it
//!   holds (`from_particle` accepts only bytes that re-encode identically, and every splice
//!   inserts `pack` output), so results and bytes equal the decode / modify / encode path;
//! - the offset index and count header keep the invariants of `cdt::packed::Spans` (an entry is
//!   a key and its value); entries are in strictly ascending key order (M-ORDER-SEMANTICS).
//!
//! Only the hot ops run here (put, put_items, increment, size, get / remove by key or index
//! without rank return types); [`PackedMap::apply`] answers `None` for every other op and the
//! caller falls back to the decoded path.

use crate::cdt::map::{write, MapOp};
use crate::cdt::number;
use crate::cdt::policy::MapWriteFlags;
use crate::cdt::result::select_and_build;
use crate::cdt::return_type::{Base, ReturnType};
use crate::cdt::select::{pick, Elements, Picked, Selector};
use crate::error::Result;
use crate::cdt::packed::{Header, Spans};
use crate::format::pack;
use crate::format::particle::{self, Reader};
use crate::record::order::compare;
use crate::record::value::{MapOrder, Value};

/// A map particle with its entry offset index.
#[derive(Debug, Clone)]
pub struct PackedMap {
    spans: Spans,
}

fn packed(v: &Value) -> Vec<u8> {
    let mut b = Vec::with_capacity(pack::packed_len(v));
    pack::pack(v, &mut b);
    b
}

impl PackedMap {
    /// Index a map particle (tag byte included). `None` unless the bytes are a map that
    /// re-encodes to exactly these bytes (any other encoding stays on the decoded path).
    pub fn from_particle(bytes: Vec<u8>) -> Option<PackedMap> {
        let Ok(Value::Map(m)) = particle::decode_all(&bytes) else {
            return None;
        };
        let mut again = Vec::with_capacity(bytes.len());
        particle::encode(&Value::Map(m.clone()), &mut again);
        if again != bytes {
            return None;
        }
        let flagged = m.order != MapOrder::Unordered;
        let header = Header::map(flagged);
        let first = 1 + header.len(m.entries.len()) + 4 * usize::from(flagged);
        let lens = m
            .entries
            .iter()
            .map(|(k, v)| pack::packed_len(k) + pack::packed_len(v));
        let p = PackedMap {
            spans: Spans::new(bytes, header, first, lens)?,
        };
        p.assert_valid();
        Some(p)
    }

    /// The particle bytes (tag byte included).
    pub fn bytes(&self) -> &[u8] {
        self.spans.bytes()
    }

    /// Entry count.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    fn assert_valid(&self) {
        self.spans.assert_valid();
        debug_assert!(
            matches!(particle::decode_all(self.bytes()), Ok(Value::Map(m)) if m.entries.len() == self.len()),
            "the packed bytes decode to a map of n entries"
        );
    }

    /// Key and value of entry `i`, and where the value starts within the entry.
    fn decode_entry(&self, i: usize) -> (Value, Value, usize) {
        let mut r = Reader::new(self.spans.span(i));
        let k = pack::unpack(&mut r, 1).expect("packed entries decode (invariant)");
        let at = r.position();
        let v = pack::unpack(&mut r, 1).expect("packed entries decode (invariant)");
        (k, v, at)
    }

    fn key_cmp(&self, i: usize, k: &Value) -> std::cmp::Ordering {
        let mut r = Reader::new(self.spans.span(i));
        let ek = pack::unpack(&mut r, 1).expect("packed keys decode (invariant)");
        compare(&ek, k)
    }

    /// Binary search by key: `Ok(i)` found, `Err(i)` insertion position.
    pub fn search(&self, k: &Value) -> std::result::Result<usize, usize> {
        // ORD-WILDCARD-KEY: WILDCARD is no key; it stands before the first (as `MapElems`).
        if matches!(k, Value::Wildcard) {
            return Err(0);
        }
        let (mut lo, mut hi) = (0usize, self.len());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            match self.key_cmp(mid, k) {
                std::cmp::Ordering::Less => lo = mid + 1,
                std::cmp::Ordering::Greater => hi = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(lo)
    }

    fn insert(&mut self, i: usize, k: &Value, v: &Value) -> Option<()> {
        let mut e = packed(k);
        pack::pack(v, &mut e);
        self.spans.insert(i, &e, &[e.len()])
    }

    fn set_value(&mut self, i: usize, v: &Value) -> Option<()> {
        let (_, _, vat) = self.decode_entry(i);
        self.spans.replace(i, vat, &packed(v))
    }

    fn remove(&mut self, i: usize) -> Option<()> {
        self.spans.remove(i..i + 1)
    }

    fn put_at(
        &mut self,
        pos: std::result::Result<usize, usize>,
        k: &Value,
        v: &Value,
    ) -> Option<()> {
        match pos {
            Ok(i) => self.set_value(i, v),
            Err(i) => self.insert(i, k, v),
        }
    }

    /// Apply a map op without a context, as `MapOp::apply` does on the decoded map. `None`: the
    /// op is not one of the in-place ops, or an operand is too large; the map may then have
    /// been partly changed and must be discarded (the caller re-runs the request decoded).
    pub fn apply(&mut self, op: &MapOp) -> Option<Result<Value>> {
        let op = match op.prepared(0) {
            Ok(op) => op,
            Err(e) => return Some(Err(e)),
        };
        let size = |m: &PackedMap| Value::Int(m.len() as i64);
        let out = match &op {
            MapOp::Size => Ok(size(self)),
            MapOp::Put(p, k, v) => self.put(p.flags, k, v)?.map(|()| size(self)),
            MapOp::PutItems(p, Value::Map(items)) => self
                .put_items(p.flags, &items.entries)?
                .map(|()| size(self)),
            MapOp::Increment(_, k, d, _) => self.increment(k, d)?,
            MapOp::Get(sel, rt) => self.select(sel, *rt, false)?,
            MapOp::Remove(sel, rt) => self.select(sel, *rt, true)?,
            _ => return None,
        };
        self.assert_valid();
        Some(out)
    }

    fn put(&mut self, flags: MapWriteFlags, k: &Value, v: &Value) -> Option<Result<()>> {
        let pos = self.search(k);
        if let Some(code) = write::violation(flags, pos.is_ok()) {
            if flags.contains(MapWriteFlags::NoFail) {
                return Some(Ok(()));
            }
            return Some(write::fail(code, k));
        }
        self.put_at(pos, k, v)?;
        Some(Ok(()))
    }

    fn put_items(&mut self, flags: MapWriteFlags, items: &[(Value, Value)]) -> Option<Result<()>> {
        let no_fail = flags.contains(MapWriteFlags::NoFail);
        let partial = no_fail && flags.contains(MapWriteFlags::Partial);
        let mut plan = Vec::with_capacity(items.len());
        for (k, v) in items {
            match write::violation(flags, self.search(k).is_ok()) {
                Some(_) if partial => {}
                Some(_) if no_fail => return Some(Ok(())),
                Some(code) => return Some(write::fail(code, k)),
                None => plan.push((k, v)),
            }
        }
        for (k, v) in plan {
            self.put_at(self.search(k), k, v)?;
        }
        Some(Ok(()))
    }

    fn increment(&mut self, k: &Value, delta: &Value) -> Option<Result<Value>> {
        match self.search(k) {
            Ok(i) => {
                let new = match number::add(&self.decode_entry(i).1, delta) {
                    Ok(v) => v,
                    Err(e) => return Some(Err(e)),
                };
                self.set_value(i, &new)?;
                Some(Ok(new))
            }
            Err(i) => {
                self.insert(i, k, delta)?;
                Some(Ok(delta.clone()))
            }
        }
    }

    /// get_by_* / remove_by_* for key and index selectors whose return type reads no rank.
    fn select(&mut self, sel: &Selector, rt: ReturnType, remove: bool) -> Option<Result<Value>> {
        if !matches!(sel, Selector::Key(_) | Selector::Index(_)) {
            return None;
        }
        match rt.parse() {
            Ok((Base::Rank | Base::ReverseRank, _)) | Err(_) => return None,
            Ok(_) => {}
        }
        let found = match pick(&Probe::new(self, None), sel) {
            Ok(Picked::Single(found)) => found,
            Ok(Picked::Multi { .. }) => return None,
            Err(e) => return Some(Err(e)),
        };
        let probe = Probe::new(self, found);
        let (found, result) = match select_and_build(&probe, sel, rt, true) {
            Ok((result, gone)) => (gone.first().copied(), result),
            Err(e) => return Some(Err(e)),
        };
        if let (true, Some(i)) = (remove, found) {
            self.remove(i)?;
        }
        Some(Ok(result))
    }
}

static NIL: Value = Value::Nil;

/// The packed map seen through [`Elements`] for single-element selectors: `key_search` binary
/// searches the bytes; key and value are decoded for the one element an index or key picks.
struct Probe<'a> {
    map: &'a PackedMap,
    /// Entry decoded for `key` / `value`: its index, key and value.
    entry: Option<(usize, Value, Value)>,
}

impl<'a> Probe<'a> {
    fn new(map: &'a PackedMap, found: Option<usize>) -> Probe<'a> {
        Probe {
            map,
            entry: found.map(|i| {
                let (k, v, _) = map.decode_entry(i);
                (i, k, v)
            }),
        }
    }
}

impl Elements for Probe<'_> {
    fn len(&self) -> usize {
        self.map.len()
    }
    fn value(&self, i: usize) -> &Value {
        debug_assert!(
            self.entry.as_ref().is_some_and(|e| e.0 == i),
            "only the picked element is read"
        );
        self.entry
            .as_ref()
            .filter(|e| e.0 == i)
            .map_or(&NIL, |e| &e.2)
    }
    fn key(&self, i: usize) -> Option<&Value> {
        Some(
            self.entry
                .as_ref()
                .filter(|e| e.0 == i)
                .map_or(&NIL, |e| &e.1),
        )
    }
    fn key_search(&self, k: &Value) -> std::result::Result<usize, usize> {
        self.map.search(k)
    }
}
