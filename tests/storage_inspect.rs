//! `aerolite inspect PATH [--verify]`: prints the device header and a per-block summary; verify
//! exits 0 on a healthy device and 2 once an image is damaged (SN-REQ-CRC).

#![cfg(feature = "cli")]

mod storage_support;

use aerolite::cli::inspect;
use aerolite::ManualClock;
use storage_support::*;

#[test]
fn inspect_prints_header_and_verify_detects_a_flip() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    for i in 0..100 {
        db.put(&wp(false), &key(i), &bins(i, 1000)).expect("put");
    }
    db.shutdown().expect("clean shutdown");
    let dev = dir.path().join("ns.dev");
    let mut out = Vec::new();
    assert_eq!(inspect::run(&dev, true, &mut out).expect("inspect"), 0);
    let text = String::from_utf8(out).expect("utf-8");
    assert!(text.contains("namespace     test"), "{text}");
    assert!(text.contains("clean=true"), "{text}");
    assert!(text.contains("100 images"), "{text}");
    assert!(text.contains("verify: OK"), "{text}");
    // Flip one byte inside the first image of block 0 (after the 32-byte block header).
    let bytes = std::fs::read(&dev).expect("read device");
    let mut bad = bytes.clone();
    bad[BLOCK as usize + 32 + 100] ^= 0x20;
    std::fs::write(&dev, &bad).expect("write device");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_aerolite"))
        .args(["inspect", "--verify"])
        .arg(&dev)
        .output()
        .expect("run aerolite inspect");
    let text = String::from_utf8_lossy(&status.stdout);
    assert_eq!(status.status.code(), Some(2), "{text}");
    assert!(text.contains("CORRUPTION FOUND"), "{text}");
}
