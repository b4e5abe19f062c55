//! Commit levels (record-model.md §21 CL-ALL, CL-MASTER, CL-NO-REPLICA) on the simulated replica
//! set: when the call returns and what each node holds at that moment.

mod replication_support;

use aerolite::replication::{MessageFault, MessageRule, Step};
use aerolite::{CommitLevel, ResultCode, WritePolicy};
use replication_support::*;

fn level(l: CommitLevel, timeout_ms: u64) -> WritePolicy {
    WritePolicy {
        commit_level: l,
        ..wp(timeout_ms)
    }
}

/// CL-ALL, CFG-COMMIT-LEVEL: CommitAll is the default; the call returns only after the replica
/// acknowledged, so at return the replica holds the write; with acks delayed the call waits for
/// them (and returns later).
#[test]
fn cl_all_returns_after_replica_ack() {
    assert_eq!(WritePolicy::default().commit_level, CommitLevel::CommitAll);
    let (_dirs, mut c, mut cl) = cluster(1);
    c.faults()
        .add_rule(MessageRule {
            step: Step::Ack,
            skip: 0,
            count: 1,
            fault: MessageFault::Delay(15),
        })
        .expect("a message step");
    let k = key("a");
    let t0 = c.now_ms();
    cl.operate(&mut c, &level(CommitLevel::CommitAll, 100), &k, &add(1))
        .expect("success");
    assert!(c.now_ms() - t0 >= 15, "waited for the delayed ack");
    assert_eq!(gen_on(&c, 1, &k), Some(1), "replica holds it at return");
}

/// CL-MASTER: the call returns after the master applied, without waiting: success even with the
/// replica partitioned, while CommitAll times out in doubt in the same situation.
#[test]
fn cl_master_returns_without_replica() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.partition(1);
    let k = key("a");
    let r = cl
        .operate(&mut c, &level(CommitLevel::CommitMaster, 100), &k, &add(1))
        .expect("CommitMaster succeeds");
    assert_eq!(r.generation, 1);
    assert_eq!(gen_on(&c, 0, &k), Some(1));
    assert_eq!(gen_on(&c, 1, &k), None);
    let k2 = key("b");
    let e = fails(cl.operate(&mut c, &level(CommitLevel::CommitAll, 100), &k2, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
}

/// CL-MASTER with a healthy replica: the replica still receives the copy shortly after.
#[test]
fn cl_master_still_replicates() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("a");
    cl.operate(&mut c, &level(CommitLevel::CommitMaster, 100), &k, &add(1))
        .expect("success");
    c.settle(100);
    assert_eq!(
        c.version_on(1, &k).expect("read"),
        c.version_on(0, &k).expect("read")
    );
}

/// CL-NO-REPLICA: without replicas both levels reply at once, with the same result.
#[test]
fn cl_no_replica_levels_alike() {
    for l in [CommitLevel::CommitAll, CommitLevel::CommitMaster] {
        let (_dirs, mut c, mut cl) = cluster(0);
        let k = key("a");
        let t0 = c.now_ms();
        let r = cl
            .operate(&mut c, &level(l, 100), &k, &add(2))
            .expect("success");
        assert_eq!(r.generation, 1);
        assert_eq!(c.now_ms() - t0, 2, "{l:?}: one round trip of 1 ms each way");
        assert_eq!(n_on(&c, 0, &k), Some(2));
    }
}
