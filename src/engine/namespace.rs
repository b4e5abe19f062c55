//! `Namespace`: index, record locks, set table, storage and clock of one namespace, plus the
//! helpers every request path shares (loading and committing images).

use crate::clock::Clock;
use crate::config::NamespaceConfig;
use crate::engine::locks::RecordLocks;
use crate::engine::sets::{validate_set_name, Sets};
use crate::error::{err, Error, Result, ResultCode};
use crate::index::entry::{FLAG_KEY_STORED, FLAG_TOMBSTONE};
use crate::index::{Index, IndexEntry};
use crate::record::bin::BinList;
use crate::record::key::{Digest, Key, UserKeyBytes};
use crate::record::record::Record;
use crate::storage::image_view::ImageView;
use crate::storage::record_image::{self, Image, ImageMeta};
use crate::storage::Storage;
use std::sync::Arc;

/// A stored image that does not decode (RC-1).
pub fn undecodable(d: crate::record::particle::DecodeError) -> Error {
    Error::new(
        ResultCode::ServerError,
        format!("stored image does not decode: {}", d.0),
    )
}

/// One namespace.
pub struct Namespace {
    /// Settings.
    pub config: NamespaceConfig,
    /// Primary index.
    pub index: Index,
    /// Record locks.
    pub locks: RecordLocks,
    /// Set table.
    pub sets: Sets,
    /// Image storage.
    pub storage: Box<dyn Storage>,
    /// Engine clock.
    pub clock: Arc<dyn Clock>,
    /// Truncate cut-offs (TRUNC-*).
    pub truncations: crate::engine::truncate::Truncations,
}

/// What a request validated at WP-01 / RP-01 / DP-01 carries on.
pub struct Checked {
    /// The request's user key bytes, if it carries a user key.
    pub user_key: Option<UserKeyBytes>,
}

impl Namespace {
    /// A namespace over the given storage.
    pub fn new(config: NamespaceConfig, storage: Box<dyn Storage>, clock: Arc<dyn Clock>) -> Self {
        let truncations = crate::engine::truncate::Truncations::new(&storage.truncations());
        Namespace {
            config,
            index: Index::new(),
            locks: RecordLocks::new(),
            sets: Sets::default(),
            storage,
            clock,
            truncations,
        }
    }

    /// WP-01 / RP-01 / DP-01 after the namespace lookup: key type and set name.
    pub fn check_request(&self, key: &Key) -> Result<Checked> {
        validate_set_name(&key.set_name)?;
        let user_key = match &key.user_key {
            None => None,
            Some(v) => Some(UserKeyBytes::of(v).ok_or_else(|| {
                Error::new(
                    ResultCode::ParameterError,
                    "user key of a type that cannot be a key (K-TYPE-OTHER)",
                )
            })?),
        };
        Ok(Checked { user_key })
    }

    /// Read and verify the image an entry points at (RC-1 on any disagreement).
    pub fn load(&self, digest: &Digest, e: &IndexEntry) -> Result<Image> {
        let bytes = self.storage.read(e.location, e.size)?;
        let view = Namespace::verified_view(&bytes, digest, e)?;
        let bins = view.bins().map_err(undecodable)?;
        Ok(Image {
            meta: view.meta(),
            bins,
        })
    }

    /// Parse an image's header (CRC included) and check it against its index entry: digest,
    /// generation, LUT, void-time and tombstone flag must all agree (RC-1 otherwise).
    pub fn verified_view<'a>(
        bytes: &'a [u8],
        digest: &Digest,
        e: &IndexEntry,
    ) -> Result<ImageView<'a>> {
        let v = ImageView::parse(bytes).map_err(undecodable)?;
        if v.digest != *digest
            || v.generation != e.generation
            || v.lut != e.lut()
            || v.void_time != e.void_time
            || v.tombstone != e.is_tombstone()
        {
            return err(
                ResultCode::ServerError,
                "stored image disagrees with the index entry",
            );
        }
        Ok(v)
    }

    /// The record view of an image (bins + metadata), as filters and reads see it.
    pub fn view(img: &Image) -> Record {
        Record {
            bins: img.bins.clone(),
            generation: u32::from(img.meta.generation),
            expiration: img.meta.void_time,
            last_update_time: img.meta.lut,
            key: img.meta.key.as_ref().and_then(UserKeyBytes::to_value),
        }
    }

    /// SK-MISMATCH (WP-14, RP-07, DP-09).
    pub fn check_stored_key(img: &Image, request: &Option<UserKeyBytes>) -> Result<()> {
        if let (Some(stored), Some(req)) = (&img.meta.key, request) {
            if stored != req {
                return err(
                    ResultCode::KeyMismatch,
                    "the request's user key differs from the stored key (SK-MISMATCH)",
                );
            }
        }
        Ok(())
    }

    /// Encode, check size (WP-20 → 13), append (→ 8 / 1) and repoint the index; releases the
    /// image of `old`. Returns the new entry and the durability ticket.
    pub fn commit(
        &self,
        meta: &ImageMeta,
        bins: &BinList,
        set_id: u16,
        old: Option<IndexEntry>,
    ) -> Result<(IndexEntry, u64)> {
        let size = record_image::encoded_size(meta, bins);
        if size > self.config.max_record_size as usize {
            return err(
                ResultCode::RecordTooBig,
                format!(
                    "record image of {size} bytes exceeds max_record_size {} (WP-20)",
                    self.config.max_record_size
                ),
            );
        }
        let placement = self.storage.append(record_image::encode(meta, bins))?;
        let flags = (if meta.tombstone { FLAG_TOMBSTONE } else { 0 })
            | (if meta.key.is_some() {
                FLAG_KEY_STORED
            } else {
                0
            });
        let entry = IndexEntry::new(
            placement.location,
            placement.size,
            meta.generation,
            meta.void_time,
            meta.lut,
            set_id,
            flags,
        );
        let prev = self.index.put(meta.digest, entry);
        assert_eq!(
            prev.map(|p| p.location),
            old.map(|o| o.location),
            "index changed under the record lock"
        );
        if let Some(o) = old {
            self.storage.release(o.location, o.size);
        }
        Ok((entry, placement.ticket))
    }

    /// Remove an entry without writing anything (non-durable delete, reaping, WP-09).
    pub fn remove(&self, digest: &Digest, e: &IndexEntry) {
        let prev = self.index.remove(digest);
        assert_eq!(
            prev.map(|p| p.location),
            Some(e.location),
            "index changed under the record lock"
        );
        self.storage.release(e.location, e.size);
    }

    /// Set-name check against an existing entry (WP-12 semantics: "" vs a set differs).
    pub fn same_set(&self, request_set: &str, e: &IndexEntry) -> bool {
        self.sets.id(request_set) == Some(e.set_id)
    }
}
