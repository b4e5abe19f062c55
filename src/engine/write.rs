//! The write path (record-model.md §7.1, WP-01 … WP-22): put, touch, and operate with a write op.

use crate::engine::namespace::Namespace;
use crate::engine::state::{inc, next_lut, State};
use crate::error::{err, Result, ResultCode};
use crate::ops::apply::apply_ops_with;
use crate::ops::validate::validate_write_ops;
use crate::ops::Operation;
use crate::policy::write::{GenerationPolicy, RecordExistsAction, WritePolicy, MAX_TTL_S};
use crate::record::bin::{BinList, BINS_MAX};
use crate::record::key::{Key, UserKeyBytes};
use crate::record::record::Record;
use crate::storage::record_image::ImageMeta;

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
    Ok(match ttl {
        -1 => 0,
        -2 => live_void.unwrap_or(0),
        0 if default == 0 => 0,
        0 => now_s.saturating_add(default),
        n => now_s.saturating_add(n as u32),
    })
}

impl Namespace {
    /// Run a write-path request.
    pub fn write(&self, policy: &WritePolicy, key: &Key, ops: &[Operation]) -> Result<Record> {
        self.write_with(policy, key, ops, true)
    }

    /// [`Namespace::write`]; `in_place` lets map ops run on the packed map (write_inplace.rs).
    fn write_with(
        &self,
        policy: &WritePolicy,
        key: &Key,
        ops: &[Operation],
        in_place: bool,
    ) -> Result<Record> {
        let digest = key.digest;
        // WP-01
        let checked = self.check_request(key)?;
        // WP-02
        if self.storage.space().overloaded {
            return err(
                ResultCode::DeviceOverload,
                "storage write queue over max_write_cache (WP-02)",
            );
        }
        // WP-03
        let deadline = policy.total_timeout.map(|t| self.clock.deadline_us(t));
        let guard = self
            .locks
            .acquire(digest, self.config.transaction_pending_limit, deadline)?;
        // WP-04
        if let Some(cause) = self.storage.stop_writes_cause() {
            return err(
                ResultCode::ServerMemError,
                format!("namespace is in stop-writes (WP-04): {cause}"),
            );
        }
        // WP-05 … WP-07A
        let action = policy.record_exists_action;
        validate_write_ops(ops, action, policy.respond_all_ops)?;
        let now_ms = self.clock.now_ms();
        let now_s = u32::try_from(now_ms / 1000).unwrap_or(u32::MAX);
        let mut state = self.classify_locked(&digest, now_s);
        // WP-08
        let must_exist = matches!(
            action,
            RecordExistsAction::UpdateOnly | RecordExistsAction::ReplaceOnly
        ) || ops.iter().any(|o| matches!(o, Operation::Touch));
        if must_exist && !state.is_live() {
            return err(
                ResultCode::KeyNotFoundError,
                format!("record must exist; it is {} (WP-08)", state_word(&state)),
            );
        }
        // WP-09
        if let State::Expired(e) = state {
            self.remove(&digest, &e);
            state = State::Missing;
        }
        // WP-10
        if action == RecordExistsAction::CreateOnly && state.is_live() {
            return err(
                ResultCode::KeyExistsError,
                "CreateOnly on a live record (WP-10)",
            );
        }
        // WP-11
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
        // WP-12
        match state {
            State::Live(e) | State::Tomb(e) if !self.same_set(&key.set_name, &e) => {
                return err(
                    ResultCode::ParameterError,
                    "request set differs from the record's set (WP-12)",
                );
            }
            State::Missing if self.sets.would_overflow(&key.set_name) => {
                return err(
                    ResultCode::ParameterError,
                    "a new set beyond 4095 sets (WP-12, K-SET-COUNT)",
                );
            }
            _ => {}
        }
        let merge = matches!(
            action,
            RecordExistsAction::Update
                | RecordExistsAction::UpdateOnly
                | RecordExistsAction::CreateOnly
        );
        // The old image's bins are needed only to merge them (unless the ops begin by deleting
        // them all), to evaluate a filter (WP-13) or for expression ops; its stored key only to
        // check and carry it (WP-14). Otherwise — Replace, an operate starting with delete-all —
        // the write needs the index entry alone: one device read saved, and a damaged image
        // does not stop it.
        let bins_needed = (state.is_live()
            && ((merge && ops_read_old_bins(ops)) || policy.filter_expression.is_some()))
            || crate::engine::filter::has_exp_ops(ops);
        // The in-place map path hands the map bin to storage as raw bytes, which secondary
        // indexes cannot read: with any index defined, the decoded path keeps them exact
        // (SIDX-EXACT-1; an index created meanwhile is corrected by its build's visit, which
        // waits for this record lock).
        let in_place_bin = crate::engine::write_inplace::plan(ops, policy)
            .filter(|_| in_place && merge && state.is_live() && self.sindexes.is_empty());
        let (image, mut split) = match (state.entry(), in_place_bin) {
            (Some(e), Some(bin)) if bins_needed => match self.load_split(&digest, &e, bin)? {
                Some((img, s)) => (Some(img), Some(s)),
                None => (Some(self.load(&digest, &e)?), None),
            },
            (Some(e), _) if bins_needed => (Some(self.load(&digest, &e)?), None),
            _ => (None, None),
        };
        // WP-13
        if let (true, Some(img)) = (state.is_live(), &image) {
            self.check_filter(policy.filter_expression.as_ref(), img, "WP-13")?;
        }
        // WP-14
        let old_key = match state.entry() {
            Some(e) => {
                self.stored_key_for_overwrite(&digest, &e, image.as_ref(), &checked.user_key, true)?
            }
            None => None,
        };
        // WP-15
        let live_void = match state {
            State::Live(e) => Some(e.void_time),
            _ => None,
        };
        let void_time = resolve_ttl(self, policy.expiration.ttl_value(), live_void, now_s)?;
        // WP-16
        let (base, lut_old) = match state {
            State::Live(e) | State::Tomb(e) => (e.generation, e.lut()),
            _ => (0, self.lut_floor(&key.set_name)),
        };
        let generation = inc(base);
        let lut = next_lut(lut_old, now_ms);
        let mut working = match &image {
            Some(img) if merge && state.is_live() => img.bins.clone(),
            _ => BinList::new(),
        };
        // WP-17
        let live_img = image.as_ref().filter(|_| state.is_live());
        let meta = self.exp_meta(ops, &digest, &key.set_name, live_img);
        let results = match (&mut split, in_place_bin) {
            (Some(s), Some(bin)) => {
                let all = policy.respond_all_ops;
                match crate::engine::write_inplace::apply_ops(
                    &mut working,
                    &mut s.map,
                    bin,
                    ops,
                    all,
                ) {
                    Some(r) => r?,
                    None => {
                        drop(guard);
                        return self.write_with(policy, key, ops, false);
                    }
                }
            }
            _ => apply_ops_with(
                &mut working,
                ops,
                policy.respond_all_ops,
                meta.as_ref(),
                |_, _| Ok(()),
            )?,
        };
        // WP-18
        let bin_count = working.len() + usize::from(split.is_some());
        if bin_count > BINS_MAX {
            return err(
                ResultCode::ParameterError,
                format!("{bin_count} bins; at most {BINS_MAX} (WP-18)"),
            );
        }
        let stored_key: Option<UserKeyBytes> = match &old_key {
            Some(k) => Some(k.clone()),
            None if policy.send_key => checked.user_key.clone(),
            None => None,
        };
        let set_name = match &image {
            Some(img) => img.meta.set_name.clone(),
            None => key.set_name.clone(),
        };
        // WP-19
        if working.is_empty() && split.is_none() {
            let State::Live(e) = state else {
                return err(
                    ResultCode::KeyNotFoundError,
                    "the write leaves zero bins on a record that is not live (WP-19)",
                );
            };
            let ticket = if policy.durable_delete {
                let meta = ImageMeta {
                    digest,
                    generation,
                    lut,
                    void_time: 0,
                    tombstone: true,
                    set_name,
                    key: old_key,
                    block_seq: 0,
                };
                Some(self.commit(&meta, &BinList::new(), e.set_id, Some(e))?.1)
            } else {
                self.remove(&digest, &e);
                None
            };
            drop(guard);
            if let Some(t) = ticket {
                self.storage.wait_durable(t)?;
            }
            return Ok(Record {
                bins: results,
                generation: 0,
                expiration: 0,
                last_update_time: lut,
                key: None,
            });
        }
        // WP-20, WP-21
        let set_id = match state.entry() {
            Some(e) => e.set_id,
            None => self.sets.intern(&key.set_name)?,
        };
        let meta = ImageMeta {
            digest,
            generation,
            lut,
            void_time,
            tombstone: false,
            set_name,
            key: stored_key,
            block_seq: 0,
        };
        let ticket = match (split, in_place_bin) {
            (Some(s), Some(bin)) => {
                self.commit_split(&meta, &working, s, bin, set_id, state.entry())?
            }
            _ => self.commit(&meta, &working, set_id, state.entry())?.1,
        };
        drop(guard);
        self.storage.wait_durable(ticket)?;
        // WP-22
        Ok(Record {
            bins: results,
            generation: u32::from(generation),
            expiration: void_time,
            last_update_time: lut,
            key: meta.key.as_ref().and_then(UserKeyBytes::to_value),
        })
    }
}

/// Whether applying `ops` over a live record depends on its old bins: it does unless the ops
/// begin with a delete-all (only header reads and touches before it, which read no bin).
fn ops_read_old_bins(ops: &[Operation]) -> bool {
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
