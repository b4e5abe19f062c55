//! Delete (record-model.md §12 D-* rows, §7.3 DP-* rows, TTL-DELETE): both modes against every
//! state, the generation check against G / G_old, filters, stored keys, stop-writes, and what
//! later writes see.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::expressions as exp;
use aerolite::{RecordExistsAction as A, ResultCode as RC, StorageConfig, WritePolicy};
use sem::*;

fn mode(durable_delete: bool) -> WritePolicy {
    WritePolicy {
        durable_delete,
        ..WritePolicy::default()
    }
}

/// D-MISSING, D-TOMB, DP-04, DP-06: nothing to delete → 2 (`Ok(false)` from `Database::delete`),
/// in both modes, nothing changes.
#[test]
fn d_missing_and_tomb_not_found() {
    for d in [false, true] {
        for (id, s) in [("D-MISSING", St::Missing), ("D-TOMB", St::Tomb(3))] {
            let t = common::open();
            let k = key(1);
            make(&t, &k, s);
            let before = observe(&t, &k);
            assert_eq!(
                t.db.delete(&mode(d), &k).map_err(|e| e.code()),
                Ok(false),
                "{id}"
            );
            assert_eq!(observe(&t, &k), before, "{id}");
        }
    }
}

/// D-LIVE (non-durable), DP-10, DP-11: 0; the entry is removed; nothing is written to storage.
#[test]
fn d_live_non_durable_removes_entry() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 4);
    let written = t.db.stats().bytes_written;
    assert!(t.db.delete(&wp(), &k).expect("delete"));
    let s = t.db.stats();
    assert_eq!((s.records, s.tombstones), (0, 0));
    assert_eq!(s.bytes_written, written, "nothing written");
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    assert_eq!(probe_base(&t, &k), 0, "D-AFTER: a create starts at 1");
}

/// D-LIVE (durable), TTL-DELETE, MD-LUT-MONO: a tombstone with gen inc(G), void-time 0, LUT
/// advanced, set and stored key kept.
#[test]
fn d_live_durable_writes_tombstone() {
    let t = common::open();
    let k = key(1);
    let mut send = ttl(aerolite::Expiration::Seconds(1000));
    send.send_key = true;
    let w = put_ok(&t, &send, &k, &[bin("a", 1)]);
    t.clock.advance_s(5);
    assert!(t.db.delete(&durable(), &k).expect("durable delete"));
    let s = t.db.stats();
    assert_eq!((s.records, s.tombstones), (0, 1));
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    // The tombstone never expires (void-time 0, EX-TOMB): still there long after the TTL.
    t.clock.advance_s(10_000);
    t.db.sweep_expired();
    assert_eq!(t.db.stats().tombstones, 1);
    // Set and stored key kept: a write by digest re-creates with the stored key, in the set.
    let direct = by_digest(&k, SET);
    let r = put_ok(&t, &wp(), &direct, &[bin("b", 1)]);
    assert_eq!(r.generation, 3, "inc(T) with T = inc(1) = 2");
    assert!(r.last_update_time > w.last_update_time);
    assert_eq!(must_get(&t, &direct).key, Some(aerolite::Value::Int(1)));
    assert_eq!(rc(&get(&t, &by_digest(&k, "other"))), RC::ParameterError);
}

/// D-EXP, Q-DEL-EXP: deleting an expired, not reaped record returns 0; non-durable removes it,
/// durable leaves a tombstone with inc(G_old).
#[test]
fn d_exp_returns_ok() {
    let t = common::open();
    let k = key(1);
    expired(&t, &k, 6);
    assert!(t.db.delete(&wp(), &k).expect("delete expired"));
    assert_eq!(t.db.stats().records, 0);
    assert_eq!(probe_base(&t, &k), 0);

    let k = key(2);
    expired(&t, &k, 6);
    assert!(t.db.delete(&durable(), &k).expect("durable delete expired"));
    assert_eq!(t.db.stats().tombstones, 1);
    assert_eq!(probe_base(&t, &k), 7, "tombstone with inc(G_old)");
}

/// D-GEN-MISSING, D-GEN-LIVE-EQ, D-GEN-LIVE-NE, D-GEN-LIVE-GT, D-GEN-EXP-EQ, D-GEN-EXP-NE,
/// D-GEN-TOMB, DP-07, G-DELETE: existence first (2), then the generation against G or G_old.
#[test]
fn d_gen_table() {
    use St::*;
    // (id, state, policy, expect)
    let rows: Vec<(&str, St, WritePolicy, Result<bool, RC>)> = vec![
        ("D-GEN-MISSING", Missing, eq(0), Ok(false)),
        ("D-GEN-MISSING", Missing, eq(3), Ok(false)),
        ("D-GEN-MISSING", Missing, gt(3), Ok(false)),
        ("D-GEN-LIVE-EQ", Live(4), eq(4), Ok(true)),
        ("D-GEN-LIVE-NE", Live(4), eq(3), Err(RC::GenerationError)),
        ("D-GEN-LIVE-NE", Live(4), eq(0), Err(RC::GenerationError)),
        ("D-GEN-LIVE-GT", Live(4), gt(5), Ok(true)),
        ("D-GEN-LIVE-GT", Live(4), gt(4), Err(RC::GenerationError)),
        ("D-GEN-EXP-EQ", Expired(4), eq(4), Ok(true)),
        ("D-GEN-EXP-EQ", Expired(4), gt(5), Ok(true)),
        ("D-GEN-EXP-NE", Expired(4), eq(0), Err(RC::GenerationError)),
        ("D-GEN-EXP-NE", Expired(4), gt(4), Err(RC::GenerationError)),
        ("D-GEN-TOMB", Tomb(4), eq(5), Ok(false)),
        ("D-GEN-TOMB", Tomb(4), eq(0), Ok(false)),
        ("D-GEN-TOMB", Tomb(4), gt(9), Ok(false)),
    ];
    for d in [false, true] {
        for (id, s, p, want) in &rows {
            let t = common::open();
            let k = key(1);
            make(&t, &k, *s);
            let before = observe(&t, &k);
            let p = WritePolicy {
                durable_delete: d,
                ..p.clone()
            };
            let got = t.db.delete(&p, &k).map_err(|e| e.code());
            assert_eq!(&got, want, "{id} durable={d}");
            if got != Ok(true) {
                assert_eq!(observe(&t, &k), before, "{id}: unchanged");
            }
        }
    }
}

/// D-FILTER, DP-08: a false filter on a live or expired record → 27, nothing changes.
#[test]
fn d_filter_false() {
    for d in [false, true] {
        for s in [St::Live(2), St::Expired(2)] {
            let t = common::open();
            let k = key(1);
            make(&t, &k, s);
            let before = observe(&t, &k);
            let p = WritePolicy {
                durable_delete: d,
                filter_expression: Some(exp::eq(exp::int_bin("a"), exp::int_val(999))),
                ..WritePolicy::default()
            };
            assert_eq!(rc(&t.db.delete(&p, &k)), RC::FilteredOut, "{s:?}");
            assert_eq!(observe(&t, &k), before);
            let p = WritePolicy {
                filter_expression: Some(exp::eq(exp::int_bin("a"), exp::int_val(1))),
                ..p
            };
            assert!(t.db.delete(&p, &k).expect("filter true"), "{s:?}");
        }
    }
}

/// D-KEY, DP-09: a stored key that differs from the request's → 19; a digest-only request is
/// never checked.
#[test]
fn d_key_mismatch() {
    let t = common::open();
    let k = key(1);
    let mut send = wp();
    send.send_key = true;
    put_ok(&t, &send, &k, &[bin("a", 1)]);
    // Same digest, different user key: only constructible by hand (a digest collision).
    let mut forged = aerolite::Key::new(NS, SET, 2).expect("key");
    forged.digest = k.digest;
    for d in [false, true] {
        assert_eq!(rc(&t.db.delete(&mode(d), &forged)), RC::KeyMismatch);
    }
    assert!(t
        .db
        .delete(&wp(), &by_digest(&k, SET))
        .expect("digest-only"));
}

/// DP-05: the request's set (if it gives one) differs from the record's → 4; no set given is
/// not checked.
#[test]
fn dp_05_set_differs() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    assert_eq!(
        rc(&t.db.delete(&wp(), &by_digest(&k, "other"))),
        RC::ParameterError
    );
    assert_eq!(must_get(&t, &k).generation, 1);
    assert!(t
        .db
        .delete(&wp(), &by_digest(&k, ""))
        .expect("no set given"));
}

/// D-SPACE, DP-NO-STOPWRITES: deletes are not refused by stop-writes, in either mode.
#[test]
fn d_space_not_refused_by_stop_writes() {
    let t = common::open_with(|ns| {
        ns.storage(StorageConfig::Memory {
            capacity_bytes: 64 * 1024,
        })
    });
    // Fill until the namespace refuses writes with 8.
    let mut n = 0i64;
    loop {
        let r = t.db.put(&wp(), &key(n), &[bin("pad", vec![0u8; 1000])]);
        if rc(&r) == RC::ServerMemError {
            break;
        }
        assert_eq!(rc(&r), RC::Ok);
        n += 1;
        assert!(n < 1000, "stop-writes never reached");
    }
    assert!(t
        .db
        .delete(&wp(), &key(0))
        .expect("non-durable delete in stop-writes"));
    assert!(t
        .db
        .delete(&durable(), &key(1))
        .expect("durable delete in stop-writes"));
    assert_eq!(t.db.stats().tombstones, 1);
}

/// DP-NO-EXISTS-ACTION: deletes ignore RecordExistsAction.
#[test]
fn dp_no_exists_action() {
    for a in [
        A::Update,
        A::UpdateOnly,
        A::Replace,
        A::ReplaceOnly,
        A::CreateOnly,
    ] {
        let t = common::open();
        let k = key(1);
        live(&t, &k, 1);
        assert!(t.db.delete(&act(a), &k).expect("delete"), "{a:?}");
        assert_eq!(t.db.delete(&act(a), &k).map_err(|e| e.code()), Ok(false));
    }
}

/// DP-01: request validation as WP-01: unknown namespace → 20, bad set name → 4.
#[test]
fn dp_01_validation() {
    let t = common::open();
    let k = aerolite::Key::new("nope", SET, 1).expect("key");
    assert_eq!(rc(&t.db.delete(&wp(), &k)), RC::InvalidNamespace);
    let k = aerolite::Key::new(NS, &"s".repeat(64), 1).expect("key");
    assert_eq!(rc(&t.db.delete(&wp(), &k)), RC::ParameterError);
}
