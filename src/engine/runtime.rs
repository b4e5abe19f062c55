//! The runtime: the only owner of background threads (`tests/tidy_time.rs` fails on a thread
//! started anywhere else). Per namespace it runs the expiry sweeper (sweep_step), the flusher
//! (flush_step) and maintenance (defrag_step, tombstone reclamation, the index pool's spare
//! huge pages). Each iteration does a bounded amount of work and checks the stop signal, so
//! closing never waits long; timers read the namespace `Clock`'s monotonic time.
//!
//! Invariants: after `Runtime::stop` returns no runtime thread runs; a `Runtime` that failed to
//! start leaves no thread behind.

use crate::engine::namespace::Namespace;
use crate::engine::tombstones::TombReclaimer;
use crate::error::{Error, Result, ResultCode};
use crate::index::pool;
use crate::record::key::PARTITIONS;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Blocks defragmented per maintenance iteration.
const DEFRAG_BLOCKS_PER_STEP: usize = 4;
/// Blocks read per tombstone-reclaim iteration.
const TOMB_BLOCKS_PER_STEP: usize = 8;

/// Flush sealed blocks as they appear and the partial buffer every `flush_max_ms`.
pub fn flusher_loop(ns: &Namespace, stopped: &dyn Fn() -> bool) {
    let Some(m) = ns.storage.maintenance() else {
        return;
    };
    let tick = m.flush_interval();
    while !stopped() {
        // A failed flush put the store in its failed state; requests see the error.
        let _ = m.flush_step(false);
        m.wait_for_work(tick);
    }
}

/// Defragment queued blocks while the store says it is due (`Maintenance::defrag_due`: free
/// space is scarce enough) and run tombstone reclamation every period.
pub fn maintenance_loop(ns: &Namespace, stopped: &dyn Fn() -> bool, sleep: &dyn Fn(Duration)) {
    let period = ns
        .storage
        .maintenance()
        .and_then(|m| m.tomb_reclaim_period());
    let mut tomb = TombReclaimer::new();
    let mut tomb_running = false;
    let mut next_tomb = period.map(|p| ns.clock.deadline_us(p));
    while !stopped() {
        let due = ns.storage.maintenance().is_some_and(|m| m.defrag_due());
        let moved = if due {
            ns.defrag_step(DEFRAG_BLOCKS_PER_STEP)
                .map(|s| s.blocks)
                .unwrap_or(0)
        } else {
            0
        };
        let mut busy = moved > 0;
        if let (Some(at), Some(p)) = (next_tomb, period) {
            if tomb_running || ns.clock.monotonic_us() >= at {
                tomb_running = true;
                match tomb.step(ns, TOMB_BLOCKS_PER_STEP) {
                    Ok(s) if !s.finished => busy = true,
                    _ => {
                        tomb_running = false;
                        next_tomb = Some(ns.clock.deadline_us(p));
                    }
                }
            }
        }
        // Huge pages for the index's growth, placed here rather than by the writer whose
        // insert needs the next one (`index::pool::prepare_spare`); at most MAX_SPARES a turn.
        for _ in 0..pool::MAX_SPARES {
            if !pool::prepare_spare() {
                break;
            }
        }
        if !busy {
            sleep(Duration::from_millis(20));
        }
    }
}

/// Sweep expired records: one full pass over the partitions every `interval`, 64 partitions a
/// tick.
fn sweeper_loop(stop: &Stop, ns: &Namespace, interval: Duration) {
    let mut next = 0usize;
    let per_tick = 64;
    let tick = interval / (PARTITIONS / per_tick) as u32;
    while !stop.sleep(tick) {
        ns.sweep_step(next, per_tick);
        next = (next + per_tick) % PARTITIONS;
    }
}

/// The stop signal of the runtime threads.
#[derive(Default)]
struct Stop {
    stopped: Mutex<bool>,
    wake: Condvar,
}

impl Stop {
    /// Whether the runtime is stopping (a poisoned signal counts as stopping).
    fn is_set(&self) -> bool {
        self.stopped.lock().map_or(true, |s| *s)
    }

    /// Sleep for `d` or until the stop signal; true when stopping.
    fn sleep(&self, d: Duration) -> bool {
        let Ok(g) = self.stopped.lock() else {
            return true;
        };
        match self.wake.wait_timeout_while(g, d, |s| !*s) {
            Ok((s, _)) => *s,
            Err(_) => true,
        }
    }

    fn set(&self) {
        if let Ok(mut s) = self.stopped.lock() {
            *s = true;
        }
        self.wake.notify_all();
    }
}

/// The background threads of an open database.
#[derive(Default)]
pub struct Runtime {
    stop: Arc<Stop>,
    threads: Vec<JoinHandle<()>>,
}

impl Runtime {
    /// Start the sweeper of every namespace with an expiry sweep interval, and the flusher and
    /// maintenance threads of every namespace whose storage has maintenance (the device
    /// store). On failure the threads already started are stopped before the error returns.
    pub fn start<'a>(namespaces: impl Iterator<Item = &'a Arc<Namespace>>) -> Result<Runtime> {
        let mut rt = Runtime::default();
        for ns in namespaces {
            if let Err(e) = rt.start_namespace(ns) {
                rt.stop();
                return Err(e);
            }
        }
        Ok(rt)
    }

    fn start_namespace(&mut self, ns: &Arc<Namespace>) -> Result<()> {
        let interval = ns.config.expiry_sweep_interval_s;
        if interval != 0 {
            let interval = Duration::from_secs(u64::from(interval));
            self.spawn("sweep", ns, move |stop, ns| {
                sweeper_loop(stop, ns, interval)
            })?;
        }
        if ns.storage.maintenance().is_some() {
            self.spawn("flush", ns, |stop, ns| flusher_loop(ns, &|| stop.is_set()))?;
            self.spawn("maint", ns, |stop, ns| {
                maintenance_loop(ns, &|| stop.is_set(), &|d| {
                    stop.sleep(d);
                })
            })?;
        }
        Ok(())
    }

    fn spawn(
        &mut self,
        what: &str,
        ns: &Arc<Namespace>,
        body: impl FnOnce(&Stop, &Namespace) + Send + 'static,
    ) -> Result<()> {
        let name = ns.config.name.clone();
        let (stop, ns) = (self.stop.clone(), ns.clone());
        let spawned = std::thread::Builder::new()
            .name(format!("aerolite-{what}-{name}"))
            .spawn(move || body(&stop, &ns));
        match spawned {
            Ok(h) => {
                self.threads.push(h);
                Ok(())
            }
            Err(e) => Err(Error::new(
                ResultCode::ServerError,
                format!(
                    "cannot start the {what} thread of namespace {name}: {e} (the \
                     system's thread limit?)"
                ),
            )),
        }
    }

    /// Signal every thread to stop and wait for them.
    pub fn stop(&mut self) {
        self.stop.set();
        for t in self.threads.drain(..) {
            // A panicked runtime thread already broke an invariant; its panic was reported.
            let _ = t.join();
        }
        assert!(self.threads.is_empty(), "every runtime thread joined");
    }
}

/// Start a one-off thread (a `query_operate` task, the wire server's accept loop and
/// connections): like the runtime's own
/// threads, every task thread starts here, so time and threads keep one home each.
pub fn spawn_task(
    name: String,
    task: impl FnOnce() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name(name).spawn(task)
}
