//! Exactly-once writes (record-model.md §22.2, SB-01 … SB-07, SB-TRIM-1 … SB-TRIM-5) on the
//! replicated cluster and on the embedded `Database`, plus the randomized test: thousands of
//! logical writes through random faults (drops, delays, duplicates, master crashes at every step,
//! failovers and rejoins), each applied exactly once — counter sums match — while the same load
//! with naive retries shows duplicates. `AEROLITE_EO_WRITES` raises the size (default 2000 logical
//! writes per seed, 3 seeds).

mod replication_support;

use aerolite::operations::maps;
use aerolite::replication::scenario::{run_one, Options, Strategy};
use aerolite::replication::{
    guarded_ops, operate_once, operate_once_with_stats, txn_status, MessageFault, MessageRule,
    OnCluster, OnceOutcome, OncePolicy, Step, TxnStatus,
};
use aerolite::{
    Bin, Bins, Database, GenerationPolicy, MapOrder, MapPolicy, MapReturnType, MapWriteFlags,
    Operation, ReadPolicy, ResultCode, Value, WritePolicy,
};
use replication_support::*;

fn debit() -> Vec<Operation> {
    vec![aerolite::operations::add(&Bin::new("balance", -10))]
}

fn once(timeout_ms: u64) -> OncePolicy {
    OncePolicy {
        write: wp(timeout_ms),
        ..OncePolicy::default()
    }
}

fn balance(c: &aerolite::replication::Cluster, node: usize, k: &aerolite::Key) -> Option<i64> {
    let v = c.version_on(node, k).expect("read")?;
    v.bins.get("balance").and_then(Value::as_int)
}

fn drop_next(c: &mut aerolite::replication::Cluster, step: Step) {
    c.faults()
        .add_rule(MessageRule {
            step,
            skip: 0,
            count: 1,
            fault: MessageFault::Drop,
        })
        .expect("a message step");
}

/// SB-01 then SB-02: the first attempt is in doubt and had not applied (request lost); the
/// re-submission with the same txn id applies it, once, generation +1.
#[test]
fn sb01_sb02_in_doubt_not_applied_then_applied_once() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("acct");
    drop_next(&mut c, Step::Request);
    let mut t = OnCluster {
        client: &mut cl,
        cluster: &mut c,
    };
    let (r, st) = operate_once_with_stats(&mut t, &once(100), &k, "tx-42", &debit());
    assert!(matches!(r, Ok(OnceOutcome::Applied(_))), "{r:?}");
    assert_eq!((st.submissions, st.in_doubt), (2, 1));
    assert_eq!(balance(&c, 0, &k), Some(-10));
    assert_eq!(gen_on(&c, 0, &k), Some(1));
}

/// SB-03: the first attempt had applied (reply lost); the retry gets 24 from the guard, the whole
/// operate is discarded: balance debited once, generation unchanged; reported "already applied".
#[test]
fn sb03_retry_after_applied_is_24_already_applied() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("acct");
    drop_next(&mut c, Step::Reply);
    let mut t = OnCluster {
        client: &mut cl,
        cluster: &mut c,
    };
    let (r, st) = operate_once_with_stats(&mut t, &once(100), &k, "tx-42", &debit());
    assert_eq!(r, Ok(OnceOutcome::AlreadyApplied));
    assert_eq!(st.submissions, 2);
    c.settle(1000);
    for n in 0..2 {
        assert_eq!(balance(&c, n, &k), Some(-10), "node {n}");
        assert_eq!(gen_on(&c, n, &k), Some(1), "node {n}: generation unchanged");
    }
    // The raw 24 itself, as the guard produces it.
    let guard = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CreateOnly);
    let mut ops = vec![maps::put(&guard, "txns", "tx-42", 1)];
    ops.extend(debit());
    let e = fails(cl.operate(&mut c, &wp(100), &k, &ops));
    assert_err(&e, ResultCode::ElementExists, false);
    assert_eq!(balance(&c, 0, &k), Some(-10));
}

/// SB-04: resolution by read: Applied once the tag is there, NotApplied for an unknown txn.
#[test]
fn sb04_txn_status_resolves_by_read() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("acct");
    let p = once(100);
    let mut t = OnCluster {
        client: &mut cl,
        cluster: &mut c,
    };
    assert_eq!(
        txn_status(&mut t, &p, &k, "tx-1"),
        Ok(TxnStatus::NotApplied),
        "missing record"
    );
    operate_once(&mut t, &p, &k, "tx-1", &debit()).expect("apply");
    assert_eq!(txn_status(&mut t, &p, &k, "tx-1"), Ok(TxnStatus::Applied));
    assert_eq!(
        txn_status(&mut t, &p, &k, "tx-2"),
        Ok(TxnStatus::NotApplied)
    );
}

/// SB-05 (wrong): a guard with NoFail is a silent no-op on the retry; the debit applies twice.
#[test]
fn sb05_nofail_guard_debits_twice() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("acct");
    let bad = MapPolicy::new(
        MapOrder::KeyOrdered,
        MapWriteFlags::CreateOnly | MapWriteFlags::NoFail,
    );
    let mut ops = vec![maps::put(&bad, "txns", "tx-42", 1)];
    ops.extend(debit());
    drop_next(&mut c, Step::Reply);
    let e = fails(cl.operate(&mut c, &wp(100), &k, &ops));
    assert_err(&e, ResultCode::Timeout, true);
    cl.operate(&mut c, &wp(100), &k, &ops)
        .expect("retry returns 0");
    assert_eq!(balance(&c, 0, &k), Some(-20), "debited twice");
}

/// SB-06 (wrong): with ExpectGenEqual the retry gets 3, which hides the 24; `operate_once`
/// resolves that 3 by reading the tag (SB-04) and reports "already applied".
#[test]
fn sb06_generation_check_hides_24_resolved_by_read() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("acct");
    cl.operate(
        &mut c,
        &wp(100),
        &k,
        &[aerolite::operations::put(&Bin::new("balance", 100))],
    )
    .expect("setup gen 1");
    let p = OncePolicy {
        write: WritePolicy {
            generation_policy: GenerationPolicy::ExpectGenEqual,
            generation: 1,
            ..wp(100)
        },
        ..OncePolicy::default()
    };
    // Raw: the retry of the same guarded operate gets 3.
    let guarded = guarded_ops(&p, "tx-9", c.now_ms(), &debit());
    drop_next(&mut c, Step::Reply);
    let e = fails(cl.operate(&mut c, &p.write, &k, &guarded));
    assert_err(&e, ResultCode::Timeout, true);
    let e = fails(cl.operate(&mut c, &p.write, &k, &guarded));
    assert_err(&e, ResultCode::GenerationError, false);
    // operate_once on a fresh key: the same situation, resolved.
    let k2 = key("acct2");
    cl.operate(
        &mut c,
        &wp(100),
        &k2,
        &[aerolite::operations::put(&Bin::new("balance", 100))],
    )
    .expect("setup gen 1");
    drop_next(&mut c, Step::Reply);
    let mut t = OnCluster {
        client: &mut cl,
        cluster: &mut c,
    };
    let (r, st) = operate_once_with_stats(&mut t, &p, &k2, "tx-9", &debit());
    assert_eq!(r, Ok(OnceOutcome::AlreadyApplied));
    assert_eq!(st.status_reads, 1);
    assert_eq!(balance(&c, 0, &k2), Some(90));
}

/// SB-07: on a missing record the guarded operate creates it with both bins; the tag map is
/// key-ordered.
#[test]
fn sb07_missing_record_created_with_both_bins() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("new");
    let mut t = OnCluster {
        client: &mut cl,
        cluster: &mut c,
    };
    let r = operate_once(&mut t, &once(100), &k, "tx-1", &debit()).expect("apply");
    assert!(matches!(r, OnceOutcome::Applied(_)));
    let rec = cl
        .get(&mut c, &ReadPolicy::default(), &k, Bins::All)
        .expect("read");
    assert_eq!(rec.generation, 1);
    assert_eq!(rec.bin("balance"), Some(&Value::Int(-10)));
    match rec.bin("txns") {
        Some(Value::Map(m)) => {
            assert_eq!(m.order, MapOrder::KeyOrdered);
            assert_eq!(m.entries.len(), 1);
            assert_eq!(m.entries[0].0, Value::from("tx-1"));
        }
        other => panic!("txns bin: {other:?}"),
    }
}

fn tags(db: &Database, k: &aerolite::Key) -> Vec<String> {
    let rec = db.get(&ReadPolicy::default(), k, Bins::All).expect("read");
    match rec.bin("txns") {
        Some(Value::Map(m)) => m
            .entries
            .iter()
            .filter_map(|(k, _)| match k {
                Value::String(s) => Some(s.clone()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// SB-TRIM-1, SB-TRIM-2: trimming by count in the same operate keeps the N newest tags (by tag
/// time, ties by key); the embedded Database works as a target too.
#[test]
fn sb_trim_by_count_keeps_newest() {
    let tdb = open_db();
    let (db, clock) = (&tdb.0, &tdb.1);
    let k = key("acct");
    let p = OncePolicy {
        keep_newest: Some(3),
        ..OncePolicy::default()
    };
    for i in 0..6 {
        clock.advance_ms(10);
        let mut t = db;
        operate_once(&mut t, &p, &k, &format!("z{i}"), &debit()).expect("apply");
    }
    assert_eq!(tags(db, &k), vec!["z3", "z4", "z5"]);
    let rec = db.get(&ReadPolicy::default(), &k, Bins::All).expect("read");
    assert_eq!(rec.bin("balance"), Some(&Value::Int(-60)));
}

/// SB-TRIM-3: trimming by age removes tags older than the cutoff.
#[test]
fn sb_trim_by_age() {
    let tdb = open_db();
    let (db, clock) = (&tdb.0, &tdb.1);
    let k = key("acct");
    let p = OncePolicy {
        keep_newest: None,
        max_age_ms: Some(1000),
        ..OncePolicy::default()
    };
    for i in 0..4 {
        let mut t = db;
        operate_once(&mut t, &p, &k, &format!("t{i}"), &debit()).expect("apply");
        clock.advance_ms(600);
    }
    assert_eq!(
        tags(db, &k),
        vec!["t2", "t3"],
        "t0, t1 older than 1 s at the last write"
    );
}

/// SB-TRIM-4: with monotonically increasing txn ids, keeping the last N in key order keeps the N
/// newest, even when their tag times tie.
#[test]
fn sb_trim_by_key_order_with_increasing_ids() {
    let tdb = open_db();
    let db = &tdb.0;
    let k = key("acct");
    let p = OncePolicy {
        keep_newest: None,
        keep_last_by_key: Some(2),
        ..OncePolicy::default()
    };
    for i in 0..5 {
        let mut t = db;
        operate_once(&mut t, &p, &k, &format!("tx-{i:04}"), &debit()).expect("apply");
    }
    assert_eq!(tags(db, &k), vec!["tx-0003", "tx-0004"]);
}

/// SB-TRIM-5: a tag trimmed before its transaction's late retry lets that retry apply twice.
#[test]
fn sb_trim5_tag_trimmed_too_early_duplicates() {
    let tdb = open_db();
    let (db, clock) = (&tdb.0, &tdb.1);
    let k = key("acct");
    let p = OncePolicy {
        keep_newest: Some(1),
        ..OncePolicy::default()
    };
    let mut t = db;
    operate_once(&mut t, &p, &k, "a", &debit()).expect("a");
    clock.advance_ms(5);
    operate_once(&mut t, &p, &k, "b", &debit()).expect("b trims a");
    clock.advance_ms(5);
    let again = operate_once(&mut t, &p, &k, "a", &debit()).expect("late retry");
    assert!(
        matches!(again, OnceOutcome::Applied(_)),
        "applied a second time"
    );
    let rec = db.get(&ReadPolicy::default(), &k, Bins::All).expect("read");
    assert_eq!(rec.bin("balance"), Some(&Value::Int(-30)));
}

fn open_db() -> (Database, aerolite::ManualClock) {
    let clock = aerolite::ManualClock::at_2026();
    let cfg = aerolite::DatabaseConfig::memory("test")
        .clock(std::sync::Arc::new(clock.clone()))
        .background_threads(false);
    (Database::open(cfg).expect("open"), clock)
}

/// A guard 24 on the first submission is confirmed by reading the tag: a 24 raised by the
/// caller's own ops is returned as an error, not mistaken for "already applied".
#[test]
fn own_ops_24_is_not_already_applied() {
    let tdb = open_db();
    let db = &tdb.0;
    let k = key("acct");
    let co = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CreateOnly);
    db.operate(&WritePolicy::default(), &k, &[maps::put(&co, "m", 1, 1)])
        .expect("setup");
    let mut t = db;
    let r = operate_once(
        &mut t,
        &OncePolicy::default(),
        &k,
        "tx",
        &[maps::put(&co, "m", 1, 2)],
    );
    assert_eq!(r.map_err(|e| e.code()), Err(ResultCode::ElementExists));
    let _ = MapReturnType::None;
}

fn writes_per_seed() -> u64 {
    std::env::var("AEROLITE_EO_WRITES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000)
}

/// The randomized test: per seed, `writes_per_seed()` logical add(+1) writes on 16 records through
/// drops (2%), delays (2%, ≤ 150 ms), duplicates (1%) of every message, master crashes after step
/// 2/3/4/5 (0.3% per write) with automatic failover and rejoin. Exactly-once: every logical write
/// applied exactly once, counters sum to the number of writes, no duplicates, nothing lost, every
/// in-doubt outcome resolved. Naive retry on the same load: duplicates.
#[test]
fn randomized_exactly_once_vs_naive_retry() {
    let writes = writes_per_seed();
    let mut naive_dups = 0;
    let mut total_in_doubt = 0;
    let mut total_failovers = 0;
    for seed in [1u64, 2, 3] {
        let opts = Options {
            seed,
            writes,
            ..Options::default()
        };
        let eo = run_one(&opts, Strategy::ExactlyOnce).expect("exactly-once run");
        assert_eq!(
            eo.applied, writes,
            "seed {seed}: every write applied: {eo:?}"
        );
        assert_eq!(eo.duplicates, 0, "seed {seed}: {eo:?}");
        assert_eq!(eo.lost, 0, "seed {seed}: {eo:?}");
        assert_eq!(
            eo.counter_sum, writes as i64,
            "seed {seed}: sums match: {eo:?}"
        );
        assert_eq!(eo.in_doubt_resolved, eo_in_doubt_writes(&eo), "seed {seed}");
        assert_eq!(eo.diverged, 0, "seed {seed}: every node converged: {eo:?}");
        total_in_doubt += eo.in_doubt;
        total_failovers += eo.failovers;
        let naive = run_one(&opts, Strategy::NaiveRetry).expect("naive run");
        assert_eq!(
            naive.counter_sum,
            (naive.applied + naive.duplicates) as i64,
            "seed {seed}: ground truth and counters agree: {naive:?}"
        );
        assert_eq!(
            naive.diverged, 0,
            "seed {seed}: every node converged: {naive:?}"
        );
        naive_dups += naive.duplicates;
    }
    assert!(
        total_in_doubt > 50,
        "the faults produced in-doubt outcomes: {total_in_doubt}"
    );
    assert!(total_failovers > 0, "the faults produced failovers");
    assert!(naive_dups > 0, "naive retry duplicates");
}

/// In-doubt logical writes of an exactly-once run all end resolved: the count of resolved ones
/// equals the count of logical writes that met a doubt (at most `in_doubt`, one per write).
fn eo_in_doubt_writes(o: &aerolite::replication::scenario::Outcome) -> u64 {
    o.in_doubt_writes
}
