//! The read path (record-model.md §7.2, RP-01 … RP-09), read-touch (§14.1) and batch reads.
//!
//! A get without a filter or read-touch is served from a borrowed, verified view of the stored
//! image (`ImageView`: CRC, then digest, generation, LUT, void-time and tombstone against the
//! index entry → 1), decoding only the bins the request returns; a read-only operate on one map
//! or list bin runs on its packed bytes (`read_inplace.rs`); everything else (other operate reads,
//! filters, read-touch) decodes the whole image. Either way the checks run in the order of §7.2.
//! A batch (`read_many`) prefetches the images of all its keys together and then answers each
//! key as a single read would, using its prefetched image only when the key's index entry is
//! still the one that image was read for and the image's block is still in the incarnation it
//! was read from (`Storage::prefetch_current`).
//!
//! Lock-free reads. A plain get (no filter, no read-touch due, a live record that no truncation
//! covers) does not take the record lock when no lock of the record's lock stripe is held
//! (`RecordLocks::stripe_idle`: a read that starts while its record is locked queues for it as
//! before, CL-TIMEOUT-QUEUED); writers, deletes and defrag moves always lock. Invariants:
//! - (L1) the index entry is looked up after the request began (one partition-lock access), so
//!   every write, delete or truncation acknowledged before the request is visible to it: a
//!   writer appends its image before it publishes the entry, and acknowledges after;
//! - (L2) the answer is the version that entry names and nothing else: the image read at its
//!   location must pass the same checks as a locked read (block incarnation, CRC, digest,
//!   generation, LUT, void-time, tombstone flag), so a block freed and reused, or a slot
//!   rewritten, after the lookup yields a refused image, never a torn one or another record's;
//!   and the index must still hold that same entry after the read (its partition's change count
//!   is still the one read with the entry, `Index::unchanged_since`, or else a second probe finds
//!   the same entry), so even an image written at the same place with the same metadata by a
//!   delete and re-create inside the read is the version indexed at that moment: the answer is
//!   a version current at an instant inside the request;
//! - (L3) a lock-free read that fails for any reason is not answered: the locked path runs
//!   from the start and its answer (or error) is the request's.

use crate::engine::namespace::{undecodable, Namespace};
use crate::engine::state::{next_lut, State};
use crate::error::{err, Result, ResultCode};
use crate::format::record_image::Image;
use crate::index::{IndexEntry, Location, Stamp};
use crate::ops::apply::apply_ops_with;
use crate::ops::validate::{validate_read_op, validate_read_op_count};
use crate::ops::Operation;
use crate::policy::read::ReadPolicy;
use crate::record::bin::{validate_bin_name, BinList};
use crate::record::key::{Key, UserKeyRef};
use crate::record::record::Record;
use bytes::Bytes;

/// Which bins a read returns (named as in the official client).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Bins {
    /// Every bin (R-ALL).
    All,
    /// Metadata only (R-HEADER).
    None,
    /// The named bins (an empty list → 4, RP-08).
    Some(Vec<String>),
}

impl Bins {
    /// Named bins.
    pub fn from_names(names: &[&str]) -> Bins {
        Bins::Some(names.iter().map(|s| s.to_string()).collect())
    }
}

/// `Bins::from(["a", "b"])`, as the official client writes it.
impl<const N: usize> From<[&str; N]> for Bins {
    fn from(names: [&str; N]) -> Bins {
        Bins::from_names(&names)
    }
}

/// An image read ahead for a batch: the index entry it was read for and the read's outcome.
pub type Prefetched = Option<(IndexEntry, Result<Bytes>)>;

/// What a read request asks for.
pub enum ReadKind<'a> {
    /// get / get_header / exists.
    Bins(&'a Bins),
    /// A read-only operate.
    Ops(&'a [Operation], bool),
}

impl Namespace {
    /// Run a read-path request.
    pub fn read(&self, policy: &ReadPolicy, key: &Key, kind: ReadKind<'_>) -> Result<Record> {
        self.read_inner(policy, key, kind, None)
    }

    /// Batch get (Aerospike's batch read): each key is answered as [`Namespace::read`] would,
    /// in order. The images of the keys' current index entries are read first, together
    /// (`Storage::read_many`: one submission per device), without record locks; each key is then
    /// served under its lock from its prefetched image when its entry is still the one the image
    /// was read for, and by the single-read path otherwise (changed entry, failed prefetch,
    /// filter, read-touch).
    pub fn read_many(
        &self,
        policy: &ReadPolicy,
        keys: &[&Key],
        bins: &Bins,
    ) -> Vec<Result<Record>> {
        let pre = self.prefetch(keys);
        keys.iter()
            .zip(pre)
            .map(|(k, p)| self.read_inner(policy, k, ReadKind::Bins(bins), p.as_ref()))
            .collect()
    }

    /// The images of the keys' current (non-tombstone) index entries, read together without
    /// record locks (`Storage::read_many`: one submission per device); `None` for a key without
    /// one. Use each with [`Namespace::read_prefetched`].
    pub fn prefetch(&self, keys: &[&Key]) -> Vec<Prefetched> {
        let hints: Vec<Option<IndexEntry>> = keys
            .iter()
            .map(|k| self.index.get(&k.digest).filter(|e| !e.is_tombstone()))
            .collect();
        let wanted: Vec<usize> = (0..keys.len()).filter(|i| hints[*i].is_some()).collect();
        let reqs: Vec<(Location, u32)> = wanted
            .iter()
            .filter_map(|i| hints[*i].map(|e| (e.location, e.size)))
            .collect();
        let mut pre: Vec<Prefetched> = vec![None; keys.len()];
        let got = self.storage.read_many(&reqs);
        assert_eq!(got.len(), reqs.len(), "read_many answers every request");
        for (i, b) in wanted.into_iter().zip(got) {
            pre[i] = hints[i].map(|e| (e, b));
        }
        pre
    }

    /// A read-path request that may use an image from [`Namespace::prefetch`]: it does only
    /// when the key's entry is still the one the image was read for (checked under the lock).
    pub fn read_prefetched(
        &self,
        policy: &ReadPolicy,
        key: &Key,
        kind: ReadKind<'_>,
        prefetched: &Prefetched,
    ) -> Result<Record> {
        self.read_inner(policy, key, kind, prefetched.as_ref())
    }

    fn read_inner(
        &self,
        policy: &ReadPolicy,
        key: &Key,
        kind: ReadKind<'_>,
        prefetched: Option<&(IndexEntry, Result<Bytes>)>,
    ) -> Result<Record> {
        let digest = key.digest;
        self.prefetch_request(&digest);
        // RP-01
        let user_key = Namespace::key_ref(key)?;
        if let (None, None, ReadKind::Bins(bins)) = (prefetched, &policy.filter_expression, &kind) {
            if let Some(answer) = self.read_unlocked(policy, key, bins, user_key) {
                return answer;
            }
        }
        let deadline = policy.total_timeout.map(|t| self.clock.deadline_us(t));
        let _guard = self.locks.acquire(digest, 0, deadline)?;
        let now_ms = self.clock.now_ms();
        let now_s = u32::try_from(now_ms / 1000).unwrap_or(u32::MAX);
        let e = self.check_readable(key, now_s)?; // RP-02 … RP-05
        debug_assert!(
            State::classify(Some(e), now_s).is_live(),
            "RP-02 … RP-05 pass only a live record"
        );
        check_touch_setting(policy, &e)?; // RP-05A
        let touch_void = self.read_touch_due(policy, &e, now_s);
        if let (None, None, ReadKind::Bins(bins)) = (&policy.filter_expression, touch_void, &kind) {
            if let Some((pe, Ok(bytes))) = prefetched {
                // The entry is the one the image was read for, and the image is still the one
                // stored there (its block was not freed and reused since the lock-free prefetch).
                if *pe == e && self.storage.prefetch_current(e.location, bytes) {
                    return Namespace::record_of(bytes, &digest, &e, bins, user_key);
                }
            }
            return self.read_bins(&digest, &e, bins, user_key);
        }
        if let (None, None, ReadKind::Ops(ops, all)) = (&policy.filter_expression, touch_void, &kind) {
            // A read-only operate on one map or list bin runs on its packed bytes (read_inplace.rs).
            let owned = user_key.map(|k| k.to_owned());
            if let Some(r) = self.read_ops_in_place(&digest, &e, ops, *all, &owned)? {
                return Ok(r);
            }
        }
        let mut img = self.load(&digest, &e)?;
        // RP-06
        self.check_filter(policy.filter_expression.as_ref(), &img, "RP-06")?;
        // RP-07
        Namespace::check_stored_key(&img.meta, &user_key.map(|k| k.to_owned()))?;
        // RP-08. The image is ours: bins move into the result unless a read-touch still needs them.
        let bins = self.select_bins(kind, key, &mut img, touch_void.is_some())?;
        // RP-09
        let result = Record {
            bins,
            ..Namespace::view_meta(&img)
        };
        if let Some(new_void) = touch_void {
            self.apply_read_touch(&e, &img, new_void, now_ms);
        }
        Ok(result)
    }

    /// A lock-free read, (L1) … (L3) in the module doc: a get without a filter of a live,
    /// untruncated record whose read-touch is not due, answered without the record lock from the
    /// entry the index holds now. `None` when this path does not serve the request or its read
    /// failed (the block was freed and reused under it, a check refused the image): the locked
    /// path then answers.
    fn read_unlocked(
        &self,
        policy: &ReadPolicy,
        key: &Key,
        bins: &Bins,
        user_key: Option<UserKeyRef<'_>>,
    ) -> Option<Result<Record>> {
        let (e, stamp) = match self.unlocked_entry(policy, key)? {
            Ok(found) => found,
            Err(refused) => return Some(Err(refused)),
        };
        let r = self.read_bins(&key.digest, &e, bins, user_key).ok()?;
        if !self.still_indexed(key, &e, stamp) {
            return None;
        }
        // (L2): the answer is the version the entry names (verified_view checked the image).
        assert!(
            r.generation == u32::from(e.generation) && r.last_update_time == e.lut(),
            "a lock-free read answers the version of the entry it looked up"
        );
        Some(Ok(r))
    }

    /// The entry a lock-free read answers from, (L1): looked up now, without the record lock.
    /// `None` when the lock-free path does not serve the request (its record's lock stripe is
    /// busy, a tombstone, a truncated record, a read-touch due); `Some(Err)` for RP-02 … RP-04,
    /// which the entry alone decides.
    pub(super) fn unlocked_entry(
        &self,
        policy: &ReadPolicy,
        key: &Key,
    ) -> Option<Result<(IndexEntry, Stamp)>> {
        if !self.locks.stripe_idle(&key.digest) {
            return None;
        }
        // (L1): the entry is looked up after the request began.
        let (entry, stamp) = self.index.get_stamped(&key.digest);
        if let Some(e) = entry {
            // The image's lines load while the entry is checked and the image located.
            self.storage.prefetch_image(e.location, e.size);
        }
        if entry.is_some_and(|e| e.is_tombstone() || self.truncated(&e)) {
            return None; // RP-05's stop-writes load and truncation reaping need the lock
        }
        // Only a record that can expire needs the time: void-time 0 never expires (EX-DEF) and
        // is never touched (RTT-WHEN), so its checks give the same answer at any `now_s`.
        let now_s = match entry {
            Some(e) if e.void_time != 0 => self.clock.now_s(),
            _ => 0,
        };
        let e = match self.check_entry(key, entry, now_s) {
            Ok(e) => e,
            Err(refused) => return Some(Err(refused)), // RP-02 … RP-04 from the entry alone
        };
        if check_touch_setting(policy, &e).is_err() || self.read_touch_due(policy, &e, now_s).is_some()
        {
            return None;
        }
        Some(Ok((e, stamp)))
    }

    /// (L2): the index still holds `e` for the key after its image was read and checked: its
    /// partition has not changed since `stamp` (one atomic load), or a second probe finds `e`.
    pub(super) fn still_indexed(&self, key: &Key, e: &IndexEntry, stamp: Stamp) -> bool {
        self.index.unchanged_since(&key.digest, stamp) || self.index.get(&key.digest) == Some(*e)
    }

    /// RP-02 … RP-05: the record's entry, unless it is missing, in another set, expired or a
    /// tombstone.
    fn check_readable(&self, key: &Key, now_s: u32) -> Result<IndexEntry> {
        let entry = self.classify_locked(&key.digest, now_s).entry();
        self.check_entry(key, entry, now_s)
    }

    /// RP-02 … RP-05 for `entry`, the record's index entry (RP-05 may read a tombstone's image).
    fn check_entry(&self, key: &Key, entry: Option<IndexEntry>, now_s: u32) -> Result<IndexEntry> {
        let digest = key.digest;
        // RP-02
        let Some(e) = entry else {
            return err(ResultCode::KeyNotFoundError, "record missing (RP-02)");
        };
        // RP-03
        if !key.set_name.is_empty() && !self.same_set(&key.set_name, &e) {
            return err(
                ResultCode::ParameterError,
                "request set differs from the record's set (RP-03)",
            );
        }
        match State::classify(Some(e), now_s) {
            // RP-04
            State::Expired(_) => err(ResultCode::KeyNotFoundError, "record expired (RP-04)"),
            // RP-05. When the store is refusing writes (a failed device write or sync puts it in
            // stop-writes) the tombstone may belong to a durable delete that was answered with 1;
            // its image is then not durable and `load` fails with 1, so the delete stays invisible
            // until reopen (WP-NOCHANGE; the delete's 1 was in doubt, ID-DEVICE-HANDOFF).
            State::Tomb(_) => {
                if self.storage.space().stop_writes {
                    self.load(&digest, &e)?;
                }
                err(
                    ResultCode::KeyNotFoundError,
                    "record is a tombstone (RP-05)",
                )
            }
            _ => Ok(e),
        }
    }

    /// RP-08: the bins the request returns, taken out of `img` unless `keep` (a read-touch
    /// still writes them); for read ops, their results.
    fn select_bins(
        &self,
        kind: ReadKind<'_>,
        key: &Key,
        img: &mut Image,
        keep: bool,
    ) -> Result<BinList> {
        Ok(match kind {
            ReadKind::Bins(Bins::All) if keep => img.bins.clone(),
            ReadKind::Bins(Bins::All) => std::mem::take(&mut img.bins),
            ReadKind::Bins(Bins::None) => BinList::new(),
            ReadKind::Bins(Bins::Some(names)) => named_bins(img, names)?,
            ReadKind::Ops(ops, respond_all) => {
                validate_read_op_count(ops.len())?;
                if ops.iter().all(|o| matches!(o, Operation::ReadHeader)) {
                    BinList::new()
                } else {
                    // Read ops leave the working copy equal to the stored bins.
                    let meta = self.exp_meta(ops, &key.digest, &img.meta.set_name, Some(img));
                    let mut working = std::mem::take(&mut img.bins);
                    #[cfg(debug_assertions)]
                    let stored = working.clone();
                    let out = apply_ops_with(
                        &mut working,
                        ops,
                        respond_all,
                        meta.as_ref(),
                        validate_read_op,
                    )?;
                    #[cfg(debug_assertions)]
                    debug_assert!(
                        working == stored,
                        "read ops leave the stored bins unchanged"
                    );
                    img.bins = working;
                    out
                }
            }
        })
    }

    /// RP-06 … RP-09 of a get without a filter or read-touch: the image is verified (CRC, and
    /// digest, generation, LUT, void-time, tombstone against the entry → 1) from a borrowed view
    /// of the stored bytes, and only what the request asks for is decoded: no bins for a header
    /// read, the named bins for a named read, every bin for a read-all. Checks run in the order
    /// of the full path: image (1), stored key (RP-07), bin list (RP-08).
    fn read_bins(
        &self,
        digest: &crate::record::key::Digest,
        e: &IndexEntry,
        bins: &Bins,
        user_key: Option<UserKeyRef<'_>>,
    ) -> Result<Record> {
        let mut out = None;
        self.storage
            .read_with(e.location, e.size, &mut |bytes: &[u8]| {
                out = Some(Namespace::record_of(bytes, digest, e, bins, user_key));
            })?;
        out.unwrap_or_else(|| err(ResultCode::ServerError, "storage did not visit the image"))
    }

    fn record_of(
        bytes: &[u8],
        digest: &crate::record::key::Digest,
        e: &IndexEntry,
        bins: &Bins,
        user_key: Option<UserKeyRef<'_>>,
    ) -> Result<Record> {
        let v = Namespace::verified_view(bytes, digest, e)?;
        // RP-07
        if let (Some(stored), Some(req)) = (&v.key, user_key) {
            if !stored.is_key(&req) {
                return err(
                    ResultCode::KeyMismatch,
                    "the request's user key differs from the stored key (SK-MISMATCH)",
                );
            }
        }
        // RP-08
        let bins = match bins {
            Bins::All => v.bins().map_err(undecodable)?,
            Bins::None => BinList::new(),
            Bins::Some(names) => {
                if names.is_empty() {
                    return err(
                        ResultCode::ParameterError,
                        "explicit bin list is empty (RP-08)",
                    );
                }
                validate_read_op_count(names.len())?;
                for n in names {
                    validate_bin_name(n)?;
                }
                v.named_bins(names).map_err(undecodable)?
            }
        };
        // RP-09
        Ok(Record {
            bins,
            generation: u32::from(v.generation),
            expiration: v.void_time,
            last_update_time: v.lut,
            key: v.key.and_then(|k| k.to_owned().to_value()),
        })
    }

    /// Metadata of an image as a record with no bins.
    pub fn view_meta(img: &Image) -> Record {
        Record {
            bins: BinList::new(),
            generation: u32::from(img.meta.generation),
            expiration: img.meta.void_time,
            last_update_time: img.meta.lut,
            key: img
                .meta
                .key
                .as_ref()
                .and_then(crate::record::key::UserKeyBytes::to_value),
        }
    }

    /// RTT-SETTING / RTT-WHEN: the new void-time when this read renews the TTL of a record close to
    /// expiring; the touch itself runs under the record lock after the read succeeded
    /// ([`Namespace::apply_read_touch`]), and a failed image write is dropped silently.
    ///
    /// The touch is a write of the record image, so it is dropped wherever a write would be refused
    /// for space: storage overload (WP-02) and stop-writes (WP-04, which RC-8 counts as "out of
    /// space"), not only when the append itself fails. Aerospike's read-touch is likewise an
    /// internal write that stop-writes refuses.
    fn read_touch_due(&self, policy: &ReadPolicy, e: &IndexEntry, now_s: u32) -> Option<u32> {
        if e.void_time == 0 {
            return None;
        }
        let p = match policy.read_touch_ttl_percent {
            0 => i64::from(self.config.default_read_touch_ttl_pct),
            -1 => 0,
            p => i64::from(p),
        };
        if p <= 0 {
            return None;
        }
        let write_ttl = i64::from(e.void_time) - (e.lut() / 1000) as i64;
        if write_ttl <= 0 {
            return None;
        }
        let threshold = write_ttl * p / 100;
        if i64::from(now_s) < i64::from(e.void_time) - threshold {
            return None;
        }
        let new_void = i64::from(now_s) + write_ttl;
        if new_void <= i64::from(e.void_time) {
            return None;
        }
        Some(u32::try_from(new_void).unwrap_or(u32::MAX))
    }

    /// Write the read-touch image (RTT-EFFECT, RTT-APPLY); dropped silently when refused.
    fn apply_read_touch(&self, e: &IndexEntry, img: &Image, new_void: u32, now_ms: u64) {
        let space = self.storage.space();
        if space.overloaded || space.stop_writes {
            return;
        }
        // RTT-WHEN: a read-touch only ever extends the void-time of a record that can expire.
        assert!(
            e.void_time != 0 && new_void > e.void_time,
            "read-touch from {} to {new_void} extends the void-time",
            e.void_time
        );
        let mut meta = img.meta.clone();
        meta.void_time = new_void;
        meta.lut = next_lut(meta.lut, now_ms);
        if let Ok((_, ticket)) = self.commit(&meta, &img.bins, e.set_id, Some(*e)) {
            // RTT-APPLY: durability follows the namespace's mode; a failure here is dropped.
            let _ = self.storage.wait_durable(ticket);
        }
    }
}

/// RP-05A: a read-touch percent outside −1 and 0 … 100 fails a record that can expire.
fn check_touch_setting(policy: &ReadPolicy, e: &IndexEntry) -> Result<()> {
    let p = policy.read_touch_ttl_percent;
    if e.void_time != 0 && !(p == -1 || (0..=100).contains(&p)) {
        return err(
            ResultCode::ParameterError,
            format!("read_touch_ttl_percent {p} (RP-05A, RTT-SETTING)"),
        );
    }
    Ok(())
}

/// RP-08 for a named-bin read: the list is not empty, within the op limit, and each name valid;
/// the named bins the image has, in request order.
fn named_bins(img: &Image, names: &[String]) -> Result<BinList> {
    if names.is_empty() {
        return err(
            ResultCode::ParameterError,
            "explicit bin list is empty (RP-08)",
        );
    }
    validate_read_op_count(names.len())?;
    let mut out = BinList::new();
    for n in names {
        validate_bin_name(n)?;
        if let Some(v) = img.bins.get(n) {
            out.push(n, v.clone());
        }
    }
    Ok(out)
}
