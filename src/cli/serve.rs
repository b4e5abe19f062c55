//! `aerolite serve`: open the database, listen, print the address, serve until SIGINT/SIGTERM,
//! then shut down cleanly (flush and index snapshot, so the next start is a fast restart).

use crate::config::{DatabaseConfig, DeviceConfig, NamespaceConfig, StorageConfig};
use crate::error::{err, Result, ResultCode};
use crate::server::{signal, Server};
use std::io::Write;
use std::path::PathBuf;

/// Options of `aerolite serve`.
#[derive(Debug, Clone)]
pub struct Options {
    /// Address to bind (loopback unless told otherwise).
    pub bind: String,
    /// Port (0: an ephemeral port).
    pub port: u16,
    /// In-memory namespace instead of a device file.
    pub memory: bool,
    /// Data directory of the device file (`test.dat` inside it).
    pub data: PathBuf,
    /// A configuration file (not read in this version: an error says so).
    pub config: Option<PathBuf>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            bind: "127.0.0.1".into(),
            port: 3000,
            memory: false,
            data: PathBuf::from("aerolite-data"),
            config: None,
        }
    }
}

/// The database configuration `opts` describe: namespace `test`, in memory or on
/// `DATA/test.dat` (created with the directory if missing).
pub fn database_config(opts: &Options) -> Result<DatabaseConfig> {
    if let Some(path) = &opts.config {
        return err(
            ResultCode::ParameterError,
            format!(
                "--config {}: configuration files are not supported yet; use --memory or --data DIR",
                path.display()
            ),
        );
    }
    let ns = if opts.memory {
        NamespaceConfig::new("test")
    } else {
        std::fs::create_dir_all(&opts.data).or_else(|e| {
            err(
                ResultCode::ServerError,
                format!("cannot create data directory {}: {e}", opts.data.display()),
            )
        })?;
        let dev = DeviceConfig::new(opts.data.join("test.dat"));
        NamespaceConfig::new("test").storage(StorageConfig::Device(dev))
    };
    Ok(DatabaseConfig::with_namespaces(vec![ns]))
}

/// Run until a signal; returns the exit code.
pub fn run(opts: &Options, out: &mut dyn Write) -> Result<i32> {
    let config = database_config(opts)?;
    signal::install();
    let server = Server::start(config, &opts.bind, opts.port)?;
    let storage = if opts.memory {
        "in memory".to_string()
    } else {
        format!("on {}", opts.data.join("test.dat").display())
    };
    let _ = writeln!(
        out,
        "aerolite serve: listening on {} (namespace test {storage}); Ctrl-C stops",
        server.local_addr()
    );
    let _ = out.flush();
    while !signal::requested() {
        std::thread::sleep(crate::server::POLL);
    }
    let _ = writeln!(out, "aerolite serve: shutting down");
    server.shutdown()?;
    let _ = writeln!(out, "aerolite serve: stopped cleanly");
    Ok(0)
}
