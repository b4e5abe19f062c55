//! Write-block buffers on 2 MiB pages. A read that finds its image in the post-write cache
//! jumps to a random place in hundreds of MiB of 1 MiB buffers; on 4 KiB pages nearly every such
//! read also misses the TLB, and in a VM the page walk is two-dimensional. Buffers carved from a
//! 2 MiB-aligned mapping that the kernel backs with one huge page (`MADV_HUGEPAGE`, honoured
//! when transparent huge pages are `always` or `madvise`) cost one TLB entry per 2 MiB
//! (BENCHMARKS.md "Write blocks on huge pages, session 8").
//!
//! A slab is one such [`Mapping`] of [`HUGE`] bytes, zero-filled by the kernel and populated
//! when made ([`Mapping::populated`]), so the huge page (and any compaction the kernel does to
//! find one) is paid by the thread that makes the slab — the device store's flusher, never a
//! writer ([`pieces`]). The slab is split into equal [`Piece`]s (two 1 MiB write blocks at the
//! default block size) and unmapped when its last piece is dropped.
//!
//! Invariants: the pieces of a slab are disjoint, each `Piece` owns its range exclusively (so
//! `as_mut_slice` through `&mut Piece` aliases nothing), every range lies inside the mapping,
//! and a fresh piece reads as zeros (a new anonymous mapping; pieces are never handed out twice).

use crate::huge_pages::{Mapping, HUGE};
use std::sync::Arc;

/// An exclusively owned range of a slab.
pub struct Piece {
    slab: Arc<Mapping>,
    offset: usize,
    len: usize,
}

impl Piece {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // SAFETY: `offset + len ≤ HUGE` (asserted in `pieces`), inside the live mapping the
        // `Arc` keeps; no other piece covers this range (module invariants).
        unsafe { std::slice::from_raw_parts(self.slab.ptr().add(self.offset), self.len) }
    }

    /// The bytes, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [u8] {
        // SAFETY: as in `as_slice`; `&mut self` is the only handle on this range.
        unsafe { std::slice::from_raw_parts_mut(self.slab.ptr().add(self.offset), self.len) }
    }
}

/// A fresh slab cut into `HUGE / len` zeroed pieces of `len` bytes. `None` when `len` is not a
/// divisor of [`HUGE`] that is a multiple of `align`, or the mapping fails (callers then
/// allocate ordinary buffers).
pub fn pieces(len: usize, align: usize) -> Option<Vec<Piece>> {
    if len == 0 || !HUGE.is_multiple_of(len) || !len.is_multiple_of(align) {
        return None;
    }
    let slab = Mapping::populated(HUGE)?; // the huge page is placed here, by the slab's maker
    let slab = Arc::new(slab);
    let out: Vec<Piece> = (0..HUGE / len)
        .map(|i| Piece {
            slab: slab.clone(),
            offset: i * len,
            len,
        })
        .collect();
    assert!(
        out.iter().all(|p| p.offset + p.len <= HUGE),
        "every piece lies inside the slab"
    );
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_are_zeroed_disjoint_aligned_and_outlive_each_other() {
        let Some(mut ps) = pieces(1 << 20, 4096) else {
            return; // no anonymous mapping here: callers fall back to ordinary buffers
        };
        assert_eq!(ps.len(), 2);
        for p in &ps {
            assert_eq!(p.as_slice().len(), 1 << 20);
            assert!(
                p.as_slice().iter().all(|&b| b == 0),
                "fresh pieces read as zeros"
            );
            assert_eq!(p.as_slice().as_ptr() as usize % 4096, 0, "aligned");
        }
        assert_eq!(
            ps[0].as_slice().as_ptr() as usize % HUGE,
            0,
            "the slab is huge-page aligned"
        );
        ps[0].as_mut_slice().fill(1);
        ps[1].as_mut_slice().fill(2);
        assert!(ps[0].as_slice().iter().all(|&b| b == 1), "disjoint ranges");
        let second = ps.pop().expect("two pieces");
        drop(ps);
        assert!(
            second.as_slice().iter().all(|&b| b == 2),
            "a piece keeps the slab mapped after the other is dropped"
        );
    }

    #[test]
    fn lengths_that_do_not_divide_a_huge_page_are_refused() {
        assert!(pieces(0, 4096).is_none());
        assert!(pieces(3 << 20, 4096).is_none());
        assert!(pieces(768 << 10, 4096).is_none());
        assert!(pieces(4096 + 16, 4096).is_none());
        if let Some(ps) = pieces(512 << 10, 4096) {
            assert_eq!(ps.len(), 4);
        }
    }
}
