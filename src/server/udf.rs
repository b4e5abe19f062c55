//! The UDF module registry behind `udf-put`, `udf-list`, `udf-get` and `udf-remove` (info
//! syntax of the Rust `aerospike-core/src/client.rs:register_udf` and the C client
//! `aerospike_udf.c`). Modules are stored decoded, one file per module, in the server's UDF
//! directory (`DATA/udf` under `aerolite serve`), written to a temporary name and renamed, so a
//! restart finds them; without a directory (embedded servers, tests) they live in memory.
//! aerolite runs no Lua: executing a UDF answers 100 (docs/serve.md).
//!
//! Invariants: a module name is 1–128 bytes of `[A-Za-z0-9._-]`, not starting with `.`, so a
//! name never leaves the directory; the in-memory map and the directory hold the same modules
//! after every successful call; a failed call changes neither.

use crate::error::{err, Error, Result, ResultCode};
use crate::record::key::Digest;
use crate::record::ripemd160::ripemd160;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// Longest module name accepted.
pub const NAME_MAX: usize = 128;
/// Largest module accepted (bytes, decoded).
pub const MODULE_MAX: usize = 1 << 20;

/// The registered modules.
pub struct Registry {
    dir: Option<PathBuf>,
    modules: Mutex<BTreeMap<String, Vec<u8>>>,
}

fn io(what: String) -> Error {
    Error::new(ResultCode::ServerError, what)
}

fn check_name(name: &str) -> Result<()> {
    let ok_chars = name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'_' || b == b'-');
    if name.is_empty() || name.len() > NAME_MAX || !ok_chars || name.starts_with('.') {
        return err(
            ResultCode::ParameterError,
            format!(
                "UDF module name {name:?}: 1-{NAME_MAX} bytes of letters, digits, '.', '_', '-', \
                 not starting with '.'"
            ),
        );
    }
    Ok(())
}

/// The hash `udf-list` reports: RIPEMD-160 of the module, lowercase hex (aerolite's choice;
/// clients only compare it).
fn hash(content: &[u8]) -> String {
    Digest(ripemd160(&[content])).to_hex()
}

impl Registry {
    /// A registry persisted in `dir` (created on first use), loading the modules already there;
    /// `None` keeps modules in memory only.
    pub fn open(dir: Option<PathBuf>) -> Result<Registry> {
        let mut modules = BTreeMap::new();
        if let Some(d) = dir.as_ref().filter(|d| d.is_dir()) {
            let entries = std::fs::read_dir(d)
                .map_err(|e| io(format!("cannot list UDF directory {}: {e}", d.display())))?;
            for entry in entries.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                if check_name(&name).is_err() {
                    continue; // temporary files and foreign names are not modules
                }
                let body = std::fs::read(entry.path()).map_err(|e| {
                    io(format!(
                        "cannot read UDF module {}: {e}",
                        entry.path().display()
                    ))
                })?;
                modules.insert(name, body);
            }
        }
        Ok(Registry {
            dir,
            modules: Mutex::new(modules),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, Vec<u8>>> {
        self.modules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Store module `name` with `content`, replacing one of that name.
    pub fn put(&self, name: &str, content: Vec<u8>) -> Result<()> {
        check_name(name)?;
        if content.len() > MODULE_MAX {
            return err(
                ResultCode::ParameterError,
                format!(
                    "UDF module of {} bytes; at most {MODULE_MAX}",
                    content.len()
                ),
            );
        }
        let mut modules = self.lock();
        if let Some(d) = &self.dir {
            std::fs::create_dir_all(d)
                .map_err(|e| io(format!("cannot create UDF directory {}: {e}", d.display())))?;
            let tmp = d.join(format!(".{name}.tmp"));
            std::fs::write(&tmp, &content)
                .and_then(|()| std::fs::rename(&tmp, d.join(name)))
                .map_err(|e| {
                    io(format!(
                        "cannot write UDF module {name} in {}: {e}",
                        d.display()
                    ))
                })?;
        }
        modules.insert(name.to_string(), content);
        assert!(
            self.dir.as_ref().is_none_or(|d| d.join(name).is_file()),
            "a stored module has its file"
        );
        Ok(())
    }

    /// Remove module `name` (→ ParameterError when absent).
    pub fn remove(&self, name: &str) -> Result<()> {
        check_name(name)?;
        let mut modules = self.lock();
        if !modules.contains_key(name) {
            return err(
                ResultCode::ParameterError,
                format!("UDF module {name} not found"),
            );
        }
        if let Some(d) = &self.dir {
            std::fs::remove_file(d.join(name))
                .map_err(|e| io(format!("cannot remove UDF module {name}: {e}")))?;
        }
        modules.remove(name);
        Ok(())
    }

    /// The module's content.
    pub fn get(&self, name: &str) -> Option<Vec<u8>> {
        self.lock().get(name).cloned()
    }

    /// `filename=<name>,hash=<hex>,type=LUA;` per module, in name order.
    pub fn list(&self) -> String {
        self.lock()
            .iter()
            .map(|(n, c)| format!("filename={n},hash={},type=LUA;", hash(c)))
            .collect()
    }

    /// The `gen` of `udf-get`: the module's hash.
    pub fn generation(content: &[u8]) -> String {
        hash(content)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_stay_inside_the_directory() {
        for bad in ["", "../x.lua", "a/b.lua", ".hidden", "x\0"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name("my_mod-1.lua").is_ok());
    }

    #[test]
    fn put_list_get_remove_in_memory() {
        let r = Registry::open(None).expect("opens");
        r.put("a.lua", b"x".to_vec()).expect("put");
        assert!(r.list().starts_with("filename=a.lua,hash="));
        assert_eq!(r.get("a.lua"), Some(b"x".to_vec()));
        r.remove("a.lua").expect("remove");
        assert!(r.remove("a.lua").is_err());
        assert_eq!(r.list(), "");
    }
}
