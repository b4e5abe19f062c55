//! RecordExistsAction × record state (record-model.md §8, W-* rows): every action against every
//! state, asserting the result code, the resulting generation and whether bins were merged or
//! started fresh; failures must leave the record exactly as it was (WP-NOCHANGE).
//!
//! Base record: bins a=1, b=2 at generation 3 (tombstone: T = 4; expired: G_old = 3).
//! Request: bins b=20, c=30.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{operations as op, RecordExistsAction as A, ResultCode as RC, Value};
use sem::*;

#[derive(Clone, Copy, Debug)]
enum Bins {
    Merge,
    Fresh,
}

struct Row {
    id: &'static str,
    action: A,
    state: St,
    code: RC,
    generation: u32,
    bins: Bins,
}

fn row(id: &'static str, action: A, state: St, code: RC, generation: u32, bins: Bins) -> Row {
    Row {
        id,
        action,
        state,
        code,
        generation,
        bins,
    }
}

/// W-UPD-MISSING, W-UPD-LIVE, W-UPD-TOMB, W-UPD-EXP, W-UPDONLY-MISSING, W-UPDONLY-LIVE,
/// W-UPDONLY-TOMB, W-UPDONLY-EXP, W-REP-MISSING, W-REP-LIVE, W-REP-TOMB, W-REP-EXP,
/// W-REPONLY-MISSING, W-REPONLY-LIVE, W-REPONLY-TOMB, W-REPONLY-EXP, W-CREATE-MISSING,
/// W-CREATE-LIVE, W-CREATE-TOMB, W-CREATE-EXP, G-NONE, WP-16 (merge vs fresh working copy).
#[test]
fn exists_action_by_state_table() {
    use Bins::*;
    use St::*;
    let (m, l, t, e) = (Missing, Live(3), Tomb(3), Expired(3));
    let rows = [
        row("W-UPD-MISSING", A::Update, m, RC::Ok, 1, Fresh),
        row("W-UPD-LIVE", A::Update, l, RC::Ok, 4, Merge),
        row("W-UPD-TOMB", A::Update, t, RC::Ok, 5, Fresh),
        row("W-UPD-EXP", A::Update, e, RC::Ok, 1, Fresh),
        row(
            "W-UPDONLY-MISSING",
            A::UpdateOnly,
            m,
            RC::KeyNotFoundError,
            0,
            Fresh,
        ),
        row("W-UPDONLY-LIVE", A::UpdateOnly, l, RC::Ok, 4, Merge),
        row(
            "W-UPDONLY-TOMB",
            A::UpdateOnly,
            t,
            RC::KeyNotFoundError,
            0,
            Fresh,
        ),
        row(
            "W-UPDONLY-EXP",
            A::UpdateOnly,
            e,
            RC::KeyNotFoundError,
            0,
            Fresh,
        ),
        row("W-REP-MISSING", A::Replace, m, RC::Ok, 1, Fresh),
        row("W-REP-LIVE", A::Replace, l, RC::Ok, 4, Fresh),
        row("W-REP-TOMB", A::Replace, t, RC::Ok, 5, Fresh),
        row("W-REP-EXP", A::Replace, e, RC::Ok, 1, Fresh),
        row(
            "W-REPONLY-MISSING",
            A::ReplaceOnly,
            m,
            RC::KeyNotFoundError,
            0,
            Fresh,
        ),
        row("W-REPONLY-LIVE", A::ReplaceOnly, l, RC::Ok, 4, Fresh),
        row(
            "W-REPONLY-TOMB",
            A::ReplaceOnly,
            t,
            RC::KeyNotFoundError,
            0,
            Fresh,
        ),
        row(
            "W-REPONLY-EXP",
            A::ReplaceOnly,
            e,
            RC::KeyNotFoundError,
            0,
            Fresh,
        ),
        row("W-CREATE-MISSING", A::CreateOnly, m, RC::Ok, 1, Fresh),
        row(
            "W-CREATE-LIVE",
            A::CreateOnly,
            l,
            RC::KeyExistsError,
            0,
            Fresh,
        ),
        row("W-CREATE-TOMB", A::CreateOnly, t, RC::Ok, 5, Fresh),
        row("W-CREATE-EXP", A::CreateOnly, e, RC::Ok, 1, Fresh),
    ];
    for r in rows {
        let t = common::open();
        let k = key(1);
        make(&t, &k, r.state);
        let before = observe(&t, &k);
        let res = t.db.put(&act(r.action), &k, &[bin("b", 20), bin("c", 30)]);
        assert_eq!(rc(&res), r.code, "{}: {res:?}", r.id);
        if r.code != RC::Ok {
            assert_eq!(observe(&t, &k), before, "{}: unchanged (WP-NOCHANGE)", r.id);
            continue;
        }
        let w = res.expect("checked above");
        assert_eq!(w.generation, r.generation, "{}: reported generation", r.id);
        let got = must_get(&t, &k);
        assert_eq!(got.generation, r.generation, "{}: stored generation", r.id);
        let want = match r.bins {
            Bins::Merge => pairs(&[
                ("a", Value::Int(1)),
                ("b", Value::Int(20)),
                ("c", Value::Int(30)),
            ]),
            Bins::Fresh => pairs(&[("b", Value::Int(20)), ("c", Value::Int(30))]),
        };
        assert_eq!(bins_of(&got), want, "{}: bins", r.id);
    }
}

/// G-NONE: with no generation policy the expected generation is ignored entirely.
#[test]
fn g_none_ignores_generation_value() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 3);
    let mut p = wp();
    p.generation = 99;
    assert_eq!(put_ok(&t, &p, &k, &[bin("a", 5)]).generation, 4);
}

/// W-UPD-TOMB: the tombstone's set and stored key are kept by the re-create, even when the
/// re-creating write does not send the key.
#[test]
fn w_upd_tomb_keeps_set_and_stored_key() {
    let t = common::open();
    let k = key(7);
    let mut send = wp();
    send.send_key = true;
    put_ok(&t, &send, &k, &[bin("a", 1)]);
    assert!(t.db.delete(&durable(), &k).expect("durable delete"));
    let direct = by_digest(&k, SET);
    let w = put_ok(&t, &wp(), &direct, &[bin("z", 1)]);
    assert_eq!(w.generation, 3);
    let got = must_get(&t, &direct);
    assert_eq!(got.key, Some(Value::Int(7)), "stored key survives");
    // The set survived too: a read naming another set is refused (RP-03).
    assert_eq!(rc(&get(&t, &by_digest(&k, "other"))), RC::ParameterError);
    assert_eq!(bins_of(&got), pairs(&[("z", Value::Int(1))]));
}

/// W-UPD-EXP: the expired record's bins and stored key are discarded.
#[test]
fn w_upd_exp_discards_old_key_and_bins() {
    let t = common::open();
    let k = key(8);
    let mut p = ttl(aerolite::Expiration::Seconds(5));
    p.send_key = true;
    put_ok(&t, &p, &k, &[bin("old", 1)]);
    t.clock.advance_s(6);
    let direct = by_digest(&k, SET);
    let w = put_ok(&t, &wp(), &direct, &[bin("new", 2)]);
    assert_eq!(w.generation, 1);
    let got = must_get(&t, &direct);
    assert_eq!(got.key, None, "old stored key discarded (SK-EXP)");
    assert_eq!(bins_of(&got), pairs(&[("new", Value::Int(2))]));
}

/// W-REP-FORBIDDEN: Replace / ReplaceOnly with a touch, bin delete, add, append, prepend or
/// delete-all op → 4 in every state, before lookup; nothing changes.
#[test]
fn w_rep_forbidden_ops_any_state() {
    let forbidden = [
        op::touch(),
        op::delete_bin("a"),
        op::add(&bin("a", 1)),
        op::append(&bin("s", "x")),
        op::prepend(&bin("s", "x")),
        op::delete(),
    ];
    for action in [A::Replace, A::ReplaceOnly] {
        for state in [St::Missing, St::Live(2), St::Tomb(2), St::Expired(2)] {
            for f in &forbidden {
                let t = common::open();
                let k = key(1);
                make(&t, &k, state);
                let before = observe(&t, &k);
                let res =
                    t.db.operate(&act(action), &k, &[op::put(&bin("w", 1)), f.clone()]);
                assert_eq!(
                    rc(&res),
                    RC::ParameterError,
                    "{action:?} {state:?} {f:?}: {res:?}"
                );
                assert_eq!(observe(&t, &k), before);
            }
        }
    }
}

/// W-REP-READS: with Replace, reads among the writes see the working copy, which started empty.
#[test]
fn w_rep_reads_see_empty_working_copy() {
    for action in [A::Replace, A::ReplaceOnly] {
        let t = common::open();
        let k = key(1);
        live(&t, &k, 2);
        let res =
            t.db.operate(
                &act(action),
                &k,
                &[op::get_bin("a"), op::put(&bin("c", 3)), op::get_bin("c")],
            )
            .expect("replace with reads");
        assert_eq!(bins_of(&res), pairs(&[("c", Value::Int(3))]), "{action:?}");
        assert_eq!(res.generation, 3);
        assert_eq!(bins_of(&must_get(&t, &k)), pairs(&[("c", Value::Int(3))]));
    }
}
