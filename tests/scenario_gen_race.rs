//! Scenario A (record-model.md §22.1, SA-* rows; seed ../shared/seeds/000_*): a read-modify-write
//! with `Update + ExpectGenEqual(N)` racing a cleanup job's durable delete, or TTL expiry, between
//! its read and its write. aerolite must answer the gen-checked update with GenerationError 3
//! (never KeyNotFound 2, which is what the seed's reporter saw), let the gen-0 re-create succeed
//! with the right generation, and refuse UpdateOnly with 2. The retry loop of SA-RETRY-* is
//! written out and exercised against updates, deletes and re-creates by others.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{
    Bins, Expiration as E, GenerationPolicy as GP, Key, RecordExistsAction as A, ResultCode as RC,
    Value, WritePolicy,
};
use common::TestDb;
use sem::*;

/// The writer's policy from the seed: Update + EXPECT_GEN_EQUAL, send_key, not durable.
fn writer(n: u32) -> WritePolicy {
    WritePolicy {
        record_exists_action: A::Update,
        generation_policy: GP::ExpectGenEqual,
        generation: n,
        send_key: true,
        durable_delete: false,
        ..WritePolicy::default()
    }
}

/// The cleanup job's policy from the seed: EXPECT_GEN_EQUAL with the generation it saw, durable.
fn cleanup(n: u32) -> WritePolicy {
    WritePolicy {
        generation_policy: GP::ExpectGenEqual,
        generation: n,
        durable_delete: true,
        ..WritePolicy::default()
    }
}

fn profile_at_gen_7(t: &TestDb, k: &Key, ttl_s: Option<u32>) {
    let mut p = writer(0);
    p.generation_policy = GP::None;
    if let Some(s) = ttl_s {
        p.expiration = E::Seconds(s);
    }
    for i in 0..7 {
        put_ok(t, &p, k, &[bin("audience", i), bin("profile", "v")]);
    }
}

/// SA-01, SA-02, SA-03, SA-04, SA-05A, SA-05B, G-EQ-TOMB-N, G-EQ-TOMB-0, W-CREATE-TOMB: durable
/// delete between read and write.
#[test]
fn sa_durable_delete_between_read_and_write() {
    let t = common::open();
    let k = key(1);
    profile_at_gen_7(&t, &k, None);
    // SA-01
    let read = must_get(&t, &k);
    assert_eq!(read.generation, 7);
    // SA-02: cleanup durably deletes with the generation it saw.
    assert!(t.db.delete(&cleanup(7), &k).expect("cleanup"));
    // SA-03: not 2 — and definitive, not in doubt.
    let e =
        t.db.put(&writer(read.generation), &k, &[bin("audience", 100)])
            .expect_err("gen-checked update of a deleted record");
    assert_eq!(e.code(), RC::GenerationError);
    assert!(!e.in_doubt());
    // SA-04
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    // SA-05A: accepting the delete means writing nothing; the record stays gone.
    assert!(!t.db.exists(&rp(), &k).expect("exists"));
    // SA-05B: deliberate re-create; the counter continues from the tombstone (T = 8).
    let r =
        t.db.put(&writer(0), &k, &[bin("audience", 100)])
            .expect("re-create");
    assert_eq!(r.generation, 9);
    let got = must_get(&t, &k);
    assert_eq!(
        bins_of(&got),
        pairs(&[("audience", Value::Int(100))]),
        "fresh, not merged"
    );
    assert_eq!(got.key, Some(Value::Int(1)));
    // SA-05B with CreateOnly over a tombstone.
    let k2 = key(2);
    profile_at_gen_7(&t, &k2, None);
    assert!(t.db.delete(&cleanup(7), &k2).expect("cleanup"));
    let r =
        t.db.put(&act(A::CreateOnly), &k2, &[bin("audience", 1)])
            .expect("CreateOnly over a tombstone");
    assert_eq!(r.generation, 9);
}

/// SA-06, SA-07, SA-08, G-EQ-EXP-N, W-UPD-EXP, GC-EXP: TTL expiry (not reaped) between read and
/// write.
#[test]
fn sa_ttl_expiry_between_read_and_write() {
    let t = common::open();
    let k = key(1);
    profile_at_gen_7(&t, &k, Some(30));
    let read = must_get(&t, &k);
    assert_eq!(read.generation, 7);
    t.clock.advance_s(31);
    // SA-06
    let e =
        t.db.put(&writer(7), &k, &[bin("audience", 100)])
            .expect_err("expired");
    assert_eq!(e.code(), RC::GenerationError);
    assert!(!e.in_doubt());
    // SA-07
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
    // SA-08: a fresh record at generation 1; old bins and stored key are gone.
    let r =
        t.db.put(&writer(0), &k, &[bin("audience", 100)])
            .expect("re-create");
    assert_eq!(r.generation, 1);
    let got = must_get(&t, &k);
    assert_eq!(bins_of(&got), pairs(&[("audience", Value::Int(100))]));
    assert_eq!(got.expiration, 0, "TTL 0 → namespace default (never)");
}

/// SA-09, G-EQ-MISSING-N, GC-NONDURABLE: deleted non-durably, or reaped by the sweeper.
#[test]
fn sa_non_durable_delete_or_reaped() {
    for reaped in [false, true] {
        let t = common::open();
        let k = key(1);
        profile_at_gen_7(&t, &k, reaped.then_some(30));
        assert_eq!(must_get(&t, &k).generation, 7);
        if reaped {
            t.clock.advance_s(31);
            assert_eq!(t.db.sweep_expired().reaped, 1);
        } else {
            assert!(t.db.delete(&wp(), &k).expect("non-durable delete"));
        }
        assert_eq!(
            rc(&t.db.put(&writer(7), &k, &[bin("a", 1)])),
            RC::GenerationError
        );
        assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
        assert_eq!(
            t.db.put(&writer(0), &k, &[bin("a", 1)])
                .expect("create")
                .generation,
            1
        );
    }
}

/// SA-10, G-MUSTEXIST-*: UpdateOnly + EQ(7) on tombstone / expired / missing → 2; UpdateOnly can
/// never re-create, even with EQ(0).
#[test]
fn sa_update_only_never_recreates() {
    for s in [St::Tomb(7), St::Expired(7), St::Missing] {
        let t = common::open();
        let k = key(1);
        make(&t, &k, s);
        for n in [7, 0] {
            let mut p = writer(n);
            p.record_exists_action = A::UpdateOnly;
            let e = t.db.put(&p, &k, &[bin("a", 1)]).expect_err("must exist");
            assert_eq!(e.code(), RC::KeyNotFoundError, "{s:?} EQ({n})");
            assert!(!e.in_doubt());
        }
    }
}

/// SA-11, D-GEN-LIVE-NE: a cleanup deleting with the generation it saw fails with 3 when the
/// service updated the record in between — fresh data is not deleted.
#[test]
fn sa_safe_cleanup() {
    let t = common::open();
    let k = key(1);
    profile_at_gen_7(&t, &k, None);
    let seen = must_get(&t, &k).generation;
    put_ok(&t, &writer(seen), &k, &[bin("audience", 8)]);
    assert_eq!(rc(&t.db.delete(&cleanup(seen), &k)), RC::GenerationError);
    assert_eq!(must_get(&t, &k).bin("audience"), Some(&Value::Int(8)));
}

/// What the retry loop did.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    Updated(u32),
    Recreated(u32),
    GaveUp,
}

/// The correct read-modify-write loop (SA-RETRY-1 … SA-RETRY-4): on 3, re-read; if live, retry
/// with the new generation; if gone, re-create with EQ(0) (when `recreate`) or stop; a 3 on the
/// re-create means someone re-created first: go back to re-reading. Bounded by `max_attempts`.
/// `interfere(attempt)` runs between the read and the write, playing the other process.
fn rmw(
    t: &TestDb,
    k: &Key,
    recreate: bool,
    max_attempts: u32,
    mut interfere: impl FnMut(u32),
) -> Outcome {
    for attempt in 0..max_attempts {
        let (n, base) = match t.db.get(&rp(), k, Bins::All) {
            Ok(r) => (
                r.generation,
                r.bin("count").and_then(Value::as_int).unwrap_or(0),
            ),
            Err(e) if e.code() == RC::KeyNotFoundError => {
                if !recreate {
                    return Outcome::GaveUp; // SA-05A: accept the delete.
                }
                (0, 0) // SA-RETRY-2: gone → re-create with EQ(0).
            }
            Err(e) => panic!("unexpected read error {e}"),
        };
        interfere(attempt);
        match t.db.put(&writer(n), k, &[bin("count", base + 1)]) {
            Ok(r) if n == 0 => return Outcome::Recreated(r.generation),
            Ok(r) => return Outcome::Updated(r.generation),
            // SA-RETRY-1 / SA-RETRY-3: 3 means "generation is not n"; never retry the same n.
            Err(e) if e.code() == RC::GenerationError => continue,
            Err(e) => panic!("unexpected write error {e}"),
        }
    }
    Outcome::GaveUp // SA-RETRY-4: bounded.
}

/// SA-RETRY-1, SA-RETRY-2: a concurrent update → retry with the new generation; a durable delete
/// → re-create with EQ(0) continuing from the tombstone; without re-create the loop stops.
#[test]
fn sa_retry_loop_update_and_delete() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &wp(), &k, &[bin("count", 10)]);
    let out = rmw(&t, &k, true, 5, |a| {
        if a == 0 {
            put_ok(&t, &wp(), &k, &[bin("count", 20)]);
        }
    });
    assert_eq!(out, Outcome::Updated(3));
    assert_eq!(
        must_get(&t, &k).bin("count"),
        Some(&Value::Int(21)),
        "recomputed"
    );

    let out = rmw(&t, &k, true, 5, |a| {
        if a == 0 {
            assert!(t.db.delete(&durable(), &k).expect("cleanup"));
        }
    });
    assert_eq!(out, Outcome::Recreated(5), "T = 4, re-create at inc(T)");
    assert_eq!(must_get(&t, &k).bin("count"), Some(&Value::Int(1)));

    let out = rmw(&t, &k, false, 5, |a| {
        if a == 0 {
            assert!(t.db.delete(&durable(), &k).expect("cleanup"));
        }
    });
    assert_eq!(out, Outcome::GaveUp);
    assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError);
}

/// SA-RETRY-3, SA-RETRY-4: a re-create with EQ(0) that gets 3 means someone re-created first —
/// re-read and update theirs; with CreateOnly the same race gives 5; the loop is bounded.
#[test]
fn sa_retry_loop_recreate_race_and_bound() {
    let t = common::open();
    let k = key(1);
    // The record is gone when we read; another process re-creates it before our EQ(0) write.
    let out = rmw(&t, &k, true, 5, |a| {
        if a == 0 {
            put_ok(&t, &wp(), &k, &[bin("count", 50)]);
        }
    });
    assert_eq!(out, Outcome::Updated(2));
    assert_eq!(must_get(&t, &k).bin("count"), Some(&Value::Int(51)));
    // CreateOnly: the same race answers 5.
    let k2 = key(2);
    assert_eq!(rc(&get(&t, &k2)), RC::KeyNotFoundError);
    put_ok(&t, &wp(), &k2, &[bin("count", 1)]);
    assert_eq!(
        rc(&t.db.put(&act(A::CreateOnly), &k2, &[bin("count", 1)])),
        RC::KeyExistsError
    );
    // Bounded: an adversary that always updates in between wins every time.
    let out = rmw(&t, &k, true, 4, |_| {
        put_ok(&t, &wp(), &k, &[bin("count", 0)]);
    });
    assert_eq!(out, Outcome::GaveUp);
}

mod scan_cleanup {
    //! The seed whole (`aerolite scenario gen-race`, scan-cleanup part): a cleanup process whose
    //! periodic cycles scan with a filter expression for stale or empty profiles and durably
    //! delete each with `ExpectGenEqual` at the scanned generation (SA-02, SA-11, SCAN-FILTER-1),
    //! racing the writers' `Update` + `ExpectGenEqual` loops. The naive same-generation retry
    //! drops updates, mostly in the buckets of the cleanup cycles; the SA-RETRY loop drops none.

    use aerolite::cli::scenario_gen_race::{run, run_cleanup, Options, Strategy};

    fn opts() -> Options {
        Options {
            updates: 8000,
            ..Options::default()
        }
    }

    /// SA-RETRY-1 … SA-RETRY-4, SA-03, SA-11 against the scan-based cleanup.
    #[test]
    fn scan_cleanup_naive_drops_in_cycles_sa_retry_drops_none() {
        let naive = run_cleanup(&opts(), Strategy::NaiveSameGen).expect("runs");
        let sa = run_cleanup(&opts(), Strategy::SaRetry).expect("runs");
        for o in [&naive, &sa] {
            assert!(o.cycles >= 4, "{o:?}");
            assert!(o.deletes().0 > 100, "the cleanup deleted stale records");
            assert_eq!(o.totals.codes.get(&2), None, "Update + EQ never gives 2");
            let reads_gone: u64 = o.buckets.iter().map(|b| b.reads_not_found).sum();
            assert!(reads_gone > 0, "writers read records the cleanup deleted");
            for b in &o.buckets {
                assert!(
                    b.deleted == 0 || b.cycle.is_some(),
                    "deletes only in cycles"
                );
            }
        }
        // The naive retry drops updates, in bursts aligned with the cleanup cycles.
        let [(err_in, drop_in), (err_out, drop_out)] = naive.split_by_cycle();
        assert!(naive.totals.dropped > 0, "{:?}", naive.totals);
        assert!(drop_in > 2 * drop_out, "in {drop_in} out {drop_out}");
        assert!(err_in > 2 * err_out, "in {err_in} out {err_out}");
        // The correct retry met the same races and dropped nothing.
        let [(sa_err_in, _), _] = sa.split_by_cycle();
        assert!(sa_err_in > 0, "sa-retry saw the races too");
        assert_eq!(sa.totals.dropped, 0, "{:?}", sa.totals);
        assert_eq!(sa.totals.applied, sa.totals.updates);
    }

    /// The run is a function of the seed: the same seed gives the same timeline, another seed
    /// another one.
    #[test]
    fn scan_cleanup_reproducible_for_a_seed() {
        let a = run_cleanup(&opts(), Strategy::NaiveSameGen).expect("runs");
        let b = run_cleanup(&opts(), Strategy::NaiveSameGen).expect("runs");
        assert_eq!(a, b);
        let other = Options { seed: 2, ..opts() };
        let c = run_cleanup(&other, Strategy::NaiveSameGen).expect("runs");
        assert_ne!(a.buckets, c.buckets);
    }

    /// The report: the table names the cleanup and its timeline; `--json` is one object with
    /// both parts and a bucket list per strategy.
    #[test]
    fn scan_cleanup_report_table_and_json() {
        let small = Options {
            updates: 2500,
            ..Options::default()
        };
        let mut table = Vec::new();
        assert_eq!(run(&small, false, &mut table).expect("writes"), 0);
        let table = String::from_utf8(table).expect("utf-8");
        assert!(table.contains("scan cleanup: every 1000 ms"), "{table}");
        assert!(table.contains("t_ms cycle"), "{table}");
        let mut json = Vec::new();
        assert_eq!(run(&small, true, &mut json).expect("writes"), 0);
        let json = String::from_utf8(json).expect("utf-8");
        assert!(json.starts_with("{\"random_races\": ["), "{json}");
        let depth_never_negative = json.chars().try_fold(0i64, |d, c| match c {
            '{' | '[' => Some(d + 1),
            '}' | ']' => (d > 0).then_some(d - 1),
            _ => Some(d),
        });
        assert_eq!(depth_never_negative, Some(0), "balanced: {json}");
        assert_eq!(json.matches("\"mode\": ").count(), 6);
        assert!(json.contains("\"scan_cleanup\": {"));
        assert_eq!(json.matches("\"buckets\": [").count(), 3);
        assert!(json.contains(
            "\"strategy\": \"sa-retry\", \"updates\": 2500, \"applied\": 2500, \"dropped\": 0"
        ));
    }
}
