//! Writes that leave zero bins (record-model.md §13 Z-* rows, WP-19, B-MIN, WP-DURABLE-FLAG,
//! S-TOMB-ONLY-DURABLE): on a live record the write becomes a delete (a tombstone only with
//! durable_delete); on any other state it fails with 2.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{operations as op, Operation, ResultCode as RC, Value};
use sem::*;

fn emptying_requests() -> Vec<Vec<Operation>> {
    vec![
        vec![op::delete_bin("a"), op::delete_bin("b")],
        vec![op::delete()],
        vec![op::delete_bin("a"), op::delete()],
        vec![op::put(&bin("c", 1)), op::delete()],
    ]
}

/// Z-MISSING, Z-TOMB, Z-EXP, WP-19: zero bins on a record that is not live → 2; a tombstone stays
/// unchanged; an expired record is discarded and stays invisible.
#[test]
fn z_not_live_is_not_found() {
    for ops in emptying_requests() {
        for d in [false, true] {
            for (id, s) in [
                ("Z-MISSING", St::Missing),
                ("Z-TOMB", St::Tomb(3)),
                ("Z-EXP", St::Expired(3)),
            ] {
                let t = common::open();
                let k = key(1);
                make(&t, &k, s);
                let before = observe(&t, &k);
                let p = if d { durable() } else { wp() };
                let r = t.db.operate(&p, &k, &ops);
                assert_eq!(rc(&r), RC::KeyNotFoundError, "{id} {ops:?} durable={d}");
                if s == St::Tomb(3) {
                    assert_eq!(observe(&t, &k), before, "{id}");
                    assert_eq!(probe_base(&t, &k), 4, "{id}: tombstone T unchanged");
                } else {
                    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError, "{id}");
                    assert_eq!(
                        probe_base(&t, &k),
                        0,
                        "{id}: still nothing to continue from"
                    );
                }
            }
        }
    }
}

/// Z-LIVE, WP-22, GC-REPORT: non-durable → 0, reported gen 0 / void-time 0, record removed.
#[test]
fn z_live_non_durable_removes() {
    for ops in emptying_requests() {
        let t = common::open();
        let k = key(1);
        live_with(&t, &k, 3, &ttl(aerolite::Expiration::Seconds(500)));
        let r = t.db.operate(&wp(), &k, &ops).expect("write-to-delete");
        assert_eq!((r.generation, r.expiration), (0, 0), "{ops:?}");
        let s = t.db.stats();
        assert_eq!((s.records, s.tombstones), (0, 0), "{ops:?}");
        assert_eq!(probe_base(&t, &k), 0, "GC-NONDURABLE");
    }
}

/// Z-LIVE-DURABLE, WP-DURABLE-FLAG, S-TOMB-ONLY-DURABLE: durable → tombstone with inc(G).
#[test]
fn z_live_durable_leaves_tombstone() {
    for ops in emptying_requests() {
        let t = common::open();
        let k = key(1);
        live(&t, &k, 3);
        let r =
            t.db.operate(&durable(), &k, &ops)
                .expect("durable write-to-delete");
        assert_eq!((r.generation, r.expiration), (0, 0));
        assert_eq!(t.db.stats().tombstones, 1);
        assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
        assert_eq!(probe_base(&t, &k), 4, "tombstone T = inc(3)");
    }
}

/// WP-DURABLE-FLAG: durable_delete on a write that does not empty the record changes nothing
/// about the write; S-TOMB-ONLY-DURABLE: no other path makes tombstones.
#[test]
fn wp_durable_flag_only_matters_when_emptying() {
    let t = common::open();
    let k = key(1);
    let r = put_ok(&t, &durable(), &k, &[bin("a", 1)]);
    assert_eq!(r.generation, 1);
    let r =
        t.db.operate(
            &durable(),
            &k,
            &[op::put(&bin("b", 2)), op::delete_bin("a")],
        )
        .expect("write");
    assert_eq!(r.generation, 2);
    assert_eq!(bins_of(&must_get(&t, &k)), pairs(&[("b", Value::Int(2))]));
    assert_eq!(t.db.stats().tombstones, 0);
}

/// Z-DELALL-WRITE: [delete_all, write x] on a live record keeps the record with only x.
#[test]
fn z_delall_write() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 2);
    let r =
        t.db.operate(&wp(), &k, &[op::delete(), op::put(&bin("x", 9))])
            .expect("delete-all then write");
    assert_eq!(r.generation, 3);
    assert_eq!(bins_of(&must_get(&t, &k)), pairs(&[("x", Value::Int(9))]));
}

/// Z-NIL-ABSENT, O-WRITE-NIL-ABSENT: Nil to an absent bin, other bins remain → 0, gen +1.
#[test]
fn z_nil_absent() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 2);
    let r =
        t.db.put(&wp(), &k, &[bin("zz", Value::Nil)])
            .expect("nil to absent");
    assert_eq!(r.generation, 3);
    assert_eq!(
        bins_of(&must_get(&t, &k)),
        pairs(&[("a", Value::Int(1)), ("b", Value::Int(2))])
    );
}

/// B-MIN: an empty list or an empty map is a bin; a record of only such bins is live.
#[test]
fn b_min_empty_collections_are_bins() {
    let t = common::open();
    let k = key(1);
    put_ok(
        &t,
        &wp(),
        &k,
        &[bin("l", Value::list(vec![])), bin("m", Value::map(vec![]))],
    );
    let got = must_get(&t, &k);
    assert_eq!(got.bins.len(), 2);
    // put of only Nil on a missing record creates nothing: zero bins → 2.
    let k2 = key(2);
    assert_eq!(
        rc(&t.db.put(&wp(), &k2, &[bin("a", Value::Nil)])),
        RC::KeyNotFoundError
    );
}
