//! `RecordRef`: a record looked at in place — its metadata and its bins borrowed from the stored
//! image a read verified (`Database::get_with`), so strings and blobs are not copied and nothing
//! is allocated for a record of up to `BinSlices::INLINE` bins. Paths that build an owned
//! [`Record`] anyway (a locked read, a read-touch, a filter) hand out a view of that record.
//!
//! Invariants:
//! - a `RecordRef` shows exactly what [`Record`] would for the same read: same metadata, same
//!   bins in the same order, same values (`to_record` is that record);
//! - an image-backed `RecordRef` is built only from an image whose bins passed
//!   `ImageView::bin_slices`' checks, so decoding one of its particles does not fail; should it
//!   ever, the caller gets result code 1, never a panic.

use crate::error::{Error, Result, ResultCode};
use crate::format::image_view::{BinSlices, ImageView, KeyRef};
use crate::format::le::{DecodeError, Reader};
use crate::format::particle;
use crate::record::bin::BinList;
use crate::record::record::Record;
use crate::record::value::Value;
use crate::record::value_ref::ValueRef;

/// A record seen in place: see the module documentation.
#[derive(Debug, Clone)]
pub struct RecordRef<'a> {
    /// Generation.
    pub generation: u32,
    /// Absolute void-time in seconds since 2010-01-01 (0 = never expires).
    pub expiration: u32,
    /// Last-update-time in ms since 2010-01-01 (MD-LUT-EXPOSE).
    pub last_update_time: u64,
    src: Src<'a>,
}

#[derive(Debug, Clone)]
enum Src<'a> {
    Image(BinSlices<'a>, Option<KeyRef<'a>>),
    Record(&'a Record),
}

impl<'a> RecordRef<'a> {
    /// The view of a verified image's record; fails as `ImageView::bins` would.
    pub fn of_image(v: &ImageView<'a>) -> std::result::Result<RecordRef<'a>, DecodeError> {
        Ok(RecordRef {
            generation: u32::from(v.generation),
            expiration: v.void_time,
            last_update_time: v.lut,
            src: Src::Image(v.bin_slices()?, v.key),
        })
    }

    /// The view of an owned record.
    pub fn of_record(r: &'a Record) -> RecordRef<'a> {
        RecordRef {
            generation: r.generation,
            expiration: r.expiration,
            last_update_time: r.last_update_time,
            src: Src::Record(r),
        }
    }

    /// Bin `name`'s value, if the record has that bin.
    pub fn bin(&self, name: &str) -> Result<Option<ValueRef<'a>>> {
        match &self.src {
            Src::Image(bins, _) => bins.get(name).map(decode).transpose(),
            Src::Record(r) => Ok(r.bins.get(name).map(ValueRef::of)),
        }
    }

    /// Every bin as `(name, value)`, in the order a [`Record`] lists them.
    pub fn bins(&self) -> Result<Vec<(&'a str, ValueRef<'a>)>> {
        match &self.src {
            Src::Image(bins, _) => bins.iter().map(|(n, p)| Ok((n, decode(p)?))).collect(),
            Src::Record(r) => Ok(r.bins.iter().map(|(n, v)| (n, ValueRef::of(v))).collect()),
        }
    }

    /// Number of bins.
    pub fn bin_count(&self) -> usize {
        match &self.src {
            Src::Image(bins, _) => bins.len(),
            Src::Record(r) => r.bins.len(),
        }
    }

    /// The stored user key, if one is stored (SK-RETURN).
    pub fn key(&self) -> Option<Value> {
        match &self.src {
            Src::Image(_, key) => key.and_then(|k| k.to_owned().to_value()),
            Src::Record(r) => r.key.clone(),
        }
    }

    /// The owned record a plain get returns.
    pub fn to_record(&self) -> Result<Record> {
        let mut bins = BinList::new();
        for (name, v) in self.bins()? {
            bins.push(name, v.to_value());
        }
        Ok(Record {
            bins,
            generation: self.generation,
            expiration: self.expiration,
            last_update_time: self.last_update_time,
            key: self.key(),
        })
    }
}

/// A particle `ImageView::bin_slices` checked.
fn decode(particle: &[u8]) -> Result<ValueRef<'_>> {
    let mut r = Reader::new(particle);
    particle::decode_ref(&mut r).map_err(|e| {
        Error::new(
            ResultCode::ServerError,
            format!("a checked bin failed to decode: {}", e.0),
        )
    })
}
