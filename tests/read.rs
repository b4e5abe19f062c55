//! Reads (record-model.md §14 R-* rows, §7.2 RP-* rows) and read-touch (§14.1 RTT-* rows):
//! get / get_header / exists against every state, named bins, the stored key, filters, and the
//! TTL renewal a read can trigger.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::expressions as exp;
use aerolite::{
    operations as op, Bins, Expiration, ReadPolicy, ResultCode as RC, StorageConfig, Value,
};
use sem::*;

fn rtt(p: i32) -> ReadPolicy {
    ReadPolicy {
        read_touch_ttl_percent: p,
        ..ReadPolicy::default()
    }
}

/// R-MISSING, R-TOMB, R-EXP, RP-02, RP-04, RP-05, R-EXISTS, S-MISSING, S-TOMB, S-EXPIRED: not
/// visible → 2 from get, get_header and a read-only operate; exists says false.
#[test]
fn r_not_visible_states() {
    for (id, t, k) in not_visible() {
        assert_eq!(rc(&get(&t, &k)), RC::KeyNotFoundError, "{id}");
        assert_eq!(
            rc(&t.db.get_header(&rp(), &k)),
            RC::KeyNotFoundError,
            "{id}"
        );
        let r = t.db.get(&rp(), &k, Bins::from_names(&["a"]));
        assert_eq!(rc(&r), RC::KeyNotFoundError, "{id}");
        assert_eq!(
            rc(&t.db.operate(&wp(), &k, &[op::get()])),
            RC::KeyNotFoundError
        );
        assert_eq!(
            t.db.exists(&rp(), &k).map_err(|e| e.code()),
            Ok(false),
            "{id}"
        );
    }
}

/// R-LIVE, R-ALL, R-HEADER, RP-09, MD-LUT-EXPOSE, S-LIVE, B-ORDER, CH-BIN-ORDER: generation,
/// void-time, LUT and bins in creation order; the header has metadata only.
#[test]
fn r_live_metadata_and_bins() {
    let t = common::open();
    let k = key(1);
    let w = put_ok(
        &t,
        &ttl(Expiration::Seconds(500)),
        &k,
        &[bin("z", 1), bin("a", 2), bin("m", 3)],
    );
    assert_eq!(w.last_update_time, now_ms(&t));
    let got = must_get(&t, &k);
    assert_eq!(got.generation, 1);
    assert_eq!(got.expiration, now_s(&t) + 500);
    assert_eq!(got.last_update_time, w.last_update_time);
    assert_eq!(got.bins.names(), vec!["z", "a", "m"]);
    // B-ORDER: deleting keeps relative order; re-creating puts the bin last.
    put_ok(&t, &wp(), &k, &[bin("a", Value::Nil)]);
    put_ok(&t, &wp(), &k, &[bin("a", 5)]);
    assert_eq!(must_get(&t, &k).bins.names(), vec!["z", "m", "a"]);
    let h = t.db.get_header(&rp(), &k).expect("header");
    assert!(h.bins.is_empty());
    assert_eq!(h.generation, 3);
    assert!(t.db.exists(&rp(), &k).expect("exists"));
}

/// R-BIN-ABSENT, RP-08: a requested bin that does not exist is simply absent (Nil with
/// respond_all_ops in an operate); an explicit empty bin list → 4.
#[test]
fn r_bin_absent_and_empty_list() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let r =
        t.db.get(&rp(), &k, Bins::from_names(&["a", "nope"]))
            .expect("get");
    assert_eq!(bins_of(&r), pairs(&[("a", Value::Int(1))]));
    let r =
        t.db.operate_read(&rp(), &k, &[op::get_bin("nope"), op::get_bin("a")], true)
            .expect("respond all");
    assert_eq!(
        bins_of(&r),
        pairs(&[("nope", Value::Nil), ("a", Value::Int(1))])
    );
    let r = t.db.get(&rp(), &k, Bins::Some(vec![]));
    assert_eq!(rc(&r), RC::ParameterError);
}

/// R-BIN-NAME: an invalid requested bin name on a live record → 21; a missing record gives 2
/// first.
#[test]
fn r_bin_name_invalid() {
    let t = common::open();
    let k = key(1);
    let long = "x".repeat(16);
    assert_eq!(
        rc(&t.db.get(&rp(), &k, Bins::from_names(&[&long]))),
        RC::KeyNotFoundError
    );
    live(&t, &k, 1);
    assert_eq!(
        rc(&t.db.get(&rp(), &k, Bins::from_names(&[&long]))),
        RC::BinNameTooLong
    );
    assert_eq!(
        rc(&t.db.get(&rp(), &k, Bins::from_names(&["a\0"]))),
        RC::BinNameTooLong
    );
}

/// R-SET, RP-03: a request set that differs → 4, checked before the expiry and tombstone checks;
/// a request with no set is not checked.
#[test]
fn r_set_differs() {
    for s in [St::Live(1), St::Tomb(1), St::Expired(1)] {
        let t = common::open();
        let k = key(1);
        make(&t, &k, s);
        let other = by_digest(&k, "other");
        assert_eq!(rc(&get(&t, &other)), RC::ParameterError, "{s:?}");
        assert_eq!(
            rc(&t.db.exists(&rp(), &other)),
            RC::ParameterError,
            "R-EXISTS: error"
        );
        let want = if s == St::Live(1) {
            RC::Ok
        } else {
            RC::KeyNotFoundError
        };
        assert_eq!(rc(&get(&t, &by_digest(&k, ""))), want, "{s:?} no set given");
    }
}

/// R-KEY, RP-07, SK-MISMATCH (read): a stored key that differs from the request's → 19.
#[test]
fn r_key_mismatch() {
    let t = common::open();
    let (k, forged) = key_stored_and_forged(&t);
    assert_eq!(rc(&get(&t, &forged)), RC::KeyMismatch);
    assert_eq!(rc(&t.db.exists(&rp(), &forged)), RC::KeyMismatch);
    assert!(
        get(&t, &by_digest(&k, SET)).is_ok(),
        "digest-only never checked"
    );
}

/// R-FILTER, RP-06: a false filter → 27; a true one reads.
#[test]
fn r_filter() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let p = ReadPolicy {
        filter_expression: Some(exp::eq(exp::int_bin("a"), exp::int_val(2))),
        ..ReadPolicy::default()
    };
    assert_eq!(rc(&t.db.get(&p, &k, Bins::All)), RC::FilteredOut);
    let p = ReadPolicy {
        filter_expression: Some(exp::eq(exp::int_bin("a"), exp::int_val(1))),
        ..ReadPolicy::default()
    };
    assert!(t.db.get(&p, &k, Bins::All).is_ok());
}

/// R-NO-SIDE-EFFECT, GC-READ: reads leave generation, bins, void-time and LUT unchanged.
#[test]
fn r_no_side_effect() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    let before = observe(&t, &k);
    t.clock.advance_s(50);
    for _ in 0..3 {
        let _ = get(&t, &k);
        let _ = t.db.exists(&rp(), &k);
        let _ = t.db.operate(&wp(), &k, &[op::get_bin("a")]);
    }
    assert_eq!(observe(&t, &k), before);
}

/// RTT-SETTING, RP-05A, RTT-ELIGIBLE: values other than −1, 0, 1 … 100 → 4 for a record with a
/// void-time; for a record that never expires the setting is not examined.
#[test]
fn rtt_setting_validation() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    for bad in [-2, 101, i32::MIN, i32::MAX] {
        assert_eq!(
            rc(&t.db.get(&rtt(bad), &k, Bins::All)),
            RC::ParameterError,
            "{bad}"
        );
        assert_eq!(rc(&t.db.exists(&rtt(bad), &k)), RC::ParameterError, "{bad}");
    }
    for good in [-1, 0, 1, 50, 100] {
        assert!(t.db.get(&rtt(good), &k, Bins::All).is_ok(), "{good}");
    }
    let k2 = key(2);
    put_ok(&t, &wp(), &k2, &[bin("a", 1)]);
    for bad in [-2, 101] {
        assert!(
            t.db.get(&rtt(bad), &k2, Bins::All).is_ok(),
            "never-expiring: {bad}"
        );
    }
}

/// RTT-WHEN, RTT-EFFECT, RTT-REPORT: with p = 20 and a 100 s TTL the read touches once at most
/// 20 s are left; the touch sets void := now + 100 and LUT := now, keeps generation and bins,
/// and the triggering read reports the old metadata.
#[test]
fn rtt_when_effect_report() {
    let t = common::open();
    let k = key(1);
    let w = put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    t.clock.advance_s(79); // 21 s left: not yet
    let r = t.db.get(&rtt(20), &k, Bins::All).expect("read");
    assert_eq!(r.expiration, w.expiration);
    assert_eq!(must_get(&t, &k).expiration, w.expiration, "no touch yet");
    t.clock.advance_s(1); // 20 s left: touch
    let now = now_s(&t);
    let r = t.db.get(&rtt(20), &k, Bins::All).expect("read");
    assert_eq!(
        r.expiration, w.expiration,
        "RTT-REPORT: metadata before the touch"
    );
    assert_eq!(r.last_update_time, w.last_update_time);
    let after = must_get(&t, &k);
    assert_eq!(after.expiration, now + 100, "RTT-EFFECT: now + write_ttl");
    assert_eq!(after.last_update_time, now_ms(&t));
    assert_eq!(after.generation, 1, "generation unchanged");
    assert_eq!(bins_of(&after), pairs(&[("a", Value::Int(1))]));
    // Just after the touch the new void-time would not be later: skipped.
    let r = t.db.get(&rtt(100), &k, Bins::All).expect("read");
    assert_eq!(r.expiration, now + 100);
    assert_eq!(must_get(&t, &k).last_update_time, after.last_update_time);
}

/// RTT-SETTING, CFG-READ-TOUCH: 0 uses the namespace default; −1 never touches whatever the
/// namespace says; get_header, exists and a read-path operate also touch.
#[test]
fn rtt_namespace_default_and_never() {
    let t = common::open_with(|ns| ns.default_read_touch_ttl_pct(50));
    let k = key(1);
    let w = put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    t.clock.advance_s(60);
    let _ = t.db.get(&rtt(-1), &k, Bins::All).expect("never");
    assert_eq!(
        t.db.get_header(&rtt(-1), &k).expect("h").expiration,
        w.expiration
    );
    assert!(t.db.exists(&rtt(0), &k).expect("exists"));
    let touched = t.db.get_header(&rtt(-1), &k).expect("h").expiration;
    assert_eq!(
        touched,
        now_s(&t) + 100,
        "exists with 0 used the namespace's 50 %"
    );

    let k2 = key(2);
    put_ok(&t, &ttl(Expiration::Seconds(100)), &k2, &[bin("a", 1)]);
    t.clock.advance_s(60);
    let _ =
        t.db.operate(&wp(), &k2, &[op::get_bin("a")])
            .expect("read-path operate");
    assert_eq!(
        t.db.get_header(&rtt(-1), &k2).expect("h").expiration,
        now_s(&t) + 100
    );
    // Default namespace setting 0 = off.
    let t = common::open();
    let k = key(1);
    let w = put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    t.clock.advance_s(99);
    let _ = get(&t, &k);
    assert_eq!(must_get(&t, &k).expiration, w.expiration);
}

/// RTT-APPLY, CH-READ-TOUCH: only a read that returns 0 touches (a filtered-out read does not);
/// a touch whose image cannot be written is dropped silently and the read still succeeds.
#[test]
fn rtt_apply_only_on_success_and_dropped_when_full() {
    let t = common::open();
    let k = key(1);
    let w = put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    t.clock.advance_s(90);
    let p = ReadPolicy {
        read_touch_ttl_percent: 50,
        filter_expression: Some(exp::eq(exp::int_bin("a"), exp::int_val(7))),
        ..ReadPolicy::default()
    };
    assert_eq!(rc(&t.db.get(&p, &k, Bins::All)), RC::FilteredOut);
    let long = "x".repeat(16);
    assert_eq!(
        rc(&t.db.get(&rtt(50), &k, Bins::from_names(&[&long]))),
        RC::BinNameTooLong
    );
    assert_eq!(
        must_get(&t, &k).expiration,
        w.expiration,
        "no touch on failure"
    );

    // A full store: the touch cannot be written; the read still returns 0.
    let t = common::open_with(|mut ns| {
        ns.stop_writes_used_pct = 100;
        ns.storage(StorageConfig::Memory {
            capacity_bytes: 16 * 1024,
        })
    });
    let k = key(0);
    let w = put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    let mut n = 1;
    while rc(&t.db.put(&wp(), &key(n), &[bin("pad", vec![0u8; 100])])) == RC::Ok {
        n += 1;
        assert!(n < 10_000);
    }
    // Fill the last bytes with small records too.
    while rc(&t.db.put(&wp(), &key(n), &[bin("p", 1)])) == RC::Ok {
        n += 1;
        assert!(n < 20_000);
    }
    t.clock.advance_s(90);
    let r = t.db.get(&rtt(50), &k, Bins::All).expect("read succeeds");
    assert_eq!(r.expiration, w.expiration);
    assert_eq!(must_get(&t, &k).expiration, w.expiration, "touch dropped");
}

/// RP-08, L-OPS: a named-bin get is a list of read ops (Aerospike sends one read op per name), so
/// more than 32768 names → 4, like an operate with more than 32768 reads; 32768 names are fine.
#[test]
fn rp_08_bin_list_longer_than_op_limit() {
    let t = common::open();
    let k = key(1);
    live(&t, &k, 1);
    let names: Vec<String> = (0..32_769).map(|i| format!("b{}", i % 100)).collect();
    let r = t.db.get(&rp(), &k, Bins::Some(names.clone()));
    assert_eq!(rc(&r), RC::ParameterError);
    let r = t.db.get(&rp(), &k, Bins::Some(names[..32_768].to_vec()));
    assert_eq!(rc(&r), RC::Ok);
}

/// RTT-APPLY with RC-8's "out of space" (the namespace in stop-writes): the read-touch is a write
/// of the record image, and writes are refused in stop-writes (WP-04), so the touch is dropped
/// silently; the read still returns 0. Once space is freed the next read touches.
#[test]
fn rtt_dropped_in_stop_writes() {
    let t = common::open_with(|ns| {
        ns.storage(StorageConfig::Memory {
            capacity_bytes: 32 * 1024,
        })
    });
    let k = key(0);
    let w = put_ok(&t, &ttl(Expiration::Seconds(100)), &k, &[bin("a", 1)]);
    let mut n = 1;
    while rc(&t.db.put(&wp(), &key(n), &[bin("pad", vec![0u8; 500])])) == RC::Ok {
        n += 1;
        assert!(n < 1000);
    }
    t.clock.advance_s(90);
    let r =
        t.db.get(&rtt(50), &k, Bins::All)
            .expect("read succeeds in stop-writes");
    assert_eq!(r.expiration, w.expiration);
    assert_eq!(must_get(&t, &k).expiration, w.expiration, "touch dropped");
    for i in 1..n {
        assert!(t.db.delete(&wp(), &key(i)).expect("delete"));
    }
    let _ = t.db.get(&rtt(50), &k, Bins::All).expect("read");
    assert_eq!(
        must_get(&t, &k).expiration,
        now_s(&t) + 100,
        "touched after space freed"
    );
}
