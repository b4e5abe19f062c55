//! `Cluster`: one master and N replicas in one process, the fabric between them, the fault plan,
//! the simulated clock and the event loop. Everything is driven from one thread and one seed:
//! `run_for`, `settle` and the client's calls advance simulated time event by event, so a test is
//! replayable from its seed.
//!
//! Invariants:
//! - simulated time never goes backwards, and the engine clock of every node is that time;
//! - `members[0]` is the node clients route writes to (the partition map's master); every member
//!   has the cluster's regime; a node outside `members` rejoins only through
//!   `failover::rejoin`, which resolves its records against the master first;
//! - a message is delivered only if, at delivery time, its receiver is up and neither end is
//!   partitioned away (a client is never partitioned); a crashed sender's messages already on the
//!   wire still arrive.

use crate::clock::ManualClock;
use crate::config::{DatabaseConfig, NamespaceConfig};
use crate::engine::replica_apply::RecordVersion;
use crate::error::{err, Result, ResultCode};
use crate::record::key::Key;
use crate::replication::fabric::{Event, Fabric, Timer};
use crate::replication::failover::ConflictReport;
use crate::replication::faults::Faults;
use crate::replication::ground_truth::GroundTruth;
use crate::replication::message::{
    AttemptId, ClientId, Endpoint, Message, NodeId, Payload, RecKey, Request,
};
use crate::replication::node::{Node, Role};
use crate::rng::Rng;
use std::collections::BTreeSet;
use std::sync::Arc;

/// Builds the namespaces of node `n` (so each node can get its own storage, e.g. a device path).
pub type NodeNamespaces = Arc<dyn Fn(NodeId) -> Vec<NamespaceConfig> + Send + Sync>;

/// Cluster settings. Defaults: 1 replica (replication factor 2), namespace `test` in memory,
/// link latency 1 ms, retransmit every 20 ms, heartbeat timeout 200 ms, automatic failover on,
/// client default total timeout 1000 ms (Aerospike's default for writes), seed 1.
#[derive(Clone)]
pub struct ClusterConfig {
    /// Replicas besides the master.
    pub replicas: usize,
    /// Namespaces per node.
    pub namespaces: NodeNamespaces,
    /// Seed of every random decision.
    pub seed: u64,
    /// One-way message latency, simulated ms.
    pub latency_ms: u64,
    /// Master re-sends unacknowledged updates this often.
    pub retransmit_ms: u64,
    /// A node unreachable this long leaves the cluster (a master: failover).
    pub heartbeat_timeout_ms: u64,
    /// Promote a replica when the master leaves.
    pub auto_failover: bool,
    /// Client total timeout when the policy has none.
    pub default_timeout_ms: u64,
}

impl ClusterConfig {
    /// Defaults with `replicas` replicas.
    pub fn new(replicas: usize) -> ClusterConfig {
        ClusterConfig {
            replicas,
            namespaces: Arc::new(|_| vec![NamespaceConfig::new("test")]),
            seed: 1,
            latency_ms: 1,
            retransmit_ms: 20,
            heartbeat_timeout_ms: 200,
            auto_failover: true,
            default_timeout_ms: 1000,
        }
    }

    /// Set the seed.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Set the per-node namespaces.
    pub fn namespaces(mut self, f: NodeNamespaces) -> Self {
        self.namespaces = f;
        self
    }
}

/// The replica set.
pub struct Cluster {
    pub(crate) cfg: ClusterConfig,
    pub(crate) nodes: Vec<Node>,
    pub(crate) fabric: Fabric,
    pub(crate) faults: Faults,
    pub(crate) rng: Rng,
    pub(crate) clock: ManualClock,
    pub(crate) regime: u32,
    pub(crate) members: Vec<NodeId>,
    pub(crate) isolated: BTreeSet<NodeId>,
    pub(crate) truth: GroundTruth,
    pub(crate) conflicts: Vec<ConflictReport>,
    pub(crate) namespace_names: Vec<String>,
    next_client: ClientId,
}

impl Cluster {
    /// Open `1 + replicas` nodes; node 0 is the master, regime 1.
    pub fn new(cfg: ClusterConfig) -> Result<Cluster> {
        let clock = ManualClock::at_2026();
        let n = cfg.replicas + 1;
        let mut nodes = Vec::with_capacity(n);
        let mut namespace_names = Vec::new();
        for id in 0..n {
            let namespaces = (cfg.namespaces)(id);
            if id == 0 {
                namespace_names = namespaces.iter().map(|c| c.name.clone()).collect();
            }
            let dc = DatabaseConfig::with_namespaces(namespaces).clock(Arc::new(clock.clone()));
            let role = if id == 0 { Role::Master } else { Role::Replica };
            nodes.push(Node::open(id, dc, role)?);
        }
        Ok(Cluster {
            rng: Rng::new(cfg.seed),
            fabric: Fabric::new(n),
            faults: Faults::new(n),
            members: (0..n).collect(),
            cfg,
            nodes,
            clock,
            regime: 1,
            isolated: BTreeSet::new(),
            truth: GroundTruth::default(),
            conflicts: Vec::new(),
            namespace_names,
            next_client: 0,
        })
    }

    /// Settings.
    pub fn config(&self) -> &ClusterConfig {
        &self.cfg
    }

    /// Simulated time, ms since 2010 (the nodes' engine clock).
    pub fn now_ms(&self) -> u64 {
        use crate::clock::Clock;
        self.clock.now_ms()
    }

    /// The fault plan.
    pub fn faults(&mut self) -> &mut Faults {
        &mut self.faults
    }

    /// Message counters.
    pub fn fabric_stats(&self) -> crate::replication::fabric::FabricStats {
        self.fabric.stats
    }

    /// Number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A node (read-only: its database, role, regime); `None` for an unknown id.
    pub fn node(&self, id: NodeId) -> Option<&Node> {
        self.nodes.get(id)
    }

    /// Current regime.
    pub fn regime(&self) -> u32 {
        self.regime
    }

    /// Cluster members, master first.
    pub fn members(&self) -> &[NodeId] {
        &self.members
    }

    /// Where clients send writes (the partition map's master).
    pub fn route(&self) -> NodeId {
        self.members.first().copied().unwrap_or(0)
    }

    /// Whether a node is running.
    pub fn node_up(&self, n: NodeId) -> bool {
        self.nodes.get(n).is_some_and(|x| x.up)
    }

    /// The full stored version of `key` on node `n` (what that node holds).
    pub fn version_on(&self, n: NodeId, key: &Key) -> Result<Option<RecordVersion>> {
        match self.nodes.get(n) {
            Some(node) => node.version(&RecKey::of(key)),
            None => err(ResultCode::ParameterError, format!("no node {n}")),
        }
    }

    /// Ground truth (tests and tooling only; never consulted by clients).
    pub fn ground_truth(&self) -> &GroundTruth {
        &self.truth
    }

    /// Conflicts resolved when nodes rejoined, with the writes each one lost.
    pub fn conflicts(&self) -> &[ConflictReport] {
        &self.conflicts
    }

    /// Whether the version of `key` on node `n` contains a write of `call` (ground truth).
    pub fn holds_call(&self, n: NodeId, key: &Key, call: crate::replication::CallId) -> bool {
        let tag = self.held_tag(n, key);
        self.truth.chain(tag).iter().any(|a| a.call == call)
    }

    /// How many writes of `call` the version of `key` on node `n` contains (ground truth).
    pub fn count_call(&self, n: NodeId, key: &Key, call: crate::replication::CallId) -> usize {
        let tag = self.held_tag(n, key);
        self.truth
            .chain(tag)
            .iter()
            .filter(|a| a.call == call)
            .count()
    }

    fn held_tag(&self, n: NodeId, key: &Key) -> Option<crate::replication::VersionTag> {
        self.nodes.get(n)?.held.get(&RecKey::of(key)).copied()
    }

    /// A new client.
    pub fn new_client(&mut self) -> crate::replication::client::Client {
        self.next_client += 1;
        crate::replication::client::Client::new(self.next_client)
    }

    /// Slow storage: node `n` takes `ms` extra per write it applies (unknown ids: no-op).
    pub fn set_storage_delay(&mut self, n: NodeId, ms: u64) {
        if let Some(d) = self.faults.storage_delay_ms.get_mut(n) {
            *d = ms;
        }
    }

    fn link_ok(&self, a: Endpoint, b: Endpoint) -> bool {
        let ok = |e: Endpoint| match e {
            Endpoint::Node(n) => self.node_up(n) && !self.isolated.contains(&n),
            Endpoint::Client(_) => true,
        };
        ok(a) && ok(b)
    }

    /// Whether node `n` can currently talk to the others.
    pub fn reachable(&self, n: NodeId) -> bool {
        self.link_ok(Endpoint::Node(n), Endpoint::Client(0))
    }

    /// Hand a message to the fabric: faults decide drop / delay / duplicate; slow storage delays
    /// writes arriving at a node.
    pub(crate) fn send(&mut self, from: Endpoint, to: Endpoint, payload: Payload) {
        self.fabric.stats.sent += 1;
        let step = payload.step();
        let delays = self.faults.decide(step, &mut self.rng);
        assert!(
            delays.len() <= 2,
            "a message is sent at most twice (one duplicate)"
        );
        if delays.is_empty() {
            self.fabric.stats.dropped += 1;
            return;
        }
        let storage = match (&payload, to) {
            (
                Payload::Request {
                    request: Request::Write { .. },
                    ..
                }
                | Payload::Replicate { .. },
                Endpoint::Node(n),
            ) => self.faults.storage_delay_ms[n],
            _ => 0,
        };
        let base = self.now_ms() + self.cfg.latency_ms + storage;
        let incarnation = match to {
            Endpoint::Node(n) => self.nodes[n].incarnation,
            Endpoint::Client(_) => 0,
        };
        for (i, d) in delays.iter().enumerate() {
            if i > 0 {
                self.fabric.stats.duplicated += 1;
            }
            if *d > 0 && i == 0 {
                self.fabric.stats.delayed += 1;
            }
            let msg = Message {
                from,
                to,
                to_incarnation: incarnation,
                payload: payload.clone(),
            };
            self.fabric
                .schedule(base + d, Event::Deliver(Box::new(msg)));
        }
    }

    /// A client submits an attempt.
    pub(crate) fn submit(
        &mut self,
        client: ClientId,
        target: NodeId,
        attempt: AttemptId,
        deadline_ms: u64,
        request: Request,
    ) {
        self.send(
            Endpoint::Client(client),
            Endpoint::Node(target),
            Payload::Request {
                attempt,
                reply_to: client,
                deadline_ms,
                request,
            },
        );
    }

    /// Process the next event due strictly before `before_ms`. Returns false when there is none.
    pub(crate) fn step_before(&mut self, before_ms: u64) -> bool {
        let Some(limit) = before_ms.checked_sub(1) else {
            return false;
        };
        let Some((at, event)) = self.fabric.pop_due(limit) else {
            return false;
        };
        assert!(at >= self.now_ms(), "simulated time never goes backwards");
        if at > self.now_ms() {
            self.clock.set_ms(at);
        }
        match event {
            Event::Deliver(msg) => self.deliver(*msg),
            Event::Timer(t) => self.fire(t),
        }
        self.debug_check_members();
        true
    }

    fn advance_to(&mut self, t: u64) {
        if t > self.now_ms() {
            self.clock.set_ms(t);
        }
    }

    /// Run the simulation for `ms` simulated milliseconds.
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now_ms() + ms;
        while self.step_before(end + 1) {}
        self.advance_to(end);
    }

    /// Run until no event is left or `max_ms` simulated ms have passed.
    pub fn settle(&mut self, max_ms: u64) {
        let end = self.now_ms() + max_ms;
        while self.step_before(end + 1) {}
    }

    /// Wait for the reply to `attempt` until `deadline_ms` (exclusive): `None` on timeout, with
    /// the clock at the deadline.
    pub(crate) fn wait_reply(
        &mut self,
        client: ClientId,
        attempt: AttemptId,
        deadline_ms: u64,
    ) -> Option<Result<crate::record::record::Record>> {
        loop {
            while let Some(m) = self.fabric.take(Endpoint::Client(client)) {
                if let Payload::Reply { attempt: a, result } = m.payload {
                    if a == attempt {
                        return Some(result);
                    }
                }
            }
            if !self.step_before(deadline_ms) {
                self.advance_to(deadline_ms);
                return None;
            }
        }
    }

    fn deliver(&mut self, msg: Message) {
        // A message already on the wire arrives even if its sender crashed since; a partition
        // cuts it at either end.
        let from_cut = matches!(msg.from, Endpoint::Node(n) if self.isolated.contains(&n));
        let stale =
            matches!(msg.to, Endpoint::Node(n) if self.nodes[n].incarnation != msg.to_incarnation);
        if from_cut || stale || !self.link_ok(msg.to, msg.to) {
            self.fabric.stats.dropped += 1;
            return;
        }
        let to = msg.to;
        self.fabric.post(msg);
        if let Endpoint::Node(n) = to {
            while let Some(m) = self.fabric.take(to) {
                self.handle(n, m);
            }
        }
    }

    fn handle(&mut self, n: NodeId, m: Message) {
        match m.payload {
            Payload::Request { .. } => self.on_request(n, m.from, m.payload),
            Payload::Replicate {
                attempt: _,
                rec,
                tag,
                version,
            } => self.on_replicate(n, m.from, rec, tag, version),
            Payload::Ack { rec, tag } => {
                if let Endpoint::Node(from) = m.from {
                    self.on_ack(n, from, rec, tag);
                }
            }
            Payload::Advise { rec, tag } => self.on_advise(n, rec, tag),
            Payload::Reply { .. } => {}
        }
    }

    fn fire(&mut self, t: Timer) {
        match t {
            Timer::Retransmit { node, rec, tag } => self.on_retransmit(node, rec, tag),
            Timer::Departure(n) => self.on_departure(n),
            Timer::Restart(n) => self.restart(n),
        }
    }
}
