//! In-doubt flag and retries at the engine level (record-model.md §21: ID-* rows,
//! CL-TIMEOUT-QUEUED, CL-NEVER-LATE, CFG-MAX-RETRIES, RC-9, RC-NEG1). A test holds a record's
//! lock so that requests time out while queued behind it; `total_timeout` is the deadline of
//! each attempt and `max_retries` adds attempts after a Timeout.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{ResultCode as RC, Value, WritePolicy};
use sem::*;
use std::sync::Arc;
use std::time::{Duration, Instant};

fn timed(ms: u64, retries: u32) -> WritePolicy {
    WritePolicy {
        total_timeout: Some(Duration::from_millis(ms)),
        max_retries: retries,
        ..WritePolicy::default()
    }
}

/// CL-TIMEOUT-QUEUED, CL-NEVER-LATE, CH-NEVER-LATE, ID-FORMULA, ID-NO-ORACLE, CH-IN-DOUBT, RC-9: a write whose deadline
/// passes while it waits for the record returns 9 in doubt (sent = 1, code 9), even though the
/// engine knows it was not applied; it is never applied afterwards.
#[test]
fn timeout_while_queued_is_in_doubt_and_never_applied() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 1)]);
    let ns = aerolite::testing::namespace(&t.db, "test")
        .expect("ns")
        .clone();
    let guard = ns.locks.acquire(k.digest, 0, None).expect("hold");
    let e =
        t.db.put(&timed(50, 0), &k, &[bin("v", 2)])
            .expect_err("timeout");
    assert_eq!(e.code(), RC::Timeout);
    assert!(e.in_doubt());
    let e = t.db.touch(&timed(50, 0), &k).expect_err("timeout");
    assert!(e.in_doubt() && e.code() == RC::Timeout);
    let e = t.db.delete(&timed(50, 0), &k).expect_err("timeout");
    assert!(e.in_doubt() && e.code() == RC::Timeout);
    drop(guard);
    std::thread::sleep(Duration::from_millis(50));
    let got = must_get(&t, &k);
    assert_eq!((got.generation, got.bin("v")), (1, Some(&Value::Int(1))));
}

/// ID-READS: a read that times out is never in doubt.
#[test]
fn read_timeout_not_in_doubt() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 1)]);
    let ns = aerolite::testing::namespace(&t.db, "test")
        .expect("ns")
        .clone();
    let _guard = ns.locks.acquire(k.digest, 0, None).expect("hold");
    let p = aerolite::ReadPolicy {
        total_timeout: Some(Duration::from_millis(30)),
        ..aerolite::ReadPolicy::default()
    };
    let e = t.db.get(&p, &k, aerolite::Bins::All).expect_err("timeout");
    assert_eq!(e.code(), RC::Timeout);
    assert!(!e.in_doubt());
}

/// ID-RETRY-POLICY, ID-SENT, CFG-MAX-RETRIES: max_retries defaults to 0; with 2 retries a write
/// queued behind a held lock makes 3 attempts of one deadline each before returning 9 in doubt.
#[test]
fn retries_count_attempts_after_timeout() {
    assert_eq!(WritePolicy::default().max_retries, 0);
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 1)]);
    let ns = aerolite::testing::namespace(&t.db, "test")
        .expect("ns")
        .clone();
    let guard = ns.locks.acquire(k.digest, 0, None).expect("hold");
    let start = Instant::now();
    let e =
        t.db.put(&timed(60, 2), &k, &[bin("v", 2)])
            .expect_err("timeout");
    let took = start.elapsed();
    assert_eq!(e.code(), RC::Timeout);
    assert!(e.in_doubt());
    assert!(
        took >= Duration::from_millis(180),
        "3 attempts of 60 ms, took {took:?}"
    );
    drop(guard);
    assert_eq!(must_get(&t, &k).generation, 1);
}

/// ID-RETRY-POLICY: a retry after a timeout can succeed; the write applies exactly once.
#[test]
fn retry_succeeds_once_lock_frees() {
    let t = Arc::new(common::open());
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 1)]);
    let ns = aerolite::testing::namespace(&t.db, "test")
        .expect("ns")
        .clone();
    let guard = ns.locks.acquire(k.digest, 0, None).expect("hold");
    let h = {
        let (t, k) = (t.clone(), k.clone());
        std::thread::spawn(move || t.db.put(&timed(80, 20), &k, &[bin("v", 2)]))
    };
    std::thread::sleep(Duration::from_millis(200));
    drop(guard);
    let r = h.join().expect("thread").expect("a retry applied");
    assert_eq!(r.generation, 2);
    assert_eq!(must_get(&t, &k).generation, 2);
}

/// ID-DEFINITIVE, ID-RETRY-POLICY: a positive code other than 9 on the only attempt is not in
/// doubt and is never retried, whatever max_retries says.
#[test]
fn definitive_codes_not_retried_not_in_doubt() {
    let t = common::open_with(|ns| ns.max_record_size(1024));
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 1)]);
    let mut p = timed(1000, 5);
    p.generation_policy = aerolite::GenerationPolicy::ExpectGenEqual;
    p.generation = 99;
    let cases: Vec<(WritePolicy, aerolite::Key, Vec<aerolite::Bin>, RC)> = vec![
        (p, k.clone(), vec![bin("v", 2)], RC::GenerationError),
        (
            WritePolicy {
                record_exists_action: aerolite::RecordExistsAction::CreateOnly,
                ..timed(1000, 5)
            },
            k.clone(),
            vec![bin("v", 2)],
            RC::KeyExistsError,
        ),
        (
            WritePolicy {
                record_exists_action: aerolite::RecordExistsAction::UpdateOnly,
                ..timed(1000, 5)
            },
            key(2),
            vec![bin("v", 2)],
            RC::KeyNotFoundError,
        ),
        (
            timed(1000, 5),
            k.clone(),
            vec![bin("v", vec![0u8; 2000])],
            RC::RecordTooBig,
        ),
        (
            timed(1000, 5),
            k.clone(),
            vec![bin(&"x".repeat(16), 1)],
            RC::BinNameTooLong,
        ),
    ];
    for (p, k, bins, want) in cases {
        let e = t.db.put(&p, &k, &bins).expect_err("fails");
        assert_eq!(e.code(), want);
        assert!(!e.in_doubt(), "{want:?}");
    }
    // a delete of a missing record is a definitive "did not exist", not an error
    assert_eq!(
        t.db.delete(&timed(1000, 5), &key(3)).map_err(|e| e.code()),
        Ok(false)
    );
}

/// ID-RETRIED: after a retry every error is in doubt — here the first attempt times out and the
/// retry fails with 3.
#[test]
fn error_after_retry_is_in_doubt() {
    let t = Arc::new(common::open());
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 1)]);
    let ns = aerolite::testing::namespace(&t.db, "test")
        .expect("ns")
        .clone();
    let guard = ns.locks.acquire(k.digest, 0, None).expect("hold");
    let started = Arc::new(std::sync::Barrier::new(2));
    let h = {
        let (t, k, go) = (t.clone(), k.clone(), started.clone());
        std::thread::spawn(move || {
            let mut p = timed(100, 3);
            p.generation_policy = aerolite::GenerationPolicy::ExpectGenEqual;
            p.generation = 7;
            go.wait();
            t.db.put(&p, &k, &[bin("v", 2)])
        })
    };
    // Attempts run 0–100, 100–200, 200–300, 300–400 ms: release during the third.
    started.wait();
    std::thread::sleep(Duration::from_millis(250));
    drop(guard);
    let e = h.join().expect("thread").expect_err("3 after a retry");
    assert_eq!(e.code(), RC::GenerationError);
    assert!(e.in_doubt(), "sent > 1");
}

/// RC-NEG1, ID-SENT: once the database is closed every request fails with −1; a write refused
/// before submission was not sent, so it is not in doubt.
#[test]
fn closed_database_client_error_not_sent() {
    let mut t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("v", 1)]);
    t.db.close();
    let e =
        t.db.put(&timed(50, 3), &k, &[bin("v", 2)])
            .expect_err("closed");
    assert_eq!(e.code(), RC::ClientError);
    assert_eq!(e.code().code(), -1);
    assert!(!e.in_doubt());
    assert_eq!(rc(&get(&t, &k)), RC::ClientError);
    assert_eq!(rc(&t.db.delete(&wp(), &k)), RC::ClientError);
}

/// ID-FORMULA: the formula itself, as the database applies it.
#[test]
fn id_formula_values() {
    use aerolite::Error;
    assert!(Error::in_doubt_formula(true, 1, RC::Timeout));
    assert!(Error::in_doubt_formula(true, 1, RC::ClientError));
    assert!(!Error::in_doubt_formula(true, 1, RC::GenerationError));
    assert!(Error::in_doubt_formula(true, 2, RC::GenerationError));
    assert!(!Error::in_doubt_formula(false, 5, RC::Timeout));
    assert!(
        !Error::in_doubt_formula(true, 0, RC::ClientError),
        "never sent"
    );
}
