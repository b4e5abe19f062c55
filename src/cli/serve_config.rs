//! The `aerolite serve --config FILE` format: one `key = value` per line, `#` comments, for the
//! one namespace the server holds (docs/serve.md lists the keys). Names follow Aerospike's
//! configuration where one exists (`default-ttl`, `nsup-period`, `allow-ttl-without-nsup`,
//! `max-record-size`, `storage-engine`, `file`, `filesize`, `data-in-memory`).
//!
//! Invariant: an unknown key, a bad number or a bad value is an error naming the file and line;
//! nothing is guessed.

use crate::config::{DeviceConfig, NamespaceConfig, StorageConfig};
use crate::error::{err, Result, ResultCode};
use std::path::{Path, PathBuf};

/// The namespace a config file describes; `data` is the default directory of its device file.
pub fn parse(path: &Path, text: &str, data: &Path) -> Result<NamespaceConfig> {
    let mut ns = NamespaceConfig::new("test");
    let mut device: Option<PathBuf> = None;
    let mut file_size: Option<u64> = None;
    let mut memory = true;
    let mut in_memory = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let at = || format!("{}:{}", path.display(), i + 1);
        let Some((k, v)) = line.split_once('=').map(|(k, v)| (k.trim(), v.trim())) else {
            return err(
                ResultCode::ParameterError,
                format!("{}: expected `key = value`", at()),
            );
        };
        let num = |v: &str| {
            v.parse::<u64>().or_else(|_| {
                err(
                    ResultCode::ParameterError,
                    format!("{}: {k} needs a number, not {v:?}", at()),
                )
            })
        };
        let flag = |v: &str| match v {
            "true" => Ok(true),
            "false" => Ok(false),
            _ => err(
                ResultCode::ParameterError,
                format!("{}: {k} is true or false, not {v:?}", at()),
            ),
        };
        let small = |v: &str| {
            u32::try_from(num(v)?).or_else(|_| {
                err(
                    ResultCode::ParameterError,
                    format!("{}: {k} {v} is too large", at()),
                )
            })
        };
        match k {
            "namespace" => ns.name = v.to_string(),
            "default-ttl" => ns.default_ttl_s = small(v)?,
            "nsup-period" => ns.expiry_sweep_interval_s = small(v)?,
            "max-record-size" => ns.max_record_size = small(v)?,
            "allow-ttl-without-nsup" => ns.allow_ttl_without_sweep = flag(v)?,
            "storage-engine" => match v {
                "memory" => memory = true,
                "device" => memory = false,
                _ => {
                    return err(
                        ResultCode::ParameterError,
                        format!("{}: storage-engine is memory or device, not {v:?}", at()),
                    )
                }
            },
            "file" => device = Some(PathBuf::from(v)),
            "filesize" => file_size = Some(num(v)?),
            "data-in-memory" => in_memory = flag(v)?,
            _ => {
                return err(
                    ResultCode::ParameterError,
                    format!("{}: unknown key {k:?} (see docs/serve.md)", at()),
                )
            }
        }
    }
    if !memory {
        let mut d =
            DeviceConfig::new(device.unwrap_or_else(|| data.join(format!("{}.dat", ns.name))))
                .data_in_memory(in_memory);
        if let Some(n) = file_size {
            d = d.file_size(n);
        }
        ns = ns.storage(StorageConfig::Device(d));
    }
    Ok(ns)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_and_errors() {
        let p = Path::new("serve.conf");
        let text = "namespace = bar # comment\ndefault-ttl = 60\nnsup-period=10\n\
                    storage-engine = device\nfile = /tmp/x.dat\ndata-in-memory = true\n\
                    allow-ttl-without-nsup = true\n";
        let ns = parse(p, text, Path::new("d")).expect("parses");
        assert_eq!(
            (
                ns.name.as_str(),
                ns.default_ttl_s,
                ns.expiry_sweep_interval_s
            ),
            ("bar", 60, 10)
        );
        assert!(matches!(&ns.storage, StorageConfig::Device(d) if d.data_in_memory));
        assert!(ns.allow_ttl_without_sweep);
        let mem = parse(p, "", Path::new("d")).expect("empty");
        assert_eq!(mem.storage, StorageConfig::Memory { capacity_bytes: 0 });
        for bad in [
            "bogus = 1",
            "default-ttl = x",
            "novalue",
            "storage-engine = disk",
            "data-in-memory = yes",
            "allow-ttl-without-nsup = yes",
        ] {
            let e = parse(p, bad, Path::new("d")).expect_err(bad);
            assert!(e.detail().contains("serve.conf:1"), "{e}");
        }
    }
}
