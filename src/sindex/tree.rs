//! One index's entries: an ordered set of `(key, digest)` plus, per digest, the keys it holds
//! (so a removal needs no old image), behind one `RwLock`.
//!
//! Invariants: `by_digest[d]` holds exactly the keys `k` with `(k, d)` in `ordered`, sorted and
//! without duplicates; no digest maps to an empty key list (checked by `check`).

use crate::record::key::Digest;
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
}

#[derive(Default)]
struct Entries {
    ordered: BTreeSet<(SKey, Digest)>,
    by_digest: HashMap<Digest, Vec<SKey>>,
}

/// The entries of one index.
#[derive(Default)]
pub struct Tree {
    inner: RwLock<Entries>,
}

impl Tree {
    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Make `keys` the digest's entries (none removes it). `keys` is sorted and deduplicated here.
    pub fn replace(&self, digest: &Digest, mut keys: Vec<SKey>) {
        keys.sort_unstable();
        keys.dedup();
        let mut g = self.write();
        if g.by_digest.get(digest).map(Vec::as_slice) == Some(keys.as_slice()) {
            return;
        }
        if let Some(old) = g.by_digest.remove(digest) {
            for k in old {
                let gone = g.ordered.remove(&(k, *digest));
                assert!(gone, "by_digest and ordered agree");
            }
        }
        if keys.is_empty() {
            return;
        }
        for k in &keys {
            let fresh = g.ordered.insert((k.clone(), *digest));
            // The digest's old pairs were all removed above: each new pair is new.
            assert!(fresh, "a digest's keys enter the ordered set once");
        }
        debug_assert!(
            keys.windows(2).all(|w| w[0] < w[1]),
            "by_digest lists are sorted and without duplicates"
        );
        g.by_digest.insert(*digest, keys);
    }

    /// The digests with a key in `[begin, end]`, deduplicated.
    pub fn range(&self, begin: &SKey, end: &SKey) -> Vec<Digest> {
        if begin > end {
            return Vec::new();
        }
        let g = self.read();
        let lo = Bound::Included((begin.clone(), Digest([0; 20])));
        let hi = Bound::Included((end.clone(), Digest([0xFF; 20])));
        let mut out: Vec<Digest> = g
            .ordered
            .range((lo, hi))
            .map(|(k, d)| {
                debug_assert!(begin <= k && k <= end, "a range visits keys inside it");
                *d
            })
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Entries (key, digest pairs).
    pub fn len(&self) -> usize {
        self.read().ordered.len()
    }

    /// Whether there is no entry.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Assert the invariants (tests and debug builds).
    pub fn check(&self) {
        let g = self.read();
        let n: usize = g.by_digest.values().map(Vec::len).sum();
        assert_eq!(n, g.ordered.len(), "every entry is listed under its digest");
        for (d, keys) in &g.by_digest {
            assert!(!keys.is_empty(), "no empty key list");
            assert!(keys.iter().all(|k| g.ordered.contains(&(k.clone(), *d))));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_and_range_keep_both_views_equal() {
        let t = Tree::default();
        let d1 = Digest([1; 20]);
        let d2 = Digest([2; 20]);
        t.replace(&d1, vec![SKey::Int(5), SKey::Int(7), SKey::Int(5)]);
        t.replace(&d2, vec![SKey::Int(6)]);
        assert_eq!(t.range(&SKey::Int(5), &SKey::Int(6)), vec![d1, d2]);
        t.replace(&d1, vec![SKey::Int(9)]);
        assert_eq!(t.range(&SKey::Int(5), &SKey::Int(7)), vec![d2]);
        t.replace(&d2, Vec::new());
        assert_eq!(t.len(), 1);
        t.check();
    }
}
