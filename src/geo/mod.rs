//! GeoJSON values (particle type 23): parsing into typed geometry (`shape`, over the small JSON
//! reader `json`), containment on the sphere (`sphere`), and the grid keys of a GEO2DSPHERE
//! secondary index (`cells`). Used by `geo_compare` in expressions (docs/expressions.md
//! EXP-GEO-1) and by geo index queries (docs/sindex.md SIDX-GEO-1). Stored values stay the
//! GeoJSON text they were written as (`Value::GeoJSON`); they are parsed when compared.
//!
//! Invariants: nothing here panics on any text; `matches` is true only for a point within a
//! region or a region containing a point (never point/point or region/region), deterministic,
//! with the tolerance documented in `sphere`.

pub mod cells;
pub mod json;
pub mod shape;
pub mod sphere;

pub use shape::{parse, Geometry};

use crate::error::{Error, ResultCode};

/// Parse GeoJSON, an error being ParameterError (4) naming the problem.
pub fn parse_param(text: &str) -> Result<Geometry, Error> {
    parse(text).map_err(|why| {
        Error::new(
            ResultCode::ParameterError,
            format!("invalid GeoJSON ({why}); expected a Point, Polygon, MultiPolygon or AeroCircle (EXP-GEO-1)"),
        )
    })
}

/// The server's geo match: a `candidate` (a bin's value) matches a `query` when the candidate
/// is a point within the query region, or a region containing the query point.
pub fn matches(candidate: &Geometry, query: &Geometry) -> bool {
    match (candidate, query) {
        (Geometry::Point(p), Geometry::Region(r)) | (Geometry::Region(r), Geometry::Point(p)) => {
            r.contains(p)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_point_region_pairs_match() {
        let pt = parse(r#"{"type":"Point","coordinates":[-122.0,37.5]}"#).expect("point");
        let circle = parse(r#"{"type":"AeroCircle","coordinates":[[-122.0,37.5],1000]}"#)
            .expect("circle");
        assert!(matches(&pt, &circle) && matches(&circle, &pt));
        assert!(!matches(&pt, &pt) && !matches(&circle, &circle));
        assert!(parse_param("{").is_err_and(|e| e.code() == ResultCode::ParameterError));
    }

    /// Valid GeoJSON, cut or with one byte changed, and arbitrary text: parsing, matching and
    /// keying never panic.
    fn no_panic(text: &str) {
        let query = parse(r#"{"type":"Point","coordinates":[1,1]}"#).expect("point");
        if let Ok(g) = parse(text) {
            let _ = matches(&g, &query) || matches(&query, &g);
            match &g {
                Geometry::Point(p) => drop(cells::point_query(p)),
                Geometry::Region(r) => drop((cells::region_keys(r), cells::region_query(r))),
            }
        }
    }

    const SEEDS: &[&str] = &[
        r#"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[4,4],[6,4],[6,6],[4,6],[4,4]]]}"#,
        r#"{"type":"MultiPolygon","coordinates":[[[[179,-1],[-179,-1],[-179,1],[179,1],[179,-1]]]]}"#,
        r#"{"type":"AeroCircle","coordinates":[[-180,90],1e7]}"#,
        r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[180,-90]}}"#,
    ];

    proptest::proptest! {
        #[test]
        fn prop_malformed_geojson_never_panics(
            seed in 0..SEEDS.len(),
            cut in 0usize..200,
            at in 0usize..200,
            byte in proptest::prelude::any::<u8>(),
            junk in "\\PC{0,40}",
        ) {
            let s = SEEDS[seed].as_bytes();
            no_panic(&String::from_utf8_lossy(&s[..cut.min(s.len())]));
            let mut m = s.to_vec();
            let i = at % m.len();
            m[i] = byte;
            no_panic(&String::from_utf8_lossy(&m));
            no_panic(&junk);
        }
    }
}
