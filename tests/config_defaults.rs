//! Appendix A of record-model.md: every namespace setting's default, as `NamespaceConfig::new` and
//! `DeviceConfig::new` produce it, and TTL-CONFIG's refusals. A changed default fails here.

use aerolite::config::DeviceConfig;
use aerolite::{CommitLevel, NamespaceConfig, ResultCode, WritePolicy};

/// CFG-DEFAULT-TTL, CFG-SWEEP, CFG-READ-TOUCH, CFG-ALLOW-TTL, CFG-MAX-RECORD, CFG-STOP-AVAIL,
/// CFG-STOP-USED, CFG-PENDING, CFG-TOMB-AGE, CFG-COMMIT-LEVEL, CFG-MAX-RETRIES.
#[test]
fn cfg_namespace_and_policy_defaults() {
    let ns = NamespaceConfig::new("test");
    assert_eq!(ns.default_ttl_s, 0);
    assert_eq!(ns.expiry_sweep_interval_s, 120);
    assert_eq!(ns.default_read_touch_ttl_pct, 0);
    assert!(!ns.allow_ttl_without_sweep);
    assert_eq!(ns.max_record_size, 1 << 20);
    assert_eq!(ns.stop_writes_avail_pct, 5);
    assert_eq!(ns.stop_writes_used_pct, 70);
    assert_eq!(ns.transaction_pending_limit, 20);
    assert_eq!(ns.tombstone_eligible_age_s, 86_400);
    let wp = WritePolicy::default();
    assert_eq!(wp.commit_level, CommitLevel::CommitAll);
    assert_eq!(wp.max_retries, 0);
}

/// CFG-COMMIT-DEVICE, CFG-WRITE-CACHE, CFG-FLUSH-MAX: the device store's durability defaults.
#[test]
fn cfg_device_defaults() {
    let d = DeviceConfig::new("/nonexistent/aerolite-defaults.dat");
    assert!(!d.commit_to_device, "buffered by default (DUR-BUFFERED)");
    assert_eq!(d.max_write_cache, 64 << 20);
    assert_eq!(d.flush_max_ms, 1000);
}

/// The background defrag's free high-water mark: 50 % by default, 1 … 100 accepted (100 is
/// Aerospike's eager defrag), anything else refused with 4 and a message naming the setting.
#[test]
fn cfg_defrag_free_hwm() {
    let d = DeviceConfig::new("/nonexistent/aerolite-defaults.dat");
    assert_eq!(d.defrag_free_hwm_pct, 50);
    for ok in [1u8, 50, 100] {
        assert!(d.clone().defrag_free_hwm_pct(ok).validate().is_ok(), "{ok}");
    }
    for bad in [0u8, 101, 255] {
        let e = d
            .clone()
            .defrag_free_hwm_pct(bad)
            .validate()
            .expect_err("out of range");
        assert_eq!(e.code(), aerolite::ResultCode::ParameterError, "{bad}");
        assert!(e.to_string().contains("defrag_free_hwm_pct"), "{e}");
    }
}

/// TTL-CONFIG: default_ttl ≠ 0 with sweeping off and no allow flag → 4; above 10 years → 4.
#[test]
fn ttl_config_refusals() {
    let bad = NamespaceConfig::new("test")
        .default_ttl(60)
        .expiry_sweep_interval(0);
    assert_eq!(
        bad.validate().map_err(|e| e.code()),
        Err(ResultCode::ParameterError)
    );
    let ok = bad.allow_ttl_without_sweep(true);
    assert!(ok.validate().is_ok());
    let too_long = NamespaceConfig::new("test").default_ttl(315_360_001);
    assert_eq!(
        too_long.validate().map_err(|e| e.code()),
        Err(ResultCode::ParameterError)
    );
}
