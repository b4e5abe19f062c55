//! Index memory per record (issue #3 / #5 goal: ≤ 64 bytes per record, Aerospike's entry size):
//! the digest + entry slot is asserted statically, and the index's actual heap bytes (every table
//! slot by capacity, the occupancy bitmaps, and the fixed array of 4096 partition locks) are
//! measured while records are added and removed:
//! - `Index` alone, at every 1 000th record count up to 300 000 (`AEROLITE_INDEX_RECORDS` for more,
//!   e.g. 1000000): bytes above the empty index per record ≤ 64 at every count, and total bytes
//!   (the fixed partition array included) per record ≤ 64 from 50 000 records on;
//! - the same while the records are removed again (tables shrink, invariant T4);
//! - through `Database` (100 000 puts): `stats().index_bytes` above the empty database ≤ 64.
//!
//! Tables of at least 4 KiB of slots (from ~350k records) live in the process's huge-page pool
//! (`index::pool`) and count here by their blocks. The pool's free ranges between blocks are
//! process-wide, reported apart (`Stats::index_pool_free_bytes`), and not in these figures: at
//! 1M records they add ~10 B per record (BENCHMARKS.md "Index tables on huge pages").

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::index::{Index, IndexEntry, Location};
use aerolite::Digest;
use sem::*;

fn records() -> usize {
    std::env::var("AEROLITE_INDEX_RECORDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300_000)
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

#[test]
fn digest_plus_entry_fits_64_bytes() {
    let slot = std::mem::size_of::<(Digest, IndexEntry)>();
    println!(
        "IndexEntry = {} bytes, digest + entry = {slot} bytes",
        std::mem::size_of::<IndexEntry>()
    );
    assert!(slot <= 64, "digest + entry is {slot} bytes");
}

/// Bytes per record at `n` records: (above the empty index, total).
fn per_record(ix: &Index, empty: usize, n: usize) -> (f64, f64) {
    let b = ix.memory_bytes();
    ((b - empty) as f64 / n as f64, b as f64 / n as f64)
}

#[test]
fn index_bytes_per_record_at_every_count() {
    let n = records();
    let digests: Vec<Digest> = (0..n as i64).map(|i| key(i).digest).collect();
    let ix = Index::new();
    let empty = ix.memory_bytes();
    println!("empty index (4096 partition locks and table headers): {empty} bytes");
    let mut worst = (0.0f64, 0usize);
    let check = |count: usize, worst: &mut (f64, usize), phase: &str| {
        let (above, total) = per_record(&ix, empty, count);
        if above > worst.0 {
            *worst = (above, count);
        }
        if [10_000, 100_000, 200_000, 300_000, 1_000_000].contains(&count) {
            println!("{phase} {count}: {above:.1} B/record above empty, {total:.1} B/record total");
        }
        assert!(
            above <= 64.0,
            "{phase} {count} records: {above:.1} B/record"
        );
        if count >= 50_000 {
            assert!(
                total <= 64.0,
                "{phase} {count} records: {total:.1} B/record total"
            );
        }
    };
    for (i, d) in digests.iter().enumerate() {
        assert_eq!(ix.put(*d, entry(i)), None);
        let count = i + 1;
        if count % 1000 == 0 || [1, 10, 100].contains(&count) {
            check(count, &mut worst, "insert");
        }
    }
    assert_eq!(ix.len(), n);
    println!("insert: worst {:.1} B/record at {}", worst.0, worst.1);
    worst = (0.0, 0);
    for (i, d) in digests.iter().enumerate().rev() {
        assert_eq!(ix.remove(d), Some(entry(i)));
        if i % 1000 == 0 && i > 0 {
            check(i, &mut worst, "remove");
        }
    }
    println!("remove: worst {:.1} B/record at {}", worst.0, worst.1);
    assert_eq!(
        ix.memory_bytes(),
        empty,
        "an emptied index frees every table"
    );
}

#[test]
fn database_index_bytes_per_record_100k() {
    let n: i64 = 100_000;
    let t = common::open();
    let empty = t.db.stats().index_bytes;
    for i in 0..n {
        put_ok(&t, &wp(), &key(i), &[bin("v", i)]);
    }
    let s = t.db.stats();
    assert_eq!(s.records, n as u64);
    let per = (s.index_bytes - empty) as f64 / n as f64;
    println!(
        "database: {} bytes for {n} records = {per:.1} bytes/record above the empty index",
        s.index_bytes - empty
    );
    assert!(per <= 64.0, "{per:.1} bytes per record");
}
