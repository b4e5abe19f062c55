//! The steps a model-based test or fuzzer runs: requests on a few fixed records, in several key
//! forms (user key, digest only, wrong user key, bad set, bad key type, bad namespace), plus clock
//! jumps and sweeps. A step is data; `harness` runs it against aerolite and the model.

use super::{GetBins, MFilter, ReqKey, WPol};
use aerolite::{Expiration, Key, Operation, Value};

/// The records the steps address: (set, user key).
pub fn record_keys() -> Vec<(&'static str, Value)> {
    vec![
        ("s", Value::from("k0")),
        ("s", Value::Int(1)),
        ("", Value::Blob(b"b2".to_vec())),
        ("t", Value::Float(1.5)),
    ]
}

/// The records' keys (built once: the digest is RIPEMD-160, which would otherwise dominate a
/// fuzzer's time).
pub fn record_base_keys() -> &'static [Key] {
    static KEYS: std::sync::OnceLock<Vec<Key>> = std::sync::OnceLock::new();
    KEYS.get_or_init(|| {
        record_keys()
            .into_iter()
            .map(|(set, uk)| Key::new("test", set, uk).expect("fixed keys are valid"))
            .collect()
    })
}

/// How a request names its record.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyForm {
    /// `Key::new(ns, set, user_key)`.
    User,
    /// Digest only (K-DIG-DIRECT) with this set name in the request.
    Digest(String),
    /// The record's digest and set, but another user key (SK-MISMATCH).
    WrongKey,
    /// An invalid set name (K-SET-NAME → 4).
    BadSet,
    /// A user key of a type that cannot be a key (K-TYPE-OTHER → 4).
    BadKeyType,
    /// An unknown namespace (→ 20).
    BadNamespace,
}

/// A request's key: record index and form.
#[derive(Debug, Clone, PartialEq)]
pub struct KeyReq {
    /// Index into `record_keys()`.
    pub rec: usize,
    /// Form.
    pub form: KeyForm,
}

impl KeyReq {
    /// The aerolite key and the model's view of it.
    pub fn build(&self) -> (Key, ReqKey) {
        let keys = record_base_keys();
        let base = keys[self.rec % keys.len()].clone();
        let digest = base.digest;
        let (key, namespace_ok) = match &self.form {
            KeyForm::User => (base, true),
            KeyForm::Digest(s) => (Key::from_digest("test", s, digest.0), true),
            KeyForm::WrongKey => (
                Key {
                    user_key: Some(Value::from("other-key")),
                    ..base
                },
                true,
            ),
            KeyForm::BadSet => (Key::from_digest("test", &"x".repeat(64), digest.0), true),
            KeyForm::BadKeyType => (
                Key {
                    user_key: Some(Value::Bool(true)),
                    ..base
                },
                true,
            ),
            KeyForm::BadNamespace => (
                Key {
                    namespace: "nope".into(),
                    ..base
                },
                false,
            ),
        };
        let rk = ReqKey {
            namespace_ok,
            digest: digest.0,
            set: key.set_name.clone(),
            user_key: key.user_key.clone(),
        };
        (key, rk)
    }
}

/// A write policy as a step carries it (the model reads the TTL through `ttl_of`).
#[derive(Debug, Clone, PartialEq)]
pub struct StepPolicy {
    /// Everything but the TTL (its `ttl` field is overwritten from `expiration`).
    pub pol: WPol,
    /// The request's expiration.
    pub expiration: Expiration,
}

/// The signed wire TTL of an expiration (§16): 0 default, −1 never, −2 keep, seconds, raw.
pub fn ttl_of(e: Expiration) -> i64 {
    match e {
        Expiration::NamespaceDefault => 0,
        Expiration::Never => -1,
        Expiration::DontUpdate => -2,
        Expiration::Seconds(s) => i64::from(s),
        Expiration::Raw(r) => i64::from(r),
    }
}

impl StepPolicy {
    /// The model's policy.
    pub fn model(&self) -> WPol {
        WPol {
            ttl: ttl_of(self.expiration),
            ..self.pol.clone()
        }
    }
}

/// One step.
#[derive(Debug, Clone)]
pub enum Step {
    /// `put(bins)`.
    Put(KeyReq, StepPolicy, Vec<(String, Value)>),
    /// `operate(ops)` (write or read path by OP-PATH).
    Operate(KeyReq, StepPolicy, Vec<Operation>),
    /// `delete`.
    Delete(KeyReq, StepPolicy),
    /// `touch`.
    Touch(KeyReq, StepPolicy),
    /// `get` with a read-touch percent and a filter.
    Get(KeyReq, GetBins, i32, Option<MFilter>),
    /// `exists` with a read-touch percent.
    Exists(KeyReq, i32),
    /// `operate_read(ops, respond_all_ops)` with a read-touch percent.
    OperateRead(KeyReq, Vec<Operation>, i32, bool),
    /// Move the clock by this many ms (may be negative).
    Advance(i64),
    /// Run a full expiry sweep.
    Sweep,
}
