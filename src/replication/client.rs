//! The client: routes each attempt to the partition map's master (or to a node the caller names),
//! waits for the reply until the attempt's deadline in simulated time, retries by the policy, and
//! sets `in_doubt` by ID-FORMULA and nothing else (ID-NO-ORACLE): it sees only replies.
//!
//! Policy (the `WritePolicy` / `ReadPolicy` fields): `total_timeout` bounds each attempt (as in
//! `Database`; `None` = the cluster's default, 1000 ms); `max_retries` (default 0 for writes) more
//! attempts after a Timeout or a client-side error (code ≤ 0) only (ID-RETRY-POLICY), separated by
//! `sleep_between_retries` of simulated time.
//!
//! Invariants: `sent` counts attempts handed to the fabric (ID-SENT); an attempt to a node that is
//! down fails at once with ClientError −1 ("connection refused") and is not counted, since it was
//! never submitted; a reply to an earlier attempt is ignored (its connection is gone).

use crate::engine::read::Bins;
use crate::error::{Error, Result, ResultCode};
use crate::ops::Operation;
use crate::policy::read::ReadPolicy;
use crate::policy::write::WritePolicy;
use crate::record::bin::Bin;
use crate::record::key::Key;
use crate::record::record::Record;
use crate::replication::cluster::Cluster;
use crate::replication::message::{AttemptId, CallId, ClientId, NodeId, Request, WriteKind};
use std::time::Duration;

/// What the last call did, as the client saw it (for tests and reports).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CallReport {
    /// The call.
    pub call: Option<CallId>,
    /// Attempts submitted (ID-SENT).
    pub sent: u32,
    /// Attempts tried, refused ones included.
    pub tries: u32,
}

/// A cluster client.
#[derive(Debug)]
pub struct Client {
    id: ClientId,
    next_call: u64,
    label: Option<u64>,
    last: CallReport,
    sent_total: u64,
}

struct Retry {
    timeout_ms: Option<u64>,
    max_retries: u32,
    sleep_ms: u64,
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

impl Client {
    pub(crate) fn new(id: ClientId) -> Client {
        Client {
            id,
            next_call: 0,
            label: None,
            last: CallReport::default(),
            sent_total: 0,
        }
    }

    /// This client's id.
    pub fn id(&self) -> ClientId {
        self.id
    }

    /// Attempts submitted by this client so far (ID-SENT summed over calls).
    pub fn sent_total(&self) -> u64 {
        self.sent_total
    }

    /// The last call's attempt counts.
    pub fn last_call(&self) -> CallReport {
        self.last
    }

    /// Tag later calls with a logical label in the ground truth (bookkeeping for tests and
    /// tooling; it never changes what is sent).
    pub fn label_calls(&mut self, label: Option<u64>) {
        self.label = label;
    }

    /// Put bins.
    pub fn put(
        &mut self,
        c: &mut Cluster,
        policy: &WritePolicy,
        key: &Key,
        bins: &[Bin],
    ) -> Result<Record> {
        let ops: Vec<Operation> = bins.iter().map(|b| Operation::Write(b.clone())).collect();
        self.operate(c, policy, key, &ops)
    }

    /// Touch.
    pub fn touch(&mut self, c: &mut Cluster, policy: &WritePolicy, key: &Key) -> Result<Record> {
        self.operate(c, policy, key, &[Operation::Touch])
    }

    /// Operate with at least one write op (read-only op lists → 4: use `get`).
    pub fn operate(
        &mut self,
        c: &mut Cluster,
        policy: &WritePolicy,
        key: &Key,
        ops: &[Operation],
    ) -> Result<Record> {
        self.operate_on(c, None, policy, key, ops)
    }

    /// Operate sent to node `target` (`None`: the master), e.g. to show CL-REPLICA-ROLE.
    pub fn operate_on(
        &mut self,
        c: &mut Cluster,
        target: Option<NodeId>,
        policy: &WritePolicy,
        key: &Key,
        ops: &[Operation],
    ) -> Result<Record> {
        if !ops.is_empty() && !ops.iter().any(Operation::is_write) {
            return Err(Error::new(
                ResultCode::ParameterError,
                "a read-only operate goes through get",
            ));
        }
        self.write(c, target, policy, key, WriteKind::Operate(ops.to_vec()))
    }

    /// Delete: `Ok(false)` where the code would be 2 (not in doubt).
    pub fn delete(&mut self, c: &mut Cluster, policy: &WritePolicy, key: &Key) -> Result<bool> {
        match self.write(c, None, policy, key, WriteKind::Delete) {
            Ok(_) => Ok(true),
            Err(e) if e.code() == ResultCode::KeyNotFoundError && !e.in_doubt() => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn write(
        &mut self,
        c: &mut Cluster,
        target: Option<NodeId>,
        policy: &WritePolicy,
        key: &Key,
        kind: WriteKind,
    ) -> Result<Record> {
        let engine_policy = WritePolicy {
            total_timeout: None,
            max_retries: 0,
            sleep_between_retries: Duration::ZERO,
            ..policy.clone()
        };
        let retry = Retry {
            timeout_ms: policy.total_timeout.map(ms),
            max_retries: policy.max_retries,
            sleep_ms: ms(policy.sleep_between_retries),
        };
        let request = Request::Write {
            key: key.clone(),
            policy: engine_policy,
            kind,
        };
        self.call(c, target, request, &retry)
    }

    /// Read from the master (a read of a record whose write is in flight returns the prior
    /// version, as the seed describes).
    pub fn get(
        &mut self,
        c: &mut Cluster,
        policy: &ReadPolicy,
        key: &Key,
        bins: Bins,
    ) -> Result<Record> {
        self.read(c, None, policy, key, bins, false)
    }

    /// Read from node `target`: a replica serves only versions advised as replicated and asks
    /// the master otherwise.
    pub fn get_from(
        &mut self,
        c: &mut Cluster,
        target: NodeId,
        policy: &ReadPolicy,
        key: &Key,
        bins: Bins,
    ) -> Result<Record> {
        self.read(c, Some(target), policy, key, bins, false)
    }

    /// Read from the master, waiting behind an in-flight write of the record for its outcome.
    pub fn get_linearized(
        &mut self,
        c: &mut Cluster,
        policy: &ReadPolicy,
        key: &Key,
        bins: Bins,
    ) -> Result<Record> {
        self.read(c, None, policy, key, bins, true)
    }

    fn read(
        &mut self,
        c: &mut Cluster,
        target: Option<NodeId>,
        policy: &ReadPolicy,
        key: &Key,
        bins: Bins,
        linearize: bool,
    ) -> Result<Record> {
        let retry = Retry {
            timeout_ms: policy.total_timeout.map(ms),
            max_retries: 0,
            sleep_ms: 0,
        };
        let request = Request::Read {
            key: key.clone(),
            bins,
            linearize,
        };
        self.call(c, target, request, &retry)
    }

    fn call(
        &mut self,
        c: &mut Cluster,
        target: Option<NodeId>,
        request: Request,
        retry: &Retry,
    ) -> Result<Record> {
        self.next_call += 1;
        let call = CallId {
            client: self.id,
            call: self.next_call,
        };
        if let Some(l) = self.label {
            c.truth.label(call, l);
        }
        let is_write = request.is_write();
        let timeout_ms = retry
            .timeout_ms
            .unwrap_or(c.config().default_timeout_ms)
            .max(1);
        let (mut sent, mut tries) = (0u32, 0u32);
        loop {
            tries += 1;
            let node = target.unwrap_or_else(|| c.route());
            let result = if !c.node_up(node) {
                Err(Error::new(
                    ResultCode::ClientError,
                    format!("connection to node {node} refused: it is down"),
                ))
            } else {
                sent += 1;
                self.sent_total += 1;
                let attempt = AttemptId {
                    call,
                    attempt: sent,
                };
                let deadline = c.now_ms() + timeout_ms;
                c.submit(self.id, node, attempt, deadline, request.clone());
                let reply = c.wait_reply(self.id, attempt, deadline);
                // A reply is taken before the deadline; a timeout leaves the clock at it.
                assert!(c.now_ms() <= deadline, "a wait ends by its deadline");
                reply.unwrap_or_else(|| {
                    Err(Error::new(
                        ResultCode::Timeout,
                        format!("no reply within {timeout_ms} ms"),
                    ))
                })
            };
            // ID-SENT: a try to a node that is down is not an attempt handed to the fabric.
            assert!(sent <= tries, "attempts sent never exceed tries");
            assert!(
                u64::from(tries) <= u64::from(retry.max_retries) + 1,
                "a call tries at most max_retries + 1 times"
            );
            self.last = CallReport {
                call: Some(call),
                sent,
                tries,
            };
            match result {
                Ok(r) => return Ok(r),
                Err(e) => {
                    let retryable = e.code() == ResultCode::Timeout || e.code().code() <= 0;
                    if retryable && tries <= retry.max_retries {
                        c.run_for(retry.sleep_ms);
                        continue;
                    }
                    // ID-FORMULA, or the node's storage said so (ID-DEVICE-HANDOFF).
                    let in_doubt = Error::in_doubt_formula(is_write, sent, e.code())
                        || (is_write && e.in_doubt());
                    return Err(e.with_in_doubt(in_doubt));
                }
            }
        }
    }
}
