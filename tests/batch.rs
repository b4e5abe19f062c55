//! Batch commands (docs/multi-record.md BATCH-*): reads, read ops, writes with their own
//! policy and deletes mixed in one call run in order, each with its own result code and
//! in-doubt flag; a read after a write of the same key in the batch sees the write; `get_many`
//! answers as the batch's reads. Runs on the backend `AEROLITE_BACKEND` names.

mod common;

use aerolite::expressions as exp;
use aerolite::{
    as_bin, operations, BatchDeletePolicy, BatchOperation, BatchPolicy, BatchReadPolicy,
    BatchRecord, BatchWritePolicy, Bins, GenerationPolicy, Key, ReadPolicy, RecordExistsAction,
    ResultCode, Value, WritePolicy,
};

fn k(i: i64) -> Key {
    Key::new("test", "b", i).expect("key")
}

/// Every entry's outcome, filled in place by `Database::batch`.
fn outcomes(ops: &[BatchOperation]) -> Vec<BatchRecord> {
    ops.iter()
        .map(|o| o.batch_record().cloned().expect("every entry ran"))
        .collect()
}

/// BATCH-ORDER-1, BATCH-RESULT-1: mixed entries in order, per-entry codes; a later read sees an
/// earlier write and delete of the same batch.
#[test]
fn batch_order_1_mixed_entries_in_order_with_own_codes() {
    let t = common::open();
    let db = &t.db;
    for i in 0..5 {
        db.put(&WritePolicy::default(), &k(i), &[as_bin!("v", i)])
            .expect("put");
    }
    let rp = BatchReadPolicy::default();
    let create_only = BatchWritePolicy {
        record_exists_action: RecordExistsAction::CreateOnly,
        ..BatchWritePolicy::default()
    };
    let gen_check = BatchWritePolicy {
        generation_policy: GenerationPolicy::ExpectGenEqual,
        generation: 7,
        ..BatchWritePolicy::default()
    };
    let mut ops = vec![
        BatchOperation::read(&rp, k(0), Bins::All),
        BatchOperation::write(
            &BatchWritePolicy::default(),
            k(0),
            vec![operations::add(&as_bin!("v", 100))],
        ),
        BatchOperation::read(&rp, k(0), Bins::All),
        BatchOperation::write(&create_only, k(1), vec![operations::put(&as_bin!("v", 9))]),
        BatchOperation::write(&gen_check, k(2), vec![operations::put(&as_bin!("v", 9))]),
        BatchOperation::delete(&BatchDeletePolicy::default(), k(3)),
        BatchOperation::read(&rp, k(3), Bins::All),
        BatchOperation::read_ops(&rp, k(4), vec![operations::get_bin("v")]),
        BatchOperation::read(&rp, k(99), Bins::All),
        BatchOperation::read(&rp, Key::new("nope", "b", 1).expect("key"), Bins::All),
    ];
    assert!(
        ops.iter().all(|o| o.result_code().is_none()),
        "no outcome before the run"
    );
    db.batch(&BatchPolicy::default(), &mut ops).expect("batch");
    let out = outcomes(&ops);
    let codes: Vec<ResultCode> = out.iter().map(|r| r.result_code).collect();
    assert_eq!(
        codes,
        vec![
            ResultCode::Ok,
            ResultCode::Ok,
            ResultCode::Ok,
            ResultCode::KeyExistsError,
            ResultCode::GenerationError,
            ResultCode::Ok,
            ResultCode::KeyNotFoundError,
            ResultCode::Ok,
            ResultCode::KeyNotFoundError,
            ResultCode::InvalidNamespace,
        ]
    );
    let v = |i: usize| out[i].record.as_ref().and_then(|r| r.bin("v").cloned());
    assert_eq!(v(0), Some(Value::Int(0)));
    assert_eq!(
        v(2),
        Some(Value::Int(100)),
        "read after write in the same batch"
    );
    assert_eq!(out[2].record.as_ref().map(|r| r.generation), Some(2));
    assert_eq!(v(7), Some(Value::Int(4)));
    assert!(out[5].record.is_none(), "a delete returns no record");
    assert!(
        out.iter().all(|r| !r.in_doubt),
        "definite outcomes are not in doubt"
    );
    assert!(out[4].detail.contains("WP-11"));
    for (i, r) in out.iter().enumerate() {
        assert_eq!(r.key, ops[i].key);
    }
}

/// BATCH-FILTER-1, BATCH-POLICY-1: an entry's own filter wins over the batch's; durable delete
/// and TTL come from the entry's policy.
#[test]
fn batch_filter_1_entry_policies() {
    let t = common::open();
    let db = &t.db;
    for i in 0..4 {
        db.put(&WritePolicy::default(), &k(i), &[as_bin!("v", i)])
            .expect("put");
    }
    let even = exp::eq(
        exp::num_mod(exp::int_bin("v"), exp::int_val(2)),
        exp::int_val(0),
    );
    let bp = BatchPolicy {
        filter_expression: Some(even),
        ..BatchPolicy::default()
    };
    let any = BatchReadPolicy {
        filter_expression: Some(exp::bool_val(true)),
        ..BatchReadPolicy::default()
    };
    let durable = BatchDeletePolicy {
        durable_delete: true,
        ..BatchDeletePolicy::default()
    };
    let ttl = BatchWritePolicy {
        expiration: aerolite::Expiration::Seconds(100),
        ..BatchWritePolicy::default()
    };
    let mut ops = vec![
        BatchOperation::read(&BatchReadPolicy::default(), k(1), Bins::All),
        BatchOperation::read(&any, k(1), Bins::All),
        BatchOperation::delete(&durable, k(2)),
        BatchOperation::write(&ttl, k(0), vec![operations::touch()]),
    ];
    db.batch(&bp, &mut ops).expect("batch");
    let out = outcomes(&ops);
    assert_eq!(out[0].result_code, ResultCode::FilteredOut);
    assert_eq!(out[1].result_code, ResultCode::Ok);
    assert_eq!(out[2].result_code, ResultCode::Ok);
    assert_eq!(out[3].result_code, ResultCode::Ok);
    assert!(out[3].record.as_ref().is_some_and(|r| r.expiration > 0));
    // The durable delete left a tombstone: a re-create continues its generation.
    let r = db
        .put(&WritePolicy::default(), &k(2), &[as_bin!("v", 1)])
        .expect("re-create");
    assert_eq!(r.generation, 3);
}

/// BATCH-GETMANY-1: `get_many` answers exactly as single gets do.
#[test]
fn batch_getmany_1_get_many_equals_gets() {
    let t = common::open();
    let db = &t.db;
    for i in 0..30 {
        db.put(&WritePolicy::default(), &k(i), &[as_bin!("v", i)])
            .expect("put");
    }
    let keys: Vec<Key> = (0..40).map(k).collect();
    let many = db.get_many(&ReadPolicy::default(), &keys, Bins::All);
    for (key, r) in keys.iter().zip(many) {
        let single = db.get(&ReadPolicy::default(), key, Bins::All);
        assert_eq!(r.as_ref().ok(), single.as_ref().ok());
        assert_eq!(r.err().map(|e| e.code()), single.err().map(|e| e.code()));
    }
}

/// A read_ops entry with a write op → 4; a closed database → −1 for the whole call.
#[test]
fn batch_errors() {
    let mut t = common::open();
    let mut ops = vec![BatchOperation::read_ops(
        &BatchReadPolicy::default(),
        k(1),
        vec![operations::put(&as_bin!("v", 1))],
    )];
    t.db.batch(&BatchPolicy::default(), &mut ops)
        .expect("batch");
    let out = outcomes(&ops);
    assert_eq!(out[0].result_code, ResultCode::ParameterError);
    t.db.close();
    let e =
        t.db.batch(&BatchPolicy::default(), &mut ops)
            .expect_err("closed");
    assert_eq!(e.code(), ResultCode::ClientError);
}
