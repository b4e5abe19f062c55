//! White-box unit tests of the digest table (moved out of `table.rs` to keep it small): the T4
//! capacity ladder, wrap-around and saturated distances, the merge-pass rebuild and freeing an
//! emptied table, checking T1–T3 (`DigestTable::check_invariants`) along the way.

use super::*;

fn dg(h: u64, tag: u8) -> Digest {
    let mut d = [tag; 20];
    d[4..12].copy_from_slice(&h.to_le_bytes());
    Digest(d)
}

#[test]
fn ladder_grows_and_keeps_room() {
    let mut cap = 0;
    while cap < 1_000_000 {
        let n = next_cap(cap);
        assert!(n > cap && max_len(n) > max_len(cap), "cap {cap} → {n}");
        // A grown table is not below the minimum load, nor one removal later.
        let len = max_len(cap) + 1;
        assert!(!below_min_load(len, n), "cap {cap} → {n}");
        if cap > 100 {
            assert!(!below_min_load(len - 1, n), "cap {cap} → {n}");
        }
        cap = n;
    }
    for len in 0..100_000 {
        let c = shrink_cap(len);
        // Room for len, and not shrinking again at once.
        assert!(
            max_len(c) >= len && !below_min_load(len, c),
            "len {len} → cap {c}"
        );
    }
}

#[test]
fn all_same_hash_and_wraparound() {
    let mut t = DigestTable::new();
    for tag in 0..40u8 {
        assert_eq!(t.insert(dg(u64::MAX, tag), u32::from(tag)), None);
        t.check_invariants().expect("invariants");
    }
    for tag in 0..40u8 {
        assert_eq!(t.get(&dg(u64::MAX, tag)), Some(&u32::from(tag)));
    }
    let cap = t.capacity();
    let wrapped = (0..cap).any(|i| t.is_occupied(i) && home(hash(&t.slots[i].digest), cap) > i);
    assert!(wrapped, "the run of 40 equal hashes wraps around the end");
    for tag in (0..40u8).step_by(3) {
        assert_eq!(t.remove(&dg(u64::MAX, tag)), Some(u32::from(tag)));
        t.check_invariants().expect("invariants");
    }
    assert_eq!(t.len(), 26);
    t.retain(|_, v| *v % 2 == 0);
    t.check_invariants().expect("invariants");
    assert!(t.iter().all(|(_, v)| v % 2 == 0 && v % 3 != 0));
}

/// Runs longer than 254 saturate the meta byte; distances then come from the digests.
#[test]
fn saturated_distances() {
    let mut t = DigestTable::new();
    for i in 0..300u16 {
        let mut d = dg(42, 0);
        d.0[12..14].copy_from_slice(&i.to_le_bytes());
        t.insert(d, i);
    }
    assert!(
        t.meta.iter().any(|m| m[0] == u8::MAX),
        "some distance saturates"
    );
    t.check_invariants().expect("invariants");
    for i in (0..300u16).step_by(2) {
        let mut d = dg(42, 0);
        d.0[12..14].copy_from_slice(&i.to_le_bytes());
        assert_eq!(t.remove(&d), Some(i));
        t.check_invariants().expect("invariants");
    }
    for i in 0..300u16 {
        let mut d = dg(42, 0);
        d.0[12..14].copy_from_slice(&i.to_le_bytes());
        assert_eq!(t.get(&d).copied(), (i % 2 == 1).then_some(i));
    }
}

/// T1–T3 after the merge-pass rebuild (growth and shrinking): one long run wrapping round the
/// end, made of groups sharing an old home whose hashes arrived in descending order (so their
/// new homes are out of order), rebuilt into every capacity of T4's range up and down.
#[test]
fn rebuild_merges_wrapped_runs_and_equal_homes() {
    let mut t = DigestTable::new();
    let step = u64::MAX / 2000;
    for k in 0..120u64 {
        t.insert(dg(u64::MAX - k * step, k as u8), k);
    }
    for k in 120..200u64 {
        t.insert(dg(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), k as u8), k);
    }
    assert_eq!(t.len(), 200);
    let cap = t.capacity();
    let wrapped = (0..cap).any(|i| t.is_occupied(i) && t.dist(i) > i);
    assert!(wrapped, "the top-of-range run wraps round the end");
    let caps: Vec<usize> = (214..=250).chain((214..250).rev()).collect();
    for c in caps {
        t.rebuild(c);
        assert_eq!(t.capacity(), c);
        t.check_invariants()
            .unwrap_or_else(|e| panic!("cap {c}: {e}"));
        for k in 0..200u64 {
            let h = if k < 120 {
                u64::MAX - k * step
            } else {
                k.wrapping_mul(0x9E37_79B9_7F4A_7C15)
            };
            assert_eq!(t.get(&dg(h, k as u8)), Some(&k), "cap {c} key {k}");
        }
    }
}

#[test]
fn empties_free_their_slots() {
    let mut t = DigestTable::new();
    for i in 0..100u64 {
        t.insert(dg(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), 1), i);
    }
    for i in 0..100u64 {
        assert_eq!(
            t.remove(&dg(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), 1)),
            Some(i)
        );
    }
    assert_eq!((t.len(), t.capacity(), t.heap_bytes()), (0, 0, 0));
}

/// The insert hint reads the table and changes nothing: on an empty table, on a table whose run
/// from the hinted home wraps round the end, and for present and absent digests.
#[test]
fn prefetch_insert_changes_nothing() {
    let mut t: DigestTable<u64> = DigestTable::new();
    t.prefetch_insert(&dg(5, 1));
    assert_eq!((t.len(), t.capacity()), (0, 0));
    for k in 0..300u64 {
        t.insert(dg(u64::MAX - k, (k % 251) as u8), k);
    }
    let before: Vec<(Digest, u64)> = t.iter().map(|(d, v)| (*d, *v)).collect();
    for h in [0, 1, u64::MAX, u64::MAX - 7, u64::MAX / 2] {
        t.prefetch_insert(&dg(h, 9));
    }
    t.prefetch_insert(&dg(u64::MAX - 3, 3));
    let after: Vec<(Digest, u64)> = t.iter().map(|(d, v)| (*d, *v)).collect();
    assert_eq!(before, after);
    t.check_invariants().expect("table invariants");
}

/// The lookup hint, given the table's layout or a stale one, reads and changes nothing.
#[test]
fn prefetch_lookup_changes_nothing() {
    let mut t: DigestTable<u64> = DigestTable::new();
    prefetch_lookup::<u64>(&dg(5, 1), t.layout());
    let empty = t.layout();
    for k in 0..300u64 {
        t.insert(dg(k.wrapping_mul(0x9E37_79B9_7F4A_7C15), 2), k);
    }
    let before: Vec<(Digest, u64)> = t.iter().map(|(d, v)| (*d, *v)).collect();
    let stale = Layout {
        cap: t.capacity() * 2,
        ..empty
    };
    for h in [0, 1, u64::MAX, u64::MAX / 3] {
        for l in [t.layout(), empty, stale] {
            prefetch_lookup::<u64>(&dg(h, 2), l);
        }
    }
    let after: Vec<(Digest, u64)> = t.iter().map(|(d, v)| (*d, *v)).collect();
    assert_eq!(before, after);
    t.check_invariants().expect("table invariants");
}

/// A table past `POOL_MIN_BYTES` of slots keeps them in the huge-page pool (where the kernel
/// gives mappings), counts them by their block, and keeps T1–T3 through growth and shrinking;
/// its meta bytes stay on the heap.
#[test]
fn large_tables_keep_their_slots_in_the_pool() {
    use crate::index::pool::{block_len, POOL_MIN_BYTES};
    let slot = std::mem::size_of::<Slot<u64>>();
    let mut t = DigestTable::new();
    let key = |i: u64| dg(i.wrapping_mul(0x9E37_79B9_7F4A_7C15), i as u8);
    for i in 0..2000u64 {
        t.insert(key(i), i);
    }
    t.check_invariants().expect("T1–T3 after growth");
    assert!(t.capacity() * slot >= POOL_MIN_BYTES);
    assert!(!t.meta.is_pooled(), "meta bytes stay on the heap");
    #[cfg(target_os = "linux")]
    assert!(t.slots.is_pooled(), "slots in the pool");
    if t.slots.is_pooled() {
        assert_eq!(
            t.heap_bytes(),
            block_len(t.capacity() * slot) + 2 * t.capacity(),
            "slots counted by their block"
        );
    }
    let copy = t.clone();
    assert_eq!(copy.slots.is_pooled(), t.slots.is_pooled());
    for i in 0..1990u64 {
        assert_eq!(t.remove(&key(i)), Some(i));
    }
    t.check_invariants().expect("T1–T3 after shrinking");
    assert!(!t.slots.is_pooled(), "a small table is back on the heap");
    assert_eq!(copy.len(), 2000, "the clone is independent");
    assert!((0..2000u64).all(|i| copy.get(&key(i)) == Some(&i)));
}
