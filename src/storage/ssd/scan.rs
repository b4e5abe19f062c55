//! Cold-start scan and batched block reads of the device store.
//!
//! The scan runs one reader thread per device. Each reads its device's blocks in increasing
//! order, [`READ_AHEAD`] bytes (whole blocks, at least one) per `Device::read_batch` — one
//! io_uring submission, or a loop of `pread` on the portable backend — verifies each block
//! (`cold_start::scan_block`: header, CRCs, block sequences) and hands it over a bounded channel
//! (another read-ahead's worth), so up to two read-aheads per device are in flight or waiting
//! while the index is being built.
//!
//! Invariants: the consumer offers images in exactly the order of the sequential scan — global
//! block number `g` ascending (block `g` lives on device `g % n`), offsets ascending inside a
//! block — whatever the readers' timing, so the engine's resolution, set-name interning, the
//! counters and the stop rule (8 consecutive never-written blocks, in global order) are those
//! of a one-block-at-a-time scan; the readers stop when the consumer stops (their channel is
//! closed); a read error of any device fails the scan.

use super::{DeviceStorage, PRISTINE_RUN};
use crate::error::{Error, Result, ResultCode};
use crate::storage::cold_start::{scan_block, BlockScan, ScanCounts};
use crate::storage::device::AlignedBuf;
use crate::storage::Location;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

/// Bytes one reader asks for in one batched read (Aerospike reads 8 MiB ahead at cold start).
pub(super) const READ_AHEAD: usize = 8 << 20;

/// A verified block handed from a reader to the consumer.
type Scanned = Result<(u32, AlignedBuf, BlockScan)>;

/// What a scan learned besides the images it offered.
pub(super) struct ScanResult {
    pub counts: ScanCounts,
    pub max_seq: u64,
    pub seqs: Vec<(u32, u64)>,
}

impl DeviceStorage {
    /// Blocks per batched read.
    fn read_ahead_blocks(&self) -> usize {
        (READ_AHEAD / self.block_size).max(1)
    }

    /// Read blocks `gs` (all on device `dev`) with one batched read.
    fn read_blocks_of(&self, dev: usize, gs: &[u32]) -> Result<Vec<AlignedBuf>> {
        let mut bufs: Vec<AlignedBuf> = gs
            .iter()
            .map(|_| AlignedBuf::zeroed(self.block_size))
            .collect();
        let mut reads: Vec<(u64, &mut [u8])> = gs
            .iter()
            .zip(bufs.iter_mut())
            .map(|(&g, b)| (self.place_of(g).1, b.as_mut_slice()))
            .collect();
        self.devices[dev].read_batch(&mut reads)?;
        Ok(bufs)
    }

    /// Read several blocks, batched per device (defrag); returns them in the order of `gs`.
    pub(super) fn read_blocks(&self, gs: &[u32]) -> Result<Vec<AlignedBuf>> {
        let n = self.devices.len();
        let mut out: Vec<Option<AlignedBuf>> = gs.iter().map(|_| None).collect();
        for dev in 0..n {
            let (idx, mine): (Vec<usize>, Vec<u32>) = gs
                .iter()
                .enumerate()
                .filter(|(_, &g)| self.place_of(g).0 == dev)
                .map(|(i, &g)| (i, g))
                .unzip();
            if mine.is_empty() {
                continue;
            }
            for (i, b) in idx.into_iter().zip(self.read_blocks_of(dev, &mine)?) {
                out[i] = Some(b);
            }
        }
        Ok(out
            .into_iter()
            .map(|b| b.expect("every block belongs to one device"))
            .collect())
    }

    /// One device's reader: its blocks in order, a read-ahead at a time, verified.
    fn reader(&self, dev: usize, tx: SyncSender<Scanned>) {
        let n = self.devices.len() as u32;
        let mine: Vec<u32> = (dev as u32..self.total_blocks)
            .step_by(n as usize)
            .collect();
        for chunk in mine.chunks(self.read_ahead_blocks()) {
            match self.read_blocks_of(dev, chunk) {
                Ok(bufs) => {
                    for (&g, buf) in chunk.iter().zip(bufs) {
                        let s = scan_block(buf.as_slice(), g, self.device_set_id);
                        if tx.send(Ok((g, buf, s))).is_err() {
                            return; // the consumer stopped
                        }
                    }
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    return;
                }
            }
        }
    }

    /// The cold-start scan: offer every accepted image in append-independent, fixed order.
    pub(super) fn scan_devices(
        &self,
        visit: &mut dyn FnMut(Location, u64, &[u8]),
    ) -> Result<ScanResult> {
        let n = self.devices.len();
        let depth = self.read_ahead_blocks();
        std::thread::scope(|s| {
            let mut rxs: Vec<Receiver<Scanned>> = Vec::with_capacity(n);
            for dev in 0..n {
                let (tx, rx) = sync_channel(depth);
                rxs.push(rx);
                s.spawn(move || self.reader(dev, tx));
            }
            let r = consume(self.total_blocks, &rxs, visit);
            drop(rxs); // readers blocked on a full channel see it closed and stop
            r
        })
    }
}

fn consume(
    total: u32,
    rxs: &[Receiver<Scanned>],
    visit: &mut dyn FnMut(Location, u64, &[u8]),
) -> Result<ScanResult> {
    let mut out = ScanResult {
        counts: ScanCounts::default(),
        max_seq: 0,
        seqs: Vec::new(),
    };
    let mut blank_run = 0;
    for g in 0..total {
        let (got, buf, s) = rxs[g as usize % rxs.len()].recv().map_err(|_| {
            Error::new(ResultCode::ServerError, "cold-start reader stopped early")
        })??;
        if got != g {
            return Err(Error::new(
                ResultCode::ServerError,
                format!("cold-start reader offered block {got} for {g}"),
            ));
        }
        out.counts.add(&s.counts);
        if s.counts.blank_blocks == 1 {
            blank_run += 1;
            if blank_run >= PRISTINE_RUN {
                break;
            }
            continue;
        }
        blank_run = 0;
        if let Some(h) = s.header {
            out.max_seq = out.max_seq.max(h.block_seq);
            out.seqs.push((g, h.block_seq));
            for (off, len) in s.images {
                let img = &buf.as_slice()[off as usize..(off + len) as usize];
                visit(
                    Location {
                        block: g,
                        offset: off,
                    },
                    h.block_seq,
                    img,
                );
            }
        }
    }
    Ok(out)
}
