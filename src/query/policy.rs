//! `QueryPolicy` (the official client's query policy, the fields a single node needs).

use crate::expressions::Expression;
use std::time::Duration;

/// How a query runs.
#[derive(Debug, Clone)]
pub struct QueryPolicy {
    /// Stop after this many records (0 = no limit). The partition filter keeps where the query
    /// stopped, so a second query with it continues (SCAN-RESUME-1).
    pub max_records: u64,
    /// Pace the query to at most this many records per second (0 = no pacing).
    pub records_per_second: u32,
    /// Return bins (`false`: metadata only, whatever the statement asks).
    pub include_bin_data: bool,
    /// Per-record filter: a record it rejects is skipped (SCAN-FILTER-1).
    pub filter_expression: Option<Expression>,
    /// Deadline for each record lock the query waits for; `None` = none.
    pub total_timeout: Option<Duration>,
}

impl Default for QueryPolicy {
    fn default() -> QueryPolicy {
        QueryPolicy {
            max_records: 0,
            records_per_second: 0,
            include_bin_data: true,
            filter_expression: None,
            total_timeout: None,
        }
    }
}
