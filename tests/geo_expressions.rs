//! `geo_compare` through the embedded API (docs/expressions.md EXP-GEO-1): a point bin within a
//! literal region (AeroCircle, Polygon with a hole, MultiPolygon) and a region bin containing a
//! literal point, in filters of single-record reads, of scans, and in read expressions; point /
//! point and region / region are false; a malformed GeoJSON literal is ParameterError 4, a
//! non-GeoJSON argument 4, a stored value that does not parse is unknown (filtered out).
//! Runs on the backend `AEROLITE_BACKEND` names.

mod common;

use aerolite::expressions::{self as exp, Expression};
use aerolite::operations::exp_read;
use aerolite::{
    as_bin, Bins, Key, PartitionFilter, QueryPolicy, ReadPolicy, ResultCode, Statement, Value,
    WritePolicy,
};

const SF_CIRCLE: &str = r#"{"type":"AeroCircle","coordinates":[[-122.0,37.5],1000]}"#;
const SQUARE_WITH_HOLE: &str = r#"{"type":"Polygon","coordinates":[
    [[-123,37],[-121,37],[-121,38],[-123,38],[-123,37]],
    [[-122.2,37.4],[-121.9,37.4],[-121.9,37.6],[-122.2,37.6],[-122.2,37.4]]]}"#;

fn geo(s: &str) -> Value {
    Value::GeoJSON(s.to_string())
}

fn point(lng: f64, lat: f64) -> Value {
    geo(&format!(
        r#"{{"type":"Point","coordinates":[{lng},{lat}]}}"#
    ))
}

fn rp(f: Expression) -> ReadPolicy {
    ReadPolicy {
        filter_expression: Some(f),
        ..ReadPolicy::default()
    }
}

fn read_code(t: &common::TestDb, k: &Key, f: Expression) -> ResultCode {
    match t.db.get(&rp(f), k, Bins::All) {
        Ok(_) => ResultCode::Ok,
        Err(e) => e.code(),
    }
}

fn put(t: &common::TestDb, k: &Key, bin: &str, v: Value) {
    t.db.put(&WritePolicy::default(), k, &[as_bin!(bin, v)])
        .expect("put");
}

/// EXP-GEO-1: the official suite's `test_geo_val_bug` case, through a scan filter; and a point
/// outside the circle is filtered out.
#[test]
fn exp_geo_1_point_bin_within_circle_literal() {
    let t = common::open();
    put(
        &t,
        &Key::new("test", "g", "in").expect("key"),
        "point",
        point(-122.0, 37.5),
    );
    put(
        &t,
        &Key::new("test", "g", "out").expect("key"),
        "point",
        point(-122.0, 37.6),
    );
    let qp = QueryPolicy {
        filter_expression: Some(exp::geo_compare(
            exp::geo_bin("point"),
            exp::geo_val(SF_CIRCLE),
        )),
        ..QueryPolicy::default()
    };
    let st = Statement::new("test", "g", Bins::All);
    let got: Vec<_> =
        t.db.query(&qp, PartitionFilter::all(), st)
            .expect("query")
            .map(|r| r.expect("record").0)
            .collect();
    let want = Key::new("test", "g", "in").expect("key");
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].digest, want.digest);
}

/// EXP-GEO-1: polygon with a hole and MultiPolygon literals; either operand order (a region
/// bin compared with a point literal is "region contains point").
#[test]
fn exp_geo_1_regions_holes_and_operand_order() {
    let t = common::open();
    let k = Key::new("test", "g", 1).expect("key");
    let within = |t: &common::TestDb, region: &str| {
        read_code(
            t,
            &k,
            exp::geo_compare(exp::geo_bin("p"), exp::geo_val(region)),
        )
    };
    put(&t, &k, "p", point(-122.5, 37.2));
    assert_eq!(within(&t, SQUARE_WITH_HOLE), ResultCode::Ok);
    put(&t, &k, "p", point(-122.0, 37.5));
    assert_eq!(
        within(&t, SQUARE_WITH_HOLE),
        ResultCode::FilteredOut,
        "in the hole"
    );
    let multi = r#"{"type":"MultiPolygon","coordinates":[
        [[[0,0],[1,0],[1,1],[0,1],[0,0]]],
        [[[-122.1,37.4],[-121.9,37.4],[-121.9,37.6],[-122.1,37.6],[-122.1,37.4]]]]}"#;
    assert_eq!(within(&t, multi), ResultCode::Ok);

    // A region bin against a point literal: the region contains the point.
    let r = Key::new("test", "g", 2).expect("key");
    put(&t, &r, "r", geo(SQUARE_WITH_HOLE));
    let contains = |lng: f64, lat: f64| {
        let Value::GeoJSON(p) = point(lng, lat) else {
            unreachable!()
        };
        read_code(&t, &r, exp::geo_compare(exp::geo_bin("r"), exp::geo_val(p)))
    };
    assert_eq!(contains(-122.9, 37.9), ResultCode::Ok);
    assert_eq!(
        contains(-122.0, 37.5),
        ResultCode::FilteredOut,
        "in the hole"
    );
    assert_eq!(contains(-120.0, 37.5), ResultCode::FilteredOut);
    // Region / region and point / point never match.
    let same_region = exp::geo_compare(exp::geo_bin("r"), exp::geo_val(SQUARE_WITH_HOLE));
    assert_eq!(read_code(&t, &r, same_region), ResultCode::FilteredOut);
    let Value::GeoJSON(same_point) = point(-122.0, 37.5) else {
        unreachable!()
    };
    let pp = exp::geo_compare(exp::geo_bin("p"), exp::geo_val(same_point));
    assert_eq!(read_code(&t, &k, pp), ResultCode::FilteredOut);
}

/// EXP-GEO-1: a read expression yields the boolean; a missing bin is unknown (the op fails
/// without EVAL_NO_FAIL, as any unknown read expression).
#[test]
fn exp_geo_1_read_expression_value() {
    let t = common::open();
    let k = Key::new("test", "g", 3).expect("key");
    put(&t, &k, "p", point(-122.0, 37.5));
    let e = exp::geo_compare(exp::geo_bin("p"), exp::geo_val(SF_CIRCLE));
    let rec =
        t.db.operate(&WritePolicy::default(), &k, &[exp_read("in", &e, 0)])
            .expect("operate");
    assert_eq!(rec.bins.get("in"), Some(&Value::Bool(true)));
}

/// EXP-GEO-1: malformed literals and non-GeoJSON operands are ParameterError 4; a stored
/// value that is not valid GeoJSON makes the compare unknown (filtered out), never a panic.
#[test]
fn exp_geo_1_malformed_is_parameter_error() {
    let t = common::open();
    let k = Key::new("test", "g", 4).expect("key");
    put(&t, &k, "p", point(-122.0, 37.5));
    for bad in [
        "{",
        r#"{"type":"Point","coordinates":[500,0]}"#,
        r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#,
        r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#,
    ] {
        let e = exp::geo_compare(exp::geo_bin("p"), exp::geo_val(bad));
        assert_eq!(read_code(&t, &k, e), ResultCode::ParameterError, "{bad}");
    }
    let not_geo = exp::geo_compare(exp::geo_bin("p"), exp::string_val("x".to_string()));
    assert_eq!(read_code(&t, &k, not_geo), ResultCode::ParameterError);
    put(&t, &k, "p", geo("not json"));
    let e = exp::geo_compare(exp::geo_bin("p"), exp::geo_val(SF_CIRCLE));
    assert_eq!(read_code(&t, &k, e), ResultCode::FilteredOut);
}
