//! Seed 000, scenario B, through the official Rust client: the record's TTL passes between the
//! writer's read (generation G) and its `Update` + `ExpectGenEqual(G)` write. The write answers 3
//! (GenerationError: an expired record has generation 0, not G — SA-RETRY-1), never 2; the
//! re-read answers 2 (KeyNotFound); the re-create with `ExpectGenEqual(0)` succeeds
//! (SA-RETRY-2). Deterministic: one record, a 1 s TTL and a wait past it.

use aerospike::{
    as_bin, Bins, Client, Expiration, GenerationPolicy, Key, ReadPolicy, RecordExistsAction, Value,
    WritePolicy,
};
use std::time::Duration;

/// Long enough for a 1 s TTL to pass whatever the sub-second phase of the server's clock.
const WAIT_PAST_TTL: Duration = Duration::from_millis(2100);

/// The result code of each step (0 = success).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TtlReport {
    pub write_after_expiry: i32,
    pub reread: i32,
    pub recreate: i32,
    pub recreated_generation: u32,
}

impl TtlReport {
    pub fn check(&self) -> Result<(), String> {
        if (self.write_after_expiry, self.reread, self.recreate) == (3, 2, 0) {
            Ok(())
        } else {
            Err(format!(
                "expected codes 3 (write at G after expiry), 2 (re-read), 0 (re-create), got {:?}",
                (self.write_after_expiry, self.reread, self.recreate)
            ))
        }
    }

    pub fn print(&self) {
        println!(
            "seed 000 scenario B (TTL passes between read and write): write with EQ(G) -> {}, \
             re-read -> {}, re-create with EQ(0) -> {} (generation {})",
            self.write_after_expiry, self.reread, self.recreate, self.recreated_generation
        );
    }
}

fn code<T>(r: &aerospike::Result<T>) -> i32 {
    r.as_ref().map_or_else(|e| e.result_code(), |_| 0)
}

fn gen_eq(generation: u32) -> WritePolicy {
    WritePolicy {
        record_exists_action: RecordExistsAction::Update,
        generation_policy: GenerationPolicy::ExpectGenEqual,
        generation,
        ..WritePolicy::default()
    }
}

/// Run scenario B on `ns`.`set`, key "ttl-profile".
pub async fn run(client: &Client, ns: &str, set: &str) -> Result<TtlReport, String> {
    let key = Key::new(ns, set, Value::from("ttl-profile")).map_err(|e| e.to_string())?;
    let short = WritePolicy {
        record_exists_action: RecordExistsAction::Replace,
        expiration: Expiration::Seconds(1),
        ..WritePolicy::default()
    };
    client
        .put(&short, &key, &[as_bin!("audience", 1)])
        .await
        .map_err(|e| format!("creating {key} with a 1 s TTL: {e}"))?;
    let read = client
        .get(&ReadPolicy::default(), &key, Bins::All)
        .await
        .map_err(|e| format!("reading {key}: {e}"))?;
    tokio::time::sleep(WAIT_PAST_TTL).await;
    let mut r = TtlReport::default();
    let write = client
        .put(&gen_eq(read.generation), &key, &[as_bin!("audience", 2)])
        .await;
    r.write_after_expiry = code(&write);
    r.reread = code(&client.get(&ReadPolicy::default(), &key, Bins::All).await);
    let recreate = client
        .put(&gen_eq(0), &key, &[as_bin!("audience", 1)])
        .await;
    r.recreate = code(&recreate);
    if let Ok(rec) = client.get(&ReadPolicy::default(), &key, Bins::None).await {
        r.recreated_generation = rec.generation;
    }
    Ok(r)
}
