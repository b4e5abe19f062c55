//! The in-doubt experiment (seed 003): the same seeded stream of logical `add(n, 1)` writes runs
//! through a replicated cluster under a random fault mix, once per strategy:
//!
//! - `no-retry`: one submission; an in-doubt outcome is taken as "failed";
//! - `naive-retry`: re-submit the identical write after every in-doubt (or refused) outcome, the
//!   seed's "potential solution 2";
//! - `exactly-once`: `operate_once` with a txn tag (SB-01 … SB-07).
//!
//! After the load, every node is restarted and reconnected and the cluster settles; the master's
//! final copies are compared with the ground truth: which logical writes they contain, how often.
//!
//! Invariant: deterministic — a run is a pure function of its `Options`.

use crate::error::Result;
use crate::ops::Operation;
use crate::policy::write::{CommitLevel, WritePolicy};
use crate::record::bin::Bin;
use crate::record::key::Key;
use crate::record::value::Value;
use crate::replication::client::Client;
use crate::replication::cluster::{Cluster, ClusterConfig};
use crate::replication::exactly_once::{self, OnCluster, OnceOutcome, OncePolicy};
use crate::replication::faults::FaultMix;
use crate::replication::message::RecKey;
use crate::rng::Rng;
use std::collections::HashMap;
use std::time::Duration;

/// Experiment settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Seed of the cluster, its faults and the key choice.
    pub seed: u64,
    /// Logical writes.
    pub writes: u64,
    /// Distinct records.
    pub keys: u64,
    /// Replicas besides the master.
    pub replicas: usize,
    /// Client total timeout per attempt, simulated ms.
    pub timeout_ms: u64,
    /// Message drop chance, per mille, every step.
    pub drop_per_mille: u32,
    /// Message delay chance, per mille.
    pub delay_per_mille: u32,
    /// Longest delay, ms.
    pub delay_ms_max: u64,
    /// Message duplication chance, per mille.
    pub duplicate_per_mille: u32,
    /// Chance per applied write that the master crashes after step 2, 3, 4 or 5, per mille.
    pub crash_per_mille: u32,
    /// A crashed node restarts after this many ms.
    pub restart_after_ms: u64,
    /// Most submissions per logical write (retrying strategies).
    pub max_submissions: u32,
    /// Simulated ms between logical writes (the load's pacing).
    pub gap_ms: u64,
    /// Write with CommitMaster instead of CommitAll (acknowledged writes can then be lost in a
    /// failover, whatever the strategy).
    pub commit_master: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            seed: 1,
            writes: 2000,
            keys: 16,
            replicas: 1,
            timeout_ms: 100,
            drop_per_mille: 20,
            delay_per_mille: 20,
            delay_ms_max: 150,
            duplicate_per_mille: 10,
            crash_per_mille: 3,
            restart_after_ms: 400,
            max_submissions: 30,
            gap_ms: 5,
            commit_master: false,
        }
    }
}

/// A strategy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strategy {
    /// One submission.
    NoRetry,
    /// Blind re-submission.
    NaiveRetry,
    /// `operate_once`.
    ExactlyOnce,
}

impl Strategy {
    /// Every strategy, in report order.
    pub const ALL: [Strategy; 3] = [
        Strategy::NoRetry,
        Strategy::NaiveRetry,
        Strategy::ExactlyOnce,
    ];

    /// Report name.
    pub fn name(self) -> &'static str {
        match self {
            Strategy::NoRetry => "no-retry",
            Strategy::NaiveRetry => "naive-retry",
            Strategy::ExactlyOnce => "exactly-once",
        }
    }
}

/// Counts for one strategy.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Logical writes.
    pub writes: u64,
    /// Attempts submitted (ID-SENT, summed).
    pub attempts: u64,
    /// In-doubt outcomes the application met.
    pub in_doubt: u64,
    /// Logical writes that met at least one in-doubt outcome.
    pub in_doubt_writes: u64,
    /// Of those, the ones that ended with a definitive answer (applied once / not applied).
    pub in_doubt_resolved: u64,
    /// Logical writes whose effect is in the final state at least once.
    pub applied: u64,
    /// Extra applications in the final state (a write counted twice adds 1).
    pub duplicates: u64,
    /// Logical writes the application believes applied whose effect is absent at the end.
    pub lost: u64,
    /// Logical writes the application gave up on (error) whose effect is present at the end.
    pub applied_unknowingly: u64,
    /// Sum of the counters at the end (equals `writes` exactly when every write applied once).
    pub counter_sum: i64,
    /// Failovers (regime changes).
    pub failovers: u64,
    /// Writes the AP rule discarded when a node rejoined (`Cluster::lost_writes`, all attempts).
    pub rejoin_lost: u64,
    /// (record, node) pairs whose copy differs from the master's after healing (0 = converged).
    pub diverged: u64,
}

/// Run one strategy: `opts.writes` logical increments on random keys under the fault mix, then
/// heal the cluster and count what each write did.
pub fn run_one(opts: &Options, strategy: Strategy) -> Result<Outcome> {
    let mut cluster = faulty_cluster(opts)?;
    let mut client = cluster.new_client();
    let mut pick = Rng::new(opts.seed ^ 0x5eed_0003);
    let keys: Vec<Key> = (0..opts.keys.max(1))
        .map(|i| Key::new("test", "counters", i as i64))
        .collect::<Result<_>>()?;
    let run = Submitter::new(opts);
    let mut out = Outcome {
        writes: opts.writes,
        ..Outcome::default()
    };
    let mut believed: HashMap<u64, bool> = HashMap::new();
    for w in 0..opts.writes {
        let key = &keys[pick.below(keys.len() as u64) as usize];
        cluster.run_for(opts.gap_ms);
        client.label_calls(Some(w));
        let (ok, doubt, resolved, attempts) =
            run.submit(strategy, &mut client, &mut cluster, key, w);
        out.attempts += attempts;
        out.in_doubt += doubt;
        // Blind retry never resolves a doubt: a later success says nothing about the earlier
        // attempts. Exactly-once ends every doubt with "applied once" or "not applied".
        out.in_doubt_writes += u64::from(doubt > 0);
        if doubt > 0 && resolved {
            out.in_doubt_resolved += 1;
        }
        believed.insert(w, ok);
    }
    client.label_calls(None);
    heal_everything(&mut cluster);
    tally(&cluster, &keys, &believed, &mut out)?;
    Ok(out)
}

/// A cluster of `opts.replicas` seeded with `opts.seed`, under the options' fault mix.
fn faulty_cluster(opts: &Options) -> Result<Cluster> {
    let mut cluster = Cluster::new(ClusterConfig::new(opts.replicas).seed(opts.seed))?;
    cluster.faults().mix = FaultMix {
        drop_per_mille: opts.drop_per_mille,
        delay_per_mille: opts.delay_per_mille,
        delay_ms_max: opts.delay_ms_max,
        duplicate_per_mille: opts.duplicate_per_mille,
        crash_master_per_mille: opts.crash_per_mille,
        restart_after_ms: opts.restart_after_ms,
    };
    Ok(cluster)
}

/// How one logical write went: succeeded, in-doubt answers seen, doubt resolved, messages sent.
type Submitted = (bool, u64, bool, u64);

/// One logical write (an increment of bin `n`) as each strategy submits it.
struct Submitter<'a> {
    opts: &'a Options,
    policy: WritePolicy,
    once: OncePolicy,
    ops: Vec<Operation>,
}

impl<'a> Submitter<'a> {
    fn new(opts: &'a Options) -> Submitter<'a> {
        let policy = WritePolicy {
            total_timeout: Some(Duration::from_millis(opts.timeout_ms.max(1))),
            commit_level: if opts.commit_master {
                CommitLevel::CommitMaster
            } else {
                CommitLevel::CommitAll
            },
            ..WritePolicy::default()
        };
        let once = OncePolicy {
            write: policy.clone(),
            max_submissions: opts.max_submissions,
            ..OncePolicy::default()
        };
        Submitter {
            opts,
            policy,
            once,
            ops: vec![crate::operations::add(&Bin::new("n", 1))],
        }
    }

    /// Submit logical write `w` on `key` with `strategy`.
    fn submit(
        &self,
        strategy: Strategy,
        client: &mut Client,
        cluster: &mut Cluster,
        key: &Key,
        w: u64,
    ) -> Submitted {
        let (policy, ops) = (&self.policy, &self.ops);
        match strategy {
            Strategy::NoRetry => {
                let r = client.operate(cluster, policy, key, ops);
                let sent = u64::from(client.last_call().sent);
                let doubt = r.as_ref().err().is_some_and(|e| e.in_doubt());
                (r.is_ok(), u64::from(doubt), false, sent)
            }
            Strategy::NaiveRetry => self.naive_retry(client, cluster, key),
            Strategy::ExactlyOnce => {
                let txn = format!("w{w:08}");
                let sent_before = client.sent_total();
                let mut target = OnCluster {
                    client: &mut *client,
                    cluster,
                };
                let (r, st) =
                    exactly_once::operate_once_with_stats(&mut target, &self.once, key, &txn, ops);
                let sent = client.sent_total() - sent_before;
                let resolved = match &r {
                    Ok(OnceOutcome::Applied(_) | OnceOutcome::AlreadyApplied) => true,
                    Err(e) => !e.in_doubt(),
                };
                (r.is_ok(), u64::from(st.in_doubt), resolved, sent)
            }
        }
    }

    /// Resubmit the same operate until it succeeds, fails for sure, or the submissions run out.
    fn naive_retry(&self, client: &mut Client, cluster: &mut Cluster, key: &Key) -> Submitted {
        let (mut ok, mut doubt, mut sent) = (false, 0u64, 0u64);
        for _ in 0..self.opts.max_submissions.max(1) {
            let r = client.operate(cluster, &self.policy, key, &self.ops);
            sent += u64::from(client.last_call().sent);
            match r {
                Ok(_) => {
                    ok = true;
                    break;
                }
                Err(e) if e.in_doubt() || e.code().code() <= 0 => {
                    doubt += u64::from(e.in_doubt());
                    cluster.run_for(50);
                }
                Err(_) => break,
            }
        }
        (ok, doubt, false, sent)
    }
}

/// Count, after healing, how often each write applied against what the application believed,
/// the counters' sum, divergence from the master, failovers and writes lost at rejoin.
fn tally(
    cluster: &Cluster,
    keys: &[Key],
    believed: &HashMap<u64, bool>,
    out: &mut Outcome,
) -> Result<()> {
    let counts = final_counts(cluster, keys);
    for w in 0..out.writes {
        let n = counts.get(&w).copied().unwrap_or(0);
        let b = believed.get(&w).copied().unwrap_or(false);
        out.applied += u64::from(n > 0);
        out.duplicates += n.saturating_sub(1);
        out.lost += u64::from(b && n == 0);
        out.applied_unknowingly += u64::from(!b && n > 0);
    }
    let m = cluster.route();
    for k in keys {
        let v = cluster.version_on(m, k)?;
        if let Some(Value::Int(n)) = v.as_ref().and_then(|v| v.bins.get("n")) {
            out.counter_sum += n;
        }
        for n in 0..cluster.node_count() {
            out.diverged += u64::from(cluster.version_on(n, k)? != v);
        }
    }
    out.failovers = u64::from(cluster.regime() - 1);
    out.rejoin_lost = cluster.lost_writes().len() as u64;
    Ok(())
}

/// Restart every node, reconnect it, and let the cluster settle.
pub fn heal_everything(cluster: &mut Cluster) {
    cluster.faults().mix = FaultMix::none();
    for n in 0..cluster.node_count() {
        cluster.restart(n);
        cluster.heal(n);
    }
    cluster.settle(60_000);
    for n in 0..cluster.node_count() {
        cluster.restart(n);
        cluster.heal(n);
    }
    cluster.settle(60_000);
}

/// Logical label → applications contained in the master's final copies (ground truth).
pub fn final_counts(cluster: &Cluster, keys: &[Key]) -> HashMap<u64, u64> {
    let m = cluster.route();
    let mut counts = HashMap::new();
    for k in keys {
        let tag = cluster
            .node(m)
            .and_then(|n| n.held.get(&RecKey::of(k)).copied());
        for a in cluster.ground_truth().chain(tag) {
            if let Some(l) = cluster.ground_truth().label_of(a.call) {
                *counts.entry(l).or_default() += 1;
            }
        }
    }
    counts
}

/// Run every strategy.
pub fn run_all(opts: &Options) -> Result<Vec<(Strategy, Outcome)>> {
    Strategy::ALL
        .iter()
        .map(|&s| run_one(opts, s).map(|o| (s, o)))
        .collect()
}
