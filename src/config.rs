//! Configuration: a builder per namespace, every default stated (record-model.md Appendix A), and
//! `validate()` with the result codes of TTL-CONFIG.

use crate::clock::{Clock, SystemClock};
use crate::error::{err, Result, ResultCode};
use crate::policy::write::MAX_TTL_S;
use std::sync::Arc;

/// Where a namespace keeps its record images.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// In memory (`storage-engine memory`). `capacity_bytes` 0 = unbounded; otherwise writes stop
    /// (8) once used bytes reach `stop_writes_used_pct` of it.
    Memory {
        /// Capacity in bytes (0 = unbounded).
        capacity_bytes: u64,
    },
}

/// One namespace's settings. Defaults (Appendix A):
///
/// | setting | default |
/// |---|---|
/// | `default_ttl_s` | 0 (never expire) |
/// | `expiry_sweep_interval_s` | 120 (CH-SWEEP-DEFAULT; 0 disables sweeping as in Aerospike) |
/// | `allow_ttl_without_sweep` | false |
/// | `default_read_touch_ttl_pct` | 0 (off) |
/// | `max_record_size` | 1 MiB |
/// | `stop_writes_used_pct` | 70 |
/// | `stop_writes_avail_pct` | 5 |
/// | `transaction_pending_limit` | 20 (0 = unlimited) |
/// | `tombstone_eligible_age_s` | 86400 (1 day) |
/// | `storage` | `Memory { capacity_bytes: 0 }` |
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceConfig {
    /// Name, 1–31 bytes, no NUL (K-NS-NAME).
    pub name: String,
    /// CFG-DEFAULT-TTL.
    pub default_ttl_s: u32,
    /// CFG-SWEEP.
    pub expiry_sweep_interval_s: u32,
    /// CFG-ALLOW-TTL.
    pub allow_ttl_without_sweep: bool,
    /// CFG-READ-TOUCH.
    pub default_read_touch_ttl_pct: u8,
    /// CFG-MAX-RECORD (bytes of the padded record image).
    pub max_record_size: u32,
    /// CFG-STOP-USED.
    pub stop_writes_used_pct: u8,
    /// CFG-STOP-AVAIL.
    pub stop_writes_avail_pct: u8,
    /// CFG-PENDING.
    pub transaction_pending_limit: u32,
    /// CFG-TOMB-AGE.
    pub tombstone_eligible_age_s: u32,
    /// Storage backend.
    pub storage: StorageConfig,
}

impl NamespaceConfig {
    /// A namespace with every default.
    pub fn new(name: &str) -> NamespaceConfig {
        NamespaceConfig {
            name: name.to_string(),
            default_ttl_s: 0,
            expiry_sweep_interval_s: 120,
            allow_ttl_without_sweep: false,
            default_read_touch_ttl_pct: 0,
            max_record_size: 1 << 20,
            stop_writes_used_pct: 70,
            stop_writes_avail_pct: 5,
            transaction_pending_limit: 20,
            tombstone_eligible_age_s: 86_400,
            storage: StorageConfig::Memory { capacity_bytes: 0 },
        }
    }

    /// Set `default_ttl_s`.
    pub fn default_ttl(mut self, s: u32) -> Self {
        self.default_ttl_s = s;
        self
    }

    /// Set `expiry_sweep_interval_s` (0 disables sweeping).
    pub fn expiry_sweep_interval(mut self, s: u32) -> Self {
        self.expiry_sweep_interval_s = s;
        self
    }

    /// Set `allow_ttl_without_sweep`.
    pub fn allow_ttl_without_sweep(mut self, v: bool) -> Self {
        self.allow_ttl_without_sweep = v;
        self
    }

    /// Set `default_read_touch_ttl_pct`.
    pub fn default_read_touch_ttl_pct(mut self, p: u8) -> Self {
        self.default_read_touch_ttl_pct = p;
        self
    }

    /// Set `max_record_size`.
    pub fn max_record_size(mut self, n: u32) -> Self {
        self.max_record_size = n;
        self
    }

    /// Set `transaction_pending_limit`.
    pub fn transaction_pending_limit(mut self, n: u32) -> Self {
        self.transaction_pending_limit = n;
        self
    }

    /// Set the storage backend.
    pub fn storage(mut self, s: StorageConfig) -> Self {
        self.storage = s;
        self
    }

    /// Whether positive TTLs are allowed (TTL-FORBIDDEN).
    pub fn ttl_allowed(&self) -> bool {
        self.expiry_sweep_interval_s != 0 || self.allow_ttl_without_sweep
    }

    /// Check the settings (K-NS-NAME, TTL-CONFIG, CFG-*).
    pub fn validate(&self) -> Result<()> {
        let n = self.name.as_bytes();
        if n.is_empty() || n.len() > 31 || n.contains(&0) {
            return err(
                ResultCode::ParameterError,
                format!("namespace name {:?} (K-NS-NAME)", self.name),
            );
        }
        if self.default_ttl_s > MAX_TTL_S {
            return err(
                ResultCode::ParameterError,
                "default_ttl above 10 years (TTL-CONFIG)",
            );
        }
        if self.default_ttl_s != 0 && !self.ttl_allowed() {
            return err(
                ResultCode::ParameterError,
                "default_ttl ≠ 0 with expiry sweeping disabled and allow_ttl_without_sweep false (TTL-CONFIG)",
            );
        }
        if self.default_read_touch_ttl_pct > 100 {
            return err(
                ResultCode::ParameterError,
                "default_read_touch_ttl_pct above 100",
            );
        }
        if self.max_record_size < 64 {
            return err(
                ResultCode::ParameterError,
                "max_record_size below 64 bytes (L-RECORD-SIZE)",
            );
        }
        if self.stop_writes_used_pct == 0
            || self.stop_writes_used_pct > 100
            || self.stop_writes_avail_pct > 100
        {
            return err(
                ResultCode::ParameterError,
                "stop-writes percentages out of range",
            );
        }
        Ok(())
    }
}

/// Database settings: namespaces and the clock.
#[derive(Debug, Clone)]
pub struct DatabaseConfig {
    /// Namespaces (at least one; names unique).
    pub namespaces: Vec<NamespaceConfig>,
    /// Clock (default: system clock).
    pub clock: Arc<dyn Clock>,
    /// Start runtime threads for background work (expiry sweeps). Default true; tests that drive
    /// the step functions themselves turn it off.
    pub background_threads: bool,
}

impl DatabaseConfig {
    /// One in-memory namespace with defaults.
    pub fn memory(namespace: &str) -> DatabaseConfig {
        DatabaseConfig {
            namespaces: vec![NamespaceConfig::new(namespace)],
            clock: Arc::new(SystemClock),
            background_threads: true,
        }
    }

    /// From namespace configs.
    pub fn with_namespaces(namespaces: Vec<NamespaceConfig>) -> DatabaseConfig {
        DatabaseConfig {
            namespaces,
            clock: Arc::new(SystemClock),
            background_threads: true,
        }
    }

    /// Use this clock.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Start (or not) the runtime threads.
    pub fn background_threads(mut self, on: bool) -> Self {
        self.background_threads = on;
        self
    }

    /// Validate every namespace and name uniqueness.
    pub fn validate(&self) -> Result<()> {
        if self.namespaces.is_empty() {
            return err(ResultCode::ParameterError, "no namespace configured");
        }
        for (i, ns) in self.namespaces.iter().enumerate() {
            ns.validate()?;
            if self.namespaces[..i].iter().any(|o| o.name == ns.name) {
                return err(
                    ResultCode::ParameterError,
                    format!("namespace {:?} twice", ns.name),
                );
            }
        }
        Ok(())
    }
}
