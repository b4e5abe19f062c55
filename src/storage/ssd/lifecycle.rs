//! The device store's open and close ([`Lifecycle`]): the restore `open` chose, the cold-start
//! scan, rebuilding the space accounting from the index at the end of open, the clean shutdown
//! (everything flushed, then the index snapshot and clean headers) and the simulated crash.
//!
//! Invariants: after `finish_open` the durable frontier covers every restored image and the
//! headers are unclean with a new instance id (the snapshot can never be loaded again); a clean
//! shutdown's snapshot covers only durable images (RS-CLEAN); with `data_in_memory`, every
//! block holding live images that verifies whole is in the post-write cache when `finish_open`
//! returns (one that does not is read, and verified, from the device); after
//! `close` or `abandon` the path locks are released and nothing more is written.

use super::DeviceStorage;
use crate::error::{err, Result, ResultCode};
use crate::storage::cold_start::scan_block;
use crate::storage::snapshot::{self, IndexImage, SnapshotMeta};
use crate::storage::{Lifecycle, Location, Restore};
use std::sync::atomic::Ordering;

impl Lifecycle for DeviceStorage {
    /// Open always chooses a restore; it is handed out once (the lifecycle order).
    fn restore(&self) -> Result<Restore> {
        let found = self.lock().restore.take();
        assert!(found.is_some(), "restore is called once, after open");
        Ok(found.unwrap_or(Restore::Fresh))
    }

    fn scan(&self, visit: &mut dyn FnMut(Location, u64, &[u8])) -> Result<()> {
        let r = self.scan_devices(visit)?;
        let mut st = self.lock();
        for (g, s) in r.seqs {
            st.blocks.restore_seq(g, s);
        }
        st.next_seq = st.next_seq.max(r.max_seq + 1);
        st.scan = r.counts;
        Ok(())
    }

    fn finish_open(&self, live: &mut dyn Iterator<Item = (Location, u32)>) -> Result<()> {
        let mut st = self.lock();
        let mut bytes = 0u64;
        for (loc, size) in live {
            if !st.blocks.add_restored(loc.block, size) {
                return err(
                    ResultCode::ServerError,
                    format!("restored index entry points at an unwritten block {loc:?}"),
                );
            }
            bytes += u64::from(size);
        }
        st.blocks.finish_restore();
        assert_eq!(
            st.blocks.used_total(),
            bytes,
            "restored blocks count every live image"
        );
        st.live_bytes = bytes;
        let max_seq = st.blocks.iter().map(|(_, b)| b.seq).max().unwrap_or(0);
        st.next_seq = st.next_seq.max(max_seq + 1);
        // Durability of everything restored is a fact; tickets of this session start above it.
        st.durable = (st.next_seq - 1) << 32 | u64::from(u32::MAX);
        st.flush.submitted = st.durable;
        st.flush.written = st.durable;
        for h in st.headers.iter_mut() {
            h.instance_id = crate::rng::random_id();
        }
        let first = st.headers[0].instance_id;
        for h in st.headers.iter_mut() {
            h.instance_id = first;
        }
        self.write_headers(&mut st, false)?;
        let st_fast_restart = st.fast_restart;
        drop(st);
        self.load_in_memory()?;
        // After a fast restart the snapshot stays as the reference of a later cold start (it can
        // never be loaded again: the headers are no longer clean and carry a new instance id);
        // a cold start has consumed it.
        if let (Some(p), false) = (&self.snapshot_path, st_fast_restart) {
            snapshot::remove_file(p)?;
        }
        Ok(())
    }

    fn close(&self, index: &dyn Fn() -> IndexImage) -> Result<()> {
        let r = self.shutdown_writes(index);
        self.release_locks();
        r
    }

    fn abandon(&self) {
        self.abandoned.store(true, Ordering::Release);
        let mut st = self.lock();
        st.failed = Some("abandoned (simulated crash)".into());
        self.wake_all_parked(&mut st);
        self.notify_slot();
        drop(st);
        self.release_locks();
    }
}

impl DeviceStorage {
    /// `data_in_memory`: read every block holding live images into the post-write cache (which
    /// then holds every block), a read-ahead of blocks per batched read, before the first
    /// request, so every read of this session is served from memory. Memory-served images are
    /// trusted as sealed (SN-REQ-VERIFY), but these came from the device: a block is held only
    /// when it verifies as a cold start reads it (its header names this incarnation and every
    /// byte this incarnation wrote is a CRC-valid image, `scan_block`); one that does not stays
    /// on the device, where each read is verified and a damaged image answers 1.
    fn load_in_memory(&self) -> Result<()> {
        if !self.data_in_memory {
            return Ok(());
        }
        let live: Vec<(u32, u64)> = {
            let st = self.lock();
            st.blocks
                .iter()
                .filter(|(_, b)| b.used > 0)
                .map(|(g, b)| (g, b.seq))
                .collect()
        };
        let per_read = (super::scan::READ_AHEAD / self.block_size).max(1);
        for chunk in live.chunks(per_read) {
            let gs: Vec<u32> = chunk.iter().map(|&(g, _)| g).collect();
            let bufs = self.read_blocks(&gs)?;
            let mut cache = self.cache_mut();
            for (&(g, seq), buf) in chunk.iter().zip(bufs) {
                let scan = scan_block(buf.as_slice(), g, self.device_set_id);
                if scan.header.is_some_and(|h| h.block_seq == seq) && scan.counts.damaged == 0 {
                    cache.insert(g, seq, std::sync::Arc::new(buf));
                }
            }
        }
        Ok(())
    }

    /// Shutdown's writes: flush everything, then the snapshot and clean headers.
    fn shutdown_writes(&self, index: &dyn Fn() -> IndexImage) -> Result<()> {
        if self.abandoned.load(Ordering::Acquire) {
            return Ok(());
        }
        self.flush_all()?;
        // Built before the state lock: the index is the engine's, and no request runs now.
        let image = self.snapshot_path.as_ref().map(|_| index());
        let mut st = self.lock();
        if st.failed.is_some() {
            return Ok(());
        }
        assert!(
            st.sealed.is_empty()
                && st
                    .current
                    .as_ref()
                    .is_none_or(|c| st.durable >= c.seq << 32 | c.pos() as u64),
            "a clean shutdown's snapshot covers only durable images (RS-CLEAN)"
        );
        if let (Some(path), Some(index)) = (&self.snapshot_path, image) {
            let meta = SnapshotMeta {
                device_set_id: self.device_set_id,
                instance_id: st.headers[0].instance_id,
                seq_high: st.next_seq - 1,
                block_size: self.block_size as u32,
                block_seqs: st.blocks.iter().map(|(_, b)| b.seq).collect(),
            };
            snapshot::write_file(path, &snapshot::encode(&meta, &index))?;
            self.write_headers(&mut st, true)?;
        }
        Ok(())
    }
}
