//! Generation counter rules (record-model.md §10, GC-* rows; MD-GEN-WIDTH): creation at 1, one
//! increment per successful write however many ops, no-op writes count, 65535 wraps to 1, failed
//! requests and reads change nothing, non-durable removal restarts at 1, durable deletes keep
//! the counter climbing, write-to-delete reports 0.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{operations as op, Bins, ResultCode as RC, Value};
use sem::*;

/// GC-CREATE: created from missing or a discarded expired record → generation 1.
#[test]
fn gc_create_starts_at_one() {
    let t = common::open();
    let k = key(1);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 1);
    let k2 = key(2);
    expired(&t, &k2, 9);
    assert_eq!(put_ok(&t, &wp(), &k2, &[bin("a", 1)]).generation, 1);
}

/// GC-ONCE, OP-GEN-ONCE: a write with many ops increments the generation exactly once.
#[test]
fn gc_once_per_request() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 2);
    let ops = [
        op::put(&bin("a", 10)),
        op::add(&bin("a", 1)),
        op::put(&bin("c", "x")),
        op::append(&bin("c", "y")),
        op::touch(),
        op::get_bin("a"),
    ];
    let r = t.db.operate(&wp(), &k, &ops).expect("operate");
    assert_eq!(r.generation, 3);
    assert_eq!(must_get(&t, &k).generation, 3);
    let many: Vec<_> = (0..100).map(|i| op::put(&bin("n", i))).collect();
    assert_eq!(
        t.db.operate(&wp(), &k, &many).expect("100 ops").generation,
        4
    );
}

/// GC-NOOP, Q-NOOP-GEN, O-WRITE-NIL-ABSENT: deleting an absent bin and a touch still increment.
#[test]
fn gc_noop_writes_increment() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let r =
        t.db.operate(&wp(), &k, &[op::delete_bin("nope")])
            .expect("no-op");
    assert_eq!(r.generation, 2);
    assert_eq!(t.db.touch(&wp(), &k).expect("touch").generation, 3);
    let got = must_get(&t, &k);
    assert_eq!(got.generation, 3);
    assert_eq!(
        bins_of(&got),
        pairs(&[("a", Value::Int(1)), ("b", Value::Int(2))])
    );
}

/// GC-WRAP, MD-GEN-WIDTH: inc(65535) = 1, never 0; a durable delete at 65535 leaves T = 1.
#[test]
fn gc_wrap_skips_zero() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 65_534);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 65_535);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 1);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 2);
    let k2 = key(2);
    assert_eq!(tomb(&t, &k2, 65_535), 1);
    assert_eq!(put_ok(&t, &eq(0), &k2, &[bin("a", 1)]).generation, 2);
}

/// GC-FAIL: failed requests leave the generation unchanged.
#[test]
fn gc_fail_leaves_generation() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 4);
    let _ = t.db.put(&eq(3), &k, &[bin("a", 2)]);
    let _ = t.db.operate(
        &wp(),
        &k,
        &[op::put(&bin("a", 9)), op::append(&bin("a", "x"))],
    );
    let _ = t.db.put(
        &act(aerolite::RecordExistsAction::CreateOnly),
        &k,
        &[bin("a", 2)],
    );
    let _ = t.db.put(&wp(), &k, &[bin(&"x".repeat(16), 2)]);
    let got = must_get(&t, &k);
    assert_eq!(got.generation, 4);
    assert_eq!(got.bin("a"), Some(&Value::Int(1)));
}

/// GC-READ: reads never change the generation.
#[test]
fn gc_read_never_changes_generation() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 3);
    for _ in 0..3 {
        let _ = t.db.get(&rp(), &k, Bins::All);
        let _ = t.db.get_header(&rp(), &k);
        let _ = t.db.exists(&rp(), &k);
        let _ = t.db.operate(&wp(), &k, &[op::get()]);
    }
    assert_eq!(must_get(&t, &k).generation, 3);
}

/// GC-NONDURABLE, D-AFTER (non-durable): after a non-durable delete, expiry reaping, or a
/// non-durable write-to-delete, the next create starts at 1.
#[test]
fn gc_nondurable_restarts_at_one() {
    let t = common::open();
    // non-durable delete
    let k = key(1);
    live(&t, &k, 7);
    assert!(t.db.delete(&wp(), &k).expect("delete"));
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 1);
    // non-durable write-to-delete
    let k = key(2);
    live(&t, &k, 7);
    let r =
        t.db.operate(&wp(), &k, &[op::delete()])
            .expect("write-to-delete");
    assert_eq!(r.generation, 0);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 1);
    // expiry reaping
    let k = key(3);
    expired(&t, &k, 7);
    assert!(t.db.sweep_expired().reaped >= 1);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 1);
}

/// GC-DURABLE, D-AFTER (durable): a durable delete of G leaves T = inc(G); a write over it gives
/// inc(T); the same for a durable write-to-delete.
#[test]
fn gc_durable_keeps_climbing() {
    let t = common::open();
    let k = key(1);
    assert_eq!(tomb(&t, &k, 7), 8);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 9);
    let k = key(2);
    live(&t, &k, 7);
    let r =
        t.db.operate(&durable(), &k, &[op::delete()])
            .expect("durable write-to-delete");
    assert_eq!(r.generation, 0);
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 9);
}

/// GC-TOMB-CMP: a tombstone compares as 0 although it stores T.
#[test]
fn gc_tomb_compares_as_zero() {
    let t = common::open();
    let k = key(1);
    let tg = tomb(&t, &k, 3);
    assert_eq!(
        rc(&t.db.put(&eq(u32::from(tg)), &k, &[bin("a", 1)])),
        RC::GenerationError
    );
    assert_eq!(
        put_ok(&t, &eq(0), &k, &[bin("a", 1)]).generation,
        u32::from(tg) + 1
    );
}

/// GC-EXP: a write over an expired record starts at 1 whatever G_old was; a delete compares
/// against G_old.
#[test]
fn gc_exp_write_restarts_delete_compares_old() {
    let t = common::open();
    let k = key(1);
    expired(&t, &k, 40);
    assert_eq!(put_ok(&t, &eq(0), &k, &[bin("a", 1)]).generation, 1);
    let k2 = key(2);
    expired(&t, &k2, 40);
    assert_eq!(rc(&t.db.delete(&eq(0), &k2)), RC::GenerationError);
    assert!(t
        .db
        .delete(&eq(40), &k2)
        .expect("delete expired against G_old"));
}

/// GC-DELALL-WRITE, Z-DELALL-WRITE: [delete_all, write x] on a live record gives inc(G), only x.
#[test]
fn gc_delall_write_keeps_counter() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 6);
    let r =
        t.db.operate(&wp(), &k, &[op::delete(), op::put(&bin("x", 1))])
            .expect("atomic replace");
    assert_eq!(r.generation, 7);
    let got = must_get(&t, &k);
    assert_eq!(got.generation, 7);
    assert_eq!(bins_of(&got), pairs(&[("x", Value::Int(1))]));
}

/// GC-REPORT: a successful write reports the new generation; a write that became a delete and
/// every delete report 0 (Database::delete reports only whether a record existed).
#[test]
fn gc_report() {
    let t = common::open();
    let k = key(1);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 1);
    let r =
        t.db.operate(&wp(), &k, &[op::delete_bin("a")])
            .expect("to delete");
    assert_eq!((r.generation, r.expiration), (0, 0));
}
