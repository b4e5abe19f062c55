//! io_uring backend (Linux): the same file as `portable`, with the extents of one call submitted
//! together in one ring submission (up to 64 entries each) and reaped before returning: the
//! writes of a flush batch of several extents (every sealed buffer and flush-size chunk due at
//! once; a batch of one extent is a positional write, as `portable`'s) and a `read_batch`
//! (cold-start read-ahead, defrag, batch gets). A single-extent read (a point read that goes to
//! the device) is a positional read, as `portable`'s. `write_batch_then_sync` hands over once every
//! write completion was reaped and then calls `fdatasync`: durability is learned only from the
//! sync's return, never inferred from submission (SN-REQ-URING-ORDER). An `IORING_OP_FSYNC`
//! flagged `IO_DRAIN` in the same submission was measured and was slower here (it is executed by
//! an io-wq worker after the drain; BENCHMARKS.md "Group commit"), so the sync stays a syscall.
//!
//! Invariants: a ring is used by one thread at a time (rings live in a pool behind a mutex); no
//! call returns while an entry it submitted is unreaped (the entries borrow the caller's
//! buffers), I/O errors included — the only exception is `io_uring_enter` itself failing with
//! something other than an interruption, after which the ring is dropped, never reused; a short
//! transfer is completed with a positional read/write, so callers see all-or-error.

use crate::error::{Error, Result, ResultCode};
use crate::storage::device::portable::PortableDevice;
use crate::storage::device::{io_error, Device};
use io_uring::{opcode, types, IoUring};
use std::os::unix::fs::FileExt;
use std::os::unix::io::AsRawFd;
use std::sync::Mutex;

const RING_ENTRIES: u32 = 64;
const POOL_MAX: usize = 8;

/// One transfer: offset, buffer pointer, length, whether it is a write.
type Op = (u64, *mut u8, usize, bool);

/// io_uring over a portable device's file.
pub struct UringDevice {
    file: PortableDevice,
    rings: Mutex<Vec<IoUring>>,
}

fn wait(ring: &mut IoUring, want: usize) -> Result<()> {
    // Entries are in flight and borrow the caller's buffers: only give up on an error that
    // cannot be a transient interruption.
    loop {
        match ring.submit_and_wait(want) {
            Ok(_) => return Ok(()),
            Err(e)
                if matches!(
                    e.raw_os_error(),
                    Some(libc::EINTR | libc::EAGAIN | libc::EBUSY)
                ) => {}
            Err(e) => return Err(io_error("io_uring wait", e)),
        }
    }
}

impl UringDevice {
    /// Wrap `file`; gives the file back when no ring can be created (kernel without io_uring,
    /// seccomp, …) so the caller can fall back to `portable`.
    pub fn new(file: PortableDevice) -> std::result::Result<UringDevice, (PortableDevice, Error)> {
        match IoUring::new(RING_ENTRIES) {
            Ok(r) => Ok(UringDevice {
                file,
                rings: Mutex::new(vec![r]),
            }),
            Err(e) => Err((file, io_error("io_uring setup", e))),
        }
    }

    fn ring(&self) -> Result<IoUring> {
        if let Some(r) = self.rings.lock().expect("ring pool poisoned").pop() {
            return Ok(r);
        }
        IoUring::new(RING_ENTRIES).map_err(|e| io_error("io_uring setup", e))
    }

    fn give_back(&self, r: IoUring) {
        let mut pool = self.rings.lock().expect("ring pool poisoned");
        if pool.len() < POOL_MAX {
            pool.push(r);
        }
    }

    /// Submit `ops` in ring-sized chunks (one submission per chunk) and reap them all;
    /// short transfers are finished positionally.
    fn run(&self, ops: &[Op]) -> Result<()> {
        let mut ring = self.ring()?;
        let fd = types::Fd(self.file.file.as_raw_fd());
        let mut done = vec![0usize; ops.len()];
        let mut first_err: Option<Error> = None;
        for (c, chunk) in ops.chunks(RING_ENTRIES as usize).enumerate() {
            let base = c * RING_ENTRIES as usize;
            let mut left = 0usize;
            for (i, &(off, ptr, len, write)) in chunk.iter().enumerate() {
                let Ok(len32) = u32::try_from(len) else {
                    first_err = Some(Error::new(ResultCode::ServerError, "I/O above 4 GiB"));
                    break;
                };
                let entry = if write {
                    opcode::Write::new(fd, ptr, len32).offset(off).build()
                } else {
                    opcode::Read::new(fd, ptr, len32).offset(off).build()
                }
                .user_data((base + i) as u64);
                // SAFETY: every pointer stays valid and unaliased until its completion is reaped
                // below, before this function returns (the callers' borrows outlive the call).
                if unsafe { ring.submission().push(&entry) }.is_err() {
                    first_err = Some(Error::new(ResultCode::ServerError, "io_uring queue full"));
                    break;
                }
                left += 1;
            }
            if left > 0 {
                // Not submitted on error: dropping the ring (not pooling it) discards them.
                wait(&mut ring, 0)?;
            }
            while left > 0 {
                let cqes: Vec<(u64, i32)> = ring
                    .completion()
                    .map(|c| (c.user_data(), c.result()))
                    .collect();
                if cqes.is_empty() {
                    wait(&mut ring, 1)?;
                    continue;
                }
                for (ud, res) in cqes {
                    left -= 1;
                    if res < 0 {
                        first_err.get_or_insert(io_error(
                            &format!("io_uring I/O on {}", self.file.path().display()),
                            std::io::Error::from_raw_os_error(-res),
                        ));
                    } else {
                        done[ud as usize] = res as usize;
                    }
                }
            }
            if first_err.is_some() {
                break;
            }
        }
        self.give_back(ring);
        match first_err {
            Some(e) => Err(e),
            None => self.finish_short(ops, &done),
        }
    }

    /// Complete short transfers with positional I/O.
    fn finish_short(&self, ops: &[Op], done: &[usize]) -> Result<()> {
        for (&(off, ptr, len, write), &n) in ops.iter().zip(done) {
            if n >= len {
                continue;
            }
            if write {
                // SAFETY: `ptr`/`len` describe a live shared borrow of the caller (see `run`);
                // no ring entry references it any more.
                let b = unsafe { std::slice::from_raw_parts(ptr.add(n), len - n) };
                self.file
                    .file
                    .write_all_at(b, off + n as u64)
                    .map_err(|e| {
                        io_error(&format!("write to {}", self.file.path().display()), e)
                    })?;
            } else {
                // SAFETY: as above, a live exclusive borrow of the caller.
                let b = unsafe { std::slice::from_raw_parts_mut(ptr.add(n), len - n) };
                self.file
                    .file
                    .read_exact_at(b, off + n as u64)
                    .map_err(|e| io_error(&format!("read of {}", self.file.path().display()), e))?;
            }
        }
        Ok(())
    }
}

impl Device for UringDevice {
    fn capacity(&self) -> u64 {
        self.file.capacity()
    }

    /// One extent (a point read's image) is a positional read, as one extent's write is: one
    /// syscall where the ring costs two (submit, then wait), its pool lock and two small
    /// allocations; concurrent readers' reads still reach the device together. At queue depth
    /// 32 (32 reader threads, the setup of `scripts/qd32-vs-fio`) this took the CPU per
    /// operation down by 10–15 % and the reads/s up by ~6 % (BENCHMARKS.md "Session 16").
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.file.read_at(offset, buf)
    }

    /// Batched reads (`Database::get_many`, cold-start read-ahead, defrag): every extent
    /// submitted to one ring together, so the device sees them at once (queue depth = batch
    /// size, up to the ring size per submission).
    /// A batch of one extent is a positional read, as `read_at` is.
    fn read_batch(&self, reads: &mut [(u64, &mut [u8])]) -> Result<()> {
        if let [(offset, buf)] = reads {
            return self.read_at(*offset, buf);
        }
        let ops: Vec<Op> = reads
            .iter_mut()
            .map(|(o, b)| (*o, b.as_mut_ptr(), b.len(), false))
            .collect();
        self.run(&ops)
    }

    /// Page-cache reads are positional reads on the buffered descriptor: a hit costs one copy,
    /// less than a ring round trip.
    fn read_cached(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        self.file.read_cached(offset, buf)
    }

    fn read_align(&self) -> usize {
        self.file.read_align()
    }

    fn advise_will_read(&self, offset: u64, len: u64) {
        self.file.advise_will_read(offset, len)
    }

    fn write_at(&self, offset: u64, buf: &[u8]) -> Result<()> {
        self.file.write_at(offset, buf)
    }

    /// One extent (a commit-to-device group commit's usual batch: the open buffer's dirty tail)
    /// is a positional write: one syscall where the ring costs two (submit, then wait) and its
    /// pool lock (measured with 16 commit-to-device writers, 6 runs in turns: median 80.1k →
    /// 84.4k writes/s; BENCHMARKS.md "Commit-to-device writes, session 8").
    /// Several extents go to the ring together, so the device sees them at once.
    fn write_batch(&self, writes: &[(u64, &[u8])]) -> Result<()> {
        match writes {
            [] => Ok(()),
            [(offset, buf)] => self.file.write_at(*offset, buf),
            _ => self.run(&write_ops(writes)),
        }
    }

    fn sync(&self) -> Result<()> {
        self.file.sync()
    }

    fn kind(&self) -> &'static str {
        if self.file.is_direct() {
            "io_uring-direct"
        } else {
            "io_uring-buffered"
        }
    }
}

/// Write ops only read through the pointer; the cast is what the opcode takes.
fn write_ops(writes: &[(u64, &[u8])]) -> Vec<Op> {
    writes
        .iter()
        .map(|(o, b)| (*o, b.as_ptr() as *mut u8, b.len(), true))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::device::{AlignedBuf, ALIGN};

    /// A 1 MiB direct-I/O device in `dir`, or `None` where io_uring is unavailable.
    fn device(dir: &tempfile::TempDir) -> Option<UringDevice> {
        let file = PortableDevice::open(&dir.path().join("d"), 1 << 20, true).expect("open");
        UringDevice::new(file).ok()
    }

    #[test]
    fn batched_writes_read_back_or_fall_back() {
        let dir = tempfile::tempdir().expect("tempdir");
        let Some(d) = device(&dir) else {
            return; // no io_uring here: the fallback path is what runs (open_path tests it)
        };
        let mut a = AlignedBuf::zeroed(ALIGN);
        a.as_mut_slice().fill(3);
        let mut b = AlignedBuf::zeroed(2 * ALIGN);
        b.as_mut_slice().fill(4);
        d.write_batch(&[(0, a.as_slice()), (ALIGN as u64, b.as_slice())])
            .expect("batch");
        d.sync().expect("sync");
        let mut r = AlignedBuf::zeroed(3 * ALIGN);
        d.read_at(0, r.as_mut_slice()).expect("read");
        assert!(r.as_slice()[..ALIGN].iter().all(|&x| x == 3));
        assert!(r.as_slice()[ALIGN..].iter().all(|&x| x == 4));
        // One extent (a positional write) and none.
        let mut c = AlignedBuf::zeroed(ALIGN);
        c.as_mut_slice().fill(5);
        d.write_batch(&[(2 * ALIGN as u64, c.as_slice())])
            .expect("one extent");
        d.write_batch(&[]).expect("no extent");
        d.read_at(0, r.as_mut_slice()).expect("read");
        assert!(r.as_slice()[..ALIGN].iter().all(|&x| x == 3));
        assert!(r.as_slice()[ALIGN..2 * ALIGN].iter().all(|&x| x == 4));
        assert!(r.as_slice()[2 * ALIGN..].iter().all(|&x| x == 5));
    }

    /// One extent, by `read_at` or a `read_batch` of one, is read positionally: the bytes
    /// written, and an error (not a short or zeroed buffer) past the end of the device.
    #[test]
    fn one_extent_reads_return_the_bytes_or_an_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let Some(d) = device(&dir) else {
            return; // no io_uring here: the fallback path is what runs (open_path tests it)
        };
        let mut w = AlignedBuf::zeroed(2 * ALIGN);
        w.as_mut_slice()[..ALIGN].fill(7);
        w.as_mut_slice()[ALIGN..].fill(8);
        d.write_at(ALIGN as u64, w.as_slice()).expect("write");
        let mut r = AlignedBuf::zeroed(ALIGN);
        d.read_at(2 * ALIGN as u64, r.as_mut_slice()).expect("read_at");
        assert!(r.as_slice().iter().all(|&x| x == 8));
        let mut one = AlignedBuf::zeroed(ALIGN);
        d.read_batch(&mut [(ALIGN as u64, one.as_mut_slice())])
            .expect("read_batch of one");
        assert!(one.as_slice().iter().all(|&x| x == 7));
        let end = d.capacity();
        assert!(d.read_at(end, r.as_mut_slice()).is_err(), "past the end");
        assert!(
            d.read_batch(&mut [(end, r.as_mut_slice())]).is_err(),
            "past the end, batch of one"
        );
        d.read_batch(&mut []).expect("no extent");
    }

    /// `read_batch` fills every extent in one submission; `write_batch_then_sync` hands over
    /// exactly once, after the writes and before it returns; extents beyond one ring's 64
    /// entries are chunked.
    #[test]
    fn read_batch_and_write_then_sync_hand_over() {
        let dir = tempfile::tempdir().expect("tempdir");
        let Some(d) = device(&dir) else {
            return; // no io_uring here: the fallback path is what runs (open_path tests it)
        };
        let bufs: Vec<AlignedBuf> = (0..100u8)
            .map(|i| {
                let mut b = AlignedBuf::zeroed(ALIGN);
                b.as_mut_slice().fill(i + 1);
                b
            })
            .collect();
        let writes: Vec<(u64, &[u8])> = bufs
            .iter()
            .enumerate()
            .map(|(i, b)| ((i * ALIGN) as u64, b.as_slice()))
            .collect();
        let mut handed = 0;
        d.write_batch_then_sync(&writes, &mut || handed += 1)
            .expect("write + sync");
        assert_eq!(handed, 1, "handed over once");
        let mut back: Vec<AlignedBuf> = (0..100).map(|_| AlignedBuf::zeroed(ALIGN)).collect();
        let mut reads: Vec<(u64, &mut [u8])> = back
            .iter_mut()
            .enumerate()
            .rev()
            .map(|(i, b)| ((i * ALIGN) as u64, b.as_mut_slice()))
            .collect();
        d.read_batch(&mut reads).expect("read batch");
        for (i, b) in back.iter().enumerate() {
            assert!(b.as_slice().iter().all(|&x| x == i as u8 + 1), "extent {i}");
        }
        let mut beyond = AlignedBuf::zeroed(ALIGN);
        assert!(
            d.read_batch(&mut [(1 << 20, beyond.as_mut_slice())])
                .is_err(),
            "a read past the end is an error, not a short success"
        );
    }
}
