//! Touch (record-model.md §11, TCH-* rows; O-TOUCH): must exist, new generation and void-time,
//! bins unchanged; Replace forbidden; CreateOnly after must-exist; TTL −2 keeps the void-time;
//! positive TTL with sweeping disabled is forbidden.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{operations as op, Expiration, RecordExistsAction as A, ResultCode as RC, Value};
use sem::*;

/// TCH-MISSING, TCH-TOMB, TCH-EXP: touch needs a live record → 2, nothing changes.
#[test]
fn tch_not_live_is_not_found() {
    for (id, s) in [
        ("TCH-MISSING", St::Missing),
        ("TCH-TOMB", St::Tomb(2)),
        ("TCH-EXP", St::Expired(2)),
    ] {
        let t = common::open();
        let k = key(1);
        make(&t, &k, s);
        let before = observe(&t, &k);
        assert_eq!(rc(&t.db.touch(&wp(), &k)), RC::KeyNotFoundError, "{id}");
        assert_eq!(observe(&t, &k), before, "{id}");
        // the same through operate (O-TOUCH makes the whole operate must-exist)
        let r =
            t.db.operate(&wp(), &k, &[op::put(&bin("x", 1)), op::touch()]);
        assert_eq!(rc(&r), RC::KeyNotFoundError, "{id} operate");
        assert_eq!(observe(&t, &k), before, "{id} operate");
    }
}

/// TCH-LIVE, MD-LUT-MONO, TTL-EVERY-WRITE: generation +1, void-time from the policy's TTL, LUT
/// advanced, bins unchanged.
#[test]
fn tch_live_renews() {
    let t = common::open();
    let k = key(1);
    let w = put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    t.clock.advance_s(50);
    let now_s = now_s(&t);
    let r =
        t.db.touch(&ttl(Expiration::Seconds(300)), &k)
            .expect("touch");
    assert_eq!(r.generation, 2);
    assert_eq!(r.expiration, now_s + 300);
    assert!(r.last_update_time > w.last_update_time);
    let got = must_get(&t, &k);
    assert_eq!(got.generation, 2);
    assert_eq!(got.expiration, now_s + 300);
    assert_eq!(got.last_update_time, r.last_update_time);
    assert_eq!(bins_of(&got), pairs(&[("a", Value::Int(1))]));
    // TTL 0 on a touch resets to the namespace default (never): Q-TTL-RESET.
    assert_eq!(t.db.touch(&wp(), &k).expect("touch").expiration, 0);
}

/// TCH-REPLACE: touch with Replace / ReplaceOnly → 4 in any state.
#[test]
fn tch_replace_forbidden() {
    for s in [St::Missing, St::Live(1), St::Tomb(1), St::Expired(1)] {
        for a in [A::Replace, A::ReplaceOnly] {
            let t = common::open();
            let k = key(1);
            make(&t, &k, s);
            let before = observe(&t, &k);
            assert_eq!(
                rc(&t.db.touch(&act(a), &k)),
                RC::ParameterError,
                "{s:?} {a:?}"
            );
            assert_eq!(observe(&t, &k), before);
        }
    }
}

/// TCH-CREATE-LIVE, TCH-CREATE-MISSING: CreateOnly + touch: live → 5, missing → 2 (must-exist is
/// checked before CreateOnly).
#[test]
fn tch_create_only() {
    let t = common::open();
    let k = key(1);
    assert_eq!(
        rc(&t.db.touch(&act(A::CreateOnly), &k)),
        RC::KeyNotFoundError
    );
    live(&t, &k, 1);
    assert_eq!(rc(&t.db.touch(&act(A::CreateOnly), &k)), RC::KeyExistsError);
    assert_eq!(must_get(&t, &k).generation, 1);
}

/// TCH-KEEP-TTL: TTL −2 keeps the void-time; generation and LUT still advance.
#[test]
fn tch_keep_ttl() {
    let t = common::open();
    let k = key(1);
    let w = put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    t.clock.advance_s(10);
    let r =
        t.db.touch(&ttl(Expiration::DontUpdate), &k)
            .expect("touch -2");
    assert_eq!(r.expiration, w.expiration);
    assert_eq!(r.generation, 2);
    assert_eq!(r.last_update_time, w.last_update_time + 10_000);
}

/// TCH-FORBIDDEN, TTL-FORBIDDEN: a positive effective TTL with sweeping disabled → 22.
#[test]
fn tch_forbidden_without_sweeper() {
    let t = common::open_with(|ns| ns.expiry_sweep_interval(0));
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    let before = observe(&t, &k);
    let r = t.db.touch(&ttl(Expiration::Seconds(60)), &k);
    assert_eq!(rc(&r), RC::FailForbidden);
    assert_eq!(observe(&t, &k), before);
    // −1 and −2 are never forbidden.
    assert_eq!(
        t.db.touch(&ttl(Expiration::Never), &k)
            .expect("-1")
            .generation,
        2
    );
    assert_eq!(
        t.db.touch(&ttl(Expiration::DontUpdate), &k)
            .expect("-2")
            .generation,
        3
    );
}
