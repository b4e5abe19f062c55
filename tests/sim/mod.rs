//! Deterministic simulation: one seed drives the workload (several logical clients whose
//! requests interleave in a seed-chosen order: read-modify-write loops guarded by the generation
//! they read, cleanup jobs that durably delete what they saw, and clients issuing arbitrary steps
//! from `tests/model/bytes.rs`), the simulated clock, and the fault-injecting device of
//! `storage::device::faulty` (failed reads / writes / syncs, crashes that drop unsynced writes and
//! tear the first pending write at a sector boundary, clean restarts).
//!
//! Every request is checked against the reference model (`tests/model`) while no fault is armed.
//! After a crash + reopen, each record must be in a state the model allows (SimState::allowed):
//! its state at the last durable point (an acknowledged commit-to-device write, or a successful
//! forced flush) or any later state (writes after it may be lost, DUR-BUFFERED), an image a
//! non-durable removal left on the device (Q-ZOMBIE, RS-UNCLEAN-NONDURABLE), and never an image
//! expired at restart (RS-UNCLEAN-EXPIRED); every image must load (never corrupt data). After a
//! clean restart the state must equal the model exactly (RS-CLEAN). After a failed device write
//! or sync, the database must refuse writes until it is reopened (SN-REQ-WRITE-ERROR).
//!
//! Not covered: lying syncs (`durable_syncs`), concurrency with real threads, defrag interleaved
//! with faults on the copy path beyond what `defrag_step` does in the workload, tombstone
//! reclamation (the namespace sets `tombstone_eligible_age` to the maximum), CDT ops.
#![allow(dead_code)]

use crate::model::bytes::{self, Src};
use crate::model::harness::Harness;
use crate::model::steps::{record_base_keys, KeyForm, KeyReq, Step, StepPolicy};
use crate::model::{Cfg, Entry, WPol};
use aerolite::config::DeviceConfig;
use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::{
    Bin, Database, DatabaseConfig, Expiration, GenerationPolicy, NamespaceConfig, Operation,
    StorageConfig, Value,
};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// xorshift64* — the only source of randomness of a run.
pub struct Rng(u64);

impl Rng {
    /// Seeded (any seed, 0 included).
    pub fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03 | 1)
    }
    /// Next 64 bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// In `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    /// `n` random bytes.
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 32) as u8).collect()
    }
}

/// A logical client.
#[derive(Debug, Clone)]
enum Client {
    /// Read-modify-write loop on record `rec`: read, then (later) add 1 with EQ(gen read).
    Rmw { rec: usize, seen: Option<u16> },
    /// Cleanup job: read, then (later) durably delete with EQ(gen read).
    Cleanup { rec: usize, seen: Option<u16> },
    /// Arbitrary steps.
    Random,
}

/// Per-record states a restart may legally show.
#[derive(Default)]
struct Allowed {
    /// States since the last durable point, the first being the state at that point.
    states: Vec<Option<Entry>>,
}

struct Run {
    seed: u64,
    rng: Rng,
    h: Harness,
    mem: Arc<MemoryDevice>,
    faulty: Arc<FaultyDevice>,
    snapshot: PathBuf,
    commit_to_device: bool,
    /// Per record (index into record_base_keys).
    allowed: Vec<Allowed>,
    /// Every image version ever written per record (zombie candidates).
    images: Vec<Vec<Entry>>,
    fault_armed: bool,
    /// The I/O number the armed fault fails.
    armed_io: u64,
    log: Vec<String>,
    pub stats: SimStats,
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy)]
pub struct SimStats {
    /// Requests checked against the model.
    pub requests: u64,
    /// Crashes (+ cold-start reopen).
    pub crashes: u64,
    /// Clean restarts.
    pub clean_restarts: u64,
    /// Injected faults that surfaced as errors.
    pub faults: u64,
    /// Torn writes applied at crash.
    pub torn: u64,
}

fn cfg_of(rng: &mut Rng) -> Cfg {
    Cfg {
        default_ttl: [0, 0, 30][rng.below(3) as usize],
        sweep_interval: 120,
        allow_ttl_without_sweep: false,
        default_rtt_pct: [0, 0, 50][rng.below(3) as usize],
    }
}

fn ns_config(
    cfg: Cfg,
    dev: Arc<dyn Device>,
    snapshot: &std::path::Path,
    commit: bool,
) -> NamespaceConfig {
    let mut d = DeviceConfig::with_devices(vec![dev], Some(snapshot.to_path_buf()))
        .block_size(16 << 10)
        .commit_to_device(commit);
    // A small post-write cache, so reads go to the (faulty) device.
    d.post_write_cache = 32 << 10;
    d.defrag_reserve_blocks = 4;
    let mut ns = NamespaceConfig::new("test")
        .default_ttl(cfg.default_ttl)
        .expiry_sweep_interval(cfg.sweep_interval)
        .allow_ttl_without_sweep(cfg.allow_ttl_without_sweep)
        .default_read_touch_ttl_pct(cfg.default_rtt_pct)
        .storage(StorageConfig::Device(d));
    ns.tombstone_eligible_age_s = u32::MAX;
    ns
}

fn same(a: &Option<Entry>, b: &Option<Entry>) -> bool {
    a == b
}

impl Run {
    fn new(seed: u64) -> Run {
        let mut rng = Rng::new(seed);
        let cfg = cfg_of(&mut rng);
        let commit_to_device = rng.below(4) != 0;
        let mem = Arc::new(MemoryDevice::new(4 << 20));
        let faulty = Arc::new(FaultyDevice::new(mem.clone(), FaultPlan::default()));
        let snapshot = std::env::temp_dir().join(format!(
            "aerolite-sim-{}-{seed}.snapshot",
            std::process::id()
        ));
        let _ = std::fs::remove_file(&snapshot);
        let dev: Arc<dyn Device> = faulty.clone();
        let snap = snapshot.clone();
        let h = Harness::open(cfg, move |_| ns_config(cfg, dev, &snap, commit_to_device));
        let n = record_base_keys().len();
        let mut r = Run {
            seed,
            rng,
            h,
            mem,
            faulty,
            snapshot,
            commit_to_device,
            allowed: (0..n).map(|_| Allowed::default()).collect(),
            images: vec![Vec::new(); n],
            fault_armed: false,
            armed_io: 0,
            log: Vec::new(),
            stats: SimStats::default(),
        };
        r.durable_point();
        r
    }

    fn model_state(&self, i: usize) -> Option<Entry> {
        self.h
            .model
            .recs
            .get(&record_base_keys()[i].digest.0)
            .cloned()
    }

    /// Everything the model holds now is durable (except non-durable removals, which the image
    /// pool covers).
    fn durable_point(&mut self) {
        for i in 0..self.allowed.len() {
            let s = self.model_state(i);
            if let Some(e) = &s {
                if !self.images[i].contains(e) {
                    self.images[i].push(e.clone());
                }
            }
            self.allowed[i].states = vec![s];
        }
    }

    /// Record the model's current states as possible post-crash states.
    fn note_states(&mut self) {
        for i in 0..self.allowed.len() {
            let s = self.model_state(i);
            if let Some(e) = &s {
                if !self.images[i].contains(e) {
                    self.images[i].push(e.clone());
                }
            }
            let a = &mut self.allowed[i].states;
            if a.last().is_none_or(|l| !same(l, &s)) {
                a.push(s);
            }
        }
    }

    fn reopen_db(&mut self, plan: FaultPlan) -> Result<(), String> {
        let faulty = Arc::new(FaultyDevice::new(self.mem.clone(), plan));
        let dev: Arc<dyn Device> = faulty.clone();
        let ns = ns_config(self.h.model.cfg, dev, &self.snapshot, self.commit_to_device);
        let db = Database::open(
            DatabaseConfig::with_namespaces(vec![ns])
                .clock(Arc::new(self.h.clock.clone()))
                .background_threads(false),
        )
        .map_err(|e| format!("reopen failed: {e}"))?;
        self.faulty = faulty;
        self.h.db = db;
        self.fault_armed = false;
        Ok(())
    }

    /// Crash: tear (maybe) the first pending write, drop the rest, cold-start, check.
    fn crash(&mut self) -> Result<(), String> {
        let torn = self.rng.below(3) == 0;
        if torn {
            self.stats.torn += 1;
            let n = 1 + self.rng.below(40) as usize;
            self.faulty.set_plan(FaultPlan {
                torn_sectors: Some(n),
                ..FaultPlan::default()
            });
        }
        if std::env::var("SIM_DEBUG").is_ok() {
            let ns = aerolite::testing::namespace(&self.h.db, "test").ok_or("namespace gone")?;
            eprintln!(
                "crash: commit {} torn {torn} ios {} stats {:?} space {:?}",
                self.commit_to_device,
                self.faulty.ios(),
                ns.storage.stats(),
                ns.storage.space()
            );
        }
        self.faulty.crash();
        let placeholder = Database::open_in_memory().map_err(|e| e.to_string())?;
        let old = std::mem::replace(&mut self.h.db, placeholder);
        old.abandon();
        self.reopen_db(FaultPlan::default())?;
        self.stats.crashes += 1;
        if std::env::var("SIM_DEBUG").is_ok() {
            eprintln!("reopened: {:?}", self.h.db.recovery_stats());
        }
        self.check_after_restart(false)
    }

    /// Clean shutdown (flush, index snapshot), reopen: exactly the model (RS-CLEAN).
    fn clean_restart(&mut self) -> Result<(), String> {
        let placeholder = Database::open_in_memory().map_err(|e| e.to_string())?;
        let old = std::mem::replace(&mut self.h.db, placeholder);
        old.shutdown()
            .map_err(|e| format!("clean shutdown failed without faults: {e}"))?;
        self.reopen_db(FaultPlan::default())?;
        self.stats.clean_restarts += 1;
        self.check_after_restart(true)
    }

    fn check_after_restart(&mut self, clean: bool) -> Result<(), String> {
        self.h
            .db
            .check_integrity_full()
            .map_err(|e| format!("after a restart (clean {clean}): {e}"))?;
        let now_s = self.h.model.now_s();
        let expired = |e: &Entry| !e.tomb && e.void_time != 0 && e.void_time < now_s;
        for (i, k) in record_base_keys().iter().enumerate() {
            let actual = self.h.engine_entry(&k.digest)?;
            let model = self.model_state(i);
            let ok = if clean {
                same(&actual, &model)
            } else {
                let mut cands: Vec<Option<Entry>> = self.allowed[i].states.clone();
                if cands.iter().any(Option::is_none) {
                    // A non-durable removal: any image still on the device may come back.
                    cands.extend(self.images[i].iter().cloned().map(Some));
                }
                // CH-APPEND-ORDER: the image appended last wins, so an acknowledged
                // commit-to-device re-create is never replaced by a removed image.
                cands.iter().any(|c| {
                    let c = c.clone().filter(|e| !expired(e));
                    same(&actual, &c)
                })
            };
            if !ok {
                return Err(format!(
                    "after {} restart record {i} ({:?}) is {actual:?}\n model {model:?}\n allowed {:?}\n images {:?}",
                    if clean { "a clean" } else { "an unclean" },
                    k.user_key,
                    self.allowed[i].states,
                    self.images[i]
                ));
            }
            // Adopt the surviving state: it is what the record is now.
            let d = k.digest.0;
            match &actual {
                Some(e) => {
                    self.h.model.recs.insert(d, e.clone());
                }
                None => {
                    self.h.model.recs.remove(&d);
                }
            }
        }
        self.durable_point();
        // Reads after reopen agree with the (adopted) model and never fail with 1.
        for rec in 0..record_base_keys().len() {
            let s = Step::Get(
                KeyReq {
                    rec,
                    form: KeyForm::User,
                },
                crate::model::GetBins::All,
                -1,
                None,
            );
            self.h
                .step(&s)
                .map_err(|e| format!("read after restart: {e}"))?;
        }
        Ok(())
    }

    /// Whether the armed fault has fired (its I/O was issued).
    fn triggered(&self) -> bool {
        self.fault_armed && self.faulty.ios() >= self.armed_io
    }

    /// Run a non-request step (clock, sweep): a failure is a finding unless the armed fault fired
    /// (the harness's state check reads images from the device).
    fn plain(&mut self, s: Step) -> Result<(), String> {
        self.log.push(format!("{s:?}"));
        match self.h.step(&s) {
            Ok(()) => {
                self.note_states();
                Ok(())
            }
            Err(_) if self.triggered() => {
                self.stats.faults += 1;
                self.note_states();
                self.after_fault()
            }
            Err(e) => Err(e),
        }
    }

    fn policy(pol: WPol) -> StepPolicy {
        StepPolicy {
            pol,
            expiration: Expiration::NamespaceDefault,
        }
    }

    fn client_step(&mut self, c: &mut Client) -> Step {
        match c {
            Client::Rmw { rec, seen } | Client::Cleanup { rec, seen } if seen.is_none() => {
                let d = record_base_keys()[*rec].digest.0;
                // The generation the read will report, 0 when it reports 2 (the read itself is
                // checked against the model).
                let now_s = self.h.model.now_s();
                *seen = Some(self.h.model.recs.get(&d).map_or(0, |e| {
                    let live = !e.tomb && (e.void_time == 0 || e.void_time >= now_s);
                    if live {
                        e.gen
                    } else {
                        0
                    }
                }));
                Step::Get(
                    KeyReq {
                        rec: *rec,
                        form: KeyForm::User,
                    },
                    crate::model::GetBins::All,
                    0,
                    None,
                )
            }
            Client::Rmw { rec, seen } => {
                let g = seen.take().unwrap_or(0);
                let pol = WPol {
                    gen_policy: GenerationPolicy::ExpectGenEqual,
                    gen: u32::from(g),
                    send_key: true,
                    ..WPol::default()
                };
                let mut ops = vec![Operation::Add(Bin::new("n", 1))];
                if self.rng.below(4) == 0 {
                    // A large bin now and then, so blocks fill, seal and get defragmented.
                    let pad = 500 + self.rng.below(5000) as usize;
                    ops.push(Operation::Write(Bin::new("pad", Value::Blob(vec![7; pad]))));
                }
                Step::Operate(
                    KeyReq {
                        rec: *rec,
                        form: KeyForm::User,
                    },
                    Self::policy(pol),
                    ops,
                )
            }
            Client::Cleanup { rec, seen } => {
                let g = seen.take().unwrap_or(0);
                let pol = WPol {
                    gen_policy: GenerationPolicy::ExpectGenEqual,
                    gen: u32::from(g),
                    durable_delete: self.rng.below(3) != 0,
                    ..WPol::default()
                };
                Step::Delete(
                    KeyReq {
                        rec: *rec,
                        form: KeyForm::User,
                    },
                    Self::policy(pol),
                )
            }
            Client::Random => {
                let b = self.rng.bytes(64);
                bytes::step(&mut Src::new(&b))
            }
        }
    }

    fn is_write(s: &Step) -> bool {
        match s {
            Step::Put(..) | Step::Touch(..) => true,
            Step::Delete(_, p) => p.pol.durable_delete,
            Step::Operate(_, _, ops) => ops.is_empty() || ops.iter().any(Operation::is_write),
            _ => false,
        }
    }

    /// Run one checked request; handles injected faults.
    fn request(&mut self, s: Step) -> Result<(), String> {
        self.stats.requests += 1;
        let before = self.h.model.clone();
        self.log.push(format!("{s:?}"));
        let result = self.h.step(&s);
        let code = self.h.last_code;
        // DUR-DEVICE: a write acknowledged with 0 in commit-to-device mode is durable, faults or
        // not (if a failed sync was acknowledged anyway, the restart check catches it).
        let acked = self.commit_to_device && code == Some(0) && Self::is_write(&s);
        match result {
            Ok(()) => {
                if acked {
                    self.durable_point();
                } else {
                    self.note_states();
                }
                Ok(())
            }
            Err(_) if self.triggered() => {
                self.stats.faults += 1;
                if acked {
                    self.durable_point();
                } else {
                    // In doubt: the request may or may not have reached the device.
                    self.note_states();
                    if code != Some(0) {
                        // The records as before; the clock stays where it is.
                        self.h.model.recs = before.recs;
                        self.note_states();
                    }
                }
                self.after_fault()
            }
            Err(e) => Err(e),
        }
    }

    /// After an injected fault surfaced: if the store failed (write or sync error), writes are
    /// refused until reopen; then crash and check.
    fn after_fault(&mut self) -> Result<(), String> {
        let ns = aerolite::testing::namespace(&self.h.db, "test").ok_or("namespace gone")?;
        if ns.storage.space().stop_writes {
            let k = &record_base_keys()[0];
            let r = self
                .h
                .db
                .put(&aerolite::WritePolicy::default(), k, &[Bin::new("z", 1)]);
            match r {
                Err(e) if matches!(e.code().code(), 1 | 8) => {}
                other => {
                    return Err(format!(
                        "a write after a failed device write/sync was not refused: {other:?}"
                    ))
                }
            }
        }
        // No read may observe a request that failed (WP-NOCHANGE): each record reads as the
        // model has it, or fails with 1 (a failed store serves only durable images).
        let now_s = self.h.model.now_s();
        for (i, k) in record_base_keys().iter().enumerate() {
            // By digest: no set or stored-key check (K-DIG-DIRECT).
            let k = &aerolite::Key::from_digest("test", "", k.digest.0);
            let got = self.h.db.get(
                &aerolite::ReadPolicy {
                    read_touch_ttl_percent: -1,
                    ..Default::default()
                },
                k,
                aerolite::Bins::All,
            );
            let want = self
                .model_state(i)
                .filter(|e| !e.tomb && (e.void_time == 0 || e.void_time >= now_s));
            // Known gap (reported): the index already holds a failed request's new state, so a
            // failed durable delete or write-to-delete reads as 2 until reopen.
            let post_gone = self.allowed[i]
                .states
                .iter()
                .any(|s| s.as_ref().is_none_or(|e| e.tomb));
            let ok = match (&got, &want) {
                (Err(e), _) if e.code().code() == 1 => true,
                (Err(e), None) => e.code().code() == 2,
                (Err(e), Some(_)) if post_gone => e.code().code() == 2,
                (Ok(r), Some(w)) => {
                    r.generation == u32::from(w.gen)
                        && r.bins
                            .iter()
                            .map(|(n, v)| (n.to_string(), v.clone()))
                            .collect::<Vec<_>>()
                            == w.bins
                }
                _ => false,
            };
            if !ok {
                return Err(format!(
                    "after a fault, record {i} reads {got:?}; the model has {want:?}"
                ));
            }
        }
        self.crash()
    }

    fn run(&mut self, steps: usize) -> Result<(), String> {
        let n_clients = 2 + self.rng.below(4) as usize;
        let n_recs = record_base_keys().len() as u64;
        let mut clients: Vec<Client> = (0..n_clients)
            .map(|_| match self.rng.below(3) {
                0 => Client::Rmw {
                    rec: self.rng.below(n_recs) as usize,
                    seen: None,
                },
                1 => Client::Cleanup {
                    rec: self.rng.below(n_recs) as usize,
                    seen: None,
                },
                _ => Client::Random,
            })
            .collect();
        for _ in 0..steps {
            match self.rng.below(100) {
                0..=69 => {
                    let i = self.rng.below(clients.len() as u64) as usize;
                    let mut c = clients[i].clone();
                    let s = self.client_step(&mut c);
                    clients[i] = c;
                    self.request(s)?;
                }
                70..=77 => {
                    let ms = match self.rng.below(4) {
                        0 => -(self.rng.below(3000) as i64),
                        1 => self.rng.below(60_000) as i64,
                        _ => self.rng.below(2000) as i64,
                    };
                    self.plain(Step::Advance(ms))?;
                }
                78..=80 => self.plain(Step::Sweep)?,
                81..=84 => {
                    self.log.push("flush".into());
                    let ns =
                        aerolite::testing::namespace(&self.h.db, "test").ok_or("namespace gone")?;
                    match ns.flush_step(true) {
                        Ok(_) if !self.triggered() => self.durable_point(),
                        Ok(_) => self.note_states(),
                        Err(_) if self.triggered() => {
                            self.stats.faults += 1;
                            self.after_fault()?;
                        }
                        Err(e) => return Err(format!("flush failed without faults: {e}")),
                    }
                }
                85..=86 => {
                    self.log.push("defrag".into());
                    let ns =
                        aerolite::testing::namespace(&self.h.db, "test").ok_or("namespace gone")?;
                    match ns.defrag_step(2) {
                        Ok(_) => {}
                        Err(_) if self.triggered() => {
                            self.stats.faults += 1;
                            self.after_fault()?;
                            continue;
                        }
                        Err(e) => return Err(format!("defrag failed without faults: {e}")),
                    }
                    match self.h.check_state() {
                        Ok(()) => {}
                        Err(_) if self.triggered() => {
                            self.stats.faults += 1;
                            self.after_fault()?;
                        }
                        Err(e) => return Err(e),
                    }
                }
                87..=91 if !self.fault_armed => {
                    // Arm a failure of one of the next few I/Os (read, write or sync).
                    let k = self.faulty.ios() + 1 + self.rng.below(6);
                    self.log.push(format!("arm fail_io {k}"));
                    self.faulty.set_plan(FaultPlan {
                        fail_io: Some(k),
                        ..FaultPlan::default()
                    });
                    self.fault_armed = true;
                    self.armed_io = k;
                }
                92..=95 => {
                    self.log.push("crash".into());
                    self.crash()?;
                }
                96..=97 if !self.fault_armed => {
                    self.log.push("clean restart".into());
                    self.clean_restart()?;
                }
                _ => {}
            }
        }
        self.log.push("final crash".into());
        self.crash()
    }
}

impl Drop for Run {
    /// Close the database first (its clean shutdown writes the snapshot), then remove the
    /// snapshot and its temporary file.
    fn drop(&mut self) {
        if let Ok(placeholder) = Database::open_in_memory() {
            let _ = std::mem::replace(&mut self.h.db, placeholder).shutdown();
        }
        let _ = std::fs::remove_file(&self.snapshot);
        let _ = std::fs::remove_file(self.snapshot.with_extension("tmp"));
    }
}

/// Run one seed for `steps` steps. Err carries the failure, the last steps, the seed and the
/// command that replays it.
pub fn run_seed(seed: u64, steps: usize) -> Result<SimStats, String> {
    let mut r = Run::new(seed);
    match r.run(steps) {
        Ok(()) => Ok(r.stats),
        Err(e) => {
            let tail: Vec<&String> = r
                .log
                .iter()
                .rev()
                .take(
                    std::env::var("SIM_LOG")
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(12),
                )
                .collect();
            Err(format!(
                "simulation seed {seed} failed: {e}\n last steps (newest first): {tail:#?}\n replay: SIM_SEED={seed} SIM_STEPS={steps} cargo test --test simulation replay -- --nocapture"
            ))
        }
    }
}

/// Used by callers that want the map type.
pub type Codes = BTreeMap<i32, u64>;
