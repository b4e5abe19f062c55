//! The partitioned index (`aerolite::index::Index`, dense Robin Hood tables) against the map it
//! replaced (4096 × `Mutex<HashMap<Digest, IndexEntry>>` hashed by digest bytes), side by side in
//! one process so a noisy machine affects both alike: single-threaded insert, hit and miss
//! lookups in random order, replace, remove, and a snapshot-style restore (every entry in the
//! filled index's own order into an empty one); ns/op and heap bytes per record.
//!
//! `cargo run --release --example index_bench -- [RECORDS (default 1000000)] [ROUNDS (default 3)]`

use aerolite::index::digest_hash::DigestBuildHasher;
use aerolite::index::{Index, IndexEntry, Location};
use aerolite::record::key::PARTITIONS;
use aerolite::{Digest, Key};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::Mutex;
use std::time::Instant;

type OldIndex = Vec<Mutex<HashMap<Digest, IndexEntry, DigestBuildHasher>>>;

fn old_part<'a>(
    ix: &'a OldIndex,
    d: &Digest,
) -> std::sync::MutexGuard<'a, HashMap<Digest, IndexEntry, DigestBuildHasher>> {
    ix[usize::from(d.partition_id())].lock().expect("lock")
}

fn entry(i: usize) -> IndexEntry {
    IndexEntry::new(
        Location {
            block: i as u32,
            offset: 0,
        },
        1536,
        1,
        0,
        i as u64,
        0,
        0,
    )
}

fn ns_per(n: usize, f: impl FnOnce()) -> f64 {
    let t = Instant::now();
    f();
    t.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args
        .next()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let rounds: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(3);
    let key = |i: usize| Key::new("test", "s", i as i64).expect("integer key").digest;
    let digests: Vec<Digest> = (0..n).map(key).collect();
    let missing: Vec<Digest> = (n..2 * n).map(key).collect();
    // A fixed shuffle (xorshift) for the lookup order.
    let mut order: Vec<usize> = (0..n).collect();
    let mut x = 0x2545_F491_4F6C_DD1Du64;
    for i in (1..n).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        order.swap(i, (x % (i as u64 + 1)) as usize);
    }
    println!("{n} records, {rounds} rounds; ns/op (lower is better), new/old ratio");
    println!(
        "{:>6} {:>9} {:>9} {:>9} {:>9} {:>9} {:>8} {:>9}",
        "index", "insert", "get-hit", "get-miss", "replace", "remove", "B/rec", "restore"
    );
    let mut best_new = [f64::MAX; 7];
    let mut best_old = [f64::MAX; 7];
    for _ in 0..rounds {
        let new = Index::new();
        let empty = new.memory_bytes();
        let mut r_new = [0.0; 7];
        r_new[0] = ns_per(n, || {
            for (i, d) in digests.iter().enumerate() {
                black_box(new.put(*d, entry(i)));
            }
        });
        r_new[1] = ns_per(n, || {
            for &i in &order {
                black_box(new.get(&digests[i]));
            }
        });
        r_new[2] = ns_per(n, || {
            for d in &missing {
                black_box(new.get(d));
            }
        });
        r_new[3] = ns_per(n, || {
            for &i in &order {
                black_box(new.put(digests[i], entry(i + 1)));
            }
        });
        r_new[5] = (new.memory_bytes() - empty) as f64 / n as f64;
        println!(
            "the index tables' huge-page pool after the inserts: {:.1} B/rec mapped",
            aerolite::index::pool::mapped_bytes() as f64 / n as f64
        );
        let image: Vec<(Digest, IndexEntry)> = (0..PARTITIONS)
            .flat_map(|p| {
                new.partition(p)
                    .iter()
                    .map(|(d, e)| (*d, *e))
                    .collect::<Vec<_>>()
            })
            .collect();
        let restored = Index::new();
        r_new[6] = ns_per(n, || restored.restore(image));
        drop(restored);
        r_new[4] = ns_per(n, || {
            for &i in &order {
                black_box(new.remove(&digests[i]));
            }
        });

        let old: OldIndex = (0..PARTITIONS)
            .map(|_| Mutex::new(HashMap::default()))
            .collect();
        let mut r_old = [0.0; 7];
        r_old[0] = ns_per(n, || {
            for (i, d) in digests.iter().enumerate() {
                black_box(old_part(&old, d).insert(*d, entry(i)));
            }
        });
        r_old[1] = ns_per(n, || {
            for &i in &order {
                black_box(old_part(&old, &digests[i]).get(&digests[i]).copied());
            }
        });
        r_old[2] = ns_per(n, || {
            for d in &missing {
                black_box(old_part(&old, d).get(d).copied());
            }
        });
        r_old[3] = ns_per(n, || {
            for &i in &order {
                black_box(old_part(&old, &digests[i]).insert(digests[i], entry(i + 1)));
            }
        });
        let slot = std::mem::size_of::<(Digest, IndexEntry)>() + 1;
        r_old[5] = old
            .iter()
            .map(|p| p.lock().expect("lock").capacity() * slot)
            .sum::<usize>() as f64
            / n as f64;
        let image: Vec<(Digest, IndexEntry)> = old
            .iter()
            .flat_map(|p| {
                let p = p.lock().expect("lock");
                p.iter().map(|(d, e)| (*d, *e)).collect::<Vec<_>>()
            })
            .collect();
        let restored: OldIndex = (0..PARTITIONS)
            .map(|_| Mutex::new(HashMap::default()))
            .collect();
        r_old[6] = ns_per(n, || {
            for (d, e) in image {
                old_part(&restored, &d).insert(d, e);
            }
        });
        drop(restored);
        r_old[4] = ns_per(n, || {
            for &i in &order {
                black_box(old_part(&old, &digests[i]).remove(&digests[i]));
            }
        });

        for k in 0..7 {
            best_new[k] = best_new[k].min(r_new[k]);
            best_old[k] = best_old[k].min(r_old[k]);
        }
    }
    let row = |name: &str, r: &[f64; 7]| {
        println!(
            "{name:>6} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>9.1} {:>8.1} {:>9.1}",
            r[0], r[1], r[2], r[3], r[4], r[5], r[6]
        )
    };
    println!("best of {rounds} rounds:");
    row("new", &best_new);
    row("old", &best_old);
    let ratio: Vec<String> = (0..7)
        .map(|k| format!("{:>9.2}", best_new[k] / best_old[k]))
        .collect();
    println!("{:>6} {}", "ratio", ratio.join(" "));
}
