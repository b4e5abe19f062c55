//! Cold start with one reader thread per device and read-ahead (src/storage/ssd/scan.rs):
//! SN-REQ-SCAN ("the result is independent of scan order"), CH-APPEND-ORDER (the image appended
//! last wins), RS-UNCLEAN-EXPIRED / RS-ZOMBIE-CERTAIN unchanged: whatever the relative timing
//! of the devices' readers, a cold start offers the images in the same order and rebuilds the
//! same index, the same counters and the same records as every other run.

mod storage_support;

use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::{Key, ManualClock};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use storage_support::*;

/// A device whose reads take a pseudo-random 0–400 µs (seeded), so the readers of different
/// devices interleave differently in each run.
struct Jitter {
    inner: Arc<dyn Device>,
    state: AtomicU64,
}

impl Jitter {
    fn pause(&self) {
        let x = self
            .state
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
        std::thread::sleep(std::time::Duration::from_micros((x >> 32) % 400));
    }
}

impl Device for Jitter {
    fn capacity(&self) -> u64 {
        self.inner.capacity()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> aerolite::Result<()> {
        self.pause();
        self.inner.read_at(offset, buf)
    }
    fn read_batch(&self, reads: &mut [(u64, &mut [u8])]) -> aerolite::Result<()> {
        self.pause();
        for (off, buf) in reads.iter_mut() {
            self.inner.read_at(*off, buf)?;
        }
        Ok(())
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> aerolite::Result<()> {
        self.inner.write_at(offset, buf)
    }
    fn sync(&self) -> aerolite::Result<()> {
        self.inner.sync()
    }
    fn kind(&self) -> &'static str {
        "jitter"
    }
}

fn set_key(set: usize, i: i64) -> Key {
    Key::new("test", &format!("set{set}"), i).expect("valid key")
}

/// What a reopened store holds: recovery counters and every record's (value, generation).
fn outcome(db: &aerolite::Database) -> (Vec<String>, Vec<Option<(i64, u32)>>) {
    let r = db.recovery_stats()[0];
    let s = db.stats();
    let counters = vec![
        format!(
            "images {} superseded {} entries {}",
            r.images, r.superseded, r.entries
        ),
        format!(
            "scanned {} skipped stale {} corrupt {}",
            s.scan_images, s.scan_stale, s.scan_corrupt
        ),
    ];
    let records = (0..400)
        .map(|i| read(db, &set_key((i % 5) as usize, i)))
        .collect();
    (counters, records)
}

/// SN-REQ-SCAN, CH-APPEND-ORDER: three devices, five sets, overwrites, durable deletes and
/// defrag moves; after a crash, cold starts with differently timed readers (and without any
/// delay) all rebuild the same index, equal to the acknowledged history.
#[test]
fn sn_req_scan_parallel_readers_resolve_like_a_sequential_scan() {
    let devs: Vec<Arc<MemoryDevice>> = (0..3).map(|_| mem_device(4)).collect();
    let clock = ManualClock::at_2026();
    let db = open_on(
        device_config(
            devs.iter().map(|d| d.clone() as Arc<dyn Device>).collect(),
            None,
        ),
        &clock,
    )
    .expect("open");
    let mut expect: Vec<Option<i64>> = vec![None; 400];
    for round in 0..3i64 {
        for i in 0..400i64 {
            if (i + round) % 3 == 0 {
                continue;
            }
            let v = round * 1000 + i;
            db.put(&wp(false), &set_key((i % 5) as usize, i), &bins(v, 300))
                .expect("put");
            expect[i as usize] = Some(v);
        }
        for i in (round..400).step_by(37) {
            db.delete(&wp(true), &set_key((i % 5) as usize, i))
                .expect("durable delete");
            expect[i as usize] = None;
        }
        clock.advance_ms(3);
        let ns = aerolite::testing::namespace(&db, "test").expect("namespace");
        while ns.defrag_step(4).expect("defrag").blocks > 0 {}
        ns.flush_step(true).expect("flush");
    }
    let ns = aerolite::testing::namespace(&db, "test").expect("namespace");
    ns.flush_step(true).expect("flush");
    db.abandon();
    let images: Vec<Vec<u8>> = devs.iter().map(|d| d.contents()).collect();

    let mut first = None;
    for run in 0..4u64 {
        let copies: Vec<Arc<dyn Device>> = images
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let mem: Arc<dyn Device> = Arc::new(MemoryDevice::from_bytes(b.clone()));
                if run == 0 {
                    mem
                } else {
                    Arc::new(Jitter {
                        inner: mem,
                        state: AtomicU64::new(run * 31 + i as u64 * 7),
                    }) as Arc<dyn Device>
                }
            })
            .collect();
        let db = open_on(device_config(copies, None), &clock).expect("cold start");
        assert!(!db.stats().fast_restart, "no snapshot: a cold start");
        let got = outcome(&db);
        let values: Vec<Option<i64>> = got.1.iter().map(|r| r.map(|(v, _)| v)).collect();
        assert_eq!(values, expect, "run {run}: the acknowledged history");
        match &first {
            None => first = Some(got),
            Some(f) => assert_eq!(&got, f, "run {run} differs from the sequential-timing run"),
        }
        db.abandon();
    }
}
