//! The delete path (record-model.md §7.3, DP-01 … DP-11; §12).

use crate::engine::namespace::Namespace;
use crate::engine::state::{inc, next_lut, State};
use crate::engine::write::generation_passes;
use crate::error::{err, Result, ResultCode};
use crate::format::record_image::ImageMeta;
use crate::index::IndexEntry;
use crate::policy::write::WritePolicy;
use crate::record::bin::BinList;
use crate::record::key::Key;

impl Namespace {
    /// Run a delete. Returns Ok(()) on success (DP-11); KeyNotFoundError 2 when there is nothing to
    /// delete (D-MISSING, D-TOMB).
    pub fn delete(&self, policy: &WritePolicy, key: &Key) -> Result<()> {
        let digest = key.digest;
        // DP-01
        let checked = self.check_request(key)?;
        // DP-02
        if policy.durable_delete && self.storage.space().overloaded {
            return err(
                ResultCode::DeviceOverload,
                "storage write queue over max_write_cache (DP-02)",
            );
        }
        // DP-03
        let deadline = policy.total_timeout.map(|t| self.clock.deadline_us(t));
        let guard = self
            .locks
            .acquire(digest, self.config.transaction_pending_limit, deadline)?;
        let now_ms = self.clock.now_ms();
        let now_s = u32::try_from(now_ms / 1000).unwrap_or(u32::MAX);
        // DP-04 … DP-07
        let e = self.check_deletable(policy, key, now_s)?;
        assert!(!e.is_tombstone(), "DP-06 never passes a tombstone on");
        // Only a filter needs the old bins; otherwise a damaged image does not stop the delete.
        let img = match &policy.filter_expression {
            Some(_) => Some(self.load(&digest, &e)?),
            None => None,
        };
        // DP-08
        if let Some(img) = &img {
            self.check_filter(policy.filter_expression.as_ref(), img, "DP-08")?;
        }
        // DP-09
        let stored_key = self.stored_key_for_overwrite(
            &digest,
            &e,
            img.as_ref(),
            &checked.user_key,
            policy.durable_delete,
        )?;
        // DP-10
        if !policy.durable_delete {
            self.remove(&digest, &e);
            debug_assert!(
                self.index.get(&digest).is_none(),
                "DP-10: the entry is gone"
            );
            return Ok(());
        }
        let meta = ImageMeta {
            digest,
            generation: inc(e.generation),
            lut: next_lut(e.lut(), now_ms),
            void_time: 0,
            tombstone: true,
            set_name: self.sets.name(e.set_id),
            key: stored_key,
            block_seq: 0,
        };
        let (entry, ticket) = self.commit(&meta, &BinList::new(), e.set_id, Some(e))?;
        assert!(
            entry.is_tombstone() && self.index.get(&digest) == Some(entry),
            "a durable delete leaves a tombstone in the index"
        );
        drop(guard);
        self.storage.wait_durable(ticket)
    }

    /// DP-04 … DP-07: the entry to delete, unless the record is missing, in another set, a
    /// tombstone, or fails the generation policy (against G, or G_old when expired).
    fn check_deletable(&self, policy: &WritePolicy, key: &Key, now_s: u32) -> Result<IndexEntry> {
        let state = self.classify_locked(&key.digest, now_s);
        // DP-04
        let Some(e) = state.entry() else {
            return err(ResultCode::KeyNotFoundError, "record missing (DP-04)");
        };
        // DP-05
        if !key.set_name.is_empty() && !self.same_set(&key.set_name, &e) {
            return err(
                ResultCode::ParameterError,
                "request set differs from the record's set (DP-05)",
            );
        }
        // DP-06
        if let State::Tomb(_) = state {
            return err(
                ResultCode::KeyNotFoundError,
                "record is a tombstone (DP-06)",
            );
        }
        // DP-07: against G (live) or G_old (expired).
        if !generation_passes(
            policy.generation_policy,
            policy.generation,
            u32::from(e.generation),
        ) {
            return err(
                ResultCode::GenerationError,
                format!(
                    "{:?}({}) against generation {} (DP-07)",
                    policy.generation_policy, policy.generation, e.generation
                ),
            );
        }
        Ok(e)
    }
}
