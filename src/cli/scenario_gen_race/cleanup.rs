//! The seed whole: writers' read-modify-write loops (`Update` + `ExpectGenEqual(G)`) race a
//! cleanup process that, every `PERIOD_MS`, scans with a filter expression selecting stale or
//! empty profiles (`since_update() >= STALE_MS or not bin_exists("audience")`) and durably deletes
//! each selected record with `ExpectGenEqual` at the generation the scan returned (SA-02, SA-11,
//! SCAN-FILTER-1). Errors are counted per time bucket of half a period; cycles start on even
//! buckets, so the seed's bursts line up with the cycles.
//!
//! Deterministic: one thread drives every actor, one simulated millisecond per step, in an order
//! drawn from the seed; the manual clock advances with the steps; the scan is a lazy `Recordset`
//! pulled `CLEANUP_PER_MS` records per cleanup step (each deleted one step later, so writers can
//! slip in). The deletes are per record from the scan rather than one `query_operate` task, which
//! would apply the same rule (QOP-GEN-1) but on its own thread, so the interleaving would follow
//! the OS scheduler instead of the seed.
//!
//! Invariants (asserted): a gen-checked `Update` never answers 2; every started update ends applied
//! or dropped; at most one cycle runs at a time; the run is bounded by `max_steps`.

use super::{gen_of, value_of, Options, Outcome, Strategy};
use crate::config::{DatabaseConfig, NamespaceConfig};
use crate::expressions as exp;
use crate::rng::Rng;
use crate::{
    as_bin, Bins, Database, GenerationPolicy, Key, ManualClock, PartitionFilter, QueryPolicy,
    ReadPolicy, RecordExistsAction, Recordset, Result, ResultCode, Statement, WritePolicy,
};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Concurrent writers.
pub const WRITERS: usize = 16;
/// A writer's time between its read and its write: 0 … this many ms (modify + network).
pub const THINK_MS_MAX: u64 = 20;
/// A profile not updated for this long is stale.
pub const STALE_MS: u64 = 100;
/// A cleanup cycle starts every this many ms.
pub const PERIOD_MS: u64 = 1000;
/// Records the cleanup takes from its scan per ms (deleting each one ms later).
pub const CLEANUP_PER_MS: usize = 4;
/// Report bucket: half a period, so a cycle falls in an even bucket.
pub const BUCKET_MS: u64 = PERIOD_MS / 2;
/// Each writer owns the profiles whose number modulo `WRITERS` is its own (events partitioned by
/// user, as a stream consumer is); one event in this many goes to any profile instead, so writers
/// also conflict with each other now and then.
pub const CROSS_SHARD_ONE_IN: u64 = 100;
/// One profile in this many starts empty (no "audience" bin).
const EMPTY_ONE_IN: u64 = 4;
/// Namespace and set of the profiles.
const NS: &str = "test";
const SET: &str = "profiles";

/// What happened in one time bucket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Bucket {
    /// Start of the bucket, ms since the run began.
    pub start_ms: u64,
    /// The cleanup cycle that ran in this bucket, if any (1-based).
    pub cycle: Option<u64>,
    /// Records the cleanup deleted.
    pub deleted: u64,
    /// Cleanup deletes refused with 3: the record changed after the scan (SA-11).
    pub delete_gen_conflicts: u64,
    /// Writers' write results by code (0 = applied).
    pub write_codes: BTreeMap<i32, u64>,
    /// Writers' reads answered KeyNotFound 2 (the record was gone).
    pub reads_not_found: u64,
    /// Logical updates given up on in this bucket.
    pub dropped: u64,
}

impl Bucket {
    /// Failed writes (any non-zero code).
    pub fn write_errors(&self) -> u64 {
        self.write_codes
            .iter()
            .filter(|(c, _)| **c != 0)
            .map(|(_, n)| *n)
            .sum()
    }
}

/// One strategy's run against the scan-based cleanup.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupOutcome {
    /// Totals of the writers (as the random-race modes report).
    pub totals: Outcome,
    /// Cleanup cycles run.
    pub cycles: u64,
    /// Timeline.
    pub buckets: Vec<Bucket>,
}

impl CleanupOutcome {
    /// (write errors, dropped) summed over buckets with a cleanup cycle, then over the others.
    pub fn split_by_cycle(&self) -> [(u64, u64); 2] {
        let mut s = [(0, 0); 2];
        for b in &self.buckets {
            let i = usize::from(b.cycle.is_none());
            s[i].0 += b.write_errors();
            s[i].1 += b.dropped;
        }
        s
    }

    /// (records the cleanup deleted, deletes refused with 3 because the record changed).
    pub fn deletes(&self) -> (u64, u64) {
        let deleted = self.buckets.iter().map(|b| b.deleted).sum();
        let refused = self.buckets.iter().map(|b| b.delete_gen_conflicts).sum();
        (deleted, refused)
    }
}

/// A writer between logical updates, or waiting to send its write.
#[derive(Debug, Clone, Copy)]
enum Writer {
    Idle,
    Pending {
        key: usize,
        generation: u32,
        value: i64,
        attempts: u32,
        write_at_ms: u64,
    },
}

/// The cleanup process: the scan of the running cycle and the record it will delete next.
struct Cleanup {
    scan: Option<Recordset>,
    next_deletes: Vec<(Key, u32)>,
}

struct Sim<'a> {
    db: Database,
    clock: ManualClock,
    rng: Rng,
    keys: Vec<Key>,
    opts: &'a Options,
    strategy: Strategy,
    now_ms: u64,
    started: u64,
    out: CleanupOutcome,
}

/// Run one strategy against the scan-based cleanup.
pub fn run_cleanup(opts: &Options, strategy: Strategy) -> Result<CleanupOutcome> {
    let mut sim = Sim::open(opts, strategy)?;
    let mut writers = vec![Writer::Idle; WRITERS];
    let mut cleanup = Cleanup {
        scan: None,
        next_deletes: Vec::with_capacity(CLEANUP_PER_MS),
    };
    let max_steps = opts
        .updates
        .saturating_mul(THINK_MS_MAX + 2)
        .saturating_mul(8)
        + PERIOD_MS;
    let mut order: Vec<usize> = (0..=WRITERS).collect();
    loop {
        let busy = writers.iter().any(|w| matches!(w, Writer::Pending { .. }));
        if sim.started >= opts.updates && !busy {
            break;
        }
        assert!(sim.now_ms < max_steps, "gen-race cleanup run not bounded");
        sim.bucket();
        sim.shuffle(&mut order);
        for &actor in &order {
            match writers.get_mut(actor) {
                Some(w) => *w = sim.writer_step(actor, *w)?,
                None => sim.cleanup_step(&mut cleanup)?,
            }
        }
        sim.clock.advance_ms(1);
        sim.now_ms += 1;
    }
    let t = &sim.out.totals;
    assert_eq!(t.applied + t.dropped, t.updates, "every update ends");
    Ok(sim.out)
}

impl<'a> Sim<'a> {
    fn open(opts: &'a Options, strategy: Strategy) -> Result<Sim<'a>> {
        let clock = ManualClock::at_2026();
        let db = Database::open(
            DatabaseConfig::with_namespaces(vec![NamespaceConfig::new(NS)])
                .clock(Arc::new(clock.clone()))
                .background_threads(false),
        )?;
        let mut rng = Rng::new(opts.seed);
        let keys: Vec<Key> = (0..opts.records.max(1))
            .map(|i| Key::new(NS, SET, i as i64))
            .collect::<Result<_>>()?;
        for k in &keys {
            if rng.below(EMPTY_ONE_IN) == 0 {
                db.put(&WritePolicy::default(), k, &[as_bin!("profile", "new")])?;
            } else {
                db.put(&WritePolicy::default(), k, &[as_bin!("audience", 0)])?;
            }
        }
        Ok(Sim {
            db,
            clock,
            rng,
            keys,
            opts,
            strategy,
            now_ms: 0,
            started: 0,
            out: CleanupOutcome::default(),
        })
    }

    /// The bucket of the current step (created on first use).
    fn bucket(&mut self) -> &mut Bucket {
        let i = (self.now_ms / BUCKET_MS) as usize;
        while self.out.buckets.len() <= i {
            let start_ms = self.out.buckets.len() as u64 * BUCKET_MS;
            self.out.buckets.push(Bucket {
                start_ms,
                ..Bucket::default()
            });
        }
        &mut self.out.buckets[i]
    }

    fn shuffle(&mut self, order: &mut [usize]) {
        for i in (1..order.len()).rev() {
            let j = self.rng.below(i as u64 + 1) as usize;
            order.swap(i, j);
        }
    }

    /// Read the record: (generation, value + 1), generation 0 when it is gone (SA-RETRY-2).
    fn read(&mut self, key: usize) -> (u32, i64) {
        let r = self
            .db
            .get(&ReadPolicy::default(), &self.keys[key], Bins::All);
        if matches!(&r, Err(e) if e.code() == ResultCode::KeyNotFoundError) {
            self.bucket().reads_not_found += 1;
        }
        (gen_of(&r), value_of(&r, "audience") + 1)
    }

    fn think(&mut self) -> u64 {
        self.now_ms + self.rng.below(THINK_MS_MAX + 1)
    }

    /// The profile of writer `shard`'s next event.
    fn pick_key(&mut self, shard: usize) -> usize {
        let n = self.keys.len() as u64;
        let shards = WRITERS as u64;
        if n < shards || self.rng.below(CROSS_SHARD_ONE_IN) == 0 {
            return self.rng.below(n) as usize;
        }
        let own = (n - shard as u64).div_ceil(shards);
        let key = (self.rng.below(own) * shards + shard as u64) as usize;
        debug_assert!(key < self.keys.len() && key % WRITERS == shard);
        key
    }

    fn writer_step(&mut self, shard: usize, w: Writer) -> Result<Writer> {
        match w {
            Writer::Idle if self.started < self.opts.updates => {
                self.started += 1;
                self.out.totals.updates += 1;
                let key = self.pick_key(shard);
                let (generation, value) = self.read(key);
                let write_at_ms = self.think();
                Ok(Writer::Pending {
                    key,
                    generation,
                    value,
                    attempts: 0,
                    write_at_ms,
                })
            }
            Writer::Pending {
                key,
                generation,
                value,
                attempts,
                write_at_ms,
            } if write_at_ms <= self.now_ms => self.write(key, generation, value, attempts + 1),
            other => Ok(other),
        }
    }

    /// The writer's `Update` + `ExpectGenEqual(generation)`, then its strategy's next move.
    fn write(&mut self, key: usize, generation: u32, value: i64, attempts: u32) -> Result<Writer> {
        let wp = WritePolicy {
            record_exists_action: RecordExistsAction::Update,
            generation_policy: GenerationPolicy::ExpectGenEqual,
            generation,
            send_key: true,
            ..WritePolicy::default()
        };
        let r = self
            .db
            .put(&wp, &self.keys[key], &[as_bin!("audience", value)]);
        let code = r.as_ref().map_or_else(|e| e.code().code(), |_| 0);
        assert_ne!(code, 2, "SA-03: a gen-checked Update never answers 2");
        self.out.totals.writes_sent += 1;
        *self.out.totals.codes.entry(code).or_default() += 1;
        *self.bucket().write_codes.entry(code).or_default() += 1;
        if r.is_ok() {
            self.out.totals.applied += 1;
            return Ok(Writer::Idle);
        }
        if attempts >= self.strategy.max_attempts() {
            self.out.totals.dropped += 1;
            self.bucket().dropped += 1;
            return Ok(Writer::Idle);
        }
        let (generation, value, write_at_ms) = match self.strategy {
            // The identical request again, at the next step.
            Strategy::NaiveSameGen => (generation, value, self.now_ms + 1),
            Strategy::RereadOnce | Strategy::SaRetry => {
                let (g, v) = self.read(key);
                (g, v, self.think())
            }
        };
        Ok(Writer::Pending {
            key,
            generation,
            value,
            attempts,
            write_at_ms,
        })
    }

    /// One cleanup step: start a cycle on the period, delete the records scanned last step, pull
    /// the next ones from the scan.
    fn cleanup_step(&mut self, c: &mut Cleanup) -> Result<()> {
        if c.scan.is_none() && self.now_ms > 0 && self.now_ms.is_multiple_of(PERIOD_MS) {
            assert!(c.next_deletes.is_empty(), "one cycle at a time");
            self.out.cycles += 1;
            c.scan = Some(self.db.query(
                &stale_or_empty(),
                PartitionFilter::all(),
                Statement::new(NS, SET, Bins::None),
            )?);
        }
        if c.scan.is_none() {
            return Ok(());
        }
        let cycle = self.out.cycles;
        self.bucket().cycle = Some(cycle);
        for (key, generation) in std::mem::take(&mut c.next_deletes) {
            self.delete(&key, generation)?;
        }
        while c.next_deletes.len() < CLEANUP_PER_MS {
            match c.scan.as_mut().and_then(Iterator::next) {
                Some(Ok((key, rec))) => c.next_deletes.push((key, rec.generation)),
                Some(Err(e)) => return Err(e),
                None => break,
            }
        }
        if c.next_deletes.is_empty() {
            c.scan = None;
        }
        Ok(())
    }

    /// The seed's cleanup delete: durable, `ExpectGenEqual` at the scanned generation.
    fn delete(&mut self, key: &Key, generation: u32) -> Result<()> {
        let wp = WritePolicy {
            generation_policy: GenerationPolicy::ExpectGenEqual,
            generation,
            durable_delete: true,
            ..WritePolicy::default()
        };
        match self.db.delete(&wp, key) {
            Ok(true) => self.bucket().deleted += 1,
            Ok(false) => {}
            Err(e) if e.code() == ResultCode::GenerationError => {
                self.bucket().delete_gen_conflicts += 1
            }
            Err(e) => return Err(e),
        }
        Ok(())
    }
}

/// The cleanup's selection: profiles not updated for `STALE_MS`, or without audience data.
pub fn stale_or_empty() -> QueryPolicy {
    let stale = exp::ge(exp::since_update(), exp::int_val(STALE_MS as i64));
    let empty = exp::not(exp::bin_exists("audience"));
    QueryPolicy {
        filter_expression: Some(exp::or(vec![stale, empty])),
        ..QueryPolicy::default()
    }
}
