//! The device read path from every place an image can be: the open write buffer, the flush
//! queue / post-write cache, the OS page cache (`read_page_cache`) and a direct device read —
//! through every kind of read the engine serves from a borrowed view of the image (get all bins,
//! named bins, header only, exists) and through the full decode (operate reads, read-modify-write
//! updates). Rows: R-ALL, R-HEADER, R-EXISTS, R-BIN-ABSENT, R-BIN-NAME, R-KEY / SK-MISMATCH,
//! RP-08, RP-09, RC-1 (a damaged image is 1 for header-only reads too), SN-REQ-READ-BUFFER
//! (post-write cache per device, hits counted, freed blocks leave it).

mod storage_support;

use aerolite::config::DeviceConfig;
use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::{
    Bin, Bins, Database, Key, ManualClock, ReadPolicy, RecordExistsAction, ResultCode, Value,
    WritePolicy,
};
use std::sync::Arc;
use storage_support::*;

fn three_bins(i: i64) -> Vec<Bin> {
    vec![
        Bin::new("a", Value::Int(i)),
        Bin::new("b", Value::from(format!("s{i}"))),
        Bin::new("c", Value::Blob(vec![7; 600])),
    ]
}

fn code<T>(r: aerolite::Result<T>) -> Option<ResultCode> {
    r.err().map(|e| e.code())
}

/// Every read kind on record `i` (written with `three_bins`, generation `gen`).
fn check_all_kinds(db: &Database, i: i64, gen: u32, what: &str) {
    let rp = ReadPolicy::default();
    let k = key(i);
    let all = db.get(&rp, &k, Bins::All).expect(what);
    assert_eq!(all.generation, gen, "{what}: R-ALL generation");
    let names: Vec<&str> = all.bins.iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["a", "b", "c"], "{what}: R-ALL in B-ORDER");
    assert_eq!(all.bin("a"), Some(&Value::Int(i)));
    let named = db
        .get(&rp, &k, Bins::from_names(&["c", "zz", "a"]))
        .expect(what);
    let got: Vec<(&str, &Value)> = named.bins.iter().collect();
    assert_eq!(
        got,
        vec![("c", &Value::Blob(vec![7; 600])), ("a", &Value::Int(i))],
        "{what}: named bins in request order, absent bin left out (R-BIN-ABSENT)"
    );
    let h = db.get_header(&rp, &k).expect(what);
    assert!(h.bins.is_empty(), "{what}: R-HEADER has no bins");
    assert_eq!(
        (h.generation, h.expiration, h.last_update_time),
        (all.generation, all.expiration, all.last_update_time),
        "{what}: header metadata equals the full read's"
    );
    assert!(db.exists(&rp, &k).expect(what), "{what}: R-EXISTS");
    assert_eq!(
        code(db.get(&rp, &k, Bins::Some(vec![]))),
        Some(ResultCode::ParameterError),
        "{what}: RP-08 empty bin list"
    );
    assert_eq!(
        code(db.get(&rp, &k, Bins::from_names(&["sixteen-bytes-xx"]))),
        Some(ResultCode::BinNameTooLong),
        "{what}: R-BIN-NAME"
    );
    let op = db
        .operate(
            &WritePolicy::default(),
            &k,
            &[aerolite::operations::get_bin("b")],
        )
        .expect(what);
    assert_eq!(
        op.bin("b"),
        Some(&Value::from(format!("s{i}"))),
        "{what}: operate read"
    );
}

fn devices_config(devs: Vec<Arc<dyn Device>>, page_cache: bool) -> DeviceConfig {
    let mut c = device_config(devs, None);
    c.read_page_cache = page_cache;
    c
}

/// R-ALL, R-HEADER, R-EXISTS, R-BIN-ABSENT, R-BIN-NAME, RP-08, RP-09 from each source: the open
/// buffer, the post-write cache, and the device (with and without page-cache reads), then after
/// a read-modify-write update (full decode) of every record.
#[test]
fn every_read_kind_from_every_source() {
    for page_cache in [true, false] {
        let dir = tmp();
        let clock = ManualClock::at_2026();
        let mut c = file_config(dir.path());
        c.read_page_cache = page_cache;
        c.post_write_cache = 2 * u64::from(BLOCK);
        c.snapshot_path = None;
        let db = open_on(c, &clock).expect("open");
        let n = 400;
        for i in 0..n {
            db.put(&wp(false), &key(i), &three_bins(i)).expect("put");
        }
        // The last record is in the open buffer; flush so the oldest blocks are past the cache.
        check_all_kinds(&db, n - 1, 1, "open buffer");
        flush(&db);
        let s0 = db.stats();
        check_all_kinds(&db, n - 2, 1, "recent block");
        let s1 = db.stats();
        assert_eq!(
            s1.cache_misses, s0.cache_misses,
            "recent block served from memory"
        );
        check_all_kinds(&db, 0, 1, "oldest block");
        let s2 = db.stats();
        assert!(
            s2.cache_misses > s1.cache_misses,
            "oldest block read from the device"
        );
        for i in 0..n {
            let up = WritePolicy {
                record_exists_action: RecordExistsAction::Update,
                ..WritePolicy::default()
            };
            db.put(&up, &key(i), &[Bin::new("a", Value::Int(i))])
                .expect("update reads the old image");
        }
        flush(&db);
        for i in [0, n / 2, n - 1] {
            check_all_kinds(&db, i, 2, "after update");
        }
    }
}

/// SN-REQ-READ-BUFFER: the post-write cache is sized per device (two devices × 2 blocks hold the
/// last 4 flushed blocks), hits are served without device reads, and a block freed while cached
/// leaves the cache: its reborn incarnation's records read back as written.
#[test]
fn post_write_cache_is_per_device_and_forgets_freed_blocks() {
    let mems: Vec<Arc<MemoryDevice>> = (0..2).map(|_| mem_device(4)).collect();
    let devs: Vec<Arc<dyn Device>> = mems.iter().map(|m| m.clone() as Arc<dyn Device>).collect();
    let clock = ManualClock::at_2026();
    let mut c = devices_config(devs, true);
    c.post_write_cache = 2 * u64::from(BLOCK);
    let db = open_on(c, &clock).expect("open");
    let ns = aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .clone();
    let block_of = |i: i64| ns.index.get(&key(i).digest).map(|e| e.location.block);
    let mut i = 0;
    while block_of(i - 1).is_none_or(|b| b < 9) {
        db.put(&wp(false), &key(i), &bins(i, 1500)).expect("put");
        i += 1;
    }
    flush(&db);
    // Blocks 0..=8 flushed; 9 open. The cache holds the last 4 flushed: 5, 6, 7, 8.
    let in_block = |b: u32| (0..i).filter(move |j| block_of(*j) == Some(b));
    let before = db.stats();
    for b in 5..=8 {
        for j in in_block(b) {
            assert_eq!(read(&db, &key(j)), Some((j, 1)));
        }
    }
    let after = db.stats();
    assert_eq!(after.cache_misses, before.cache_misses, "blocks 5–8 cached");
    assert!(after.cache_hits > before.cache_hits);
    for j in in_block(4) {
        assert_eq!(read(&db, &key(j)), Some((j, 1)));
    }
    assert!(
        db.stats().cache_misses > after.cache_misses,
        "block 4 is not"
    );
    // Free block 8 while it is cached, then let it be reborn (lowest free block) and flushed.
    let old: Vec<i64> = in_block(8).collect();
    for j in &old {
        assert!(db.delete(&wp(false), &key(*j)).expect("delete"));
    }
    let mut m = 50_000;
    let mut reborn = Vec::new();
    loop {
        db.put(&wp(false), &key(m), &bins(m, 1500)).expect("put");
        match block_of(m) {
            Some(8) => reborn.push(m),
            Some(_) if !reborn.is_empty() => break,
            _ => {}
        }
        m += 1;
        assert!(m < 60_000, "block 8 is reused");
    }
    flush(&db);
    assert!(!reborn.is_empty());
    for j in &reborn {
        assert_eq!(read(&db, &key(*j)), Some((*j, 1)), "reborn block 8");
    }
    for j in &old {
        assert_eq!(read(&db, &key(*j)), None, "deleted {j}");
    }
}

/// RC-1: a damaged image on the device is 1 for every read kind — header-only reads and exists
/// verify the CRC over the whole image although they decode no bin; R-KEY / SK-MISMATCH still
/// comes from the stored key on the borrowed view.
#[test]
fn rc_1_damage_fails_every_read_kind_and_stored_keys_are_checked() {
    for page_cache in [true, false] {
        let mem = mem_device(4);
        let clock = ManualClock::at_2026();
        let mut c = devices_config(vec![mem.clone() as Arc<dyn Device>], page_cache);
        c.post_write_cache = 0;
        let db = open_on(c, &clock).expect("open");
        let send_key = WritePolicy {
            send_key: true,
            ..WritePolicy::default()
        };
        for i in 0..200 {
            db.put(&send_key, &key(i), &three_bins(i)).expect("put");
        }
        flush(&db);
        let e = aerolite::testing::namespace(&db, "test")
            .expect("namespace")
            .index
            .get(&key(3).digest)
            .expect("indexed");
        assert_eq!(e.location.block, 0);
        check_all_kinds(&db, 3, 1, "device");
        // The same digest with another user key: R-KEY (19) for every read kind; by digest
        // alone the stored key is not checked.
        let mut other = key(3);
        other.user_key = Some(Value::Int(999));
        let rp = ReadPolicy::default();
        for (what, r) in [
            ("all", code(db.get(&rp, &other, Bins::All))),
            ("named", code(db.get(&rp, &other, Bins::from_names(&["a"])))),
            ("header", code(db.get_header(&rp, &other))),
        ] {
            assert_eq!(r, Some(ResultCode::KeyMismatch), "pc={page_cache} {what}");
        }
        let digest_only = Key::from_digest("test", "s", key(3).digest.0);
        assert!(db.exists(&rp, &digest_only).expect("by digest"));
        // Flip a byte of bin "c" (the blob, far from the header).
        let off = (BLOCK as usize) * (1 + e.location.block as usize) + e.location.offset as usize;
        mem.poke(off + e.size as usize - 100, |b| b[0] ^= 0x20);
        for (what, r) in [
            ("all", code(db.get(&rp, &key(3), Bins::All))),
            (
                "named",
                code(db.get(&rp, &key(3), Bins::from_names(&["a"]))),
            ),
            ("header", code(db.get_header(&rp, &key(3)))),
            ("exists", code(db.exists(&rp, &key(3)))),
        ] {
            assert_eq!(r, Some(ResultCode::ServerError), "pc={page_cache} {what}");
        }
        check_all_kinds(&db, 4, 1, "neighbour intact");
    }
}
