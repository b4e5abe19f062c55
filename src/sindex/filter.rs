//! `Filter`: the index predicate of a query (the official client's `Filter::equal`, `range`,
//! `contains`, `contains_range`, `geo_within_region`, `geo_within_radius`, `geo_contains`), set
//! with `Statement::set_filter` (SIDX-QUERY-1, SIDX-GEO-1).
//!
//! Invariants: a filter selects an index by source (bin and context, or expression bytes),
//! collection type and value type only; a record
//! matches it when any key its index would extract lies in `[begin, end]` (SIDX-RECHECK-1 uses
//! the same test on the record under its lock); a geo filter's key ranges contain the keys of
//! every value that matches it (`geo::cells`), and its recheck is `geo::matches`.

use crate::cdt::context::CTX;
use crate::error::{Error, Result, ResultCode};
use crate::expressions::Expression;
use crate::record::bin::BinList;
use crate::record::key::Digest;
use crate::record::value::Value;
use crate::sindex::ctx::IndexCtx;
use crate::sindex::definition::{key_of, type_of, CollectionIndexType, IndexDef, IndexType};
use crate::sindex::tree::SKey;
use std::sync::Arc;

/// The GeoJSON of a geo filter, and its parse (`None`: malformed, refused at query time).
#[derive(Debug, Clone)]
struct GeoQuery {
    text: String,
    shape: Option<Arc<crate::geo::Geometry>>,
}

impl PartialEq for GeoQuery {
    fn eq(&self, other: &GeoQuery) -> bool {
        self.text == other.text
    }
}

impl Eq for GeoQuery {}

/// An index predicate: the bin's (or its elements') values in `[begin, end]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Indexed bin.
    pub bin_name: String,
    /// Collection type of the index to use.
    pub collection: CollectionIndexType,
    /// The CDT context of the index to use (SIDX-CTX-1); empty = the bin's value.
    pub ctx: IndexCtx,
    /// The packed expression of the expression index to use (SIDX-EXP-1).
    pub exp: Option<Vec<u8>>,
    begin: Option<SKey>,
    end: Option<SKey>,
    geo: Option<GeoQuery>,
}

fn skey(v: Value) -> Option<SKey> {
    [IndexType::Numeric, IndexType::String, IndexType::Blob]
        .into_iter()
        .find_map(|t| key_of(t, &v))
}

impl Filter {
    /// The bin's value equals `value` (an integer, string or blob).
    pub fn equal(bin_name: &str, value: impl Into<Value>) -> Filter {
        let v = value.into();
        Filter::contains_range(bin_name, v.clone(), v, CollectionIndexType::Default)
    }

    /// The bin's integer value lies in `[begin, end]`.
    pub fn range(bin_name: &str, begin: impl Into<Value>, end: impl Into<Value>) -> Filter {
        Filter::contains_range(bin_name, begin, end, CollectionIndexType::Default)
    }

    /// The collection (list elements, map keys or map values) contains `value`.
    pub fn contains(
        bin_name: &str,
        value: impl Into<Value>,
        collection: CollectionIndexType,
    ) -> Filter {
        let v = value.into();
        Filter::contains_range(bin_name, v.clone(), v, collection)
    }

    /// The collection contains a value in `[begin, end]`.
    pub fn contains_range(
        bin_name: &str,
        begin: impl Into<Value>,
        end: impl Into<Value>,
        collection: CollectionIndexType,
    ) -> Filter {
        Filter {
            bin_name: bin_name.to_string(),
            collection,
            ctx: IndexCtx::default(),
            exp: None,
            begin: skey(begin.into()),
            end: skey(end.into()),
            geo: None,
        }
    }

    /// SIDX-GEO-1: a geo filter on a GEO2DSPHERE index. A `Point` selects the regions that
    /// contain it; a region (Polygon, MultiPolygon, AeroCircle) the points within it — as the
    /// server decides by the query's own type.
    pub fn geo(bin_name: &str, geojson: &str, collection: CollectionIndexType) -> Filter {
        let shape = crate::geo::parse(geojson).ok().map(Arc::new);
        Filter {
            bin_name: bin_name.to_string(),
            collection,
            ctx: IndexCtx::default(),
            exp: None,
            begin: None,
            end: None,
            geo: Some(GeoQuery {
                text: geojson.to_string(),
                shape,
            }),
        }
    }

    /// Points of the bin within `region` (GeoJSON Polygon, MultiPolygon or AeroCircle).
    pub fn geo_within_region(bin_name: &str, region: &str) -> Filter {
        Filter::geo(bin_name, region, CollectionIndexType::Default)
    }

    /// Points of the bin within `radius_m` metres of (`lng`, `lat`): an AeroCircle, written as
    /// the official client writes it.
    pub fn geo_within_radius(bin_name: &str, lng: f64, lat: f64, radius_m: f64) -> Filter {
        let circle = format!(
            "{{ \"type\": \"AeroCircle\", \"coordinates\": [[{lng:.8}, {lat:.8}], {radius_m}] }}"
        );
        Filter::geo(bin_name, &circle, CollectionIndexType::Default)
    }

    /// Regions of the bin that contain `point` (a GeoJSON Point).
    pub fn geo_contains(bin_name: &str, point: &str) -> Filter {
        Filter::geo(bin_name, point, CollectionIndexType::Default)
    }

    fn geo_shape(&self) -> Option<Result<&crate::geo::Geometry>> {
        let g = self.geo.as_ref()?;
        Some(g.shape.as_deref().ok_or_else(|| {
            Error::new(
                ResultCode::ParameterError,
                format!(
                    "geo filter on bin {:?}: invalid GeoJSON {:?}; expected a Point, Polygon, \
                     MultiPolygon or AeroCircle (SIDX-GEO-1)",
                    self.bin_name, g.text
                ),
            )
        }))
    }

    /// The inclusive key ranges of the index to read: `[begin, end]`, or a geo filter's cells.
    pub fn key_ranges(&self) -> Result<Vec<(SKey, SKey)>> {
        let Some(shape) = self.geo_shape() else {
            let (b, e) = self.bounds()?;
            return Ok(vec![(b.clone(), e.clone())]);
        };
        let ranges = match shape? {
            crate::geo::Geometry::Point(p) => crate::geo::cells::point_query(p),
            crate::geo::Geometry::Region(r) => crate::geo::cells::region_query(r),
        };
        Ok(ranges
            .into_iter()
            .map(|(lo, hi)| (SKey::Geo(lo), SKey::Geo(hi)))
            .collect())
    }

    /// Use the index on the element `ctx` selects in the bin (the official client's
    /// `Filter::context`; SIDX-CTX-1). An empty context is the bin's value itself.
    #[must_use]
    pub fn context(mut self, ctx: impl Into<Vec<CTX>>) -> Filter {
        self.ctx = IndexCtx::of(&ctx.into());
        self
    }

    /// Use the index on `exp` (the official client's `Filter::expression`; SIDX-EXP-1): the
    /// index created by `create_index_using_expression` with an expression of the same bytes.
    /// The filter's bin name is cleared, as the client clears it.
    #[must_use]
    pub fn expression(self, exp: Expression) -> Filter {
        self.expression_bytes(exp.to_bytes())
    }

    /// `expression` with the packed bytes a client sent (the INDEX_EXPRESSION field).
    #[must_use]
    pub(crate) fn expression_bytes(mut self, packed: Vec<u8>) -> Filter {
        self.bin_name.clear();
        self.exp = Some(packed);
        self
    }

    /// What the filter names its index by, for messages: the bin or "an expression".
    pub(crate) fn source(&self) -> String {
        match &self.exp {
            Some(_) => "this expression".to_string(),
            None => format!("bin {:?}", self.bin_name),
        }
    }

    /// The checked bounds: both of one indexable type (4 otherwise, SIDX-BAD-FILTER).
    pub fn bounds(&self) -> Result<(&SKey, &SKey)> {
        match (&self.begin, &self.end) {
            (Some(b), Some(e)) if type_of(b) == type_of(e) => Ok((b, e)),
            _ => Err(Error::new(
                ResultCode::ParameterError,
                format!(
                    "filter on bin {:?}: bounds must both be integers, strings or blobs \
                     (SIDX-BAD-FILTER)",
                    self.bin_name
                ),
            )),
        }
    }

    /// Whether `def` can answer this filter.
    pub fn uses(&self, def: &IndexDef) -> bool {
        let index_type = match self.geo {
            Some(_) => Some(IndexType::Geo2DSphere),
            None => self.bounds().ok().map(|(b, _)| type_of(b)),
        };
        index_type == Some(def.index_type)
            && def.bin_name == self.bin_name
            && def.collection == self.collection
            && def.ctx == self.ctx
            && def.exp.as_ref().map(|e| e.packed()) == self.exp.as_deref()
    }

    /// SIDX-RECHECK-1: whether the record `digest` with `bins` matches, as `def` extracts
    /// its keys (a geo filter: the exact containment test on each of the record's shapes).
    pub fn matches(&self, def: &IndexDef, digest: &Digest, bins: &BinList) -> bool {
        if let Some(shape) = self.geo_shape() {
            let Ok(query) = shape else {
                return false;
            };
            return def
                .geo_values_of(digest, bins)
                .iter()
                .any(|candidate| crate::geo::matches(candidate, query));
        }
        let Ok((b, e)) = self.bounds() else {
            return false;
        };
        // A query picks an index its filter can use (`Sindexes::for_filter`, `uses`).
        debug_assert!(
            self.uses(def),
            "the recheck uses an index of the filter's kind"
        );
        def.keys_of(digest, bins).iter().any(|k| k >= b && k <= e)
    }
}
