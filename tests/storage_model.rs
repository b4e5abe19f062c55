//! Model test of the device store: a seeded random mix of puts, durable deletes, flushes, defrag
//! steps, clean restarts (RS-CLEAN) and crashes (commit-to-device, so DUR-DEVICE makes every
//! acknowledged op survive) is checked against a plain map after every restart and by random
//! reads along the way: values, generations (GC-DURABLE across tombstones) and record counts.
//! 4 seeds by default; `AEROLITE_MODEL_SEEDS=N` for more.

mod storage_support;

use aerolite::storage::device::Device;
use aerolite::{Database, ManualClock, ResultCode};
use std::collections::HashMap;
use std::sync::Arc;
use storage_support::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Slot {
    Live(i64, u32),
    Tomb(u32),
}

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

fn check_all(db: &Database, model: &HashMap<i64, Slot>, what: &str) {
    let mut live = 0;
    let mut tombs = 0;
    for k in 0..40 {
        let want = match model.get(&k) {
            Some(Slot::Live(v, g)) => {
                live += 1;
                Some((*v, *g))
            }
            Some(Slot::Tomb(_)) => {
                tombs += 1;
                None
            }
            None => None,
        };
        assert_eq!(read(db, &key(k)), want, "{what}: key {k}");
    }
    let s = db.stats();
    assert_eq!((s.records, s.tombstones), (live, tombs), "{what}: counts");
    let r = db
        .check_integrity_full()
        .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        (r.records, r.tombstones),
        (live, tombs),
        "{what}: integrity counts"
    );
}

fn run_seed(seed: u64) {
    let dir = tmp();
    let snap = dir.path().join("model.snapshot");
    let mem = mem_device(2);
    let clock = ManualClock::at_2026();
    let cfg =
        || device_config(vec![mem.clone() as Arc<dyn Device>], Some(&snap)).commit_to_device(true);
    let mut db = open_on(cfg(), &clock).expect("open");
    let mut model: HashMap<i64, Slot> = HashMap::new();
    let mut rng = Rng(seed);
    let mut moved = 0;
    for step in 0..1500 {
        clock.advance_ms(1 + rng.below(3) as i64);
        let k = rng.below(40) as i64;
        match rng.below(100) {
            0..=59 => {
                let v = step as i64;
                let pad = 100 + rng.below(2900) as usize;
                match db.put(&wp(false), &key(k), &bins(v, pad)) {
                    Ok(r) => {
                        let g = match model.get(&k) {
                            Some(Slot::Live(_, g)) | Some(Slot::Tomb(g)) => g + 1,
                            None => 1,
                        };
                        assert_eq!(r.generation, g, "seed {seed} step {step}: generation");
                        model.insert(k, Slot::Live(v, g));
                    }
                    Err(e) if e.code() == ResultCode::ServerMemError => {
                        let ns = aerolite::testing::namespace(&db, "test").expect("ns");
                        ns.flush_step(true).expect("flush");
                        moved += ns.defrag_step(16).expect("defrag").moved;
                    }
                    Err(e) => panic!("seed {seed} step {step}: put: {e}"),
                }
            }
            60..=74 => {
                let existed = db.delete(&wp(true), &key(k)).expect("durable delete");
                match model.get(&k).copied() {
                    Some(Slot::Live(_, g)) => {
                        assert!(existed);
                        model.insert(k, Slot::Tomb(g + 1));
                    }
                    _ => assert!(!existed, "seed {seed} step {step}: delete of nothing"),
                }
            }
            75..=84 => {
                let ns = aerolite::testing::namespace(&db, "test").expect("ns");
                ns.flush_step(rng.below(2) == 0).expect("flush");
                moved += ns
                    .defrag_step(1 + rng.below(4) as usize)
                    .expect("defrag")
                    .moved;
            }
            85..=89 => {
                let want = match model.get(&k) {
                    Some(Slot::Live(v, g)) => Some((*v, *g)),
                    _ => None,
                };
                assert_eq!(
                    read(&db, &key(k)),
                    want,
                    "seed {seed} step {step}: read {k}"
                );
            }
            90..=94 => {
                db.shutdown().expect("clean shutdown");
                db = open_on(cfg(), &clock).expect("fast restart");
                assert!(db.stats().fast_restart, "seed {seed} step {step}");
                check_all(
                    &db,
                    &model,
                    &format!("seed {seed} step {step} clean restart"),
                );
            }
            _ => {
                db.abandon();
                db = open_on(cfg(), &clock).expect("cold start");
                assert!(!db.stats().fast_restart);
                check_all(&db, &model, &format!("seed {seed} step {step} crash"));
            }
        }
    }
    check_all(&db, &model, &format!("seed {seed} end"));
    assert!(
        moved > 0,
        "seed {seed}: defrag moved live images during the run"
    );
}

#[test]
fn model_puts_deletes_defrag_restarts_and_crashes() {
    let seeds: u64 = std::env::var("AEROLITE_MODEL_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    for seed in 1..=seeds {
        run_seed(seed);
    }
}
