//! Filter predicates (WP-13, RP-06, DP-08): a request applies only when the predicate holds on the
//! live record. Aerospike expresses these as filter expressions; aerolite takes a Rust predicate
//! over the record as it is before the request.

use crate::record::record::Record;
use crate::record::value::Value;
use std::fmt;
use std::sync::Arc;

/// A predicate over the record's current bins and metadata.
#[derive(Clone)]
pub struct Filter {
    pred: Arc<dyn Fn(&Record) -> bool + Send + Sync>,
    description: String,
}

impl Filter {
    /// A custom predicate.
    pub fn new(
        description: &str,
        pred: impl Fn(&Record) -> bool + Send + Sync + 'static,
    ) -> Filter {
        Filter {
            pred: Arc::new(pred),
            description: description.to_string(),
        }
    }

    /// True when bin `name` equals `value` (cdt.md §1 equality).
    pub fn bin_eq(name: &str, value: impl Into<Value>) -> Filter {
        let (n, v) = (name.to_string(), value.into());
        let description = format!("bin {n:?} == {v}");
        Filter {
            pred: Arc::new(move |r: &Record| r.bins.get(&n) == Some(&v)),
            description,
        }
    }

    /// True when bin `name` exists.
    pub fn bin_exists(name: &str) -> Filter {
        let n = name.to_string();
        let description = format!("bin {n:?} exists");
        Filter {
            pred: Arc::new(move |r: &Record| r.bins.get(&n).is_some()),
            description,
        }
    }

    /// Evaluate.
    pub fn matches(&self, record: &Record) -> bool {
        (self.pred)(record)
    }
}

impl fmt::Debug for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Filter({})", self.description)
    }
}
