//! The read path (record-model.md §7.2, RP-01 … RP-09) and read-touch (§14.1).

use crate::engine::namespace::Namespace;
use crate::engine::state::{next_lut, State};
use crate::error::{err, Result, ResultCode};
use crate::ops::apply::apply_ops_checked;
use crate::ops::validate::{validate_read_op, validate_read_op_count};
use crate::ops::Operation;
use crate::policy::read::ReadPolicy;
use crate::record::bin::{validate_bin_name, BinList};
use crate::record::key::Key;
use crate::record::record::Record;
use crate::storage::record_image::Image;
use std::time::Instant;

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
        let digest = key.digest;
        // RP-01
        let checked = self.check_request(key)?;
        let deadline = policy.total_timeout.map(|t| Instant::now() + t);
        let _guard = self.locks.acquire(digest, 0, deadline)?;
        let now_ms = self.clock.now_ms();
        let now_s = u32::try_from(now_ms / 1000).unwrap_or(u32::MAX);
        let entry = self.index.get(&digest);
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
            State::Expired(_) => {
                return err(ResultCode::KeyNotFoundError, "record expired (RP-04)")
            }
            // RP-05
            State::Tomb(_) => {
                return err(
                    ResultCode::KeyNotFoundError,
                    "record is a tombstone (RP-05)",
                )
            }
            _ => {}
        }
        // RP-05A
        let p = policy.read_touch_ttl_percent;
        if e.void_time != 0 && !(p == -1 || (0..=100).contains(&p)) {
            return err(
                ResultCode::ParameterError,
                format!("read_touch_ttl_percent {p} (RP-05A, RTT-SETTING)"),
            );
        }
        let img = self.load(&digest, &e)?;
        // RP-06
        if let Some(f) = &policy.filter_expression {
            if !f.matches(&Namespace::view(&img)) {
                return err(ResultCode::FilteredOut, format!("{f:?} is false (RP-06)"));
            }
        }
        // RP-07
        Namespace::check_stored_key(&img, &checked.user_key)?;
        // RP-08
        let bins = match kind {
            ReadKind::Bins(Bins::All) => img.bins.clone(),
            ReadKind::Bins(Bins::None) => BinList::new(),
            ReadKind::Bins(Bins::Some(names)) => {
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
                out
            }
            ReadKind::Ops(ops, respond_all) => {
                validate_read_op_count(ops.len())?;
                if ops.iter().all(|o| matches!(o, Operation::ReadHeader)) {
                    BinList::new()
                } else {
                    let mut working = img.bins.clone();
                    apply_ops_checked(&mut working, ops, respond_all, validate_read_op)?
                }
            }
        };
        // RP-09
        let result = Record {
            bins,
            ..Namespace::view_meta(&img)
        };
        self.read_touch(policy, &digest, &e, &img, now_ms, now_s);
        Ok(result)
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

    /// RTT-WHEN / RTT-EFFECT / RTT-APPLY: renew the TTL of a record close to expiring. Runs under the
    /// record lock, after the read succeeded; a failed image write is dropped silently.
    ///
    /// The touch is a write of the record image, so it is dropped wherever a write would be refused
    /// for space: storage overload (WP-02) and stop-writes (WP-04, which RC-8 counts as "out of
    /// space"), not only when the append itself fails. Aerospike's read-touch is likewise an
    /// internal write that stop-writes refuses.
    fn read_touch(
        &self,
        policy: &ReadPolicy,
        digest: &crate::record::key::Digest,
        e: &crate::index::IndexEntry,
        img: &Image,
        now_ms: u64,
        now_s: u32,
    ) {
        if e.void_time == 0 {
            return;
        }
        let p = match policy.read_touch_ttl_percent {
            0 => i64::from(self.config.default_read_touch_ttl_pct),
            -1 => 0,
            p => i64::from(p),
        };
        if p <= 0 {
            return;
        }
        let write_ttl = i64::from(e.void_time) - (e.lut() / 1000) as i64;
        if write_ttl <= 0 {
            return;
        }
        let threshold = write_ttl * p / 100;
        if i64::from(now_s) < i64::from(e.void_time) - threshold {
            return;
        }
        let new_void = i64::from(now_s) + write_ttl;
        if new_void <= i64::from(e.void_time) {
            return;
        }
        let space = self.storage.space();
        if space.overloaded || space.stop_writes {
            return;
        }
        let mut meta = img.meta.clone();
        meta.void_time = u32::try_from(new_void).unwrap_or(u32::MAX);
        meta.lut = next_lut(meta.lut, now_ms);
        if let Ok((_, ticket)) = self.commit(&meta, &img.bins, e.set_id, Some(*e)) {
            // RTT-APPLY: durability follows the namespace's mode; a failure here is dropped.
            let _ = self.storage.wait_durable(ticket);
        }
        let _ = digest;
    }
}
