//! Index keys of geometries (docs/sindex.md SIDX-GEO-1): a hierarchy of longitude/latitude
//! grids. At level `l` the world is `2^l × 2^l` cells of `360/2^l` degrees of longitude by
//! `180/2^l` of latitude. A point is keyed by its cell at every level 0 … `MAX_LEVEL`; a region
//! by the cells of the finest level at which its bounding rectangles need at most `MAX_CELLS`
//! cells. A points-within-region query looks up the point keys of the region's cells (at its
//! own level); a regions-containing-point query looks up the region keys of the point's cell at
//! every level. Keys only bound the candidates; the predicate is re-checked on each.
//!
//! Key: bit 63 kind (0 point, 1 region), bits 56–62 level, bits 28–55 row (latitude), bits
//! 0–27 column (longitude). Longitude 180 is column 0 (the same meridian as −180).
//!
//! Invariants: a region's rectangles contain every point the region contains (edges bulging
//! poleward and regions around a pole included; `EPS_DEG` margin beyond the containment
//! tolerance), so a point inside a region always shares a cell with it at the region's level.

use crate::geo::shape::{Point, Region};
use crate::geo::sphere::{self, cross, dot, unit, V3};

/// Finest grid level (cells of about 0.0055° × 0.0027°).
pub const MAX_LEVEL: u32 = 16;
/// Most cells keying one region or one region query.
pub const MAX_CELLS: u64 = 32;
/// Margin added around bounding rectangles, degrees.
pub const EPS_DEG: f64 = 1e-6;

const REGION_BIT: u64 = 1 << 63;

/// A rectangle in degrees: `lat_lo ≤ lat ≤ lat_hi`, `lng_lo ≤ lng ≤ lng_hi` (no wrap).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    lat_lo: f64,
    lat_hi: f64,
    lng_lo: f64,
    lng_hi: f64,
}

const WORLD: Rect = Rect {
    lat_lo: -90.0,
    lat_hi: 90.0,
    lng_lo: -180.0,
    lng_hi: 180.0,
};

fn key(region: bool, level: u32, row: u64, col: u64) -> u64 {
    debug_assert!(level <= MAX_LEVEL && row < 1 << level && col < 1 << level);
    (if region { REGION_BIT } else { 0 }) | (u64::from(level) << 56) | (row << 28) | col
}

fn row(lat: f64, level: u32) -> u64 {
    let n = 1u64 << level;
    let r = ((lat + 90.0) / 180.0 * n as f64).floor();
    (r.max(0.0) as u64).min(n - 1)
}

/// Column without wrapping (−1 … 2^level); callers reduce it modulo 2^level.
fn col(lng: f64, level: u32) -> i64 {
    let n = 1i64 << level;
    ((lng + 180.0) / 360.0 * n as f64).floor() as i64
}

/// The keys of a point: its cell at every level.
pub fn point_keys(p: &Point) -> Vec<u64> {
    (0..=MAX_LEVEL)
        .map(|l| {
            let c = col(p.lng, l).rem_euclid(1 << l) as u64;
            key(false, l, row(p.lat, l), c)
        })
        .collect()
}

/// The key ranges a regions-containing-point query reads: the point's cell, region kind, at
/// every level.
pub fn point_query(p: &Point) -> Vec<(u64, u64)> {
    point_keys(p)
        .into_iter()
        .map(|k| (k | REGION_BIT, k | REGION_BIT))
        .collect()
}

/// The keys of a region (region kind): its covering cells, at most `MAX_CELLS` in all.
pub fn region_keys(r: &Region) -> Vec<u64> {
    cover(&bounds(r), true)
        .into_iter()
        .flat_map(|(lo, hi)| lo..=hi)
        .collect()
}

/// The key ranges a points-within-region query reads (point kind).
pub fn region_query(r: &Region) -> Vec<(u64, u64)> {
    cover(&bounds(r), false)
}

fn cells_at(rects: &[Rect], level: u32) -> u64 {
    let n = 1u64 << level;
    rects
        .iter()
        .map(|r| {
            let rows = row(r.lat_hi, level) - row(r.lat_lo, level) + 1;
            let cols = (col(r.lng_hi, level) - col(r.lng_lo, level) + 1) as u64;
            rows * cols.min(n)
        })
        .sum()
}

/// Key ranges of the cells covering `rects` at the finest level needing ≤ `MAX_CELLS` cells.
fn cover(rects: &[Rect], region: bool) -> Vec<(u64, u64)> {
    let level = (0..=MAX_LEVEL)
        .rev()
        .find(|&l| cells_at(rects, l) <= MAX_CELLS)
        .unwrap_or(0);
    let n = 1i64 << level;
    let mut out = Vec::new();
    for r in rects {
        let (c0, c1) = (col(r.lng_lo, level), col(r.lng_hi, level));
        let cols: Vec<(i64, i64)> = if c1 - c0 + 1 >= n {
            vec![(0, n - 1)]
        } else if c0.rem_euclid(n) <= c1.rem_euclid(n) {
            vec![(c0.rem_euclid(n), c1.rem_euclid(n))]
        } else {
            vec![(c0.rem_euclid(n), n - 1), (0, c1.rem_euclid(n))]
        };
        for rw in row(r.lat_lo, level)..=row(r.lat_hi, level) {
            for &(a, b) in &cols {
                out.push((key(region, level, rw, a as u64), key(region, level, rw, b as u64)));
            }
        }
    }
    out.sort_unstable();
    out.dedup();
    // Either the level needs at most MAX_CELLS cells, or it is level 0: one cell in all.
    assert!(
        out.iter().map(|(lo, hi)| hi - lo + 1).sum::<u64>() <= MAX_CELLS,
        "a cover is bounded"
    );
    out
}

/// Rectangles containing the region (at most two: a circle across the antimeridian splits).
pub fn bounds(r: &Region) -> Vec<Rect> {
    let grow = |mut x: Rect| {
        x.lat_lo = (x.lat_lo - EPS_DEG).max(-90.0);
        x.lat_hi = (x.lat_hi + EPS_DEG).min(90.0);
        x.lng_lo -= EPS_DEG;
        x.lng_hi += EPS_DEG;
        x
    };
    match r {
        Region::Circle(c) => circle_bounds(c.center, c.radius_rad)
            .into_iter()
            .map(grow)
            .collect(),
        Region::Polygons(polys) => polys
            .iter()
            .map(|rings| grow(polygon_bounds(rings)))
            .collect(),
    }
}

fn circle_bounds(center: V3, radius_rad: f64) -> Vec<Rect> {
    if radius_rad < 0.0 {
        return Vec::new();
    }
    let r = radius_rad.to_degrees();
    let lat = sphere::lat_deg(center);
    let lng = center[1].atan2(center[0]).to_degrees();
    let (lat_lo, lat_hi) = (lat - r, lat + r);
    if r >= 180.0 || lat_hi >= 90.0 || lat_lo <= -90.0 {
        let (lo, hi) = (lat_lo.max(-90.0), lat_hi.min(90.0));
        return vec![Rect { lat_lo: lo, lat_hi: hi, ..WORLD }];
    }
    let s = radius_rad.sin() / lat.to_radians().cos();
    if s >= 1.0 {
        return vec![Rect { lat_lo, lat_hi, ..WORLD }];
    }
    let d = s.asin().to_degrees();
    let rect = |lng_lo, lng_hi| Rect {
        lat_lo,
        lat_hi,
        lng_lo,
        lng_hi,
    };
    let (lo, hi) = (lng - d, lng + d);
    if lo < -180.0 {
        vec![rect(lo + 360.0, 180.0), rect(-180.0, hi)]
    } else if hi > 180.0 {
        vec![rect(lo, 180.0), rect(-180.0, hi - 360.0)]
    } else {
        vec![rect(lo, hi)]
    }
}

/// The latitude extremes of the arc a→b beyond its ends (great circles bulge poleward).
fn arc_lat_range(a: V3, b: V3) -> (f64, f64) {
    let (mut lo, mut hi) = (sphere::lat_deg(a), sphere::lat_deg(b));
    if lo > hi {
        std::mem::swap(&mut lo, &mut hi);
    }
    let n = unit(cross(a, b));
    // The northernmost point of the great circle with normal n.
    let top = unit([-n[2] * n[0], -n[2] * n[1], 1.0 - n[2] * n[2]]);
    for p in [top, [-top[0], -top[1], -top[2]]] {
        if dot(cross(a, p), n) >= 0.0 && dot(cross(p, b), n) >= 0.0 {
            let l = sphere::lat_deg(p);
            lo = lo.min(l);
            hi = hi.max(l);
        }
    }
    (lo, hi)
}

fn polygon_bounds(rings: &[crate::geo::sphere::Loop]) -> Rect {
    let mut r = Rect {
        lat_lo: 90.0,
        lat_hi: -90.0,
        lng_lo: 180.0,
        lng_hi: -180.0,
    };
    let mut full_lng = false;
    for l in rings {
        let v = l.vertices();
        for (i, &a) in v.iter().enumerate() {
            let b = v[(i + 1) % v.len()];
            let (lo, hi) = arc_lat_range(a, b);
            r.lat_lo = r.lat_lo.min(lo);
            r.lat_hi = r.lat_hi.max(hi);
            let (la, lb) = (a[1].atan2(a[0]).to_degrees(), b[1].atan2(b[0]).to_degrees());
            // An edge across the antimeridian (or through a pole): no longitude bound.
            full_lng |= (la - lb).abs() >= 180.0 - EPS_DEG;
            r.lng_lo = r.lng_lo.min(la);
            r.lng_hi = r.lng_hi.max(la);
        }
        for (pole, lat) in [([0.0, 0.0, 1.0], 90.0), ([0.0, 0.0, -1.0], -90.0)] {
            if l.contains(pole) {
                full_lng = true;
                r.lat_lo = r.lat_lo.min(lat);
                r.lat_hi = r.lat_hi.max(lat);
            }
        }
    }
    if full_lng {
        r.lng_lo = -180.0;
        r.lng_hi = 180.0;
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geo::shape::{parse, Geometry};

    fn region(text: &str) -> Region {
        match parse(text) {
            Ok(Geometry::Region(r)) => r,
            other => panic!("{other:?}"),
        }
    }

    fn pt(lng: f64, lat: f64) -> Point {
        Point {
            lng,
            lat,
            v: sphere::from_deg(lng, lat),
        }
    }

    /// Every point a region contains shares a key with the region's query ranges.
    fn covered(r: &Region, p: &Point) -> bool {
        let keys = point_keys(p);
        region_query(r)
            .iter()
            .any(|&(lo, hi)| keys.iter().any(|k| (lo..=hi).contains(k)))
    }

    #[test]
    fn keys_bound_small_and_wrapping_regions() {
        let square = region(r#"{"type":"Polygon","coordinates":[[[-123,37],[-121,37],[-121,38],[-123,38],[-123,37]]]}"#);
        assert!(covered(&square, &pt(-122.0, 37.5)));
        assert!(!covered(&square, &pt(-73.9, 40.7)));
        assert!(region_keys(&square).len() as u64 <= MAX_CELLS);
        let c = region(r#"{"type":"AeroCircle","coordinates":[[179.9,0],50000]}"#);
        assert!(c.contains(&pt(-179.9, 0.0)) && covered(&c, &pt(-179.9, 0.0)));
        assert!(covered(&c, &pt(180.0, 0.0)) && covered(&c, &pt(-180.0, 0.0)));
        let polar = region(r#"{"type":"AeroCircle","coordinates":[[0,89.9],100000]}"#);
        assert!(polar.contains(&pt(180.0, 89.9)) && covered(&polar, &pt(180.0, 89.9)));
        let band = region(r#"{"type":"Polygon","coordinates":[[[-60,50],[60,50],[60,60],[-60,60],[-60,50]]]}"#);
        assert!(band.contains(&pt(0.0, 70.0)) && covered(&band, &pt(0.0, 70.0)));
    }

    /// Many polygons (one rectangle each) fall back to the one cell of level 0.
    #[test]
    fn many_polygons_stay_bounded() {
        let polys: Vec<String> = (0..40)
            .map(|i| {
                let x = -170.0 + 8.0 * f64::from(i);
                format!("[[[{x},0],[{},0],[{},1],[{x},1],[{x},0]]]", x + 1.0, x + 1.0)
            })
            .collect();
        let text = format!(r#"{{"type":"MultiPolygon","coordinates":[{}]}}"#, polys.join(","));
        let r = region(&text);
        assert!(region_keys(&r).len() as u64 <= MAX_CELLS);
        assert!(covered(&r, &pt(-169.5, 0.5)));
    }

    #[test]
    fn point_query_finds_the_region_keys() {
        let square = region(r#"{"type":"Polygon","coordinates":[[[-123,37],[-121,37],[-121,38],[-123,38],[-123,37]]]}"#);
        let keys = region_keys(&square);
        let hit = |p: &Point| {
            point_query(p)
                .iter()
                .any(|&(lo, _)| keys.contains(&lo))
        };
        assert!(hit(&pt(-122.0, 37.5)));
        assert!(!hit(&pt(10.0, 10.0)));
    }
}
