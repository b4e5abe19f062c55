//! `aerolite serve`: Aerospike's wire protocol on a TCP port, so the official clients treat an
//! aerolite database as a one-node cluster (docs/serve.md).
//!
//! Layout: `conn` runs one connection (a thread each) and dispatches every frame on its proto
//! type; `info` answers the text info protocol (handshake, tend, catalogue); `command` routes an
//! `as_msg` to one dispatch function per command kind (single record, batch, scan/query, UDF);
//! `single` maps single-record commands onto the `Database` API; `reply` builds the answers;
//! `signal` turns SIGINT/SIGTERM into a clean shutdown.
//!
//! Invariants: a connection's failure (malformed input, I/O error) ends that connection only,
//! with a log line on stderr, and never writes to the database; shutdown stops accepting, lets
//! every connection finish its current frame, joins them, then closes the database (flush and
//! index snapshot) as its last owner.

pub mod admin;
pub mod batch;
pub mod command;
pub mod conn;
pub mod info;
pub mod reply;
pub mod signal;
pub mod sindex;
pub mod single;
pub mod stream;
pub mod udf;

use crate::config::{DatabaseConfig, NamespaceConfig};
use crate::database::Database;
use crate::engine::runtime::spawn_task;
use crate::error::{Error, Result, ResultCode};
use std::net::{SocketAddr, TcpListener};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// How often blocked accept and read calls look at the stop flag.
pub(crate) const POLL: Duration = Duration::from_millis(100);

/// What every connection shares.
pub struct Shared {
    /// The database.
    pub db: Arc<Database>,
    /// Namespace settings, in configuration order (the info catalogue).
    pub namespaces: Vec<NamespaceConfig>,
    /// `host:port` clients reach this node on (answers `service-*` and `peers-*`).
    pub service: String,
    /// The port clients reach this node on (answers `service` and `peers`).
    pub port: u16,
    /// The node name: fixed for the life of the process (clients drop a node whose name changes).
    pub node: String,
    /// Set once shutdown begins.
    pub stop: AtomicBool,
    /// Connections accepted so far (for log lines).
    pub accepted: AtomicU64,
    /// Registered UDF modules (`udf-put`, `udf-list`, …).
    pub udfs: udf::Registry,
}

/// A running server.
pub struct Server {
    shared: Arc<Shared>,
    addr: SocketAddr,
    acceptor: Option<JoinHandle<()>>,
    conns: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Server {
    /// Open the database of `config` and listen on `bind:port` (port 0: an ephemeral port);
    /// UDF modules are kept in memory.
    pub fn start(config: DatabaseConfig, bind: &str, port: u16) -> Result<Server> {
        Server::start_with_udf_dir(config, bind, port, None)
    }

    /// As [`Server::start`], with UDF modules persisted in `udf_dir` (created on first use).
    pub fn start_with_udf_dir(
        config: DatabaseConfig,
        bind: &str,
        port: u16,
        udf_dir: Option<std::path::PathBuf>,
    ) -> Result<Server> {
        let udfs = udf::Registry::open(udf_dir)?;
        let namespaces = config.namespaces.clone();
        let listener = TcpListener::bind((bind, port)).map_err(|e| {
            io_error(format!(
                "cannot listen on {bind}:{port}: {e}; pick another --port or --bind"
            ))
        })?;
        let addr = listener.local_addr().map_err(|e| io_error(e.to_string()))?;
        listener
            .set_nonblocking(true)
            .map_err(|e| io_error(format!("listener: {e}")))?;
        let db = Arc::new(Database::open(config)?);
        let shared = Arc::new(Shared {
            db,
            namespaces,
            service: service_address(addr),
            port: addr.port(),
            node: format!("AE201173{:08X}", addr.port()),
            stop: AtomicBool::new(false),
            accepted: AtomicU64::new(0),
            udfs,
        });
        let conns = Arc::new(Mutex::new(Vec::new()));
        let (s, c) = (shared.clone(), conns.clone());
        let acceptor = spawn_task("aerolite-accept".into(), move || {
            accept_loop(&listener, &s, &c)
        })
        .map_err(|e| io_error(format!("cannot start the accept thread: {e}")))?;
        Ok(Server {
            shared,
            addr,
            acceptor: Some(acceptor),
            conns,
        })
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The shared state (database, names), for embedders and tests.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// Stop accepting, finish and join every connection, then shut the database down cleanly.
    pub fn shutdown(mut self) -> Result<()> {
        self.stop_threads();
        let shared = self.shared.clone();
        drop(self);
        match Arc::try_unwrap(shared) {
            Ok(s) => match Arc::try_unwrap(s.db) {
                Ok(db) => db.shutdown(),
                Err(_) => Err(io_error("database still shared at shutdown".into())),
            },
            Err(_) => Err(io_error("server state still shared at shutdown".into())),
        }
    }

    fn stop_threads(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
        let handles = match self.conns.lock() {
            Ok(mut v) => std::mem::take(&mut *v),
            Err(_) => Vec::new(),
        };
        for h in handles {
            // A panicking connection thread already printed its panic; the others are unaffected.
            let _ = h.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop_threads();
    }
}

/// The address to advertise: the bound one, or loopback when bound to every interface.
fn service_address(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() {
        format!("127.0.0.1:{}", addr.port())
    } else {
        addr.to_string()
    }
}

fn io_error(detail: String) -> Error {
    Error::new(ResultCode::ServerError, detail)
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>, conns: &Mutex<Vec<JoinHandle<()>>>) {
    while !shared.stop.load(Ordering::Acquire) {
        match listener.accept() {
            Ok((stream, peer)) => {
                let id = shared.accepted.fetch_add(1, Ordering::Relaxed);
                let s = shared.clone();
                let spawned = spawn_task(format!("aerolite-conn-{id}"), move || {
                    conn::run(stream, peer, &s)
                });
                match (spawned, conns.lock()) {
                    (Ok(h), Ok(mut v)) => {
                        v.retain(|h| !h.is_finished());
                        v.push(h);
                    }
                    (Err(e), _) => {
                        eprintln!("aerolite serve: cannot start a connection thread: {e}")
                    }
                    (Ok(_), Err(_)) => eprintln!("aerolite serve: connection list poisoned"),
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => std::thread::sleep(POLL / 4),
            Err(e) => {
                eprintln!("aerolite serve: accept failed: {e}");
                std::thread::sleep(POLL);
            }
        }
    }
}
