//! Geo over the wire, through the official Rust client (`aerospike` 3.x) against `aerolite
//! serve` (docs/expressions.md EXP-GEO-1, docs/sindex.md SIDX-GEO-1): `geo_compare(geo_bin,
//! geo_val(AeroCircle))` as a query filter (the official suite's `test_geo_val_bug`), a
//! GEO2DSPHERE index created with `create_index_on_bin`, and the three geo filters
//! (`geo_within_region`, `geo_within_radius`, `geo_contains`) as the client encodes them.

mod serve_support;

use aerospike::expressions::{geo_bin, geo_compare, geo_val};
use aerospike::query::Filter;
use aerospike::{
    as_bin, as_geo, as_key, AdminPolicy, Bins, Client, ClientPolicy, CollectionIndexType,
    IndexType, PartitionFilter, QueryPolicy, Statement, Task, WritePolicy,
};
use futures::stream::StreamExt;

async fn connect(host: &str) -> Client {
    Client::new(&ClientPolicy::default(), &host.to_string())
        .await
        .expect("client connects to aerolite serve")
}

/// The sorted user keys (strings) a query of `set` returns.
async fn run(client: &Client, qp: &QueryPolicy, stmt: Statement) -> Vec<String> {
    let rs = client
        .query(qp, PartitionFilter::all(), stmt)
        .await
        .expect("query starts");
    let mut stream = rs.into_stream();
    let mut seen = Vec::new();
    while let Some(r) = stream.next().await {
        let rec = r.expect("record");
        seen.push(rec.bins.get("id").expect("bin id").to_string());
    }
    seen.sort();
    seen
}

async fn put(client: &Client, set: &str, id: &str, bin: &str, geojson: &str) {
    let key = as_key!("test", set, id);
    let bins = [as_bin!(bin, as_geo!(geojson)), as_bin!("id", id)];
    client
        .put(&WritePolicy::default(), &key, &bins)
        .await
        .expect("put");
}

async fn geo_index(client: &Client, set: &str, bin: &str) {
    client
        .create_index_on_bin(
            &AdminPolicy::default(),
            "test",
            set,
            bin,
            &format!("{set}_{bin}"),
            IndexType::Geo2DSphere,
            CollectionIndexType::Default,
            None,
        )
        .await
        .expect("sindex-create type=GEO2DSPHERE answers ok")
        .wait_till_complete(None)
        .await
        .expect("built");
}

fn point(lng: f64, lat: f64) -> String {
    format!(r#"{{"type": "Point", "coordinates": [{lng}, {lat}]}}"#)
}

#[tokio::test(flavor = "multi_thread")]
async fn geo_compare_filter_and_geo_index_queries_through_the_client() {
    let s = serve_support::start();
    let client = connect(&s.host()).await;

    // EXP-GEO-1: geo_compare in a scan's filter expression.
    put(&client, "gx", "in", "point", &point(-122.0, 37.5)).await;
    put(&client, "gx", "out", "point", &point(-121.0, 37.5)).await;
    let circle = r#"{"type":"AeroCircle","coordinates":[[-122.0,37.5],1000]}"#;
    let mut qp = QueryPolicy::default();
    qp.base_policy.filter_expression = Some(geo_compare(geo_bin("point"), geo_val(circle)));
    let got = run(&client, &qp, Statement::new("test", "gx", Bins::All)).await;
    assert_eq!(got, vec!["in"]);

    // SIDX-GEO-1: points within a radius and within a region.
    geo_index(&client, "gp", "geo_bin").await;
    put(&client, "gp", "close1", "geo_bin", &point(-122.0, 37.5)).await;
    put(&client, "gp", "close2", "geo_bin", &point(-122.1, 37.5)).await;
    put(&client, "gp", "far", "geo_bin", &point(-73.9, 40.7)).await;
    let qp = QueryPolicy::default();
    let mut stmt = Statement::new("test", "gp", Bins::All);
    stmt.set_filter(Filter::geo_within_radius("geo_bin", -122.0, 37.5, 50_000.0));
    assert_eq!(run(&client, &qp, stmt).await, vec!["close1", "close2"]);
    let region = r#"{"type": "Polygon", "coordinates": [[[-122.05, 37.0], [-121.0, 37.0],
        [-121.0, 38.0], [-122.05, 38.0], [-122.05, 37.0]]]}"#;
    let mut stmt = Statement::new("test", "gp", Bins::All);
    stmt.set_filter(Filter::geo_within_region("geo_bin", region));
    assert_eq!(run(&client, &qp, stmt).await, vec!["close1"]);

    // SIDX-GEO-1: regions containing a point.
    geo_index(&client, "gr", "region_bin").await;
    put(&client, "gr", "region1", "region_bin", region).await;
    let ny = r#"{"type": "Polygon", "coordinates": [[[-74.0, 40.0], [-73.0, 40.0],
        [-73.0, 41.0], [-74.0, 41.0], [-74.0, 40.0]]]}"#;
    put(&client, "gr", "region2", "region_bin", ny).await;
    let mut stmt = Statement::new("test", "gr", Bins::All);
    stmt.set_filter(Filter::geo_contains("region_bin", &point(-73.5, 40.5)));
    assert_eq!(run(&client, &qp, stmt).await, vec!["region2"]);
}
