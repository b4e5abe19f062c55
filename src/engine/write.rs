//! The write path (record-model.md §7.1, WP-01 … WP-22): put, touch, and operate with a write op.

use crate::engine::locks::RecordGuard;
use crate::engine::namespace::{Checked, Namespace};
use crate::engine::state::{inc, next_lut, State};
use crate::engine::write_inplace::Split;
use crate::error::{err, Result, ResultCode};
use crate::format::record_image::{Image, ImageBins, ImageHeader};
use crate::index::entry::LUT_MAX;
use crate::ops::apply::{apply_ops_with, apply_put, put_as_is, put_results};
use crate::ops::validate::validate_write_request;
use crate::ops::{Operation, WriteOps};
use crate::policy::write::{GenerationPolicy, RecordExistsAction, WritePolicy, MAX_TTL_S};
use crate::record::bin::{Bin, BinList, BINS_MAX};
use crate::record::key::{Key, UserKeyBytes};
use crate::record::record::Record;

/// GenerationPolicy check (§9): `cmp` is G for a live record, 0 otherwise.
pub fn generation_passes(policy: GenerationPolicy, n: u32, cmp: u32) -> bool {
    match policy {
        GenerationPolicy::None => true,
        GenerationPolicy::ExpectGenEqual => n == cmp,
        GenerationPolicy::ExpectGenGt => n > cmp,
    }
}

/// WP-15: resolve the request TTL to a void-time. `live_void` is the live record's void-time.
pub fn resolve_ttl(ns: &Namespace, raw: i64, live_void: Option<u32>, now_s: u32) -> Result<u32> {
    let ttl = if raw == -2 && live_void.is_none() {
        0
    } else {
        raw
    };
    if !(-2..=i64::from(MAX_TTL_S)).contains(&ttl) {
        return err(
            ResultCode::ParameterError,
            format!("TTL {ttl} is not −2, −1, 0 or 1 … {MAX_TTL_S} (TTL-INVALID)"),
        );
    }
    let default = ns.config.default_ttl_s;
    let positive = ttl > 0 || (ttl == 0 && default != 0);
    if positive && !ns.config.ttl_allowed() {
        return err(
            ResultCode::FailForbidden,
            "positive TTL while expiry sweeping is disabled (TTL-FORBIDDEN)",
        );
    }
    let void_time = match ttl {
        -1 => 0,
        -2 => live_void.unwrap_or(0),
        0 if default == 0 => 0,
        0 => now_s.saturating_add(default),
        n => now_s.saturating_add(n as u32),
    };
    // EX-DEF: a new version is never born expired (a live record's void-time is not past).
    debug_assert!(
        void_time == 0 || void_time >= now_s,
        "void-time {void_time} at {now_s}: a write never stores an expired version"
    );
    Ok(void_time)
}

/// What the checks under the record lock learned about the record (WP-08 … WP-14).
struct Found<'o> {
    /// The record's state after WP-09 (an expired record has become missing).
    state: State,
    /// The old image, loaded only when its bins are needed (merge, filter, expression ops).
    image: Option<Image>,
    /// The stored key the old version carries (WP-14), if known.
    old_key: Option<UserKeyBytes>,
    /// The in-place map path (write_inplace.rs): the map bin it works on, and the old image's
    /// map kept packed (then `image` holds the other bins).
    in_place: Option<(&'o str, Split)>,
}

/// The new version staged by WP-15 and WP-16; WP-17 applies the ops to `working`.
struct Staged<'o> {
    generation: u16,
    lut: u64,
    void_time: u32,
    working: BinList,
    /// A put whose bins are the new version's bins as they are (`ops::apply::put_as_is`, over
    /// an empty working copy): stored from the request, `working` stays empty.
    as_is: Option<&'o [Bin]>,
}

impl Staged<'_> {
    /// The new version's bins, for its image.
    fn bins(&self) -> ImageBins<'_> {
        match self.as_is {
            Some(put) => ImageBins::Put(put),
            None => ImageBins::List(&self.working),
        }
    }
}

impl Namespace {
    /// Run a write-path request: the checks of record-model.md §7.1 in their order, each step
    /// named after the rows it implements. Nothing observable changes before WP-19 / WP-20
    /// except WP-09's discard of an expired record (WP-NOCHANGE).
    pub fn write(&self, policy: &WritePolicy, key: &Key, ops: &[Operation]) -> Result<Record> {
        self.write_with(policy, key, WriteOps::List(ops), true)
    }

    /// [`Namespace::write`] of one `Operation::Write` per bin, in order (`Database::put`),
    /// without building that op list: each value is copied at most once, into the working copy
    /// (not at all when the put is stored as it is, `ops::apply::put_as_is`).
    pub fn put_bins(&self, policy: &WritePolicy, key: &Key, bins: &[Bin]) -> Result<Record> {
        self.write_with(policy, key, WriteOps::Put(bins), true)
    }

    /// [`Namespace::write`]; `in_place` lets map ops run on the packed map (write_inplace.rs).
    fn write_with(
        &self,
        policy: &WritePolicy,
        key: &Key,
        ops: WriteOps<'_>,
        in_place: bool,
    ) -> Result<Record> {
        self.prefetch_request(&key.digest);
        self.check_key(key)?; // WP-01
        self.check_overload()?; // WP-02
        let guard = self.lock_record(policy, key)?; // WP-03
        self.check_stop_writes()?; // WP-04
        validate_write_request(ops, policy.record_exists_action, policy.respond_all_ops)?; // WP-05 … WP-07A
        let now_ms = self.clock.now_ms();
        let now_s = u32::try_from(now_ms / 1000).unwrap_or(u32::MAX);
        let state = self.check_existence(policy, key, ops, now_s)?; // WP-08 … WP-10
        debug_assert!(
            !matches!(state, State::Expired(_)),
            "WP-09 discarded an expired record"
        );
        check_generation(policy, &state)?; // WP-11
        self.check_set(key, &state)?; // WP-12
        // The user key's bytes serve only to check or carry a stored key (WP-14) and to store
        // it (send_key): a create without send_key does not encode them.
        let checked = match state.entry() {
            Some(_) => Checked::of(key),
            None if policy.send_key => Checked::of(key),
            None => Checked { user_key: None },
        };
        let mut found = self.check_old_image(policy, key, ops, &checked, state, in_place)?; // WP-13, WP-14
        let mut staged = self.stage(policy, key, &found, now_ms, now_s)?; // WP-15, WP-16
        let Some(results) = self.apply_to_working(policy, key, ops, &mut found, &mut staged)?
        // WP-17, WP-18
        else {
            // The in-place map path cannot run these ops: nothing was committed; start over on
            // the decoded path.
            drop(guard);
            return self.write_with(policy, key, ops, false);
        };
        let (reply, ticket) = if staged.bins().is_empty() && found.in_place.is_none() {
            self.write_emptied(policy, key, found, &staged, results)? // WP-19
        } else {
            self.store(policy, key, &checked, found, staged, results)? // WP-20, WP-21
        };
        drop(guard);
        if let Some(t) = ticket {
            self.storage.wait_durable(t)?; // WP-21: durability is awaited outside the lock
        }
        Ok(reply) // WP-22
    }

    /// WP-02: refuse when too many write blocks wait to be flushed.
    fn check_overload(&self) -> Result<()> {
        if self.storage.space().overloaded {
            return err(
                ResultCode::DeviceOverload,
                "storage write queue over max_write_cache (WP-02)",
            );
        }
        Ok(())
    }

    /// WP-03: take the record lock, refusing a hot key or a passed deadline.
    fn lock_record(&self, policy: &WritePolicy, key: &Key) -> Result<RecordGuard<'_>> {
        let deadline = policy.total_timeout.map(|t| self.clock.deadline_us(t));
        self.locks
            .acquire(key.digest, self.config.transaction_pending_limit, deadline)
    }

    /// WP-04: refuse while the namespace is in stop-writes.
    fn check_stop_writes(&self) -> Result<()> {
        if let Some(cause) = self.storage.stop_writes_cause() {
            return err(
                ResultCode::ServerMemError,
                format!("namespace is in stop-writes (WP-04): {cause}"),
            );
        }
        Ok(())
    }

    /// WP-08 must-exist, WP-09 discard an expired record, WP-10 CreateOnly on a live record.
    fn check_existence(
        &self,
        policy: &WritePolicy,
        key: &Key,
        ops: WriteOps<'_>,
        now_s: u32,
    ) -> Result<State> {
        let action = policy.record_exists_action;
        let mut state = self.classify_for_write(&key.digest, now_s);
        let must_exist = matches!(
            action,
            RecordExistsAction::UpdateOnly | RecordExistsAction::ReplaceOnly
        ) || ops.has_touch();
        if must_exist && !state.is_live() {
            return err(
                ResultCode::KeyNotFoundError,
                format!("record must exist; it is {} (WP-08)", state_word(&state)),
            );
        }
        if let State::Expired(e) = state {
            self.remove(&key.digest, &e);
            state = State::Missing;
        }
        if action == RecordExistsAction::CreateOnly && state.is_live() {
            return err(
                ResultCode::KeyExistsError,
                "CreateOnly on a live record (WP-10)",
            );
        }
        Ok(state)
    }

    /// WP-12: the request's set against the record's, or a new set beyond K-SET-COUNT.
    fn check_set(&self, key: &Key, state: &State) -> Result<()> {
        match *state {
            State::Live(e) | State::Tomb(e) if !self.same_set(&key.set_name, &e) => err(
                ResultCode::ParameterError,
                "request set differs from the record's set (WP-12)",
            ),
            State::Missing if self.sets.would_overflow(&key.set_name) => err(
                ResultCode::ParameterError,
                "a new set beyond 4095 sets (WP-12, K-SET-COUNT)",
            ),
            _ => Ok(()),
        }
    }

    /// Load the old image when its bins are needed, then WP-13 (filter, live records only) and
    /// WP-14 (stored key).
    ///
    /// The old image's bins are needed only to merge them (unless the ops begin by deleting
    /// them all), to evaluate a filter (WP-13) or for expression ops; its stored key only to
    /// check and carry it (WP-14). Otherwise — Replace, an operate starting with delete-all —
    /// the write needs the index entry alone: one device read saved, and a damaged image does
    /// not stop it.
    fn check_old_image<'o>(
        &self,
        policy: &WritePolicy,
        key: &Key,
        ops: WriteOps<'o>,
        checked: &Checked,
        state: State,
        in_place: bool,
    ) -> Result<Found<'o>> {
        let merge = merges(policy.record_exists_action);
        let bins_needed = (state.is_live()
            && ((merge && ops_read_old_bins(ops)) || policy.filter_expression.is_some()))
            || ops.has_exp();
        // The in-place map path hands the map bin to storage as raw bytes, which secondary
        // indexes cannot read: with any index defined, the decoded path keeps them exact
        // (SIDX-EXACT-1; an index created meanwhile is corrected by its build's visit, which
        // waits for this record lock).
        let in_place_bin = ops
            .list()
            .and_then(|list| crate::engine::write_inplace::plan(list, policy))
            .filter(|_| in_place && merge && state.is_live() && self.sindexes.is_empty());
        let (image, split) = match (state.entry(), in_place_bin) {
            (Some(e), Some(bin)) if bins_needed => match self.load_split(&key.digest, &e, bin)? {
                Some((img, s)) => (Some(img), Some((bin, s))),
                None => (Some(self.load(&key.digest, &e)?), None),
            },
            (Some(e), _) if bins_needed => (Some(self.load(&key.digest, &e)?), None),
            _ => (None, None),
        };
        if let (true, Some(img)) = (state.is_live(), &image) {
            self.check_filter(policy.filter_expression.as_ref(), img, "WP-13")?;
        }
        let old_key = match state.entry() {
            Some(e) => self.stored_key_for_overwrite(
                &key.digest,
                &e,
                image.as_ref(),
                &checked.user_key,
                true,
            )?,
            None => None,
        };
        Ok(Found {
            state,
            image,
            old_key,
            in_place: split,
        })
    }

    /// WP-15 resolve the TTL, WP-16 stage the new generation, LUT and working bins.
    fn stage(
        &self,
        policy: &WritePolicy,
        key: &Key,
        found: &Found<'_>,
        now_ms: u64,
        now_s: u32,
    ) -> Result<Staged<'static>> {
        let live_void = match found.state {
            State::Live(e) => Some(e.void_time),
            _ => None,
        };
        let void_time = resolve_ttl(self, policy.expiration.ttl_value(), live_void, now_s)?;
        let (base, lut_old) = match found.state {
            State::Live(e) | State::Tomb(e) => (e.generation, e.lut()),
            // A truncate cut-off read from a device header may exceed the 40-bit LUT range;
            // `next_lut` saturates there anyway, so clamping the floor first changes nothing.
            _ => (0, self.lut_floor(&key.set_name).min(LUT_MAX)),
        };
        let merge = merges(policy.record_exists_action);
        let working = match &found.image {
            Some(img) if merge && found.state.is_live() => img.bins.clone(),
            _ => BinList::new(),
        };
        Ok(Staged {
            generation: inc(base),
            lut: next_lut(lut_old, now_ms),
            void_time,
            working,
            as_is: None,
        })
    }

    /// WP-17 apply the ops in order to the working copy (the packed map in place when the
    /// in-place path was chosen), WP-18 the bin-count limit. Returns the ops' result entries;
    /// `None` when the in-place path cannot run these ops (nothing changed yet).
    fn apply_to_working<'o>(
        &self,
        policy: &WritePolicy,
        key: &Key,
        ops: WriteOps<'o>,
        found: &mut Found<'_>,
        staged: &mut Staged<'o>,
    ) -> Result<Option<BinList>> {
        let working = &mut staged.working;
        let results = match (&mut found.in_place, ops) {
            (Some((bin, split)), WriteOps::List(ops)) => {
                let all = policy.respond_all_ops;
                match crate::engine::write_inplace::apply_ops(
                    working,
                    &mut split.map,
                    bin,
                    ops,
                    all,
                ) {
                    Some(r) => r?,
                    None => return Ok(None),
                }
            }
            // The in-place path is planned from an op list only; a put never takes it.
            (Some(_), WriteOps::Put(_)) => return Ok(None),
            // Over an empty working copy (a create, Replace), a plain put is its own result.
            (None, WriteOps::Put(bins)) if working.is_empty() && put_as_is(bins) => {
                staged.as_is = Some(bins);
                put_results(bins, policy.respond_all_ops)
            }
            (None, WriteOps::Put(bins)) => apply_put(working, bins, policy.respond_all_ops)?,
            (None, WriteOps::List(ops)) => {
                let live_img = found.image.as_ref().filter(|_| found.state.is_live());
                let meta = self.exp_meta(ops, &key.digest, &key.set_name, live_img);
                apply_ops_with(
                    working,
                    ops,
                    policy.respond_all_ops,
                    meta.as_ref(),
                    |_, _| Ok(()),
                )?
            }
        };
        let bin_count = staged.bins().len() + usize::from(found.in_place.is_some());
        if bin_count > BINS_MAX {
            return err(
                ResultCode::ParameterError,
                format!("{bin_count} bins; at most {BINS_MAX} (WP-18)"),
            );
        }
        Ok(Some(results))
    }

    /// WP-19: the write leaves zero bins. Not live → 2; live → the write becomes a delete
    /// (durable: a tombstone image; otherwise the entry is removed). Returns the reply (WP-22)
    /// and the durability ticket to wait for once the lock is released.
    fn write_emptied(
        &self,
        policy: &WritePolicy,
        key: &Key,
        found: Found<'_>,
        staged: &Staged,
        results: BinList,
    ) -> Result<(Record, Option<u64>)> {
        // The in-place map path keeps its map bin outside `working`: it never empties a record.
        assert!(
            found.in_place.is_none(),
            "WP-19 runs on the decoded path only"
        );
        let State::Live(e) = found.state else {
            return err(
                ResultCode::KeyNotFoundError,
                "the write leaves zero bins on a record that is not live (WP-19)",
            );
        };
        assert_eq!(
            staged.generation,
            inc(e.generation),
            "GC-ONCE on an emptying write"
        );
        let ticket = if policy.durable_delete {
            let meta = ImageHeader {
                digest: key.digest,
                generation: staged.generation,
                lut: staged.lut,
                void_time: 0,
                tombstone: true,
                set_name: image_set_name(key, &found),
                key: found.old_key.as_ref(),
                block_seq: 0,
            };
            let bins = BinList::new();
            let bins = ImageBins::List(&bins);
            Some(self.commit_with(&meta, bins, None, e.set_id, Some(e))?.1)
        } else {
            self.remove(&key.digest, &e);
            None
        };
        let reply = Record {
            bins: results,
            generation: 0,
            expiration: 0,
            last_update_time: staged.lut,
            key: None,
        };
        Ok((reply, ticket))
    }

    /// WP-20 store the image and WP-21 commit it (visible at once). Returns the reply (WP-22)
    /// and the durability ticket to wait for once the lock is released.
    fn store(
        &self,
        policy: &WritePolicy,
        key: &Key,
        checked: &Checked,
        mut found: Found<'_>,
        staged: Staged,
        results: BinList,
    ) -> Result<(Record, Option<u64>)> {
        // The header below borrows `found`; the in-place split moves into its commit.
        let in_place = found.in_place.take();
        let set_id = match found.state.entry() {
            Some(e) => e.set_id,
            None => self.sets.intern(&key.set_name)?,
        };
        let set_name = image_set_name(key, &found);
        let stored_key: Option<&UserKeyBytes> = match &found.old_key {
            Some(k) => Some(k),
            None if policy.send_key => checked.user_key.as_ref(),
            None => None,
        };
        let meta = ImageHeader {
            digest: key.digest,
            generation: staged.generation,
            lut: staged.lut,
            void_time: staged.void_time,
            tombstone: false,
            set_name,
            key: stored_key,
            block_seq: 0,
        };
        let old = found.state.entry();
        assert!(
            in_place.is_none() || found.state.is_live(),
            "the in-place map path runs only over a live record's image"
        );
        assert_eq!(
            meta.generation,
            inc(old.map_or(0, |e| e.generation)),
            "a write moves the generation by one (GC-ONCE)"
        );
        let ticket = match in_place {
            Some((bin, split)) => {
                self.commit_split(&meta, &staged.working, split, bin, set_id, old)?
            }
            None => self.commit_with(&meta, staged.bins(), None, set_id, old)?.1,
        };
        let reply = Record {
            bins: results,
            generation: u32::from(staged.generation),
            expiration: staged.void_time,
            last_update_time: staged.lut,
            key: meta.key.and_then(UserKeyBytes::to_value),
        };
        Ok((reply, Some(ticket)))
    }
}

/// WP-11: the generation policy, `N` against `G` when live and against 0 otherwise.
fn check_generation(policy: &WritePolicy, state: &State) -> Result<()> {
    let cmp = match state {
        State::Live(e) => u32::from(e.generation),
        _ => 0,
    };
    if !generation_passes(policy.generation_policy, policy.generation, cmp) {
        return err(
            ResultCode::GenerationError,
            format!(
                "{:?}({}) against generation {cmp} (WP-11)",
                policy.generation_policy, policy.generation
            ),
        );
    }
    Ok(())
}

/// Whether the exists action merges the ops into the record's existing bins (WP-16).
fn merges(action: RecordExistsAction) -> bool {
    matches!(
        action,
        RecordExistsAction::Update
            | RecordExistsAction::UpdateOnly
            | RecordExistsAction::CreateOnly
    )
}

/// The set name the new image carries: the old image's when loaded, else the request's.
fn image_set_name<'a>(key: &'a Key, found: &'a Found<'_>) -> &'a str {
    match &found.image {
        Some(img) => &img.meta.set_name,
        None => &key.set_name,
    }
}

/// Whether applying `ops` over a live record depends on its old bins: it does unless the ops
/// begin with a delete-all (only header reads and touches before it, which read no bin).
fn ops_read_old_bins(ops: WriteOps<'_>) -> bool {
    let WriteOps::List(ops) = ops else {
        return true; // a put's writes merge into the old bins
    };
    match ops.iter().position(|o| matches!(o, Operation::DeleteAll)) {
        Some(i) => ops[..i]
            .iter()
            .any(|o| !matches!(o, Operation::ReadHeader | Operation::Touch)),
        None => true,
    }
}

/// The state in words, for error details.
pub fn state_word(s: &State) -> &'static str {
    match s {
        State::Missing => "missing",
        State::Live(_) => "live",
        State::Tomb(_) => "a tombstone",
        State::Expired(_) => "expired",
    }
}
