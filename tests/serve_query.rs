//! `aerolite serve` scan / primary-index query streams and truncate through the official Rust
//! client (`aerospike` 3.x): a query of a set returns every record of the set once (bins,
//! generation, key when stored); a bin selection; `max_records` pages that resume from the
//! partition filter the client keeps (partition-done rows, digest resume points) until it is
//! done; a filter expression on the query; a query of a single partition; `truncate` of a set
//! and of a namespace (info commands `truncate`, `truncate-namespace`); a scan answer that
//! streams (its first rows arrive while the scan still runs).

mod serve_support;

use aerospike::expressions::{ge, int_bin, int_val};
use aerospike::{
    as_bin, as_key, AdminPolicy, Bins, Client, ClientPolicy, PartitionFilter, QueryPolicy,
    ReadPolicy, Statement, WritePolicy,
};
use futures::stream::StreamExt;

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects to aerolite serve")
}

async fn fill(client: &Client, set: &str, n: i64) {
    let w = WritePolicy {
        send_key: true,
        ..WritePolicy::default()
    };
    for i in 0..n {
        let key = as_key!("test", set, i);
        client
            .put(&w, &key, &[as_bin!("i", i), as_bin!("s", "x")])
            .await
            .expect("put");
    }
}

/// Run one query to its end: (values of bin "i", the resume filter).
async fn run(
    client: &Client,
    policy: &QueryPolicy,
    pf: PartitionFilter,
    stmt: Statement,
) -> (Vec<i64>, PartitionFilter) {
    let rs = client.query(policy, pf, stmt).await.expect("query starts");
    let mut stream = rs.into_stream();
    let mut seen = Vec::new();
    while let Some(r) = stream.next().await {
        let rec = r.expect("record");
        if let Some(v) = rec.bins.get("i") {
            seen.push(i64::try_from(v).expect("int"));
        }
    }
    (
        seen,
        stream.partition_filter().expect("filter after the end"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn query_whole_set_selection_expression_and_pages() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    fill(&client, "q", 100).await;
    fill(&client, "other", 10).await;
    let qp = QueryPolicy::default();
    let stmt = || Statement::new("test", "q", Bins::All);
    let (mut all, pf) = run(&client, &qp, PartitionFilter::all(), stmt()).await;
    all.sort_unstable();
    assert_eq!(all, (0..100).collect::<Vec<_>>());
    assert!(pf.done());
    let sel = Statement::new("test", "q", Bins::from(["s"]));
    let (none_i, _) = run(&client, &qp, PartitionFilter::all(), sel).await;
    assert!(none_i.is_empty(), "bin selection leaves out i");
    let mut fp = QueryPolicy::default();
    fp.base_policy.filter_expression = Some(ge(int_bin("i"), int_val(90)));
    let (hi, _) = run(&client, &fp, PartitionFilter::all(), stmt()).await;
    assert_eq!(hi.len(), 10);
    let pp = QueryPolicy {
        max_records: 30,
        ..QueryPolicy::default()
    };
    let (mut pf, mut got, mut pages) = (PartitionFilter::all(), Vec::new(), 0);
    while !pf.done() && pages < 20 {
        let (page, next) = run(&client, &pp, pf, stmt()).await;
        assert!(page.len() <= 30, "max_records bounds a page");
        got.extend(page);
        pf = next;
        pages += 1;
    }
    got.sort_unstable();
    assert_eq!(
        got,
        (0..100).collect::<Vec<_>>(),
        "pages resume without loss or repeat"
    );
    assert!(pages >= 4, "100 records in pages of 30");
    client.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread")]
async fn truncate_set_and_namespace() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    fill(&client, "t1", 20).await;
    fill(&client, "t2", 20).await;
    let ap = AdminPolicy::default();
    client
        .truncate(&ap, "test", "t1", 0)
        .await
        .expect("truncate set");
    let r = ReadPolicy::default();
    let gone = client
        .exists(&r, &as_key!("test", "t1", 3))
        .await
        .expect("exists");
    assert!(!gone, "t1 truncated");
    assert!(client
        .exists(&r, &as_key!("test", "t2", 3))
        .await
        .expect("exists"));
    let (left, _) = run(
        &client,
        &QueryPolicy::default(),
        PartitionFilter::all(),
        Statement::new("test", "t1", Bins::All),
    )
    .await;
    assert!(left.is_empty());
    client
        .truncate(&ap, "test", "", 0)
        .await
        .expect("truncate namespace");
    assert!(!client
        .exists(&r, &as_key!("test", "t2", 3))
        .await
        .expect("exists"));
    let e = client
        .truncate(&ap, "nope", "", 0)
        .await
        .expect_err("unknown namespace");
    assert!(
        format!("{e:?}").contains("20") || e.result_code() == 20,
        "{e:?}"
    );
    client.close().await.expect("close");
}

/// Regression: a background query (`query_operate`: info2 WRITE, ops, no digest) was served as
/// a foreground read scan, so its writes never happened while the client saw success.
#[tokio::test(flavor = "multi_thread")]
async fn background_query_operate_applies_its_ops() {
    use aerospike::operations;
    use aerospike::Task;
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    fill(&client, "bg", 30).await;
    let mut stmt = Statement::new("test", "bg", Bins::All);
    stmt.set_operations(vec![operations::put(&as_bin!("done", 1))]);
    let task = client
        .query_operate(&WritePolicy::default(), stmt)
        .await
        .expect("background query starts");
    task.wait_till_complete(Some(std::time::Duration::from_secs(10)))
        .await
        .expect("completes");
    let r = ReadPolicy::default();
    for i in [0, 17, 29] {
        let rec = client
            .get(&r, &as_key!("test", "bg", i), Bins::All)
            .await
            .expect("get");
        assert_eq!(
            rec.bins.get("done"),
            Some(&aerospike::Value::Int(1)),
            "record {i}"
        );
    }
    client.close().await.expect("close");
}

/// Point 5 of issue 15: a scan's answer is written while the scan runs, not built whole in
/// memory first. 240 records of 16 KiB (~3.8 MiB, about four 1 MiB frames) read at 80 records
/// per second take about 3 s; the first frame (~64 records) must reach the client long before
/// the scan ends. Before streaming, the first record arrived only with the last.
#[tokio::test(flavor = "multi_thread")]
async fn scan_answer_streams_while_the_scan_runs() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;
    let w = WritePolicy::default();
    let blob = vec![7u8; 16 * 1024];
    for i in 0..240i64 {
        let bins = [as_bin!("i", i), as_bin!("b", blob.clone())];
        client
            .put(&w, &as_key!("test", "big", i), &bins)
            .await
            .expect("put");
    }
    let policy = QueryPolicy {
        records_per_second: 80,
        ..QueryPolicy::default()
    };
    let start = std::time::Instant::now();
    let rs = client
        .query(
            &policy,
            PartitionFilter::all(),
            Statement::new("test", "big", Bins::All),
        )
        .await
        .expect("query starts");
    let mut stream = rs.into_stream();
    let mut first = None;
    let mut n = 0;
    while let Some(r) = stream.next().await {
        r.expect("record");
        first.get_or_insert_with(|| start.elapsed());
        n += 1;
    }
    let total = start.elapsed();
    let first = first.expect("records arrived");
    assert_eq!(n, 240);
    assert!(
        total.as_secs_f64() >= 2.0,
        "80 records/s over 240 records: {total:?}"
    );
    assert!(
        first.as_secs_f64() < total.as_secs_f64() * 0.6,
        "the first rows arrive while the scan runs: first {first:?}, all {total:?}"
    );
}
