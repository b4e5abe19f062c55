//! Starting `aerolite serve` in-process on an ephemeral loopback port, on the backend named by
//! `AEROLITE_BACKEND` (memory by default, `device` for the log-structured store).
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;

use aerolite::server::Server;
use aerolite::{DatabaseConfig, NamespaceConfig};
use std::path::PathBuf;

/// A running server and its device directory (removed on drop).
pub struct TestServer {
    pub server: Option<Server>,
    pub dir: Option<PathBuf>,
}

impl TestServer {
    /// `host:port` for the clients.
    pub fn host(&self) -> String {
        self.server
            .as_ref()
            .expect("running")
            .local_addr()
            .to_string()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(s) = self.server.take() {
            let _ = s.shutdown();
        }
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

/// Start a server with namespace `test` (system clock, background threads on).
pub fn start() -> TestServer {
    let (ns, dir) = common::with_backend(NamespaceConfig::new("test"));
    let server = Server::start(DatabaseConfig::with_namespaces(vec![ns]), "127.0.0.1", 0)
        .expect("server starts");
    TestServer {
        server: Some(server),
        dir,
    }
}
