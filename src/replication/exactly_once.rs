//! Exactly-once writes (record-model.md §22.2, SB-01 … SB-07, SB-TRIM-*; seed 003's "general
//! solution"), built in: `operate_once` adds the transaction id to a key-ordered map bin with
//! `CreateOnly` **in the same operate** as the caller's ops, so the whole operate applies at most
//! once; a retry after an in-doubt outcome is safe, and `ElementExists` 24 means "already
//! applied" (SB-03). Old tags are trimmed in the same operate (SB-TRIM-1): keep the newest N
//! (SB-TRIM-2), drop tags older than a cutoff (SB-TRIM-3), or keep the last N in key order for
//! monotonically increasing ids (SB-TRIM-4). `txn_status` resolves an
//! outcome by reading the tag (SB-04).
//!
//! Works against anything that can operate and read: the embedded `Database` and the replicated
//! cluster's `Client` (see [`Target`]).
//!
//! Invariants:
//! - the guard op is first and never carries `NoFail` (SB-05): a second application fails as a
//!   whole (OP-ATOMIC), so nothing is applied twice while the tag is kept;
//! - only an in-doubt or refused (code ≤ 0) outcome is re-submitted, always with the same txn id;
//!   a definitive error after an in-doubt one is resolved by `txn_status` (a generation check
//!   hides the 24, SB-06);
//! - the number of submissions is bounded by `OncePolicy::max_submissions`;
//! - correctness needs every tag to outlive its transaction's retries and resolution (SB-TRIM-5):
//!   `keep_newest` and `max_age_ms` must be chosen for that.

use crate::cdt::policy::{MapPolicy, MapWriteFlags};
use crate::cdt::return_type::MapReturnType;
use crate::database::Database;
use crate::engine::read::Bins;
use crate::error::{Error, Result, ResultCode};
use crate::ops::Operation;
use crate::policy::read::ReadPolicy;
use crate::policy::write::WritePolicy;
use crate::record::key::Key;
use crate::record::record::Record;
use crate::record::value::{MapOrder, Value};
use crate::replication::client::Client;
use crate::replication::cluster::Cluster;
use std::time::Duration;

/// How `operate_once` guards, trims and re-submits.
#[derive(Debug, Clone)]
pub struct OncePolicy {
    /// The write policy of each submission (its own retries count inside one submission).
    pub write: WritePolicy,
    /// The tag map bin (default `"txns"`).
    pub tag_bin: String,
    /// SB-TRIM-2: keep the newest N tags (default 64; `None` = no count trim).
    pub keep_newest: Option<u32>,
    /// SB-TRIM-3: drop tags older than this many ms (default `None`).
    pub max_age_ms: Option<u64>,
    /// SB-TRIM-4: keep the last N tags in key order (only for monotonically increasing txn
    /// ids; with random ids it removes arbitrary tags). Default `None`.
    pub keep_last_by_key: Option<u32>,
    /// Most submissions of one transaction (default 16).
    pub max_submissions: u32,
    /// Pause between submissions (default 50 ms).
    pub sleep_between_submissions: Duration,
}

impl Default for OncePolicy {
    fn default() -> OncePolicy {
        OncePolicy {
            write: WritePolicy::default(),
            tag_bin: "txns".to_string(),
            keep_newest: Some(64),
            max_age_ms: None,
            keep_last_by_key: None,
            max_submissions: 16,
            sleep_between_submissions: Duration::from_millis(50),
        }
    }
}

/// How an exactly-once write ended.
#[derive(Debug, Clone, PartialEq)]
pub enum OnceOutcome {
    /// This call applied it (SB-02, SB-07, or the first attempt).
    Applied(Record),
    /// An earlier submission (or an earlier call with the same txn id) had applied it (SB-03).
    AlreadyApplied,
}

/// Whether a transaction's tag is on the record (SB-04).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxnStatus {
    /// The tag is present: the transaction applied.
    Applied,
    /// No tag (or no record): it did not apply (or its tag was trimmed: SB-TRIM-5).
    NotApplied,
}

/// Counters of one `operate_once` call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnceStats {
    /// Submissions made.
    pub submissions: u32,
    /// In-doubt outcomes met.
    pub in_doubt: u32,
    /// Resolutions by `txn_status`.
    pub status_reads: u32,
}

/// Something exactly-once writes can run against.
pub trait Target {
    /// One operate submission (with the policy's own retries).
    fn operate(&mut self, policy: &WritePolicy, key: &Key, ops: &[Operation]) -> Result<Record>;
    /// Read bins from the authoritative copy, waiting for an in-flight write's outcome.
    fn read(&mut self, key: &Key, bins: Bins, timeout: Option<Duration>) -> Result<Record>;
    /// Current time of `key`'s engine, ms since 2010 (the tag value).
    fn now_ms(&self, key: &Key) -> u64;
    /// Pause between submissions.
    fn sleep(&mut self, d: Duration);
}

impl Target for &Database {
    fn operate(&mut self, policy: &WritePolicy, key: &Key, ops: &[Operation]) -> Result<Record> {
        Database::operate(self, policy, key, ops)
    }
    fn read(&mut self, key: &Key, bins: Bins, timeout: Option<Duration>) -> Result<Record> {
        let rp = ReadPolicy {
            total_timeout: timeout,
            ..ReadPolicy::default()
        };
        self.get(&rp, key, bins)
    }
    fn now_ms(&self, key: &Key) -> u64 {
        self.namespace(&key.namespace)
            .map_or(0, |ns| ns.clock.now_ms())
    }
    fn sleep(&mut self, d: Duration) {
        std::thread::sleep(d);
    }
}

/// A cluster client bound to its cluster.
pub struct OnCluster<'a> {
    /// The client.
    pub client: &'a mut Client,
    /// The cluster.
    pub cluster: &'a mut Cluster,
}

impl Target for OnCluster<'_> {
    fn operate(&mut self, policy: &WritePolicy, key: &Key, ops: &[Operation]) -> Result<Record> {
        self.client.operate(self.cluster, policy, key, ops)
    }
    fn read(&mut self, key: &Key, bins: Bins, timeout: Option<Duration>) -> Result<Record> {
        let rp = ReadPolicy {
            total_timeout: timeout,
            ..ReadPolicy::default()
        };
        self.client.get_linearized(self.cluster, &rp, key, bins)
    }
    fn now_ms(&self, _key: &Key) -> u64 {
        self.cluster.now_ms()
    }
    fn sleep(&mut self, d: Duration) {
        self.cluster
            .run_for(u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    }
}

/// The guarded op list: tag put (CreateOnly, key-ordered, no NoFail), the caller's ops, trims.
pub fn guarded_ops(
    policy: &OncePolicy,
    txn_id: &str,
    now_ms: u64,
    ops: &[Operation],
) -> Vec<Operation> {
    let bin = policy.tag_bin.as_str();
    let guard = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CreateOnly);
    // SB-05: a second application of the guard fails, and fails the whole operate.
    assert!(
        guard.flags.contains(MapWriteFlags::CreateOnly)
            && !guard.flags.contains(MapWriteFlags::NoFail),
        "the guard is CreateOnly without NoFail"
    );
    let now = i64::try_from(now_ms).unwrap_or(i64::MAX);
    let mut all = Vec::with_capacity(ops.len() + 3);
    all.push(crate::operations::maps::put(&guard, bin, txn_id, now));
    all.extend_from_slice(ops);
    if let Some(n) = policy.keep_newest {
        let n = i64::from(n.max(1));
        all.push(crate::operations::maps::remove_by_rank_range(
            bin,
            -n,
            n,
            MapReturnType::None | MapReturnType::Inverted,
        ));
    }
    if let Some(n) = policy.keep_last_by_key {
        all.push(crate::operations::maps::remove_by_index_range_from(
            bin,
            -i64::from(n.max(1)),
            MapReturnType::None | MapReturnType::Inverted,
        ));
    }
    if let Some(age) = policy.max_age_ms {
        let cutoff = now.saturating_sub(i64::try_from(age).unwrap_or(i64::MAX));
        all.push(crate::operations::maps::remove_by_value_range(
            bin,
            Value::Nil,
            Value::Int(cutoff),
            MapReturnType::None,
        ));
    }
    all
}

/// SB-04: read the tag (a linearized read: it waits for an in-flight write of the record).
///
/// On the replicated cluster the answer `NotApplied` is final only while no node that left the
/// cluster can return with a copy that wins AP resolution (`failover`): a write applied only on a
/// crashed master can reappear. `operate_once` therefore resolves by re-submitting.
pub fn txn_status(
    target: &mut impl Target,
    policy: &OncePolicy,
    key: &Key,
    txn_id: &str,
) -> Result<TxnStatus> {
    let bins = Bins::Some(vec![policy.tag_bin.clone()]);
    let rec = match target.read(key, bins, policy.write.total_timeout) {
        Ok(r) => r,
        Err(e) if e.code() == ResultCode::KeyNotFoundError => return Ok(TxnStatus::NotApplied),
        Err(e) => return Err(e),
    };
    let present = match rec.bin(&policy.tag_bin) {
        Some(Value::Map(m)) => m
            .entries
            .iter()
            .any(|(k, _)| *k == Value::String(txn_id.to_string())),
        _ => false,
    };
    Ok(if present {
        TxnStatus::Applied
    } else {
        TxnStatus::NotApplied
    })
}

/// Apply `ops` to `key` exactly once under transaction id `txn_id`.
pub fn operate_once(
    target: &mut impl Target,
    policy: &OncePolicy,
    key: &Key,
    txn_id: &str,
    ops: &[Operation],
) -> Result<OnceOutcome> {
    operate_once_with_stats(target, policy, key, txn_id, ops).0
}

/// `operate_once`, also returning its counters.
pub fn operate_once_with_stats(
    target: &mut impl Target,
    policy: &OncePolicy,
    key: &Key,
    txn_id: &str,
    ops: &[Operation],
) -> (Result<OnceOutcome>, OnceStats) {
    let mut st = OnceStats::default();
    let mut last: Option<Error> = None;
    while st.submissions < policy.max_submissions.max(1) {
        st.submissions += 1;
        let all = guarded_ops(policy, txn_id, target.now_ms(key), ops);
        match target.operate(&policy.write, key, &all) {
            Ok(r) => return (Ok(OnceOutcome::Applied(r)), st),
            Err(e) if e.code() == ResultCode::ElementExists => {
                if st.in_doubt > 0 {
                    return (Ok(OnceOutcome::AlreadyApplied), st);
                }
                // First submission: the 24 is the guard's only if the tag is there (the caller's
                // own ops could raise 24 too).
                st.status_reads += 1;
                return match txn_status(target, policy, key, txn_id) {
                    Ok(TxnStatus::Applied) => (Ok(OnceOutcome::AlreadyApplied), st),
                    Ok(TxnStatus::NotApplied) => (Err(e), st),
                    Err(r) => (Err(r), st),
                };
            }
            Err(e) if e.in_doubt() || e.code().code() <= 0 => {
                // In doubt, or refused before submission: re-submitting the same txn is safe.
                st.in_doubt += u32::from(e.in_doubt());
                debug_assert!(
                    st.in_doubt <= st.submissions,
                    "in doubt only about a submission"
                );
                last = Some(e);
                target.sleep(policy.sleep_between_submissions);
            }
            Err(e) if st.in_doubt > 0 => {
                // Definitive now, but an earlier submission may have applied (SB-06).
                st.status_reads += 1;
                return match txn_status(target, policy, key, txn_id) {
                    Ok(TxnStatus::Applied) => (Ok(OnceOutcome::AlreadyApplied), st),
                    Ok(TxnStatus::NotApplied) => (Err(e.with_in_doubt(false)), st),
                    Err(_) => (Err(e.with_in_doubt(true)), st),
                };
            }
            Err(e) => return (Err(e), st),
        }
    }
    st.status_reads += 1;
    let e = last.unwrap_or_else(|| Error::new(ResultCode::Timeout, "no submission made"));
    match txn_status(target, policy, key, txn_id) {
        Ok(TxnStatus::Applied) => (Ok(OnceOutcome::AlreadyApplied), st),
        Ok(TxnStatus::NotApplied) => (Err(e.with_in_doubt(false)), st),
        Err(_) => (Err(e.with_in_doubt(true)), st),
    }
}
