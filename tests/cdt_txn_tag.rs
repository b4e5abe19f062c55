//! The transaction-tag pattern of record-model.md §22.2 (SB-01 … SB-07, SB-TRIM-1 … SB-TRIM-5),
//! literally, through `Database::operate`, plus the record-level CDT rules it rests on: OP-ATOMIC /
//! CR-ATOMIC, OP-NOFAIL, OP-RAW, OPR-DEFAULT / OPR-ALL, CR-GEN, CR-REPLACE, CR-CREATE-RECORD.
//!
//! SB-01's timeout is produced by holding the record's lock so the first attempt times out while
//! queued (9, in doubt, not applied); the other truth behind a 9 — the attempt applied — is
//! reproduced by simply running the operate before its retry (SB-03).

mod cdt_support;
mod common;

use aerolite::operations::{add, get_bin, maps, put};
use aerolite::{
    Bin, Expiration, GenerationPolicy, MapOrder, MapPolicy, MapReturnType as RT, MapWriteFlags,
    Operation, Record, RecordExistsAction, Value, WritePolicy,
};
use cdt_support::*;

const N: i64 = 3;

fn tag_policy(no_fail: bool) -> MapPolicy {
    let flags = if no_fail {
        MapWriteFlags::CreateOnly | MapWriteFlags::NoFail
    } else {
        MapWriteFlags::CreateOnly
    };
    MapPolicy::new(MapOrder::KeyOrdered, flags)
}

/// The guarded operate of §22.2: tag put (CreateOnly), debit, trim to the N newest.
fn guarded(txn: &str, now_ms: i64, no_fail: bool) -> Vec<Operation> {
    vec![
        maps::put(&tag_policy(no_fail), "txns", txn, now_ms),
        add(&Bin::new("balance", -10)),
        maps::remove_by_rank_range("txns", -N, N, RT::None | RT::Inverted),
    ]
}

fn update() -> WritePolicy {
    WritePolicy::with_action(RecordExistsAction::Update)
}

fn balance(t: &T) -> Option<Value> {
    t.bin("balance")
}

fn tags(t: &T) -> Vec<Value> {
    entries(&t.bin("txns").expect("txns"))
        .into_iter()
        .map(|(k, _)| k)
        .collect()
}

/// SB-07, SB-02: a missing record is created with both bins; a retry whose first attempt had
/// not applied applies now, once, generation +1.
#[test]
fn sb_07_and_sb_02_first_application() {
    let t = open();
    let r = t
        .run_with(&update(), &guarded("tx-42", 1000, false))
        .expect("SB-07");
    assert_eq!(r.generation, 1);
    assert_eq!(balance(&t), Some(Value::Int(-10)));
    assert_eq!(
        map_order(&t.bin("txns").expect("txns")),
        Some(MapOrder::KeyOrdered)
    );
    assert_eq!(tags(&t), vec![Value::from("tx-42")]);
    // SB-02: a different txn on the existing record.
    t.set("balance", 100);
    let g = t.gen();
    t.run_with(&update(), &guarded("tx-43", 2000, false))
        .expect("SB-02");
    assert_eq!(t.gen(), g + 1);
    assert_eq!(balance(&t), Some(Value::Int(90)));
}

/// SB-01, SB-02: the first attempt times out in doubt (it queued behind a held lock and was not
/// applied); the identical retry applies once.
#[test]
fn sb_01_timeout_in_doubt_then_retry_applies_once() {
    let t = open();
    t.set("balance", 100);
    let g = t.gen();
    let ns = aerolite::testing::namespace(&t.t.db, "test")
        .expect("ns")
        .clone();
    let held = ns
        .locks
        .acquire(t.key.digest, 0, None)
        .expect("hold the record lock");
    let timed = WritePolicy {
        total_timeout: Some(std::time::Duration::from_millis(20)),
        ..update()
    };
    let e = t
        .run_with(&timed, &guarded("tx-42", 1000, false))
        .expect_err("SB-01");
    assert_eq!(e.code().code(), 9);
    assert!(e.in_doubt());
    drop(held);
    assert_eq!(
        t.ok(maps::get_by_key("txns", "tx-42", RT::Exists)),
        Value::Nil,
        "SB-04: not applied"
    );
    t.run_with(&update(), &guarded("tx-42", 1000, false))
        .expect("SB-02 retry");
    assert_eq!(balance(&t), Some(Value::Int(90)));
    assert_eq!(t.gen(), g + 1);
    let e = t
        .run_with(&update(), &guarded("tx-42", 1000, false))
        .expect_err("SB-03");
    assert_eq!(e.code().code(), 24);
    assert_eq!(balance(&t), Some(Value::Int(90)));
}

/// SB-03, OP-ATOMIC, CR-ATOMIC: the retry of an applied operate fails with 24 and changes
/// nothing: balance debited once, generation, void-time and LUT unchanged, nothing trimmed.
#[test]
fn sb_03_retry_after_applied_returns_24() {
    let t = open();
    t.set("balance", 100);
    // More than N tags already (older ones put plainly), so a trim would be visible.
    let old: Vec<(Value, Value)> = (0..N + 2)
        .map(|i| (Value::from(format!("tx-0{i}")), Value::Int(i)))
        .collect();
    t.set("txns", Value::map(old));
    let first = t
        .run_with(&update(), &guarded("tx-42", 1000, false))
        .expect("first");
    assert_eq!(balance(&t), Some(Value::Int(90)));
    assert_eq!(tags(&t).len(), N as usize, "SB-TRIM-1");
    // Grow the map past N again without the guard, to see that the failed retry trims nothing.
    t.ok(maps::put(&MapPolicy::default(), "txns", "tx-00", 0));
    let before =
        t.t.db
            .get(&Default::default(), &t.key, aerolite::Bins::All)
            .expect("get");
    t.t.clock.advance_s(5);
    let e = t
        .run_with(&update(), &guarded("tx-42", 1000, false))
        .expect_err("SB-03");
    assert_eq!(e.code().code(), 24);
    assert!(!e.in_doubt());
    let after =
        t.t.db
            .get(&Default::default(), &t.key, aerolite::Bins::All)
            .expect("get");
    assert_eq!(
        after, before,
        "bins, generation, void-time and LUT unchanged"
    );
    assert_eq!(balance(&t), Some(Value::Int(90)));
    assert_eq!(tags(&t).len(), N as usize + 1, "nothing trimmed");
    assert_eq!(after.generation, first.generation + 1);
}

/// SB-04: resolution by read — the tag's presence is the answer.
#[test]
fn sb_04_resolve_by_read() {
    let t = open();
    t.run_with(&update(), &guarded("tx-42", 1000, false))
        .expect("apply");
    let exists = |txn: &str| t.ok(maps::get_by_key("txns", txn, RT::Exists));
    assert_eq!(exists("tx-42"), Value::Bool(true));
    assert_eq!(exists("tx-99"), Value::Bool(false));
}

/// SB-05, OP-NOFAIL: with NoFail the retry "succeeds" and debits twice — the documented trap.
#[test]
fn sb_05_nofail_trap_debits_twice() {
    let t = open();
    t.set("balance", 100);
    t.run_with(&update(), &guarded("tx-42", 1000, true))
        .expect("first");
    let g = t.gen();
    t.run_with(&update(), &guarded("tx-42", 1000, true))
        .expect("retry succeeds");
    assert_eq!(balance(&t), Some(Value::Int(80)), "debited twice");
    assert_eq!(t.gen(), g + 1);
    assert_eq!(tags(&t), vec![Value::from("tx-42")]);
}

/// SB-06: with ExpectGenEqual(N) on the retry, the generation check (3) hides the 24.
#[test]
fn sb_06_generation_check_hides_24() {
    let t = open();
    t.set("balance", 100);
    let g = t.gen();
    let mut p = WritePolicy::with_generation(GenerationPolicy::ExpectGenEqual, g);
    t.run_with(&p, &guarded("tx-42", 1000, false))
        .expect("first");
    let e = t
        .run_with(&p, &guarded("tx-42", 1000, false))
        .expect_err("retry");
    assert_eq!(e.code().code(), 3);
    // Resolved with SB-04.
    assert_eq!(
        t.ok(maps::get_by_key("txns", "tx-42", RT::Exists)),
        Value::Bool(true)
    );
    p.generation = t.gen();
    assert_eq!(
        t.run_with(&p, &guarded("tx-42", 1000, false))
            .map_err(|e| e.code().code())
            .err(),
        Some(24)
    );
}

/// SB-TRIM-1, SB-TRIM-2: trimming by count keeps the N highest-valued (newest) tags, ties broken
/// by key order; with N or fewer tags nothing is removed; the map never exceeds N after an operate.
#[test]
fn sb_trim_1_2_by_count() {
    let t = open();
    t.set("balance", 1000);
    // Random-looking ids with increasing commit times.
    let ids = ["k9", "a1", "m5", "c3", "z0", "b7"];
    for (i, id) in ids.iter().enumerate() {
        t.run_with(&update(), &guarded(id, 100 * i as i64, false))
            .expect("apply");
        let n = tags(&t).len();
        assert_eq!(n, (i + 1).min(N as usize), "after {id}");
    }
    let mut kept = tags(&t);
    kept.sort();
    assert_eq!(
        kept,
        vec![Value::from("b7"), "c3".into(), "z0".into()],
        "the 3 newest"
    );
    assert_eq!(balance(&t), Some(Value::Int(940)));
    // Ties: equal commit times rank by key order, so the lowest keys go first.
    let t = open();
    t.set(
        "txns",
        Value::map(vec![
            ("b".into(), 5.into()),
            ("a".into(), 5.into()),
            ("c".into(), 5.into()),
            ("d".into(), 5.into()),
        ]),
    );
    t.ok(maps::remove_by_rank_range(
        "txns",
        -N,
        N,
        RT::None | RT::Inverted,
    ));
    assert_eq!(tags(&t), vec![Value::from("b"), "c".into(), "d".into()]);
    t.ok(maps::remove_by_rank_range(
        "txns",
        -N,
        N,
        RT::None | RT::Inverted,
    ));
    assert_eq!(tags(&t).len(), 3, "N or fewer: nothing removed");
}

/// SB-TRIM-3: trimming by age removes tags older than the cutoff.
#[test]
fn sb_trim_3_by_age() {
    let t = open();
    t.set(
        "txns",
        Value::map(vec![
            ("x".into(), 100.into()),
            ("y".into(), 200.into()),
            ("z".into(), 300.into()),
        ]),
    );
    let r = t.ok(maps::remove_by_value_range(
        "txns",
        Value::Nil,
        250,
        RT::Key,
    ));
    assert_eq!(r, Value::list(vec!["x".into(), "y".into()]));
    assert_eq!(tags(&t), vec![Value::from("z")]);
}

/// SB-TRIM-4: with monotonically increasing ids, trimming by index keeps the N newest; with random
/// ids it removes arbitrary tags (the warning of the row).
#[test]
fn sb_trim_4_by_index() {
    let trim = maps::remove_by_index_range_from("txns", -N, RT::None | RT::Inverted);
    let t = open();
    for i in 0..6 {
        t.ok(maps::put(
            &tag_policy(false),
            "txns",
            format!("tx-{i:04}"),
            i,
        ));
    }
    t.ok(trim.clone());
    assert_eq!(
        tags(&t),
        vec![Value::from("tx-0003"), "tx-0004".into(), "tx-0005".into()]
    );
    let t = open();
    for (i, id) in ["k", "a", "z", "b"].iter().enumerate() {
        t.ok(maps::put(&tag_policy(false), "txns", *id, i as i64));
    }
    t.ok(trim);
    assert_eq!(
        tags(&t),
        vec![Value::from("b"), "k".into(), "z".into()],
        "newest 'b' kept, but so is older 'k'"
    );
}

/// SB-TRIM-5: a tag trimmed before a late retry lets the retry apply twice.
#[test]
fn sb_trim_5_too_early_trim_double_applies() {
    let t = open();
    t.set("balance", 100);
    t.run_with(&update(), &guarded("tx-1", 1, false))
        .expect("tx-1");
    for (i, id) in ["tx-2", "tx-3", "tx-4"].iter().enumerate() {
        t.run_with(&update(), &guarded(id, 10 + i as i64, false))
            .expect("later txns");
    }
    assert_eq!(
        t.ok(maps::get_by_key("txns", "tx-1", RT::Exists)),
        Value::Bool(false)
    );
    t.run_with(&update(), &guarded("tx-1", 1, false))
        .expect("late retry applies again");
    assert_eq!(balance(&t), Some(Value::Int(50)), "tx-1 debited twice");
}

fn entries_of(r: &Record) -> Vec<(String, Value)> {
    r.bins.clone().into_entries()
}

/// OP-ATOMIC, CR-ATOMIC: a CDT failure after other ops — including on a record being created —
/// persists nothing; OP-RAW and OP-MULTI-BIN: later ops see earlier CDT effects.
#[test]
fn op_atomic_and_raw() {
    let t = open();
    let e = t
        .run(&[
            put(&Bin::new("a", 1)),
            maps::put(&MapPolicy::default(), "m", 1, 1),
            maps::get_by_index("m", 5, RT::Value),
        ])
        .expect_err("26");
    assert_eq!(e.code().code(), 26);
    assert!(!t.exists(), "a record being created is not left behind");
    let r = t
        .run_with(
            &WritePolicy {
                expiration: Expiration::Never,
                ..all()
            },
            &[
                maps::put(&MapPolicy::default(), "m", 1, 1),
                maps::put(&MapPolicy::default(), "m", 2, 2),
                maps::size("m"),
                get_bin("m"),
            ],
        )
        .expect("ok");
    let got: Vec<Value> = entries_of(&r).into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        got,
        vec![1.into(), 2.into(), 2.into(), mi(&[(1, 1), (2, 2)])]
    );
    assert_eq!(r.generation, 1, "CR-GEN: once per operate");
}

/// OPR-DEFAULT, CH-OPR-NIL, OPR-ALL: without respond_all_ops, CDT ops with a Nil result give no
/// entry; with it, every op gives one.
#[test]
fn opr_default_and_all() {
    let t = open();
    t.set("m", mi(&[(1, 1)]));
    let ops = [
        maps::clear("m"),                            // Nil
        maps::put(&MapPolicy::default(), "m", 2, 2), // 1
        maps::get_by_key("m", 9, RT::Value),         // Nil
        maps::get_by_key("m", 2, RT::Value),         // 2
        put(&Bin::new("x", 1)),                      // write: no entry
    ];
    let r = t.run_with(&WritePolicy::default(), &ops).expect("ok");
    assert_eq!(
        entries_of(&r),
        vec![
            ("m".to_string(), Value::Int(1)),
            ("m".to_string(), Value::Int(2))
        ]
    );
    let r = t.run(&ops).expect("ok");
    let got: Vec<Value> = entries_of(&r).into_iter().map(|(_, v)| v).collect();
    assert_eq!(
        got,
        vec![Value::Nil, 1.into(), Value::Nil, 2.into(), Value::Nil]
    );
    // Read-only operate with CDT reads takes the read path and still omits Nil results.
    let r = t
        .run_with(
            &WritePolicy::default(),
            &[maps::get_by_key("m", 9, RT::Value), maps::size("m")],
        )
        .expect("read");
    assert_eq!(entries_of(&r), vec![("m".to_string(), Value::Int(1))]);
}

/// CR-REPLACE (W-REP-FORBIDDEN): CDT modify ops with Replace / ReplaceOnly → 4; CDT reads are
/// allowed. CR-CREATE-RECORD: CreateOnly exists action creates; CR-GEN / CDT-NOOP-WRITE.
#[test]
fn cr_replace_create_gen() {
    let t = open();
    t.set("m", mi(&[(1, 1)]));
    for a in [RecordExistsAction::Replace, RecordExistsAction::ReplaceOnly] {
        let p = WritePolicy::with_action(a);
        let e = t
            .run_with(&p, &[maps::put(&MapPolicy::default(), "m", 2, 2)])
            .expect_err("4");
        assert_eq!(e.code().code(), 4);
        let r = t
            .run_with(&p, &[put(&Bin::new("y", 1)), maps::size("y2")])
            .expect("CDT read with Replace");
        assert!(r.generation > 0);
    }
    let t = open();
    let p = WritePolicy::with_action(RecordExistsAction::CreateOnly);
    t.run_with(&p, &[maps::put(&MapPolicy::default(), "m", 1, 1)])
        .expect("creates");
    assert_eq!(t.bin("m"), Some(mi(&[(1, 1)])));
    let g = t.gen();
    t.run(&[
        maps::put(&tag_policy(true), "m", 1, 5),
        maps::put(&tag_policy(true), "m", 1, 6),
    ])
    .expect("NoFail no-ops");
    assert_eq!(t.gen(), g + 1, "no-ops still advance the generation once");
    assert_eq!(t.bin("m"), Some(mi(&[(1, 1)])));
}
