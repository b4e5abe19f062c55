//! One index's entries (SIDX-MEMORY-2): an ordered set of `(key, digest)` plus, per digest,
//! the keys it holds (so a removal needs no old image), behind one `RwLock`. A numeric index
//! stores its keys as bare `i64` (32-byte entries); string and blob indexes store `SKey`. The
//! per-digest keys are one key inline (`first`) and, only for a record with several keys
//! (list elements, map keys or values), the others in `more`; both maps hash the digest's own
//! bytes.
//!
//! Invariants (checked by `check`): `first[d]` and `more[d]` hold exactly the keys `k` with
//! `(k, d)` in `ordered`, sorted, without duplicates, `first[d]` the smallest; `more[d]` exists
//! only beside `first[d]` and is never empty.

use crate::index::digest_hash::DigestBuildHasher;
use crate::record::key::Digest;
use crate::record::value::Value;
use crate::sindex::definition::IndexType;
use std::collections::{BTreeSet, HashMap};
use std::ops::Bound;
use std::sync::RwLock;

/// An indexed value: integers for `Numeric`, text for `String`, bytes for `Blob`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SKey {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// A blob.
    Blob(Vec<u8>),
    /// A geo grid cell (`geo::cells`, SIDX-GEO-1).
    Geo(u64),
}

/// A stored key: `i64` in numeric indexes, `SKey` in the others.
trait Stored: Ord + Clone + Sized {
    /// The stored form of `k`; `None` when `k` is of another type than the index holds.
    fn from_key(k: SKey) -> Option<Self>;
    /// The lowest and highest stored key in `[begin, end]`'s type, `None` for another type.
    fn bounds(begin: &SKey, end: &SKey) -> Option<(Self, Self)>;
}

impl Stored for i64 {
    fn from_key(k: SKey) -> Option<i64> {
        match k {
            SKey::Int(i) => Some(i),
            _ => None,
        }
    }
    fn bounds(begin: &SKey, end: &SKey) -> Option<(i64, i64)> {
        match (begin, end) {
            (SKey::Int(b), SKey::Int(e)) => Some((*b, *e)),
            _ => None,
        }
    }
}

impl Stored for SKey {
    fn from_key(k: SKey) -> Option<SKey> {
        Some(k)
    }
    fn bounds(begin: &SKey, end: &SKey) -> Option<(SKey, SKey)> {
        Some((begin.clone(), end.clone()))
    }
}

struct Entries<K> {
    ordered: BTreeSet<(K, Digest)>,
    first: HashMap<Digest, K, DigestBuildHasher>,
    more: HashMap<Digest, Vec<K>, DigestBuildHasher>,
}

impl<K> Default for Entries<K> {
    fn default() -> Self {
        Entries {
            ordered: BTreeSet::new(),
            first: HashMap::default(),
            more: HashMap::default(),
        }
    }
}

impl<K: Stored> Entries<K> {
    /// The digest's keys, sorted (empty when it has none).
    fn keys_of(&self, d: &Digest) -> Vec<K> {
        let mut out: Vec<K> = self.first.get(d).cloned().into_iter().collect();
        out.extend(self.more.get(d).into_iter().flatten().cloned());
        out
    }

    /// Whether the digest holds exactly `keys` (sorted), without allocating.
    fn holds(&self, d: &Digest, keys: &[K]) -> bool {
        let more = self.more.get(d).map_or(&[][..], Vec::as_slice);
        match (self.first.get(d), keys.split_first()) {
            (None, None) => true,
            (Some(f), Some((k, rest))) => f == k && more == rest,
            _ => false,
        }
    }

    fn replace(&mut self, digest: &Digest, keys: Vec<K>) {
        if self.holds(digest, &keys) {
            return;
        }
        for k in self.keys_of(digest) {
            let gone = self.ordered.remove(&(k, *digest));
            assert!(gone, "the per-digest keys and the ordered set agree");
        }
        self.first.remove(digest);
        self.more.remove(digest);
        let mut it = keys.into_iter();
        let Some(first) = it.next() else {
            return;
        };
        let more: Vec<K> = it.collect();
        self.ordered.insert((first.clone(), *digest));
        for k in &more {
            self.ordered.insert((k.clone(), *digest));
        }
        self.first.insert(*digest, first);
        if !more.is_empty() {
            self.more.insert(*digest, more);
        }
    }

    fn range(&self, begin: &SKey, end: &SKey) -> Vec<Digest> {
        let Some((b, e)) = K::bounds(begin, end) else {
            return Vec::new();
        };
        let lo = Bound::Included((b, Digest([0; 20])));
        let hi = Bound::Included((e, Digest([0xFF; 20])));
        self.ordered.range((lo, hi)).map(|(_, d)| *d).collect()
    }

    fn check(&self) {
        let n = self.first.len() + self.more.values().map(Vec::len).sum::<usize>();
        assert_eq!(
            n,
            self.ordered.len(),
            "every entry is listed under its digest"
        );
        for d in self.more.keys() {
            assert!(self.first.contains_key(d), "more only beside first");
        }
        for d in self.first.keys() {
            let keys = self.keys_of(d);
            assert!(
                keys.windows(2).all(|w| w[0] < w[1]),
                "sorted, no duplicates"
            );
            assert!(keys.into_iter().all(|k| self.ordered.contains(&(k, *d))));
        }
    }
}

enum Kind {
    Int(Entries<i64>),
    Other(Entries<SKey>),
}

/// The entries of one index.
pub struct Tree {
    inner: RwLock<Kind>,
}

impl Tree {
    /// An empty tree for keys of `index_type`.
    pub fn new(index_type: IndexType) -> Tree {
        let kind = match index_type {
            IndexType::Numeric => Kind::Int(Entries::default()),
            IndexType::String | IndexType::Blob | IndexType::Geo2DSphere => {
                Kind::Other(Entries::default())
            }
        };
        Tree {
            inner: RwLock::new(kind),
        }
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Kind> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Kind> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Make `keys` the digest's entries (none removes it). `keys` is sorted and deduplicated
    /// here; a key of another type than the tree holds is a broken invariant (the definition
    /// extracts only its type, SIDX-KEYS-1).
    pub fn replace(&self, digest: &Digest, mut keys: Vec<SKey>) {
        keys.sort_unstable();
        keys.dedup();
        fn stored<K: Stored>(keys: Vec<SKey>) -> Vec<K> {
            let n = keys.len();
            let out: Vec<K> = keys.into_iter().filter_map(K::from_key).collect();
            assert_eq!(out.len(), n, "keys of the index's type only");
            out
        }
        match &mut *self.write() {
            Kind::Int(e) => e.replace(digest, stored(keys)),
            Kind::Other(e) => e.replace(digest, stored(keys)),
        }
    }

    /// Whether the digest's entries are exactly the key of `v` (none when `v` is `None`),
    /// checked without allocating; false for a value of another type than the tree holds.
    pub fn holds_only(&self, digest: &Digest, v: Option<&Value>) -> bool {
        fn one<K>(e: &Entries<K>, d: &Digest, same: impl Fn(&K) -> bool) -> bool {
            e.first.get(d).is_some_and(same) && !e.more.contains_key(d)
        }
        match (&*self.read(), v) {
            (Kind::Int(e), None) => !e.first.contains_key(digest),
            (Kind::Other(e), None) => !e.first.contains_key(digest),
            (Kind::Int(e), Some(Value::Int(i))) => one(e, digest, |k| k == i),
            (Kind::Other(e), Some(Value::String(s))) => {
                one(e, digest, |k| matches!(k, SKey::Str(x) if x == s))
            }
            (Kind::Other(e), Some(Value::Blob(b))) => {
                one(e, digest, |k| matches!(k, SKey::Blob(x) if x == b))
            }
            _ => false,
        }
    }

    /// The digests with a key in `[begin, end]`, sorted and deduplicated.
    pub fn range(&self, begin: &SKey, end: &SKey) -> Vec<Digest> {
        if begin > end {
            return Vec::new();
        }
        let mut out = match &*self.read() {
            Kind::Int(e) => e.range(begin, end),
            Kind::Other(e) => e.range(begin, end),
        };
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Entries (key, digest pairs).
    pub fn len(&self) -> usize {
        match &*self.read() {
            Kind::Int(e) => e.ordered.len(),
            Kind::Other(e) => e.ordered.len(),
        }
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Assert the invariants (tests and debug builds).
    pub fn check(&self) {
        match &*self.read() {
            Kind::Int(e) => e.check(),
            Kind::Other(e) => e.check(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_and_range_keep_both_views_equal() {
        let t = Tree::new(IndexType::Numeric);
        let d1 = Digest([1; 20]);
        let d2 = Digest([2; 20]);
        t.replace(&d1, vec![SKey::Int(5), SKey::Int(7), SKey::Int(5)]);
        t.replace(&d2, vec![SKey::Int(6)]);
        t.check();
        assert_eq!(t.range(&SKey::Int(5), &SKey::Int(6)), vec![d1, d2]);
        t.replace(&d1, vec![SKey::Int(9)]);
        assert_eq!(t.range(&SKey::Int(5), &SKey::Int(7)), vec![d2]);
        t.replace(&d2, Vec::new());
        assert_eq!(t.len(), 1);
        t.check();
        assert!(t
            .range(&SKey::Str("a".into()), &SKey::Str("z".into()))
            .is_empty());
    }

    #[test]
    fn holds_only_agrees_with_the_entries() {
        let t = Tree::new(IndexType::Numeric);
        let d = Digest([3; 20]);
        assert!(t.holds_only(&d, None));
        t.replace(&d, vec![SKey::Int(4)]);
        assert!(t.holds_only(&d, Some(&Value::Int(4))));
        assert!(!t.holds_only(&d, Some(&Value::Int(5))));
        assert!(!t.holds_only(&d, None));
        t.replace(&d, vec![SKey::Int(4), SKey::Int(6)]);
        assert!(!t.holds_only(&d, Some(&Value::Int(4))), "a second key");
        let s = Tree::new(IndexType::String);
        s.replace(&d, vec![SKey::Str("x".into())]);
        assert!(s.holds_only(&d, Some(&Value::String("x".into()))));
        assert!(!s.holds_only(&d, Some(&Value::Blob(b"x".to_vec()))));
    }

    #[test]
    fn string_keys_with_several_per_digest() {
        let t = Tree::new(IndexType::String);
        let d1 = Digest([1; 20]);
        let s = |x: &str| SKey::Str(x.into());
        t.replace(&d1, vec![s("b"), s("a"), s("c")]);
        t.check();
        assert_eq!(t.range(&s("c"), &s("c")), vec![d1]);
        t.replace(&d1, vec![s("d")]);
        t.check();
        assert_eq!((t.len(), t.range(&s("a"), &s("c"))), (1, vec![]));
    }
}
