//! `Database::check_integrity` (index against storage, no image reads) and
//! `check_integrity_full` (every image loaded and compared with its entry): they pass on a store
//! that went through overwrites, deletes, flushes, defrag and restarts, and each detects a
//! deliberately corrupted index entry (moved to another block, resized, removed, duplicated,
//! wrong generation) planted through `aerolite::testing`, on the device and the memory backend.

mod storage_support;

use aerolite::index::IndexEntry;
use aerolite::storage::device::Device;
use aerolite::{Database, DatabaseConfig, Digest, ManualClock, NamespaceConfig, StorageConfig};
use std::sync::Arc;
use storage_support::*;

/// 60 records of ~3 KiB, a third overwritten, a sixth deleted (half of them durably), flushed.
fn populate(db: &Database) {
    for i in 0..60 {
        db.put(&wp(false), &key(i), &bins(i, 3000)).expect("put");
    }
    for i in (0..60).step_by(3) {
        db.put(&wp(false), &key(i), &bins(i + 100, 2000))
            .expect("overwrite");
    }
    for i in (1..60).step_by(6) {
        db.delete(&wp(i % 12 == 1), &key(i)).expect("delete");
    }
}

fn digest(i: i64) -> Digest {
    key(i).digest
}

/// Replace record `i`'s index entry by `f(entry)` (None: remove it); returns the original.
fn plant(db: &Database, i: i64, f: impl FnOnce(IndexEntry) -> Option<IndexEntry>) -> IndexEntry {
    let ns = aerolite::testing::namespace(db, "test").expect("namespace");
    let e = ns.index.get(&digest(i)).expect("record has an entry");
    match f(e) {
        Some(bad) => ns.index.put(digest(i), bad),
        None => ns.index.remove(&digest(i)),
    };
    e
}

fn restore(db: &Database, i: i64, e: IndexEntry) {
    let ns = aerolite::testing::namespace(db, "test").expect("namespace");
    ns.index.put(digest(i), e);
}

fn with(e: IndexEntry, block: u32, offset: u32, size: u32, generation: u16) -> IndexEntry {
    let loc = aerolite::index::Location { block, offset };
    IndexEntry::new(
        loc,
        size,
        generation,
        e.void_time,
        e.lut(),
        e.set_id,
        e.flags,
    )
}

/// Each corruption is reported (by the cheap check, or only by the full one), and the check
/// passes again once the entry is put back.
fn corruptions_are_detected(db: &Database) {
    let fails = |what: &str, full: bool| {
        let r = if full {
            db.check_integrity_full()
        } else {
            db.check_integrity()
        };
        let e = r.expect_err(what);
        assert_eq!(e.code(), aerolite::ResultCode::ServerError, "{what}: {e}");
        assert!(e.to_string().contains("integrity check"), "{what}: {e}");
    };
    let e = plant(db, 4, |e| {
        Some(with(
            e,
            e.location.block ^ 1,
            e.location.offset,
            e.size,
            e.generation,
        ))
    });
    fails("entry moved to another block", false);
    restore(db, 4, e);
    let e = plant(db, 5, |e| {
        Some(with(
            e,
            e.location.block,
            e.location.offset,
            e.size + 16,
            e.generation,
        ))
    });
    fails("entry resized", false);
    restore(db, 5, e);
    let e = plant(db, 8, |_| None);
    fails("entry removed (its image leaks)", false);
    restore(db, 8, e);
    let other = aerolite::testing::namespace(db, "test")
        .expect("ns")
        .index
        .get(&digest(9))
        .expect("9");
    let e = plant(db, 10, |e| {
        Some(with(
            e,
            other.location.block,
            other.location.offset,
            e.size,
            e.generation,
        ))
    });
    fails("two entries on one image", false);
    restore(db, 10, e);
    let e = plant(db, 11, |e| {
        Some(with(
            e,
            e.location.block,
            e.location.offset,
            e.size,
            e.generation % 100 + 7,
        ))
    });
    db.check_integrity()
        .expect("a wrong generation is invisible without reading the image");
    fails("entry with another generation than its image", true);
    restore(db, 11, e);
    db.check_integrity_full().expect("consistent again");
}

#[test]
fn device_store_passes_through_defrag_and_restarts_and_catches_corruption() {
    let dir = tmp();
    let snap = dir.path().join("snap");
    let mem = mem_device(4);
    let clock = ManualClock::at_2026();
    let cfg = || device_config(vec![mem.clone() as Arc<dyn Device>], Some(&snap));
    let mut db = open_on(cfg(), &clock).expect("open");
    populate(&db);
    let r = db.check_integrity().expect("consistent before the flush");
    assert_eq!((r.records, r.tombstones, r.images_read), (50, 5, 0));
    flush(&db);
    let ns = aerolite::testing::namespace(&db, "test").expect("ns");
    ns.defrag_step(16).expect("defrag");
    flush(&db);
    let r = db.check_integrity_full().expect("consistent after defrag");
    assert_eq!((r.records, r.tombstones, r.images_read), (50, 5, 55));
    assert!(r.blocks > 0 && r.bytes > 0, "{r:?}");
    db.shutdown().expect("clean shutdown");
    db = open_on(cfg(), &clock).expect("fast restart");
    db.check_integrity_full()
        .expect("consistent after a fast restart");
    db.abandon();
    db = open_on(cfg(), &clock).expect("cold start");
    db.check_integrity_full()
        .expect("consistent after a cold start");
    corruptions_are_detected(&db);
}

#[test]
fn memory_store_catches_corruption() {
    let ns = NamespaceConfig::new("test").storage(StorageConfig::Memory { capacity_bytes: 0 });
    let db = Database::open(
        DatabaseConfig::with_namespaces(vec![ns])
            .clock(Arc::new(ManualClock::at_2026()))
            .background_threads(false),
    )
    .expect("open");
    populate(&db);
    db.check_integrity_full().expect("consistent");
    corruptions_are_detected(&db);
}
