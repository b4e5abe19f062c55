//! The expiry sweeper (Aerospike's nsup; EX-SWEEP, EX-SWEEP-LOCK, EX-TOMB) as a bounded step.

use crate::engine::namespace::Namespace;
use crate::record::key::PARTITIONS;

/// What one sweep step did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepStats {
    /// Partitions visited.
    pub partitions: usize,
    /// Expired records removed.
    pub reaped: usize,
    /// Truncated records (and tombstones) removed (TRUNC-RECLAIM-1).
    pub truncated: usize,
}

impl Namespace {
    /// Visit `count` partitions starting at `first` (wrapping) and remove every expired record
    /// (non-durably: no tombstone), and every truncated entry. Each candidate is re-checked under
    /// its record lock.
    pub fn sweep_step(&self, first: usize, count: usize) -> SweepStats {
        let mut stats = SweepStats::default();
        for i in 0..count.min(PARTITIONS) {
            let pid = (first + i) % PARTITIONS;
            let now_s = self.clock.now_s();
            let candidates: Vec<_> = self
                .index
                .partition(pid)
                .iter()
                .filter(|(_, e)| !e.is_tombstone() && e.is_expired(now_s))
                .map(|(d, _)| *d)
                .collect();
            for d in candidates {
                let Ok(_guard) = self.locks.acquire(d, 0, None) else {
                    continue;
                };
                let now_s = self.clock.now_s();
                if let Some(e) = self.index.get(&d) {
                    if !e.is_tombstone() && e.is_expired(now_s) {
                        debug_assert!(
                            e.void_time != 0,
                            "EX-DEF: a record without TTL never expires"
                        );
                        self.remove(&d, &e);
                        stats.reaped += 1;
                    }
                }
            }
            stats.truncated += self.reap_truncated(pid, 1);
            stats.partitions += 1;
        }
        stats
    }
}
