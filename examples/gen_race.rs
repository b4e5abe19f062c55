//! The correct read-modify-write retry loop under `Update` + `ExpectGenEqual` when a cleanup job
//! durably deletes records or TTL expires them (docs/semantics.md SA-RETRY-1 … SA-RETRY-4), and
//! the seed's cleanup job itself: a scan with a filter expression selecting stale or empty
//! profiles, then a durable delete of each with `ExpectGenEqual` at the generation the scan read
//! (SA-11: a profile updated after the scan is left alone). `aerolite scenario gen-race` races
//! the two many times and counts what each retry strategy drops.
//!
//! Run: `cargo run --example gen_race`

use aerolite::expressions as exp;
use aerolite::{
    as_bin, as_key, Bins, Database, Error, GenerationPolicy, Key, PartitionFilter, QueryPolicy,
    ReadPolicy, RecordExistsAction, ResultCode, Statement, WritePolicy,
};

/// What to do when the record was deleted or expired between our read and our write.
#[derive(Clone, Copy)]
enum OnGone {
    /// The cleanup is authoritative: drop the update on purpose (SA-05A).
    Stop,
    /// Re-create the record deliberately (SA-05B).
    Recreate,
}

/// Add `delta` to bin "n" with optimistic concurrency. Returns the new generation, or `None` when
/// the record is gone and `on_gone` is `Stop`.
fn add_with_retry(
    db: &Database,
    key: &Key,
    delta: i64,
    on_gone: OnGone,
) -> Result<Option<u32>, Error> {
    const MAX_ATTEMPTS: usize = 8; // SA-RETRY-4: bound the retries.
    for _ in 0..MAX_ATTEMPTS {
        // Read, and remember the generation we based the update on.
        let (expected, current) = match db.get(&ReadPolicy::default(), key, Bins::All) {
            Ok(rec) => (
                rec.generation,
                rec.bin("n").and_then(|v| v.as_int()).unwrap_or(0),
            ),
            // SA-RETRY-2: 2 means the record is gone (missing, tombstone or expired).
            Err(e) if e.code() == ResultCode::KeyNotFoundError => match on_gone {
                OnGone::Stop => return Ok(None),
                OnGone::Recreate => (0, 0), // re-create with ExpectGenEqual(0)
            },
            Err(e) => return Err(e),
        };
        let policy = WritePolicy {
            record_exists_action: RecordExistsAction::Update,
            generation_policy: GenerationPolicy::ExpectGenEqual,
            generation: expected,
            ..WritePolicy::default()
        };
        match db.put(&policy, key, &[as_bin!("n", current + delta)]) {
            Ok(rec) => return Ok(Some(rec.generation)),
            // SA-RETRY-1: 3 means "the generation is not `expected`" — someone wrote, deleted, or
            // the record expired. Never resend the same generation; re-read (SA-RETRY-2, -3).
            Err(e) if e.code() == ResultCode::GenerationError => continue,
            Err(e) => return Err(e),
        }
    }
    Err(Error::new(
        ResultCode::GenerationError,
        "gave up after 8 generation conflicts",
    ))
}

/// One cleanup cycle: scan for profiles not updated for `stale_ms` or without an "n" bin, and
/// durably delete each one unless it changed since the scan. Returns (deleted, left alone).
fn cleanup_cycle(db: &Database, stale_ms: i64) -> Result<(u64, u64), Error> {
    let stale = exp::ge(exp::since_update(), exp::int_val(stale_ms));
    let empty = exp::not(exp::bin_exists("n"));
    let policy = QueryPolicy {
        filter_expression: Some(exp::or(vec![stale, empty])),
        ..QueryPolicy::default()
    };
    let scan = db.query(
        &policy,
        PartitionFilter::all(),
        Statement::new("test", "profiles", Bins::None),
    )?;
    let (mut deleted, mut left_alone) = (0, 0);
    for item in scan {
        let (key, record) = item?;
        let delete = WritePolicy {
            generation_policy: GenerationPolicy::ExpectGenEqual,
            generation: record.generation,
            durable_delete: true,
            ..WritePolicy::default()
        };
        match db.delete(&delete, &key) {
            Ok(true) => deleted += 1,
            Ok(false) => {} // already gone
            // SA-11: a writer updated it after the scan: fresh data is not deleted.
            Err(e) if e.code() == ResultCode::GenerationError => left_alone += 1,
            Err(e) => return Err(e),
        }
    }
    Ok((deleted, left_alone))
}

fn main() -> Result<(), Error> {
    let db = Database::open_in_memory()?;
    let key = as_key!("test", "profiles", "user-7");
    db.put(&WritePolicy::default(), &key, &[as_bin!("n", 1)])?;
    println!(
        "update on a live record   -> generation {:?}",
        add_with_retry(&db, &key, 1, OnGone::Recreate)?
    );

    // A cleanup job durably deletes the record: it becomes a tombstone.
    db.delete(
        &WritePolicy {
            durable_delete: true,
            ..WritePolicy::default()
        },
        &key,
    )?;
    println!(
        "after a durable delete, Stop     -> {:?}",
        add_with_retry(&db, &key, 1, OnGone::Stop)?
    );
    // Re-create: the generation continues from the tombstone (G-EQ-TOMB-0).
    println!(
        "after a durable delete, Recreate -> generation {:?}",
        add_with_retry(&db, &key, 1, OnGone::Recreate)?
    );
    let n = db.get(&ReadPolicy::default(), &key, Bins::All)?;
    println!("value now {:?}, generation {}", n.bin("n"), n.generation);

    // The seed's cleanup job: an empty profile goes; "user-7", just updated, is not stale.
    let empty = as_key!("test", "profiles", "user-8");
    db.put(
        &WritePolicy::default(),
        &empty,
        &[as_bin!("profile", "new")],
    )?;
    println!(
        "cleanup cycle (deleted, left alone) -> {:?}",
        cleanup_cycle(&db, 60_000)?
    );
    // The next event for user-8: the loop reads 2 and re-creates the profile (SA-RETRY-2).
    println!(
        "update of the cleaned-up profile, Recreate -> generation {:?}",
        add_with_retry(&db, &empty, 1, OnGone::Recreate)?
    );
    Ok(())
}
