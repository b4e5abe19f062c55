//! The ACT-style workload (storage-notes.md §9, SN-REQ-ACT-MODE): a fixed request rate of
//! N × (2000 reads/s + 1000 writes/s) of 1536-byte records against the engine's real write path,
//! read and write latencies counted per time slice in ACT's buckets (> 1, 2, 4, 8, 16, 32, 64 ms),
//! and ACT's verdict:
//!
//! - performance test: in every slice fewer than 5 % of reads take > 1 ms, fewer than 1 % > 8 ms
//!   and fewer than 0.1 % > 64 ms;
//! - stress test: the run never falls more than 10 s behind its schedule.
//!
//! Latency is measured from each request's *scheduled* time, as ACT measures from the time a
//! request is queued, so a stalled engine shows up as latency instead of as a lower request rate
//! (no coordinated omission). Request `k` of the run is due at `k / (3000 N)` s; every third
//! request (`k % 3 == 2`) is a write; worker `t` of `T` serves the requests with `k % T == t`.

use crate::bench::keys::KeyChooser;
use crate::bench::target::BenchTarget;
use crate::bench::workload::{random_value, stamp, PhaseResult};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// ACT's record size.
pub const ACT_RECORD_BYTES: usize = 1536;
/// Reads per second at 1x.
pub const READS_PER_S_1X: f64 = 2000.0;
/// Writes per second at 1x.
pub const WRITES_PER_S_1X: f64 = 1000.0;
/// Bucket thresholds in milliseconds.
pub const BUCKETS_MS: [u64; 7] = [1, 2, 4, 8, 16, 32, 64];
/// The stress test fails once the run is this far behind its schedule.
pub const MAX_LAG: Duration = Duration::from_secs(10);

/// What an ACT run does.
#[derive(Debug, Clone)]
pub struct ActSpec {
    /// The load multiple N (1.0 = 2000 reads/s + 1000 writes/s).
    pub multiple: f64,
    /// Worker threads (the number of requests in flight at most).
    pub threads: usize,
    /// Records to read and overwrite (loaded before).
    pub records: u64,
    /// Value bytes per write.
    pub value_size: usize,
    /// Length of the run.
    pub duration: Duration,
    /// Length of one reporting slice (ACT: one hour; shorter for quick runs).
    pub slice: Duration,
    /// Seed.
    pub seed: u64,
}

/// Per-slice counts: operations and how many were slower than each of [`BUCKETS_MS`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SliceCounts {
    /// Reads in the slice.
    pub reads: u64,
    /// Reads slower than each bucket threshold.
    pub reads_over: [u64; 7],
    /// Writes in the slice.
    pub writes: u64,
    /// Writes slower than each bucket threshold.
    pub writes_over: [u64; 7],
}

impl SliceCounts {
    fn add(&mut self, o: &SliceCounts) {
        self.reads += o.reads;
        self.writes += o.writes;
        for i in 0..BUCKETS_MS.len() {
            self.reads_over[i] += o.reads_over[i];
            self.writes_over[i] += o.writes_over[i];
        }
    }

    fn count(over: &mut [u64; 7], ns: u64) {
        for (i, ms) in BUCKETS_MS.iter().enumerate() {
            if ns > ms * 1_000_000 {
                over[i] += 1;
            }
        }
    }

    /// Percentage of reads slower than bucket `i`.
    pub fn read_pct_over(&self, i: usize) -> f64 {
        pct(self.reads_over[i], self.reads)
    }

    /// Percentage of writes slower than bucket `i`.
    pub fn write_pct_over(&self, i: usize) -> f64 {
        pct(self.writes_over[i], self.writes)
    }

    /// ACT's performance criterion for this slice (`None` for a slice without reads).
    pub fn passes(&self) -> Option<bool> {
        if self.reads == 0 {
            return None;
        }
        Some(
            self.read_pct_over(0) < 5.0
                && self.read_pct_over(3) < 1.0
                && self.read_pct_over(6) < 0.1,
        )
    }
}

fn pct(n: u64, of: u64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 * 100.0 / of as f64
    }
}

/// The outcome of an ACT run.
#[derive(Debug, Clone, Default)]
pub struct ActResult {
    /// Load multiple.
    pub multiple: f64,
    /// Slice length.
    pub slice: Duration,
    /// Counts per slice, in time order.
    pub slices: Vec<SliceCounts>,
    /// Largest delay of a request behind its schedule.
    pub max_lag: Duration,
    /// Every slice with reads passed the performance criterion (and there was one).
    pub performance_pass: bool,
    /// Never more than [`MAX_LAG`] behind.
    pub stress_pass: bool,
}

impl ActResult {
    /// Both criteria hold.
    pub fn pass(&self) -> bool {
        self.performance_pass && self.stress_pass
    }

    fn judge(&mut self) {
        let verdicts: Vec<Option<bool>> = self.slices.iter().map(SliceCounts::passes).collect();
        self.performance_pass =
            verdicts.iter().any(Option::is_some) && verdicts.iter().all(|v| v.unwrap_or(true));
        self.stress_pass = self.max_lag <= MAX_LAG;
    }
}

/// Run ACT; the histograms and counters come back in the `PhaseResult` like any phase's.
pub fn run_act(target: &dyn BenchTarget, spec: &ActSpec) -> (PhaseResult, ActResult) {
    let threads = spec.threads.max(1);
    let rate = (READS_PER_S_1X + WRITES_PER_S_1X) * spec.multiple.max(0.001);
    let total = (rate * spec.duration.as_secs_f64() - 1e-6).ceil().max(0.0) as u64;
    let slice_ns = spec.slice.as_nanos().max(1) as u64;
    let n_slices = (spec.duration.as_nanos() as u64).div_ceil(slice_ns).max(1) as usize;
    let merged = Mutex::new((
        PhaseResult::default(),
        vec![SliceCounts::default(); n_slices],
    ));
    let max_lag_ns = AtomicU64::new(0);
    let start = Instant::now();
    std::thread::scope(|s| {
        for t in 0..threads {
            let (merged, max_lag_ns) = (&merged, &max_lag_ns);
            s.spawn(move || {
                let seed = spec.seed ^ (t as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407);
                let mut keys = KeyChooser::uniform(spec.records, seed);
                let mut value = random_value(keys.rng(), spec.value_size);
                let mut r = PhaseResult::default();
                let mut slices = vec![SliceCounts::default(); n_slices];
                let mut k = t as u64;
                while k < total {
                    let due_ns = (k as f64 * 1e9 / rate) as u64;
                    let due = start + Duration::from_nanos(due_ns);
                    let now = Instant::now();
                    if now < due {
                        std::thread::sleep(due - now);
                    } else {
                        max_lag_ns.fetch_max((now - due).as_nanos() as u64, Ordering::Relaxed);
                    }
                    let slice = ((due_ns / slice_ns) as usize).min(n_slices - 1);
                    let rec = keys.next_key();
                    r.ops += 1;
                    if k % 3 == 2 {
                        stamp(&mut value, k);
                        match target.update(rec, &value) {
                            Ok(()) => {
                                let ns = since(due);
                                r.writes.record_ns(ns);
                                r.bytes_written += value.len() as u64;
                                slices[slice].writes += 1;
                                SliceCounts::count(&mut slices[slice].writes_over, ns);
                            }
                            Err(e) => r.fail(e),
                        }
                    } else {
                        match target.read(rec) {
                            Ok(n) => {
                                let ns = since(due);
                                r.reads.record_ns(ns);
                                r.bytes_read += n as u64;
                                slices[slice].reads += 1;
                                SliceCounts::count(&mut slices[slice].reads_over, ns);
                            }
                            Err(e) => r.fail(e),
                        }
                    }
                    k += threads as u64;
                }
                let mut m = merged.lock().expect("ACT result mutex poisoned");
                m.0.merge(r);
                for (a, b) in m.1.iter_mut().zip(&slices) {
                    a.add(b);
                }
            });
        }
    });
    let (mut phase, slices) = merged.into_inner().expect("ACT result mutex poisoned");
    phase.elapsed = start.elapsed();
    let mut act = ActResult {
        multiple: spec.multiple,
        slice: spec.slice,
        slices,
        max_lag: Duration::from_nanos(max_lag_ns.load(Ordering::Relaxed)),
        ..ActResult::default()
    };
    act.judge();
    (phase, act)
}

fn since(due: Instant) -> u64 {
    Instant::now().saturating_duration_since(due).as_nanos() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slice(reads: u64, over: [u64; 7]) -> SliceCounts {
        SliceCounts {
            reads,
            reads_over: over,
            ..SliceCounts::default()
        }
    }

    /// storage-notes.md §9.2: < 5 % over 1 ms, < 1 % over 8 ms, < 0.1 % over 64 ms, every slice.
    #[test]
    fn act_verdict_thresholds() {
        assert_eq!(slice(1000, [49, 0, 0, 9, 0, 0, 0]).passes(), Some(true));
        assert_eq!(slice(1000, [50, 0, 0, 0, 0, 0, 0]).passes(), Some(false));
        assert_eq!(slice(1000, [0, 0, 0, 10, 0, 0, 0]).passes(), Some(false));
        assert_eq!(slice(10_000, [0, 0, 0, 0, 0, 0, 10]).passes(), Some(false));
        assert_eq!(slice(10_000, [0, 0, 0, 0, 0, 0, 9]).passes(), Some(true));
        assert_eq!(slice(0, [0; 7]).passes(), None);
        let mut r = ActResult {
            slices: vec![slice(1000, [0; 7]), slice(1000, [60, 0, 0, 0, 0, 0, 0])],
            ..ActResult::default()
        };
        r.judge();
        assert!(!r.performance_pass, "one failing slice fails the run");
        assert!(r.stress_pass);
        r.max_lag = Duration::from_secs(11);
        r.judge();
        assert!(!r.stress_pass);
    }

    #[test]
    fn bucket_counting() {
        let mut over = [0u64; 7];
        SliceCounts::count(&mut over, 3_000_000);
        assert_eq!(over, [1, 1, 0, 0, 0, 0, 0]);
        SliceCounts::count(&mut over, 100_000_000);
        assert_eq!(over, [2, 2, 1, 1, 1, 1, 1]);
    }
}
