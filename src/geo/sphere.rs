//! Geometry on the unit sphere: points as unit vectors, loops of great-circle edges, caps.
//!
//! A loop's edges are the shorter great-circle arcs between consecutive vertices (as S2, which
//! the Aerospike server uses, draws them), not straight lines in longitude/latitude. A loop is
//! stored oriented so that its interior lies to the left of its edges and covers at most half
//! the sphere (the smaller of the two regions it bounds), whatever the order of its vertices.
//!
//! Containment: a point is inside a loop when the arc from the loop's reference point (a point
//! `REF_OFFSET_RAD` to the inner side of its best-conditioned edge, so inside by construction)
//! to the point crosses its edges an even number of times. Crossings use the signs of triple
//! products; a vertex exactly on the arc counts on one side only (half-open), so parity holds.
//! Tolerance: a point within about `REF_OFFSET_RAD` (1e-9 rad, 6 mm on the earth) of an edge may
//! test either way; every answer is deterministic (pure f64 arithmetic, no randomness).
//!
//! Invariants: a `Loop` has at least 3 vertices, all unit vectors, and its left side's area is
//! at most 2π (asserted in `Loop::new`); nothing here panics on finite input.

/// A 3-vector.
pub type V3 = [f64; 3];

/// How far (radians) the reference point of a loop lies inside its reference edge.
pub const REF_OFFSET_RAD: f64 = 1e-9;

/// The unit vector of longitude / latitude in degrees.
pub fn from_deg(lng: f64, lat: f64) -> V3 {
    let (lng, lat) = (lng.to_radians(), lat.to_radians());
    [lat.cos() * lng.cos(), lat.cos() * lng.sin(), lat.sin()]
}

/// Latitude in degrees of a unit vector.
pub fn lat_deg(p: V3) -> f64 {
    p[2].clamp(-1.0, 1.0).asin().to_degrees()
}

/// Dot product.
pub fn dot(a: V3, b: V3) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

/// Cross product.
pub fn cross(a: V3, b: V3) -> V3 {
    [
        a[1] * b[2] - a[2] * b[1],
        a[2] * b[0] - a[0] * b[2],
        a[0] * b[1] - a[1] * b[0],
    ]
}

fn add(a: V3, b: V3, k: f64) -> V3 {
    [a[0] + k * b[0], a[1] + k * b[1], a[2] + k * b[2]]
}

fn norm(a: V3) -> f64 {
    dot(a, a).sqrt()
}

/// `a` scaled to length 1 (`a` itself when it is zero).
pub fn unit(a: V3) -> V3 {
    let n = norm(a);
    if n > 0.0 {
        [a[0] / n, a[1] / n, a[2] / n]
    } else {
        a
    }
}

/// The angle between two unit vectors, radians in [0, π] (atan2: accurate for tiny angles).
pub fn angle(a: V3, b: V3) -> f64 {
    norm(cross(a, b)).atan2(dot(a, b))
}

fn triple(a: V3, b: V3, c: V3) -> f64 {
    dot(cross(a, b), c)
}

/// Signed area of the spherical triangle abc (positive when counter-clockwise).
fn signed_area(a: V3, b: V3, c: V3) -> f64 {
    2.0 * triple(a, b, c).atan2(1.0 + dot(a, b) + dot(b, c) + dot(c, a))
}

/// Whether the arc a→b crosses the edge c→d. The sides of c and d are taken half-open (a
/// vertex on the great circle of a→b counts as on its positive side).
fn crosses(a: V3, b: V3, c: V3, d: V3) -> bool {
    let side = |x: V3| if triple(a, b, x) >= 0.0 { 1.0 } else { -1.0 };
    let (sc, sd) = (side(c), side(d));
    if sc == sd {
        return false;
    }
    // The intersection on c→d must also lie on a→b (not at its antipode): both remaining
    // signs agree with c's.
    let cbd = -triple(c, d, b);
    let dac = triple(c, d, a);
    -sc * cbd > 0.0 && -sc * dac > 0.0
}

/// A closed loop of great-circle edges, interior on the left (at most a hemisphere).
#[derive(Debug, Clone, PartialEq)]
pub struct Loop {
    vertices: Vec<V3>,
    reference: V3,
}

impl Loop {
    /// The loop through `vertices` (not closed: the last one connects to the first).
    pub fn new(mut vertices: Vec<V3>) -> Result<Loop, String> {
        if vertices.len() < 3 {
            return Err(format!(
                "a loop needs 3 distinct vertices, has {}",
                vertices.len()
            ));
        }
        let v0 = vertices[0];
        let area: f64 = vertices
            .windows(2)
            .skip(1)
            .map(|w| signed_area(v0, w[0], w[1]))
            .sum();
        if area.rem_euclid(4.0 * std::f64::consts::PI) > 2.0 * std::f64::consts::PI {
            vertices.reverse();
        }
        let n = vertices.len();
        let edge = |i: usize| (vertices[i], vertices[(i + 1) % n]);
        let best = (0..n)
            .max_by(|&i, &j| {
                let (a, b) = edge(i);
                let (c, d) = edge(j);
                norm(cross(a, b)).total_cmp(&norm(cross(c, d)))
            })
            .unwrap_or(0);
        let (a, b) = edge(best);
        let reference = unit(add(unit(add(a, b, 1.0)), unit(cross(a, b)), REF_OFFSET_RAD));
        let l = Loop {
            vertices,
            reference,
        };
        debug_assert!(l.vertices.iter().all(|v| (norm(*v) - 1.0).abs() < 1e-9));
        Ok(l)
    }

    /// The vertices, interior on the left.
    pub fn vertices(&self) -> &[V3] {
        &self.vertices
    }

    /// Whether `p` (a unit vector) lies inside the loop.
    pub fn contains(&self, p: V3) -> bool {
        let o = self.reference;
        // An arc needs distinct, non-antipodal ends: go around through a point at 90°.
        if norm(cross(o, p)) < 1e-12 {
            if dot(o, p) > 0.0 {
                return true;
            }
            let mid = unit(cross(o, if o[0].abs() < 0.9 { [1.0, 0.0, 0.0] } else { [0.0, 1.0, 0.0] }));
            return (self.crossings(o, mid) + self.crossings(mid, p)).is_multiple_of(2);
        }
        self.crossings(o, p).is_multiple_of(2)
    }

    fn crossings(&self, a: V3, b: V3) -> usize {
        let n = self.vertices.len();
        (0..n)
            .filter(|&i| crosses(a, b, self.vertices[i], self.vertices[(i + 1) % n]))
            .count()
    }
}

/// A spherical cap: the points within `radius_rad` of `center`.
#[derive(Debug, Clone, PartialEq)]
pub struct Cap {
    /// Center (unit vector).
    pub center: V3,
    /// Angular radius in radians (negative: the empty cap).
    pub radius_rad: f64,
}

impl Cap {
    /// Whether `p` lies in the cap (its boundary included).
    pub fn contains(&self, p: V3) -> bool {
        angle(self.center, p) <= self.radius_rad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(order_ccw: bool) -> Loop {
        let mut v = vec![
            from_deg(-1.0, -1.0),
            from_deg(1.0, -1.0),
            from_deg(1.0, 1.0),
            from_deg(-1.0, 1.0),
        ];
        if !order_ccw {
            v.reverse();
        }
        Loop::new(v).expect("loop")
    }

    #[test]
    fn orientation_does_not_matter() {
        for ccw in [true, false] {
            let l = square(ccw);
            assert!(l.contains(from_deg(0.0, 0.0)));
            assert!(l.contains(from_deg(0.99, -0.99)));
            assert!(!l.contains(from_deg(1.01, 0.0)));
            assert!(!l.contains(from_deg(180.0, 0.0)), "antipode");
            assert!(!l.contains(from_deg(0.0, 90.0)));
        }
    }

    #[test]
    fn vertex_on_the_arc_counts_once() {
        let l = square(true);
        // Points in line with vertices (same latitude / longitude as a corner).
        for (lng, lat) in [(0.0f64, 1.0f64 - 1e-6), (2.0, 1.0), (-2.0, -1.0), (1.0, 3.0), (1.00001, 0.5), (0.99999, 0.5)] {
            let inside = lng.abs() < 1.0 && lat.abs() < 1.0;
            assert_eq!(l.contains(from_deg(lng, lat)), inside, "{lng},{lat}");
        }
    }

    #[test]
    fn edges_are_great_circles() {
        // A wide band along latitude 60: the great-circle edge from (-60, 60) to (60, 60)
        // bulges north, so a point at latitude 61 on the middle meridian is inside.
        let l = Loop::new(vec![
            from_deg(-60.0, 50.0),
            from_deg(60.0, 50.0),
            from_deg(60.0, 60.0),
            from_deg(-60.0, 60.0),
        ])
        .expect("loop");
        // At longitude 0 the bottom edge reaches 67.2° and the top one 73.9°.
        assert!(l.contains(from_deg(0.0, 70.0)));
        assert!(!l.contains(from_deg(0.0, 62.0)), "above both vertices, below the edge");
        assert!(!l.contains(from_deg(0.0, 75.0)));
    }

    #[test]
    fn cap_boundary_and_empty() {
        let c = Cap {
            center: from_deg(10.0, 20.0),
            radius_rad: 0.01,
        };
        assert!(c.contains(from_deg(10.0, 20.0)));
        assert!(c.contains(from_deg(10.0, 20.0 + 0.0099f64.to_degrees())));
        assert!(!c.contains(from_deg(10.0, 20.0 + 0.0101f64.to_degrees())));
        let empty = Cap {
            radius_rad: -1.0,
            ..c
        };
        assert!(!empty.contains(from_deg(10.0, 20.0)));
    }
}
