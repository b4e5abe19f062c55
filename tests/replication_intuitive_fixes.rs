//! The seed's two "intuitive" solutions fail as it says (seed 003, "Potential solution 1 / 2").
//!
//! 1. Polling read-back cannot tell whether an in-doubt write applied: with later updates two
//!    different truths look identical; while the write is in flight the master returns the prior
//!    version and a touch queues behind the write and times out; after a failover the answer
//!    depends on whether the write reached the new master, which the client cannot see.
//! 2. Blindly retrying a non-idempotent write duplicates it when the first attempt had applied,
//!    including when it had reached the new master before a failover.

mod replication_support;

use aerolite::replication::{MessageFault, MessageRule, Step};
use aerolite::{Bins, ReadPolicy, ResultCode};
use replication_support::*;

fn drop_next(c: &mut aerolite::replication::Cluster, step: Step) {
    c.faults()
        .add_rule(MessageRule {
            step,
            skip: 0,
            count: 1,
            fault: MessageFault::Drop,
        })
        .expect("a message step");
}

/// Case 1: A's write is in doubt and B writes afterwards. In world X A's write applied (its
/// reply was lost) and B wrote once; in world Y A's request was lost and B wrote twice. A's
/// read-back sees the same bins and generation in both: the outcome cannot be told.
#[test]
fn polling_case1_later_updates_hide_the_outcome() {
    let observe = |a_applied: bool| {
        let (_dirs, mut c, mut a) = cluster(1);
        let mut b = c.new_client();
        let k = key("a");
        let put = |v: i64| vec![aerolite::operations::put(&aerolite::Bin::new("v", v))];
        a.operate(&mut c, &wp(100), &k, &put(0)).expect("setup");
        drop_next(
            &mut c,
            if a_applied {
                Step::Reply
            } else {
                Step::Request
            },
        );
        let e = fails(a.operate(&mut c, &wp(100), &k, &put(1)));
        assert_err(&e, ResultCode::Timeout, true);
        let b_writes = if a_applied { 1 } else { 2 };
        for _ in 0..b_writes {
            b.operate(&mut c, &wp(100), &k, &put(2)).expect("B writes");
        }
        let call = a.last_call().call.expect("call");
        let seen = a
            .get(&mut c, &ReadPolicy::default(), &k, Bins::All)
            .expect("read back");
        (seen.generation, seen.bins, c.count_call(0, &k, call))
    };
    let (gx, bx, truth_x) = observe(true);
    let (gy, by, truth_y) = observe(false);
    assert_eq!((gx, &bx), (gy, &by), "the read-backs are identical");
    assert_eq!((truth_x, truth_y), (1, 0), "but the truths differ");
}

/// Case 2, same master: while the write is in flight the master returns the prior version, and a
/// touch queued behind the write times out; the write completes afterwards.
#[test]
fn polling_case2_in_flight_read_returns_prior_and_touch_times_out() {
    let (_dirs, mut c, mut a) = cluster(1);
    let k = key("a");
    a.operate(&mut c, &wp(100), &k, &add(1)).expect("setup");
    c.faults()
        .add_rule(MessageRule {
            step: Step::Ack,
            skip: 0,
            count: 20,
            fault: MessageFault::Drop,
        })
        .expect("a message step");
    let e = fails(a.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    let rp = ReadPolicy {
        total_timeout: Some(std::time::Duration::from_millis(100)),
        ..Default::default()
    };
    let seen = a.get(&mut c, &rp, &k, Bins::All).expect("read back");
    assert_eq!(seen.generation, 1, "prior version: looks not applied");
    let e = fails(a.touch(&mut c, &wp(100), &k));
    assert_err(&e, ResultCode::Timeout, true);
    c.settle(2000);
    let after = a.get(&mut c, &rp, &k, Bins::All).expect("read later");
    assert_eq!(
        after.bin("n"),
        Some(&aerolite::Value::Int(2)),
        "it had applied"
    );
}

/// Case 2, new master: after the failover the read-back answer depends on whether the write was
/// replicated before the crash (crash after step 3) or not (after step 2); the client saw the
/// same Timeout with in_doubt in both.
#[test]
fn polling_case2_new_master_answer_depends_on_unseen_replication() {
    let mut answers = Vec::new();
    for step in [Step::Apply, Step::Replicate] {
        let (_dirs, mut c, mut a) = cluster(1);
        let k = key("a");
        a.operate(&mut c, &wp(100), &k, &add(1)).expect("setup");
        c.faults().crash_master_after(step).expect("crash step");
        let e = fails(a.operate(&mut c, &wp(100), &k, &add(1)));
        assert_err(&e, ResultCode::Timeout, true);
        c.run_for(500);
        assert_eq!(c.route(), 1);
        let seen = a
            .get(&mut c, &ReadPolicy::default(), &k, Bins::All)
            .expect("read the new master");
        answers.push(seen.generation);
    }
    assert_eq!(answers, vec![1, 2], "same client view, different answers");
}

/// Solution 2: a blind retry after a lost reply applies the add twice.
#[test]
fn blind_retry_duplicates_after_lost_reply() {
    let (_dirs, mut c, mut a) = cluster(1);
    let k = key("a");
    drop_next(&mut c, Step::Reply);
    let e = fails(a.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    a.operate(&mut c, &wp(100), &k, &add(1))
        .expect("blind retry");
    c.settle(1000);
    assert_eq!(n_on(&c, 0, &k), Some(2), "one logical +1 counted twice");
    assert_eq!(n_on(&c, 1, &k), Some(2));
}

/// Solution 2: a blind retry on the new master duplicates a write that was replicated to it
/// before the old master crashed.
#[test]
fn blind_retry_duplicates_on_new_master() {
    let (_dirs, mut c, mut a) = cluster(1);
    let k = key("a");
    c.faults()
        .crash_master_after(Step::Replicate)
        .expect("crash step");
    let e = fails(a.operate(&mut c, &wp(100), &k, &add(1)));
    assert_err(&e, ResultCode::Timeout, true);
    c.run_for(500);
    a.operate(&mut c, &wp(100), &k, &add(1))
        .expect("retry on new master");
    assert_eq!(n_on(&c, 1, &k), Some(2), "duplicated on the new master");
}
