//! Fault injection, all of it decided from the cluster's seeded generator so that a run is
//! replayable from its seed: drop, delay or duplicate any message of any step; crash the master
//! right after it completes step 2, 3, 4 or 5 of a write; slow storage on any node. Partitioning
//! and crashing nodes are cluster actions (`Cluster::partition`, `Cluster::crash`).
//!
//! Invariants: scripted rules are consumed in the order given and each fires at most its count;
//! random rates are per mille and bounded (≤ 1000); a delay is bounded by `delay_ms_max`.

use crate::error::{err, Result, ResultCode};
use crate::replication::message::Step;
use crate::rng::Rng;

/// What happens to one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageFault {
    /// Lost.
    Drop,
    /// Delivered this many simulated ms late.
    Delay(u64),
    /// Delivered twice (the copy one latency later).
    Duplicate,
}

/// A scripted fault: counting from when it is added, the next `count` messages of `step` (after
/// skipping `skip` of them) suffer `fault`. Overlapping rules: the first added wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageRule {
    /// Which step's messages.
    pub step: Step,
    /// Messages of that step to let through first.
    pub skip: u32,
    /// How many messages suffer the fault.
    pub count: u32,
    /// The fault.
    pub fault: MessageFault,
}

/// Random faults applied to every message of the chosen steps (per mille each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FaultMix {
    /// Chance a message is dropped.
    pub drop_per_mille: u32,
    /// Chance a message is delayed by 1 … `delay_ms_max`.
    pub delay_per_mille: u32,
    /// Longest random delay.
    pub delay_ms_max: u64,
    /// Chance a message is duplicated.
    pub duplicate_per_mille: u32,
    /// Chance, per applied write, that the master crashes right after step 2, 3, 4 or 5 of it
    /// (the step chosen uniformly).
    pub crash_master_per_mille: u32,
    /// Simulated ms after which a crashed node restarts (0 = it stays down until told).
    pub restart_after_ms: u64,
}

impl FaultMix {
    /// No random faults.
    pub fn none() -> FaultMix {
        FaultMix::default()
    }
}

/// The fault plan of a cluster.
#[derive(Debug, Clone, Default)]
pub struct Faults {
    rules: Vec<(u32, MessageRule)>,
    seen: [u32; 7],
    /// Random faults.
    pub mix: FaultMix,
    crash_after: Vec<Step>,
    /// Extra simulated ms each node's storage takes per write it applies (slow storage).
    pub storage_delay_ms: Vec<u64>,
}

impl Faults {
    /// No faults for `nodes` nodes.
    pub fn new(nodes: usize) -> Faults {
        Faults {
            storage_delay_ms: vec![0; nodes],
            ..Faults::default()
        }
    }

    /// Add a scripted message rule. Step 2 has no message (→ 4: use slow storage or a crash).
    pub fn add_rule(&mut self, rule: MessageRule) -> Result<()> {
        if rule.step == Step::Apply {
            return err(
                ResultCode::ParameterError,
                "step 2 is local: use slow storage or a crash",
            );
        }
        // Counting starts at the rule's addition: `skip` is relative to later messages.
        let base = self.seen[rule.step as usize];
        self.rules.push((base, rule));
        Ok(())
    }

    /// Crash the master right after it completes `step` of the next write that reaches it
    /// (queued: several calls crash at successive writes). Only steps 2, 3, 4 and 5 (→ 4).
    pub fn crash_master_after(&mut self, step: Step) -> Result<()> {
        if !matches!(
            step,
            Step::Apply | Step::Replicate | Step::Ack | Step::Reply
        ) {
            return err(
                ResultCode::ParameterError,
                "the master can crash after step 2, 3, 4 or 5",
            );
        }
        self.crash_after.push(step);
        Ok(())
    }

    /// Whether the master must crash now, having just completed `step`. Consumes the scripted
    /// crash, or draws the random one when the write began (see `draw_crash`).
    pub fn take_crash(&mut self, step: Step, drawn: &mut Option<Step>) -> bool {
        if *drawn == Some(step) {
            *drawn = None;
            return true;
        }
        if self.crash_after.first() == Some(&step) {
            self.crash_after.remove(0);
            return true;
        }
        false
    }

    /// At the start of a write on the master: draw a random crash point for it.
    pub fn draw_crash(&mut self, rng: &mut Rng) -> Option<Step> {
        if self.mix.crash_master_per_mille == 0
            || rng.below(1000) >= u64::from(self.mix.crash_master_per_mille)
        {
            return None;
        }
        let steps = [Step::Apply, Step::Replicate, Step::Ack, Step::Reply];
        Some(steps[rng.below(4) as usize])
    }

    /// The delivery delays for one message of `step`: empty = dropped, one entry = delivered
    /// once with that extra delay, two = duplicated.
    pub fn decide(&mut self, step: Step, rng: &mut Rng) -> Vec<u64> {
        let i = step as usize;
        self.seen[i] += 1;
        let nth = self.seen[i];
        let mut scripted = None;
        for (base, r) in self.rules.iter().filter(|(_, r)| r.step == step) {
            let start = base + r.skip;
            if nth > start && nth <= start + r.count {
                scripted = Some(r.fault);
                break;
            }
        }
        let fault = scripted.or_else(|| self.random_fault(rng));
        match fault {
            None => vec![0],
            Some(MessageFault::Drop) => vec![],
            Some(MessageFault::Delay(ms)) => vec![ms],
            Some(MessageFault::Duplicate) => vec![0, 1],
        }
    }

    fn random_fault(&self, rng: &mut Rng) -> Option<MessageFault> {
        let m = &self.mix;
        let total = m.drop_per_mille + m.delay_per_mille + m.duplicate_per_mille;
        if total == 0 {
            return None;
        }
        let x = rng.below(1000) as u32;
        if x < m.drop_per_mille {
            Some(MessageFault::Drop)
        } else if x < m.drop_per_mille + m.delay_per_mille {
            let d = 1 + rng.below(m.delay_ms_max.max(1));
            debug_assert!(
                d <= m.delay_ms_max.max(1),
                "a delay is bounded by delay_ms_max"
            );
            Some(MessageFault::Delay(d))
        } else if x < total {
            Some(MessageFault::Duplicate)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripted_rules_fire_in_order_and_count() {
        let mut f = Faults::new(2);
        f.add_rule(MessageRule {
            step: Step::Ack,
            skip: 1,
            count: 2,
            fault: MessageFault::Drop,
        })
        .expect("a message step");
        assert!(f.crash_master_after(Step::Request).is_err());
        assert!(f
            .add_rule(MessageRule {
                step: Step::Apply,
                skip: 0,
                count: 1,
                fault: MessageFault::Drop
            })
            .is_err());
        let mut rng = Rng::new(1);
        let got: Vec<usize> = (0..5)
            .map(|_| f.decide(Step::Ack, &mut rng).len())
            .collect();
        assert_eq!(got, vec![1, 0, 0, 1, 1]);
        assert_eq!(f.decide(Step::Reply, &mut rng), vec![0]);
    }

    #[test]
    fn random_mix_is_replayable() {
        let mix = FaultMix {
            drop_per_mille: 100,
            delay_per_mille: 100,
            delay_ms_max: 50,
            duplicate_per_mille: 100,
            ..FaultMix::none()
        };
        let run = |seed| {
            let mut f = Faults::new(2);
            f.mix = mix;
            let mut rng = Rng::new(seed);
            (0..200)
                .map(|_| f.decide(Step::Replicate, &mut rng))
                .collect::<Vec<_>>()
        };
        assert_eq!(run(9), run(9));
        assert!(run(9).iter().any(|d| d.is_empty()), "some drops at 10%");
    }
}
