//! Model test of the index's open-addressing table (`aerolite::index::table`, invariants T1–T4)
//! against `std::collections::HashMap`: random sequences of insert / replace / remove / get /
//! get_mut / retain / clear over key pools built to collide (few distinct in-partition hashes,
//! hashes at the top of the range, sorted hashes, uniform ones; small full tables wrap), long
//! enough to grow through the one-slot and 1/8 steps and shrink back. After every step the table's
//! invariants are checked and the touched key compared; at the end the whole content. A second
//! property drives `Index` (many partitions, digests colliding inside and across partitions).
//! Cases: `PROPTEST_CASES` (default 64 here).

use aerolite::index::table::DigestTable;
use aerolite::index::{Index, IndexEntry, Location};
use aerolite::Digest;
use proptest::prelude::*;
use std::collections::HashMap;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

/// Digest number `i` of a pool in `mode`: bytes 4–11 are the table's hash, bytes 0–1 the partition.
fn digest(mode: u8, i: u16, partitions: u16) -> Digest {
    let i64 = u64::from(i);
    let h = match mode % 4 {
        0 => i64.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5555, // uniform
        1 => [0, 1, u64::MAX / 3, u64::MAX][usize::from(i % 4)], // 4 hashes only
        2 => u64::MAX - i64 * 7,                               // top of the range
        _ => i64 << 40,                                        // sorted hashes
    };
    let mut d = [0u8; 20];
    let pid = i % partitions.max(1);
    d[0..2].copy_from_slice(&pid.to_le_bytes());
    d[4..12].copy_from_slice(&h.to_le_bytes());
    d[12..14].copy_from_slice(&i.to_le_bytes()); // distinct digests even for equal hashes
    Digest(d)
}

#[derive(Debug, Clone)]
enum Op {
    Insert(u16, u32),
    Remove(u16),
    Get(u16),
    Bump(u16),
    Retain(u32, u32),
    Clear,
}

fn op(pool: u16) -> impl Strategy<Value = Op> {
    prop_oneof![
        60 => (0..pool, any::<u32>()).prop_map(|(k, v)| Op::Insert(k, v)),
        25 => (0..pool).prop_map(Op::Remove),
        15 => (0..pool).prop_map(Op::Get),
        5 => (0..pool).prop_map(Op::Bump),
        2 => (2..6u32, 0..6u32).prop_map(|(m, r)| Op::Retain(m, r)),
        1 => Just(Op::Clear),
    ]
}

fn scenario() -> impl Strategy<Value = (u8, Vec<Op>)> {
    (any::<u8>(), prop_oneof![Just(8u16), Just(40), Just(400)])
        .prop_flat_map(|(mode, pool)| (Just(mode), proptest::collection::vec(op(pool), 1..700)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// T1–T4 hold after every step and the table answers as a `HashMap` would.
    #[test]
    fn table_matches_hashmap((mode, ops) in scenario()) {
        let mut t: DigestTable<u32> = DigestTable::new();
        let mut m: HashMap<Digest, u32> = HashMap::new();
        for (step, o) in ops.iter().enumerate() {
            match *o {
                Op::Insert(k, v) => {
                    let d = digest(mode, k, 1);
                    prop_assert_eq!(t.insert(d, v), m.insert(d, v), "step {}", step);
                }
                Op::Remove(k) => {
                    let d = digest(mode, k, 1);
                    prop_assert_eq!(t.remove(&d), m.remove(&d), "step {}", step);
                }
                Op::Get(k) => {
                    let d = digest(mode, k, 1);
                    prop_assert_eq!(t.get(&d), m.get(&d), "step {}", step);
                    prop_assert_eq!(t.contains_key(&d), m.contains_key(&d));
                }
                Op::Bump(k) => {
                    let d = digest(mode, k, 1);
                    if let Some(v) = t.get_mut(&d) {
                        *v = v.wrapping_add(1);
                    }
                    if let Some(v) = m.get_mut(&d) {
                        *v = v.wrapping_add(1);
                    }
                }
                Op::Retain(md, r) => {
                    let mut seen = 0;
                    t.retain(|_, v| { seen += 1; *v % md != r });
                    prop_assert_eq!(seen, m.len(), "retain visits every element once");
                    m.retain(|_, v| *v % md != r);
                }
                Op::Clear => {
                    t.clear();
                    m.clear();
                }
            }
            prop_assert_eq!(t.len(), m.len(), "step {}", step);
            if let Err(e) = t.check_invariants() {
                return Err(TestCaseError::fail(format!("step {step} {o:?}: {e}")));
            }
        }
        let mut got: Vec<(Digest, u32)> = t.iter().map(|(d, v)| (*d, *v)).collect();
        let mut want: Vec<(Digest, u32)> = m.iter().map(|(d, v)| (*d, *v)).collect();
        got.sort();
        want.sort();
        prop_assert_eq!(&got, &want);
        prop_assert_eq!(t.keys().count(), m.len());
        prop_assert_eq!(t.values().map(|v| u64::from(*v)).sum::<u64>(),
                        m.values().map(|v| u64::from(*v)).sum::<u64>());
    }

    /// The partitioned `Index` over digests that collide inside a partition and across
    /// partitions (same in-partition hash, different partition ids) answers as a `HashMap`.
    #[test]
    fn index_matches_hashmap((mode, ops) in scenario(), partitions in 1..6u16) {
        let ix = Index::new();
        let mut m: HashMap<Digest, IndexEntry> = HashMap::new();
        let entry = |v: u32| IndexEntry::new(Location { block: v, offset: v ^ 7 }, v, 1 + (v % 65535) as u16, v, u64::from(v), 0, 0);
        for o in &ops {
            match *o {
                Op::Insert(k, v) => {
                    let d = digest(mode, k, partitions);
                    prop_assert_eq!(ix.put(d, entry(v)), m.insert(d, entry(v)));
                }
                Op::Remove(k) | Op::Bump(k) => {
                    let d = digest(mode, k, partitions);
                    prop_assert_eq!(ix.remove(&d), m.remove(&d));
                }
                Op::Get(k) => {
                    let d = digest(mode, k, partitions);
                    prop_assert_eq!(ix.get(&d), m.get(&d).copied());
                }
                Op::Retain(md, r) => {
                    for p in 0..partitions {
                        ix.partition_mut(usize::from(p)).retain(|_, e| e.size % md != r);
                    }
                    m.retain(|_, e| e.size % md != r);
                }
                Op::Clear => {}
            }
            prop_assert_eq!(ix.len(), m.len());
        }
        for p in 0..partitions {
            let part = ix.partition(usize::from(p));
            if let Err(e) = part.check_invariants() {
                return Err(TestCaseError::fail(format!("partition {p}: {e}")));
            }
            for (d, e) in part.iter() {
                prop_assert_eq!(d.partition_id(), p);
                prop_assert_eq!(m.get(d), Some(e));
            }
        }
    }
}

/// Digest `i` of `n` for the bulk run: uniform (mode 0), 4 hashes only (1), evenly spaced
/// hashes starting just below the top (2), evenly spaced sorted (3) — inserted in `i` order, so
/// (3) arrives in hash order.
fn bulk_digest(mode: u8, i: u16, n: u16) -> Digest {
    let step = u64::MAX / u64::from(n);
    let h = match mode {
        2 => (u64::from(i) * step).wrapping_add(u64::MAX - 100 * step),
        3 => u64::from(i) * step,
        _ => return digest(mode, i, 1),
    };
    let mut d = digest(0, i, 1).0;
    d[4..12].copy_from_slice(&h.to_le_bytes());
    Digest(d)
}

/// Deterministic bulk run: 20 000 digests (2 000 for the 4-hash pool) inserted, half removed, the
/// rest retained away — invariants checked every 500 steps, contents at the end of each phase.
#[test]
fn bulk_grow_and_shrink_keeps_invariants() {
    for mode in 0..4u8 {
        let mut t: DigestTable<u32> = DigestTable::new();
        let n = if mode == 1 { 2_000 } else { 20_000 }; // 4 hashes only: quadratic probing cost
        let digest = |mode, i, _| bulk_digest(mode, i, n);
        for i in 0..n {
            assert_eq!(t.insert(digest(mode, i, 1), u32::from(i)), None);
            if i % 500 == 0 {
                t.check_invariants().expect("invariants while growing");
            }
        }
        t.check_invariants().expect("invariants after growth");
        for i in (0..n).step_by(2) {
            assert_eq!(t.remove(&digest(mode, i, 1)), Some(u32::from(i)));
            if i % 500 == 0 {
                t.check_invariants().expect("invariants while shrinking");
            }
        }
        for i in 0..n {
            let want = (i % 2 == 1).then_some(u32::from(i));
            assert_eq!(
                t.get(&digest(mode, i, 1)).copied(),
                want,
                "mode {mode} key {i}"
            );
        }
        t.retain(|_, v| *v % 4 == 1);
        t.check_invariants().expect("invariants after retain");
        assert_eq!(t.len(), usize::from(n / 4));
        t.retain(|_, _| false);
        assert_eq!(
            (t.len(), t.heap_bytes()),
            (0, 0),
            "an emptied table frees its slots"
        );
    }
}

/// `Index::restore` (the snapshot load, RS-CLEAN) gives the same index as putting the entries one
/// by one — into a non-empty index, with duplicate digests (the later wins), in table order — and
/// leaves every partition within T1–T4.
#[test]
fn restore_matches_puts() {
    let entry = |v: u32| {
        IndexEntry::new(
            Location {
                block: v,
                offset: 0,
            },
            v,
            1,
            0,
            0,
            0,
            0,
        )
    };
    let first: Vec<(Digest, IndexEntry)> = (0..3_000u16)
        .map(|i| (digest(0, i, 7), entry(u32::from(i))))
        .collect();
    let snapshot: Vec<(Digest, IndexEntry)> = (2_000..9_000u16)
        .chain(5_000..5_500)
        .map(|i| (digest(0, i, 7), entry(u32::from(i) + 100_000)))
        .collect();
    let by_puts = Index::new();
    let restored = Index::new();
    for (d, e) in &first {
        by_puts.put(*d, *e);
        restored.put(*d, *e);
    }
    for (d, e) in &snapshot {
        by_puts.put(*d, *e);
    }
    restored.restore(snapshot);
    assert_eq!(restored.len(), by_puts.len());
    assert_eq!(restored.len(), 9_000);
    for p in 0..7 {
        let part = restored.partition(p);
        part.check_invariants().expect("invariants after restore");
        for (d, e) in part.iter() {
            assert_eq!(by_puts.get(d), Some(*e));
        }
    }
}
