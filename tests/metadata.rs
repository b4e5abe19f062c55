//! Record metadata (record-model.md §5 MD-* rows, §6 S-* rows): void-time set by every write and
//! by nothing else, LUT units and monotonicity against a clock that goes backwards, the
//! injectable clock, and the four record states as the namespace counts them.

mod common;
#[path = "common/semantics.rs"]
mod sem;

use aerolite::{operations as op, Clock, Expiration as E, ResultCode as RC, SystemClock};
use sem::*;

/// MD-LUT-UNIT, MD-LUT-EXPOSE, MD-CLOCK, CH-CLOCK, CH-LUT: the LUT is ms since 2010 on the
/// injected clock and is reported by writes, gets, headers and operates.
#[test]
fn md_lut_unit_and_exposed() {
    let t = common::open();
    let k = key(1);
    let expect = (1_767_225_600u64 - 1_262_304_000) * 1000;
    assert_eq!(now_ms(&t), expect);
    let w = put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    assert_eq!(w.last_update_time, expect);
    t.clock.advance_ms(1234);
    let w = put_ok(&t, &wp(), &k, &[bin("a", 2)]);
    assert_eq!(w.last_update_time, expect + 1234);
    assert_eq!(must_get(&t, &k).last_update_time, expect + 1234);
    assert_eq!(
        t.db.get_header(&rp(), &k).expect("h").last_update_time,
        expect + 1234
    );
    let r =
        t.db.operate(&wp(), &k, &[op::get_header()])
            .expect("read op");
    assert_eq!(r.last_update_time, expect + 1234);
    // The default clock is the wall clock, in the same epoch.
    let sys = SystemClock.now_ms();
    assert!(
        sys > expect - 86_400_000 * 365 * 10,
        "plausible wall clock: {sys}"
    );
}

/// MD-LUT-MONO: LUT := max(LUT_old, now) on every write — put, touch, durable delete, write over
/// a tombstone — so a clock going backwards never moves a LUT back; a missing record has
/// LUT_old = 0.
#[test]
fn md_lut_monotonic_when_clock_goes_back() {
    let t = common::open();
    let k = key(1);
    let w = put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    let t0 = w.last_update_time;
    t.clock.advance_ms(-10_000);
    assert_eq!(put_ok(&t, &wp(), &k, &[bin("a", 2)]).last_update_time, t0);
    assert_eq!(t.db.touch(&wp(), &k).expect("touch").last_update_time, t0);
    let r =
        t.db.operate(&wp(), &k, &[op::add(&bin("a", 1))])
            .expect("op");
    assert_eq!(r.last_update_time, t0);
    assert!(t.db.delete(&durable(), &k).expect("durable delete"));
    t.clock.advance_ms(-10_000);
    let r = put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    assert_eq!(r.last_update_time, t0, "the tombstone's LUT counts");
    // After a non-durable delete there is no LUT_old.
    assert!(t.db.delete(&wp(), &k).expect("delete"));
    let r = put_ok(&t, &wp(), &k, &[bin("a", 1)]);
    assert_eq!(r.last_update_time, now_ms(&t));
    assert!(r.last_update_time < t0);
}

/// MD-VOID-SET: every successful write computes a new void-time; reads never change it (no
/// read-touch configured); failed writes neither.
#[test]
fn md_void_set_by_writes_only() {
    let t = common::open();
    let k = key(1);
    let w = put_ok(&t, &ttl(E::Seconds(100)), &k, &[bin("a", 1)]);
    t.clock.advance_s(10);
    let _ = get(&t, &k);
    let _ = t.db.operate(&wp(), &k, &[op::get()]);
    let _ = t.db.put(&eq(99), &k, &[bin("a", 1)]);
    assert_eq!(must_get(&t, &k).expiration, w.expiration);
    let r =
        t.db.operate(&ttl(E::Seconds(100)), &k, &[op::put(&bin("b", 1))])
            .expect("write");
    assert_eq!(r.expiration, w.expiration + 10);
}

/// S-MISSING, S-LIVE, S-TOMB, S-EXPIRED: the namespace counts live-or-expired entries and
/// tombstones; a non-durable delete and a non-durable write-to-delete leave no entry.
#[test]
fn s_states_counted() {
    let t = common::open();
    live(&t, &key(1), 1);
    tomb(&t, &key(2), 1);
    expired(&t, &key(3), 1);
    let s = t.db.stats();
    assert_eq!(
        (s.records, s.tombstones),
        (2, 1),
        "live + expired-not-reaped, one tombstone"
    );
    live(&t, &key(4), 1);
    t.db.operate(&wp(), &key(4), &[op::delete()])
        .expect("to delete");
    assert_eq!(t.db.stats().records, 2);
    assert_eq!(rc(&get(&t, &key(4))), RC::KeyNotFoundError);
}

/// MD-LUT-UNIT, MD-LUT-MONO at the end of the 40-bit range (the year 2044): writes, touches,
/// durable deletes and read-touches keep working and never panic; the LUT saturates at 2^40 − 1
/// and so still never goes backwards.
#[test]
fn md_lut_saturates_at_40_bits() {
    let t = common::open();
    let k = key(1);
    put_ok(&t, &ttl(E::Seconds(100)), &k, &[bin("a", 1)]);
    let lut_max = (1u64 << 40) - 1;
    t.clock.set_ms(lut_max - 5);
    let r = put_ok(&t, &ttl(E::Seconds(100)), &k, &[bin("a", 2)]);
    assert_eq!(r.last_update_time, lut_max - 5);
    t.clock.set_ms(lut_max + 10_000);
    let r = put_ok(&t, &ttl(E::Seconds(100)), &k, &[bin("a", 3)]);
    assert_eq!(r.last_update_time, lut_max);
    assert_eq!(
        t.db.touch(&wp(), &k).expect("touch").last_update_time,
        lut_max
    );
    t.clock.advance_s(95);
    let p = aerolite::ReadPolicy {
        read_touch_ttl_percent: 100,
        ..aerolite::ReadPolicy::default()
    };
    assert!(t.db.get(&p, &k, aerolite::Bins::All).is_ok());
    assert!(t.db.delete(&durable(), &k).expect("durable delete"));
    assert_eq!(
        put_ok(&t, &wp(), &k, &[bin("a", 4)]).last_update_time,
        lut_max
    );
}
