//! Crash safety (a): a commit-to-device workload runs on a fault-injecting device that stops
//! making writes durable after sync k, for every k in turn (and once more with a torn last
//! write); after the crash the store cold-starts from the durable image and every write
//! acknowledged while durability still held is present with its bins and generation (DUR-DEVICE,
//! RS-UNCLEAN-DURABLE); nothing served is corrupt (RC-1 never appears on reads).

mod storage_support;

use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::ManualClock;
use std::sync::Arc;
use storage_support::*;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Put(i64, i64),
    DurableDelete(i64),
}

/// The workload: overwrites across a few keys, durable deletes, a record large enough to seal
/// blocks now and then.
fn workload() -> Vec<Op> {
    let mut ops = Vec::new();
    for i in 0..60i64 {
        let k = i % 7;
        if i % 11 == 10 {
            ops.push(Op::DurableDelete(k));
        } else {
            ops.push(Op::Put(k, i));
        }
    }
    ops
}

/// Run the workload with durability ending after sync `k`; return per op whether it was
/// acknowledged while durability held.
fn run(k: u64, torn: Option<usize>) -> (Arc<MemoryDevice>, Vec<(Op, bool)>) {
    let mem = Arc::new(MemoryDevice::new(2 << 20));
    let fault = Arc::new(FaultyDevice::new(
        mem.clone(),
        FaultPlan {
            durable_syncs: Some(k),
            torn_sectors: torn,
            ..FaultPlan::default()
        },
    ));
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = fault.clone();
    let db = open_on(
        device_config(vec![dev], None).commit_to_device(true),
        &clock,
    )
    .expect("open on a fresh device");
    let mut log = Vec::new();
    for op in workload() {
        clock.advance_ms(1);
        let ok = match op {
            Op::Put(key_no, v) => db.put(&wp(false), &key(key_no), &bins(v, 3000)).is_ok(),
            Op::DurableDelete(key_no) => db.delete(&wp(true), &key(key_no)).is_ok(),
        };
        log.push((op, ok && fault.syncs() <= k));
    }
    fault.crash();
    db.abandon();
    (mem, log)
}

fn check(k: u64, mem: Arc<MemoryDevice>, log: &[(Op, bool)]) {
    let clock = ManualClock::at_2026();
    clock.advance_s(3600);
    let dev: Arc<dyn Device> = mem;
    let db = open_on(
        device_config(vec![dev], None).commit_to_device(true),
        &clock,
    )
    .unwrap_or_else(|e| panic!("k={k}: reopen after crash failed: {e}"));
    for key_no in 0..7 {
        let ops: Vec<(usize, Op, bool)> = log
            .iter()
            .enumerate()
            .filter(
                |(_, (op, _))| matches!(op, Op::Put(x, _) | Op::DurableDelete(x) if *x == key_no),
            )
            .map(|(i, (op, d))| (i, *op, *d))
            .collect();
        let last_durable = ops.iter().rposition(|(_, _, d)| *d);
        let got = read(&db, &key(key_no));
        // The state after each op, as a (value) option; generation counts puts and deletes.
        let mut states = vec![None];
        for (_, op, _) in &ops {
            states.push(match op {
                Op::Put(_, v) => Some(*v),
                Op::DurableDelete(_) => None,
            });
        }
        let from = last_durable.map_or(0, |p| p + 1);
        let allowed: Vec<Option<i64>> = states[from..].to_vec();
        let got_v = got.map(|(v, _)| v);
        assert!(
            allowed.contains(&got_v),
            "k={k} key {key_no}: recovered {got:?}, allowed {allowed:?} (acked-durable op #{last_durable:?})"
        );
        if let Some((v, generation)) = got {
            let pos = states.iter().position(|s| *s == Some(v));
            assert_eq!(
                Some(generation as usize),
                pos,
                "k={k} key {key_no}: generation of value {v}"
            );
        }
    }
}

/// DUR-DEVICE at every sync point.
#[test]
fn dur_device_every_ack_survives_a_crash_at_each_sync_point() {
    let (_, probe) = run(u64::MAX, None);
    assert!(
        probe.iter().all(|(_, d)| *d),
        "without faults every op is durable"
    );
    // Count the syncs the workload issues to bound k.
    let mem = Arc::new(MemoryDevice::new(2 << 20));
    let fault = Arc::new(FaultyDevice::new(mem, FaultPlan::default()));
    let clock = ManualClock::at_2026();
    let dev: Arc<dyn Device> = fault.clone();
    let db = open_on(
        device_config(vec![dev], None).commit_to_device(true),
        &clock,
    )
    .expect("open");
    for op in workload() {
        clock.advance_ms(1);
        match op {
            Op::Put(k, v) => drop(db.put(&wp(false), &key(k), &bins(v, 3000))),
            Op::DurableDelete(k) => drop(db.delete(&wp(true), &key(k))),
        }
    }
    let total = fault.syncs();
    db.abandon();
    assert!(total >= 60, "one sync per commit at least ({total})");
    let mut lying_runs = 0;
    for k in 0..=total {
        let (mem, log) = run(k, None);
        if log.iter().any(|(_, d)| !*d) {
            lying_runs += 1;
        }
        check(k, mem, &log);
    }
    assert!(
        lying_runs as u64 >= total - 2,
        "most runs lose their last acknowledgements"
    );
}

/// SN-REQ-FRONTIER: a torn write of the partly filled last unit (rewritten with an identical
/// prefix) never damages images that were already durable.
#[test]
fn torn_partial_flush_keeps_durable_images() {
    for k in [5, 17, 33, 48] {
        for torn in [0, 1, 3, 7] {
            let (mem, log) = run(k, Some(torn));
            check(k, mem, &log);
        }
    }
}
