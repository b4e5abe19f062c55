//! CDT ops as the record engine sees them (record-model.md §15 with `cdt.md` ops): O-CDT creation
//! and type errors, the static checks that involve CDT ops (W-REP-FORBIDDEN, WP-06(c), WP-07),
//! result entries (OPR-DEFAULT, CH-OPR-NIL, OPR-ALL), the CDT result codes (RC-23, RC-24, RC-26)
//! discarding the whole operate (OP-ATOMIC), OP-NOFAIL, Z-CDT-NOOP-MISSING, and RP-08's
//! per-op order on the read path. The CDT semantics themselves are the CDT suites' subject.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::operations::{self as op, lists, maps};
use aerolite::{
    ListOrderType, ListPolicy, ListWriteFlags, MapOrder, MapPolicy, MapReturnType as RT,
    MapWriteFlags, RecordExistsAction as A, ResultCode as RC, Value,
};
use sem::*;

fn mp(flags: MapWriteFlags) -> MapPolicy {
    MapPolicy::new(MapOrder::KeyOrdered, flags)
}

/// O-CDT: without a context a CDT modify on an absent bin creates it; any CDT op on a bin of
/// another type → 12, and the operate is discarded.
#[test]
fn o_cdt_create_and_type_error() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("n", 1)]);
    let r =
        t.db.operate(
            &wp(),
            &k,
            &[maps::put(&mp(MapWriteFlags::Default), "m", "x", 1)],
        )
        .expect("creates the map bin");
    assert_eq!(r.generation, 2);
    assert!(matches!(must_get(&t, &k).bin("m"), Some(Value::Map(_))));
    let before = observe(&t, &k);
    for o in [
        maps::put(&mp(MapWriteFlags::Default), "n", "x", 1),
        lists::append(&ListPolicy::default(), "n", 1),
        lists::append(&ListPolicy::default(), "m", 1),
    ] {
        let r = t.db.operate(&wp(), &k, &[op::put(&bin("w", 1)), o]);
        assert_eq!(rc(&r), RC::BinTypeError);
        assert_eq!(observe(&t, &k), before);
    }
    let r = t.db.operate(&wp(), &k, &[maps::size("n")]);
    assert_eq!(rc(&r), RC::BinTypeError, "a CDT read on the read path too");
}

/// W-REP-FORBIDDEN, WP-06(c): a CDT modify with Replace / ReplaceOnly → 4 before lookup (even on
/// a missing record with ReplaceOnly); a CDT read with Replace is fine.
#[test]
fn w_rep_forbidden_cdt_modify() {
    let t = common::open();
    let k = key(1);
    for a in [A::Replace, A::ReplaceOnly] {
        let r = t.db.operate(
            &act(a),
            &k,
            &[
                op::put(&bin("a", 1)),
                maps::put(&mp(MapWriteFlags::Default), "m", 1, 1),
            ],
        );
        assert_eq!(rc(&r), RC::ParameterError, "{a:?}");
    }
    put_ok(
        &t,
        &wp(),
        &k,
        &[bin("m", Value::map(vec![(Value::Int(1), Value::Int(2))]))],
    );
    let r =
        t.db.operate(
            &act(A::Replace),
            &k,
            &[op::put(&bin("a", 1)), maps::size("m")],
        )
        .expect("CDT read with Replace");
    assert_eq!(bins_of(&must_get(&t, &k)), pairs(&[("a", Value::Int(1))]));
    assert!(
        r.bins.is_empty(),
        "the read saw the empty working copy: absent bin, Nil result"
    );
}

/// WP-07: a read-all together with a CDT read or a CDT modify on the write path → 4.
#[test]
fn wp_07_read_all_with_cdt() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let before = observe(&t, &k);
    for o in [
        maps::size("m"),
        maps::put(&mp(MapWriteFlags::Default), "m", 1, 1),
    ] {
        let r = t.db.operate(&wp(), &k, &[op::get(), op::touch(), o]);
        assert_eq!(rc(&r), RC::ParameterError);
    }
    assert_eq!(observe(&t, &k), before);
}

/// OPR-DEFAULT, CH-OPR-NIL, OPR-ALL: without respond_all_ops a CDT op whose result is Nil makes
/// no entry (others do, in op order); with respond_all_ops every op has one.
#[test]
fn opr_cdt_entries() {
    let t = common::open();
    let k = key(1);
    put_ok(
        &t,
        &wp(),
        &k,
        &[bin(
            "m",
            Value::map(vec![(Value::from("a"), Value::Int(1))]),
        )],
    );
    let ops = [
        maps::get_by_key("m", "absent", RT::Value),
        maps::put(&mp(MapWriteFlags::Default), "m", "b", 2),
        maps::get_by_key("m", "b", RT::Value),
        op::put(&bin("x", 1)),
    ];
    let r = t.db.operate(&wp(), &k, &ops).expect("operate");
    assert_eq!(
        bins_of(&r),
        pairs(&[("m", Value::Int(2)), ("m", Value::Int(2))]),
        "size after put, then the value; the Nil get made no entry"
    );
    let mut all = wp();
    all.respond_all_ops = true;
    let r = t.db.operate(&all, &k, &ops).expect("operate");
    assert_eq!(r.bins.len(), ops.len());
    assert_eq!(
        r.bins.iter().next().map(|(_, v)| v.clone()),
        Some(Value::Nil)
    );
}

/// RC-23, RC-24, RC-26, OP-ATOMIC: CDT update-only on a missing element → 23, create-only on an
/// existing one → 24, a bounded insert beyond the end → 26; each discards the whole operate.
#[test]
fn cdt_codes_discard_the_operate() {
    let t = common::open();
    let k = key(1);
    put_ok(
        &t,
        &wp(),
        &k,
        &[
            bin("m", Value::map(vec![(Value::from("a"), Value::Int(1))])),
            bin("l", Value::list(vec![Value::Int(1)])),
            bin("n", 0),
        ],
    );
    let before = observe(&t, &k);
    let bounded = ListPolicy::new(ListOrderType::Unordered, ListWriteFlags::InsertBounded);
    let cases = [
        (
            maps::put(&mp(MapWriteFlags::UpdateOnly), "m", "zz", 1),
            RC::ElementNotFound,
        ),
        (
            maps::put(&mp(MapWriteFlags::CreateOnly), "m", "a", 1),
            RC::ElementExists,
        ),
        (lists::insert(&bounded, "l", 5, 1), RC::OpNotApplicable),
    ];
    for (o, want) in cases {
        let r = t.db.operate(&wp(), &k, &[op::add(&bin("n", 1)), o]);
        assert_eq!(rc(&r), want);
        assert_eq!(observe(&t, &k), before, "{want:?}: nothing applied");
    }
}

/// OP-NOFAIL, GC-NOOP: a CDT op that ends as a NoFail no-op does not fail the operate; the other
/// ops apply and the generation still moves once.
#[test]
fn op_nofail() {
    let t = common::open();
    let k = key(1);
    put_ok(
        &t,
        &wp(),
        &k,
        &[
            bin("m", Value::map(vec![(Value::from("a"), Value::Int(1))])),
            bin("n", 0),
        ],
    );
    let flags = MapWriteFlags::CreateOnly | MapWriteFlags::NoFail;
    let r =
        t.db.operate(
            &wp(),
            &k,
            &[maps::put(&mp(flags), "m", "a", 9), op::add(&bin("n", 1))],
        )
        .expect("no-op does not fail");
    assert_eq!(r.generation, 2);
    let got = must_get(&t, &k);
    assert_eq!(got.bin("n"), Some(&Value::Int(1)));
    assert_eq!(
        got.bin("m"),
        Some(&Value::map(vec![(Value::from("a"), Value::Int(1))]))
    );
    let r =
        t.db.operate(&wp(), &k, &[maps::put(&mp(flags), "m", "a", 9)])
            .expect("only a no-op");
    assert_eq!(r.generation, 3, "GC-NOOP");
}

/// Z-CDT-NOOP-MISSING, WP-19: on a missing record an operate whose only op is a CDT modify that
/// ends as a no-op on the absent bin → 2, and the record stays missing.
#[test]
fn z_cdt_noop_missing() {
    let t = common::open();
    let k = key(1);
    for o in [
        maps::remove_by_key("m", "x", RT::None),
        maps::clear("m"),
        lists::remove("l", 0),
    ] {
        let r = t.db.operate(&wp(), &k, &[o]);
        assert_eq!(rc(&r), RC::KeyNotFoundError);
        assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
        assert_eq!(t.db.stats().records, 0);
    }
}

/// RP-08, OP-PATH: on the read path, per op in request order — a CDT read error in op 0 beats a
/// bad bin name in op 1, and a bad bin name in op 0 beats a CDT error in op 1. CDT reads alone
/// take the read path (missing → 2; CreateOnly ignored).
#[test]
fn rp_08_per_op_order_with_cdt_reads() {
    let t = common::open();
    let k = key(1);
    assert_eq!(
        rc(&t.db.operate(&wp(), &k, &[maps::size("m")])),
        RC::KeyNotFoundError
    );
    put_ok(&t, &wp(), &k, &[bin("n", 1)]);
    let long = "x".repeat(16);
    let r =
        t.db.operate(&wp(), &k, &[maps::size("n"), op::get_bin(&long)]);
    assert_eq!(rc(&r), RC::BinTypeError, "op 0's CDT error first");
    let r =
        t.db.operate(&wp(), &k, &[op::get_bin(&long), maps::size("n")]);
    assert_eq!(rc(&r), RC::BinNameTooLong, "op 0's bad name first");
    let r = t.db.operate(&act(A::CreateOnly), &k, &[op::get_bin("n")]);
    assert_eq!(rc(&r), RC::Ok, "read path ignores CreateOnly");
}
