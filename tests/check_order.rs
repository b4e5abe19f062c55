//! Order of checks (record-model.md §7, WP-* / RP-* / DP-* rows, RC-FIRST): each test builds a
//! request that fails two checks at once and asserts that the earlier check's code wins, and that
//! a failed request changes nothing observable (WP-NOCHANGE).

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::expressions as exp;
use aerolite::{
    operations as op, Bins, Expiration as E, Key, Operation, ReadPolicy, RecordExistsAction as A,
    ResultCode as RC, StorageConfig, Value, WritePolicy,
};
use sem::*;
use std::sync::Arc;
use std::time::Duration;

fn long() -> String {
    "x".repeat(16)
}

/// A request carrying another user key for `k`'s digest.
fn forged(k: &Key) -> Key {
    let mut f = Key::new(NS, SET, "someone-else").expect("key");
    f.digest = k.digest;
    f
}

fn with_key() -> WritePolicy {
    WritePolicy {
        send_key: true,
        ..WritePolicy::default()
    }
}

fn filter_false() -> Option<exp::Expression> {
    Some(exp::eq(exp::int_bin("a"), exp::int_val(12345)))
}

/// WP-01 (and RP-01, DP-01): namespace first (20), then key type / set name (4), before any
/// other check; a value that cannot be a key is refused even when built by hand.
#[test]
fn wp_01_validation_first() {
    let t = common::open();
    let bad_ns = Key::new("nope", &"s".repeat(64), 1).expect("key");
    assert_eq!(
        rc(&t.db.put(&wp(), &bad_ns, &[bin(&long(), 1)])),
        RC::InvalidNamespace
    );
    assert_eq!(rc(&get(&t, &bad_ns)), RC::InvalidNamespace);
    assert_eq!(rc(&t.db.delete(&wp(), &bad_ns)), RC::InvalidNamespace);
    let bad_set = Key::new(NS, &"s".repeat(64), 1).expect("key");
    assert_eq!(
        rc(&t.db.put(&wp(), &bad_set, &[bin(&long(), 1)])),
        RC::ParameterError
    );
    assert_eq!(rc(&t.db.operate(&wp(), &bad_set, &[])), RC::ParameterError);
    let mut bad_type = key(1);
    bad_type.user_key = Some(Value::Bool(true));
    assert_eq!(
        rc(&t.db.put(&wp(), &bad_type, &[bin(&long(), 1)])),
        RC::ParameterError
    );
    assert_eq!(rc(&get(&t, &bad_type)), RC::ParameterError);
    assert_eq!(rc(&t.db.delete(&wp(), &bad_type)), RC::ParameterError);
    assert_eq!(t.db.stats().records, 0);
}

/// WP-03 before WP-04, WP-04 before WP-05 / WP-06, DP-03 before DP-04: hot key (14) beats
/// stop-writes (8); stop-writes (8) beats bad ops (4 / 21); hot key beats "missing" on a delete.
#[test]
fn wp_03_04_05_resource_checks_before_ops() {
    let t = Arc::new(common::open_with(|ns| {
        ns.transaction_pending_limit(1)
            .storage(StorageConfig::Memory {
                capacity_bytes: 32 * 1024,
            })
    }));
    let mut n = 0;
    while rc(&t.db.put(&wp(), &key(n), &[bin("p", vec![0u8; 800])])) == RC::Ok {
        n += 1;
        assert!(n < 100);
    }
    let k = key(0);
    assert_eq!(
        rc(&t.db.operate(&wp(), &k, &[])),
        RC::ServerMemError,
        "WP-04 before WP-05"
    );
    assert_eq!(
        rc(&t.db.put(&wp(), &k, &[bin(&long(), 1)])),
        RC::ServerMemError,
        "before WP-06"
    );
    assert_eq!(
        rc(&t.db.put(&act(A::Replace), &k, &[])),
        RC::ServerMemError,
        "before WP-05"
    );
    // Hold the record, queue two waiters (limit 1: "more than 1 waiting" → busy).
    let missing = key(10_000);
    for target in [k.clone(), missing.clone()] {
        let ns = aerolite::testing::namespace(&t.db, "test")
            .expect("ns")
            .clone();
        let guard = ns.locks.acquire(target.digest, 0, None).expect("hold");
        let mut waiters = Vec::new();
        for _ in 0..2 {
            let (t, target) = (t.clone(), target.clone());
            let started = Arc::new(std::sync::Barrier::new(2));
            let go = started.clone();
            waiters.push(std::thread::spawn(move || {
                let p = WritePolicy {
                    total_timeout: Some(Duration::from_secs(20)),
                    ..WritePolicy::default()
                };
                go.wait();
                rc(&t.db.put(&p, &target, &[bin("x", 1)]))
            }));
            started.wait();
            std::thread::sleep(Duration::from_millis(100));
        }
        // The probes must be refused at once; their timeout only keeps a wrong engine from
        // hanging on the held lock.
        let probe = WritePolicy {
            total_timeout: Some(Duration::from_secs(5)),
            ..WritePolicy::default()
        };
        assert_eq!(
            rc(&t.db.put(&probe, &target, &[bin("x", 1)])),
            RC::KeyBusy,
            "WP-03 first"
        );
        assert_eq!(
            rc(&t.db.delete(&probe, &target)),
            RC::KeyBusy,
            "DP-03 before DP-04"
        );
        drop(guard);
        for w in waiters {
            assert_eq!(w.join().expect("waiter"), RC::ServerMemError, "then WP-04");
        }
    }
}

/// WP-05 before WP-06: more than 32768 ops → 4 even when the first op has a bad bin name (21).
#[test]
fn wp_05_before_wp_06() {
    let t = common::open();
    let mut ops: Vec<Operation> = vec![op::put(&bin(&long(), 1))];
    ops.extend((0..32_768).map(|_| op::put(&bin("a", 1))));
    assert_eq!(rc(&t.db.operate(&wp(), &key(1), &ops)), RC::ParameterError);
    assert_eq!(
        rc(&t.db.operate(&wp(), &key(1), &ops[..2])),
        RC::BinNameTooLong
    );
}

/// WP-06: per op in request order, the first failing op decides; within one op (a) touch with
/// Replace, (b) bin name, (c) Replace-forbidden op, (d) read-all with respond_all_ops, (e) a second
/// read-all.
#[test]
fn wp_06_per_op_order() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let before = observe(&t, &k);
    let rep = act(A::Replace);
    // op 0 fails (c) → 4 before op 1's bad name (21)
    let r = t.db.operate(
        &rep,
        &k,
        &[op::add(&bin("a", 1)), op::put(&bin(&long(), 1))],
    );
    assert_eq!(rc(&r), RC::ParameterError);
    // op 0 has a bad name → 21 before op 1's (a)
    let r =
        t.db.operate(&rep, &k, &[op::put(&bin(&long(), 1)), op::touch()]);
    assert_eq!(rc(&r), RC::BinNameTooLong);
    // within one op: (b) before (c)
    let r = t.db.operate(&rep, &k, &[op::add(&bin(&long(), 1))]);
    assert_eq!(rc(&r), RC::BinNameTooLong);
    // (d): read-all with respond_all_ops in op 0 before op 1's bad name
    let mut all = wp();
    all.respond_all_ops = true;
    let r =
        t.db.operate(&all, &k, &[op::get(), op::put(&bin(&long(), 1))]);
    assert_eq!(rc(&r), RC::ParameterError);
    // (e): a second read-all in op 1 before op 2's bad name
    let r = t.db.operate(
        &wp(),
        &k,
        &[op::get(), op::get(), op::put(&bin(&long(), 1)), op::touch()],
    );
    assert_eq!(rc(&r), RC::ParameterError);
    // a bad name in op 2 after a single read-all and a write
    let r =
        t.db.operate(&wp(), &k, &[op::get(), op::touch(), op::get_bin(&long())]);
    assert_eq!(rc(&r), RC::BinNameTooLong, "WP-06(b) before WP-07");
    assert_eq!(observe(&t, &k), before);
}

/// WP-07, WP-07A before WP-08: a read-all with a bin read / read-header on the write path → 4,
/// before existence (2) on a missing record.
#[test]
fn wp_07_before_existence() {
    let t = common::open();
    let k = key(1);
    let uo = act(A::UpdateOnly);
    let r = t.db.operate(
        &uo,
        &k,
        &[op::get(), op::get_bin("a"), op::put(&bin("a", 1))],
    );
    assert_eq!(rc(&r), RC::ParameterError, "WP-07");
    let r = t.db.operate(
        &uo,
        &k,
        &[op::get(), op::get_header(), op::put(&bin("a", 1))],
    );
    assert_eq!(rc(&r), RC::ParameterError, "WP-07A");
    let r = t.db.operate(&uo, &k, &[op::get(), op::put(&bin("a", 1))]);
    assert_eq!(
        rc(&r),
        RC::KeyNotFoundError,
        "read-all + write alone is fine"
    );
}

/// WP-09: an expired record is discarded even when a later step fails; the failed request is
/// otherwise a no-op, and a create afterwards starts at 1.
#[test]
fn wp_09_discard_even_if_later_fails() {
    let t = common::open();
    let k = key(1);
    expired(&t, &k, 5);
    assert_eq!(t.db.stats().records, 1);
    assert_eq!(
        rc(&t.db.put(&eq(5), &k, &[bin("a", 1)])),
        RC::GenerationError
    );
    assert_eq!(t.db.stats().records, 0, "discarded at WP-09");
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 1)]).generation, 1);
}

/// WP-11 before WP-12, WP-12 before WP-13, WP-13 before WP-14, WP-14 before WP-15, WP-15 before
/// WP-17 (4 / 22 before an op's 12), WP-17 before WP-19.
#[test]
fn wp_11_to_19_chain() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &with_key(), &k, &[bin("a", 1)]);
    let before = observe(&t, &k);
    let other_set = by_digest(&k, "other");
    // WP-11 (3) before WP-12 (4)
    assert_eq!(
        rc(&t.db.put(&eq(9), &other_set, &[bin("a", 2)])),
        RC::GenerationError
    );
    // WP-12 (4) before WP-13 (27)
    let p = WritePolicy {
        filter_expression: filter_false(),
        ..WritePolicy::default()
    };
    assert_eq!(
        rc(&t.db.put(&p, &other_set, &[bin("a", 2)])),
        RC::ParameterError
    );
    // "no set" vs a set counts as different on the write path
    assert_eq!(
        rc(&t.db.put(&wp(), &by_digest(&k, ""), &[bin("a", 2)])),
        RC::ParameterError
    );
    // WP-13 (27) before WP-14 (19)
    assert_eq!(
        rc(&t.db.put(&p, &forged(&k), &[bin("a", 2)])),
        RC::FilteredOut
    );
    // WP-14 (19) before WP-15 (4)
    let bad_ttl = ttl(E::Raw(-3));
    assert_eq!(
        rc(&t.db.put(&bad_ttl, &forged(&k), &[bin("a", 2)])),
        RC::KeyMismatch
    );
    // WP-15 (4) before WP-17 (12)
    let r = t.db.operate(&bad_ttl, &k, &[op::append(&bin("a", "x"))]);
    assert_eq!(rc(&r), RC::ParameterError);
    assert_eq!(observe(&t, &k), before);
    // WP-15 (22) before WP-17 (12)
    let t2 = common::open_with(|ns| ns.expiry_sweep_interval(0));
    put_ok(&t2, &wp(), &k, &[bin("a", 1)]);
    let r = t2
        .db
        .operate(&ttl(E::Seconds(5)), &k, &[op::append(&bin("a", "x"))]);
    assert_eq!(rc(&r), RC::FailForbidden);
    // WP-17 (op's code) before WP-19 (2), on a missing record
    let m = key(2);
    let r = t.db.operate(
        &wp(),
        &m,
        &[op::delete_bin("a"), op::add(&bin("a", Value::Nil))],
    );
    assert_eq!(rc(&r), RC::ParameterError);
    let r = t.db.operate(&wp(), &m, &[op::delete_bin("a")]);
    assert_eq!(rc(&r), RC::KeyNotFoundError);
}

/// WP-17 before WP-18 (an op error beats too many bins). Needs 32768 bins: only with
/// `AEROLITE_LARGE_TESTS=1`.
#[test]
fn wp_17_before_wp_18() {
    if std::env::var_os("AEROLITE_LARGE_TESTS").is_none() {
        return;
    }
    let t = common::open();
    let mut ops: Vec<Operation> = (0..32_767)
        .map(|i| op::put(&bin(&format!("b{i}"), 1)))
        .collect();
    ops.push(op::append(&bin("b0", "x")));
    assert_eq!(rc(&t.db.operate(&wp(), &key(1), &ops)), RC::BinTypeError);
}

/// WP-13, Q-FILTER-CREATE: the filter is evaluated only on a live record, never for a create
/// (missing, tombstone, expired).
#[test]
fn wp_13_filter_never_on_create() {
    for s in [St::Missing, St::Tomb(2), St::Expired(2)] {
        let t = common::open();
        let k = key(1);
        make(&t, &k, s);
        let p = WritePolicy {
            filter_expression: filter_false(),
            ..WritePolicy::default()
        };
        assert!(t.db.put(&p, &k, &[bin("a", 1)]).is_ok(), "{s:?}");
    }
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let p = WritePolicy {
        filter_expression: filter_false(),
        ..WritePolicy::default()
    };
    assert_eq!(rc(&t.db.put(&p, &k, &[bin("a", 1)])), RC::FilteredOut);
    assert_eq!(rc(&t.db.touch(&p, &k)), RC::FilteredOut);
}

/// RP-01 … RP-08: missing (2) before set (4); expired / tombstone (2) before the read-touch
/// setting (4); the setting (4) before the filter (27); the filter (27) before the stored key
/// (19); the stored key (19) before op validation (4 / 21); op count (4) before bin names (21).
#[test]
fn rp_chain() {
    let t = common::open();
    let k = key(1);
    let other = by_digest(&k, "other");
    assert_eq!(
        rc(&get(&t, &other)),
        RC::KeyNotFoundError,
        "RP-02 before RP-03"
    );
    let bad_set = Key::new(NS, "bad\0", 1).expect("key");
    assert_eq!(
        rc(&get(&t, &bad_set)),
        RC::ParameterError,
        "RP-01 before RP-02"
    );
    put_ok(&t, &with_key(), &k, &[bin("a", 1)]);
    let rtt_bad = ReadPolicy {
        read_touch_ttl_percent: 500,
        ..ReadPolicy::default()
    };
    // RP-05A applies only to records with a void-time: give it one.
    put_ok(&t, &ttl(E::Seconds(100)), &k, &[bin("a", 1)]);
    let p = ReadPolicy {
        filter_expression: filter_false(),
        ..rtt_bad.clone()
    };
    assert_eq!(
        rc(&t.db.get(&p, &k, Bins::All)),
        RC::ParameterError,
        "RP-05A before RP-06"
    );
    let p = ReadPolicy {
        filter_expression: filter_false(),
        ..ReadPolicy::default()
    };
    assert_eq!(
        rc(&t.db.get(&p, &forged(&k), Bins::All)),
        RC::FilteredOut,
        "RP-06 before RP-07"
    );
    let f = forged(&k);
    assert_eq!(
        rc(&t.db.get(&rp(), &f, Bins::Some(vec![]))),
        RC::KeyMismatch,
        "RP-07 first"
    );
    assert_eq!(
        rc(&t.db.get(&rp(), &f, Bins::from_names(&[&long()]))),
        RC::KeyMismatch,
        "RP-07 before RP-08"
    );
    let mut reads: Vec<Operation> = vec![op::get_bin(&long())];
    reads.extend((0..32_768).map(|_| op::get_bin("a")));
    assert_eq!(
        rc(&t.db.operate(&wp(), &k, &reads)),
        RC::ParameterError,
        "RP-08 count first"
    );
    assert_eq!(
        rc(&t.db.operate(&wp(), &k, &reads[..2])),
        RC::BinNameTooLong
    );
    // RP-04 / RP-05 (2) before RP-05A (4)
    t.clock.advance_s(101);
    assert_eq!(
        rc(&t.db.get(&rtt_bad, &k, Bins::All)),
        RC::KeyNotFoundError,
        "RP-04 first"
    );
    let k2 = key(2);
    tomb(&t, &k2, 1);
    assert_eq!(
        rc(&t.db.get(&rtt_bad, &k2, Bins::All)),
        RC::KeyNotFoundError,
        "RP-05 first"
    );
}

/// DP-04 … DP-09: missing (2) before set (4); set (4) before tombstone (2); tombstone (2) before
/// generation (3); generation (3) before filter (27); filter (27) before stored key (19).
#[test]
fn dp_chain() {
    let t = common::open();
    let k = key(1);
    let other = by_digest(&k, "other");
    assert_eq!(
        t.db.delete(&wp(), &other).map_err(|e| e.code()),
        Ok(false),
        "DP-04 first"
    );
    tomb(&t, &k, 1);
    assert_eq!(
        rc(&t.db.delete(&eq(7), &other)),
        RC::ParameterError,
        "DP-05 before DP-06"
    );
    assert_eq!(
        t.db.delete(&eq(7), &k).map_err(|e| e.code()),
        Ok(false),
        "DP-06 before DP-07"
    );
    let k = key(2);
    put_ok(&t, &with_key(), &k, &[bin("a", 1)]);
    let before = observe(&t, &k);
    let p = WritePolicy {
        filter_expression: filter_false(),
        ..eq(9)
    };
    assert_eq!(
        rc(&t.db.delete(&p, &k)),
        RC::GenerationError,
        "DP-07 before DP-08"
    );
    let p = WritePolicy {
        filter_expression: filter_false(),
        ..WritePolicy::default()
    };
    assert_eq!(
        rc(&t.db.delete(&p, &forged(&k))),
        RC::FilteredOut,
        "DP-08 before DP-09"
    );
    assert_eq!(observe(&t, &k), before);
}

/// RC-FIRST, WP-NOCHANGE: a request failing at each write step leaves bins, generation,
/// void-time, LUT, stored key, set and tombstone state as they were (the clock moves between
/// requests, so a LUT change would show).
#[test]
fn wp_nochange_every_step() {
    let t = common::open_with(|ns| ns.max_record_size(2048));
    let k = key(1);
    let mut p = ttl(E::Seconds(1000));
    p.send_key = true;
    put_ok(&t, &p, &k, &[bin("a", 1), bin("s", "x")]);
    let before = observe(&t, &k);
    let cases: Vec<(WritePolicy, Key, Vec<Operation>, RC)> = vec![
        (wp(), k.clone(), vec![], RC::ParameterError),
        (
            wp(),
            k.clone(),
            vec![op::put(&bin(&long(), 1))],
            RC::BinNameTooLong,
        ),
        (
            act(A::Replace),
            k.clone(),
            vec![op::touch()],
            RC::ParameterError,
        ),
        (
            act(A::CreateOnly),
            k.clone(),
            vec![op::put(&bin("a", 2))],
            RC::KeyExistsError,
        ),
        (
            eq(7),
            k.clone(),
            vec![op::put(&bin("a", 2))],
            RC::GenerationError,
        ),
        (
            wp(),
            by_digest(&k, "zz"),
            vec![op::put(&bin("a", 2))],
            RC::ParameterError,
        ),
        (
            WritePolicy {
                filter_expression: filter_false(),
                ..WritePolicy::default()
            },
            k.clone(),
            vec![op::put(&bin("a", 2))],
            RC::FilteredOut,
        ),
        (
            wp(),
            forged(&k),
            vec![op::put(&bin("a", 2))],
            RC::KeyMismatch,
        ),
        (
            ttl(E::Raw(-9)),
            k.clone(),
            vec![op::put(&bin("a", 2))],
            RC::ParameterError,
        ),
        (
            wp(),
            k.clone(),
            vec![op::put(&bin("a", 2)), op::add(&bin("s", 1))],
            RC::BinTypeError,
        ),
        (
            wp(),
            k.clone(),
            vec![op::put(&bin("big", vec![0u8; 4000]))],
            RC::RecordTooBig,
        ),
    ];
    for (p, key, ops, want) in cases {
        t.clock.advance_s(1);
        let r = t.db.operate(&p, &key, &ops);
        assert_eq!(rc(&r), want, "{ops:?}");
        assert_eq!(observe(&t, &k), before, "{want:?} changed something");
    }
}
