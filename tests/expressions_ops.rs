//! Expression operations in `operate` (EXP-OP-READ, EXP-OP-WRITE, EXP-OP-UNKNOWN,
//! EXP-OP-META; docs/expressions.md §Operations): values, flags and result codes, and
//! atomicity — a refused op fails the whole operate and the record keeps its generation.

mod common;

use aerolite::expressions::{self as exp, ExpReadFlags, ExpWriteFlags};
use aerolite::operations::{self as op, exp_read, exp_write};
use aerolite::{
    as_bin, as_key, Bins, Error, Key, ReadPolicy, ResultCode as RC, Value, WritePolicy,
};

fn rc<T>(r: &Result<T, Error>) -> RC {
    match r {
        Ok(_) => RC::Ok,
        Err(e) => e.code(),
    }
}

fn setup(t: &common::TestDb, n: i64) -> Key {
    let k = as_key!("test", "s", n);
    let bins = [as_bin!("a", 2), as_bin!("b", 3)];
    t.db.put(&WritePolicy::default(), &k, &bins).expect("put");
    k
}

fn a_plus_b() -> exp::Expression {
    exp::num_add(vec![exp::int_bin("a"), exp::int_bin("b")])
}

fn unknown() -> exp::Expression {
    exp::int_bin("missing")
}

#[test]
fn exp_op_read_value_unknown_and_eval_no_fail() {
    let t = common::open();
    let k = setup(&t, 1);
    let w = WritePolicy::default();
    let rec =
        t.db.operate(&w, &k, &[exp_read("sum", &a_plus_b(), 0)])
            .expect("read_exp");
    assert_eq!(rec.bin("sum"), Some(&Value::Int(5)));
    assert_eq!(
        rc(&t.db.operate(&w, &k, &[exp_read("u", &unknown(), 0)])),
        RC::OpNotApplicable
    );
    let flags = ExpReadFlags::EvalNoFail as i64;
    let rec =
        t.db.operate(&w, &k, &[exp_read("u", &unknown(), flags)])
            .expect("no-fail");
    assert_eq!(rec.bin("u"), Some(&Value::Nil));
    // The read sees the ops before it in the same operate.
    let ops = [op::add(&as_bin!("a", 10)), exp_read("sum", &a_plus_b(), 0)];
    let rec = t.db.operate(&w, &k, &ops).expect("operate");
    assert_eq!(rec.bin("sum"), Some(&Value::Int(15)));
}

#[test]
fn exp_op_write_default_create_and_update_flags() {
    let t = common::open();
    let k = setup(&t, 2);
    let w = WritePolicy::default();
    t.db.operate(&w, &k, &[exp_write("c", &a_plus_b(), 0)])
        .expect("write_exp");
    let rec =
        t.db.get(&ReadPolicy::default(), &k, Bins::All)
            .expect("get");
    assert_eq!((rec.bin("c"), rec.generation), (Some(&Value::Int(5)), 2));
    let create_only = ExpWriteFlags::CreateOnly as i64;
    let update_only = ExpWriteFlags::UpdateOnly as i64;
    let no_fail = ExpWriteFlags::PolicyNoFail as i64;
    assert_eq!(
        rc(&t
            .db
            .operate(&w, &k, &[exp_write("c", &a_plus_b(), create_only)])),
        RC::BinExistsError
    );
    assert_eq!(
        rc(&t
            .db
            .operate(&w, &k, &[exp_write("z", &a_plus_b(), update_only)])),
        RC::BinNotFound
    );
    t.db.operate(
        &w,
        &k,
        &[exp_write("z", &a_plus_b(), update_only | no_fail)],
    )
    .expect("skipped");
    let rec =
        t.db.get(&ReadPolicy::default(), &k, Bins::All)
            .expect("get");
    assert_eq!(rec.bin("z"), None);
    assert_eq!(rec.generation, 3, "a skipped op still commits the operate");
}

#[test]
fn exp_op_write_nil_needs_allow_delete_and_unknown_needs_eval_no_fail() {
    let t = common::open();
    let k = setup(&t, 3);
    let w = WritePolicy::default();
    assert_eq!(
        rc(&t.db.operate(&w, &k, &[exp_write("a", &exp::nil(), 0)])),
        RC::OpNotApplicable
    );
    let allow = ExpWriteFlags::AllowDelete as i64;
    t.db.operate(&w, &k, &[exp_write("a", &exp::nil(), allow)])
        .expect("delete via nil");
    let rec =
        t.db.get(&ReadPolicy::default(), &k, Bins::All)
            .expect("get");
    assert_eq!((rec.bin("a"), rec.generation), (None, 2));
    // Unknown: 26 and nothing applied (the add before it is discarded too, OP-ATOMIC).
    let ops = [op::add(&as_bin!("b", 1)), exp_write("b", &unknown(), 0)];
    assert_eq!(rc(&t.db.operate(&w, &k, &ops)), RC::OpNotApplicable);
    let rec =
        t.db.get(&ReadPolicy::default(), &k, Bins::All)
            .expect("get");
    assert_eq!((rec.bin("b"), rec.generation), (Some(&Value::Int(3)), 2));
    let no_fail = ExpWriteFlags::EvalNoFail as i64;
    let ops = [
        op::add(&as_bin!("b", 1)),
        exp_write("b", &unknown(), no_fail),
    ];
    t.db.operate(&w, &k, &ops).expect("eval no-fail");
    let rec =
        t.db.get(&ReadPolicy::default(), &k, Bins::All)
            .expect("get");
    assert_eq!(rec.bin("b"), Some(&Value::Int(4)));
}

#[test]
fn exp_op_meta_expression_ops_see_the_record_metadata() {
    let t = common::open();
    let k = setup(&t, 4);
    let w = WritePolicy::default();
    let ops = [
        exp_read("set", &exp::set_name(), 0),
        exp_read("tomb", &exp::is_tombstone(), 0),
    ];
    let rec = t.db.operate(&w, &k, &ops).expect("read-only operate");
    assert_eq!(rec.bin("set"), Some(&Value::from("s")));
    assert_eq!(rec.bin("tomb"), Some(&Value::Bool(false)));
    // A record being created: write_exp of a literal creates it.
    let fresh = as_key!("test", "s", 40);
    let ops = [exp_write("x", &exp::int_val(9), 0), op::get_bin("x")];
    let rec = t.db.operate(&w, &fresh, &ops).expect("create");
    assert_eq!((rec.bin("x"), rec.generation), (Some(&Value::Int(9)), 1));
}
