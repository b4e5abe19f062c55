//! Info commands that change state: `truncate:namespace=NS;set=SET[;lut=NANOS]`,
//! `truncate-namespace:namespace=NS[;lut=NANOS]` onto `Database::truncate` (docs/multi-record.md
//! TRUNC-*; Rust `aerospike-core/src/client.rs:truncate`), and the UDF module registry
//! (`udf-put:filename=F;content=BASE64;content-len=N;udf-type=LUA;`, `udf-list`,
//! `udf-get:filename=F`, `udf-remove:filename=F`). Each answers `ok` (or its value) or
//! `ERROR:<code>:<reason>`, which the clients raise with that code.
//!
//! Invariant: a refused command changes nothing.

use crate::error::{Error, Result, ResultCode};
use crate::server::udf::Registry;
use crate::server::Shared;
use crate::wire::base64;
use crate::wire::info::{error_value, InfoCommand};
use crate::wire::result::wire_code;

fn answer(r: Result<String>) -> String {
    r.unwrap_or_else(|e| error_value(wire_code(e.code()), e.detail()))
}

fn param<'a>(cmd: &'a InfoCommand, key: &str) -> Result<&'a str> {
    cmd.param(key).ok_or_else(|| {
        Error::new(
            ResultCode::ParameterError,
            format!("{} needs {key}=…", cmd.name),
        )
    })
}

/// `truncate` (a set; `set` may be absent for the whole namespace) and `truncate-namespace`.
pub fn truncate(cmd: &InfoCommand, shared: &Shared) -> String {
    answer((|| {
        let ns = param(cmd, "namespace")?;
        let set = match cmd.name.as_str() {
            "truncate" => cmd.param("set").unwrap_or(""),
            _ => "",
        };
        let lut = match cmd.param("lut") {
            Some(v) => v.parse::<u64>().map_err(|_| {
                Error::new(
                    ResultCode::ParameterError,
                    format!("lut={v} is not nanoseconds since 1970"),
                )
            })?,
            None => 0,
        };
        shared.db.truncate(ns, set, lut)?;
        Ok("ok".to_string())
    })())
}

/// `udf-put`, `udf-get`, `udf-remove`, `udf-list`.
pub fn udf(cmd: &InfoCommand, udfs: &Registry) -> String {
    answer((|| match cmd.name.as_str() {
        "udf-list" => Ok(udfs.list()),
        "udf-put" => {
            let name = param(cmd, "filename")?;
            let content = base64::decode(param(cmd, "content")?).ok_or_else(|| {
                Error::new(ResultCode::ParameterError, "udf-put content is not base64")
            })?;
            if cmd.param("udf-type").is_some_and(|t| t != "LUA") {
                return Err(Error::new(
                    ResultCode::ParameterError,
                    "udf-type must be LUA",
                ));
            }
            udfs.put(name, content)?;
            Ok("ok".to_string())
        }
        "udf-get" => {
            let name = param(cmd, "filename")?;
            match udfs.get(name) {
                Some(c) => Ok(format!(
                    "gen={};type=LUA;content={}",
                    Registry::generation(&c),
                    base64::encode(&c)
                )),
                None => Ok("error=not_found".to_string()),
            }
        }
        _ => {
            udfs.remove(param(cmd, "filename")?)?;
            Ok("ok".to_string())
        }
    })())
}
