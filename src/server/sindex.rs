//! Secondary indexes over the wire (docs/serve.md "Secondary indexes", docs/sindex.md): the
//! info commands `sindex-create`, `sindex-delete`, `sindex-exists`, `sindex-list` / `sindex`,
//! `sindex/<ns>[/<name>]` and `sindex-stat`, onto `Database::create_index_on_bin`,
//! `drop_index` and `index_list`; and the index predicate of a query message onto
//! `Statement::set_filter`.
//!
//! Requests as the clients send them: the Rust crate 3.x against a server ≥ 8.1
//! (`client.rs:create_index`): `sindex-create:namespace=NS[;set=S];indexname=I[;context=B64]
//! [;exp=B64][;indextype=LIST|MAPKEYS|MAPVALUES][;bin=B];type=NUMERIC|STRING|BLOB` (an
//! expression index, SIDX-EXP-1, has `exp=` and no `bin=`); the C client 7.x
//! (`aerospike_index.c`): `sindex-create:ns=NS[;set=S];indexname=I;numbins=1[;indextype=T];
//! indexdata=B,TYPE;priority=normal`. Both spellings of every key are accepted, names and types
//! case-insensitively. Answers: `ok`, or `FAIL:<code>:<reason>` (the crate's
//! `info_command_failure` and the C client read the code after `FAIL:`): 200 for an index of
//! that name with another definition (an identical one is a no-op `ok`, SIDX-CREATE-SAME-1),
//! 201 for a missing one, 4 for a malformed command or a bad expression (both `bin` and `exp`,
//! `context` with `exp`, an expression that does not decode or is not of the index's type:
//! the server's "bad 'exp'"); `type=GEO2DSPHERE` creates a geo index (SIDX-GEO-1). A
//! `context=` is decoded onto a CDT-context index (SIDX-CTX-1), an `exp=` onto
//! `Database::create_index` with the expression's bytes as sent (SIDX-EXP-1: queries name the
//! index by those bytes).
//!
//! Invariant: a refused command changes nothing (the engine checks everything before it
//! registers an index).

use crate::database::IndexState;
use crate::error::{Error, Result, ResultCode};
use crate::record::value::Value;
use crate::server::Shared;
use crate::sindex::ctx::IndexCtx;
use crate::sindex::exp::IndexExp;
use crate::sindex::{CollectionIndexType, Filter, IndexDef, IndexType};
use crate::wire::info::InfoCommand;
use crate::wire::msg::Message;
use crate::wire::result::wire_code;
use crate::wire::{base64, cdt, field, index_range};
use crate::AdminPolicy;

/// The answer to one `sindex*` info command.
pub fn info(cmd: &InfoCommand, shared: &Shared) -> String {
    dispatch(cmd, shared).unwrap_or_else(|e| format!("FAIL:{}:{}", wire_code(e.code()), e.detail()))
}

fn dispatch(cmd: &InfoCommand, shared: &Shared) -> Result<String> {
    match (cmd.name.as_str(), cmd.args.as_slice()) {
        ("sindex-create", _) => create(cmd, shared),
        ("sindex-delete", _) => delete(cmd, shared),
        ("sindex-exists", _) => exists(cmd, shared),
        ("sindex-stat", _) => named(shared, ns_param(cmd)?, param(cmd, "indexname")?).map(stat),
        ("sindex", [ns, name]) => named(shared, ns, name).map(stat),
        ("sindex", [ns]) => list(shared, Some(ns)),
        _ => list(shared, ns_param(cmd).ok()),
    }
}

fn param<'a>(cmd: &'a InfoCommand, key: &str) -> Result<&'a str> {
    cmd.param(key).filter(|v| !v.is_empty()).ok_or_else(|| {
        Error::new(
            ResultCode::ParameterError,
            format!("{} needs {key}=…", cmd.name),
        )
    })
}

fn ns_param(cmd: &InfoCommand) -> Result<&str> {
    param(cmd, "namespace").or_else(|_| param(cmd, "ns"))
}

fn bad(what: String) -> Error {
    Error::new(ResultCode::ParameterError, what)
}

/// `type=` (or the type after `indexdata=BIN,`).
fn index_type(s: &str) -> Result<IndexType> {
    match s.to_ascii_uppercase().as_str() {
        "NUMERIC" => Ok(IndexType::Numeric),
        "STRING" => Ok(IndexType::String),
        "BLOB" => Ok(IndexType::Blob),
        "GEO2DSPHERE" => Ok(IndexType::Geo2DSphere),
        _ => Err(bad(format!(
            "type={s}: NUMERIC, STRING, BLOB or GEO2DSPHERE expected"
        ))),
    }
}

/// `indextype=` (absent = DEFAULT).
fn collection(s: Option<&str>) -> Result<CollectionIndexType> {
    match s.map(str::to_ascii_uppercase).as_deref() {
        None | Some("DEFAULT") => Ok(CollectionIndexType::Default),
        Some("LIST") => Ok(CollectionIndexType::List),
        Some("MAPKEYS") => Ok(CollectionIndexType::MapKeys),
        Some("MAPVALUES") => Ok(CollectionIndexType::MapValues),
        Some(other) => Err(bad(format!(
            "indextype={other}: DEFAULT, LIST, MAPKEYS or MAPVALUES expected"
        ))),
    }
}

fn create(cmd: &InfoCommand, shared: &Shared) -> Result<String> {
    let ns = ns_param(cmd)?;
    let name = param(cmd, "indexname")?;
    if let Some(b64) = cmd.param("exp") {
        return create_on_exp(cmd, shared, ns, name, b64);
    }
    let (bin, ty) = match (cmd.param("bin"), cmd.param("indexdata")) {
        (Some(b), _) => (b, param(cmd, "type")?),
        (None, Some(data)) => data
            .split_once(',')
            .ok_or_else(|| bad(format!("indexdata={data}: BIN,TYPE expected")))?,
        (None, None) => return Err(bad("sindex-create needs bin=… and type=…".into())),
    };
    let ctx = match cmd.param("context") {
        Some(b64) => {
            let bytes = base64::decode(b64).ok_or_else(|| bad("context is not base64".into()))?;
            Some(cdt::context_bytes(&bytes)?)
        }
        None => None,
    };
    shared.db.create_index_on_bin(
        &AdminPolicy::default(),
        ns,
        cmd.param("set").unwrap_or(""),
        bin,
        name,
        index_type(ty)?,
        collection(cmd.param("indextype"))?,
        ctx.as_deref(),
    )?;
    Ok("ok".into())
}

/// `sindex-create` with `exp=` (SIDX-EXP-1): no `bin`, no `context`, `type=` required.
fn create_on_exp(
    cmd: &InfoCommand,
    shared: &Shared,
    ns: &str,
    name: &str,
    b64: &str,
) -> Result<String> {
    if cmd.param("bin").is_some() || cmd.param("indexdata").is_some() {
        return Err(bad("both 'bin' and 'exp' are specified".into()));
    }
    if cmd.param("context").is_some() {
        return Err(bad("both 'context' and 'exp' are specified".into()));
    }
    let bytes = base64::decode(b64).ok_or_else(|| bad("bad 'exp': not base64".into()))?;
    let def = IndexDef {
        name: name.to_string(),
        set_name: cmd.param("set").unwrap_or("").to_string(),
        bin_name: String::new(),
        ctx: IndexCtx::default(),
        exp: Some(IndexExp::from_packed(&bytes)?),
        index_type: index_type(param(cmd, "type")?)?,
        collection: collection(cmd.param("indextype"))?,
    };
    shared.db.create_index(ns, def)?;
    Ok("ok".into())
}

fn delete(cmd: &InfoCommand, shared: &Shared) -> Result<String> {
    let ns = ns_param(cmd)?;
    let name = param(cmd, "indexname")?;
    let set = cmd.param("set").unwrap_or("");
    shared
        .db
        .drop_index(&AdminPolicy::default(), ns, set, name)?;
    Ok("ok".into())
}

/// `true` / `false` (the crate's `DropIndexTask` polls it until `false`).
fn exists(cmd: &InfoCommand, shared: &Shared) -> Result<String> {
    let name = param(cmd, "indexname")?;
    let all = shared.db.index_list(ns_param(cmd)?)?;
    Ok(all.iter().any(|i| i.def.name == name).to_string())
}

fn named(shared: &Shared, ns: &str, name: &str) -> Result<IndexState> {
    shared
        .db
        .index_list(ns)?
        .into_iter()
        .find(|i| i.def.name == name)
        .ok_or_else(|| {
            Error::new(
                ResultCode::IndexNotFound,
                format!("no index named {name:?} in namespace {ns:?}"),
            )
        })
}

/// `entries=…;load_pct=…;…` (the clients' `IndexTask` reads `load_pct`; 100 = built).
fn stat(i: IndexState) -> String {
    format!(
        "entries={};entries_per_bval=0;entries_per_rec=0;load_pct={};state={}",
        i.entries,
        i.load_pct,
        state(&i)
    )
}

fn state(i: &IndexState) -> &'static str {
    if i.load_pct >= 100 {
        "RW"
    } else {
        "WO"
    }
}

/// `ns=…:indexname=…:set=…:bin=…:type=…:indextype=…:context=NULL:exp=…:state=RW` per index,
/// `;`-joined (the 8.x `sindex-list` form; the crate's suite splits on `;` then `:`). An
/// expression index shows `bin=NULL` and `exp=<base64>` (the server's `b64=true` form; without
/// it the server prints the expression as text, which aerolite does not).
fn list(shared: &Shared, ns: Option<&str>) -> Result<String> {
    let mut rows = Vec::new();
    for n in shared
        .namespaces
        .iter()
        .filter(|n| ns.is_none_or(|s| s == n.name))
    {
        for i in shared.db.index_list(&n.name)? {
            let set = if i.def.set_name.is_empty() {
                "NULL"
            } else {
                &i.def.set_name
            };
            let bin = match i.def.bin_name.as_str() {
                "" => "NULL",
                b => b,
            };
            let exp = i
                .def
                .exp
                .as_ref()
                .map_or_else(|| "NULL".to_string(), |e| base64::encode(e.packed()));
            rows.push(format!(
                "ns={}:indexname={}:set={set}:bin={bin}:type={}:indextype={}:context=NULL:exp={exp}:state={}",
                n.name,
                i.def.name,
                format!("{:?}", i.def.index_type).to_lowercase(),
                format!("{:?}", i.def.collection).to_lowercase(),
                state(&i)
            ));
        }
    }
    Ok(rows.join(";"))
}

/// The index predicate of a query message, as a `Filter` (`None`: no INDEX_RANGE, a scan).
/// An INDEX_NAME field selects the index by name (`Filter::range_by_index`): its bin (or
/// expression) is looked up; an index context (field 23) selects the context index, an index
/// expression (24) the expression index of the same bytes (SIDX-EXP-1).
pub fn filter(msg: &Message, shared: &Shared, ns: &str) -> Result<Option<Filter>> {
    let Some(range) = msg.field(field::INDEX_RANGE) else {
        return Ok(None);
    };
    let r = index_range::decode(range)?;
    let mut cit = index_range::collection(msg.field(field::INDEX_TYPE))?;
    let mut bin = r.bin_name;
    let mut exp = msg.field(field::INDEX_EXPRESSION).map(<[u8]>::to_vec);
    if let Some(name) = msg.field(field::INDEX_NAME).filter(|n| !n.is_empty()) {
        if exp.is_some() {
            return Err(bad(
                "a query names its index by name or by expression, not both".into(),
            ));
        }
        let name = String::from_utf8_lossy(name);
        let ix = named(shared, ns, &name)?;
        exp = ix.def.exp.as_ref().map(|e| e.packed().to_vec());
        (bin, cit) = (ix.def.bin_name, ix.def.collection);
    }
    // A GeoJSON predicate (SIDX-GEO-1): begin and end both carry the query's GeoJSON.
    let mut f = match &r.begin {
        Value::GeoJSON(text) => Filter::geo(&bin, text, cit),
        _ => Filter::contains_range(&bin, r.begin, r.end, cit),
    };
    if let Some(packed) = exp {
        f = f.expression_bytes(packed);
    }
    // INDEX_CONTEXT: the packed `[type, value, …]` steps of the index's CDT context (SIDX-CTX-1).
    if let Some(ctx) = msg.field(field::INDEX_CONTEXT) {
        f = f.context(cdt::context_bytes(ctx)?);
    }
    Ok(Some(f))
}
