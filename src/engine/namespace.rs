//! `Namespace`: index, record locks, set table, storage and clock of one namespace, plus the
//! helpers every request path shares (loading and committing images).

use crate::clock::Clock;
use crate::config::NamespaceConfig;
use crate::engine::locks::RecordLocks;
use crate::engine::sets::{validate_set_name, Sets};
use crate::engine::write_inplace::MapCache;
use crate::error::{err, Error, Result, ResultCode};
use crate::format::image_view::ImageView;
use crate::format::record_image::{self, Image, ImageBins, ImageHeader, ImageMeta, RawBin};
use crate::index::entry::{FLAG_KEY_STORED, FLAG_TOMBSTONE};
use crate::index::{Index, IndexEntry};
use crate::record::bin::BinList;
use crate::record::key::{Digest, Key, UserKeyBytes, UserKeyRef};
use crate::record::record::Record;
use crate::storage::Backend;
use std::sync::Arc;

/// A stored image that does not decode (RC-1).
pub fn undecodable(d: crate::format::particle::DecodeError) -> Error {
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
    pub storage: Box<dyn Backend>,
    /// Engine clock.
    pub clock: Arc<dyn Clock>,
    /// Truncate cut-offs (TRUNC-*).
    pub truncations: crate::engine::truncate::Truncations,
    /// Offset indexes of large maps, for in-place map ops (write_inplace.rs).
    pub map_cache: MapCache,
    /// Secondary indexes, kept by `commit` and `remove` (SIDX-EXACT-1).
    pub sindexes: crate::sindex::Sindexes,
    /// Live images of sparse blocks found by defrag's last pass over the index.
    pub defrag_live: std::sync::Mutex<crate::engine::defrag_live::LiveLists>,
}

/// What a request validated at WP-01 / RP-01 / DP-01 carries on.
pub struct Checked {
    /// The request's user key bytes, if it carries a user key.
    pub user_key: Option<UserKeyBytes>,
}

impl Checked {
    /// The request's encoded user key, once [`Namespace::check_key`] accepted `key`.
    pub fn of(key: &Key) -> Checked {
        let user_key = key.user_key.as_ref().and_then(UserKeyBytes::of);
        assert_eq!(
            user_key.is_some(),
            key.user_key.is_some(),
            "check_key accepted the key's type"
        );
        Checked { user_key }
    }
}

impl Namespace {
    /// A namespace over the given storage.
    pub fn new(config: NamespaceConfig, storage: Box<dyn Backend>, clock: Arc<dyn Clock>) -> Self {
        // A backend without maintenance keeps no truncate table across opens.
        let found = storage
            .maintenance()
            .map_or_else(Vec::new, |m| m.truncations());
        let truncations = crate::engine::truncate::Truncations::new(&found);
        Namespace {
            config,
            index: Index::new(),
            locks: RecordLocks::new(clock.clone()),
            sets: Sets::default(),
            storage,
            clock,
            truncations,
            map_cache: MapCache::default(),
            sindexes: crate::sindex::Sindexes::default(),
            defrag_live: Default::default(),
        }
    }

    /// One bounded flush step of the storage (see `Maintenance::flush_step`); bytes written.
    /// A backend without maintenance (memory) buffers nothing: 0.
    pub fn flush_step(&self, force_partial: bool) -> Result<u64> {
        match self.storage.maintenance() {
            Some(m) => m.flush_step(force_partial),
            None => Ok(0),
        }
    }

    /// Hint the lines a request on `digest` touches first (its record-lock stripe, its index
    /// entry's meta and slot lines): they load while the request is checked.
    pub fn prefetch_request(&self, digest: &Digest) {
        self.locks.prefetch(digest);
        self.index.prefetch_lookup(digest);
    }

    /// WP-01 / RP-01 / DP-01 after the namespace lookup: key type and set name.
    pub fn check_request(&self, key: &Key) -> Result<Checked> {
        Namespace::key_ref(key)?;
        Ok(Checked::of(key))
    }

    /// [`Namespace::check_request`] without encoding the user key (the write path encodes it
    /// only when it needs the bytes: [`Checked::of`]).
    pub fn check_key(&self, key: &Key) -> Result<()> {
        Namespace::key_ref(key).map(|_| ())
    }

    /// The checks of [`Namespace::check_request`], borrowing the user key's bytes (the read
    /// path's form: no allocation).
    pub fn key_ref(key: &Key) -> Result<Option<UserKeyRef<'_>>> {
        validate_set_name(&key.set_name)?;
        match &key.user_key {
            None => Ok(None),
            Some(v) => UserKeyRef::of(v).map(Some).ok_or_else(|| {
                Error::new(
                    ResultCode::ParameterError,
                    "user key of a type that cannot be a key (K-TYPE-OTHER)",
                )
            }),
        }
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

    /// Parse the header of an image a store read and check it against its index entry: digest,
    /// generation, LUT, void-time and tombstone flag must all agree (RC-1 otherwise). The CRC is
    /// the store's part of SN-REQ-VERIFY: it checked it on the device read that produced
    /// `bytes`, and bytes served from its memory are the image it sealed (`Storage::read`).
    pub fn verified_view<'a>(
        bytes: &'a [u8],
        digest: &Digest,
        e: &IndexEntry,
    ) -> Result<ImageView<'a>> {
        let v = ImageView::parse_sealed(bytes).map_err(undecodable)?;
        // The backend hands back exactly the bytes the entry sized (storage `read` contract).
        debug_assert_eq!(
            bytes.len(),
            e.size as usize,
            "an image read is the entry's size"
        );
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
    pub fn check_stored_key(meta: &ImageMeta, request: &Option<UserKeyBytes>) -> Result<()> {
        if let (Some(stored), Some(req)) = (&meta.key, request) {
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
        self.commit_with(&meta.header(), ImageBins::List(bins), None, set_id, old)
    }

    /// [`Namespace::commit`] from borrowed metadata (the write path: no copy of the set name or
    /// stored key), with an optional pre-encoded bin (the in-place map path).
    pub fn commit_with(
        &self,
        meta: &ImageHeader<'_>,
        bins: ImageBins<'_>,
        raw: Option<RawBin<'_>>,
        set_id: u16,
        old: Option<IndexEntry>,
    ) -> Result<(IndexEntry, u64)> {
        debug_assert!(
            self.locks.is_held(&meta.digest),
            "a commit holds the record lock (OP-ISOLATION)"
        );
        assert!(
            !meta.tombstone || (bins.is_empty() && raw.is_none() && meta.void_time == 0),
            "a tombstone image has no bins and never expires"
        );
        // Any new image of the record makes a cached offset index stale.
        self.map_cache.forget(&meta.digest);
        let size = record_image::encoded_size_with(meta, bins, raw);
        if size > self.config.max_record_size as usize {
            return err(
                ResultCode::RecordTooBig,
                format!(
                    "record image of {size} bytes exceeds max_record_size {} (WP-20)",
                    self.config.max_record_size
                ),
            );
        }
        // Storage seals the image (block sequence and CRC) as it places it.
        let placement = self
            .storage
            .append(record_image::encode_unsealed(meta, bins, raw))?;
        assert_eq!(
            placement.size as usize, size,
            "storage keeps the encoded size"
        );
        assert!(
            old.is_none_or(|o| o.location != placement.location),
            "a new version never overwrites the image it replaces"
        );
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
        assert!(
            entry.is_tombstone() == meta.tombstone && entry.key_stored() == meta.key.is_some(),
            "the entry's flags describe its image"
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
        match bins {
            ImageBins::List(list) => {
                self.sindexes
                    .on_commit(&meta.digest, meta.set_name, list, meta.tombstone)
            }
            // A put stored as it is: its working copy, made only when an index needs it.
            ImageBins::Put(put) if !self.sindexes.is_empty() => {
                let list = BinList::from_entries(
                    put.iter().map(|b| (b.name.clone(), b.value.clone())).collect(),
                );
                self.sindexes
                    .on_commit(&meta.digest, meta.set_name, &list, meta.tombstone)
            }
            ImageBins::Put(_) => {}
        }
        Ok((entry, placement.ticket))
    }

    /// Remove an entry without writing anything (non-durable delete, reaping, WP-09).
    pub fn remove(&self, digest: &Digest, e: &IndexEntry) {
        debug_assert!(
            self.locks.is_held(digest),
            "a removal holds the record lock (OP-ISOLATION)"
        );
        self.map_cache.forget(digest);
        let prev = self.index.remove(digest);
        assert_eq!(
            prev.map(|p| p.location),
            Some(e.location),
            "index changed under the record lock"
        );
        self.storage.release(e.location, e.size);
        self.sindexes.on_remove(digest);
    }

    /// SK-MISMATCH for a request that needs none of the old bins (delete, durable delete,
    /// Replace, an operate starting with delete-all), and the stored key its new image carries
    /// when `carry` (it writes one). `loaded` is the old image when the request loaded it anyway
    /// (filter, merge); otherwise only the image's header is read, and only when a key is stored
    /// and needed (the request carries a user key to check, or the key is carried).
    ///
    /// A damaged image (read, but fails its checksum, does not parse or disagrees with the
    /// entry) does not fail such a request: it runs on the index entry alone, so a damaged
    /// record can still be removed or replaced (RC-1 is for requests that need the bins). The
    /// stored key is then unrecoverable: the key check is skipped and no key is carried on (a
    /// Replace with `send_key` stores the request's). A failed read (device error, failed store,
    /// an image of another block incarnation) is not damage: it fails the request with its 1.
    pub fn stored_key_for_overwrite(
        &self,
        digest: &Digest,
        e: &IndexEntry,
        loaded: Option<&Image>,
        request: &Option<UserKeyBytes>,
        carry: bool,
    ) -> Result<Option<UserKeyBytes>> {
        if let Some(img) = loaded {
            Namespace::check_stored_key(&img.meta, request)?;
            return Ok(img.meta.key.clone());
        }
        if !e.key_stored() || (request.is_none() && !carry) {
            return Ok(None);
        }
        match self.stored_meta(digest, e)? {
            Some(m) => {
                Namespace::check_stored_key(&m, request)?;
                Ok(m.key)
            }
            None => Ok(None),
        }
    }

    /// The verified header of `e`'s image; `Ok(None)` when it was read but is damaged (fails its
    /// checksum, does not parse, or disagrees with the entry); the read's error when it failed.
    fn stored_meta(&self, digest: &Digest, e: &IndexEntry) -> Result<Option<ImageMeta>> {
        let mut meta = None;
        let read = self.storage.read_with(e.location, e.size, &mut |bytes| {
            meta = Namespace::verified_view(bytes, digest, e)
                .ok()
                .map(|v| v.meta());
        });
        match read {
            Err(e) if e.is_damaged() => Ok(None), // the store's CRC check (Storage::read)
            r => r.map(|()| meta),
        }
    }

    /// Set-name check against an existing entry (WP-12 semantics: "" vs a set differs).
    pub fn same_set(&self, request_set: &str, e: &IndexEntry) -> bool {
        self.sets.id(request_set) == Some(e.set_id)
    }
}
