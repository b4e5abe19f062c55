//! Seed 003 through the official Rust client (`aerospike` 3.x): a debit whose reply is lost ends
//! in doubt. A blind retry debits twice; the exactly-once write tags the debit with a txn id in a
//! key-ordered map bin `txns` with the CREATE_ONLY map write flag, in the same `operate` as the
//! debit (record-model.md §22.2, docs/semantics.md). The retry of an in-doubt write is then safe:
//! if the first attempt was applied, the tag exists and the whole `operate` answers 24
//! (ElementExists) and changes nothing — "already applied"; otherwise the retry applies it.
//! The same story as `aerolite scenario in-doubt` (src/cli/scenario_in_doubt.rs), where the
//! lost reply comes from the replication stub's fault injection; here it comes from a proxy
//! that forwards the write and throws the server's answer away (proxy.rs), so the client sees a
//! real in-doubt connection error.
//!
//! The check: every lost reply surfaced as in doubt, every in-doubt retry answered "already
//! applied", the balance moved by exactly the sum of the debits and `txns` holds one tag each.

use crate::proxy::Proxy;
use crate::seed000::Rng;
use aerospike::operations::{self, maps, MapOrder};
use aerospike::{
    as_bin, Bins, Client, Key, MapPolicy, MapWriteFlags, ReadPolicy, RecordExistsAction, Value,
    WritePolicy,
};
use std::time::{SystemTime, UNIX_EPOCH};

const ELEMENT_EXISTS: i32 = 24;
/// Attempts per debit: one lost reply, then the retry; more only if replies keep getting lost.
const MAX_ATTEMPTS: u32 = 8;
const START_BALANCE: i64 = 1_000_000;

/// Sizes of one run.
#[derive(Debug, Clone)]
pub struct OnceConfig {
    pub namespace: String,
    pub set: String,
    pub debits: u64,
    pub amount: i64,
    /// One debit in this many loses its first reply.
    pub lose_one_in: u64,
    pub seed: u64,
}

impl Default for OnceConfig {
    fn default() -> Self {
        OnceConfig {
            namespace: "test".into(),
            set: "accounts".into(),
            debits: 200,
            amount: 10,
            lose_one_in: 3,
            seed: 3,
        }
    }
}

/// What happened.
#[derive(Debug, Clone, Default)]
pub struct OnceReport {
    /// Balance after one debit of `amount` with a lost reply and a blind retry.
    pub blind_balance: i64,
    pub blind_in_doubt: bool,
    pub debits: u64,
    pub replies_lost: u64,
    pub in_doubt: u64,
    pub already_applied: u64,
    pub balance: i64,
    pub expected_balance: i64,
    pub tags: i64,
}

impl OnceReport {
    /// The exactly-once check; `Err` says what broke.
    pub fn check(&self) -> Result<(), String> {
        let mut broken = Vec::new();
        if self.in_doubt != self.replies_lost {
            broken.push(format!(
                "{} replies lost but {} writes reported in doubt",
                self.replies_lost, self.in_doubt
            ));
        }
        if self.already_applied != self.in_doubt {
            broken.push(format!(
                "{} in-doubt writes (all applied by the server) but {} retries said already applied",
                self.in_doubt, self.already_applied
            ));
        }
        if self.balance != self.expected_balance || self.tags != self.debits as i64 {
            broken.push(format!(
                "balance {} (expected {}), {} txn tags for {} debits",
                self.balance, self.expected_balance, self.tags, self.debits
            ));
        }
        if broken.is_empty() {
            Ok(())
        } else {
            Err(broken.join("; "))
        }
    }

    pub fn print(&self, cfg: &OnceConfig) {
        println!(
            "seed 003: blind retry of a debit of {} whose reply was lost (in doubt: {}): \
             balance {} -> {} (debited twice)",
            cfg.amount, self.blind_in_doubt, START_BALANCE, self.blind_balance
        );
        println!(
            "  exactly-once: {} debits, {} replies lost by the proxy, {} in doubt, \
             {} retries answered 24 (already applied)",
            self.debits, self.replies_lost, self.in_doubt, self.already_applied
        );
        println!(
            "  balance {} (expected {}), {} txn tags",
            self.balance, self.expected_balance, self.tags
        );
    }
}

fn no_retry() -> WritePolicy {
    let mut p = WritePolicy::default();
    // The client's own retry would resend the write after a lost reply; the example retries
    // itself, to show what the application sees.
    p.base_policy.max_retries = 0;
    p
}

async fn open_account(client: &Client, key: &Key) -> Result<(), String> {
    let replace = WritePolicy {
        record_exists_action: RecordExistsAction::Replace,
        ..WritePolicy::default()
    };
    client
        .put(&replace, key, &[as_bin!("balance", START_BALANCE)])
        .await
        .map_err(|e| format!("opening {key}: {e}"))
}

async fn balance_and_tags(client: &Client, key: &Key) -> Result<(i64, i64), String> {
    let rec = client
        .get(&ReadPolicy::default(), key, Bins::All)
        .await
        .map_err(|e| format!("reading {key}: {e}"))?;
    let int = |v: Option<&Value>| match v {
        Some(Value::Int(n)) => *n,
        _ => 0,
    };
    let tags = match rec.bins.get("txns") {
        Some(Value::HashMap(m)) => m.len() as i64,
        Some(Value::OrderedMap(m)) => m.len() as i64,
        Some(Value::SortedMap(m)) => m.len() as i64,
        Some(Value::KeyValueList(m)) => m.len() as i64,
        _ => 0,
    };
    Ok((int(rec.bins.get("balance")), tags))
}

/// A debit with a lost reply, then the naive retry: the same request again.
async fn blind(
    client: &Client,
    direct: &Client,
    proxy: &Proxy,
    cfg: &OnceConfig,
) -> Result<(i64, bool), String> {
    let key = Key::new(cfg.namespace.clone(), cfg.set.clone(), Value::from("bob"))
        .map_err(|e| e.to_string())?;
    open_account(direct, &key).await?;
    let debit = [operations::add(&as_bin!("balance", -cfg.amount))];
    proxy.drop_next_replies(1);
    let in_doubt = match client.operate(&no_retry(), &key, &debit).await {
        Err(e) => e.in_doubt(),
        Ok(_) => false,
    };
    client
        .operate(&no_retry(), &key, &debit)
        .await
        .map_err(|e| format!("blind retry: {e}"))?;
    Ok((balance_and_tags(direct, &key).await?.0, in_doubt))
}

/// One tagged debit, retried until the answer is definitive. Returns (in doubt, already applied).
async fn debit_once(
    client: &Client,
    key: &Key,
    txn: &str,
    amount: i64,
) -> Result<(u64, u64), String> {
    let tag_policy = MapPolicy::new(MapOrder::KeyOrdered, MapWriteFlags::CREATE_ONLY);
    let at_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let ops = [
        maps::put(&tag_policy, "txns", Value::from(txn), Value::from(at_ms)),
        operations::add(&as_bin!("balance", -amount)),
    ];
    let mut in_doubt = 0;
    for _ in 0..MAX_ATTEMPTS {
        match client.operate(&no_retry(), key, &ops).await {
            Ok(_) => return Ok((in_doubt, 0)),
            // The tag is there: an earlier attempt was applied; this one changed nothing.
            Err(e) if e.result_code() == ELEMENT_EXISTS => return Ok((in_doubt, 1)),
            Err(e) if e.in_doubt() => in_doubt += 1,
            Err(e) => return Err(format!("debit {txn}: {e}")),
        }
    }
    Err(format!(
        "debit {txn}: still in doubt after {MAX_ATTEMPTS} attempts"
    ))
}

/// Run the seed: `client` talks through `proxy`, `direct` straight to the server.
pub async fn run(
    client: &Client,
    direct: &Client,
    proxy: &Proxy,
    cfg: &OnceConfig,
) -> Result<OnceReport, String> {
    let mut r = OnceReport::default();
    (r.blind_balance, r.blind_in_doubt) = blind(client, direct, proxy, cfg).await?;
    let key = Key::new(cfg.namespace.clone(), cfg.set.clone(), Value::from("alice"))
        .map_err(|e| e.to_string())?;
    open_account(direct, &key).await?;
    let mut rng = Rng::new(cfg.seed);
    let lost_before = proxy.dropped();
    for d in 0..cfg.debits {
        if rng.below(cfg.lose_one_in) == 0 {
            proxy.drop_next_replies(1);
        }
        let (doubt, applied) = debit_once(client, &key, &format!("tx-{d}"), cfg.amount).await?;
        r.in_doubt += doubt;
        r.already_applied += applied;
    }
    r.debits = cfg.debits;
    r.replies_lost = proxy.dropped() - lost_before;
    r.expected_balance = START_BALANCE - cfg.amount * cfg.debits as i64;
    (r.balance, r.tags) = balance_and_tags(direct, &key).await?;
    Ok(r)
}
