//! Model test of the request-identity checks: random writes, touches, reads and deletes that
//! address a record by its user key, by a forged user key (same digest, other key), by digest
//! alone, with another set or with no set, with or without `send_key` and a filter, run against
//! the engine and a reference model of WP-08 … WP-15, RP-02 … RP-07, DP-04 … DP-09, §18 (SK-*)
//! and K-DIG-DIRECT. Every result code is compared, and after every step each record's bins,
//! generation and stored key (read by digest with no set, which nothing checks).
//!
//! Cases: `PROPTEST_CASES` (default 64 here).

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::expressions as exp;
use aerolite::{
    operations as op, Bins, Expiration, GenerationPolicy as GP, Key, Operation, ReadPolicy,
    RecordExistsAction as A, ResultCode as RC, Value, WritePolicy,
};
use proptest::prelude::*;
use sem::*;

const KEYS: i64 = 2;

/// How a request names the record.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Who {
    /// The user key, set "set".
    Real,
    /// Same digest, user key `1000 + k`, set "set".
    Forged,
    /// Digest only, set "set".
    Digest,
    /// Digest only, set "other".
    OtherSet,
    /// Digest only, no set.
    NoSet,
}

impl Who {
    fn set(self) -> &'static str {
        match self {
            Who::OtherSet => "other",
            Who::NoSet => "",
            _ => SET,
        }
    }
    fn user_key(self, k: i64) -> Option<i64> {
        match self {
            Who::Real => Some(k),
            Who::Forged => Some(1000 + k),
            _ => None,
        }
    }
    fn key(self, k: i64) -> Key {
        let real = key(k);
        match self {
            Who::Real => real,
            Who::Forged => {
                let mut f = Key::new(NS, SET, 1000 + k).expect("key");
                f.digest = real.digest;
                f
            }
            _ => Key::from_digest(NS, self.set(), real.digest.0),
        }
    }
}

#[derive(Debug, Clone)]
struct Req {
    k: i64,
    who: Who,
    kind: Kind,
    send_key: bool,
    filter: Option<i64>,
    action: A,
    eq0: bool,
    durable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    Put(i64),
    EmptyIt,
    Touch,
    Get,
    Delete,
    Expire,
}

#[derive(Debug, Clone, PartialEq)]
struct Rec {
    tomb: bool,
    gen: u16,
    a: i64,
    set: &'static str,
    key: Option<i64>,
    void: u32,
}

fn inc(g: u16) -> u16 {
    if g == u16::MAX {
        1
    } else {
        g + 1
    }
}

struct Model {
    recs: Vec<Option<Rec>>,
}

impl Model {
    fn step(&mut self, r: &Req, now_s: u32) -> RC {
        let slot = r.k as usize;
        let cur = self.recs[slot].clone();
        let expired = |c: &Rec| !c.tomb && c.void != 0 && c.void < now_s;
        let live = cur.as_ref().is_some_and(|c| !c.tomb && !expired(c));
        let req_key = r.who.user_key(r.k);
        let key_ok = |c: &Rec| !matches!((c.key, req_key), (Some(s), Some(q)) if s != q);
        let filter_ok = |c: &Rec| r.filter.is_none_or(|v| c.a == v);
        match r.kind {
            Kind::Get => {
                let Some(c) = cur else {
                    return RC::KeyNotFoundError;
                };
                if !r.who.set().is_empty() && r.who.set() != c.set {
                    return RC::ParameterError;
                }
                if c.tomb || expired(&c) {
                    return RC::KeyNotFoundError;
                }
                if !filter_ok(&c) {
                    return RC::FilteredOut;
                }
                if !key_ok(&c) {
                    return RC::KeyMismatch;
                }
                RC::Ok
            }
            Kind::Delete => {
                let Some(c) = cur else {
                    return RC::KeyNotFoundError;
                };
                if !r.who.set().is_empty() && r.who.set() != c.set {
                    return RC::ParameterError;
                }
                if c.tomb {
                    return RC::KeyNotFoundError;
                }
                if r.eq0 {
                    return RC::GenerationError; // EQ(0) never matches a live or expired G ≥ 1
                }
                if !filter_ok(&c) {
                    return RC::FilteredOut;
                }
                if !key_ok(&c) {
                    return RC::KeyMismatch;
                }
                self.recs[slot] = r.durable.then(|| Rec {
                    tomb: true,
                    gen: inc(c.gen),
                    void: 0,
                    ..c
                });
                RC::Ok
            }
            Kind::Expire => RC::Ok,
            Kind::Put(_) | Kind::EmptyIt | Kind::Touch => {
                let must_exist = matches!(r.action, A::UpdateOnly) || r.kind == Kind::Touch;
                if must_exist && !live {
                    return RC::KeyNotFoundError;
                }
                let mut cur = cur;
                if cur.as_ref().is_some_and(expired) {
                    cur = None;
                    self.recs[slot] = None;
                }
                if r.action == A::CreateOnly && live {
                    return RC::KeyExistsError;
                }
                if r.eq0 && live {
                    return RC::GenerationError;
                }
                if let Some(c) = &cur {
                    if r.who.set() != c.set {
                        return RC::ParameterError;
                    }
                    if live && !filter_ok(c) {
                        return RC::FilteredOut;
                    }
                    if !key_ok(c) {
                        return RC::KeyMismatch;
                    }
                }
                let base = cur.as_ref().map_or(0, |c| c.gen);
                let set = cur.as_ref().map_or(r.who.set(), |c| c.set);
                let old_key = cur.as_ref().and_then(|c| c.key);
                let a = match r.kind {
                    Kind::Put(v) => Some(v),
                    Kind::Touch => cur.as_ref().filter(|_| live).map(|c| c.a),
                    _ => None,
                };
                let Some(a) = a else {
                    // zero bins
                    if !live {
                        return RC::KeyNotFoundError;
                    }
                    let c = cur.expect("live");
                    self.recs[slot] = r.durable.then(|| Rec {
                        tomb: true,
                        gen: inc(c.gen),
                        void: 0,
                        ..c
                    });
                    return RC::Ok;
                };
                let key = old_key.or(if r.send_key { req_key } else { None });
                let void = if r.kind == Kind::Touch {
                    0
                } else {
                    now_s + 100
                };
                self.recs[slot] = Some(Rec {
                    tomb: false,
                    gen: inc(base),
                    a,
                    set,
                    key,
                    void,
                });
                RC::Ok
            }
        }
    }
}

fn wpol(r: &Req) -> WritePolicy {
    WritePolicy {
        record_exists_action: r.action,
        generation_policy: if r.eq0 { GP::ExpectGenEqual } else { GP::None },
        generation: 0,
        durable_delete: r.durable,
        send_key: r.send_key,
        filter_expression: r
            .filter
            .map(|v| exp::eq(exp::int_bin("a"), exp::int_val(v))),
        expiration: Expiration::Seconds(100),
        ..WritePolicy::default()
    }
}

fn run_engine(t: &common::TestDb, r: &Req) -> RC {
    let k = r.who.key(r.k);
    let p = wpol(r);
    match r.kind {
        Kind::Put(v) => rc(&t.db.put(&p, &k, &[bin("a", v)])),
        Kind::EmptyIt => rc(&t.db.operate(&p, &k, &[op::delete_bin("a")])),
        Kind::Touch => {
            let p = WritePolicy {
                expiration: Expiration::Never,
                ..p
            };
            rc(&t.db.operate(&p, &k, &[Operation::Touch]))
        }
        Kind::Get => {
            let rp = ReadPolicy {
                filter_expression: r
                    .filter
                    .map(|v| exp::eq(exp::int_bin("a"), exp::int_val(v))),
                ..ReadPolicy::default()
            };
            rc(&t.db.get(&rp, &k, Bins::All))
        }
        Kind::Delete => match t.db.delete(&p, &k) {
            Ok(true) => RC::Ok,
            Ok(false) => RC::KeyNotFoundError,
            Err(e) => e.code(),
        },
        Kind::Expire => {
            t.clock.advance_s(101);
            RC::Ok
        }
    }
}

fn arb_req() -> impl Strategy<Value = Req> {
    (
        0..KEYS,
        prop_oneof![
            3 => Just(Who::Real),
            1 => Just(Who::Forged),
            1 => Just(Who::Digest),
            1 => Just(Who::OtherSet),
            1 => Just(Who::NoSet),
        ],
        prop_oneof![
            4 => (0i64..3).prop_map(Kind::Put),
            1 => Just(Kind::EmptyIt),
            1 => Just(Kind::Touch),
            2 => Just(Kind::Get),
            2 => Just(Kind::Delete),
            1 => Just(Kind::Expire),
        ],
        any::<bool>(),
        prop::option::weighted(0.3, 0i64..3),
        prop_oneof![3 => Just(A::Update), 1 => Just(A::UpdateOnly), 1 => Just(A::CreateOnly)],
        prop::bool::weighted(0.2),
        any::<bool>(),
    )
        .prop_map(
            |(k, who, kind, send_key, filter, action, eq0, durable)| Req {
                k,
                who,
                kind,
                send_key,
                filter,
                action,
                eq0,
                durable,
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: std::env::var("PROPTEST_CASES").ok().and_then(|s| s.parse().ok()).unwrap_or(64),
        ..ProptestConfig::default()
    })]

    #[test]
    fn identity_checks_match_model(reqs in prop::collection::vec(arb_req(), 1..50)) {
        let t = common::open();
        let mut m = Model { recs: vec![None; KEYS as usize] };
        for (step, r) in reqs.iter().enumerate() {
            let want = m.step(r, now_s(&t));
            let got = run_engine(&t, r);
            prop_assert_eq!(got, want, "step {} {:?}", step, r);
            let now = now_s(&t);
            for k in 0..KEYS {
                let probe = Key::from_digest(NS, "", key(k).digest.0);
                let got = t.db.get(&rp(), &probe, Bins::All);
                match &m.recs[k as usize] {
                    Some(c) if !(c.tomb || c.void != 0 && c.void < now) => {
                        let g = got.map_err(|e| e.code());
                        prop_assert!(g.is_ok(), "step {} key {}: {:?}", step, k, g);
                        let g = g.expect("ok");
                        prop_assert_eq!(g.generation, u32::from(c.gen), "step {} key {}", step, k);
                        prop_assert_eq!(g.bin("a"), Some(&Value::Int(c.a)));
                        prop_assert_eq!(g.key.clone(), c.key.map(Value::Int), "stored key step {}", step);
                    }
                    _ => prop_assert_eq!(rc(&got), RC::KeyNotFoundError, "step {} key {}", step, k),
                }
            }
        }
        let integrity = t.db.check_integrity_full().map(drop).map_err(|e| e.to_string());
        prop_assert_eq!(integrity, Ok(()), "index against storage at the end");
    }
}
