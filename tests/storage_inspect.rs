//! `aerolite inspect PATH [--verify]`: prints the device header and a per-block summary; verify
//! exits 0 on a healthy device — also after overwrites, defrag and restarts have left reused
//! blocks with the stale tails of earlier incarnations (storage-format.md "A freed block keeps its
//! old contents") — and 2 once an image the current incarnation wrote is damaged (SN-REQ-CRC).
//! Verify classifies bytes with the cold start's own block scan (`cold_start::scan_block`).

#![cfg(feature = "cli")]

mod storage_support;

use aerolite::cli::inspect;
use aerolite::storage::cold_start::scan_block;
use aerolite::{Database, ManualClock};
use std::path::Path;
use storage_support::*;

/// Run `aerolite inspect --verify` on `dev` as a process: (exit code, stdout).
fn verify_cli(dev: &Path) -> (Option<i32>, String) {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_aerolite"))
        .args(["inspect", "--verify"])
        .arg(dev)
        .output()
        .expect("run aerolite inspect");
    let text = String::from_utf8_lossy(&status.stdout).into_owned();
    (status.status.code(), text)
}

fn verify_lib(dev: &Path) -> (i32, String) {
    let mut out = Vec::new();
    let code = inspect::run(dev, true, &mut out).expect("inspect");
    (code, String::from_utf8(out).expect("utf-8"))
}

#[test]
fn inspect_prints_header_and_verify_detects_a_flip() {
    let _serial = storage_support::serial();
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    for i in 0..100 {
        db.put(&wp(false), &key(i), &bins(i, 1000)).expect("put");
    }
    db.shutdown().expect("clean shutdown");
    let dev = dir.path().join("ns.dev");
    let (code, text) = verify_lib(&dev);
    assert_eq!(code, 0, "{text}");
    assert!(text.contains("namespace     test"), "{text}");
    assert!(text.contains("clean=true"), "{text}");
    assert!(text.contains("100 images"), "{text}");
    assert!(text.contains("verify: OK"), "{text}");
    // Flip one byte inside the first image of block 0 (after the 32-byte block header).
    let bytes = std::fs::read(&dev).expect("read device");
    let mut bad = bytes.clone();
    bad[BLOCK as usize + 32 + 100] ^= 0x20;
    std::fs::write(&dev, &bad).expect("write device");
    let (code, text) = verify_cli(&dev);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("CORRUPTION FOUND"), "{text}");
}

/// Flush, then defragment until nothing is queued.
fn maintain(db: &Database) {
    db.flush().expect("flush");
    while db.defrag_step("test", 8).expect("defrag").blocks > 0 {
        db.flush().expect("flush");
    }
}

/// Overwrites with defrag on a 2 MiB device over several clean and unclean restarts: blocks are
/// freed and reused, and each session's last block is left partly written over an earlier
/// incarnation. Returns the device path.
fn overwrite_workload(dir: &Path) -> std::path::PathBuf {
    let clock = ManualClock::at_2026();
    let mut cfg = file_config(dir);
    cfg.file_size_bytes = 2 << 20;
    cfg.defrag_lwm_pct = 50;
    let mut n = 0i64;
    for session in 0..6 {
        let db = open_on(cfg.clone(), &clock).expect("open");
        // A different record size each session, so reused blocks' old image boundaries differ.
        let pad = 700 + 230 * session as usize;
        for _ in 0..(900 + 37 * session) {
            n += 1;
            let k = (n * 7919) % 150;
            db.put(&wp(false), &key(k), &bins(n, pad))
                .expect("overwrite");
            if n % 40 == 0 {
                maintain(&db);
            }
        }
        maintain(&db);
        if session % 2 == 0 {
            db.shutdown().expect("clean shutdown");
        } else {
            // Crash after the flush: a cold start next time.
            drop(db);
        }
    }
    dir.join("ns.dev")
}

/// The block-by-block view of the cold start: (block offset, accepted images) of every block.
fn accepted_images(dev: &Path) -> Vec<(usize, Vec<(u32, u32)>)> {
    let bytes = std::fs::read(dev).expect("read device");
    let bs = BLOCK as usize;
    let set_id = u64::from_le_bytes(bytes[32..40].try_into().expect("8 bytes"));
    (1..bytes.len() / bs)
        .map(|i| {
            let s = scan_block(&bytes[i * bs..(i + 1) * bs], (i - 1) as u32, set_id);
            (i * bs, s.images)
        })
        .collect()
}

/// Issue 11 point 8: verify must not count the stale tail of a reused block as damage.
#[test]
fn verify_is_ok_after_overwrites_defrag_and_restarts() {
    let _serial = storage_support::serial();
    let dir = tmp();
    let dev = overwrite_workload(dir.path());
    let (code, text) = verify_lib(&dev);
    // The workload really left stale tails behind (else this test proves nothing).
    let total = text
        .lines()
        .find(|l| l.starts_with("total:"))
        .expect("total line");
    assert!(
        !total.contains(" 0 stale") || !total.contains(" 0 unparsed"),
        "the workload left no stale tail: {total}"
    );
    assert_eq!(code, 0, "healthy store reported damaged:\n{text}");
    assert!(text.contains("verify: OK"), "{text}");
    let (code, text) = verify_cli(&dev);
    assert_eq!(code, Some(0), "{text}");
}

/// After the same workload, real damage is still found: a flipped bit in any accepted image, a
/// zeroed sector inside a block's images, or a misdirected block.
#[test]
fn verify_finds_real_damage_after_overwrites() {
    let _serial = storage_support::serial();
    let dir = tmp();
    let dev = overwrite_workload(dir.path());
    let clean = std::fs::read(&dev).expect("read device");
    let blocks = accepted_images(&dev);
    let with_images: Vec<_> = blocks.iter().filter(|(_, i)| i.len() >= 3).collect();
    assert!(with_images.len() >= 4, "workload wrote blocks");
    // Bit flips: in the first, a middle and the last image of several blocks.
    for (at, images) in with_images.iter().step_by(3) {
        for (off, len) in [
            images[0],
            images[images.len() / 2],
            images[images.len() - 1],
        ] {
            // The last byte covered by the CRC: padding is below 16 bytes.
            for inside in [0usize, 5, 20, 60, len as usize - 17] {
                let mut bad = clean.clone();
                bad[at + off as usize + inside] ^= 0x10;
                std::fs::write(&dev, &bad).expect("write device");
                let (code, text) = verify_lib(&dev);
                assert_eq!(code, 2, "flip at {at}+{off}+{inside} not found:\n{text}");
            }
        }
    }
    // A zeroed 512-byte sector inside the images of a block (not its last image's sector).
    let (at, images) = with_images[0];
    let (off, _) = images[1];
    let sector = (at + off as usize) / 512 * 512;
    let mut bad = clean.clone();
    bad[sector..sector + 512].fill(0);
    std::fs::write(&dev, &bad).expect("write device");
    let (code, text) = verify_cli(&dev);
    assert_eq!(code, Some(2), "zeroed sector not found:\n{text}");
    // A misdirected write: block 1's bytes in block 2's place.
    let bs = BLOCK as usize;
    let mut bad = clean.clone();
    bad.copy_within(2 * bs..3 * bs, 3 * bs);
    std::fs::write(&dev, &bad).expect("write device");
    let (code, text) = verify_lib(&dev);
    assert_eq!(code, 2, "misdirected block not found:\n{text}");
}
