//! Seed 003 in a few lines: a replicated write whose reply is lost ends in doubt; a blind retry
//! would debit twice; `operate_once` re-submits safely and reports "already applied".
//!
//! Run: `cargo run --example in_doubt`

use aerolite::replication::{
    operate_once_with_stats, Cluster, ClusterConfig, MessageFault, MessageRule, OnCluster,
    OnceOutcome, OncePolicy, Step,
};
use aerolite::{operations, Bin, Key, WritePolicy};
use std::time::Duration;

fn main() -> aerolite::Result<()> {
    let mut cluster = Cluster::new(ClusterConfig::new(1).seed(7))?;
    let mut client = cluster.new_client();
    let key = Key::new("test", "accounts", "alice")?;
    let policy = WritePolicy {
        total_timeout: Some(Duration::from_millis(100)),
        ..WritePolicy::default()
    };
    let debit = [operations::add(&Bin::new("balance", -10))];

    // Lose the master's reply (step 5) of the next write.
    cluster.faults().add_rule(MessageRule {
        step: Step::Reply,
        skip: 0,
        count: 1,
        fault: MessageFault::Drop,
    })?;
    let once = OncePolicy {
        write: policy,
        ..OncePolicy::default()
    };
    let mut target = OnCluster {
        client: &mut client,
        cluster: &mut cluster,
    };
    let (outcome, stats) = operate_once_with_stats(&mut target, &once, &key, "tx-42", &debit);
    let said = match &outcome {
        Ok(OnceOutcome::Applied(_)) => "applied by this call".to_string(),
        Ok(OnceOutcome::AlreadyApplied) => "already applied (24 from the tag guard)".to_string(),
        Err(e) => format!("failed: {e}"),
    };
    println!(
        "operate_once: {said}, after {} submissions ({} in doubt)",
        stats.submissions, stats.in_doubt
    );
    let v = cluster.version_on(cluster.route(), &key)?;
    let balance = v.and_then(|v| v.bins.get("balance").cloned());
    println!("balance on the master: {balance:?} (debited once)");
    Ok(())
}
