//! Result codes (record-model.md §1, RC-* rows): each code's Aerospike number, a request that
//! produces it where the engine can (the others are asserted never to be produced by the rest of
//! the suite's requests here), unused numbers unmapped, and errors that carry no metadata.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::expressions as exp;
use aerolite::{
    operations as op, Error, Key, RecordExistsAction as A, ResultCode as RC, WritePolicy,
};
use sem::*;

/// RC-0 … RC-27, RC-NEG1: the explicit numbers.
#[test]
fn rc_numbers() {
    let table = [
        ("RC-NEG1", RC::ClientError, -1),
        ("RC-0", RC::Ok, 0),
        ("RC-1", RC::ServerError, 1),
        ("RC-2", RC::KeyNotFoundError, 2),
        ("RC-3", RC::GenerationError, 3),
        ("RC-4", RC::ParameterError, 4),
        ("RC-5", RC::KeyExistsError, 5),
        ("RC-6", RC::BinExistsError, 6),
        ("RC-8", RC::ServerMemError, 8),
        ("RC-8", RC::OutOfSpace, 8),
        ("RC-9", RC::Timeout, 9),
        ("RC-11", RC::PartitionUnavailable, 11),
        ("RC-12", RC::BinTypeError, 12),
        ("RC-13", RC::RecordTooBig, 13),
        ("RC-14", RC::KeyBusy, 14),
        ("RC-16", RC::UnsupportedFeature, 16),
        ("RC-17", RC::BinNotFound, 17),
        ("RC-18", RC::DeviceOverload, 18),
        ("RC-19", RC::KeyMismatch, 19),
        ("RC-20", RC::InvalidNamespace, 20),
        ("RC-21", RC::BinNameTooLong, 21),
        ("RC-22", RC::FailForbidden, 22),
        ("RC-23", RC::ElementNotFound, 23),
        ("RC-24", RC::ElementExists, 24),
        ("RC-25", RC::EnterpriseOnly, 25),
        ("RC-26", RC::OpNotApplicable, 26),
        ("RC-27", RC::FilteredOut, 27),
        ("SIDX-CREATE-CONFLICT-1", RC::IndexAlreadyExists, 200),
        ("SIDX-DROP-MISSING", RC::IndexNotFound, 201),
        ("SIDX-BUILD-1", RC::IndexNotReadable, 203),
        ("SIDX-BAD-NAME", RC::IndexNameMaxLen, 205),
        ("SIDX-BAD-COUNT", RC::IndexMaxCount, 206),
    ];
    for (id, c, n) in table {
        assert_eq!(c.code(), n, "{id}");
        assert_eq!(RC::from_i32(n), Some(c), "{id}");
    }
}

/// RC-UNUSED: 7, 10, 15 and 28 and higher are never mapped.
#[test]
fn rc_unused() {
    for n in [7, 10, 15, 28, 29, 50, 255, -2] {
        assert_eq!(RC::from_i32(n), None, "{n}");
    }
}

/// RC-2, RC-3, RC-4, RC-5, RC-12, RC-13, RC-19, RC-20, RC-21, RC-22, RC-27 produced by requests;
/// RC-FIRST: exactly one code per failed request. RC-6, RC-17, RC-25 (reserved / never) are not
/// produced by any of these requests.
#[test]
fn rc_produced_by_requests() {
    let t = common::open_with(|ns| ns.max_record_size(1024));
    let k = key(1);
    let mut p = wp();
    p.send_key = true;
    put_ok(&t, &p, &k, &[bin("a", 1)]);
    let mut forged = Key::new(NS, SET, 2).expect("key");
    forged.digest = k.digest;
    let filt = WritePolicy {
        filter_expression: Some(exp::eq(exp::int_bin("a"), exp::int_val(0))),
        ..WritePolicy::default()
    };
    let got = [
        rc(&get(&t, &key(2))),
        rc(&t.db.put(&eq(5), &k, &[bin("a", 1)])),
        rc(&t.db.operate(&wp(), &k, &[])),
        rc(&t.db.put(&act(A::CreateOnly), &k, &[bin("a", 1)])),
        rc(&t.db.operate(&wp(), &k, &[op::append(&bin("a", "x"))])),
        rc(&t.db.put(&wp(), &k, &[bin("b", vec![0u8; 2000])])),
        rc(&t.db.put(&wp(), &forged, &[bin("a", 1)])),
        rc(&t
            .db
            .put(&wp(), &Key::new("zz", SET, 1).expect("key"), &[bin("a", 1)])),
        rc(&t.db.put(&wp(), &k, &[bin(&"n".repeat(16), 1)])),
        rc(&t.db.put(&filt, &k, &[bin("a", 1)])),
    ];
    let want = [
        RC::KeyNotFoundError,
        RC::GenerationError,
        RC::ParameterError,
        RC::KeyExistsError,
        RC::BinTypeError,
        RC::RecordTooBig,
        RC::KeyMismatch,
        RC::InvalidNamespace,
        RC::BinNameTooLong,
        RC::FilteredOut,
    ];
    assert_eq!(got, want);
    for c in got {
        assert!(![RC::BinExistsError, RC::BinNotFound, RC::EnterpriseOnly].contains(&c));
    }
    let t = common::open_with(|ns| ns.expiry_sweep_interval(0));
    let r =
        t.db.put(&ttl(aerolite::Expiration::Seconds(9)), &k, &[bin("a", 1)]);
    assert_eq!(rc(&r), RC::FailForbidden, "RC-22");
}

/// RC-NO-META, CH-NO-META: an error carries a code, the in-doubt flag and words — no record
/// metadata — and says which check failed.
#[test]
fn rc_no_meta_errors_say_which_check() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 3);
    let e: Error = t.db.put(&eq(9), &k, &[bin("a", 1)]).expect_err("3");
    let (code, in_doubt, detail): (RC, bool, &str) = (e.code(), e.in_doubt(), e.detail());
    assert_eq!((code, in_doubt), (RC::GenerationError, false));
    assert!(detail.contains("WP-11"), "{detail}");
    assert!(e.to_string().contains("GenerationError (3)"), "{e}");
}
