//! A GEO2DSPHERE index across restarts of the device store (docs/sindex.md SIDX-GEO-1,
//! SIDX-PERSIST-1, SIDX-RESTART-1): its definition is persisted with type tag 4, and after a
//! fast restart and a cold start its entries are rebuilt so the same geo queries answer the
//! same records.

mod storage_support;

use aerolite::{
    as_bin, AdminPolicy, Bins, CollectionIndexType, Database, Filter, IndexType, Key, ManualClock,
    PartitionFilter, QueryPolicy, Statement, Value, WritePolicy,
};
use storage_support::{file_config, flush, open_on, tmp};

fn k(i: i64) -> Key {
    Key::new("test", "geo", i).expect("key")
}

/// Records whose point lies within 50 km of (-122, 37.5).
fn near(db: &Database) -> usize {
    let mut st = Statement::new("test", "geo", Bins::All);
    st.set_filter(Filter::geo_within_radius("loc", -122.0, 37.5, 50_000.0));
    db.query(&QueryPolicy::default(), PartitionFilter::all(), st)
        .expect("query")
        .collect::<aerolite::Result<Vec<_>>>()
        .expect("records")
        .len()
}

/// SIDX-GEO-1 with SIDX-RESTART-1: the geo index comes back after fast and cold restarts.
#[test]
fn sidx_geo_1_index_survives_restart() {
    let dir = tmp();
    let clock = ManualClock::at_2026();
    let db = open_on(file_config(dir.path()), &clock).expect("open");
    for i in 0..60 {
        // Every third record near San Francisco, the others around New York.
        let (lng, lat) = if i % 3 == 0 {
            (-122.0, 37.5)
        } else {
            (-73.9, 40.7)
        };
        let text = format!(
            r#"{{"type":"Point","coordinates":[{},{lat}]}}"#,
            lng + i as f64 * 1e-3
        );
        db.put(
            &WritePolicy::default(),
            &k(i),
            &[as_bin!("loc", Value::GeoJSON(text))],
        )
        .expect("put");
    }
    db.create_index_on_bin(
        &AdminPolicy::default(),
        "test",
        "geo",
        "loc",
        "geo_loc",
        IndexType::Geo2DSphere,
        CollectionIndexType::Default,
        None,
    )
    .expect("create")
    .wait_till_complete()
    .expect("built");
    assert_eq!(near(&db), 20);
    flush(&db);
    db.shutdown().expect("shutdown");

    let db = open_on(file_config(dir.path()), &clock).expect("fast restart");
    assert!(db.stats().fast_restart);
    assert_eq!(db.recovery_stats()[0].sindexes, 1);
    assert_eq!(near(&db), 20);
    db.abandon();

    let db = open_on(file_config(dir.path()), &clock).expect("cold start");
    assert!(!db.stats().fast_restart);
    assert_eq!(near(&db), 20);
    db.shutdown().expect("shutdown");
}
