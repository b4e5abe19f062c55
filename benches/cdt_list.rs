//! List operations through `Database::operate` on an in-memory database (issue 16 point 4), on
//! lists of n integer elements, n = 64, 1k, 10k, 50k:
//!
//! - `list_write`: an append to an unordered list, an insert in its middle, and an add-unique
//!   append to an ordered list, each in one `operate`; only that call is timed, an untimed
//!   remove takes the element out again so the list keeps n elements;
//! - `list_read`: read-only operates: get by index (the middle), get by index range (10
//!   elements from the middle), size, and get by value on an ordered list.
//!
//! Run: `cargo bench --bench cdt_list -- --warm-up-time 1 --measurement-time 2`.

use aerolite::operations::lists;
use aerolite::{
    as_key, Bin, Database, List, ListOrderType, ListPolicy, ListReturnType, ListWriteFlags,
    Operation, Value, WritePolicy,
};
use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion};

const SIZES: [i64; 4] = [64, 1_000, 10_000, 50_000];

fn list_of(n: i64, order: ListOrderType) -> Value {
    Value::List(List {
        order,
        items: (0..n).map(|i| Value::Int(i * 2)).collect(),
    })
}

/// Time `ops` alone, running `undo` untimed after each call.
fn timed_with_undo<'a>(
    db: &'a Database,
    key: &'a aerolite::Key,
    ops: &[Operation],
    undo: &[Operation],
) -> impl FnMut(u64) -> std::time::Duration + 'a {
    let wp = WritePolicy::default();
    let (ops, undo) = (ops.to_vec(), undo.to_vec());
    move |iters| {
        let mut spent = std::time::Duration::ZERO;
        for _ in 0..iters {
            let t = std::time::Instant::now();
            black_box(db.operate(&wp, key, &ops).expect("operate"));
            spent += t.elapsed();
            db.operate(&wp, key, &undo).expect("operate undo");
        }
        spent
    }
}

fn bench_write(c: &mut Criterion) {
    let mut g = c.benchmark_group("list_write");
    let db = Database::open_in_memory().expect("db");
    let wp = WritePolicy::default();
    let plain = ListPolicy::new(ListOrderType::Unordered, ListWriteFlags::Default);
    let unique = ListPolicy::new(ListOrderType::Ordered, ListWriteFlags::AddUnique);
    for n in SIZES {
        // One list per record: the in-place paths decode the record's other bins.
        let key = as_key!("test", "list", n);
        let okey = as_key!("test", "ordered", n);
        let l = [Bin::new("l", list_of(n, ListOrderType::Unordered))];
        db.put(&wp, &key, &l).expect("put");
        let o = [Bin::new("o", list_of(n, ListOrderType::Ordered))];
        db.put(&wp, &okey, &o).expect("put");
        let last = [lists::remove_by_index("l", -1, ListReturnType::None)];
        let append = [lists::append(&plain, "l", 7)];
        g.bench_with_input(BenchmarkId::new("append", n), &n, |b, _| {
            b.iter_custom(timed_with_undo(&db, &key, &append, &last))
        });
        let mid = [lists::remove_by_index("l", n / 2, ListReturnType::None)];
        let insert = [lists::insert(&plain, "l", n / 2, 7)];
        g.bench_with_input(BenchmarkId::new("insert_mid", n), &n, |b, _| {
            b.iter_custom(timed_with_undo(&db, &key, &insert, &mid))
        });
        // Elements are even: an odd value is new and lands in the middle.
        let add = [lists::append(&unique, "o", n + 1)];
        let gone = [lists::remove_by_value("o", n + 1, ListReturnType::None)];
        g.bench_with_input(BenchmarkId::new("ordered_add_unique", n), &n, |b, _| {
            b.iter_custom(timed_with_undo(&db, &okey, &add, &gone))
        });
    }
    g.finish();
}

fn bench_read(c: &mut Criterion) {
    let mut g = c.benchmark_group("list_read");
    let db = Database::open_in_memory().expect("db");
    let wp = WritePolicy::default();
    for n in SIZES {
        let key = as_key!("test", "list_read", n);
        let okey = as_key!("test", "ordered_read", n);
        let l = [Bin::new("l", list_of(n, ListOrderType::Unordered))];
        db.put(&wp, &key, &l).expect("put");
        let o = [Bin::new("o", list_of(n, ListOrderType::Ordered))];
        db.put(&wp, &okey, &o).expect("put");
        let cases = [
            (
                &key,
                "get_by_index",
                lists::get_by_index("l", n / 2, ListReturnType::Value),
            ),
            (
                &key,
                "get_by_index_range",
                lists::get_by_index_range_count("l", n / 2, 10, ListReturnType::Value),
            ),
            (&key, "size", lists::size("l")),
            (
                &okey,
                "ordered_get_by_value",
                lists::get_by_value("o", n, ListReturnType::Index),
            ),
        ];
        for (k, name, op) in cases {
            let ops = [op];
            g.bench_with_input(BenchmarkId::new(name, n), &n, |b, _| {
                b.iter(|| black_box(db.operate(&wp, k, &ops).expect("operate read")))
            });
        }
    }
    g.finish();
}

criterion_group!(benches, bench_write, bench_read);
criterion_main!(benches);
