//! The master's side of the write sequence: step 2 (apply locally), step 3 (send the update to
//! every replica, re-sending until acknowledged or the replica leaves), step 5 (reply) and step 6
//! (advise "replicated"); plus master reads.
//!
//! Invariants:
//! - a write is applied only while its attempt's deadline has not passed (CL-NEVER-LATE,
//!   CL-TIMEOUT-QUEUED); a request that waited past its deadline is discarded, never applied;
//! - at most one write per record is in flight; a non-linearized read of an in-flight record
//!   returns the version before that write (the seed's "read returns the prior version"), a
//!   linearized one waits for its outcome;
//! - CommitAll replies once every current replica acknowledged (CL-ALL); CommitMaster replies
//!   right after step 2 and still replicates (CL-MASTER); with no replica both reply at once
//!   (CL-NO-REPLICA);
//! - the master never rolls a write back (CL-TIMEOUT-REPLICA, WP-21);
//! - reads never read-touch (RTT-APPLY's write would bypass replication in this stub).

use crate::engine::read::Bins;
use crate::engine::replica_apply::RecordVersion;
use crate::error::{Error, Result, ResultCode};
use crate::policy::write::{CommitLevel, WritePolicy};
use crate::record::key::Key;
use crate::record::record::Record;
use crate::replication::cluster::Cluster;
use crate::replication::fabric::{Event, Timer};
use crate::replication::ground_truth::Application;
use crate::replication::message::{
    AttemptId, ClientId, Endpoint, NodeId, Payload, RecKey, Request, Step, VersionTag, WriteKind,
};
use crate::replication::node::{
    node_read_policy, serve_version, InFlight, Role, Waiting, WAITING_MAX,
};
use std::collections::BTreeSet;

impl Cluster {
    pub(crate) fn reply(
        &mut self,
        n: NodeId,
        to: ClientId,
        attempt: AttemptId,
        result: Result<Record>,
    ) {
        self.send(
            Endpoint::Node(n),
            Endpoint::Client(to),
            Payload::Reply { attempt, result },
        );
    }

    /// Step 1 arrives at node `n`.
    pub(crate) fn on_request(&mut self, n: NodeId, from: Endpoint, payload: Payload) {
        let Payload::Request {
            attempt,
            reply_to,
            deadline_ms,
            request,
        } = payload.clone()
        else {
            return;
        };
        // Transport-level de-duplication: a duplicated request message is one request.
        if matches!(from, Endpoint::Client(_)) && !self.nodes[n].first_sight(attempt) {
            return;
        }
        if self.nodes[n].role == Role::Replica {
            self.replica_request(n, payload);
            return;
        }
        if self.now_ms() >= deadline_ms {
            if request.is_write() {
                self.truth.expired(attempt);
            }
            return;
        }
        let rec = RecKey::of(request.key());
        let must_wait = match &request {
            Request::Write { .. } => true,
            Request::Read { linearize, .. } => *linearize,
        };
        if must_wait
            && self.nodes[n].in_flight.get(&rec).is_some_and(|f| {
                // A linearized read waits only while the write's outcome is unknown to its client.
                request.is_write() || !f.replied
            })
        {
            let q = self.nodes[n].waiting.entry(rec).or_default();
            if q.len() >= WAITING_MAX {
                let e = Error::new(
                    ResultCode::KeyBusy,
                    "too many requests queued behind an in-flight write (L-KEY-BUSY)",
                );
                self.reply(n, reply_to, attempt, Err(e));
            } else {
                q.push_back(Waiting { payload });
                debug_assert!(q.len() <= WAITING_MAX, "waiting is bounded by WAITING_MAX");
            }
            return;
        }
        match request {
            Request::Write { key, policy, kind } => {
                self.master_write(n, attempt, reply_to, &key, &policy, &kind)
            }
            Request::Read { key, bins, .. } => self.master_read(n, attempt, reply_to, &key, &bins),
        }
    }

    fn master_read(
        &mut self,
        n: NodeId,
        attempt: AttemptId,
        reply_to: ClientId,
        key: &Key,
        bins: &Bins,
    ) {
        let rec = RecKey::of(key);
        let now_s = u32::try_from(self.now_ms() / 1000).unwrap_or(u32::MAX);
        let result = match self.nodes[n].in_flight.get(&rec) {
            Some(f) if !f.replied => serve_version(f.prior.as_ref(), bins, now_s),
            _ => self.nodes[n].db.get(&node_read_policy(), key, bins.clone()),
        };
        self.reply(n, reply_to, attempt, result);
    }

    /// Steps 2 and 3 (and 5 for CommitMaster or without replicas).
    fn master_write(
        &mut self,
        n: NodeId,
        attempt: AttemptId,
        reply_to: ClientId,
        key: &Key,
        policy: &WritePolicy,
        kind: &WriteKind,
    ) {
        let rec = RecKey::of(key);
        let applied = self.apply_locally(n, key, policy, kind);
        let (record, prior) = match applied {
            Ok(x) => x,
            Err(e) => {
                self.reply(n, reply_to, attempt, Err(e));
                self.next_waiting(n, &rec);
                return;
            }
        };
        let (tag, version) = self.install_version(n, attempt, &rec);
        let Ok(version) = version else {
            // Applied but unreadable (device failure): the sequence cannot complete; the client
            // gets no reply and times out in doubt, which is the truth.
            return;
        };
        let replicas: BTreeSet<NodeId> = self.members.iter().copied().filter(|&m| m != n).collect();
        // CommitMaster replies as soon as step 2 is done, before the update leaves (CL-MASTER).
        let commit_master =
            policy.commit_level == CommitLevel::CommitMaster && !replicas.is_empty();
        if commit_master {
            self.reply(n, reply_to, attempt, Ok(record.clone()));
        }
        let mut crash_at = self.faults.draw_crash(&mut self.rng);
        if self.faults.take_crash(Step::Apply, &mut crash_at) {
            self.crash(n);
            return;
        }
        if replicas.is_empty() {
            self.reply(n, reply_to, attempt, Ok(record));
            if self.faults.take_crash(Step::Reply, &mut crash_at) {
                self.crash(n);
                return;
            }
            self.next_waiting(n, &rec);
            return;
        }
        let flight = InFlight {
            attempt,
            reply_to,
            tag,
            version,
            prior,
            pending: replicas,
            acked: BTreeSet::new(),
            replied: commit_master,
            crash_at,
            result: record,
        };
        self.replicate(n, rec, flight);
    }

    /// Install the applied write as the node's newest version of `rec` (a new tag in the node's
    /// regime) and record it in the truth. Returns the tag and the version to replicate.
    fn install_version(
        &mut self,
        n: NodeId,
        attempt: AttemptId,
        rec: &RecKey,
    ) -> (VersionTag, Result<Option<RecordVersion>>) {
        let node = &mut self.nodes[n];
        assert!(
            node.up && node.role == Role::Master,
            "only a running master installs new versions"
        );
        node.seq += 1;
        let tag = VersionTag {
            regime: node.regime,
            seq: node.seq,
        };
        let version = node.version(rec);
        let parent = node.held.insert(rec.clone(), tag);
        assert!(
            parent.is_none_or(|p| p < tag),
            "installed versions only move forward in tag order"
        );
        let app = Application {
            attempt,
            node: n,
            rec: rec.clone(),
            tag,
            at_ms: self.now_ms(),
        };
        self.truth.applied(app, parent);
        (tag, version)
    }

    /// Step 3: send the version to every pending replica, keep the write in flight, and arm its
    /// retransmit timer (unless the master crashes after sending).
    fn replicate(&mut self, n: NodeId, rec: RecKey, flight: InFlight) {
        assert!(
            !flight.pending.contains(&n) && flight.acked.is_empty(),
            "a master replicates to the other members, none acknowledged yet"
        );
        for &r in &flight.pending {
            self.send(
                Endpoint::Node(n),
                Endpoint::Node(r),
                Payload::Replicate {
                    attempt: flight.attempt,
                    rec: rec.clone(),
                    tag: flight.tag,
                    version: flight.version.clone(),
                },
            );
        }
        assert!(
            !self.nodes[n].in_flight.contains_key(&rec),
            "at most one write per record in flight"
        );
        let (tag, mut crash_at) = (flight.tag, flight.crash_at);
        self.nodes[n].in_flight.insert(rec.clone(), flight);
        if self.faults.take_crash(Step::Replicate, &mut crash_at) {
            self.crash(n);
            return;
        }
        if let Some(f) = self.nodes[n].in_flight.get_mut(&rec) {
            f.crash_at = crash_at;
        }
        let at = self.now_ms() + self.cfg.retransmit_ms;
        self.fabric
            .schedule(at, Event::Timer(Timer::Retransmit { node: n, rec, tag }));
    }

    /// Step 2 on the master's database; returns the reply record and the prior version.
    fn apply_locally(
        &mut self,
        n: NodeId,
        key: &Key,
        policy: &WritePolicy,
        kind: &WriteKind,
    ) -> Result<(Record, Option<crate::engine::replica_apply::RecordVersion>)> {
        let node = &self.nodes[n];
        let ns = node.ns(&key.namespace)?;
        ns.check_request(key)?;
        let prior = ns.read_version(&key.digest)?;
        let record = match kind {
            WriteKind::Operate(ops) => ns.write(policy, key, ops)?,
            WriteKind::Delete => {
                ns.delete(policy, key)?;
                Record::default()
            }
        };
        Ok((record, prior))
    }

    /// Step 4 arrives at the master.
    pub(crate) fn on_ack(&mut self, n: NodeId, from: NodeId, rec: RecKey, tag: VersionTag) {
        if self.nodes[n].role != Role::Master {
            return;
        }
        let Some(f) = self.nodes[n].in_flight.get_mut(&rec) else {
            return;
        };
        if f.tag != tag {
            return;
        }
        if f.pending.remove(&from) {
            f.acked.insert(from);
        }
        debug_assert!(
            f.pending.is_disjoint(&f.acked),
            "a replica is pending or acknowledged, never both"
        );
        if f.pending.is_empty() {
            self.master_complete(n, &rec);
        }
    }

    /// Every replica acknowledged (or left): steps 5 and 6, then the next waiting request.
    pub(crate) fn master_complete(&mut self, n: NodeId, rec: &RecKey) {
        let Some(f) = self.nodes[n].in_flight.get(rec).cloned() else {
            return;
        };
        // CL-ALL: a write completes once every current replica acknowledged or left.
        assert!(
            f.pending.is_empty(),
            "complete only with no replica pending"
        );
        let mut crash_at = f.crash_at;
        if self.faults.take_crash(Step::Ack, &mut crash_at) {
            self.crash(n);
            return;
        }
        if !f.replied {
            self.reply(n, f.reply_to, f.attempt, Ok(f.result.clone()));
        }
        if self.faults.take_crash(Step::Reply, &mut crash_at) {
            self.crash(n);
            return;
        }
        for &r in &f.acked {
            self.send(
                Endpoint::Node(n),
                Endpoint::Node(r),
                Payload::Advise {
                    rec: rec.clone(),
                    tag: f.tag,
                },
            );
        }
        self.nodes[n].in_flight.remove(rec);
        self.next_waiting(n, rec);
    }

    /// Run requests that waited for `rec`, until one of them puts a write in flight again.
    fn next_waiting(&mut self, n: NodeId, rec: &RecKey) {
        loop {
            if !self.nodes[n].up || self.nodes[n].in_flight.contains_key(rec) {
                return;
            }
            let Some(w) = self.nodes[n]
                .waiting
                .get_mut(rec)
                .and_then(|q| q.pop_front())
            else {
                self.nodes[n].waiting.remove(rec);
                return;
            };
            let Payload::Request {
                attempt,
                reply_to,
                deadline_ms,
                request,
            } = w.payload
            else {
                continue;
            };
            if self.now_ms() >= deadline_ms {
                if request.is_write() {
                    self.truth.expired(attempt);
                }
                continue;
            }
            match request {
                Request::Write { key, policy, kind } => {
                    self.master_write(n, attempt, reply_to, &key, &policy, &kind)
                }
                Request::Read { key, bins, .. } => {
                    self.master_read(n, attempt, reply_to, &key, &bins)
                }
            }
        }
    }

    pub(crate) fn on_retransmit(&mut self, n: NodeId, rec: RecKey, tag: VersionTag) {
        if !self.nodes[n].up || self.nodes[n].role != Role::Master {
            return;
        }
        let Some(f) = self.nodes[n].in_flight.get(&rec).cloned() else {
            return;
        };
        if f.tag != tag {
            return;
        }
        for &r in &f.pending {
            self.send(
                Endpoint::Node(n),
                Endpoint::Node(r),
                Payload::Replicate {
                    attempt: f.attempt,
                    rec: rec.clone(),
                    tag,
                    version: f.version.clone(),
                },
            );
        }
        let at = self.now_ms() + self.cfg.retransmit_ms;
        self.fabric
            .schedule(at, Event::Timer(Timer::Retransmit { node: n, rec, tag }));
    }
}
