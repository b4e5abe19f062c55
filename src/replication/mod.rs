//! Replication stub: one master and N replicas in one process, each a full aerolite `Database`
//! with its own storage, joined by a simulated message fabric (crossbeam channels driven by a
//! seeded, step-driven scheduler). A write follows the seed's six steps (record-model.md §21,
//! seed 003): client → master; master applies; master → replicas; replicas install and ack;
//! master replies; master advises "replicated".
//!
//! What it lets you do: reproduce every in-doubt outcome deterministically (`faults`), fail over
//! to a replica in a new regime and see which writes a returning master loses (`failover`), and
//! write exactly once (`exactly_once`).
//!
//! Invariants kept across the module:
//! - replicas install the master's resulting version (bins, generation, void-time, LUT, set,
//!   stored key) exactly; they never re-execute ops;
//! - the client's `in_doubt` is ID-FORMULA of what it saw (ID-NO-ORACLE); the ground truth exists
//!   only for tests and tooling;
//! - everything random comes from the cluster's seed; simulated time is the only time.

mod client;
mod cluster;
mod exactly_once;
mod fabric;
mod failover;
mod faults;
mod ground_truth;
mod master;
mod membership;
mod message;
mod node;
mod replica;
#[doc(hidden)] // the `aerolite scenario in-doubt` harness and its tests
pub mod scenario;

pub use client::{CallReport, Client};
pub use cluster::{Cluster, ClusterConfig, NodeNamespaces};
pub use exactly_once::{
    guarded_ops, operate_once, operate_once_with_stats, txn_status, OnCluster, OnceOutcome,
    OncePolicy, OnceStats, TxnStatus,
};
pub use fabric::FabricStats;
pub use failover::ConflictReport;
pub use faults::{FaultMix, Faults, MessageFault, MessageRule};
pub use ground_truth::{Application, GroundTruth};
pub use message::{AttemptId, CallId, ClientId, NodeId, RecKey, Step, VersionTag};
pub use node::Role;
