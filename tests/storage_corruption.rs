//! Crash safety (c) and read verification: byte flips and zeroed sectors in the data are
//! detected. At cold start the damaged images are skipped and counted, never indexed
//! (SN-REQ-CRC, SN-REQ-SCAN); on a running store a damaged image read from the device is
//! ServerError 1, never data (RC-1, SN-REQ-VERIFY); a failed device write fails the request with
//! 1 and puts the namespace in stop-writes (SN-REQ-WRITE-ERROR).

mod storage_support;

use aerolite::index::IndexEntry;
use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::Device;
use aerolite::{Bins, ManualClock, ReadPolicy, ResultCode};
use std::sync::Arc;
use storage_support::*;

/// Byte offset on the (single) device of an entry's image.
fn device_offset(e: &IndexEntry) -> usize {
    (BLOCK as usize) * (1 + e.location.block as usize) + e.location.offset as usize
}

/// SN-REQ-CRC, SN-REQ-SCAN, RC-1: flipped bytes and a zeroed sector are skipped and counted at
/// cold start; the damaged records are absent, every other record is intact.
#[test]
fn flips_and_zeroed_sectors_are_skipped_and_counted_at_cold_start() {
    let mem = mem_device(4);
    let clock = ManualClock::at_2026();
    let cfg = || device_config(vec![mem.clone() as Arc<dyn Device>], None).commit_to_device(true);
    let db = open_on(cfg(), &clock).expect("open");
    for i in 0..120 {
        db.put(&wp(false), &key(i), &bins(i, 700)).expect("put");
    }
    let (flip_a, flip_b, zeroed) = (entry(&db, 10), entry(&db, 50), entry(&db, 90));
    db.abandon();
    // A flip inside a bin payload, a flip in the generation field, and a sector of zeros across
    // the middle of an image (its magic survives).
    mem.poke(device_offset(&flip_a) + 300, |b| b[0] ^= 0x01);
    mem.poke(device_offset(&flip_b) + 44, |b| b[0] ^= 0x80);
    mem.poke(device_offset(&zeroed) + 64, |b| b[..512].fill(0));
    let db = open_on(cfg(), &clock).expect("cold start");
    let s = db.stats();
    assert!(s.scan_corrupt >= 3, "each damaged image is counted: {s:?}");
    assert_eq!(s.records, 117, "damaged images are never indexed");
    for i in 0..120 {
        let got = read(&db, &key(i));
        if [10, 50, 90].contains(&i) {
            assert_eq!(got, None, "record {i} had only the damaged image");
        } else {
            assert_eq!(got, Some((i, 1)), "record {i} intact");
        }
    }
}

/// A store on a memory device with no post-write cache holding records 0 … 199 (700-byte
/// blobs), flushed, so every read of the first block's records goes to the device.
fn flushed_store(
    read_page_cache: bool,
) -> (
    Arc<aerolite::storage::device::memory::MemoryDevice>,
    aerolite::Database,
) {
    let mem = mem_device(4);
    let clock = ManualClock::at_2026();
    let mut cfg = device_config(vec![mem.clone() as Arc<dyn Device>], None);
    cfg.post_write_cache = 0;
    cfg.read_page_cache = read_page_cache;
    let db = open_on(cfg, &clock).expect("open");
    for i in 0..200 {
        db.put(&wp(false), &key(i), &bins(i, 700)).expect("put");
    }
    let ns = aerolite::testing::namespace(&db, "test").expect("namespace");
    ns.flush_step(true).expect("flush");
    (mem, db)
}

/// RC-1, SN-REQ-VERIFY: an image damaged on the device after it was written is never served.
#[test]
fn rc_1_damaged_image_on_device_read_is_server_error() {
    let (mem, db) = flushed_store(true);
    let e = entry(&db, 3);
    assert_eq!(
        e.location.block, 0,
        "record 3 is in the first, flushed block"
    );
    assert_eq!(read(&db, &key(3)), Some((3, 1)), "one aligned device read");
    assert!(db.stats().cache_misses >= 1);
    mem.poke(device_offset(&e) + 200, |b| b[0] ^= 0x04);
    let r = db.get(&ReadPolicy::default(), &key(3), Bins::All);
    assert_eq!(r.map_err(|e| e.code()).err(), Some(ResultCode::ServerError));
    assert_eq!(read(&db, &key(4)), Some((4, 1)), "neighbours unaffected");
}

/// RC-1, SN-REQ-VERIFY: the store checks the CRC of every image it reads from the device, so a
/// damaged image is 1 on each read path — `get` (an owned read), `get_with` (the visiting read),
/// `get_many` (the batched device read), an `operate` read — through the page cache and with
/// `O_DIRECT` reads alike; the same record is served again once it is replaced (an update
/// would read the damaged image first, and fail the same way).
#[test]
fn rc_1_damaged_image_is_server_error_on_every_read_path() {
    for read_page_cache in [true, false] {
        let (mem, db) = flushed_store(read_page_cache);
        let e = entry(&db, 3);
        assert_eq!(
            e.location.block, 0,
            "record 3 is in the first, flushed block"
        );
        // The last bin byte: only the CRC can tell it changed.
        mem.poke(device_offset(&e) + 700, |b| b[0] ^= 0x01);
        let rp = ReadPolicy::default();
        let code = |r: aerolite::Result<()>| r.err().map(|e| e.code());
        let server_error = Some(ResultCode::ServerError);
        let what = format!("read_page_cache {read_page_cache}");
        assert_eq!(
            code(db.get(&rp, &key(3), Bins::All).map(drop)),
            server_error,
            "get, {what}"
        );
        assert_eq!(
            code(db.get_with(&rp, &key(3), |_| ())),
            server_error,
            "get_with, {what}"
        );
        let many = db.get_many(&rp, &[key(2), key(3), key(4)], Bins::All);
        let codes: Vec<_> = many.into_iter().map(|r| code(r.map(drop))).collect();
        assert_eq!(codes, vec![None, server_error, None], "get_many, {what}");
        let op = [aerolite::operations::get_bin("v")];
        let w = aerolite::WritePolicy::default();
        assert_eq!(
            code(db.operate(&w, &key(3), &op).map(drop)),
            server_error,
            "operate, {what}"
        );
        assert_eq!(
            read(&db, &key(4)),
            Some((4, 1)),
            "neighbours unaffected, {what}"
        );
        let replace = aerolite::WritePolicy::with_action(aerolite::RecordExistsAction::Replace);
        db.put(&replace, &key(3), &bins(3, 700)).expect("rewrite");
        assert_eq!(
            read(&db, &key(3)).map(|(v, _)| v),
            Some(3),
            "rewritten, {what}"
        );
    }
}

/// SN-REQ-WRITE-ERROR: the write whose flush fails gets 1; the namespace enters stop-writes (8);
/// reads keep working; nothing already durable is lost.
#[test]
fn failed_device_write_fails_the_request_and_stops_writes() {
    let mem = mem_device(4);
    let fault = Arc::new(FaultyDevice::new(mem.clone(), FaultPlan::default()));
    let clock = ManualClock::at_2026();
    let cfg = device_config(vec![fault.clone() as Arc<dyn Device>], None).commit_to_device(true);
    let db = open_on(cfg, &clock).expect("open");
    db.put(&wp(false), &key(1), &bins(1, 100))
        .expect("durable put");
    fault.set_plan(FaultPlan {
        fail_io: Some(fault.ios() + 1),
        ..FaultPlan::default()
    });
    let e = db
        .put(&wp(false), &key(2), &bins(2, 100))
        .expect_err("flush fails");
    assert_eq!(e.code(), ResultCode::ServerError);
    let e = db
        .put(&wp(false), &key(3), &bins(3, 100))
        .expect_err("stop-writes");
    assert_eq!(e.code(), ResultCode::ServerMemError);
    assert_eq!(read(&db, &key(1)), Some((1, 1)));
    db.abandon();
    let mem_dev: Arc<dyn Device> = mem;
    let db = open_on(device_config(vec![mem_dev], None), &clock).expect("reopen");
    assert_eq!(read(&db, &key(1)), Some((1, 1)), "durable data survives");
}
