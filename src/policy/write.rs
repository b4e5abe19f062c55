//! Write policy: exists action (§8), generation policy (§9), expiration (§16), commit level and
//! retries (§21).

use crate::expressions::Expression;
use std::time::Duration;

/// How a write treats an existing record (§8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RecordExistsAction {
    /// Create or merge (default).
    #[default]
    Update,
    /// Merge; the record must exist.
    UpdateOnly,
    /// Create or replace all bins.
    Replace,
    /// Replace all bins; the record must exist.
    ReplaceOnly,
    /// Create; a live record → 5.
    CreateOnly,
}

/// Generation check (§9); the expected value is `WritePolicy::generation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GenerationPolicy {
    /// No check.
    #[default]
    None,
    /// Pass when `generation == cmp`.
    ExpectGenEqual,
    /// Pass when `generation > cmp`.
    ExpectGenGt,
}

/// Commit level (§21).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommitLevel {
    /// Wait for the master and every replica (default).
    #[default]
    CommitAll,
    /// Reply once the master applied.
    CommitMaster,
}

/// Record expiration: the request TTL of §16.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Expiration {
    /// TTL 0: the namespace default (TTL-DEFAULT).
    #[default]
    NamespaceDefault,
    /// TTL −1: never expire (TTL-NEVER).
    Never,
    /// TTL −2: keep the current void-time (TTL-KEEP-LIVE, TTL-KEEP-CREATE).
    DontUpdate,
    /// A TTL in seconds (TTL-RANGE; above 315,360,000 → 4).
    Seconds(u32),
    /// The raw signed 32-bit wire value, for callers that carry Aerospike TTLs as numbers;
    /// below −2 → 4 (TTL-INVALID).
    Raw(i32),
}

/// MAX_TTL: 10 years of 365 days, in seconds (§16).
pub const MAX_TTL_S: u32 = 315_360_000;

impl Expiration {
    /// The signed wire value: 0, −1, −2, or seconds (as i64 so no value is lost).
    pub fn ttl_value(self) -> i64 {
        match self {
            Expiration::NamespaceDefault => 0,
            Expiration::Never => -1,
            Expiration::DontUpdate => -2,
            Expiration::Seconds(s) => i64::from(s),
            Expiration::Raw(r) => i64::from(r),
        }
    }
}

/// Policy for writes, touches, deletes and operates.
#[derive(Debug, Clone, Default)]
pub struct WritePolicy {
    /// Exists action (default Update).
    pub record_exists_action: RecordExistsAction,
    /// Generation policy (default None).
    pub generation_policy: GenerationPolicy,
    /// Expected generation `N` for the generation policy.
    pub generation: u32,
    /// TTL (default: namespace default).
    pub expiration: Expiration,
    /// Commit level (default CommitAll; matters only with replicas).
    pub commit_level: CommitLevel,
    /// Durable delete: deletes and writes that empty a record leave a tombstone.
    pub durable_delete: bool,
    /// Store the user key with the record (SK-STORE).
    pub send_key: bool,
    /// One result entry per op (OPR-ALL).
    pub respond_all_ops: bool,
    /// Filter expression (WP-13, DP-08): the request applies only when it is true on the
    /// existing record; never evaluated when the request creates the record.
    pub filter_expression: Option<Expression>,
    /// Deadline of each attempt; `None` = no deadline (CL-TIMEOUT-QUEUED). It bounds the time an
    /// attempt waits for the record; every retry (`max_retries`) gets a fresh deadline, so a call
    /// can take up to `(max_retries + 1) × total_timeout` plus the sleeps, as SB-TRIM-5 assumes.
    /// (Aerospike clients also bound all attempts together by `totalTimeout` and each by
    /// `socketTimeout`; with only one timeout here, per attempt is the reading under which
    /// `max_retries` can matter at all.)
    pub total_timeout: Option<Duration>,
    /// Retries after Timeout or a client-side error (ID-RETRY-POLICY; default 0).
    pub max_retries: u32,
    /// Pause between retries.
    pub sleep_between_retries: Duration,
}

impl WritePolicy {
    /// A policy with the given generation policy and expected generation.
    pub fn with_generation(policy: GenerationPolicy, generation: u32) -> WritePolicy {
        WritePolicy {
            generation_policy: policy,
            generation,
            ..WritePolicy::default()
        }
    }

    /// A policy with the given exists action.
    pub fn with_action(action: RecordExistsAction) -> WritePolicy {
        WritePolicy {
            record_exists_action: action,
            ..WritePolicy::default()
        }
    }
}
