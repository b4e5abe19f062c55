//! A record whose stored image is damaged (fails its checksum) can still be removed or replaced:
//! delete, durable delete, Replace and an operate that starts with delete-all need only the index
//! entry (generation checks included), so they succeed; only requests that need the old bins
//! (reads, read ops, Update's merge, a filter) answer ServerError 1 (RC-1, DP-10, WP-19).
//!
//! How: records are written to a memory device with no post-write cache, flushed, and one byte of
//! a bin payload is flipped on the device, so every later read of that image fails its CRC.

mod storage_support;

use aerolite::expressions as exp;
use aerolite::operations;
use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::{
    Bins, Database, GenerationPolicy, ManualClock, ReadPolicy, RecordExistsAction, ResultCode,
    WritePolicy,
};
use std::sync::Arc;
use storage_support::*;

fn cfg(mem: &Arc<MemoryDevice>) -> aerolite::config::DeviceConfig {
    let mut c = device_config(vec![mem.clone() as Arc<dyn Device>], None).commit_to_device(true);
    c.post_write_cache = 0;
    c
}

/// Records 0..200 written with a stored key, flushed; records 1 … 9 (in the first block, sealed
/// and on the device) then damaged there (one flipped bin byte each).
fn damaged_db(mem: &Arc<MemoryDevice>, clock: &ManualClock) -> Database {
    let db = open_on(cfg(mem), clock).expect("open");
    let send_key = WritePolicy {
        send_key: true,
        ..WritePolicy::default()
    };
    for i in 0..200 {
        db.put(&send_key, &key(i), &bins(i, 700)).expect("put");
    }
    flush(&db);
    for i in 1..10 {
        let e = entry(&db, i);
        assert_eq!(e.location.block, 0, "record {i} is in the first block");
        let at = BLOCK as usize * (1 + e.location.block as usize) + e.location.offset as usize;
        mem.poke(at + 300, |b| b[0] ^= 0x10);
        let got = db.get(&ReadPolicy::default(), &key(i), Bins::All);
        assert_eq!(
            got.map_err(|e| e.code()).err(),
            Some(ResultCode::ServerError),
            "record {i}'s image is damaged"
        );
    }
    db
}

fn code<T: std::fmt::Debug>(r: aerolite::Result<T>) -> ResultCode {
    r.expect_err("the request must fail").code()
}

/// DP-10: delete and durable delete of a damaged record succeed; the durable delete's tombstone
/// keeps the record missing across a cold start; generation checks still apply.
#[test]
fn delete_and_durable_delete_remove_a_damaged_record() {
    let mem = mem_device(4);
    let clock = ManualClock::at_2026();
    let db = damaged_db(&mem, &clock);
    assert!(db
        .delete(&wp(false), &key(1))
        .expect("delete of a damaged record"));
    assert_eq!(read(&db, &key(1)), None);
    let wrong_gen = WritePolicy {
        durable_delete: true,
        ..WritePolicy::with_generation(GenerationPolicy::ExpectGenEqual, 7)
    };
    assert_eq!(
        code(db.delete(&wrong_gen, &key(2))),
        ResultCode::GenerationError
    );
    let right_gen = WritePolicy {
        durable_delete: true,
        ..WritePolicy::with_generation(GenerationPolicy::ExpectGenEqual, 1)
    };
    assert!(db.delete(&right_gen, &key(2)).expect("durable delete"));
    assert_eq!(read(&db, &key(2)), None);
    let by_digest = aerolite::Key::from_digest("test", "s", key(9).digest.0);
    assert!(db
        .delete(&wp(true), &by_digest)
        .expect("durable delete by digest"));
    assert_eq!(read(&db, &key(9)), None);
    assert_eq!(db.stats().tombstones, 2);
    db.abandon();
    let db = open_on(cfg(&mem), &clock).expect("cold start");
    assert_eq!(read(&db, &key(2)), None, "the tombstone keeps it deleted");
    assert_eq!(read(&db, &key(9)), None);
    assert_eq!(read(&db, &key(0)), Some((0, 1)), "neighbours intact");
}

/// WP-19, W-REP-LIVE: Replace and an operate that starts with delete-all succeed on a damaged
/// record (neither needs the old bins).
#[test]
fn replace_and_operate_delete_all_succeed_on_a_damaged_record() {
    let mem = mem_device(4);
    let clock = ManualClock::at_2026();
    let db = damaged_db(&mem, &clock);
    let replace = WritePolicy {
        record_exists_action: RecordExistsAction::Replace,
        send_key: true,
        ..WritePolicy::default()
    };
    db.put(&replace, &key(3), &bins(33, 10)).expect("replace");
    assert_eq!(read(&db, &key(3)), Some((33, 2)));
    db.operate(&WritePolicy::default(), &key(4), &[operations::delete()])
        .expect("operate delete-all");
    assert_eq!(read(&db, &key(4)), None);
    let durable = wp(true);
    db.operate(
        &durable,
        &key(5),
        &[
            operations::delete(),
            operations::put(&aerolite::as_bin!("v", 55)),
        ],
    )
    .expect("operate delete-all then write");
    let got = db
        .get(&ReadPolicy::default(), &key(5), Bins::All)
        .expect("get");
    assert_eq!(got.generation, 2);
    assert_eq!(got.bins.len(), 1, "only the bin written after delete-all");
}

/// RC-1: requests that need the old bins still answer 1 and change nothing.
#[test]
fn requests_that_need_the_old_bins_still_answer_1() {
    let mem = mem_device(4);
    let clock = ManualClock::at_2026();
    let db = damaged_db(&mem, &clock);
    let update = db.put(&WritePolicy::default(), &key(6), &bins(66, 10));
    assert_eq!(code(update), ResultCode::ServerError, "Update merges");
    let filtered = WritePolicy {
        filter_expression: Some(exp::eq(exp::int_bin("v"), exp::int_val(7))),
        ..WritePolicy::default()
    };
    assert_eq!(code(db.delete(&filtered, &key(7))), ResultCode::ServerError);
    let read_op = db.operate(
        &WritePolicy::default(),
        &key(8),
        &[operations::get_bin("v"), operations::delete()],
    );
    assert_eq!(code(read_op), ResultCode::ServerError, "a read op first");
    assert_eq!(entry(&db, 6).generation, 1, "nothing changed");
    assert_eq!(entry(&db, 7).generation, 1);
    assert_eq!(entry(&db, 8).generation, 1);
}
