//! An index's definition: name, set, source (a bin, optionally with a CDT context, or an
//! expression), value type and collection type (the official client's `IndexType` /
//! `CollectionIndexType`), its checks (SIDX-BAD-*), and the keys it extracts from a record's
//! bins (SIDX-KEYS-1, SIDX-CTX-1, SIDX-EXP-1).
//!
//! Invariants: a definition that passed `validate` has a name of 1 … `NAME_MAX_LEN` bytes
//! without NUL, a valid set name, and either a valid bin name and context and no expression,
//! or an expression of its type and collection with no bin name and no context; `keys_of`
//! never panics on any bin value.

use crate::error::{Error, Result, ResultCode};
use crate::record::bin::BinList;
use crate::record::key::Digest;
use crate::record::value::Value;
use crate::sindex::ctx::IndexCtx;
use crate::sindex::exp::IndexExp;
use crate::sindex::tree::SKey;
use std::borrow::Cow;

/// Longest index name in bytes (Aerospike's limit: 63 bytes plus the terminating NUL).
pub const NAME_MAX_LEN: usize = 63;
/// Most indexes per namespace (Aerospike's limit).
pub const MAX_INDEXES: usize = 256;

/// The type of the indexed values (the official client's `IndexType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IndexType {
    /// Integers.
    Numeric,
    /// Strings.
    String,
    /// Blobs (byte arrays).
    Blob,
    /// GeoJSON points and regions (SIDX-GEO-1): keyed by grid cells (`geo::cells`).
    Geo2DSphere,
}

/// Which values of the bin are indexed (the official client's `CollectionIndexType`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CollectionIndexType {
    /// The bin's value itself.
    Default,
    /// Each element of a list bin.
    List,
    /// Each key of a map bin.
    MapKeys,
    /// Each value of a map bin.
    MapValues,
}

/// One index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDef {
    /// Index name, unique in its namespace.
    pub name: String,
    /// Set name; empty = every set of the namespace.
    pub set_name: String,
    /// Indexed bin (empty for an expression index).
    pub bin_name: String,
    /// The element of the bin the index covers (empty: the bin's value).
    pub ctx: IndexCtx,
    /// The expression whose value the index holds instead of a bin's (SIDX-EXP-1).
    pub exp: Option<IndexExp>,
    /// Value type.
    pub index_type: IndexType,
    /// Collection type.
    pub collection: CollectionIndexType,
}

impl IndexDef {
    /// SIDX-BAD-NAME (205), SIDX-BAD-BIN / set (4 / 21).
    pub fn validate(&self) -> Result<()> {
        if self.name.is_empty() || self.name.contains('\0') {
            return Err(Error::new(
                ResultCode::ParameterError,
                "index name must be 1 or more bytes without NUL (SIDX-BAD-NAME)",
            ));
        }
        if self.name.len() > NAME_MAX_LEN {
            return Err(Error::new(
                ResultCode::IndexNameMaxLen,
                format!(
                    "index name of {} bytes exceeds {NAME_MAX_LEN}; choose a shorter name \
                     (SIDX-BAD-NAME)",
                    self.name.len()
                ),
            ));
        }
        crate::engine::sets::validate_set_name(&self.set_name)?;
        if let Some(exp) = &self.exp {
            if !self.bin_name.is_empty() || !self.ctx.is_empty() {
                return Err(Error::new(
                    ResultCode::ParameterError,
                    "an expression index takes no bin and no context (SIDX-EXP-BAD)",
                ));
            }
            return exp.validate(self.index_type, self.collection);
        }
        crate::record::bin::validate_bin_name(&self.bin_name)?;
        self.ctx.validate()
    }

    /// Whether a record of `set_name` belongs to this index.
    pub fn covers_set(&self, set_name: &str) -> bool {
        self.set_name.is_empty() || self.set_name == set_name
    }

    /// SIDX-KEYS-1: the keys of the record's bins this index holds. A bin of another type, or
    /// an element of another type in a collection, is skipped (SIDX-WRONG-TYPE-1); with a
    /// context, the keys of the element it selects, none when it selects nothing (SIDX-CTX-1);
    /// with an expression, the keys of its value on the record (`digest`, `bins`), none when
    /// it is unknown (SIDX-EXP-1).
    pub fn keys_of(&self, digest: &Digest, bins: &BinList) -> Vec<SKey> {
        self.indexed_value(digest, bins)
            .map(|v| self.keys_of_value(&v))
            .unwrap_or_default()
    }

    /// The value this index reads on the record: its expression's value (SIDX-EXP-1), the
    /// element its context selects (SIDX-CTX-1), or its bin; `None` when there is none.
    fn indexed_value<'a>(&self, digest: &Digest, bins: &'a BinList) -> Option<Cow<'a, Value>> {
        if let Some(exp) = &self.exp {
            debug_assert!(
                self.bin_name.is_empty() && self.ctx.is_empty(),
                "an expression index has no bin and no context (validate)"
            );
            return exp.value(digest, bins).map(Cow::Owned);
        }
        let bin = bins.get(&self.bin_name)?;
        if self.ctx.is_empty() {
            return Some(Cow::Borrowed(bin));
        }
        self.ctx.select(bin).map(Cow::Owned)
    }

    /// For an index of one key per record (`Default`, no context): `Some(v)` with the value
    /// whose key the record holds (`None` inside: no key, the bin is absent or of another
    /// type); `None` for other indexes. Agrees with `keys_of` (asserted in tests).
    pub fn single_key<'a>(&self, bins: &'a BinList) -> Option<Option<&'a Value>> {
        let on_bin = self.ctx.is_empty() && self.exp.is_none();
        if self.collection != CollectionIndexType::Default
            || !on_bin
            || self.index_type == IndexType::Geo2DSphere
        {
            return None;
        }
        let v = bins.get(&self.bin_name);
        let typed = match (self.index_type, v) {
            (IndexType::Numeric, Some(Value::Int(_)))
            | (IndexType::String, Some(Value::String(_)))
            | (IndexType::Blob, Some(Value::Blob(_))) => v,
            _ => None,
        };
        Some(typed)
    }

    /// SIDX-GEO-1: the parsed GeoJSON values a geo index covers in `bins` (values that are not
    /// GeoJSON, or do not parse, are skipped).
    pub fn geo_values_of(&self, digest: &Digest, bins: &BinList) -> Vec<crate::geo::Geometry> {
        self.indexed_value(digest, bins)
            .map(|v| geo_values(self.collection, &v))
            .unwrap_or_default()
    }

    /// The keys of `v`, the bin's value or the element the context selected.
    fn keys_of_value(&self, v: &Value) -> Vec<SKey> {
        let one = |v: &Value| key_of(self.index_type, v);
        let keys: Vec<SKey> = match (self.collection, v) {
            _ if self.index_type == IndexType::Geo2DSphere => geo_keys(self.collection, v),
            (CollectionIndexType::Default, v) => one(v).into_iter().collect(),
            (CollectionIndexType::List, Value::List(l)) => l.items.iter().filter_map(one).collect(),
            (CollectionIndexType::MapKeys, Value::Map(m)) => {
                m.entries.iter().filter_map(|(k, _)| one(k)).collect()
            }
            (CollectionIndexType::MapValues, Value::Map(m)) => {
                m.entries.iter().filter_map(|(_, v)| one(v)).collect()
            }
            _ => Vec::new(),
        };
        // SIDX-WRONG-TYPE-1: an index holds keys of its own type only.
        debug_assert!(
            keys.iter().all(|k| type_of(k) == self.index_type),
            "index {:?} extracts only {:?} keys",
            self.name,
            self.index_type
        );
        keys
    }
}

/// The values of `v` a collection type covers: `v` itself, list elements, map keys or values.
fn covered(collection: CollectionIndexType, v: &Value) -> Vec<&Value> {
    match (collection, v) {
        (CollectionIndexType::Default, v) => vec![v],
        (CollectionIndexType::List, Value::List(l)) => l.items.iter().collect(),
        (CollectionIndexType::MapKeys, Value::Map(m)) => m.entries.iter().map(|(k, _)| k).collect(),
        (CollectionIndexType::MapValues, Value::Map(m)) => {
            m.entries.iter().map(|(_, v)| v).collect()
        }
        _ => Vec::new(),
    }
}

/// The GeoJSON values among those `collection` covers in `v`, parsed (others skipped).
fn geo_values(collection: CollectionIndexType, v: &Value) -> Vec<crate::geo::Geometry> {
    covered(collection, v)
        .into_iter()
        .filter_map(|v| match v {
            Value::GeoJSON(text) => crate::geo::parse(text).ok(),
            _ => None,
        })
        .collect()
}

/// SIDX-GEO-1: the cell keys of the GeoJSON values `collection` covers in `v`.
fn geo_keys(collection: CollectionIndexType, v: &Value) -> Vec<SKey> {
    let mut keys = Vec::new();
    for g in geo_values(collection, v) {
        let cells = match &g {
            crate::geo::Geometry::Point(p) => crate::geo::cells::point_keys(p),
            crate::geo::Geometry::Region(r) => crate::geo::cells::region_keys(r),
        };
        keys.extend(cells.into_iter().map(SKey::Geo));
    }
    keys
}

/// The key of one value under `index_type`; `None` when the value is of another type (and for
/// geo indexes, whose values have several keys: `IndexDef::keys_of`).
pub fn key_of(index_type: IndexType, v: &Value) -> Option<SKey> {
    match (index_type, v) {
        (IndexType::Numeric, Value::Int(i)) => Some(SKey::Int(*i)),
        (IndexType::String, Value::String(s)) => Some(SKey::Str(s.clone())),
        (IndexType::Blob, Value::Blob(b)) => Some(SKey::Blob(b.clone())),
        _ => None,
    }
}

/// The index type a key belongs to.
pub fn type_of(k: &SKey) -> IndexType {
    match k {
        SKey::Int(_) => IndexType::Numeric,
        SKey::Str(_) => IndexType::String,
        SKey::Blob(_) => IndexType::Blob,
        SKey::Geo(_) => IndexType::Geo2DSphere,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::value::List;

    const D: Digest = Digest([0; 20]);

    fn def(c: CollectionIndexType) -> IndexDef {
        IndexDef {
            name: "i".into(),
            set_name: String::new(),
            bin_name: "b".into(),
            ctx: IndexCtx::default(),
            exp: None,
            index_type: IndexType::Numeric,
            collection: c,
        }
    }

    #[test]
    fn sidx_wrong_type_1_skips_other_types() {
        let mut bins = BinList::new();
        bins.push("b", Value::String("x".into()));
        assert!(def(CollectionIndexType::Default).keys_of(&D, &bins).is_empty());
        let mut bins = BinList::new();
        let items = vec![Value::Int(3), Value::String("x".into()), Value::Int(4)];
        bins.push(
            "b",
            Value::List(List {
                order: Default::default(),
                items,
            }),
        );
        assert_eq!(
            def(CollectionIndexType::List).keys_of(&D, &bins),
            vec![SKey::Int(3), SKey::Int(4)]
        );
        assert!(def(CollectionIndexType::MapKeys).keys_of(&D, &bins).is_empty());
        assert_eq!(def(CollectionIndexType::List).single_key(&bins), None);
    }

    /// `single_key` agrees with `keys_of` for a `Default` index without context.
    #[test]
    fn single_key_agrees_with_keys_of() {
        let d = def(CollectionIndexType::Default);
        for v in [Value::Int(7), Value::String("x".into()), Value::Nil] {
            let mut bins = BinList::new();
            if v != Value::Nil {
                bins.push("b", v);
            }
            let from_single: Vec<SKey> = d
                .single_key(&bins)
                .expect("single-valued")
                .and_then(|v| key_of(d.index_type, v))
                .into_iter()
                .collect();
            assert_eq!(from_single, d.keys_of(&D, &bins));
        }
    }
}
