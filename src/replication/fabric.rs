//! The message fabric: a simulated network. Messages and timers are scheduled on one queue ordered
//! by (simulated delivery time, scheduling order); when an event is due its message is posted into
//! the receiver's inbox, a crossbeam channel, which the receiver drains. Nothing here reads the
//! wall clock and nothing runs concurrently, so a run is a pure function of its seed and inputs.
//!
//! Invariants: events leave the queue in (time, sequence) order, so ties are broken by the order
//! they were scheduled; every endpoint has exactly one inbox; the queue is bounded by
//! `QUEUE_MAX` (a runaway simulation fails loudly instead of eating memory).

use crate::replication::message::{ClientId, Endpoint, Message, NodeId, RecKey, VersionTag};
use crossbeam_channel::{unbounded, Receiver, Sender};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};

/// Most events the queue may hold.
pub const QUEUE_MAX: usize = 1 << 20;

/// Timers the cluster sets for itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Timer {
    /// The master re-sends the update of `tag` to replicas that have not acknowledged it.
    Retransmit {
        /// Master.
        node: NodeId,
        /// Record.
        rec: RecKey,
        /// Version.
        tag: VersionTag,
    },
    /// Heartbeats from `node` have been missing for the heartbeat timeout.
    Departure(NodeId),
    /// A crashed node comes back.
    Restart(NodeId),
}

/// A scheduled event.
#[derive(Debug, Clone)]
pub enum Event {
    /// Deliver a message.
    Deliver(Box<Message>),
    /// Fire a timer.
    Timer(Timer),
}

struct Scheduled {
    at_ms: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, o: &Self) -> bool {
        (self.at_ms, self.seq) == (o.at_ms, o.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, o: &Self) -> Ordering {
        // BinaryHeap is a max-heap: reverse so the earliest (then first scheduled) pops first.
        (o.at_ms, o.seq).cmp(&(self.at_ms, self.seq))
    }
}

type Inbox = (Sender<Message>, Receiver<Message>);

/// Message counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FabricStats {
    /// Messages handed to the fabric.
    pub sent: u64,
    /// Dropped by a fault, a partition or a down node.
    pub dropped: u64,
    /// Delayed by a fault.
    pub delayed: u64,
    /// Duplicated by a fault.
    pub duplicated: u64,
    /// Posted into an inbox.
    pub delivered: u64,
}

/// The fabric.
pub struct Fabric {
    queue: BinaryHeap<Scheduled>,
    next_seq: u64,
    /// (time, sequence) of the last event popped: pops never go back before it.
    last_popped: (u64, u64),
    nodes: Vec<Inbox>,
    clients: HashMap<ClientId, Inbox>,
    /// Counters.
    pub stats: FabricStats,
}

impl Fabric {
    /// A fabric for `nodes` nodes.
    pub fn new(nodes: usize) -> Fabric {
        Fabric {
            queue: BinaryHeap::new(),
            next_seq: 0,
            last_popped: (0, 0),
            nodes: (0..nodes).map(|_| unbounded()).collect(),
            clients: HashMap::new(),
            stats: FabricStats::default(),
        }
    }

    /// Schedule an event at simulated time `at_ms`.
    pub fn schedule(&mut self, at_ms: u64, event: Event) {
        assert!(
            self.queue.len() < QUEUE_MAX,
            "simulation event queue over its bound"
        );
        // Simulated time never goes backwards: nothing is scheduled before the last event run.
        assert!(
            at_ms >= self.last_popped.0,
            "event scheduled at {at_ms} ms, before the last one run at {} ms",
            self.last_popped.0
        );
        self.next_seq += 1;
        self.queue.push(Scheduled {
            at_ms,
            seq: self.next_seq,
            event,
        });
    }

    /// When the next event is due.
    pub fn next_at(&self) -> Option<u64> {
        self.queue.peek().map(|s| s.at_ms)
    }

    /// Take the next event if it is due at or before `until_ms`.
    pub fn pop_due(&mut self, until_ms: u64) -> Option<(u64, Event)> {
        if self.next_at()? > until_ms {
            return None;
        }
        let s = self.queue.pop()?;
        assert!(
            (s.at_ms, s.seq) > self.last_popped,
            "events leave the queue in (time, sequence) order"
        );
        self.last_popped = (s.at_ms, s.seq);
        Some((s.at_ms, s.event))
    }

    /// Post a due message into its receiver's inbox.
    pub fn post(&mut self, msg: Message) {
        self.stats.delivered += 1;
        let tx = match msg.to {
            Endpoint::Node(n) => &self.nodes[n].0,
            Endpoint::Client(c) => &self.clients.entry(c).or_insert_with(unbounded).0,
        };
        tx.send(msg)
            .expect("the fabric owns both ends of every inbox");
    }

    /// Take the oldest message from an endpoint's inbox.
    pub fn take(&mut self, to: Endpoint) -> Option<Message> {
        match to {
            Endpoint::Node(n) => self.nodes[n].1.try_recv().ok(),
            Endpoint::Client(c) => self.clients.get(&c).and_then(|i| i.1.try_recv().ok()),
        }
    }

    /// Drop every message waiting in a node's inbox (the node crashed).
    pub fn flush_inbox(&mut self, n: NodeId) {
        while self.nodes[n].1.try_recv().is_ok() {
            self.stats.dropped += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_pop_in_time_then_schedule_order() {
        let mut f = Fabric::new(1);
        f.schedule(5, Event::Timer(Timer::Departure(0)));
        f.schedule(3, Event::Timer(Timer::Restart(0)));
        f.schedule(5, Event::Timer(Timer::Restart(0)));
        assert_eq!(f.pop_due(2).map(|e| e.0), None);
        let order: Vec<_> = std::iter::from_fn(|| f.pop_due(10)).collect();
        assert_eq!(order.len(), 3);
        assert_eq!(order[0].0, 3);
        assert!(matches!(order[1].1, Event::Timer(Timer::Departure(0))));
        assert!(matches!(order[2].1, Event::Timer(Timer::Restart(0))));
    }
}
