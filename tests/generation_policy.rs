//! GenerationPolicy × record state (record-model.md §9, G-* rows, WP-11): table-driven over
//! policy, expected generation `N`, exists action and state; asserts the code and the resulting
//! generation, and that a failed request changes nothing (GC-FAIL, WP-NOCHANGE).
//!
//! Base states: live G = 5; tombstone from G = 5 (T = 6); expired G_old = 5.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{
    operations as op, GenerationPolicy as GP, RecordExistsAction as A, ResultCode as RC,
    WritePolicy,
};
use sem::*;

#[derive(Clone, Copy, Debug)]
enum Req {
    Put,
    Touch,
    /// operate with only a bin delete (the request would leave zero bins on a missing record).
    DeleteBinOnly,
}

struct Row {
    id: &'static str,
    policy: GP,
    n: u32,
    action: A,
    req: Req,
    state: St,
    code: RC,
    generation: u32,
}

#[allow(clippy::too_many_arguments)]
fn row(
    id: &'static str,
    policy: GP,
    n: u32,
    action: A,
    req: Req,
    state: St,
    code: RC,
    generation: u32,
) -> Row {
    Row {
        id,
        policy,
        n,
        action,
        req,
        state,
        code,
        generation,
    }
}

fn run(r: &Row) {
    let t = common::open();
    let k = key(1);
    make(&t, &k, r.state);
    let before = observe(&t, &k);
    let p = WritePolicy {
        record_exists_action: r.action,
        generation_policy: r.policy,
        generation: r.n,
        ..WritePolicy::default()
    };
    let res = match r.req {
        Req::Put => t.db.put(&p, &k, &[bin("x", 1)]),
        Req::Touch => t.db.touch(&p, &k),
        Req::DeleteBinOnly => t.db.operate(&p, &k, &[op::delete_bin("x")]),
    };
    assert_eq!(rc(&res), r.code, "{}: {res:?}", r.id);
    if r.code == RC::Ok {
        let w = res.expect("checked");
        assert_eq!(w.generation, r.generation, "{}: reported", r.id);
        assert_eq!(
            must_get(&t, &k).generation,
            r.generation,
            "{}: stored",
            r.id
        );
    } else {
        assert_eq!(observe(&t, &k), before, "{}: unchanged", r.id);
    }
}

/// G-EQ-MISSING-0, G-EQ-MISSING-N, G-EQ-LIVE-EQ, G-EQ-LIVE-NE, G-EQ-TOMB-0, G-EQ-TOMB-N,
/// G-EQ-EXP-0, G-EQ-EXP-N, G-GT-MISSING-0, G-GT-LIVE-0, G-GT-TOMB-0, G-GT-EXP-0, G-GT-MISSING-N,
/// G-GT-LIVE-GT, G-GT-LIVE-LE, G-GT-TOMB-N, G-GT-EXP-N, Q-GEN-MISSING, Q-GT-CREATE, GC-TOMB-CMP.
#[test]
fn generation_policy_with_update() {
    use St::*;
    let (m, l, t, e) = (Missing, Live(5), Tomb(5), Expired(5));
    let (ok, gen_err) = (RC::Ok, RC::GenerationError);
    let (eq, gt, u, p) = (GP::ExpectGenEqual, GP::ExpectGenGt, A::Update, Req::Put);
    let rows = [
        row("G-EQ-MISSING-0", eq, 0, u, p, m, ok, 1),
        row("G-EQ-MISSING-N", eq, 5, u, p, m, gen_err, 0),
        row("G-EQ-MISSING-N", eq, 1, u, p, m, gen_err, 0),
        row("G-EQ-LIVE-EQ", eq, 5, u, p, l, ok, 6),
        row("G-EQ-LIVE-NE", eq, 4, u, p, l, gen_err, 0),
        row("G-EQ-LIVE-NE", eq, 6, u, p, l, gen_err, 0),
        row("G-EQ-LIVE-NE", eq, 0, u, p, l, gen_err, 0),
        row("G-EQ-TOMB-0", eq, 0, u, p, t, ok, 7),
        row("G-EQ-TOMB-N", eq, 6, u, p, t, gen_err, 0),
        row("G-EQ-TOMB-N", eq, 5, u, p, t, gen_err, 0),
        row("G-EQ-EXP-0", eq, 0, u, p, e, ok, 1),
        row("G-EQ-EXP-N", eq, 5, u, p, e, gen_err, 0),
        row("G-GT-MISSING-0", gt, 0, u, p, m, gen_err, 0),
        row("G-GT-LIVE-0", gt, 0, u, p, l, gen_err, 0),
        row("G-GT-TOMB-0", gt, 0, u, p, t, gen_err, 0),
        row("G-GT-EXP-0", gt, 0, u, p, e, gen_err, 0),
        row("G-GT-MISSING-N", gt, 9, u, p, m, ok, 1),
        row("G-GT-LIVE-GT", gt, 6, u, p, l, ok, 6),
        row("G-GT-LIVE-GT", gt, 100, u, p, l, ok, 6),
        row("G-GT-LIVE-LE", gt, 5, u, p, l, gen_err, 0),
        row("G-GT-LIVE-LE", gt, 4, u, p, l, gen_err, 0),
        row("G-GT-TOMB-N", gt, 1, u, p, t, ok, 7),
        row("G-GT-EXP-N", gt, 1, u, p, e, ok, 1),
    ];
    for r in &rows {
        run(r);
    }
}

/// G-MUSTEXIST-MISSING, G-MUSTEXIST-TOMB, G-MUSTEXIST-EXP, G-MUSTEXIST-LIVE, TCH-GEN: existence
/// (WP-08) is checked before the generation (WP-11), for UpdateOnly, ReplaceOnly and touch.
#[test]
fn must_exist_checked_before_generation() {
    use St::*;
    let reqs = [
        (A::UpdateOnly, Req::Put),
        (A::ReplaceOnly, Req::Put),
        (A::Update, Req::Touch),
    ];
    for (action, req) in reqs {
        for policy in [GP::ExpectGenEqual, GP::ExpectGenGt] {
            for n in [0, 5, 6, 7] {
                for (id, state) in [
                    ("G-MUSTEXIST-MISSING", Missing),
                    ("G-MUSTEXIST-TOMB", Tomb(5)),
                    ("G-MUSTEXIST-EXP", Expired(5)),
                ] {
                    run(&row(
                        id,
                        policy,
                        n,
                        action,
                        req,
                        state,
                        RC::KeyNotFoundError,
                        0,
                    ));
                }
            }
        }
        let l = Live(5);
        let id = "G-MUSTEXIST-LIVE";
        run(&row(id, GP::ExpectGenEqual, 5, action, req, l, RC::Ok, 6));
        run(&row(
            id,
            GP::ExpectGenEqual,
            4,
            action,
            req,
            l,
            RC::GenerationError,
            0,
        ));
        run(&row(id, GP::ExpectGenGt, 9, action, req, l, RC::Ok, 6));
        run(&row(
            id,
            GP::ExpectGenGt,
            5,
            action,
            req,
            l,
            RC::GenerationError,
            0,
        ));
    }
}

/// G-CREATE-MISSING-0, G-CREATE-MISSING-N, G-CREATE-LIVE, G-CREATE-TOMB-0, G-CREATE-TOMB-N,
/// G-CREATE-EXP-0, G-CREATE-EXP-N: CreateOnly (WP-10) is checked before the generation.
#[test]
fn create_only_with_expect_gen_equal() {
    use St::*;
    let (c, p, eq) = (A::CreateOnly, Req::Put, GP::ExpectGenEqual);
    let rows = [
        row("G-CREATE-MISSING-0", eq, 0, c, p, Missing, RC::Ok, 1),
        row(
            "G-CREATE-MISSING-N",
            eq,
            3,
            c,
            p,
            Missing,
            RC::GenerationError,
            0,
        ),
        row("G-CREATE-LIVE", eq, 5, c, p, Live(5), RC::KeyExistsError, 0),
        row("G-CREATE-LIVE", eq, 0, c, p, Live(5), RC::KeyExistsError, 0),
        row("G-CREATE-TOMB-0", eq, 0, c, p, Tomb(5), RC::Ok, 7),
        row(
            "G-CREATE-TOMB-N",
            eq,
            6,
            c,
            p,
            Tomb(5),
            RC::GenerationError,
            0,
        ),
        row("G-CREATE-EXP-0", eq, 0, c, p, Expired(5), RC::Ok, 1),
        row(
            "G-CREATE-EXP-N",
            eq,
            5,
            c,
            p,
            Expired(5),
            RC::GenerationError,
            0,
        ),
    ];
    for r in &rows {
        run(r);
    }
}

/// G-ZERO-BINS-MISSING: EQ N > 0 on a missing record whose request would leave zero bins gives
/// 3 (generation before the zero-bin rule); with N = 0 the zero-bin rule gives 2 (Z-MISSING).
#[test]
fn g_zero_bins_missing_generation_first() {
    let (eq, u, d) = (GP::ExpectGenEqual, A::Update, Req::DeleteBinOnly);
    run(&row(
        "G-ZERO-BINS-MISSING",
        eq,
        4,
        u,
        d,
        St::Missing,
        RC::GenerationError,
        0,
    ));
    run(&row(
        "Z-MISSING",
        eq,
        0,
        u,
        d,
        St::Missing,
        RC::KeyNotFoundError,
        0,
    ));
}

/// G-WIDTH, Q-GEN-NOWRAP, MD-GEN-API: N is a u32 compared against the 16-bit stored value with no
/// wrap handling and no truncation.
#[test]
fn g_width_no_wrap_handling() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 5);
    // N ≥ 65536 always passes GT on a live record.
    assert_eq!(put_ok(&t, &gt(65_536), &k, &[bin("x", 1)]).generation, 6);
    assert_eq!(put_ok(&t, &gt(u32::MAX), &k, &[bin("x", 1)]).generation, 7);
    // EQ compares all 32 bits: 65536 + 7 is not 7.
    let r = t.db.put(&eq(65_536 + 7), &k, &[bin("x", 1)]);
    assert_eq!(rc(&r), RC::GenerationError);
    // After a wrap (65535 → 1) a stale large N passes GT.
    let k2 = key(2);
    live(&t, &k2, 65_535);
    assert_eq!(put_ok(&t, &wp(), &k2, &[bin("x", 1)]).generation, 1);
    assert_eq!(put_ok(&t, &gt(65_535), &k2, &[bin("x", 2)]).generation, 2);
    assert_eq!(
        rc(&t.db.put(&eq(65_535), &k2, &[bin("x", 3)])),
        RC::GenerationError
    );
}

/// G-READ-IGNORED: reads and read-only operates ignore the generation policy.
#[test]
fn g_read_ignored() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 5);
    for p in [eq(99), gt(99), eq(0)] {
        let r =
            t.db.operate(&p, &k, &[op::get_bin("a")])
                .expect("read-only operate ignores generation");
        assert_eq!(r.generation, 5);
        let r =
            t.db.operate(&p, &k, &[op::get_header()])
                .expect("read-header operate ignores generation");
        assert_eq!(r.generation, 5);
    }
}
