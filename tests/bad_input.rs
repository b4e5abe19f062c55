//! Bad input, table-driven (issue point 9; RC-4, RC-12, RC-13, RC-20, RC-21, WP-01, WP-05 …
//! WP-07A, WP-15, WP-20, RP-05A, RP-08, B-NAME-LEN, B-NAME-NUL, K-TYPE-OTHER, K-SET-NAME,
//! TTL-INVALID, W-REP-FORBIDDEN, OPR-ALL-READALL, WP-NOCHANGE): every malformed request returns
//! its exact result code, never panics, and leaves the record exactly as it was (full get,
//! header, record and tombstone counts compared before and after) — against a live record with a
//! stored key and a void-time, and against a missing record (which must stay missing).

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{
    operations as op, Bins, Expiration as E, Key, Operation, ReadPolicy, RecordExistsAction as A,
    ResultCode as RC, Value, WritePolicy,
};
use common::TestDb;
use sem::*;

type Request = Box<dyn Fn(&TestDb, &Key) -> RC>;
type KeyCase = (&'static str, fn(&Key) -> Key, RC);

fn w(p: WritePolicy, ops: Vec<Operation>) -> Request {
    Box::new(move |t, k| rc(&t.db.operate(&p, k, &ops)))
}

fn put(p: WritePolicy, bins: Vec<aerolite::Bin>) -> Request {
    Box::new(move |t, k| rc(&t.db.put(&p, k, &bins)))
}

/// Every request with a key transformed by `f` (bad namespace, set or key type).
fn with_key(f: fn(&Key) -> Key) -> Vec<(&'static str, Request)> {
    vec![
        (
            "put",
            Box::new(move |t: &TestDb, k: &Key| rc(&t.db.put(&wp(), &f(k), &[bin("a", 9)]))),
        ),
        (
            "get",
            Box::new(move |t: &TestDb, k: &Key| rc(&get(t, &f(k)))),
        ),
        (
            "header",
            Box::new(move |t: &TestDb, k: &Key| rc(&t.db.get_header(&rp(), &f(k)))),
        ),
        (
            "exists",
            Box::new(move |t: &TestDb, k: &Key| rc(&t.db.exists(&rp(), &f(k)))),
        ),
        (
            "touch",
            Box::new(move |t: &TestDb, k: &Key| rc(&t.db.touch(&wp(), &f(k)))),
        ),
        (
            "delete",
            Box::new(move |t: &TestDb, k: &Key| rc(&t.db.delete(&durable(), &f(k)))),
        ),
        (
            "operate",
            Box::new(move |t: &TestDb, k: &Key| rc(&t.db.operate(&wp(), &f(k), &[op::touch()]))),
        ),
    ]
}

fn cases() -> Vec<(String, Request, RC)> {
    let long = "x".repeat(16);
    let mut v: Vec<(String, Request, RC)> = Vec::new();
    let key_cases: [KeyCase; 7] = [
        (
            "unknown namespace",
            |k| Key {
                namespace: "nope".into(),
                ..k.clone()
            },
            RC::InvalidNamespace,
        ),
        (
            "empty namespace",
            |k| Key {
                namespace: String::new(),
                ..k.clone()
            },
            RC::InvalidNamespace,
        ),
        (
            "set of 64 bytes",
            |k| Key {
                set_name: "s".repeat(64),
                ..k.clone()
            },
            RC::ParameterError,
        ),
        (
            "set with NUL",
            |k| Key {
                set_name: "se\0t".into(),
                ..k.clone()
            },
            RC::ParameterError,
        ),
        (
            "bool user key",
            |k| Key {
                user_key: Some(Value::Bool(true)),
                ..k.clone()
            },
            RC::ParameterError,
        ),
        (
            "nil user key",
            |k| Key {
                user_key: Some(Value::Nil),
                ..k.clone()
            },
            RC::ParameterError,
        ),
        (
            "list user key",
            |k| Key {
                user_key: Some(Value::list(vec![])),
                ..k.clone()
            },
            RC::ParameterError,
        ),
    ];
    for (name, f, code) in key_cases {
        for (req, r) in with_key(f) {
            v.push((format!("{name} / {req}"), r, code));
        }
    }
    for (name, n) in [
        ("16-byte bin name", long.clone()),
        ("NUL in bin name", "a\0".into()),
        ("255-byte bin name", "y".repeat(255)),
    ] {
        v.push((
            format!("put {name}"),
            put(wp(), vec![bin(&n, 1)]),
            RC::BinNameTooLong,
        ));
        v.push((
            format!("add {name}"),
            w(wp(), vec![op::add(&bin(&n, 1))]),
            RC::BinNameTooLong,
        ));
        v.push((
            format!("read {name}"),
            w(wp(), vec![op::get_bin(&n)]),
            RC::BinNameTooLong,
        ));
        let names = vec![n.clone()];
        v.push((
            format!("get {name}"),
            Box::new(move |t: &TestDb, k: &Key| rc(&t.db.get(&rp(), k, Bins::Some(names.clone())))),
            RC::BinNameTooLong,
        ));
    }
    for e in [
        E::Raw(-3),
        E::Raw(i32::MIN),
        E::Seconds(315_360_001),
        E::Seconds(u32::MAX),
    ] {
        v.push((
            format!("ttl {e:?} put"),
            put(ttl(e), vec![bin("a", 2)]),
            RC::ParameterError,
        ));
        v.push((
            format!("ttl {e:?} touch"),
            w(ttl(e), vec![op::touch()]),
            RC::ParameterError,
        ));
    }
    let rep = act(A::Replace);
    let rep_only = act(A::ReplaceOnly);
    let mut all = wp();
    all.respond_all_ops = true;
    let combos: Vec<(&str, WritePolicy, Vec<Operation>, RC)> = vec![
        ("no ops", wp(), vec![], RC::ParameterError),
        (
            "replace + add",
            rep.clone(),
            vec![op::put(&bin("a", 1)), op::add(&bin("a", 1))],
            RC::ParameterError,
        ),
        (
            "replace + append",
            rep.clone(),
            vec![op::append(&bin("s", "x"))],
            RC::ParameterError,
        ),
        (
            "replace + prepend",
            rep.clone(),
            vec![op::prepend(&bin("s", "x"))],
            RC::ParameterError,
        ),
        (
            "replace + bin delete",
            rep.clone(),
            vec![op::delete_bin("a")],
            RC::ParameterError,
        ),
        (
            "replace + delete-all",
            rep.clone(),
            vec![op::delete(), op::put(&bin("a", 1))],
            RC::ParameterError,
        ),
        (
            "replace-only + touch",
            rep_only.clone(),
            vec![op::touch()],
            RC::ParameterError,
        ),
        (
            "replace + nil in put",
            rep,
            vec![op::put(&bin("a", 1)), op::put(&bin("b", Value::Nil))],
            RC::ParameterError,
        ),
        (
            "two read-alls",
            wp(),
            vec![op::get(), op::get(), op::touch()],
            RC::ParameterError,
        ),
        (
            "read-all + respond_all_ops",
            all,
            vec![op::get(), op::touch()],
            RC::ParameterError,
        ),
        (
            "read-all + bin read + write",
            wp(),
            vec![op::get(), op::get_bin("a"), op::touch()],
            RC::ParameterError,
        ),
        (
            "read-all + read-header + write",
            wp(),
            vec![op::get_header(), op::get(), op::touch()],
            RC::ParameterError,
        ),
        (
            "add nil",
            wp(),
            vec![op::add(&bin("a", Value::Nil))],
            RC::ParameterError,
        ),
        (
            "append nil",
            wp(),
            vec![op::append(&bin("s", Value::Nil))],
            RC::ParameterError,
        ),
        (
            "prepend nil",
            wp(),
            vec![op::prepend(&bin("s", Value::Nil))],
            RC::ParameterError,
        ),
        (
            "add string to int",
            wp(),
            vec![op::add(&bin("a", "1"))],
            RC::BinTypeError,
        ),
        (
            "add double to int",
            wp(),
            vec![op::add(&bin("a", 1.0))],
            RC::BinTypeError,
        ),
        (
            "append int to string",
            wp(),
            vec![op::append(&bin("s", 1))],
            RC::BinTypeError,
        ),
        (
            "append to int",
            wp(),
            vec![op::append(&bin("a", "x"))],
            RC::BinTypeError,
        ),
        (
            "write then bad add",
            wp(),
            vec![op::put(&bin("new", 1)), op::add(&bin("s", 1))],
            RC::BinTypeError,
        ),
        (
            "too many ops",
            wp(),
            (0..32_769).map(|_| op::touch()).collect(),
            RC::ParameterError,
        ),
        (
            "oversize blob",
            wp(),
            vec![op::put(&bin("big", vec![0u8; 5000]))],
            RC::RecordTooBig,
        ),
        (
            "oversize append",
            wp(),
            vec![op::append(&bin("s", "z".repeat(5000)))],
            RC::RecordTooBig,
        ),
    ];
    for (name, p, ops, code) in combos {
        v.push((name.to_string(), w(p, ops), code));
    }
    v.push((
        "empty bin list".into(),
        Box::new(|t: &TestDb, k: &Key| rc(&t.db.get(&rp(), k, Bins::Some(vec![])))),
        RC::ParameterError,
    ));
    v.push((
        "read-touch percent 101".into(),
        Box::new(|t: &TestDb, k: &Key| {
            let p = ReadPolicy {
                read_touch_ttl_percent: 101,
                ..ReadPolicy::default()
            };
            rc(&t.db.get(&p, k, Bins::All))
        }),
        RC::ParameterError,
    ));
    v.push((
        "huge expected generation".into(),
        put(eq(u32::MAX), vec![bin("a", 2)]),
        RC::GenerationError,
    ));
    v
}

/// On a live record (stored key, void-time, bins a, s): each bad request → its code, no change.
#[test]
fn bad_input_live_record_unchanged() {
    let t = common::open_with(|ns| ns.max_record_size(4096));
    let k = key(1);
    let mut p = ttl(E::Seconds(1000));
    p.send_key = true;
    put_ok(&t, &p, &k, &[bin("a", 1), bin("s", "str")]);
    let before = observe(&t, &k);
    for (name, req, code) in cases() {
        t.clock.advance_ms(1);
        let got = req(&t, &k);
        assert_eq!(got, code, "{name}");
        assert_eq!(observe(&t, &k), before, "{name}: record changed");
    }
    assert_eq!(t.db.stats().records, 1);
}

/// On a missing record: each bad request fails with its code (or 2 where the record is needed
/// first) and creates nothing.
#[test]
fn bad_input_missing_record_stays_missing() {
    let t = common::open_with(|ns| ns.max_record_size(4096));
    let k = key(1);
    for (name, req, code) in cases() {
        let got = req(&t, &k);
        // Reads and must-exist writes meet "missing" before their later checks.
        let after_lookup = matches!(
            code,
            RC::BinTypeError | RC::RecordTooBig | RC::GenerationError
        ) || name.starts_with("get ")
            || name.starts_with("read ")
            || name.contains("touch")
            || name.contains("percent")
            || name.contains("empty bin list")
            || name.starts_with("add nil")
            || name.starts_with("append nil")
            || name.starts_with("prepend nil");
        if got != code {
            assert!(after_lookup, "{name}: got {got:?}, want {code:?}");
            assert!(
                matches!(got, RC::KeyNotFoundError | RC::Ok),
                "{name}: got {got:?}"
            );
        }
        if got == RC::Ok {
            // Only type-mismatch cases can succeed on a missing record (Q-ADD-ANYTYPE);
            // remove what they created so the next case starts from missing again.
            assert_eq!(code, RC::BinTypeError, "{name} succeeded");
            assert!(t.db.delete(&wp(), &k).expect("cleanup"));
        }
        assert_eq!(
            rc(&get(&t, &k)),
            RC::KeyNotFoundError,
            "{name}: record created"
        );
        assert_eq!(t.db.stats().records + t.db.stats().tombstones, 0, "{name}");
    }
}
