//! Info commands (proto type 1): what the clients send at connect and on every tend, and the
//! catalogue commands the client APIs and test suites read (docs/serve.md lists every answer).
//!
//! Handshake (wire-protocol.md §2): the C client validates a seed with
//! `node\npartition-generation\nbuild\n` and parses the answers by position; the Rust crate
//! sends `node, cluster-name, build, partition-generation` and parses by name; both then ask
//! `peers-clear-std` and `partition-generation\nreplicas\n`, and every second
//! `node\npeers-generation\npartition-generation\n` (+ `cluster-name` for Rust).
//!
//! Invariants: one reply line per request line, echoing it, in order; the node name, partition
//! generation and peers generation never change while the process runs (one node, no
//! migrations), so tends never trigger re-fetches.

use crate::config::{NamespaceConfig, StorageConfig};
use crate::server::{admin, sindex, Shared};
use crate::wire::info::{error_value, parse_request, push_reply, InfoCommand};
use crate::wire::proto::{frame, TYPE_INFO};

/// The Aerospike server version whose behaviour aerolite follows (docs/serve.md: why 8.1.0).
pub const BUILD: &str = "8.1.0.0";
/// The answer to `cluster-name` when none is configured (what a CE server says).
pub const CLUSTER_NAME: &str = "null";

/// Answer the info request `body` into `out` as one type-1 frame.
pub fn answer(body: &[u8], shared: &Shared, out: &mut Vec<u8>) {
    let mut reply = Vec::new();
    for cmd in parse_request(body) {
        let value = value(&cmd, shared);
        push_reply(&mut reply, &cmd.line, &value);
    }
    out.extend_from_slice(&frame(TYPE_INFO, &reply));
}

/// The value for one command.
fn value(cmd: &InfoCommand, shared: &Shared) -> String {
    match cmd.name.as_str() {
        "node" => shared.node.clone(),
        "build" => BUILD.into(),
        "version" => format!("Aerospike Community Edition build {BUILD}"),
        "edition" => "Aerospike Community Edition".into(),
        "cluster-name" => CLUSTER_NAME.into(),
        "features" => "batch-any;blob-bits;cdt-list;cdt-map;float;geo;peers;pipelining;pquery;pscans;query-show;relaxed-sc;replicas;truncate-namespace;udf".into(),
        "partition-generation" | "peers-generation" | "rebalance-generation" => "0".into(),
        "partitions" => crate::record::key::PARTITIONS.to_string(),
        "peers-clear-std" | "peers-clear-alt" | "peers-tls-std" | "peers-tls-alt" => {
            format!("0,{},[]", shared.port)
        }
        "alumni-clear-std" | "alumni-tls-std" => format!("0,{},[]", shared.port),
        "service" | "service-clear-std" | "service-clear-alt" | "services"
        | "services-alumni" => shared.service.clone(),
        "service-tls-std" | "service-tls-alt" => String::new(),
        "replicas" | "replicas-all" | "replicas-master" => replicas(&shared.namespaces),
        "namespaces" => names(&shared.namespaces),
        "namespace" => namespace(cmd, shared),
        "statistics" => statistics(shared),
        "query-show" | "scan-show" if !cmd.params.is_empty() => error_value(
            2,
            "job not found (aerolite answers a background query after it has finished)",
        ),
        "sindex" | "sindex-list" | "sindex-create" | "sindex-delete" | "sindex-exists"
        | "sindex-stat" => sindex::info(cmd, shared),
        "sets" | "bins" | "jobs" | "query-show" | "scan-show" => {
            String::new()
        }
        "user-agent-set" => "ok".into(),
        "truncate" | "truncate-namespace" => admin::truncate(cmd, shared),
        "udf-list" | "udf-put" | "udf-get" | "udf-remove" => admin::udf(cmd, &shared.udfs),
        "truncate-undo" => {
            error_value(16, &format!("{} is not supported by aerolite yet", cmd.name))
        }
        _ => error_value(4, "unrecognized command"),
    }
}

fn names(ns: &[NamespaceConfig]) -> String {
    ns.iter()
        .map(|n| n.name.as_str())
        .collect::<Vec<_>>()
        .join(";")
}

/// A one-node partition map: `ns:0,1,<4096-bit bitmap, base64>` per namespace, regime 0 (AP),
/// one replica, every bit set: 682 × `/` then `8=` (684 characters, C client
/// `as_partition.c:decode_and_update` insists on that length).
fn replicas(ns: &[NamespaceConfig]) -> String {
    let all = format!("{}8=", "/".repeat(682));
    ns.iter()
        .map(|n| format!("{}:0,1,{all}", n.name))
        .collect::<Vec<_>>()
        .join(";")
}

fn namespace(cmd: &InfoCommand, shared: &Shared) -> String {
    let Some(n) = cmd
        .args
        .first()
        .and_then(|a| shared.namespaces.iter().find(|n| &n.name == a))
    else {
        return error_value(20, "namespace not found");
    };
    let engine = match n.storage {
        StorageConfig::Device(_) => "device",
        _ => "memory",
    };
    let objects = if shared.namespaces.len() == 1 {
        shared.db.stats().records
    } else {
        0
    };
    format!(
        "ns_cluster_size=1;objects={objects};replication-factor=1;strong-consistency=false;\
         default-ttl={};nsup-period={};allow-ttl-without-nsup={};max-record-size={};\
         default-read-touch-ttl-pct={};storage-engine={engine}",
        n.default_ttl_s,
        n.expiry_sweep_interval_s,
        n.allow_ttl_without_sweep,
        n.max_record_size,
        n.default_read_touch_ttl_pct,
    )
}

fn statistics(shared: &Shared) -> String {
    let s = shared.db.stats();
    format!(
        "cluster_size=1;cluster_integrity=true;objects={};tombstones={};\
         client_connections={}",
        s.records,
        s.tombstones,
        shared.accepted.load(std::sync::atomic::Ordering::Relaxed)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The full bitmap decodes to 512 bytes of 0xff and is exactly 684 characters.
    #[test]
    fn replicas_bitmap_is_684_characters() {
        let ns = vec![NamespaceConfig::new("test")];
        let r = replicas(&ns);
        let map = r.strip_prefix("test:0,1,").expect("prefix");
        assert_eq!(map.len(), 684);
        assert!(map.ends_with("//8="));
    }
}
