//! `filter_expression` on single-record requests (EXP-WHERE-1, WP-13, RP-06, DP-08,
//! Q-FILTER-CREATE): evaluated on the existing record before the request applies; false or
//! unknown → FilteredOut (27) and nothing changes; never evaluated for a request that creates
//! the record; a missing record is not filtered (the read still answers 2). Runs on both
//! backends (`AEROLITE_BACKEND=device`).

mod common;

use aerolite::expressions::{self as exp, Expression};
use aerolite::{
    as_bin, as_key, operations as op, Bins, Error, ReadPolicy, ResultCode as RC, WritePolicy,
};

fn rc<T>(r: &Result<T, Error>) -> RC {
    match r {
        Ok(_) => RC::Ok,
        Err(e) => e.code(),
    }
}

fn a_is(v: i64) -> Option<Expression> {
    Some(exp::eq(exp::int_bin("a"), exp::int_val(v)))
}

fn wp(f: Option<Expression>) -> WritePolicy {
    WritePolicy {
        filter_expression: f,
        ..WritePolicy::default()
    }
}

fn rp(f: Option<Expression>) -> ReadPolicy {
    ReadPolicy {
        filter_expression: f,
        ..ReadPolicy::default()
    }
}

#[test]
fn exp_where_1_reads_writes_deletes_touches_operates_are_filtered() {
    let t = common::open();
    let k = as_key!("test", "s", 1);
    t.db.put(&wp(None), &k, &[as_bin!("a", 1)]).expect("put");
    assert_eq!(rc(&t.db.get(&rp(a_is(1)), &k, Bins::All)), RC::Ok);
    assert_eq!(rc(&t.db.get(&rp(a_is(2)), &k, Bins::All)), RC::FilteredOut);
    assert_eq!(
        rc(&t.db.put(&wp(a_is(2)), &k, &[as_bin!("a", 5)])),
        RC::FilteredOut
    );
    assert_eq!(rc(&t.db.touch(&wp(a_is(2)), &k)), RC::FilteredOut);
    let ops = [op::add(&as_bin!("a", 1)), op::get_bin("a")];
    assert_eq!(rc(&t.db.operate(&wp(a_is(2)), &k, &ops)), RC::FilteredOut);
    assert_eq!(rc(&t.db.delete(&wp(a_is(2)), &k)), RC::FilteredOut);
    let rec = t.db.get(&rp(None), &k, Bins::All).expect("still there");
    assert_eq!((rec.generation, rec.bin("a")), (1, Some(&1.into())));
    // A true filter lets each request through.
    let rec = t.db.operate(&wp(a_is(1)), &k, &ops).expect("operate");
    assert_eq!(rec.bin("a"), Some(&2.into()));
    assert_eq!(rc(&t.db.delete(&wp(a_is(2)), &k)), RC::Ok);
}

#[test]
fn exp_where_1_unknown_filters_out_like_false() {
    let t = common::open();
    let k = as_key!("test", "s", 2);
    t.db.put(&wp(None), &k, &[as_bin!("a", "text")])
        .expect("put");
    // Bin "a" is a string: int_bin("a") is unknown, and so is its negation.
    let f = exp::ne(exp::int_bin("a"), exp::int_val(1));
    assert_eq!(
        rc(&t.db.get(&rp(Some(f.clone())), &k, Bins::All)),
        RC::FilteredOut
    );
    assert_eq!(
        rc(&t.db.get(&rp(Some(exp::not(f))), &k, Bins::All)),
        RC::FilteredOut
    );
}

#[test]
fn q_filter_create_missing_records_are_not_filtered() {
    let t = common::open();
    let k = as_key!("test", "s", 3);
    assert_eq!(
        rc(&t.db.get(&rp(a_is(9)), &k, Bins::All)),
        RC::KeyNotFoundError
    );
    // A write that creates the record ignores the filter (also over a durable tombstone).
    t.db.put(&wp(a_is(9)), &k, &[as_bin!("a", 1)])
        .expect("create ignores the filter");
    let durable = WritePolicy {
        durable_delete: true,
        ..wp(None)
    };
    t.db.delete(&durable, &k).expect("durable delete");
    t.db.put(&wp(a_is(9)), &k, &[as_bin!("a", 2)])
        .expect("re-create ignores it");
    assert_eq!(
        rc(&t.db.put(&wp(a_is(9)), &k, &[as_bin!("a", 3)])),
        RC::FilteredOut
    );
}

#[test]
fn exp_where_1_metadata_filters_use_the_engine_clock() {
    let t = common::open();
    let k = as_key!("test", "s", 4);
    t.db.put(&wp(None), &k, &[as_bin!("a", 1)]).expect("put");
    let stale = Some(exp::gt(exp::since_update(), exp::int_val(60_000)));
    assert_eq!(
        rc(&t.db.get(&rp(stale.clone()), &k, Bins::All)),
        RC::FilteredOut
    );
    t.clock.advance_ms(61_000);
    assert_eq!(rc(&t.db.get(&rp(stale), &k, Bins::All)), RC::Ok);
    let in_set = Some(exp::eq(exp::set_name(), exp::string_val("s")));
    assert_eq!(rc(&t.db.get(&rp(in_set), &k, Bins::All)), RC::Ok);
}

#[test]
fn exp_type_1_a_malformed_filter_is_a_parameter_error() {
    let t = common::open();
    let k = as_key!("test", "s", 5);
    t.db.put(&wp(None), &k, &[as_bin!("a", 1)]).expect("put");
    let f = Some(exp::eq(exp::int_bin("a"), exp::string_val("1")));
    assert_eq!(rc(&t.db.get(&rp(f), &k, Bins::All)), RC::ParameterError);
}
