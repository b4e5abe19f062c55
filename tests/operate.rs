//! Operate (record-model.md §15: OP-* general rules, OPR-* results, O-* per-op rules): path
//! selection, order and read-after-write, all-or-nothing, one generation step, respond-all-ops,
//! and every add / append / prepend / write / read / touch / delete-all case.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{operations as op, Operation, ResultCode as RC, Value};
use sem::*;

fn live_bins(t: &common::TestDb, k: &aerolite::Key, bins: &[aerolite::Bin]) {
    put_ok(t, &wp(), k, bins);
}

fn run(
    t: &common::TestDb,
    k: &aerolite::Key,
    ops: &[Operation],
) -> aerolite::Result<aerolite::Record> {
    t.db.operate(&wp(), k, ops)
}

/// OP-EMPTY, WP-05: an operate with no ops → 4.
#[test]
fn op_empty() {
    let t = common::open();
    let k = key(1);
    assert_eq!(rc(&run(&t, &k, &[])), RC::ParameterError);
    live(&t, &k, 1);
    assert_eq!(rc(&run(&t, &k, &[])), RC::ParameterError);
}

/// OP-PATH: all-read operates take the read path (exists action, generation, TTL and durable
/// flag ignored; a missing record → 2, never created); one write op makes it a write.
#[test]
fn op_path() {
    let t = common::open();
    let k = key(1);
    let mut p = act(aerolite::RecordExistsAction::CreateOnly);
    p.generation_policy = aerolite::GenerationPolicy::ExpectGenEqual;
    p.generation = 77;
    p.expiration = aerolite::Expiration::Raw(-5);
    assert_eq!(
        rc(&t.db.operate(&p, &k, &[op::get()])),
        RC::KeyNotFoundError
    );
    live(&t, &k, 1);
    let r =
        t.db.operate(&p, &k, &[op::get_bin("a")])
            .expect("read path");
    assert_eq!(r.generation, 1);
    // A write op switches to the write path, where the policy applies.
    assert_eq!(
        rc(&t.db.operate(&wp(), &k, &[op::get_bin("a"), op::touch()])),
        RC::Ok
    );
    assert_eq!(
        rc(&t.db.operate(&p, &k, &[op::touch()])),
        RC::KeyExistsError
    );
}

/// OP-ORDER, OP-RAW, OP-MULTI-BIN, OPR-SAME-BIN, O-READALL: ops apply in order to one working
/// copy; reads see earlier writes; a read-all returns bins as they are at its position; several
/// entries for one bin stay separate.
#[test]
fn op_order_and_read_after_write() {
    let t = common::open();
    let k = key(1);
    live_bins(&t, &k, &[bin("n", 1)]);
    let r = run(
        &t,
        &k,
        &[
            op::get_bin("n"),
            op::add(&bin("n", 10)),
            op::get_bin("n"),
            op::put(&bin("n", 100)),
            op::add(&bin("n", 1)),
            op::get_bin("n"),
        ],
    )
    .expect("operate");
    let got: Vec<_> = r.bins.get_all("n").cloned().collect();
    assert_eq!(got, vec![Value::Int(1), Value::Int(11), Value::Int(101)]);
    assert_eq!(must_get(&t, &k).bin("n"), Some(&Value::Int(101)));
    let r = run(
        &t,
        &k,
        &[op::put(&bin("m", "x")), op::get(), op::put(&bin("late", 1))],
    )
    .expect("read-all in the middle");
    assert_eq!(
        bins_of(&r),
        pairs(&[("n", Value::Int(101)), ("m", Value::from("x"))])
    );
}

/// OP-ATOMIC, OP-GEN-ONCE: a failing op discards everything — no bin, generation, void-time or
/// LUT change, and a record being created is not left behind.
#[test]
fn op_atomic() {
    let t = common::open();
    let k = key(1);
    live_bins(&t, &k, &[bin("n", 1), bin("s", "x")]);
    let before = observe(&t, &k);
    t.clock.advance_s(5);
    let r = run(
        &t,
        &k,
        &[
            op::put(&bin("n", 2)),
            op::touch(),
            op::put(&bin("new", 1)),
            op::add(&bin("s", 1)),
        ],
    );
    assert_eq!(rc(&r), RC::BinTypeError);
    assert_eq!(observe(&t, &k), before);
    let k2 = key(2);
    let r = run(&t, &k2, &[op::put(&bin("s", "x")), op::add(&bin("s", 1))]);
    assert_eq!(rc(&r), RC::BinTypeError);
    assert_eq!(rc(&get(&t, &k2)), RC::KeyNotFoundError, "nothing created");
    assert_eq!(t.db.stats().records, 1);
}

/// OP-ISOLATION, WP-21 (the new version becomes visible atomically; the replica part of WP-21
/// belongs to the replication tests): concurrent readers never observe a partially applied
/// operate (two bins always written together stay equal).
#[test]
fn op_isolation() {
    let t = std::sync::Arc::new(common::open());
    let k = key(1);
    live_bins(&t, &k, &[bin("x", 0), bin("y", 0)]);
    let writer = {
        let t = t.clone();
        let k = k.clone();
        std::thread::spawn(move || {
            for i in 1..=300i64 {
                run(&t, &k, &[op::put(&bin("x", i)), op::put(&bin("y", i))]).expect("write");
            }
        })
    };
    for _ in 0..300 {
        let r = must_get(&t, &k);
        assert_eq!(r.bin("x"), r.bin("y"), "torn operate observed");
    }
    writer.join().expect("writer");
}

/// OPR-ALL, O-READHEADER, O-TOUCH, O-DELALL: with respond_all_ops one entry per op in order:
/// writes, add, append, prepend, touch, delete-all and read-header give Nil; reads give the value
/// or Nil.
#[test]
fn opr_all_one_entry_per_op() {
    let t = common::open();
    let k = key(1);
    live_bins(&t, &k, &[bin("n", 1), bin("s", "b")]);
    let mut p = wp();
    p.respond_all_ops = true;
    let ops = [
        op::put(&bin("w", 1)),
        op::add(&bin("n", 1)),
        op::append(&bin("s", "c")),
        op::prepend(&bin("s", "a")),
        op::touch(),
        op::get_header(),
        op::get_bin("n"),
        op::get_bin("absent"),
        op::get_bin("s"),
        op::delete(),
        op::put(&bin("keep", 1)),
    ];
    let r = t.db.operate(&p, &k, &ops).expect("respond all");
    let vals: Vec<Value> = r.bins.iter().map(|(_, v)| v.clone()).collect();
    assert_eq!(vals.len(), ops.len());
    let nil = Value::Nil;
    assert_eq!(
        vals,
        vec![
            nil.clone(),
            nil.clone(),
            nil.clone(),
            nil.clone(),
            nil.clone(),
            nil.clone(),
            Value::Int(2),
            nil.clone(),
            Value::from("abc"),
            nil.clone(),
            nil
        ]
    );
    assert_eq!(
        bins_of(&must_get(&t, &k)),
        pairs(&[("keep", Value::Int(1))])
    );
}

/// OPR-DEFAULT: without respond_all_ops only reads of existing bins and read-all bins produce
/// entries, in request order; write-type ops and read-header produce none.
#[test]
fn opr_default_entries() {
    let t = common::open();
    let k = key(1);
    live_bins(&t, &k, &[bin("n", 1)]);
    let r = run(
        &t,
        &k,
        &[
            op::put(&bin("w", 1)),
            op::get_bin("absent"),
            op::get_bin("w"),
            op::touch(),
            op::get_bin("n"),
        ],
    )
    .expect("operate");
    assert_eq!(
        bins_of(&r),
        pairs(&[("w", Value::Int(1)), ("n", Value::Int(1))])
    );
}

/// OPR-ALL-READALL, WP-06(d): respond_all_ops with a read-all → 4 (write path).
#[test]
fn opr_all_readall_rejected() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let mut p = wp();
    p.respond_all_ops = true;
    let r = t.db.operate(&p, &k, &[op::put(&bin("x", 1)), op::get()]);
    assert_eq!(rc(&r), RC::ParameterError);
    assert_eq!(must_get(&t, &k).generation, 1);
}

/// OPR-META: a write operate reports the new generation, void-time and LUT (or 0 / 0 when it
/// became a delete); a read-only operate reports the current ones.
#[test]
fn opr_meta() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    t.clock.advance_s(3);
    let mut p = ttl(aerolite::Expiration::Seconds(50));
    p.respond_all_ops = false;
    let r =
        t.db.operate(&p, &k, &[op::put(&bin("x", 1))])
            .expect("write");
    assert_eq!(r.generation, 2);
    assert_eq!(r.expiration, now_s(&t) + 50);
    assert_eq!(r.last_update_time, now_ms(&t));
    let rr = t.db.operate(&wp(), &k, &[op::get_header()]).expect("read");
    assert_eq!(
        (rr.generation, rr.expiration, rr.last_update_time),
        (2, r.expiration, r.last_update_time)
    );
    assert!(rr.bins.is_empty(), "O-READHEADER: metadata only");
    let d = t.db.operate(&wp(), &k, &[op::delete()]).expect("to delete");
    assert_eq!((d.generation, d.expiration), (0, 0));
}

/// O-READHEADER: on the read path together with a read-all it returns the read-all's bins; on
/// the write path read-header + read-all → 4 (WP-07A); alone it counts as a read.
#[test]
fn o_readheader() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let r =
        t.db.operate(&wp(), &k, &[op::get_header(), op::get()])
            .expect("read path");
    assert_eq!(
        bins_of(&r),
        pairs(&[("a", Value::Int(1)), ("b", Value::Int(2))])
    );
    let r =
        t.db.operate(&wp(), &k, &[op::get_header(), op::get(), op::touch()]);
    assert_eq!(rc(&r), RC::ParameterError);
    assert_eq!(
        must_get(&t, &k).generation,
        1,
        "read-header alone is a read"
    );
}

/// O-WRITE-SET, V-TYPE-CHANGE, O-WRITE-NIL, O-WRITE-NIL-ABSENT.
#[test]
fn o_write() {
    let t = common::open();
    let k = key(1);
    live_bins(&t, &k, &[bin("a", 1), bin("b", 2)]);
    run(&t, &k, &[op::put(&bin("a", "now a string"))]).expect("type change");
    assert_eq!(
        must_get(&t, &k).bin("a"),
        Some(&Value::from("now a string"))
    );
    run(&t, &k, &[op::delete_bin("b")]).expect("nil deletes");
    assert_eq!(must_get(&t, &k).bin("b"), None);
    let r = run(&t, &k, &[op::delete_bin("b")]).expect("nil on absent");
    assert_eq!(r.generation, 4, "GC-NOOP");
}

/// O-READ: read of an existing bin gives its value; of an absent bin no entry.
#[test]
fn o_read() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let r = run(&t, &k, &[op::get_bin("a"), op::get_bin("zz")]).expect("read");
    assert_eq!(bins_of(&r), pairs(&[("a", Value::Int(1))]));
}

fn add_case(start: Option<Value>, operand: Value) -> Result<Value, RC> {
    let t = common::open();
    let k = key(1);
    let mut bins = vec![bin("other", 0)];
    if let Some(v) = start.clone() {
        bins.push(bin("x", v));
    }
    live_bins(&t, &k, &bins);
    let before = observe(&t, &k);
    let r = run(&t, &k, &[op::add(&bin("x", operand))]);
    match r {
        Ok(_) => Ok(must_get(&t, &k).bin("x").cloned().unwrap_or(Value::Nil)),
        Err(e) => {
            assert_eq!(observe(&t, &k), before);
            Err(e.code())
        }
    }
}

/// O-ADD-ABSENT, Q-ADD-ANYTYPE, O-ADD-INT, V-INT (wrapping), O-ADD-INT-BAD, O-ADD-DBL, O-ADD-DBL-BAD,
/// O-ADD-OTHER, O-ADD-NIL.
#[test]
fn o_add_cases() {
    use Value as V;
    assert_eq!(add_case(None, V::Int(5)), Ok(V::Int(5)));
    assert_eq!(
        add_case(None, V::from("str")),
        Ok(V::from("str")),
        "Q-ADD-ANYTYPE"
    );
    assert_eq!(add_case(None, V::Float(1.5)), Ok(V::Float(1.5)));
    assert_eq!(add_case(Some(V::Int(2)), V::Int(3)), Ok(V::Int(5)));
    assert_eq!(
        add_case(Some(V::Int(i64::MAX)), V::Int(1)),
        Ok(V::Int(i64::MIN))
    );
    assert_eq!(
        add_case(Some(V::Int(2)), V::Float(1.0)),
        Err(RC::BinTypeError)
    );
    assert_eq!(
        add_case(Some(V::Int(2)), V::from("s")),
        Err(RC::BinTypeError)
    );
    assert_eq!(
        add_case(Some(V::Float(1.5)), V::Float(2.0)),
        Ok(V::Float(3.5))
    );
    assert_eq!(
        add_case(Some(V::Float(f64::MAX)), V::Float(f64::MAX)),
        Ok(V::Float(f64::INFINITY))
    );
    assert_eq!(
        add_case(Some(V::Float(1.5)), V::Int(1)),
        Err(RC::BinTypeError)
    );
    for other in [
        V::from("s"),
        V::Blob(vec![1]),
        V::Bool(true),
        V::list(vec![V::Int(1)]),
        V::map(vec![(V::Int(1), V::Int(2))]),
        V::GeoJSON("{}".into()),
    ] {
        assert_eq!(
            add_case(Some(other.clone()), V::Int(1)),
            Err(RC::BinTypeError),
            "{other}"
        );
    }
    assert_eq!(add_case(Some(V::Int(1)), V::Nil), Err(RC::ParameterError));
    assert_eq!(add_case(None, V::Nil), Err(RC::ParameterError));
}

fn concat_case(start: Option<Value>, operand: Value, append: bool) -> Result<Value, RC> {
    let t = common::open();
    let k = key(1);
    let mut bins = vec![bin("other", 0)];
    if let Some(v) = start {
        bins.push(bin("x", v));
    }
    live_bins(&t, &k, &bins);
    let before = observe(&t, &k);
    let o = if append {
        op::append(&bin("x", operand))
    } else {
        op::prepend(&bin("x", operand))
    };
    match run(&t, &k, &[o]) {
        Ok(_) => Ok(must_get(&t, &k).bin("x").cloned().unwrap_or(Value::Nil)),
        Err(e) => {
            assert_eq!(observe(&t, &k), before);
            Err(e.code())
        }
    }
}

/// O-APP-ABSENT, O-APP-STR, O-APP-BYTES, O-APP-MISMATCH, O-APP-OTHER, O-APP-NIL.
#[test]
fn o_append_prepend_cases() {
    use Value as V;
    for app in [true, false] {
        assert_eq!(
            concat_case(None, V::Int(7), app),
            Ok(V::Int(7)),
            "Q-ADD-ANYTYPE"
        );
        assert_eq!(concat_case(None, V::from("s"), app), Ok(V::from("s")));
        let want = if app { "abcd" } else { "cdab" };
        assert_eq!(
            concat_case(Some(V::from("ab")), V::from("cd"), app),
            Ok(V::from(want))
        );
        let want = if app { vec![1, 2, 3] } else { vec![3, 1, 2] };
        assert_eq!(
            concat_case(Some(V::Blob(vec![1, 2])), V::Blob(vec![3]), app),
            Ok(V::Blob(want))
        );
        assert_eq!(
            concat_case(Some(V::from("ab")), V::Blob(vec![1]), app),
            Err(RC::BinTypeError)
        );
        assert_eq!(
            concat_case(Some(V::Blob(vec![1])), V::from("x"), app),
            Err(RC::BinTypeError)
        );
        for other in [
            V::Int(1),
            V::Float(1.0),
            V::Bool(false),
            V::list(vec![]),
            V::map(vec![]),
            V::GeoJSON("{}".into()),
        ] {
            assert_eq!(
                concat_case(Some(other.clone()), V::from("x"), app),
                Err(RC::BinTypeError),
                "{other}"
            );
        }
        assert_eq!(
            concat_case(Some(V::from("a")), V::Nil, app),
            Err(RC::ParameterError)
        );
    }
}

/// O-DELALL: delete-all removes every bin of the working copy; later ops may add bins, earlier
/// reads saw the old ones.
#[test]
fn o_delall() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let r = run(
        &t,
        &k,
        &[
            op::get_bin("a"),
            op::delete(),
            op::get_bin("a"),
            op::put(&bin("c", 3)),
        ],
    )
    .expect("operate");
    assert_eq!(bins_of(&r), pairs(&[("a", Value::Int(1))]));
    assert_eq!(bins_of(&must_get(&t, &k)), pairs(&[("c", Value::Int(3))]));
}
