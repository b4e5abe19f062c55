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
    /// A configuration file (`cli::serve_config`); `--memory` still forces memory storage.
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

/// The database configuration `opts` describe: namespace `test` (or the config file's), in
/// memory or on `DATA/test.dat` (created with the directory if missing).
pub fn database_config(opts: &Options) -> Result<DatabaseConfig> {
    if let Some(path) = &opts.config {
        let text = std::fs::read_to_string(path).or_else(|e| {
            err(
                ResultCode::ParameterError,
                format!("--config {}: cannot read: {e}", path.display()),
            )
        })?;
        let mut ns = crate::cli::serve_config::parse(path, &text, &opts.data)?;
        if opts.memory {
            ns = ns.storage(StorageConfig::Memory { capacity_bytes: 0 });
        } else if let StorageConfig::Device(d) = &ns.storage {
            if let Some(dir) = d.paths.first().and_then(|p| p.parent()) {
                create_dir(dir)?;
            }
        }
        return Ok(DatabaseConfig::with_namespaces(vec![ns]));
    }
    let ns = if opts.memory {
        NamespaceConfig::new("test")
    } else {
        create_dir(&opts.data)?;
        let dev = DeviceConfig::new(opts.data.join("test.dat"));
        NamespaceConfig::new("test").storage(StorageConfig::Device(dev))
    };
    Ok(DatabaseConfig::with_namespaces(vec![ns]))
}

fn create_dir(dir: &std::path::Path) -> Result<()> {
    if dir.as_os_str().is_empty() {
        return Ok(());
    }
    std::fs::create_dir_all(dir).or_else(|e| {
        err(
            ResultCode::ServerError,
            format!("cannot create data directory {}: {e}", dir.display()),
        )
    })
}

/// Run until a signal; returns the exit code.
pub fn run(opts: &Options, out: &mut dyn Write) -> Result<i32> {
    let config = database_config(opts)?;
    signal::install();
    let server =
        Server::start_with_udf_dir(config, &opts.bind, opts.port, Some(opts.data.join("udf")))?;
    let (name, storage) = match server.shared().namespaces.first() {
        Some(ns) => match &ns.storage {
            StorageConfig::Device(d) => (
                ns.name.as_str(),
                format!(
                    "on {}",
                    d.paths
                        .iter()
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
            _ => (ns.name.as_str(), "in memory".to_string()),
        },
        None => ("(none)", String::new()),
    };
    let _ = writeln!(
        out,
        "aerolite serve: listening on {} (namespace {} {storage}); Ctrl-C stops",
        server.local_addr(),
        name
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
