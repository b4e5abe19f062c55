//! `aerolite inspect PATH [--verify]`: print a device's header and a per-block summary as a cold
//! start would see it (storage-format.md); with `--verify`, decode every accepted image fully and
//! exit 2 if anything is damaged: no valid device header, an invalid or misdirected block header,
//! an accepted image that does not decode, or bytes the block's current incarnation wrote that are
//! not accepted images. The block classification is the cold start's own
//! (`cold_start::scan_block`, "damaged"): stale, corrupt or unparsed bytes in the tail of a reused
//! block are an earlier incarnation's leftovers (a freed block keeps its old contents), which the
//! cold start skips, and are listed but not damage. Reads only; never writes to the device.

use crate::format::header::{self, DeviceHeader};
use crate::format::record_image;
use crate::storage::cold_start::{scan_block, ScanCounts};
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Exit code when corruption was found.
pub const EXIT_CORRUPT: i32 = 2;

/// Inspect the device at `path`.
pub fn run(path: &Path, verify: bool, out: &mut impl Write) -> std::io::Result<i32> {
    let f = File::open(path)?;
    let mut slots = vec![0u8; header::SLOT_SIZE * header::SLOTS];
    f.read_exact_at(&mut slots, 0)?;
    let h = match DeviceHeader::pick([&slots[..header::SLOT_SIZE], &slots[header::SLOT_SIZE..]]) {
        Ok(h) => h,
        Err(e) => {
            writeln!(out, "{}: no valid aerolite header ({e:?})", path.display())?;
            return Ok(EXIT_CORRUPT);
        }
    };
    writeln!(out, "device        {}", path.display())?;
    writeln!(out, "format        version {}", header::FORMAT_VERSION)?;
    writeln!(out, "namespace     {}", h.namespace)?;
    writeln!(
        out,
        "device        {} of {} (set {:016x})",
        h.device_index, h.device_count, h.device_set_id
    )?;
    writeln!(
        out,
        "block size    {} bytes, {} blocks",
        h.block_size, h.block_count
    )?;
    writeln!(
        out,
        "flags         clean={} commit_to_device={} (header seq {}, instance {:016x}, block seq high {})",
        h.is_clean(),
        h.flags & header::FLAG_COMMIT_TO_DEVICE != 0,
        h.header_seq,
        h.instance_id,
        h.seq_high
    )?;
    writeln!(
        out,
        "{:>7} {:>10} {:>7} {:>10} {:>6} {:>8} {:>9} {:>8}",
        "block", "seq", "images", "img bytes", "stale", "corrupt", "unparsed", "damaged"
    )?;
    let bs = h.block_size as usize;
    let mut buf = vec![0u8; bs];
    let mut total = ScanCounts::default();
    let mut undecodable = 0u64;
    let mut blank = 0u64;
    for local in 0..h.block_count {
        let global = local * u32::from(h.device_count) + u32::from(h.device_index);
        f.read_exact_at(&mut buf, bs as u64 * (1 + u64::from(local)))?;
        let s = scan_block(&buf, global, h.device_set_id);
        total.add(&s.counts);
        if s.counts.blank_blocks == 1 {
            blank += 1;
            continue;
        }
        let Some(bh) = s.header else {
            writeln!(out, "{global:>7} {:>10}", "INVALID")?;
            continue;
        };
        let bytes: u64 = s.images.iter().map(|(_, n)| u64::from(*n)).sum();
        if verify {
            for (off, n) in &s.images {
                if record_image::decode(&buf[*off as usize..(*off + *n) as usize]).is_err() {
                    undecodable += 1;
                }
            }
        }
        writeln!(
            out,
            "{global:>7} {:>10} {:>7} {bytes:>10} {:>6} {:>8} {:>9} {:>8}",
            bh.block_seq,
            s.images.len(),
            s.counts.stale,
            s.counts.corrupt,
            s.counts.unparsed,
            s.counts.damaged
        )?;
    }
    writeln!(
        out,
        "total: {} blocks ({} never written, {} invalid), {} images, {} stale, {} corrupt, {} unparsed runs, {} damaged runs",
        total.blocks, blank, total.invalid_blocks, total.accepted, total.stale, total.corrupt, total.unparsed, total.damaged
    )?;
    if verify {
        // Exactly the cold start's rule: leftovers of earlier incarnations are not damage.
        let bad = total.damaged + total.invalid_blocks + undecodable;
        writeln!(
            out,
            "verify: {} ({} images failed full decoding)",
            if bad == 0 { "OK" } else { "CORRUPTION FOUND" },
            undecodable
        )?;
        if bad != 0 {
            return Ok(EXIT_CORRUPT);
        }
    }
    Ok(0)
}
