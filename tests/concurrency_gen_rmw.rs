//! No lost update (OP-ISOLATION, G-EQ-LIVE-EQ / G-EQ-LIVE-NE under contention, issue point 4):
//! 8 threads do generation-checked read-modify-write increments on 3 hot keys, retrying on
//! GenerationError; every counter must end equal to the number of successful writes to it, and
//! its generation must have advanced once per successful write.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{Bins, ResultCode as RC, Value};
use sem::*;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

const THREADS: usize = 8;
const KEYS: usize = 3;

fn increments_per_thread() -> u64 {
    std::env::var("AEROLITE_RMW_INCREMENTS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(300)
}

#[test]
fn gen_checked_increments_lose_nothing() {
    let t = Arc::new(common::open());
    let keys: Vec<_> = (0..KEYS as i64).map(key).collect();
    for k in &keys {
        put_ok(&t, &wp(), k, &[bin("n", 0)]);
    }
    let successes: Arc<Vec<AtomicU64>> = Arc::new((0..KEYS).map(|_| AtomicU64::new(0)).collect());
    let conflicts = Arc::new(AtomicU64::new(0));
    let per_thread = increments_per_thread();
    let start = Arc::new(std::sync::Barrier::new(THREADS));
    let handles: Vec<_> = (0..THREADS)
        .map(|th| {
            let (t, keys, successes, conflicts) = (
                t.clone(),
                keys.clone(),
                successes.clone(),
                conflicts.clone(),
            );
            let start = start.clone();
            std::thread::spawn(move || {
                start.wait();
                for i in 0..per_thread {
                    let slot = (th + i as usize) % KEYS;
                    let k = &keys[slot];
                    loop {
                        let r = t.db.get(&rp(), k, Bins::All).expect("read");
                        let n = r.bin("n").and_then(Value::as_int).expect("counter");
                        // Widen the read → write window so that writers really collide.
                        std::thread::yield_now();
                        match t.db.put(&eq(r.generation), k, &[bin("n", n + 1)]) {
                            Ok(w) => {
                                assert_eq!(w.generation, r.generation + 1);
                                successes[slot].fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                            Err(e) if e.code() == RC::GenerationError => {
                                conflicts.fetch_add(1, Ordering::Relaxed);
                            }
                            Err(e) => panic!("unexpected {e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("worker");
    }
    let mut total = 0;
    for (slot, k) in keys.iter().enumerate() {
        let wins = successes[slot].load(Ordering::Relaxed);
        let r = must_get(&t, k);
        assert_eq!(
            r.bin("n"),
            Some(&Value::Int(wins as i64)),
            "key {slot}: lost update"
        );
        assert_eq!(
            u64::from(r.generation),
            wins + 1,
            "one generation step per success"
        );
        total += wins;
    }
    assert_eq!(total, THREADS as u64 * per_thread);
    println!(
        "{} successful increments, {} generation conflicts retried",
        total,
        conflicts.load(Ordering::Relaxed)
    );
}
