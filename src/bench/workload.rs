//! The closed-loop workloads: `load` and the YCSB-like mixes A, B, C and F. Each of `threads`
//! workers issues one operation after another against a [`BenchTarget`] until the phase's
//! duration or operation budget is used up, timing every operation into its own histograms.
//!
//! Invariants: a phase never issues more than its budget (`load`: exactly `records` inserts, each
//! record number once; otherwise `ops` if set); every issued operation is counted exactly once,
//! either in a latency histogram or in `errors`; workers stop within one operation of the deadline.

use crate::bench::histogram::LatencyHistogram;
use crate::bench::keys::{Distribution, KeyChooser, Zipfian};
use crate::bench::target::BenchTarget;
use crate::rng::Rng;
use indicatif::ProgressBar;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// Insert records `0..records` once each.
    Load,
    /// YCSB A: 50 % reads, 50 % updates.
    YcsbA,
    /// YCSB B: 95 % reads, 5 % updates.
    YcsbB,
    /// YCSB C: reads only.
    YcsbC,
    /// YCSB F: 50 % reads, 50 % read-modify-write (generation-checked, retried).
    YcsbF,
    /// Updates only (sustained overwrites: write bandwidth, defragmentation, group commit).
    Update,
    /// ACT: fixed-rate reads and writes of 1536-byte records (see `act.rs`).
    Act,
    /// Full scans, each thread its share of the partitions (ops = records, `multi.rs`).
    Scan,
    /// Batch reads of 64 keys (ops = batches, `multi.rs`).
    Batch,
}

impl Workload {
    /// Every workload, in the order of the default mixed run.
    pub const ALL: [Workload; 9] = [
        Workload::Load,
        Workload::YcsbA,
        Workload::YcsbB,
        Workload::YcsbC,
        Workload::YcsbF,
        Workload::Update,
        Workload::Act,
        Workload::Scan,
        Workload::Batch,
    ];

    /// Name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            Workload::Load => "load",
            Workload::YcsbA => "ycsb-a",
            Workload::YcsbB => "ycsb-b",
            Workload::YcsbC => "ycsb-c",
            Workload::YcsbF => "ycsb-f",
            Workload::Update => "update",
            Workload::Act => "act",
            Workload::Scan => "scan",
            Workload::Batch => "batch",
        }
    }

    /// Parse a name.
    pub fn parse(s: &str) -> Option<Workload> {
        Workload::ALL.into_iter().find(|w| w.name() == s)
    }

    /// Fraction of operations that are reads (the rest update or read-modify-write).
    pub fn read_fraction(self) -> f64 {
        match self {
            Workload::Load | Workload::Update => 0.0,
            Workload::YcsbA | Workload::YcsbF => 0.5,
            Workload::YcsbB => 0.95,
            Workload::YcsbC | Workload::Scan | Workload::Batch => 1.0,
            Workload::Act => 2.0 / 3.0,
        }
    }
}

/// What one closed-loop phase runs.
#[derive(Debug, Clone)]
pub struct PhaseSpec {
    /// Workload (not `Act`, which has its own runner).
    pub workload: Workload,
    /// Worker threads (≥ 1).
    pub threads: usize,
    /// Records in the data set.
    pub records: u64,
    /// Value bytes per record.
    pub value_size: usize,
    /// Key distribution.
    pub distribution: Distribution,
    /// Stop after this long (ignored by `load`).
    pub duration: Option<Duration>,
    /// Stop after this many operations (ignored by `load`).
    pub ops: Option<u64>,
    /// Seed of every random choice.
    pub seed: u64,
}

/// Raw results of one phase.
#[derive(Debug, Clone, Default)]
pub struct PhaseResult {
    /// Operations issued (successful and failed).
    pub ops: u64,
    /// Failed operations.
    pub errors: u64,
    /// The first failure's text.
    pub first_error: Option<String>,
    /// Wall time of the phase.
    pub elapsed: Duration,
    /// Read latencies.
    pub reads: LatencyHistogram,
    /// Insert / update / read-modify-write latencies.
    pub writes: LatencyHistogram,
    /// Retries of read-modify-writes after a conflicting writer.
    pub rmw_retries: u64,
    /// Value bytes read.
    pub bytes_read: u64,
    /// Value bytes written.
    pub bytes_written: u64,
}

impl PhaseResult {
    pub(crate) fn merge(&mut self, o: PhaseResult) {
        self.ops += o.ops;
        self.errors += o.errors;
        if self.first_error.is_none() {
            self.first_error = o.first_error;
        }
        self.reads.merge(&o.reads);
        self.writes.merge(&o.writes);
        self.rmw_retries += o.rmw_retries;
        self.bytes_read += o.bytes_read;
        self.bytes_written += o.bytes_written;
    }

    pub(crate) fn fail(&mut self, e: String) {
        self.errors += 1;
        if self.first_error.is_none() {
            self.first_error = Some(e);
        }
    }
}

/// A value of `size` random bytes from `rng`.
pub fn random_value(rng: &mut Rng, size: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(size + 8);
    while v.len() < size {
        v.extend_from_slice(&rng.next_u64().to_le_bytes());
    }
    v.truncate(size);
    v
}

/// Make each written value differ from the last one (first 8 bytes = a counter).
pub(crate) fn stamp(value: &mut [u8], n: u64) {
    for (d, s) in value.iter_mut().zip(n.to_le_bytes()) {
        *d = s;
    }
}

/// Operations a worker claims from a shared budget at once (keeps the counter off the hot path).
const CLAIM: u64 = 64;

/// Run one phase; `bar` shows progress (pass `ProgressBar::hidden()` for none).
pub fn run_phase(target: &dyn BenchTarget, spec: &PhaseSpec, bar: &ProgressBar) -> PhaseResult {
    assert!(spec.workload != Workload::Act, "ACT has its own runner");
    let threads = spec.threads.max(1);
    let load = spec.workload == Workload::Load;
    let budget = if load { Some(spec.records) } else { spec.ops };
    let duration = if load { None } else { spec.duration };
    let next = AtomicU64::new(0);
    let done = AtomicU64::new(0);
    let stop = AtomicBool::new(false);
    let zipf =
        (spec.distribution == Distribution::Zipfian && !load).then(|| Zipfian::new(spec.records));
    let merged = Mutex::new(PhaseResult::default());
    match (budget, duration) {
        (Some(n), _) => bar.set_length(n),
        (None, Some(d)) => bar.set_length(d.as_millis() as u64),
        (None, None) => bar.set_length(0),
    }
    bar.set_position(0);
    let start = Instant::now();
    // When the last worker returned: the phase's end (the progress loop below notices it only at
    // its next tick, up to 100 ms later).
    let ended = Mutex::new(start);
    std::thread::scope(|s| {
        for t in 0..threads {
            let (next, done, stop, merged, zipf) = (&next, &done, &stop, &merged, zipf.as_ref());
            let ended = &ended;
            s.spawn(move || {
                let seed = spec.seed ^ (t as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                let mut keys = KeyChooser::new(spec.distribution, spec.records, seed, zipf);
                let r = if matches!(spec.workload, Workload::Scan | Workload::Batch) {
                    crate::bench::multi::multi_worker(target, spec, t, &mut keys, done, stop)
                } else {
                    worker(target, spec, &mut keys, budget, next, done, stop)
                };
                merged.lock().expect("result mutex poisoned").merge(r);
                let now = Instant::now();
                let mut e = ended.lock().expect("end mutex poisoned");
                *e = (*e).max(now);
            });
        }
        // Progress and the deadline, from the calling thread.
        let mut last = (Instant::now(), 0u64);
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let n = done.load(Ordering::Relaxed);
            let now = Instant::now();
            let elapsed = now - start;
            if let Some(d) = duration {
                if elapsed >= d {
                    stop.store(true, Ordering::Relaxed);
                }
            }
            let dt = (now - last.0).as_secs_f64();
            if dt >= 0.5 {
                let rate = (n - last.1) as f64 / dt;
                bar.set_message(format!("{} {:>10.0} ops/s", spec.workload.name(), rate));
                last = (now, n);
            }
            match (budget, duration) {
                (Some(_), _) => bar.set_position(n),
                (None, Some(_)) => bar.set_position(elapsed.as_millis() as u64),
                _ => {}
            }
            if stop.load(Ordering::Relaxed) || budget.is_some_and(|b| n >= b) {
                stop.store(true, Ordering::Relaxed);
                break;
            }
        }
    });
    let mut r = merged.into_inner().expect("result mutex poisoned");
    r.elapsed = ended.into_inner().expect("end mutex poisoned") - start;
    r
}

fn worker(
    target: &dyn BenchTarget,
    spec: &PhaseSpec,
    keys: &mut KeyChooser,
    budget: Option<u64>,
    next: &AtomicU64,
    done: &AtomicU64,
    stop: &AtomicBool,
) -> PhaseResult {
    let mut r = PhaseResult::default();
    let mut value = random_value(keys.rng(), spec.value_size);
    let (mut claimed, mut claim_end) = (0u64, 0u64);
    let mut unreported = 0u64;
    let read_fraction = spec.workload.read_fraction();
    loop {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if let Some(b) = budget {
            if claimed == claim_end {
                claimed = next.fetch_add(CLAIM, Ordering::Relaxed);
                if claimed >= b {
                    break;
                }
                claim_end = (claimed + CLAIM).min(b);
            }
        }
        let op_index = claimed;
        claimed += 1;
        r.ops += 1;
        stamp(&mut value, r.ops);
        if spec.workload == Workload::Load {
            let t0 = Instant::now();
            match target.insert(op_index, &value) {
                Ok(()) => {
                    r.writes.record(t0.elapsed());
                    r.bytes_written += value.len() as u64;
                }
                Err(e) => r.fail(e),
            }
        } else {
            let k = keys.next_key();
            let is_read = read_fraction > 0.0 && keys.rng().chance(read_fraction);
            let t0 = Instant::now();
            if is_read {
                match target.read(k) {
                    Ok(n) => {
                        r.reads.record(t0.elapsed());
                        r.bytes_read += n as u64;
                    }
                    Err(e) => r.fail(e),
                }
            } else if spec.workload == Workload::YcsbF {
                let stamp_n = r.ops;
                let mut read_len = 0usize;
                let outcome = target.read_modify_write(k, &mut |v: &mut Vec<u8>| {
                    read_len = v.len();
                    stamp(v, stamp_n);
                });
                match outcome {
                    Ok(retries) => {
                        r.writes.record(t0.elapsed());
                        r.rmw_retries += u64::from(retries);
                        r.bytes_read += read_len as u64;
                        r.bytes_written += read_len as u64;
                    }
                    Err(e) => r.fail(e),
                }
            } else {
                match target.update(k, &value) {
                    Ok(()) => {
                        r.writes.record(t0.elapsed());
                        r.bytes_written += value.len() as u64;
                    }
                    Err(e) => r.fail(e),
                }
            }
        }
        unreported += 1;
        if unreported == CLAIM {
            done.fetch_add(unreported, Ordering::Relaxed);
            unreported = 0;
        }
    }
    done.fetch_add(unreported, Ordering::Relaxed);
    r
}

#[cfg(test)]
mod tests;
