//! Fault-injecting device wrapper for crash tests. The wrapped device holds the *durable* bytes;
//! writes since the last effective sync live in an overlay that the running process reads back
//! but a crash loses.
//!
//! Faults (all counted from 1):
//! - `fail_io`: the k-th I/O (read, write or sync) returns `ServerError` 1;
//! - `durable_syncs`: syncs after the k-th still return Ok but no longer make anything durable
//!   (the device "lies" from then on, as a crash right after sync k would look);
//! - `torn_sectors`: at [`FaultyDevice::crash`], the first pending write reaches the durable image
//!   only for its first n sectors of [`SECTOR`] bytes (a torn write at a sector boundary);
//! - `no_space_from`: from the k-th I/O on, every write fails as on a full filesystem (`ENOSPC`,
//!   reported as "no space on device"); reads and syncs keep working.
//!
//! Invariant: durable bytes change only in `sync` (while durability holds) and in `crash`.

use crate::error::{err, Result, ResultCode};
use crate::storage::device::{io_error, Device};
use std::sync::{Arc, Mutex};

/// Sector size assumed atomic (storage-format.md "Assumptions about the device").
pub const SECTOR: usize = 512;

/// What to inject.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FaultPlan {
    /// Fail the k-th I/O.
    pub fail_io: Option<u64>,
    /// Only the first k syncs make writes durable.
    pub durable_syncs: Option<u64>,
    /// Tear the first pending write after this many sectors at crash.
    pub torn_sectors: Option<usize>,
    /// Writes from the k-th I/O on fail with `ENOSPC`.
    pub no_space_from: Option<u64>,
}

#[derive(Default)]
struct State {
    plan: FaultPlan,
    pending: Vec<(u64, Vec<u8>)>,
    ios: u64,
    syncs: u64,
    crashed: bool,
}

/// The wrapper.
pub struct FaultyDevice {
    inner: Arc<dyn Device>,
    state: Mutex<State>,
}

impl FaultyDevice {
    /// Wrap `inner` (which holds the durable bytes).
    pub fn new(inner: Arc<dyn Device>, plan: FaultPlan) -> FaultyDevice {
        FaultyDevice {
            inner,
            state: Mutex::new(State {
                plan,
                ..State::default()
            }),
        }
    }

    /// Syncs issued so far.
    pub fn syncs(&self) -> u64 {
        self.lock().syncs
    }

    /// I/Os issued so far.
    pub fn ios(&self) -> u64 {
        self.lock().ios
    }

    /// Change the plan (e.g. stop durability from now on).
    pub fn set_plan(&self, plan: FaultPlan) {
        self.lock().plan = plan;
    }

    /// Crash: apply the torn prefix of the first pending write (if planned), drop every other
    /// pending write, and refuse all later I/O. The wrapped device is then the post-crash image.
    pub fn crash(&self) {
        let mut s = self.lock();
        if let (Some(n), Some((off, bytes))) = (s.plan.torn_sectors, s.pending.first()) {
            let keep = (n * SECTOR).min(bytes.len());
            // The durable image is what the test reopens; a failure here is a broken test setup.
            self.inner
                .write_at(*off, &bytes[..keep])
                .expect("torn write into the wrapped device");
        }
        s.pending.clear();
        s.crashed = true;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().expect("faulty device poisoned")
    }

    fn count(&self, s: &mut State) -> Result<()> {
        if s.crashed {
            return err(ResultCode::ServerError, "device crashed (injected)");
        }
        s.ios += 1;
        if s.plan.fail_io == Some(s.ios) {
            return err(
                ResultCode::ServerError,
                format!("injected failure of I/O {}", s.ios),
            );
        }
        Ok(())
    }
}

impl Device for FaultyDevice {
    fn capacity(&self) -> u64 {
        self.inner.capacity()
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let mut s = self.lock();
        self.count(&mut s)?;
        self.inner.read_at(offset, buf)?;
        let end = offset + buf.len() as u64;
        for (off, bytes) in &s.pending {
            let (wo, we) = (*off, *off + bytes.len() as u64);
            let (lo, hi) = (wo.max(offset), we.min(end));
            if lo < hi {
                buf[(lo - offset) as usize..(hi - offset) as usize]
                    .copy_from_slice(&bytes[(lo - wo) as usize..(hi - wo) as usize]);
            }
        }
        Ok(())
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()> {
        let mut s = self.lock();
        self.count(&mut s)?;
        if s.plan.no_space_from.is_some_and(|k| s.ios >= k) {
            return Err(io_error(
                &format!("write at offset {offset} (injected)"),
                std::io::Error::from_raw_os_error(libc::ENOSPC),
            ));
        }
        if offset + buf.len() as u64 > self.inner.capacity() {
            return err(ResultCode::ServerError, "write beyond device end");
        }
        s.pending.push((offset, buf.to_vec()));
        Ok(())
    }

    fn sync(&self) -> Result<()> {
        let mut s = self.lock();
        self.count(&mut s)?;
        s.syncs += 1;
        if s.plan.durable_syncs.is_none_or(|k| s.syncs <= k) {
            for (off, bytes) in std::mem::take(&mut s.pending) {
                self.inner.write_at(off, &bytes)?;
            }
            self.inner.sync()?;
        }
        Ok(())
    }

    fn read_align(&self) -> usize {
        self.inner.read_align()
    }

    fn kind(&self) -> &'static str {
        "faulty"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::device::memory::MemoryDevice;

    #[test]
    fn writes_after_the_last_durable_sync_are_lost_at_crash() {
        let mem = Arc::new(MemoryDevice::new(16 * 1024));
        let f = FaultyDevice::new(
            mem.clone(),
            FaultPlan {
                durable_syncs: Some(1),
                ..FaultPlan::default()
            },
        );
        f.write_at(0, &[1; 4096]).expect("write");
        f.sync().expect("sync 1 durable");
        f.write_at(4096, &[2; 4096]).expect("write");
        f.sync().expect("sync 2 lies");
        let mut b = [0u8; 4096];
        f.read_at(4096, &mut b).expect("read own write");
        assert_eq!(b, [2; 4096], "the process sees its own writes");
        f.crash();
        let c = mem.contents();
        assert!(c[..4096].iter().all(|&x| x == 1));
        assert!(c[4096..8192].iter().all(|&x| x == 0), "lost after crash");
        assert!(f.read_at(0, &mut b).is_err(), "no I/O after crash");
    }

    #[test]
    fn kth_io_fails_and_torn_write_keeps_a_sector_prefix() {
        let mem = Arc::new(MemoryDevice::new(16 * 1024));
        let f = FaultyDevice::new(
            mem.clone(),
            FaultPlan {
                fail_io: Some(2),
                torn_sectors: Some(3),
                ..FaultPlan::default()
            },
        );
        f.write_at(0, &[5; 4096]).expect("io 1");
        assert_eq!(
            f.sync().map_err(|e| e.code()),
            Err(ResultCode::ServerError),
            "io 2 fails"
        );
        f.crash();
        let c = mem.contents();
        assert!(c[..3 * SECTOR].iter().all(|&x| x == 5));
        assert!(c[3 * SECTOR..4096].iter().all(|&x| x == 0));
    }
}
