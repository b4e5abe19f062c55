//! Group commit (DUR-DEVICE, SN-REQ-ACK-DEVICE): concurrent commit-to-device writers share device
//! syncs: with a slow sync, 8 writers × 40 writes complete with far fewer syncs than writes, and
//! every acknowledged write is durable (present after a crash).

mod storage_support;

use aerolite::storage::device::faulty::{FaultPlan, FaultyDevice};
use aerolite::storage::device::Device;
use aerolite::ManualClock;
use std::sync::Arc;
use storage_support::*;

/// A device whose sync takes 3 ms.
struct SlowSync(Arc<dyn Device>);

impl Device for SlowSync {
    fn capacity(&self) -> u64 {
        self.0.capacity()
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> aerolite::Result<()> {
        self.0.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, buf: &[u8]) -> aerolite::Result<()> {
        self.0.write_at(offset, buf)
    }
    fn sync(&self) -> aerolite::Result<()> {
        std::thread::sleep(std::time::Duration::from_millis(3));
        self.0.sync()
    }
    fn kind(&self) -> &'static str {
        "slow"
    }
}

#[test]
fn dur_device_concurrent_writers_share_syncs() {
    let mem = mem_device(8);
    let fault = Arc::new(FaultyDevice::new(mem.clone(), FaultPlan::default()));
    let slow: Arc<dyn Device> = Arc::new(SlowSync(fault.clone()));
    let clock = ManualClock::at_2026();
    let db = Arc::new(
        open_on(
            device_config(vec![slow], None).commit_to_device(true),
            &clock,
        )
        .expect("open"),
    );
    let syncs_before = fault.syncs();
    let writers: Vec<_> = (0..8)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..40 {
                    let k = t * 1000 + i;
                    db.put(&wp(false), &key(k), &bins(k, 200)).expect("put");
                }
            })
        })
        .collect();
    for w in writers {
        w.join().expect("writer");
    }
    let syncs = fault.syncs() - syncs_before;
    eprintln!("320 commit-to-device writes, {syncs} syncs");
    assert!(syncs < 160, "group commit: {syncs} syncs for 320 writes");
    fault.crash();
    match Arc::try_unwrap(db) {
        Ok(db) => db.abandon(),
        Err(_) => panic!("writers still hold the database"),
    }
    let db = open_on(device_config(vec![mem as Arc<dyn Device>], None), &clock).expect("reopen");
    for t in 0..8 {
        for i in 0..40 {
            let k = t * 1000 + i;
            assert_eq!(read(&db, &key(k)), Some((k, 1)), "acknowledged write {k}");
        }
    }
}
