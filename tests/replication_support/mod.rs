//! Shared helpers of the `replication_*` tests: a seeded cluster, keys, policies, and what each
//! node holds.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;

use aerolite::operations;
use aerolite::replication::{Client, Cluster, ClusterConfig, Step};
use aerolite::{Bin, Error, Key, NamespaceConfig, Operation, ResultCode, Value, WritePolicy};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Device directories of a test's nodes; removed on drop.
pub struct Dirs(Arc<Mutex<Vec<PathBuf>>>);

impl Drop for Dirs {
    fn drop(&mut self) {
        if let Ok(d) = self.0.lock() {
            for p in d.iter() {
                let _ = std::fs::remove_dir_all(p);
            }
        }
    }
}

/// Cluster settings whose nodes use the backend named by `AEROLITE_BACKEND` (each node its own
/// device directory), and the guard that removes those directories.
pub fn config(replicas: usize) -> (ClusterConfig, Dirs) {
    let dirs = Arc::new(Mutex::new(Vec::new()));
    let d = dirs.clone();
    let cfg = ClusterConfig::new(replicas).namespaces(Arc::new(move |_node| {
        let (ns, dir) = common::with_backend(NamespaceConfig::new("test"));
        if let (Some(dir), Ok(mut all)) = (dir, d.lock()) {
            all.push(dir);
        }
        vec![ns]
    }));
    (cfg, Dirs(dirs))
}

/// A cluster of 1 master + `replicas` replicas, seed 1, on the backend under test. The guard
/// comes first so that, bound in a tuple pattern, it is dropped after the cluster.
pub fn cluster(replicas: usize) -> (Dirs, Cluster, Client) {
    let (cfg, dirs) = config(replicas);
    let mut c = Cluster::new(cfg).expect("open cluster");
    let client = c.new_client();
    (dirs, c, client)
}

/// Key `k` in namespace `test`, set `s`.
pub fn key(k: &str) -> Key {
    Key::new("test", "s", k).expect("string key")
}

/// A write policy with a total timeout in simulated ms.
pub fn wp(timeout_ms: u64) -> WritePolicy {
    WritePolicy {
        total_timeout: Some(Duration::from_millis(timeout_ms)),
        ..WritePolicy::default()
    }
}

/// `add("n", by)`: the non-idempotent write of the seed's examples.
pub fn add(by: i64) -> Vec<Operation> {
    vec![operations::add(&Bin::new("n", by))]
}

/// Generation of `key` on node `n` (`None` = the node holds no copy).
pub fn gen_on(c: &Cluster, n: usize, key: &Key) -> Option<u16> {
    c.version_on(n, key)
        .expect("read version")
        .map(|v| v.generation)
}

/// Value of bin `n` of `key` on node `node`.
pub fn n_on(c: &Cluster, node: usize, key: &Key) -> Option<i64> {
    let v = c.version_on(node, key).expect("read version")?;
    match v.bins.get("n") {
        Some(Value::Int(i)) => Some(*i),
        _ => None,
    }
}

/// The error of a call that must fail.
pub fn fails<T: std::fmt::Debug>(r: aerolite::Result<T>) -> Error {
    r.expect_err("the call must fail")
}

/// Assert the code and the in-doubt flag.
pub fn assert_err(e: &Error, code: ResultCode, in_doubt: bool) {
    assert_eq!(e.code(), code, "code of {e}");
    assert_eq!(e.in_doubt(), in_doubt, "in_doubt of {e}");
}

/// Every message step (1, 3, 4, 5, 6).
pub const MESSAGE_STEPS: [Step; 5] = [
    Step::Request,
    Step::Replicate,
    Step::Ack,
    Step::Reply,
    Step::Advise,
];
