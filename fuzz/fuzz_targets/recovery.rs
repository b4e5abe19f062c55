//! `recovery`: build a device store (memory device, 16 KiB blocks, optional index snapshot file)
//! with a workload the input chooses (puts of known, versioned bins on 8 keys, durable and
//! non-durable deletes, flushes, clock steps, buffered or commit-to-device), stop it cleanly or
//! crash it, then corrupt its bytes as the input says (flip bytes, zero ranges, copy one block over
//! another as a misdirected write, truncate the device; flip / truncate / delete the snapshot),
//! and reopen. Properties:
//! - opening and every later request never panic (an open may fail with an error);
//! - the index holds only digests that were written (never serve a record never written);
//! - every record served is exactly one version that was written to that key — its generation
//!   and every bin — never a corrupted or mixed one; a read that cannot verify fails with 1 or 2;
//! - the store still takes writes (or refuses them with an error), and a clean close + reopen of
//!   the recovered store works.
//!
//! Does not cover: faults during the reopen itself (simulation covers I/O faults while running),
//! multi-device namespaces, defrag-time corruption, CDT bins, files opened through paths
//! (io_uring / O_DIRECT), tombstone reclamation.
#![no_main]

use aerolite::config::DeviceConfig;
use aerolite::storage::device::memory::MemoryDevice;
use aerolite::storage::device::Device;
use aerolite::{
    Bin, Bins, Database, DatabaseConfig, Key, ManualClock, NamespaceConfig, ReadPolicy,
    StorageConfig, Value, WritePolicy,
};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::Arc;

const DEVICE: usize = 1 << 20;
const BLOCK: u32 = 16 << 10;
const KEYS: u8 = 8;

#[derive(Arbitrary, Debug)]
enum Op {
    Put { k: u8, pad: u8 },
    Delete { k: u8, durable: bool },
    Flush,
    Advance(u16),
}

#[derive(Arbitrary, Debug)]
enum Corrupt {
    Flip { at: u32, mask: u8 },
    Zero { at: u32, len: u16 },
    CopyBlock { from: u8, to: u8 },
    Truncate { len: u32 },
    SnapFlip { at: u32, mask: u8 },
    SnapTruncate { len: u32 },
    SnapDelete,
}

#[derive(Arbitrary, Debug)]
struct Input {
    commit: bool,
    snapshot: bool,
    clean: bool,
    ops: Vec<Op>,
    corrupt: Vec<Corrupt>,
}

fn key(k: u8) -> Key {
    Key::new("test", "s", i64::from(k % KEYS)).expect("integer keys are valid")
}

fn snapshot_path() -> PathBuf {
    let dir = if std::path::Path::new("/dev/shm").is_dir() {
        PathBuf::from("/dev/shm")
    } else {
        std::env::temp_dir()
    };
    dir.join(format!(
        "aerolite-fuzz-recovery-{}.snapshot",
        std::process::id()
    ))
}

fn open(
    dev: Arc<MemoryDevice>,
    snap: Option<PathBuf>,
    commit: bool,
    clock: &ManualClock,
) -> aerolite::Result<Database> {
    let d: Arc<dyn Device> = dev;
    let mut dc = DeviceConfig::with_devices(vec![d], snap)
        .block_size(BLOCK)
        .commit_to_device(commit);
    dc.post_write_cache = 2 * u64::from(BLOCK);
    dc.defrag_reserve_blocks = 4;
    let ns = NamespaceConfig::new("test").storage(StorageConfig::Device(dc));
    Database::open(
        DatabaseConfig::with_namespaces(vec![ns])
            .clock(Arc::new(clock.clone()))
            .background_threads(false),
    )
}

/// (generation, bins) of every version written per key.
type Written = HashMap<u8, Vec<(u32, Vec<(String, Value)>)>>;

fn check(db: &Database, written: &Written) {
    let ns = aerolite::testing::namespace(&db, "test").expect("namespace test exists");
    let digests: HashSet<_> = (0..KEYS).map(|k| key(k).digest).collect();
    for p in 0..aerolite::record::key::PARTITIONS {
        for d in ns.index.partition(p).keys() {
            assert!(
                digests.contains(d),
                "index holds a digest never written: {d:?}"
            );
        }
    }
    for k in 0..KEYS {
        match db.get(&ReadPolicy::default(), &key(k), Bins::All) {
            Ok(r) => {
                let bins: Vec<(String, Value)> = r
                    .bins
                    .iter()
                    .map(|(n, v)| (n.to_string(), v.clone()))
                    .collect();
                let ok = written
                    .get(&k)
                    .is_some_and(|vs| vs.iter().any(|(g, b)| *g == r.generation && *b == bins));
                assert!(
                    ok,
                    "key {k} served a version never written: gen {} {bins:?}",
                    r.generation
                );
            }
            Err(e) => assert!(
                matches!(e.code().code(), 1 | 2),
                "key {k}: unexpected error {e}"
            ),
        }
    }
}

fn run(input: Input) {
    if input.ops.len() > 64 || input.corrupt.len() > 8 {
        return;
    }
    let clock = ManualClock::at_2026();
    let snap = input.snapshot.then(snapshot_path);
    if let Some(p) = &snap {
        let _ = std::fs::remove_file(p);
    }
    let mem = Arc::new(MemoryDevice::new(DEVICE as u64));
    let Ok(db) = open(mem.clone(), snap.clone(), input.commit, &clock) else {
        panic!("a fresh device opens");
    };
    let mut written: Written = HashMap::new();
    let mut version = 0i64;
    for op in &input.ops {
        match op {
            Op::Put { k, pad } => {
                version += 1;
                let bins = vec![
                    Bin::new("v", version),
                    Bin::new(
                        "p",
                        Value::Blob(vec![version as u8; usize::from(*pad) * 24]),
                    ),
                ];
                if let Ok(r) = db.put(&WritePolicy::default(), &key(*k), &bins) {
                    let b = bins.into_iter().map(|b| (b.name, b.value)).collect();
                    written
                        .entry(*k % KEYS)
                        .or_default()
                        .push((r.generation, b));
                }
            }
            Op::Delete { k, durable } => {
                let p = WritePolicy {
                    durable_delete: *durable,
                    ..WritePolicy::default()
                };
                let _ = db.delete(&p, &key(*k));
            }
            Op::Flush => {
                let ns = aerolite::testing::namespace(&db, "test").expect("namespace test exists");
                let _ = ns.flush_step(true);
            }
            Op::Advance(ms) => clock.advance_ms(i64::from(*ms)),
        }
    }
    if input.clean {
        let _ = db.shutdown();
    } else {
        db.abandon();
    }
    let mut bytes = mem.contents();
    for c in &input.corrupt {
        match c {
            Corrupt::Flip { at, mask } => {
                let i = *at as usize % bytes.len().max(1);
                if let Some(b) = bytes.get_mut(i) {
                    *b ^= mask | 1;
                }
            }
            Corrupt::Zero { at, len } => {
                let i = *at as usize % bytes.len().max(1);
                let j = (i + usize::from(*len)).min(bytes.len());
                bytes[i..j].fill(0);
            }
            Corrupt::CopyBlock { from, to } => {
                let n = bytes.len() / BLOCK as usize;
                if n > 0 {
                    let (f, t) = (usize::from(*from) % n, usize::from(*to) % n);
                    let b = BLOCK as usize;
                    let src = bytes[f * b..(f + 1) * b].to_vec();
                    bytes[t * b..(t + 1) * b].copy_from_slice(&src);
                }
            }
            Corrupt::Truncate { len } => {
                let l = (*len as usize % (DEVICE + 1)) / 512 * 512;
                bytes.truncate(l);
            }
            Corrupt::SnapFlip { at, mask } => {
                if let Some(p) = &snap {
                    if let Ok(mut s) = std::fs::read(p) {
                        if !s.is_empty() {
                            let i = *at as usize % s.len();
                            s[i] ^= mask | 1;
                            let _ = std::fs::write(p, s);
                        }
                    }
                }
            }
            Corrupt::SnapTruncate { len } => {
                if let Some(p) = &snap {
                    if let Ok(mut s) = std::fs::read(p) {
                        s.truncate(*len as usize % (s.len() + 1));
                        let _ = std::fs::write(p, s);
                    }
                }
            }
            Corrupt::SnapDelete => {
                if let Some(p) = &snap {
                    let _ = std::fs::remove_file(p);
                }
            }
        }
    }
    let dev = Arc::new(MemoryDevice::from_bytes(bytes));
    let Ok(db) = open(dev.clone(), snap.clone(), input.commit, &clock) else {
        return;
    };
    check(&db, &written);
    let replace = WritePolicy::with_action(aerolite::RecordExistsAction::Replace);
    let _ = db.put(&replace, &key(0), &[Bin::new("v", -1)]);
    let _ = db.shutdown();
    if let Ok(db) = open(dev, snap.clone(), input.commit, &clock) {
        let mut w = written;
        // The write above is a legal version of key 0 too (whatever generation it got).
        if let Ok(r) = db.get(&ReadPolicy::default(), &key(0), Bins::All) {
            if r.bin("v") == Some(&Value::Int(-1)) {
                w.entry(0)
                    .or_default()
                    .push((r.generation, vec![("v".into(), Value::Int(-1))]));
            }
        }
        check(&db, &w);
        db.abandon();
    }
    if let Some(p) = &snap {
        let _ = std::fs::remove_file(p);
    }
}

fuzz_target!(|input: Input| {
    run(input);
});
