//! Map put and get_by_key on key-ordered maps of 10, 100, 1k and 10k entries, measured on the CDT
//! op itself (`CdtOperation::apply` on a decoded bin value) and through `Database::operate` on an
//! in-memory database (which adds decode / clone / encode of the whole record per request).
//!
//! `operate_put_add` is the op pair of issue 16 point 4: a CreateOnly put of a new key in the
//! middle of a key-ordered map of n integer entries plus an add to another bin, in one
//! `operate` (memory backend); only that call is timed, an untimed remove takes the key out
//! again so the map keeps n entries.
//!
//! `operate_read` times read-only operates on the same key-ordered maps of n entries: get by
//! key, get by index (the middle) and size.
//!
//! Run: `cargo bench --bench cdt_map -- --warm-up-time 1 --measurement-time 2`.

use aerolite::operations::maps;
use aerolite::{
    as_key, Bin, Database, Map, MapOrder, MapPolicy, MapReturnType, MapWriteFlags, Operation,
    Value, WritePolicy,
};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};

const SIZES: [i64; 4] = [10, 100, 1_000, 10_000];

fn map_of(n: i64) -> Value {
    Value::Map(Map {
        order: MapOrder::KeyOrdered,
        entries: (0..n).map(|i| (Value::Int(i * 2), Value::Int(i))).collect(),
    })
}

fn policy() -> MapPolicy {
    MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::Default)
}

fn cdt(op: Operation) -> aerolite::cdt::CdtOperation {
    match op {
        Operation::Cdt(c) => c,
        _ => unreachable!("map builders make CDT ops"),
    }
}

fn bench_op(c: &mut Criterion) {
    let mut g = c.benchmark_group("cdt_op");
    for n in SIZES {
        let mut slot = Some(map_of(n));
        // Overwrite an existing key in the middle: size stays n across iterations.
        let put = cdt(maps::put(&policy(), "m", n, 7));
        g.bench_with_input(BenchmarkId::new("put", n), &n, |b, _| {
            b.iter(|| black_box(put.apply(&mut slot).expect("put")))
        });
        let get = cdt(maps::get_by_key("m", n, MapReturnType::Value));
        g.bench_with_input(BenchmarkId::new("get_by_key", n), &n, |b, _| {
            b.iter(|| black_box(get.apply(&mut slot).expect("get")))
        });
    }
    g.finish();
}

fn bench_operate(c: &mut Criterion) {
    let mut g = c.benchmark_group("operate");
    let db = Database::open_in_memory().expect("db");
    let wp = WritePolicy::default();
    for n in SIZES {
        let key = as_key!("test", "bench", n);
        db.put(&wp, &key, &[Bin::new("m", map_of(n))]).expect("put");
        let put = [maps::put(&policy(), "m", n, 7)];
        g.bench_with_input(BenchmarkId::new("put", n), &n, |b, _| {
            b.iter(|| black_box(db.operate(&wp, &key, &put).expect("operate put")))
        });
        let get = [maps::get_by_key("m", n, MapReturnType::Value)];
        g.bench_with_input(BenchmarkId::new("get_by_key", n), &n, |b, _| {
            b.iter(|| black_box(db.operate(&wp, &key, &get).expect("operate get")))
        });
    }
    g.finish();
}

const PAIR_SIZES: [i64; 4] = [64, 1_000, 10_000, 50_000];

fn bench_put_add(c: &mut Criterion) {
    let mut g = c.benchmark_group("operate_put_add");
    let db = Database::open_in_memory().expect("db");
    let wp = WritePolicy::default();
    let create_only = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CreateOnly);
    for n in PAIR_SIZES {
        let key = as_key!("test", "pair", n);
        let bins = [Bin::new("m", map_of(n)), Bin::new("c", 0)];
        db.put(&wp, &key, &bins).expect("put");
        // Keys are even: an odd key in the middle is new.
        let ops = [
            maps::put(&create_only, "m", n + 1, 7),
            aerolite::operations::add(&Bin::new("c", 1)),
        ];
        let undo = [maps::remove_by_key("m", n + 1, MapReturnType::None)];
        g.bench_with_input(BenchmarkId::new("put_add", n), &n, |b, _| {
            b.iter_custom(|iters| {
                let mut spent = std::time::Duration::ZERO;
                for _ in 0..iters {
                    let t = std::time::Instant::now();
                    black_box(db.operate(&wp, &key, &ops).expect("operate put+add"));
                    spent += t.elapsed();
                    db.operate(&wp, &key, &undo).expect("operate remove");
                }
                spent
            })
        });
    }
    g.finish();
}

fn bench_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("operate_read");
    let db = Database::open_in_memory().expect("db");
    let wp = WritePolicy::default();
    for n in PAIR_SIZES {
        let key = as_key!("test", "read", n);
        db.put(&wp, &key, &[Bin::new("m", map_of(n))]).expect("put");
        let cases = [
            ("get_by_key", maps::get_by_key("m", n, MapReturnType::Value)),
            (
                "get_by_index",
                maps::get_by_index("m", n / 2, MapReturnType::KeyValue),
            ),
            ("size", maps::size("m")),
        ];
        for (name, op) in cases {
            let ops = [op];
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| black_box(db.operate(&wp, &key, &ops).expect("operate read")))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_op, bench_operate, bench_put_add, bench_read);
criterion_main!(benches);
