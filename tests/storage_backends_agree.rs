//! Differential test of the storage boundary (issue 12 point 5): the memory backend and the
//! device store implement the same data path, so a database on each, driven through the same
//! seeded sequence of puts, deletes (durable or not), touches, single and batched reads
//! (`get_many`: the prefetching `read_many` / `prefetch_current` path), scans, flushes and
//! defrag steps, must give the same answer to every request. Memory has no maintenance: its
//! flush and defrag steps do nothing, which must not change any answer either. At the end both
//! hold the same records and tombstones and pass the full integrity check.

mod storage_support;

use aerolite::rng::Rng;
use aerolite::{
    Bins, Database, Key, ManualClock, NamespaceConfig, PartitionFilter, QueryPolicy, ReadPolicy,
    Statement, StorageConfig, WritePolicy,
};
use storage_support::*;

/// Keys the sequence draws from (small, so records are overwritten, deleted and read back).
const KEYS: u64 = 96;
/// Requests per seed.
const STEPS: usize = 1500;

/// An answer in a form both backends must agree on: the record, or the result code.
fn answer<T: std::fmt::Debug>(r: aerolite::Result<T>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(e) => format!("err {:?}", e.code()),
    }
}

/// One request, applied to `db`; its answer.
fn step(db: &Database, op: u64, rng: &mut Rng) -> String {
    let k = key(rng.below(KEYS) as i64);
    let read = ReadPolicy::default();
    match op {
        0..=3 => {
            let v = rng.below(1 << 20) as i64;
            answer(db.put(&wp(false), &k, &bins(v, rng.below(2000) as usize)))
        }
        4 => answer(db.delete(&wp(rng.below(2) == 0), &k)),
        5 => answer(db.touch(&WritePolicy::default(), &k)),
        6 | 7 => answer(db.get(&read, &k, Bins::All)),
        8 => answer(db.exists(&read, &k)),
        9 | 10 => {
            let keys: Vec<Key> = (0..8).map(|_| key(rng.below(KEYS) as i64)).collect();
            let got: Vec<String> = db
                .get_many(&read, &keys, Bins::All)
                .into_iter()
                .map(answer)
                .collect();
            got.join("; ")
        }
        11 => {
            let rs = db.query(
                &QueryPolicy::default(),
                PartitionFilter::all(),
                Statement::new("test", "s", Bins::All),
            );
            match rs {
                Ok(rs) => rs.map(answer).collect::<Vec<_>>().join("; "),
                Err(e) => format!("err {:?}", e.code()),
            }
        }
        12 => answer(db.flush()),
        _ => answer(db.defrag_step("test", 4).map(|_| ())),
    }
}

fn run_seed(seed: u64) {
    let clock = ManualClock::at_2026();
    let memory = open_ns(
        NamespaceConfig::new("test").storage(StorageConfig::Memory { capacity_bytes: 0 }),
        &clock,
    )
    .expect("open memory");
    let dev = mem_device(16);
    let device = open_on(device_config(vec![dev], None), &clock).expect("open device");
    let mut rng = Rng::new(seed);
    for i in 0..STEPS {
        let op = rng.below(14);
        let mut replay = rng.clone();
        let m = step(&memory, op, &mut rng);
        let d = step(&device, op, &mut replay);
        assert_eq!(
            m, d,
            "seed {seed} step {i} op {op}: memory and device disagree"
        );
        if rng.below(16) == 0 {
            clock.advance_ms(1 + rng.below(2000) as i64);
        }
    }
    let (ms, ds) = (memory.stats(), device.stats());
    assert_eq!(
        (ms.records, ms.tombstones),
        (ds.records, ds.tombstones),
        "seed {seed}: same records and tombstones"
    );
    assert!(ms.records > 0, "seed {seed}: the sequence left records");
    memory.check_integrity_full().expect("memory integrity");
    device.check_integrity_full().expect("device integrity");
}

#[test]
fn memory_and_device_answer_alike() {
    for seed in 1..=3 {
        run_seed(seed);
    }
}
