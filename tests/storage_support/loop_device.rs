//! A raw block device for tests: the one named by `AEROLITE_RAW_DEVICE` (**its contents are
//! overwritten**), or a loop device attached over a temporary file (needs root and `losetup`),
//! detached on drop. `None` when neither is available (the caller says so and checks nothing).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;

/// A raw device path; a loop device is detached when this is dropped.
pub struct RawDevice {
    /// The block device.
    pub path: PathBuf,
    attached: bool,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for RawDevice {
    fn drop(&mut self) {
        if self.attached {
            let _ = Command::new("losetup").arg("-d").arg(&self.path).status();
        }
    }
}

fn attach_loop(mib: u64) -> Option<RawDevice> {
    let dir = tempfile::tempdir().ok()?;
    let img = dir.path().join("raw.img");
    let f = std::fs::File::create(&img).ok()?;
    f.set_len(mib << 20).ok()?;
    drop(f);
    let out = Command::new("losetup")
        .args(["-f", "--show"])
        .arg(&img)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    Some(RawDevice {
        path,
        attached: true,
        _dir: Some(dir),
    })
}

/// The raw device to test on (`mib` MiB when a loop device is attached), with its first 4 MiB
/// zeroed so the store opens it as blank.
pub fn raw_device(mib: u64) -> Option<RawDevice> {
    let d = match std::env::var_os("AEROLITE_RAW_DEVICE") {
        Some(p) => RawDevice {
            path: PathBuf::from(p),
            attached: false,
            _dir: None,
        },
        None => attach_loop(mib)?,
    };
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(&d.path)
        .expect("open the raw device for writing");
    std::os::unix::fs::FileExt::write_all_at(&f, &vec![0u8; 4 << 20], 0).expect("blank");
    f.sync_all().expect("sync");
    Some(d)
}
