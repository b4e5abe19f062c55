//! Issue 14 point 5: what a write that touches no indexed bin pays for secondary indexes. The
//! same `put` of an integer to bin "v" (Update: the record keeps its other bins) on an
//! in-memory database of 10,000 records with bins "a" (integer), "s" (string) and "v", once
//! with no index and once with two indexes on the set ("a" numeric, "s" string). SIDX-EXACT-1
//! makes the write re-extract each index's keys from the new bins and compare them with the
//! stored ones; nothing else changes.
//!
//! Run: `cargo bench --bench sindex -- --warm-up-time 1 --measurement-time 3`.

use aerolite::{as_bin, AdminPolicy, CollectionIndexType, Database, IndexType, Key, WritePolicy};
use criterion::{black_box, criterion_group, criterion_main, Criterion};

const RECORDS: i64 = 10_000;

fn key(i: i64) -> Key {
    Key::new("test", "s", i).expect("key")
}

fn populated(indexes: bool) -> Database {
    let db = Database::open_in_memory().expect("db");
    for i in 0..RECORDS {
        let bins = [
            as_bin!("a", i),
            as_bin!("s", format!("s{i}")),
            as_bin!("v", 0),
        ];
        db.put(&WritePolicy::default(), &key(i), &bins)
            .expect("put");
    }
    if indexes {
        for (bin, name, t) in [
            ("a", "ia", IndexType::Numeric),
            ("s", "is", IndexType::String),
        ] {
            db.create_index_on_bin(
                &AdminPolicy::default(),
                "test",
                "s",
                bin,
                name,
                t,
                CollectionIndexType::Default,
                None,
            )
            .expect("create")
            .wait_till_complete()
            .expect("built");
        }
    }
    db
}

fn bench_put(c: &mut Criterion) {
    let mut g = c.benchmark_group("put_untouched_bin");
    let wp = WritePolicy::default();
    for (name, indexes) in [("no_index", false), ("two_indexes", true)] {
        let db = populated(indexes);
        let mut i = 0i64;
        g.bench_function(name, |b| {
            b.iter(|| {
                i = (i + 7919) % RECORDS;
                black_box(db.put(&wp, &key(i), &[as_bin!("v", i)]).expect("put"))
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench_put);
criterion_main!(benches);
