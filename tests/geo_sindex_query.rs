//! GEO2DSPHERE secondary indexes through the embedded API (docs/sindex.md SIDX-GEO-1): the
//! three geo filters (points within a region, points within a radius, regions containing a
//! point) on the official suite's data; a list index of points; malformed filters (4); and a
//! model test: on random points and regions (around the antimeridian and a pole too), written
//! before and after the index was built, rewritten and deleted, every random geo query through
//! the index returns exactly what a scan with the `geo_compare` filter returns (SIDX-MODEL-1).
//! Runs on the backend `AEROLITE_BACKEND` names.

mod common;

use aerolite::expressions as exp;
use aerolite::{
    as_bin, AdminPolicy, Bins, CollectionIndexType as Cit, Database, Filter, IndexType, Key, List,
    PartitionFilter, QueryPolicy, ResultCode, Statement, Value, WritePolicy,
};
use std::collections::BTreeSet;

fn index(db: &Database, set: &str, bin: &str, name: &str, c: Cit) {
    db.create_index_on_bin(
        &AdminPolicy::default(),
        "test",
        set,
        bin,
        name,
        IndexType::Geo2DSphere,
        c,
        None,
    )
    .expect("create index")
    .wait_till_complete()
    .expect("build");
}

fn digests(db: &Database, qp: &QueryPolicy, st: Statement) -> aerolite::Result<BTreeSet<[u8; 20]>> {
    db.query(qp, PartitionFilter::all(), st)?
        .map(|r| r.map(|(k, _)| k.digest.0))
        .collect()
}

fn by_index(db: &Database, set: &str, f: Filter) -> aerolite::Result<BTreeSet<[u8; 20]>> {
    let mut st = Statement::new("test", set, Bins::All);
    st.set_filter(f);
    digests(db, &QueryPolicy::default(), st)
}

fn by_scan(db: &Database, set: &str, bin: &str, query: &str) -> BTreeSet<[u8; 20]> {
    let qp = QueryPolicy {
        filter_expression: Some(exp::geo_compare(exp::geo_bin(bin), exp::geo_val(query))),
        ..QueryPolicy::default()
    };
    digests(db, &qp, Statement::new("test", set, Bins::All)).expect("scan")
}

fn point(lng: f64, lat: f64) -> String {
    format!(r#"{{"type":"Point","coordinates":[{lng},{lat}]}}"#)
}

fn geo_bin(bin: &str, text: String) -> aerolite::Bin {
    as_bin!(bin, Value::GeoJSON(text))
}

fn digest_of(set: &str, id: &str) -> [u8; 20] {
    Key::new("test", set, id).expect("key").digest.0
}

fn put(db: &Database, set: &str, id: &str, bins: &[aerolite::Bin]) {
    let k = Key::new("test", set, id).expect("key");
    db.put(&WritePolicy::default(), &k, bins).expect("put");
}

/// SIDX-GEO-1: the official suite's three geo queries, on the embedded API.
#[test]
fn sidx_geo_1_within_region_radius_and_contains() {
    let t = common::open();
    let db = &t.db;
    index(db, "g", "geo_bin", "g_geo", Cit::Default);
    put(
        db,
        "g",
        "close1",
        &[geo_bin("geo_bin", point(-122.0, 37.5))],
    );
    put(
        db,
        "g",
        "close2",
        &[geo_bin("geo_bin", point(-122.1, 37.5))],
    );
    put(db, "g", "far", &[geo_bin("geo_bin", point(-73.9, 40.7))]);
    put(db, "g", "east", &[geo_bin("geo_bin", point(-120.0, 37.5))]);
    put(db, "g", "not_geo", &[as_bin!("geo_bin", "-122.0, 37.5")]);
    let ids = |ids: &[&str]| {
        ids.iter()
            .map(|i| digest_of("g", i))
            .collect::<BTreeSet<_>>()
    };

    let radius = Filter::geo_within_radius("geo_bin", -122.0, 37.5, 50_000.0);
    assert_eq!(
        by_index(db, "g", radius).expect("radius"),
        ids(&["close1", "close2"])
    );
    let region = r#"{"type":"Polygon","coordinates":[[[-122.5,37.0],[-121.0,37.0],
        [-121.0,38.08],[-122.5,38.08],[-122.5,37.0]]]}"#;
    let within = Filter::geo_within_region("geo_bin", region);
    assert_eq!(
        by_index(db, "g", within).expect("within"),
        ids(&["close1", "close2"])
    );

    index(db, "r", "region_bin", "r_region", Cit::Default);
    let sq = |lng0: f64, lat0: f64| {
        format!(
            r#"{{"type":"Polygon","coordinates":[[[{lng0},{lat0}],[{},{lat0}],[{},{}],[{lng0},{}],[{lng0},{lat0}]]]}}"#,
            lng0 + 2.0,
            lng0 + 2.0,
            lat0 + 1.0,
            lat0 + 1.0
        )
    };
    put(
        db,
        "r",
        "region1",
        &[geo_bin("region_bin", sq(-123.0, 37.0))],
    );
    put(
        db,
        "r",
        "region2",
        &[geo_bin("region_bin", sq(-74.0, 40.0))],
    );
    put(
        db,
        "r",
        "a_point",
        &[geo_bin("region_bin", point(-122.0, 37.5))],
    );
    let contains = Filter::geo_contains("region_bin", &point(-122.0, 37.5));
    let want: BTreeSet<_> = [digest_of("r", "region1")].into();
    assert_eq!(by_index(db, "r", contains).expect("contains"), want);
}

/// SIDX-GEO-1: a LIST geo index holds each GeoJSON element of a list bin; a geo filter on a
/// bin without a geo index is 201; malformed GeoJSON in a filter is 4.
#[test]
fn sidx_geo_1_list_index_missing_index_and_malformed_filter() {
    let t = common::open();
    let db = &t.db;
    index(db, "l", "stops", "l_stops", Cit::List);
    let stops = |pts: &[(f64, f64)]| {
        let items = pts
            .iter()
            .map(|&(x, y)| Value::GeoJSON(point(x, y)))
            .collect();
        as_bin!(
            "stops",
            Value::List(List {
                order: Default::default(),
                items
            })
        )
    };
    put(db, "l", "sf", &[stops(&[(0.0, 0.0), (-122.0, 37.5)])]);
    put(db, "l", "ny", &[stops(&[(-73.9, 40.7)])]);
    let circle = r#"{"type":"AeroCircle","coordinates":[[-122.0,37.5],1000]}"#;
    let f = Filter::geo("stops", circle, Cit::List);
    let want: BTreeSet<_> = [digest_of("l", "sf")].into();
    assert_eq!(by_index(db, "l", f).expect("list"), want);

    let code = |r: aerolite::Result<BTreeSet<[u8; 20]>>| r.err().map(|e| e.code());
    let no_index = Filter::geo_within_region("other", circle);
    assert_eq!(
        code(by_index(db, "l", no_index)),
        Some(ResultCode::IndexNotFound)
    );
    for bad in ["{", r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#] {
        let f = Filter::geo("stops", bad, Cit::List);
        assert_eq!(
            code(by_index(db, "l", f)),
            Some(ResultCode::ParameterError),
            "{bad}"
        );
    }
}

/// A deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    /// A center: near San Francisco, near the antimeridian, near the north pole, or anywhere.
    fn center(&mut self) -> (f64, f64) {
        match self.next() % 4 {
            0 => (self.range(-125.0, -119.0), self.range(35.0, 40.0)),
            1 => {
                let lng = self.range(175.0, 185.0);
                (
                    if lng > 180.0 { lng - 360.0 } else { lng },
                    self.range(-5.0, 5.0),
                )
            }
            2 => (self.range(-180.0, 180.0), self.range(80.0, 90.0)),
            _ => (self.range(-180.0, 180.0), self.range(-85.0, 85.0)),
        }
    }
    /// A point at a region's scale from a center, so that many fall near region edges.
    fn point(&mut self) -> String {
        let (lng, lat) = self.center();
        let (d, a) = (10f64.powf(self.range(-2.0, 1.4)), self.range(0.0, 6.3));
        let x = lng + d * a.cos();
        let x = if x > 180.0 {
            x - 360.0
        } else if x < -180.0 {
            x + 360.0
        } else {
            x
        };
        point(x, (lat + d * a.sin()).clamp(-90.0, 90.0))
    }
    /// A circle, a convex quadrilateral or a square with a hole, of 1 km … 3,000 km.
    fn region(&mut self) -> String {
        let (lng, lat) = self.center();
        let size_deg = 10f64.powf(self.range(-2.0, 1.4));
        match self.next() % 3 {
            0 => format!(
                r#"{{"type":"AeroCircle","coordinates":[[{lng},{lat}],{}]}}"#,
                size_deg * 111_000.0
            ),
            kind => {
                let ring = |r: &mut Rng, scale: f64| {
                    let mut pts: Vec<String> = (0..4)
                        .map(|i| {
                            let a = (i as f64 + r.range(0.1, 0.9)) * std::f64::consts::FRAC_PI_2;
                            let (x, y) = (lng + scale * a.cos(), lat + scale * a.sin());
                            let x = if x > 180.0 {
                                x - 360.0
                            } else if x < -180.0 {
                                x + 360.0
                            } else {
                                x
                            };
                            format!("[{x},{}]", y.clamp(-90.0, 90.0))
                        })
                        .collect();
                    pts.push(pts[0].clone());
                    format!("[{}]", pts.join(","))
                };
                let shell = ring(self, size_deg);
                let rings = if kind == 2 {
                    format!("{shell},{}", ring(self, size_deg / 3.0))
                } else {
                    shell
                };
                format!(r#"{{"type":"Polygon","coordinates":[{rings}]}}"#)
            }
        }
    }
}

fn write_random(db: &Database, rng: &mut Rng, set: &str, n: usize) {
    for i in 0..n {
        let v = match rng.next() % 10 {
            0 => Value::Int(i as i64),
            1 => Value::GeoJSON("not geojson".into()),
            2..=4 => Value::GeoJSON(rng.region()),
            _ => Value::GeoJSON(rng.point()),
        };
        put(
            db,
            set,
            &format!("k{}", rng.next() % (n as u64 * 2)),
            &[as_bin!("g", v)],
        );
    }
}

/// SIDX-GEO-1 / SIDX-MODEL-1: index queries equal scan + `geo_compare` on random data.
#[test]
fn sidx_geo_model_index_equals_scan_with_geo_compare() {
    for seed in [1u64, 7, 42] {
        let t = common::open();
        let db = &t.db;
        let mut rng = Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        write_random(db, &mut rng, "m", 400);
        index(db, "m", "g", "m_g", Cit::Default);
        write_random(db, &mut rng, "m", 400);
        for i in 0..20 {
            let k = Key::new("test", "m", format!("k{i}")).expect("key");
            let _ = db.delete(&WritePolicy::default(), &k);
        }
        let mut nonempty = 0;
        for q in 0..60 {
            let query = if q % 2 == 0 {
                rng.region()
            } else {
                rng.point()
            };
            let want = by_scan(db, "m", "g", &query);
            let got = by_index(db, "m", Filter::geo("g", &query, Cit::Default)).expect("query");
            assert_eq!(got, want, "seed {seed}, query {query}");
            nonempty += usize::from(!want.is_empty());
        }
        assert!(
            nonempty >= 10,
            "seed {seed}: only {nonempty} queries matched anything"
        );
    }
}

/// SIDX-GEO-1 with SIDX-EXP-1: a GEO2DSPHERE index on an expression (here `geo_bin("loc")`)
/// answers a radius query with exactly the records a scan with `geo_compare` finds; an
/// expression of another type is refused (4).
#[test]
fn sidx_geo_1_expression_index() {
    let t = common::open();
    let db = &t.db;
    let e = exp::geo_bin("loc");
    let create = |name: &str, e: &aerolite::expressions::Expression| {
        db.create_index_using_expression(
            &AdminPolicy::default(),
            "test",
            "ge",
            name,
            IndexType::Geo2DSphere,
            Cit::Default,
            e,
        )
    };
    create("ge_loc", &e)
        .expect("create")
        .wait_till_complete()
        .expect("build");
    put(db, "ge", "near", &[geo_bin("loc", point(-122.0, 37.5))]);
    put(db, "ge", "far", &[geo_bin("loc", point(-73.9, 40.7))]);
    put(db, "ge", "string", &[as_bin!("loc", "not geo")]);
    let f = Filter::geo_within_radius("", -122.0, 37.5, 50_000.0).expression(e.clone());
    let circle = r#"{"type":"AeroCircle","coordinates":[[-122.0,37.5],50000.0]}"#;
    let found = by_index(db, "ge", f).expect("query");
    assert_eq!(found, BTreeSet::from([digest_of("ge", "near")]));
    assert_eq!(found, by_scan(db, "ge", "loc", circle));
    let err = create("ge_int", &exp::int_bin("loc"))
        .map(|_| ())
        .expect_err("int for geo");
    assert_eq!(err.code(), ResultCode::ParameterError);
}
