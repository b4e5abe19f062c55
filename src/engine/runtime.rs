//! Runtime loops that drive the storage step functions on threads: the flusher (flush_step) and
//! maintenance (defrag_step, tombstone reclamation). Each iteration does a bounded amount of work
//! and checks the stop signal, so closing never waits long.

use crate::engine::namespace::Namespace;
use crate::engine::tombstones::TombReclaimer;
use std::time::{Duration, Instant};

/// Blocks defragmented per maintenance iteration.
const DEFRAG_BLOCKS_PER_STEP: usize = 4;
/// Blocks read per tombstone-reclaim iteration.
const TOMB_BLOCKS_PER_STEP: usize = 8;

/// Flush sealed blocks as they appear and the partial buffer every `flush_max_ms`.
pub fn flusher_loop(ns: &Namespace, stopped: &dyn Fn() -> bool) {
    let Some(tick) = ns.storage.flush_interval() else {
        return;
    };
    while !stopped() {
        // A failed flush put the store in its failed state; requests see the error.
        let _ = ns.storage.flush_step(false);
        ns.storage.wait_for_work(tick);
    }
}

/// Defragment queued blocks and run tombstone reclamation every period.
pub fn maintenance_loop(ns: &Namespace, stopped: &dyn Fn() -> bool, sleep: &dyn Fn(Duration)) {
    let period = ns.storage.tomb_reclaim_period();
    let mut tomb = TombReclaimer::new();
    let mut tomb_running = false;
    let mut next_tomb = period.map(|p| Instant::now() + p);
    while !stopped() {
        let moved = ns
            .defrag_step(DEFRAG_BLOCKS_PER_STEP)
            .map(|s| s.blocks)
            .unwrap_or(0);
        let mut busy = moved > 0;
        if let (Some(at), Some(p)) = (next_tomb, period) {
            if tomb_running || Instant::now() >= at {
                tomb_running = true;
                match tomb.step(ns, TOMB_BLOCKS_PER_STEP) {
                    Ok(s) if !s.finished => busy = true,
                    _ => {
                        tomb_running = false;
                        next_tomb = Some(Instant::now() + p);
                    }
                }
            }
        }
        if !busy {
            sleep(Duration::from_millis(20));
        }
    }
}
