//! Space and back-pressure on the device store (record-model.md §19): an image larger than a
//! write block can hold → 13 (L-RECORD-SIZE, WP-20); used space at `stop_writes_used_pct` → 8
//! (L-STOP-WRITES, WP-04) while deletes still work (DP-NO-STOPWRITES); no block outside the
//! defrag reserve → 8 (L-NO-BLOCK); sealed blocks beyond `max_write_cache` → 18 (L-OVERLOAD,
//! WP-02). Nothing acknowledged is lost in any of them.

mod storage_support;

use aerolite::storage::device::Device;
use aerolite::{ManualClock, NamespaceConfig, ResultCode, StorageConfig};
use std::sync::Arc;
use storage_support::*;

/// L-RECORD-SIZE: max_record_size is capped at block size − 32; above it → 13, nothing changes.
#[test]
fn l_record_size_capped_at_the_block() {
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = mem_device(2);
    let db = open_on(device_config(vec![dev], None), &clock).expect("open");
    let ns = aerolite::testing::namespace(&db, "test").expect("namespace");
    assert_eq!(ns.config.max_record_size, BLOCK - 32);
    db.put(&wp(false), &key(1), &bins(1, 60_000))
        .expect("fits one block");
    let e = db
        .put(&wp(false), &key(1), &bins(2, 70_000))
        .expect_err("larger than a block");
    assert_eq!(e.code(), ResultCode::RecordTooBig);
    assert!(!e.in_doubt(), "ID-DEFINITIVE");
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
}

/// L-STOP-WRITES, DP-NO-STOPWRITES: writes stop at the used percentage; deletes work and bring
/// the namespace back below it.
#[test]
fn l_stop_writes_used_pct_then_deletes_recover() {
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = mem_device(4);
    let mut ns =
        NamespaceConfig::new("test").storage(StorageConfig::Device(device_config(vec![dev], None)));
    ns.stop_writes_used_pct = 10;
    let db = open_ns(ns, &clock).expect("open");
    let mut n = 0;
    let code = loop {
        match db.put(&wp(false), &key(n), &bins(n, 2000)) {
            Ok(_) => n += 1,
            Err(e) => break e.code(),
        }
        assert!(n < 10_000, "stop-writes never came");
    };
    assert_eq!(code, ResultCode::ServerMemError);
    let s = db.stats();
    assert!(
        s.used_bytes * 100 >= 63 * u64::from(BLOCK) * 10,
        "stopped at 10 % of the 63-block capacity: {s:?}"
    );
    for i in 0..n {
        assert_eq!(read(&db, &key(i)), Some((i, 1)), "acknowledged record {i}");
    }
    for i in 0..n / 2 {
        assert!(db
            .delete(&wp(false), &key(i))
            .expect("delete during stop-writes"));
    }
    db.put(&wp(false), &key(n), &bins(n, 2000))
        .expect("writes resume");
}

/// L-NO-BLOCK: when only the defrag reserve is free a write needing a new block → 8.
#[test]
fn l_no_block_only_reserve_left() {
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = mem_device(1);
    let mut ns =
        NamespaceConfig::new("test").storage(StorageConfig::Device(device_config(vec![dev], None)));
    ns.stop_writes_used_pct = 100;
    ns.stop_writes_avail_pct = 0;
    let db = open_ns(ns, &clock).expect("open");
    let mut n = 0;
    let code = loop {
        match db.put(&wp(false), &key(n), &bins(n, 4000)) {
            Ok(_) => n += 1,
            Err(e) => break e.code(),
        }
        assert!(n < 10_000);
    };
    assert_eq!(code, ResultCode::ServerMemError);
    let s = db.stats();
    assert_eq!(s.free_blocks, 4, "exactly the reserve is left: {s:?}");
    for i in 0..n {
        assert_eq!(read(&db, &key(i)), Some((i, 1)));
    }
}

/// L-OVERLOAD, WP-02: with the flush queue over max_write_cache writes get 18 (not in doubt) until
/// a flush drains it.
#[test]
fn l_overload_flush_queue_over_max_write_cache() {
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = mem_device(2);
    let mut cfg = device_config(vec![dev], None);
    cfg.max_write_cache = 0;
    let db = open_on(cfg, &clock).expect("open");
    let n = fill_until_overload(&db);
    assert!(n > 10, "a block filled first");
    aerolite::testing::namespace(&db, "test")
        .expect("namespace")
        .flush_step(false)
        .expect("flush");
    db.put(&wp(false), &key(n), &bins(n, 3000))
        .expect("queue drained");
    for i in 0..=n {
        assert_eq!(read(&db, &key(i)), Some((i, 1)));
    }
}

/// DP-02, DP-NO-STOPWRITES: with the flush queue over max_write_cache a durable delete gets 18 and
/// leaves the record as it was, while a non-durable delete (which writes nothing) still succeeds.
#[test]
fn dp_02_durable_delete_refused_when_overloaded_non_durable_allowed() {
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = mem_device(2);
    let mut cfg = device_config(vec![dev], None);
    cfg.max_write_cache = 0;
    let db = open_on(cfg, &clock).expect("open");
    fill_until_overload(&db);
    let durable = aerolite::WritePolicy {
        durable_delete: true,
        ..aerolite::WritePolicy::default()
    };
    let e = db
        .delete(&durable, &key(0))
        .expect_err("durable delete refused");
    assert_eq!(e.code(), ResultCode::DeviceOverload);
    assert!(!e.in_doubt());
    assert_eq!(read(&db, &key(0)), Some((0, 1)), "record unchanged");
    assert!(db
        .delete(&aerolite::WritePolicy::default(), &key(1))
        .expect("non-durable delete"));
    assert_eq!(read(&db, &key(1)), None);
}

/// Put 3000-byte records until a write is refused; asserts the refusal is DeviceOverload 18, not
/// in doubt. Returns how many puts succeeded.
fn fill_until_overload(db: &aerolite::Database) -> i64 {
    let mut n = 0;
    let e = loop {
        match db.put(&wp(false), &key(n), &bins(n, 3000)) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
        assert!(n < 1000, "no back-pressure after 1000 puts");
    };
    assert_eq!(e.code(), ResultCode::DeviceOverload);
    assert!(!e.in_doubt());
    n
}
