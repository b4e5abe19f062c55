//! Batch policies: the batch as a whole and each entry's own read, write or delete policy
//! (the official client's `BatchPolicy`, `BatchReadPolicy`, `BatchWritePolicy`,
//! `BatchDeletePolicy`).

use crate::expressions::Expression;
use crate::policy::read::ReadPolicy;
use crate::policy::write::{
    CommitLevel, Expiration, GenerationPolicy, RecordExistsAction, WritePolicy,
};
use std::time::Duration;

/// The batch as a whole.
#[derive(Debug, Clone, Default)]
pub struct BatchPolicy {
    /// Filter for entries whose own policy has none (BATCH-FILTER-1).
    pub filter_expression: Option<Expression>,
    /// Deadline of each record lock wait; `None` = none.
    pub total_timeout: Option<Duration>,
}

/// A batch read's policy.
#[derive(Debug, Clone, Default)]
pub struct BatchReadPolicy {
    /// RTT-SETTING: 0 = namespace default, −1 = never, 1 … 100 = percent.
    pub read_touch_ttl_percent: i32,
    /// Filter (else the batch's).
    pub filter_expression: Option<Expression>,
}

/// A batch write's policy.
#[derive(Debug, Clone, Default)]
pub struct BatchWritePolicy {
    /// Exists action.
    pub record_exists_action: RecordExistsAction,
    /// Generation check.
    pub generation_policy: GenerationPolicy,
    /// Expected generation.
    pub generation: u32,
    /// TTL.
    pub expiration: Expiration,
    /// Durable delete (a write that empties the record leaves a tombstone).
    pub durable_delete: bool,
    /// Store the user key.
    pub send_key: bool,
    /// Commit level.
    pub commit_level: CommitLevel,
    /// Answer every op of the entry in op order (`WritePolicy::respond_all_ops`; the official
    /// clients set it on every batch write row).
    pub respond_all_ops: bool,
    /// Filter (else the batch's).
    pub filter_expression: Option<Expression>,
}

/// A batch delete's policy.
#[derive(Debug, Clone, Default)]
pub struct BatchDeletePolicy {
    /// Generation check.
    pub generation_policy: GenerationPolicy,
    /// Expected generation.
    pub generation: u32,
    /// Durable delete.
    pub durable_delete: bool,
    /// Store the user key (tombstone).
    pub send_key: bool,
    /// Commit level.
    pub commit_level: CommitLevel,
    /// Filter (else the batch's).
    pub filter_expression: Option<Expression>,
}

impl BatchReadPolicy {
    /// The single-record read policy this entry runs with.
    pub(crate) fn to_read(&self, batch: &BatchPolicy) -> ReadPolicy {
        ReadPolicy {
            read_touch_ttl_percent: self.read_touch_ttl_percent,
            filter_expression: self
                .filter_expression
                .clone()
                .or_else(|| batch.filter_expression.clone()),
            total_timeout: batch.total_timeout,
        }
    }
}

impl BatchWritePolicy {
    /// The single-record write policy this entry runs with (no retries: a batch entry is sent
    /// once).
    pub(crate) fn to_write(&self, batch: &BatchPolicy) -> WritePolicy {
        WritePolicy {
            record_exists_action: self.record_exists_action,
            generation_policy: self.generation_policy,
            generation: self.generation,
            expiration: self.expiration,
            commit_level: self.commit_level,
            durable_delete: self.durable_delete,
            send_key: self.send_key,
            respond_all_ops: self.respond_all_ops,
            filter_expression: self
                .filter_expression
                .clone()
                .or_else(|| batch.filter_expression.clone()),
            total_timeout: batch.total_timeout,
            max_retries: 0,
            ..WritePolicy::default()
        }
    }
}

impl BatchDeletePolicy {
    /// The single-record delete policy this entry runs with.
    pub(crate) fn to_write(&self, batch: &BatchPolicy) -> WritePolicy {
        BatchWritePolicy {
            generation_policy: self.generation_policy,
            generation: self.generation,
            durable_delete: self.durable_delete,
            send_key: self.send_key,
            commit_level: self.commit_level,
            filter_expression: self.filter_expression.clone(),
            ..BatchWritePolicy::default()
        }
        .to_write(batch)
    }
}
