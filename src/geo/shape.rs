//! GeoJSON text → typed geometry (docs/expressions.md EXP-GEO-1, docs/sindex.md SIDX-GEO-1).
//!
//! Accepted, as the Aerospike server accepts them: a top-level object whose `type` is `Point`
//! (`coordinates: [lng, lat]`), `Polygon` (`coordinates`: rings of `[lng, lat]`, each closed,
//! at least 4 positions after consecutive duplicates are removed; the first ring is the shell,
//! the others holes), `MultiPolygon` (`coordinates`: polygons), `AeroCircle` (`coordinates:
//! [[lng, lat], radius_metres]`), or `Feature` whose `geometry` is one of those. Longitude in
//! [-180, 180], latitude in [-90, 90]; integers and decimals alike. Anything else (LineString,
//! MultiPoint, a bad position, an open ring, …) is an error.
//!
//! Polygon rings nest: a point is in a polygon when an odd number of its rings contain it (a
//! hole inside the shell removes its area). A circle's radius is an arc length on a sphere of
//! `EARTH_RADIUS_M` (the server's default `geo2dsphere-within-earth-radius-meters`).
//!
//! Invariants: `parse` never panics; a `Geometry` it returns holds only valid positions, loops
//! with at least 3 vertices, and polygons with at least one loop.

use crate::geo::json::{self, Json};
use crate::geo::sphere::{self, Cap, Loop, V3};

/// Radius of the earth in metres (the server's default).
pub const EARTH_RADIUS_M: f64 = 6_371_000.0;

/// A point: longitude and latitude in degrees, and its unit vector.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// Longitude, degrees.
    pub lng: f64,
    /// Latitude, degrees.
    pub lat: f64,
    /// The unit vector.
    pub v: V3,
}

/// A region: polygons (a Polygon is one, a MultiPolygon several) or a circle.
#[derive(Debug, Clone, PartialEq)]
pub enum Region {
    /// The union of the polygons; each polygon is its rings (shell and holes).
    Polygons(Vec<Vec<Loop>>),
    /// An AeroCircle.
    Circle(Cap),
}

/// A parsed GeoJSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Geometry {
    /// A point.
    Point(Point),
    /// A region.
    Region(Region),
}

impl Region {
    /// Whether the region contains `p`.
    pub fn contains(&self, p: &Point) -> bool {
        match self {
            Region::Circle(c) => c.contains(p.v),
            Region::Polygons(polys) => polys
                .iter()
                .any(|rings| rings.iter().filter(|l| l.contains(p.v)).count() % 2 == 1),
        }
    }
}

/// Parse GeoJSON text; the error names what is wrong.
pub fn parse(text: &str) -> Result<Geometry, String> {
    let doc = json::parse(text)?;
    let Json::Obj(_) = doc else {
        return Err("top-level GeoJSON element is not an object".into());
    };
    let ty = type_of(&doc)?;
    if ty == "Feature" {
        let geom = doc.get("geometry").ok_or("Feature without geometry")?;
        if !matches!(geom, Json::Obj(_)) {
            return Err("Feature geometry is not an object".into());
        }
        let ty = type_of(geom)?;
        return geometry(ty, geom);
    }
    geometry(ty, &doc)
}

fn type_of(obj: &Json) -> Result<&str, String> {
    match obj.get("type") {
        Some(Json::Str(s)) => Ok(s),
        Some(_) => Err("GeoJSON type is not a string".into()),
        None => Err("GeoJSON object has no type".into()),
    }
}

fn geometry(ty: &str, obj: &Json) -> Result<Geometry, String> {
    let coords = obj.get("coordinates").ok_or("missing coordinates")?;
    Ok(match ty {
        "Point" => Geometry::Point(point(coords)?),
        "Polygon" => Geometry::Region(Region::Polygons(vec![polygon(coords)?])),
        "MultiPolygon" => {
            let polys = array(coords, "MultiPolygon coordinates")?;
            if polys.is_empty() {
                return Err("MultiPolygon without polygons".into());
            }
            let polys: Result<Vec<_>, _> = polys.iter().map(polygon).collect();
            Geometry::Region(Region::Polygons(polys?))
        }
        "AeroCircle" => Geometry::Region(Region::Circle(circle(coords)?)),
        other => return Err(format!("unsupported GeoJSON type {other:?}")),
    })
}

fn array<'a>(j: &'a Json, what: &str) -> Result<&'a [Json], String> {
    match j {
        Json::Arr(a) => Ok(a),
        _ => Err(format!("{what} is not an array")),
    }
}

fn number(j: Option<&Json>, what: &str) -> Result<f64, String> {
    match j {
        Some(Json::Num(x)) => Ok(*x),
        _ => Err(format!("{what} is not a number")),
    }
}

/// A position `[lng, lat]`.
fn point(j: &Json) -> Result<Point, String> {
    let a = array(j, "position")?;
    if a.len() != 2 {
        return Err(format!("a position has 2 coordinates, this one {}", a.len()));
    }
    let lng = number(a.first(), "longitude")?;
    let lat = number(a.get(1), "latitude")?;
    if !(-180.0..=180.0).contains(&lng) || !(-90.0..=90.0).contains(&lat) {
        return Err(format!("invalid longitude/latitude [{lng}, {lat}]"));
    }
    Ok(Point {
        lng,
        lat,
        v: sphere::from_deg(lng, lat),
    })
}

fn ring(j: &Json) -> Result<Loop, String> {
    let positions = array(j, "polygon ring")?;
    let mut v: Vec<V3> = Vec::with_capacity(positions.len());
    for p in positions {
        let p = point(p)?.v;
        if v.last() != Some(&p) {
            v.push(p);
        }
    }
    if v.len() < 4 {
        return Err(format!(
            "a ring needs at least 4 positions (distinct consecutive), has {}",
            v.len()
        ));
    }
    if v.first() != v.last() {
        return Err("ring not closed (its last position differs from its first)".into());
    }
    v.pop();
    Loop::new(v)
}

fn polygon(j: &Json) -> Result<Vec<Loop>, String> {
    let rings = array(j, "Polygon coordinates")?;
    if rings.is_empty() {
        return Err("Polygon without rings".into());
    }
    rings.iter().map(ring).collect()
}

fn circle(j: &Json) -> Result<Cap, String> {
    let a = array(j, "AeroCircle coordinates")?;
    let [center, radius] = a else {
        return Err("AeroCircle coordinates are [[lng, lat], radius]".into());
    };
    let center = point(center)?;
    let radius_m = number(Some(radius), "AeroCircle radius")?;
    Ok(Cap {
        center: center.v,
        radius_rad: radius_m / EARTH_RADIUS_M,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(lng: f64, lat: f64) -> Point {
        Point {
            lng,
            lat,
            v: sphere::from_deg(lng, lat),
        }
    }

    fn region(text: &str) -> Region {
        match parse(text) {
            Ok(Geometry::Region(r)) => r,
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn point_and_feature() {
        let g = parse(r#"{"type":"Point","coordinates":[-122, 37.5]}"#).expect("point");
        assert_eq!(g, Geometry::Point(p(-122.0, 37.5)));
        let f = r#"{"type":"Feature","geometry":{"type":"Point","coordinates":[-122,37.5]}}"#;
        assert_eq!(parse(f).expect("feature"), g);
    }

    #[test]
    fn polygon_with_hole() {
        let r = region(
            r#"{"type":"Polygon","coordinates":[
              [[0,0],[10,0],[10,10],[0,10],[0,0]],
              [[4,4],[6,4],[6,6],[4,6],[4,4]]]}"#,
        );
        assert!(r.contains(&p(2.0, 2.0)));
        assert!(!r.contains(&p(5.0, 5.0)), "in the hole");
        assert!(!r.contains(&p(11.0, 5.0)));
    }

    #[test]
    fn multipolygon_and_circle() {
        let r = region(
            r#"{"type":"MultiPolygon","coordinates":[
              [[[0,0],[1,0],[1,1],[0,1],[0,0]]],
              [[[20,20],[21,20],[21,21],[20,21],[20,20]]]]}"#,
        );
        assert!(r.contains(&p(0.5, 0.5)) && r.contains(&p(20.5, 20.5)));
        assert!(!r.contains(&p(10.0, 10.0)));
        let c = region(r#"{"type":"AeroCircle","coordinates":[[-122.0,37.5],1000]}"#);
        assert!(c.contains(&p(-122.0, 37.5)));
        // 0.01° of latitude is 1,112 m.
        assert!(c.contains(&p(-122.0, 37.508)));
        assert!(!c.contains(&p(-122.0, 37.51)));
    }

    #[test]
    fn malformed_geojson_is_an_error() {
        for bad in [
            "",
            "[]",
            "{}",
            r#"{"type":1}"#,
            r#"{"type":"Point"}"#,
            r#"{"type":"Point","coordinates":[1]}"#,
            r#"{"type":"Point","coordinates":[1,2,3]}"#,
            r#"{"type":"Point","coordinates":["1",2]}"#,
            r#"{"type":"Point","coordinates":[181,0]}"#,
            r#"{"type":"Point","coordinates":[0,-90.5]}"#,
            r#"{"type":"LineString","coordinates":[[0,0],[1,1]]}"#,
            r#"{"type":"Polygon","coordinates":[]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[0,0]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}"#,
            r#"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0],"x"]]}"#,
            r#"{"type":"MultiPolygon","coordinates":[]}"#,
            r#"{"type":"AeroCircle","coordinates":[[0,0]]}"#,
            r#"{"type":"AeroCircle","coordinates":[[0,0],"r"]}"#,
            r#"{"type":"Feature","geometry":[]}"#,
            r#"{"type":"Feature"}"#,
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn duplicate_positions_are_dropped() {
        let r = region(r#"{"type":"Polygon","coordinates":[[[0,0],[0,0],[1,0],[1,1],[0,1],[0,0]]]}"#);
        assert!(r.contains(&p(0.5, 0.5)));
    }
}
