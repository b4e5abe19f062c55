//! Seed 000 through the official Rust client (`aerospike` 3.x): writers do read-modify-write on
//! profiles with `Update` + `ExpectGenEqual(G)` while a cleanup job, every `period_ms`, scans with
//! a filter expression for stale or empty profiles (`since_update() >= stale_ms or not
//! bin_exists("audience")`) and durably deletes each one with `ExpectGenEqual` at the generation
//! the scan returned. The same story as `aerolite scenario gen-race` (src/cli/scenario_gen_race/
//! cleanup.rs), but with real tasks, real time and a real server, so the interleaving follows the
//! scheduler instead of a seed.
//!
//! What it shows: bursts of errors aligned with the cleanup cycles — writes answered 3
//! (GenerationError: the record was deleted, or another writer wrote, after our read) and re-reads
//! answered 2 (KeyNotFound: the cleanup deleted it) — and the retry that loses nothing
//! (docs/semantics.md SA-RETRY-1 … 4): on 3 re-read; on 2 re-create with `ExpectGenEqual(0)`.
//!
//! The check (exactly, not statistically): every update is applied once, and
//! `sum(audience of live profiles) + sum(audience of the records the cleanup deleted)` equals the
//! number of applied updates — no update is lost, none counted twice, and a gen-checked delete
//! never removed a profile a writer had just updated (SA-11).

use aerospike::expressions::{bin_exists, ge, int_val, not, or, since_update};
use aerospike::{
    as_bin, AdminPolicy, Bins, Client, GenerationPolicy, Key, PartitionFilter, QueryPolicy,
    ReadPolicy, RecordExistsAction, Statement, Value, WritePolicy,
};
use futures::stream::StreamExt;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Result codes the seed is about.
const KEY_NOT_FOUND: i32 = 2;
const GENERATION_ERROR: i32 = 3;
/// SA-RETRY-4: a logical update gives up after this many write attempts.
const MAX_ATTEMPTS: u32 = 16;
/// One profile in this many starts empty (no "audience" bin), as in the embedded scenario.
const EMPTY_ONE_IN: u64 = 4;
/// One event in this many goes to any profile instead of the writer's own shard.
const CROSS_SHARD_ONE_IN: u64 = 100;

/// Sizes of one run. `Default` is the embedded scenario's shape (200 profiles, 16 writers, 0–20 ms
/// between a read and its write, stale after 100 ms, a cleanup cycle every second).
#[derive(Debug, Clone)]
pub struct RaceConfig {
    pub namespace: String,
    pub set: String,
    pub profiles: u64,
    pub writers: u64,
    pub duration_ms: u64,
    pub period_ms: u64,
    pub stale_ms: i64,
    pub think_ms_max: u64,
    pub seed: u64,
}

impl Default for RaceConfig {
    fn default() -> Self {
        RaceConfig {
            namespace: "test".into(),
            set: "profiles".into(),
            profiles: 200,
            writers: 16,
            duration_ms: 5000,
            period_ms: 1000,
            stale_ms: 100,
            think_ms_max: 20,
            seed: 1,
        }
    }
}

/// What happened in half a cleanup period.
#[derive(Debug, Clone, Default)]
pub struct Bucket {
    pub cycle: Option<u64>,
    pub deleted: u64,
    /// Cleanup deletes answered 3: a writer updated the profile after the scan (SA-11).
    pub delete_refused: u64,
    pub write_gen_errors: u64,
    pub read_not_found: u64,
}

/// The run's totals.
#[derive(Debug, Clone, Default)]
pub struct RaceReport {
    pub updates: u64,
    pub applied: u64,
    pub gave_up: u64,
    /// Updates whose first write answered 3: a same-generation resend drops every one of them.
    pub first_write_refused: u64,
    pub recreated: u64,
    pub cycles: u64,
    pub deleted_audience: i64,
    pub live_audience: i64,
    pub buckets: BTreeMap<u64, Bucket>,
}

impl RaceReport {
    /// The exactly-once check; `Err` says what broke.
    pub fn check(&self) -> Result<(), String> {
        if self.gave_up != 0 || self.applied != self.updates {
            return Err(format!(
                "{} of {} updates not applied ({} gave up after {MAX_ATTEMPTS} attempts)",
                self.updates - self.applied,
                self.updates,
                self.gave_up
            ));
        }
        let counted = self.live_audience + self.deleted_audience;
        if counted != self.applied as i64 {
            return Err(format!(
                "audience counts {counted} (live {} + deleted {}) but {} updates were applied",
                self.live_audience, self.deleted_audience, self.applied
            ));
        }
        Ok(())
    }

    /// Print the timeline and the totals.
    pub fn print(&self, cfg: &RaceConfig) {
        println!(
            "seed 000: {} writers, {} profiles, {} ms, cleanup every {} ms (stale after {} ms)",
            cfg.writers, cfg.profiles, cfg.duration_ms, cfg.period_ms, cfg.stale_ms
        );
        println!("  t(ms)  cycle  deleted  refused(3)  write 3s  re-read 2s");
        let half = (cfg.period_ms / 2).max(1);
        for (b, x) in &self.buckets {
            let cycle = x.cycle.map_or("-".to_string(), |c| c.to_string());
            println!(
                "  {:>5}  {:>5}  {:>7}  {:>10}  {:>8}  {:>10}",
                b * half,
                cycle,
                x.deleted,
                x.delete_refused,
                x.write_gen_errors,
                x.read_not_found
            );
        }
        println!(
            "  updates {}, applied {}, gave up {}; re-created after a delete {}; \
             a same-generation resend would have dropped {}",
            self.updates, self.applied, self.gave_up, self.recreated, self.first_write_refused
        );
        println!(
            "  audience: live {} + deleted by the cleanup {} = applied {}",
            self.live_audience, self.deleted_audience, self.applied
        );
    }
}

/// Shared counters of one run.
struct Shared {
    start: Instant,
    half_period_ms: u64,
    report: Mutex<RaceReport>,
}

impl Shared {
    fn bucket(&self, f: impl FnOnce(&mut Bucket)) {
        let b = self.start.elapsed().as_millis() as u64 / self.half_period_ms;
        if let Ok(mut r) = self.report.lock() {
            f(r.buckets.entry(b).or_default());
        }
    }

    fn total(&self, f: impl FnOnce(&mut RaceReport)) {
        if let Ok(mut r) = self.report.lock() {
            f(&mut r);
        }
    }
}

/// A small deterministic generator (xorshift64*), so the example needs no extra crate.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n.max(1)
    }
}

fn key(cfg: &RaceConfig, i: u64) -> Result<Key, String> {
    Key::new(
        cfg.namespace.clone(),
        cfg.set.clone(),
        Value::from(i as i64),
    )
    .map_err(|e| format!("key {i}: {e}"))
}

fn audience(v: Option<&Value>) -> i64 {
    match v {
        Some(Value::Int(n)) => *n,
        _ => 0,
    }
}

/// Empty the set (the counts must start from zero; the set is the example's own), then create
/// the profiles: three in four with `audience = 0`, the rest empty.
async fn load(client: &Client, cfg: &RaceConfig) -> Result<(), String> {
    client
        .truncate(&AdminPolicy::default(), &cfg.namespace, &cfg.set, 0)
        .await
        .map_err(|e| format!("truncating {}.{}: {e}", cfg.namespace, cfg.set))?;
    // A truncate removes records last updated before the server's clock at the truncate; step
    // past that instant so no profile written below shares it.
    tokio::time::sleep(Duration::from_millis(20)).await;
    let w = WritePolicy {
        record_exists_action: RecordExistsAction::Replace,
        ..WritePolicy::default()
    };
    for i in 0..cfg.profiles {
        let bins = if i % EMPTY_ONE_IN == 0 {
            vec![as_bin!("profile", "new")]
        } else {
            vec![as_bin!("audience", 0)]
        };
        client
            .put(&w, &key(cfg, i)?, &bins)
            .await
            .map_err(|e| format!("loading profile {i}: {e}"))?;
    }
    Ok(())
}

/// One logical update: add 1 to "audience" with the SA-RETRY loop. Returns whether it applied.
async fn update(client: &Client, sh: &Shared, k: &Key, think: Duration) -> Result<bool, String> {
    for attempt in 0..MAX_ATTEMPTS {
        let (generation, current) = match client.get(&ReadPolicy::default(), k, Bins::All).await {
            Ok(rec) => (rec.generation, audience(rec.bins.get("audience"))),
            // SA-RETRY-2: 2 on the re-read = the cleanup deleted it; re-create with EQ(0).
            Err(e) if e.result_code() == KEY_NOT_FOUND => {
                sh.bucket(|b| b.read_not_found += 1);
                sh.total(|r| r.recreated += 1);
                (0, 0)
            }
            Err(e) => return Err(format!("read of {k}: {e}")),
        };
        tokio::time::sleep(think).await; // modify + network: the window the cleanup races into
        let policy = WritePolicy {
            record_exists_action: RecordExistsAction::Update,
            generation_policy: GenerationPolicy::ExpectGenEqual,
            generation,
            ..WritePolicy::default()
        };
        match client
            .put(&policy, k, &[as_bin!("audience", current + 1)])
            .await
        {
            Ok(()) => return Ok(true),
            // SA-RETRY-1: 3 = "the generation is not G" (deleted, expired or written): re-read.
            Err(e) if e.result_code() == GENERATION_ERROR => {
                sh.bucket(|b| b.write_gen_errors += 1);
                if attempt == 0 {
                    sh.total(|r| r.first_write_refused += 1);
                }
            }
            Err(e) => return Err(format!("write of {k}: {e}")),
        }
    }
    Ok(false)
}

async fn writer(
    client: Arc<Client>,
    sh: Arc<Shared>,
    cfg: RaceConfig,
    w: u64,
) -> Result<(), String> {
    let mut rng = Rng::new(cfg.seed.wrapping_add(w + 1));
    let deadline = sh.start + Duration::from_millis(cfg.duration_ms);
    let own = (cfg.profiles / cfg.writers).max(1);
    while Instant::now() < deadline {
        let i = if rng.below(CROSS_SHARD_ONE_IN) == 0 {
            rng.below(cfg.profiles)
        } else {
            (rng.below(own) * cfg.writers + w) % cfg.profiles
        };
        let think = Duration::from_millis(rng.below(cfg.think_ms_max + 1));
        let applied = update(&client, &sh, &key(&cfg, i)?, think).await?;
        sh.total(|r| {
            r.updates += 1;
            r.applied += u64::from(applied);
            r.gave_up += u64::from(!applied);
        });
    }
    Ok(())
}

/// One cleanup cycle: scan for stale or empty profiles, durably delete each unless it changed.
async fn cleanup_cycle(client: &Client, sh: &Shared, cfg: &RaceConfig) -> Result<(), String> {
    let stale = ge(since_update(), int_val(cfg.stale_ms));
    let mut policy = QueryPolicy::default();
    policy.base_policy.filter_expression = Some(or(vec![stale, not(bin_exists("audience"))]));
    let stmt = Statement::new(cfg.namespace.clone(), cfg.set.clone(), Bins::All);
    let rs = client
        .query(&policy, PartitionFilter::all(), stmt)
        .await
        .map_err(|e| format!("cleanup scan: {e}"))?;
    let mut stream = rs.into_stream();
    while let Some(item) = stream.next().await {
        let rec = item.map_err(|e| format!("cleanup scan record: {e}"))?;
        let k = rec
            .key
            .clone()
            .ok_or("a scanned record came without its key")?;
        let delete = WritePolicy {
            generation_policy: GenerationPolicy::ExpectGenEqual,
            generation: rec.generation,
            durable_delete: true,
            ..WritePolicy::default()
        };
        match client.delete(&delete, &k).await {
            Ok(true) => {
                let n = audience(rec.bins.get("audience"));
                sh.bucket(|b| b.deleted += 1);
                sh.total(|r| r.deleted_audience += n);
            }
            Ok(false) => {} // already gone
            // SA-11: a writer updated it after the scan; fresh data is not deleted.
            Err(e) if e.result_code() == GENERATION_ERROR => sh.bucket(|b| b.delete_refused += 1),
            Err(e) => return Err(format!("cleanup delete of {k}: {e}")),
        }
    }
    Ok(())
}

/// Sum of "audience" over the live profiles (a scan without filter).
async fn live_audience(client: &Client, cfg: &RaceConfig) -> Result<i64, String> {
    let stmt = Statement::new(cfg.namespace.clone(), cfg.set.clone(), Bins::All);
    let rs = client
        .query(&QueryPolicy::default(), PartitionFilter::all(), stmt)
        .await
        .map_err(|e| format!("final scan: {e}"))?;
    let mut stream = rs.into_stream();
    let mut sum = 0;
    while let Some(item) = stream.next().await {
        sum += audience(
            item.map_err(|e| format!("final scan record: {e}"))?
                .bins
                .get("audience"),
        );
    }
    Ok(sum)
}

/// Run the seed: load, race writers against periodic cleanup cycles, then count.
pub async fn run(client: Arc<Client>, cfg: &RaceConfig) -> Result<RaceReport, String> {
    if cfg.writers == 0 || cfg.profiles == 0 || cfg.period_ms < 2 {
        return Err("need at least one writer, one profile and a period of 2 ms".into());
    }
    load(&client, cfg).await?;
    let sh = Arc::new(Shared {
        start: Instant::now(),
        half_period_ms: cfg.period_ms / 2,
        report: Mutex::new(RaceReport::default()),
    });
    let tasks: Vec<_> = (0..cfg.writers)
        .map(|w| tokio::spawn(writer(client.clone(), sh.clone(), cfg.clone(), w)))
        .collect();
    let mut cycle = 0;
    loop {
        cycle += 1;
        let at = sh.start + Duration::from_millis(cycle * cfg.period_ms);
        if at >= sh.start + Duration::from_millis(cfg.duration_ms) {
            break;
        }
        tokio::time::sleep_until(at.into()).await;
        sh.bucket(|b| b.cycle = Some(cycle));
        cleanup_cycle(&client, &sh, cfg).await?;
        sh.total(|r| r.cycles = cycle);
    }
    for t in tasks {
        t.await.map_err(|e| format!("writer task: {e}"))??;
    }
    let live = live_audience(&client, cfg).await?;
    let mut report = sh
        .report
        .lock()
        .map_err(|_| "report lock poisoned")?
        .clone();
    report.live_audience = live;
    Ok(report)
}
