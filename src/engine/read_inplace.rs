//! Read-only operates on the packed bytes of a map or list bin (issue 16 point 4): when every
//! CDT op of a read-only operate addresses one map or list bin without a context (next to plain
//! reads of other bins), the ops run on the container's packed particle with its offset index
//! (`write_inplace::Packed`) instead of on the decoded record: get by key / index, size and
//! the other ops `cdt::{map,list}::inplace` run read only the elements they return. The index
//! of a large container is kept in the namespace's offset-index cache, so a repeated read of
//! the same image costs a CRC of the image and O(log n) element decodes. A small image without
//! a cached index is read decoded (`PACKED_MIN_IMAGE_BYTES`).
//!
//! Invariants:
//! - results and errors are those of the decoded path (`read.rs`, RP-07 … RP-09): the checks run
//!   in its order (image, stored key, op count, per op bin name then the op), and anything the
//!   packed path does not run answers `None` before a result exists, so the caller reads decoded;
//! - the read changes nothing stored: the packed container after the ops is the stored particle
//!   (asserted), and it goes back to the cache only while the record lock is held.

use crate::cdt::list::ListOp;
use crate::cdt::map::MapOp;
use crate::cdt::return_type::Base;
use crate::cdt::select::Selector;
use crate::cdt::CdtOperation;
use crate::engine::namespace::{undecodable, Namespace};
use crate::engine::write_inplace::{apply_ops_checked, ImageId, Packed};
use crate::error::{err, Result, ResultCode};
use crate::format::record_image::{Image, ImageMeta};
use crate::index::IndexEntry;
use crate::ops::validate::{validate_read_op, validate_read_op_count};
use crate::ops::Operation;
use crate::record::bin::BinList;
use crate::record::key::{Digest, UserKeyBytes};
use crate::record::record::Record;

/// Whether a read op is one the packed containers answer (so that indexing a container is not
/// wasted on ops that fall back): size, and get by key, index, index range or value with a
/// return type that reads no rank and is not inverted (as `map::inplace` and `list::inplace`
/// run them).
fn reads_packed(c: &CdtOperation) -> bool {
    if !c.context().is_empty() {
        return false;
    }
    let (sel, rt) = match (c.map_op(), c.list_op()) {
        (Some(MapOp::Size), _) | (_, Some(ListOp::Size)) => return true,
        (Some(MapOp::Get(sel, rt)), _) | (_, Some(ListOp::Get(sel, rt))) => (sel, rt),
        _ => return false,
    };
    let plain_rt = matches!(rt.parse(), Ok((base, false)) if !matches!(base, Base::Rank | Base::ReverseRank));
    let packed_sel = if c.map_op().is_some() {
        matches!(sel, Selector::Key(_) | Selector::Index(_))
    } else {
        // A value selector runs packed on an ordered list only.
        matches!(sel, Selector::Index(_) | Selector::IndexRange(..) | Selector::Value(_))
    };
    plain_rt && packed_sel
}

/// The bin a read-only op list can run on packed, if it can: every CDT op reads one bin without
/// a context; every other op reads another bin.
pub fn plan_read(ops: &[Operation]) -> Option<&str> {
    let mut bin = None;
    for op in ops {
        if let Operation::Cdt(c) = op {
            if !reads_packed(c) || bin.is_some_and(|b| b != c.bin()) {
                return None;
            }
            bin = Some(c.bin());
        }
    }
    let bin = bin?;
    let plain = |op: &Operation| match op {
        Operation::Cdt(_) => true,
        Operation::Read(n) => n != bin,
        _ => false,
    };
    ops.iter().all(plain).then_some(bin)
}

/// Without a cached offset index, a record image smaller than this is read decoded (by the
/// caller): indexing its container would cost more than decoding it, and a container of fewer
/// entries than the cache keeps would be indexed again on every read.
const PACKED_MIN_IMAGE_BYTES: u32 = 1024;

/// What answering from one image gave: the record (`None`: read decoded) and the container,
/// unchanged, to keep in the cache.
type Answer = (Result<Option<Record>>, Option<Packed>);

impl Namespace {
    /// The hook of `read.rs` for a read-only operate without filter or read-touch, called under
    /// the record lock after RP-01 … RP-05: `Ok(None)` when the ops do not run packed (then
    /// the caller answers decoded, from the start of RP-06).
    pub fn read_ops_in_place(
        &self,
        digest: &Digest,
        e: &IndexEntry,
        ops: &[Operation],
        all: bool,
        user_key: &Option<UserKeyBytes>,
    ) -> Result<Option<Record>> {
        let Some(bin) = plan_read(ops) else {
            return Ok(None);
        };
        let mut cached = self.map_cache.take(digest, ImageId::of(e), bin);
        if cached.is_none() && e.size < PACKED_MIN_IMAGE_BYTES {
            return Ok(None);
        }
        let mut answer: Option<Answer> = None;
        self.storage.read_with(e.location, e.size, &mut |bytes: &[u8]| {
            let packed = cached.take();
            answer = Some(answer_packed(bytes, digest, e, bin, packed, ops, all, user_key));
        })?;
        let Some((record, packed)) = answer else {
            return err(ResultCode::ServerError, "storage did not visit the image");
        };
        if let (Some(p), true) = (packed, self.locks.is_held(digest)) {
            self.map_cache.put(*digest, ImageId::of(e), bin, p);
        }
        record
    }
}

/// RP-06 … RP-09 (no filter) on one verified image, the container `bin` packed.
#[allow(clippy::too_many_arguments)] // the read's inputs, passed through from the hook
fn answer_packed(
    bytes: &[u8],
    digest: &Digest,
    e: &IndexEntry,
    bin: &str,
    cached: Option<Packed>,
    ops: &[Operation],
    all: bool,
    user_key: &Option<UserKeyBytes>,
) -> Answer {
    let (bins, particle) = match split_image(bytes, digest, e, bin, &cached, ops.len(), user_key) {
        Ok(Some(x)) => x,
        Ok(None) => return (Ok(None), cached),
        Err(e) => return (Err(e), cached),
    };
    let ((meta, mut working), particle) = (bins, particle);
    let mut packed = match cached {
        Some(p) => p,
        None => match Packed::index(particle) {
            Some(p) => p,
            None => return (Ok(None), None),
        },
    };
    debug_assert_eq!(packed.bytes(), particle, "a cached container is the stored particle");
    let out = apply_ops_checked(&mut working, &mut packed, bin, ops, all, validate_read_op);
    assert_eq!(packed.bytes(), particle, "read ops leave the container unchanged");
    let img = Image {
        meta,
        bins: BinList::new(),
    };
    let record = match out {
        None => Ok(None),
        Some(Err(e)) => Err(e),
        Some(Ok(results)) => Ok(Some(Record {
            bins: results,
            ..Namespace::view_meta(&img)
        })),
    };
    (record, Some(packed))
}

/// The verified image's metadata and other bins, and the particle of `bin` (`None`: absent),
/// after the image checks, RP-07 and the op count check, in the decoded path's order.
#[allow(clippy::type_complexity)] // one private helper's tuple
fn split_image<'a>(
    bytes: &'a [u8],
    digest: &Digest,
    e: &IndexEntry,
    bin: &str,
    cached: &Option<Packed>,
    op_count: usize,
    user_key: &Option<UserKeyBytes>,
) -> Result<Option<((ImageMeta, BinList), &'a [u8])>> {
    let v = Namespace::verified_view(bytes, digest, e)?;
    let known = cached.as_ref().map(|p| p.bytes().len());
    let (bins, split) = v.bins_split(bin, known).map_err(undecodable)?;
    let meta = v.meta();
    Namespace::check_stored_key(&meta, user_key)?; // RP-07
    validate_read_op_count(op_count)?; // RP-08
    Ok(split.map(|(_, particle)| ((meta, bins), particle)))
}

#[cfg(test)]
mod tests {
    use super::plan_read;
    use crate::cdt::context::CTX;
    use crate::cdt::return_type::ReturnType as RT;
    use crate::operations::{lists, maps};
    use crate::ops::Operation;

    fn with_ctx(op: Operation) -> Operation {
        match op {
            Operation::Cdt(c) => Operation::Cdt(c.with_context(vec![CTX::list_index(0)])),
            other => other,
        }
    }

    /// Hot reads of one bin (next to reads of other bins) are planned packed; a context, a
    /// write, a rank or inverted return type, a second container bin or a read of the same bin
    /// are not.
    #[test]
    fn only_hot_context_free_reads_are_planned() {
        let hot = [
            maps::get_by_key("m", 1, RT::Value),
            maps::get_by_index("m", 0, RT::KeyValue),
            maps::size("m"),
            Operation::Read("other".into()),
        ];
        assert_eq!(plan_read(&hot), Some("m"));
        let list = [lists::get_by_index_range_count("l", 0, 3, RT::Value), lists::size("l")];
        assert_eq!(plan_read(&list), Some("l"));
        let cold: [Vec<Operation>; 6] = [
            vec![with_ctx(lists::size("l"))],
            vec![maps::get_by_key("m", 1, RT::Rank)],
            vec![lists::get_by_index_range_count("l", 0, 3, RT::Value | RT::Inverted)],
            vec![maps::size("m"), lists::size("l")],
            vec![maps::size("m"), Operation::Read("m".into())],
            vec![Operation::Read("m".into())],
        ];
        for ops in &cold {
            assert_eq!(plan_read(ops), None, "{ops:?}");
        }
    }
}
