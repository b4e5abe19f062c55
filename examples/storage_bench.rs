//! Storage measurements for the device store (not a test; run once, in release):
//!
//! ```text
//! cargo run --release --example storage_bench -- DIR [records] [threads] [backend] [wa] [commit_threads]
//! ```
//!
//! `wa` is `wa` (default: run the write-amplification phase) or `no-wa` (skip it, for short
//! backend comparisons); `commit_threads` (default `max(threads, 32)`) sets the writers of the
//! commit-to-device phase.
//!
//! `backend` is `auto` (io_uring when available), `portable` or `uring`. Reports: write
//! throughput of `records` × 1.5 KiB records buffered (DUR-BUFFERED) and commit-to-device with
//! `threads` writers (group commit; a tenth of the records), fast restart (index snapshot) vs cold
//! start (scan), index bytes per record, and write amplification under uniform random overwrites
//! at defrag lwm 50 on a device sized for ~45 % live data.

use aerolite::config::{DeviceConfig, IoBackend};
use aerolite::{
    Bin, Database, DatabaseConfig, Key, NamespaceConfig, StorageConfig, Value, WritePolicy,
};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

static REFUSED: [std::sync::atomic::AtomicU64; 2] = [
    std::sync::atomic::AtomicU64::new(0),
    std::sync::atomic::AtomicU64::new(0),
];

const VALUE: usize = 1536 - 96; // padded image ≈ 1.5 KiB

fn cfg(path: &Path, file: u64, commit: bool, backend: IoBackend) -> DatabaseConfig {
    let mut d = DeviceConfig::new(path)
        .file_size(file)
        .commit_to_device(commit);
    d.io_backend = backend;
    let mut ns = NamespaceConfig::new("test").storage(StorageConfig::Device(d));
    ns.stop_writes_used_pct = 90;
    DatabaseConfig::with_namespaces(vec![ns]).progress(aerolite::progress::stderr_progress())
}

/// Write `to − from` records with `threads` writers: keys `from … to` in order, or (with
/// `random_keys`) uniformly random keys in `0 … to`.
fn put_range(
    db: &Arc<Database>,
    threads: u64,
    from: u64,
    to: u64,
    seed: u64,
    random_keys: bool,
) -> Duration {
    let t0 = Instant::now();
    let hs: Vec<_> = (0..threads)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                let mut x = seed ^ ((t + 1) * 0x9E37_79B9_7F4A_7C15);
                let wp = WritePolicy::default();
                let mut i = from + t;
                while i < to {
                    x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
                    let k_no = if random_keys { (x >> 20) % to } else { i };
                    let k = Key::new("test", "b", k_no as i64).expect("key");
                    let b = [Bin::new("v", Value::Blob(vec![(x >> 56) as u8; VALUE]))];
                    loop {
                        match db.put(&wp, &k, &b) {
                            Ok(_) => break,
                            // Back-pressure (8 / 18): let flush and defrag catch up.
                            Err(e) => {
                                REFUSED
                                    [usize::from(e.code() == aerolite::ResultCode::DeviceOverload)]
                                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                                std::thread::sleep(Duration::from_millis(1))
                            }
                        }
                    }
                    i += threads;
                }
            })
        })
        .collect();
    for h in hs {
        h.join().expect("writer");
    }
    t0.elapsed()
}

fn report(what: &str, n: u64, d: Duration) {
    let s = d.as_secs_f64();
    println!(
        "{what}: {n} records in {s:.2} s = {:.0} writes/s, {:.1} MiB/s",
        n as f64 / s,
        n as f64 * 1536.0 / s / (1 << 20) as f64
    );
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let dir = Path::new(args.get(1).map_or("/tmp/aerolite-bench", String::as_str)).to_path_buf();
    let records: u64 = args
        .get(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let threads: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(4);
    let run_wa = args.get(5).is_none_or(|s| s != "no-wa");
    let commit_threads: u64 = args
        .get(6)
        .and_then(|s| s.parse().ok())
        .unwrap_or(threads.max(32));
    let backend = match args.get(4).map(String::as_str) {
        Some("portable") => IoBackend::Portable,
        Some("uring") => IoBackend::Uring,
        _ => IoBackend::Auto,
    };
    std::fs::create_dir_all(&dir).expect("bench dir");
    let file = (records * 1536 * 22 / 10).max(64 << 20);
    let path = dir.join("bench.dev");
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(dir.join("bench.dev.snapshot"));

    // Buffered load.
    let db = Arc::new(Database::open(cfg(&path, file, false, backend)).expect("open"));
    let d = put_range(&db, threads, 0, records, 1, false);
    report(&format!("buffered load ({threads} threads)"), records, d);
    let s = db.stats();
    println!(
        "index: {} bytes for {} records = {:.1} bytes/record (maps by capacity)",
        s.index_bytes,
        s.records,
        s.index_bytes as f64 / s.records.max(1) as f64
    );
    let t0 = Instant::now();
    Arc::try_unwrap(db)
        .ok()
        .expect("sole owner")
        .shutdown()
        .expect("clean shutdown");
    println!(
        "clean shutdown (flush + snapshot): {:.2} s",
        t0.elapsed().as_secs_f64()
    );
    let t0 = Instant::now();
    let db = Database::open(cfg(&path, file, false, backend)).expect("fast restart");
    let fast = t0.elapsed();
    let s = db.stats();
    println!(
        "fast restart: {:.3} s ({} records, from snapshot: {})",
        fast.as_secs_f64(),
        s.records,
        s.fast_restart
    );
    db.abandon();
    let t0 = Instant::now();
    let db = Database::open(cfg(&path, file, false, backend)).expect("cold start");
    let cold = t0.elapsed();
    let s = db.stats();
    println!(
        "cold start: {:.3} s ({} records, {} images scanned, {} superseded)",
        cold.as_secs_f64(),
        s.records,
        s.scan_images,
        s.restart_superseded
    );

    // Uniform overwrites: write amplification at lwm 50.
    if run_wa {
        let db = Arc::new(db);
        let before = db.stats();
        let overwrites = records;
        let d = put_range(&db, threads, 0, overwrites, 7, true);
        std::thread::sleep(Duration::from_millis(1500));
        let after = db.stats();
        let client = after.client_bytes - before.client_bytes;
        let device = after.bytes_written - before.bytes_written;
        report("uniform overwrites", overwrites, d);
        println!(
            "refusals during the run: {} out of space (8), {} overload (18)",
            REFUSED[0].load(std::sync::atomic::Ordering::Relaxed),
            REFUSED[1].load(std::sync::atomic::Ordering::Relaxed)
        );
        println!(
            "write amplification at lwm 50: {:.3} (client {} MiB, device {} MiB, defrag moved {} MiB; bound 2.0)",
            device as f64 / client.max(1) as f64,
            client >> 20,
            device >> 20,
            (after.defrag_bytes - before.defrag_bytes) >> 20
        );
        drop(Arc::try_unwrap(db).ok().expect("sole owner"));
    } else {
        drop(db);
    }

    // Commit-to-device with group commit.
    let n = (records / 10).max(1000);
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_file(dir.join("bench.dev.snapshot"));
    let db = Arc::new(Database::open(cfg(&path, file, true, backend)).expect("open"));
    let syncs0 = db.stats().syncs;
    let d = put_range(&db, commit_threads, 0, n, 3, false);
    report(
        &format!("commit-to-device ({commit_threads} threads)"),
        n,
        d,
    );
    let syncs = db.stats().syncs - syncs0;
    println!(
        "group commit: {syncs} syncs, {:.1} records per sync",
        n as f64 / syncs.max(1) as f64
    );
    println!("I/O backend: {}", db.stats().io_backend);
    drop(db);
    let _ = std::fs::remove_file(&path);
}
