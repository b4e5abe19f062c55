//! `aerolite serve` batch index protocol through the official Rust client (`aerospike` 3.x):
//! batch reads (all bins, named bins, header only), read ops, writes with ops, deletes, mixed
//! in one batch; per-row result codes (2 for a missing record, 27 for a row filtered out by the
//! batch's filter expression, 3 for a generation mismatch) under each row's index; an unknown
//! namespace fails only its own row.

mod serve_support;

use aerospike::expressions::{eq, int_bin, int_val};
use aerospike::operations;
use aerospike::{
    as_bin, as_key, as_val, BatchDeletePolicy, BatchOperation, BatchPolicy, BatchReadPolicy,
    BatchWritePolicy, Bins, Client, ClientPolicy, GenerationPolicy, ReadPolicy, WritePolicy,
};

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects to aerolite serve")
}

fn rc(op: &BatchOperation) -> Option<u8> {
    op.result_code().map(u8::from)
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_reads_writes_deletes_with_per_row_codes() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    for i in 0..5 {
        let key = as_key!("test", "b", i);
        client
            .put(&w, &key, &[as_bin!("a", i), as_bin!("s", "x")])
            .await
            .expect("put");
    }
    let (rp, wp, dp) = (
        BatchReadPolicy::default(),
        BatchWritePolicy::default(),
        BatchDeletePolicy::default(),
    );
    let stale = BatchWritePolicy {
        generation_policy: GenerationPolicy::ExpectGenEqual,
        generation: 7,
        ..BatchWritePolicy::default()
    };
    let mut ops = vec![
        BatchOperation::read(&rp, as_key!("test", "b", 0), Bins::All),
        BatchOperation::read(&rp, as_key!("test", "b", 1), Bins::from(["a"])),
        BatchOperation::read(&rp, as_key!("test", "b", 99), Bins::All),
        BatchOperation::read_ops(&rp, as_key!("test", "b", 2), [operations::get_bin("s")]),
        BatchOperation::write(
            &wp,
            as_key!("test", "b", 3),
            [operations::add(&as_bin!("a", 10))],
        ),
        BatchOperation::delete(&dp, as_key!("test", "b", 4)),
        BatchOperation::write(&stale, as_key!("test", "b", 0), [operations::touch()]),
        BatchOperation::read(&rp, as_key!("nope", "b", 0), Bins::All),
    ];
    client
        .batch(&BatchPolicy::default(), &mut ops)
        .await
        .expect("batch");
    assert_eq!(rc(&ops[0]), Some(0));
    let r0 = ops[0].record().expect("row 0 record");
    assert_eq!((r0.bins.len(), r0.generation), (2, 1));
    let r1 = ops[1].record().expect("row 1 record");
    assert_eq!(r1.bins.get("a"), Some(&as_val!(1)));
    assert_eq!(r1.bins.len(), 1);
    assert_eq!(rc(&ops[2]), Some(2), "missing record");
    assert_eq!(
        ops[3].record().expect("row 3").bins.get("s"),
        Some(&as_val!("x"))
    );
    assert_eq!(rc(&ops[4]), Some(0));
    assert_eq!(rc(&ops[5]), Some(0));
    assert_eq!(rc(&ops[6]), Some(3), "generation mismatch");
    assert!(!ops[6].in_doubt(), "a code the server sends is definitive");
    assert_eq!(rc(&ops[7]), Some(20), "unknown namespace");
    let r = ReadPolicy::default();
    let rec = client
        .get(&r, &as_key!("test", "b", 3), Bins::All)
        .await
        .expect("get 3");
    assert_eq!(rec.bins.get("a"), Some(&as_val!(13)));
    let gone = client
        .exists(&r, &as_key!("test", "b", 4))
        .await
        .expect("exists 4");
    assert!(!gone);
    let mut filtered = BatchPolicy::default();
    filtered.base_policy.filter_expression = Some(eq(int_bin("a"), int_val(1)));
    let mut ops = vec![
        BatchOperation::read(&rp, as_key!("test", "b", 0), Bins::All),
        BatchOperation::read(&rp, as_key!("test", "b", 1), Bins::All),
    ];
    client
        .batch(&filtered, &mut ops)
        .await
        .expect("filtered batch");
    assert_eq!((rc(&ops[0]), rc(&ops[1])), (Some(27), Some(0)));
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn batch_get_and_exists_of_many_keys() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    for i in 0..300 {
        client
            .put(&w, &as_key!("test", "many", i), &[as_bin!("i", i)])
            .await
            .expect("put");
    }
    let rp = BatchReadPolicy::default();
    let mut ops: Vec<_> = (0..400)
        .map(|i| BatchOperation::read(&rp, as_key!("test", "many", i), Bins::None))
        .collect();
    client
        .batch(&BatchPolicy::default(), &mut ops)
        .await
        .expect("batch");
    let found = ops.iter().filter(|o| rc(o) == Some(0)).count();
    let missing = ops.iter().filter(|o| rc(o) == Some(2)).count();
    assert_eq!((found, missing), (300, 100));
    client.close().await.expect("close");
}

/// A batch write row with ops [add, get] answers one entry per op ([nil, value]) also when the
/// row travels in a multi-row batch (the official suite's
/// `batch_write_row_bins_are_the_same_alone_and_grouped`): the clients set RESPOND_ALL_OPS on
/// every batch write row, and the row must keep it (`BatchWritePolicy::respond_all_ops`).
#[tokio::test(flavor = "multi_thread")]
async fn grouped_batch_write_row_answers_every_op() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let key = as_key!("test", "bw", "same-key");
    let other = (0..)
        .map(|i| as_key!("test", "bw", format!("other-{i}")))
        .find(|k| k.partition_id() == key.partition_id())
        .expect("a key in the same partition");
    for k in [&key, &other] {
        client
            .put(&WritePolicy::default(), k, &[as_bin!("visits", 1)])
            .await
            .expect("put");
    }
    let ops = vec![
        operations::add(&as_bin!("visits", 1)),
        operations::get_bin("visits"),
    ];
    let bwp = BatchWritePolicy::default();
    let mut batch = vec![
        BatchOperation::write(&bwp, key.clone(), ops.clone()),
        BatchOperation::write(&bwp, other.clone(), ops),
    ];
    client
        .batch(&BatchPolicy::default(), &mut batch)
        .await
        .expect("batch");
    for op in &batch {
        let rec = op.batch_record().record.as_ref().expect("row record");
        assert_eq!(
            rec.bins.get("visits"),
            Some(&aerospike::Value::MultiResult(vec![
                aerospike::Value::Nil,
                aerospike::Value::Int(2)
            ])),
            "one answer per op: nil for the add, then the read"
        );
    }
}
