//! The seed's uncertainty table (seed 003, record-model.md §21) as tests: for each fault of each
//! step of the write sequence, what the client sees — success, Timeout with `in_doubt`, or an
//! error without it — and what each node holds afterwards. Every cluster is seeded and simulated,
//! so each case replays exactly.

mod replication_support;

use aerolite::replication::{MessageFault, MessageRule, Step};
use aerolite::{Error, ResultCode};
use replication_support::*;

fn rule(step: Step, count: u32, fault: MessageFault) -> MessageRule {
    MessageRule {
        step,
        skip: 0,
        count,
        fault,
    }
}

/// CL-ALL, no fault: success; master and replica hold the identical version (bins, generation,
/// void-time, LUT), installed — not re-executed — on the replica, and advised as replicated.
#[test]
fn cl_all_no_fault_success_and_identical_copies() {
    let (_dirs, mut c, mut cl) = cluster(2);
    let k = key("a");
    let r = cl.operate(&mut c, &wp(100), &k, &add(5)).expect("write");
    assert_eq!(r.generation, 1);
    c.settle(1000);
    let m = c.version_on(0, &k).expect("read").expect("master holds");
    for n in 1..3 {
        let v = c.version_on(n, &k).expect("read").expect("replica holds");
        assert_eq!(v, m, "replica {n} holds the master's exact version");
        let node = c.node(n).expect("node");
        assert!(node
            .advised
            .contains_key(&aerolite::replication::RecKey::of(&k)));
    }
    assert_eq!(c.ground_truth().applications().len(), 1);
}

/// Step 1 dropped: Timeout with in_doubt (ID-FORMULA: sent = 1, code 9), although nothing was
/// applied anywhere — the client cannot know (ID-NO-ORACLE).
#[test]
fn id_no_oracle_request_dropped_is_in_doubt_yet_not_applied() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.faults()
        .add_rule(rule(Step::Request, 1, MessageFault::Drop))
        .expect("a message step");
    let k = key("a");
    let e = fails(cl.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    c.settle(1000);
    assert_eq!(gen_on(&c, 0, &k), None);
    assert_eq!(gen_on(&c, 1, &k), None);
    assert!(c.ground_truth().applications().is_empty());
}

/// Step 2 slow (slow master storage past the deadline): Timeout in doubt, and the write is never
/// applied, not even later (CL-TIMEOUT-QUEUED, CL-NEVER-LATE).
#[test]
fn cl_timeout_queued_slow_storage_never_applied_later() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.set_storage_delay(0, 250);
    let k = key("a");
    let e = fails(cl.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    c.settle(5000);
    assert_eq!(
        gen_on(&c, 0, &k),
        None,
        "never applied after the call returned"
    );
    assert_eq!(gen_on(&c, 1, &k), None);
    assert_eq!(c.ground_truth().expired_attempts().len(), 1);
}

/// A write queued behind an in-flight write of the same record times out and is never applied
/// (CL-TIMEOUT-QUEUED), while the first write stays applied on the master (CL-TIMEOUT-REPLICA).
#[test]
fn cl_timeout_queued_behind_in_flight_write() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("a");
    cl.operate(&mut c, &wp(100), &k, &add(1))
        .expect("first write");
    c.partition(1);
    let e1 = fails(cl.operate(&mut c, &wp(100), &k, &add(10)));
    assert_err(&e1, ResultCode::Timeout, true);
    let e2 = fails(cl.touch(&mut c, &wp(50), &k));
    assert_err(&e2, ResultCode::Timeout, true);
    c.settle(5000);
    assert_eq!(
        n_on(&c, 0, &k),
        Some(11),
        "the in-flight write stays applied"
    );
    assert_eq!(gen_on(&c, 0, &k), Some(2), "the queued touch never applied");
    assert_eq!(
        gen_on(&c, 1, &k),
        Some(1),
        "the partitioned replica missed it"
    );
}

/// Step 3 lost once: the master re-sends the update; success within the timeout.
#[test]
fn step3_single_drop_is_repaired_by_resend() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.faults()
        .add_rule(rule(Step::Replicate, 1, MessageFault::Drop))
        .expect("a message step");
    let k = key("a");
    cl.operate(&mut c, &wp(100), &k, &add(1)).expect("success");
    assert_eq!(gen_on(&c, 1, &k), Some(1));
}

/// Step 3 never arrives (replica partitioned): Timeout in doubt; the master holds the write, the
/// replica does not; no rollback later (CL-TIMEOUT-REPLICA, WP-21: 9 with the write applied).
#[test]
fn cl_timeout_replica_partitioned_master_keeps_write() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.partition(1);
    let k = key("a");
    let e = fails(cl.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    assert_eq!(gen_on(&c, 0, &k), Some(1));
    assert_eq!(gen_on(&c, 1, &k), None);
    c.settle(5000);
    assert_eq!(gen_on(&c, 0, &k), Some(1), "no rollback");
}

/// Step 4 lost (every ack within the timeout): Timeout in doubt; both nodes hold the write.
#[test]
fn cl_timeout_replica_acks_lost_both_hold() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.faults()
        .add_rule(rule(Step::Ack, 1000, MessageFault::Drop))
        .expect("a message step");
    let k = key("a");
    let e = fails(cl.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    assert_eq!(gen_on(&c, 0, &k), Some(1));
    assert_eq!(gen_on(&c, 1, &k), Some(1));
}

/// Step 5 lost or late: Timeout in doubt; the write is applied on both nodes.
#[test]
fn step5_reply_dropped_or_late_is_in_doubt_but_applied() {
    for fault in [MessageFault::Drop, MessageFault::Delay(500)] {
        let (_dirs, mut c, mut cl) = cluster(1);
        c.faults()
            .add_rule(rule(Step::Reply, 1, fault))
            .expect("a message step");
        let k = key("a");
        let e = fails(cl.operate(&mut c, &wp(100), &k, &add(1)));
        assert_err(&e, ResultCode::Timeout, true);
        c.settle(1000);
        assert_eq!(gen_on(&c, 0, &k), Some(1), "{fault:?}");
        assert_eq!(gen_on(&c, 1, &k), Some(1), "{fault:?}");
    }
}

/// Step 6 lost: success; the replica holds the version but, not advised, does not serve it on
/// its own: with the master down its read times out, while an advised record is served locally.
#[test]
fn step6_advisory_lost_replica_consults_master() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let (k1, k2) = (key("advised"), key("unadvised"));
    cl.operate(&mut c, &wp(100), &k1, &add(1)).expect("write 1");
    c.faults()
        .add_rule(rule(Step::Advise, 1, MessageFault::Drop))
        .expect("a message step");
    cl.operate(&mut c, &wp(100), &k2, &add(1)).expect("write 2");
    c.run_for(10);
    assert_eq!(gen_on(&c, 1, &k2), Some(1), "replica holds it");
    c.partition(0);
    let rp = aerolite::ReadPolicy {
        total_timeout: Some(std::time::Duration::from_millis(50)),
        ..Default::default()
    };
    let r = cl
        .get_from(&mut c, 1, &rp, &k1, aerolite::Bins::All)
        .expect("advised record served by the replica");
    assert_eq!(r.generation, 1);
    let e = fails(cl.get_from(&mut c, 1, &rp, &k2, aerolite::Bins::All));
    assert_err(&e, ResultCode::Timeout, false);
}

/// Duplicates of every message step: one application, success (requests are de-duplicated by
/// the transport, updates/acks/advisories by their version tag).
#[test]
fn duplicated_messages_of_every_step_apply_once() {
    for step in MESSAGE_STEPS {
        let (_dirs, mut c, mut cl) = cluster(1);
        c.faults()
            .add_rule(rule(step, 10, MessageFault::Duplicate))
            .expect("a message step");
        let k = key("a");
        cl.operate(&mut c, &wp(100), &k, &add(1)).expect("success");
        c.settle(1000);
        assert_eq!(n_on(&c, 0, &k), Some(1), "{step:?}");
        assert_eq!(n_on(&c, 1, &k), Some(1), "{step:?}");
        assert_eq!(c.ground_truth().applications().len(), 1, "{step:?}");
    }
}

/// The master crashes after step 2, 3, 4 or 5: what the client sees and what each node holds,
/// before and after the automatic failover to the replica (new regime).
#[test]
fn master_crash_after_each_step() {
    // (step, client sees success?, replica holds the write?)
    let table = [
        (Step::Apply, false, false),
        (Step::Replicate, false, true),
        (Step::Ack, false, true),
        (Step::Reply, true, true),
    ];
    for (step, success, replica_holds) in table {
        let (_dirs, mut c, mut cl) = cluster(1);
        c.faults().crash_master_after(step).expect("crash step");
        let k = key("a");
        let r = cl.operate(&mut c, &wp(100), &k, &add(1));
        match (&r, success) {
            (Ok(_), true) => {}
            (Err(e), false) => assert_err(e, ResultCode::Timeout, true),
            _ => panic!("{step:?}: unexpected {r:?}"),
        }
        assert_eq!(
            gen_on(&c, 0, &k),
            Some(1),
            "{step:?}: the old master applied"
        );
        assert_eq!(gen_on(&c, 1, &k).is_some(), replica_holds, "{step:?}");
        c.run_for(500);
        assert_eq!(c.route(), 1, "{step:?}: replica promoted");
        assert_eq!(c.regime(), 2, "{step:?}: new regime");
        // What the new master answers is what the replica held.
        let got = cl.get(&mut c, &Default::default(), &k, aerolite::Bins::All);
        assert_eq!(got.is_ok(), replica_holds, "{step:?}: {got:?}");
    }
}

/// CL-REPLICA-ROLE, RC-11, ID-DEFINITIVE: a write submitted to a replica → 11, not in doubt, not
/// applied.
#[test]
fn cl_replica_role_write_to_replica_is_11_not_in_doubt() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("a");
    let e = fails(cl.operate_on(&mut c, Some(1), &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::PartitionUnavailable, false);
    assert_eq!(gen_on(&c, 0, &k), None);
    assert_eq!(gen_on(&c, 1, &k), None);
}

/// ID-DEFINITIVE: a positive code other than 9 on the only attempt is not in doubt.
/// ID-RETRIED: after a retry every error is in doubt — here the retry's 5 hides that the first
/// attempt created the record.
#[test]
fn id_definitive_and_id_retried() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("a");
    let create = aerolite::WritePolicy {
        record_exists_action: aerolite::RecordExistsAction::CreateOnly,
        ..wp(100)
    };
    cl.operate(&mut c, &create, &k, &add(1)).expect("create");
    let e = fails(cl.operate(&mut c, &create, &k, &add(1)));
    assert_err(&e, ResultCode::KeyExistsError, false);

    let k2 = key("b");
    c.faults()
        .add_rule(rule(Step::Reply, 1, MessageFault::Drop))
        .expect("a message step");
    let retrying = aerolite::WritePolicy {
        max_retries: 1,
        ..create
    };
    let e = fails(cl.operate(&mut c, &retrying, &k2, &add(1)));
    assert_err(&e, ResultCode::KeyExistsError, true);
    assert_eq!(cl.last_call().sent, 2);
    assert_eq!(gen_on(&c, 0, &k2), Some(1), "the first attempt applied");
}

/// ID-READS: a read that times out is never in doubt.
#[test]
fn id_reads_never_in_doubt() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("a");
    c.faults()
        .add_rule(rule(Step::Request, 1, MessageFault::Drop))
        .expect("a message step");
    let rp = aerolite::ReadPolicy {
        total_timeout: Some(std::time::Duration::from_millis(50)),
        ..Default::default()
    };
    let e = fails(cl.get(&mut c, &rp, &k, aerolite::Bins::All));
    assert_err(&e, ResultCode::Timeout, false);
}

/// ID-RETRY-POLICY, CFG-MAX-RETRIES: max_retries defaults to 0; retries follow only Timeout or a
/// client-side error; ID-SENT counts every submitted attempt.
#[test]
fn id_retry_policy_and_id_sent() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("a");
    assert_eq!(aerolite::WritePolicy::default().max_retries, 0);
    c.faults()
        .add_rule(rule(Step::Request, 4, MessageFault::Drop))
        .expect("a message step");
    let e = fails(cl.operate(&mut c, &wp(50), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    assert_eq!(cl.last_call().sent, 1, "default: no retry");
    let p = aerolite::WritePolicy {
        max_retries: 2,
        ..wp(50)
    };
    let e = fails(cl.operate(&mut c, &p, &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    assert_eq!(cl.last_call().sent, 3);
    // No retry after a definitive code.
    let create = aerolite::WritePolicy {
        record_exists_action: aerolite::RecordExistsAction::CreateOnly,
        max_retries: 3,
        ..wp(50)
    };
    cl.operate(&mut c, &create, &k, &add(1)).expect("create");
    let e = fails(cl.operate(&mut c, &create, &k, &add(1)));
    assert_err(&e, ResultCode::KeyExistsError, false);
    assert_eq!(cl.last_call().sent, 1);
}

/// ID-SENT: an attempt refused before submission (the node is down) is not counted: the
/// ClientError of a call that never submitted anything is not in doubt.
#[test]
fn id_sent_refused_connection_not_counted() {
    let (mut cfg, _dirs) = config(1);
    cfg.auto_failover = false;
    let mut c = aerolite::replication::Cluster::new(cfg).expect("cluster");
    let mut cl = c.new_client();
    c.crash(0);
    let k = key("a");
    let e = fails(cl.operate(&mut c, &wp(50), &k, &add(1)));
    assert_err(&e, ResultCode::ClientError, false);
    assert_eq!(cl.last_call().sent, 0);
}

/// ID-FORMULA over a mix of outcomes: the flag always equals the formula of (sent, code).
#[test]
fn id_formula_holds_for_every_outcome() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let mix = aerolite::replication::FaultMix {
        drop_per_mille: 150,
        delay_per_mille: 100,
        delay_ms_max: 150,
        duplicate_per_mille: 50,
        ..Default::default()
    };
    c.faults().mix = mix;
    let mut seen = std::collections::BTreeSet::new();
    for i in 0..200u32 {
        let p = aerolite::WritePolicy {
            max_retries: i % 3,
            record_exists_action: if i % 2 == 0 {
                aerolite::RecordExistsAction::Update
            } else {
                aerolite::RecordExistsAction::CreateOnly
            },
            ..wp(60)
        };
        let k = key(&format!("k{}", i % 7));
        if let Err(e) = cl.operate(&mut c, &p, &k, &add(1)) {
            let sent = cl.last_call().sent;
            assert_eq!(
                e.in_doubt(),
                Error::in_doubt_formula(true, sent, e.code()),
                "{e} after {sent} attempts"
            );
            seen.insert((e.code(), sent));
        }
    }
    assert!(
        seen.contains(&(ResultCode::KeyExistsError, 1)) && seen.len() >= 4,
        "the mix produced definitive and in-doubt outcomes: {seen:?}"
    );
}

/// Slow replica storage: the ack comes after the deadline: Timeout in doubt (CL-TIMEOUT-REPLICA);
/// the master holds the write at once, the replica once its storage catches up.
#[test]
fn slow_replica_storage_timeout_in_doubt_then_replicated() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.set_storage_delay(1, 250);
    let k = key("a");
    let e = fails(cl.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    assert_eq!(gen_on(&c, 0, &k), Some(1));
    assert_eq!(gen_on(&c, 1, &k), None, "not yet");
    c.settle(2000);
    assert_eq!(gen_on(&c, 1, &k), Some(1));
    assert_eq!(
        c.ground_truth().applications().len(),
        1,
        "re-sends never re-apply"
    );
}

/// A crashed replica: writes time out in doubt until it leaves the cluster (heartbeat timeout);
/// then CommitAll succeeds with the master alone; on restart the replica rejoins and catches up.
#[test]
fn crashed_replica_leaves_then_rejoins() {
    let (_dirs, mut c, mut cl) = cluster(1);
    let k = key("a");
    c.crash(1);
    let e = fails(cl.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    c.run_for(300);
    assert_eq!(c.members(), &[0]);
    cl.operate(&mut c, &wp(100), &k, &add(1))
        .expect("master alone");
    c.restart(1);
    assert_eq!(c.members(), &[0, 1]);
    assert_eq!(n_on(&c, 1, &k), Some(2));
    cl.operate(&mut c, &wp(100), &k, &add(1))
        .expect("replicated again");
    assert_eq!(n_on(&c, 1, &k), Some(3));
}

/// CL-NEVER-LATE with a retry: the first attempt's request arrives after its deadline, while
/// the retry applies; the late copy is discarded, so the write applies once.
#[test]
fn cl_never_late_late_first_attempt_is_discarded() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.faults()
        .add_rule(rule(Step::Request, 1, MessageFault::Delay(150)))
        .expect("a message step");
    let k = key("a");
    let p = aerolite::WritePolicy {
        max_retries: 1,
        ..wp(100)
    };
    cl.operate(&mut c, &p, &k, &add(1))
        .expect("the retry applies");
    assert_eq!(cl.last_call().sent, 2);
    c.settle(1000);
    assert_eq!(n_on(&c, 0, &k), Some(1), "applied once");
    assert_eq!(
        c.ground_truth().expired_attempts().len(),
        1,
        "the late attempt discarded"
    );
}

/// Without a policy timeout the client waits the cluster's default (1000 ms simulated).
#[test]
fn default_client_timeout_is_1000_ms() {
    let (_dirs, mut c, mut cl) = cluster(1);
    c.faults()
        .add_rule(rule(Step::Request, 1, MessageFault::Drop))
        .expect("a message step");
    let t0 = c.now_ms();
    let e = fails(cl.operate(
        &mut c,
        &aerolite::WritePolicy::default(),
        &key("a"),
        &add(1),
    ));
    assert_err(&e, ResultCode::Timeout, true);
    assert_eq!(c.now_ms() - t0, 1000);
}
