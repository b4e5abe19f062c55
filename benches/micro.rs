//! criterion micro-benchmarks of the hot paths: digest (and the `ripemd` crate on the same
//! bytes), record image encode / decode, CRC32 of a 1.5 KiB image, `put`, `get` and a 3-op
//! `operate` through the public `Database` on the in-memory backend, and a map put into a
//! 1,000-entry map; `read_path`: each step of a point read and an overwrite at the compare
//! setup's sizes (16 B keys, 200 B values, 1M records), for BENCHMARKS.md "Read path, session 5".
//! Run: `cargo bench --bench micro` (short pass: `-- --warm-up-time 0.5 --measurement-time 1.5`).

use aerolite::bench::keys::key_string;
use aerolite::format::record_image::{self, ImageMeta};
use aerolite::operations::{self, maps};
use aerolite::record::bin::BinList;
use aerolite::record::key::{compute_digest, UserKeyBytes};
use aerolite::{
    Bin, Bins, Database, Key, MapOrder, MapPolicy, MapWriteFlags, ReadPolicy, Value, WritePolicy,
};
use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ripemd::{Digest as _, Ripemd160};

const RECORDS: u64 = 10_000;

fn meta(key: &Key) -> ImageMeta {
    ImageMeta {
        digest: key.digest,
        generation: 1,
        lut: 1,
        void_time: 0,
        tombstone: false,
        set_name: key.set_name.clone(),
        key: None,
        block_seq: 0,
    }
}

fn value_1500() -> Vec<u8> {
    (0..1500u32).map(|i| (i * 31) as u8).collect()
}

fn digest(c: &mut Criterion) {
    let kb = UserKeyBytes::of(&Value::from(key_string(12_345))).expect("string keys encode");
    c.bench_function("digest/ripemd160_16B_key", |b| {
        b.iter(|| compute_digest(black_box("usertable"), kb.type_byte, black_box(&kb.bytes)))
    });
    // The `ripemd` crate on the same bytes, which `compute_digest` used before
    // `record::ripemd160` (its two lines interleaved).
    c.bench_function("digest/ripemd160_16B_key_crate", |b| {
        b.iter(|| {
            let mut h = Ripemd160::new();
            h.update(black_box("usertable").as_bytes());
            h.update([kb.type_byte]);
            h.update(black_box(&kb.bytes));
            h.finalize()
        })
    });
}

fn image(c: &mut Criterion) {
    let key = Key::new("test", "usertable", key_string(1)).expect("valid key");
    let m = meta(&key);
    let mut bins = BinList::new();
    bins.set("v", Value::Blob(value_1500()));
    bins.set("n", Value::Int(42));
    let mut g = c.benchmark_group("record_image");
    g.throughput(Throughput::Bytes(
        record_image::encoded_size(&m, &bins) as u64
    ));
    g.bench_function("encode_1500B", |b| {
        b.iter(|| record_image::encode(black_box(&m), black_box(&bins)))
    });
    let mut img = record_image::encode(&m, &bins);
    record_image::seal(&mut img, 7);
    g.bench_function("decode_1500B", |b| {
        b.iter(|| record_image::decode(black_box(&img)))
    });
    g.bench_function("crc32_1536B", |b| {
        b.iter(|| crc32fast::hash(black_box(&img)))
    });
    g.bench_function("seal_1536B", |b| {
        b.iter_batched_ref(
            || img.clone(),
            |i| record_image::seal(i, 8),
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn loaded_db() -> (Database, Vec<Key>) {
    let db = Database::open_in_memory().expect("in-memory database");
    let keys: Vec<Key> = (0..RECORDS)
        .map(|i| Key::new("test", "usertable", key_string(i)).expect("valid key"))
        .collect();
    let v = value_1500();
    for k in &keys {
        db.put(
            &WritePolicy::default(),
            k,
            &[Bin::new("v", Value::Blob(v.clone())), Bin::new("n", 0)],
        )
        .expect("load");
    }
    (db, keys)
}

fn database(c: &mut Criterion) {
    let (db, keys) = loaded_db();
    let wp = WritePolicy::default();
    let rp = ReadPolicy::default();
    let bins = [Bin::new("v", Value::Blob(value_1500()))];
    let mut g = c.benchmark_group("database_memory");
    let mut i = 0usize;
    g.bench_function("put_1500B", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            db.put(&wp, &keys[i], &bins)
        })
    });
    g.bench_function("get_1500B", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            db.get(&rp, &keys[i], Bins::All)
        })
    });
    g.bench_function("get_header", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            db.get_header(&rp, &keys[i])
        })
    });
    let ops = [
        operations::add(&Bin::new("n", 1)),
        operations::put(&Bin::new("s", "x")),
        operations::get_bin("n"),
    ];
    g.bench_function("operate_add_put_get", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            db.operate(&wp, &keys[i], &ops)
        })
    });
    g.bench_function("key_new_digest", |b| {
        b.iter(|| {
            i = (i + 7919) % keys.len();
            Key::new("test", "usertable", key_string(i as u64))
        })
    });
    g.finish();
}

/// Put into a bin holding a 1,000-entry key-ordered map: each put replaces the value of an
/// existing key, so the map stays at 1,000 entries.
fn map_put(c: &mut Criterion) {
    let db = Database::open_in_memory().expect("in-memory database");
    let key = Key::new("test", "usertable", "map-1k").expect("valid key");
    let policy = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::default());
    let items: Vec<(Value, Value)> = (0..1000i64)
        .map(|i| (Value::Int(i), Value::Int(i)))
        .collect();
    db.operate(
        &WritePolicy::default(),
        &key,
        &[maps::put_items(&policy, "m", Value::map(items))],
    )
    .expect("1k map");
    let wp = WritePolicy::default();
    let mut i = 0i64;
    c.bench_function("cdt/map_put_into_1k_map", |b| {
        b.iter(|| {
            i = (i + 7) % 1000;
            db.operate(&wp, &key, &[maps::put(&policy, "m", i, i + 1)])
        })
    });
}

/// B-MAX: a put of many bins is linear in the bin count (name lookups through BinList's index).
fn many_bins(c: &mut Criterion) {
    let db = Database::open_in_memory().expect("in-memory database");
    let wp = WritePolicy::default();
    let mut g = c.benchmark_group("bins");
    g.sample_size(10);
    for n in [1_000usize, 32_767] {
        let bins: Vec<Bin> = (0..n)
            .map(|i| Bin::new(&format!("b{i}"), Value::Int(i as i64)))
            .collect();
        let key = Key::new("test", "usertable", n as i64).expect("valid key");
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(format!("put_{n}_bins"), |b| {
            b.iter(|| db.put(&wp, &key, black_box(&bins)))
        });
    }
    g.finish();
}

/// One 200-byte blob bin, as `benches/compare` stores it.
fn bins_200() -> BinList {
    let mut bins = BinList::new();
    bins.set("v", Value::Blob((0..200u32).map(|i| i as u8).collect()));
    bins
}

/// The steps of a point read and an overwrite, each alone, at the compare setup's sizes: the
/// index and the record locks hold 1M digests (a probe is a random memory access), the image is
/// a 200-byte value's; `get`/`put` are whole calls on the memory backend with 1M records.
fn read_path(c: &mut Criterion) {
    const N: u64 = 1_000_000;
    let keys: Vec<Key> = (0..N)
        .map(|i| Key::new("test", "usertable", key_string(i)).expect("valid key"))
        .collect();
    let index = aerolite::index::Index::new();
    let entry = aerolite::index::IndexEntry::new(Default::default(), 272, 1, 0, 1, 0, 0);
    for k in &keys {
        index.put(k.digest, entry);
    }
    let locks = aerolite::engine::locks::RecordLocks::default();
    let mut img = record_image::encode(&meta(&keys[0]), &bins_200());
    record_image::seal(&mut img, 7);
    let mut g = c.benchmark_group("read_path");
    let mut i = 0usize;
    let mut next = || {
        i = (i + 1) % keys.len();
        &keys[i]
    };
    g.bench_function("key_new_digest_16B", |b| {
        b.iter(|| Key::new("test", "usertable", black_box(key_string(12_345))))
    });
    g.bench_function("index_get_1M", |b| b.iter(|| index.get(&next().digest)));
    g.bench_function("record_lock_acquire_release", |b| {
        b.iter(|| drop(locks.acquire(next().digest, 0, None)))
    });
    g.bench_function("clock_now_ms", |b| {
        b.iter(|| aerolite::Clock::now_ms(&aerolite::SystemClock))
    });
    g.bench_function("crc32_image_200B", |b| {
        b.iter(|| crc32fast::hash(black_box(&img)))
    });
    let view = aerolite::format::image_view::ImageView::parse;
    g.bench_function("image_parse_200B", |b| b.iter(|| view(black_box(&img))));
    g.bench_function("image_parse_and_bins_200B", |b| {
        b.iter(|| view(black_box(&img)).map(|v| v.bins()))
    });
    drop(index);
    let db = Database::open_in_memory().expect("in-memory database");
    let wp = WritePolicy::default();
    let bins = [Bin::new("v", Value::Blob(vec![7u8; 200]))];
    for k in &keys {
        db.put(&wp, k, &bins).expect("load");
    }
    let rp = ReadPolicy::default();
    g.bench_function("get_200B_1M_memory", |b| {
        b.iter(|| db.get(&rp, next(), Bins::All))
    });
    g.bench_function("put_200B_1M_memory", |b| {
        b.iter(|| db.put(&wp, next(), &bins))
    });
    g.finish();
}

criterion_group!(benches, digest, image, database, map_put, many_bins, read_path);
criterion_main!(benches);
