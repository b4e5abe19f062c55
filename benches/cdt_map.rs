//! Map put and get_by_key on key-ordered maps of 10, 100, 1k and 10k entries, measured on the CDT
//! op itself (`CdtOperation::apply` on a decoded bin value) and through `Database::operate` on an
//! in-memory database (which adds decode / clone / encode of the whole record per request).
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

criterion_group!(benches, bench_op, bench_operate);
criterion_main!(benches);
