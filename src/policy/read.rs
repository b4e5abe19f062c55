//! Read policy (§7.2, §14.1).

use crate::expressions::Expression;
use std::time::Duration;

/// Policy for get, get_header, exists and read-only operates.
#[derive(Debug, Clone, Default)]
pub struct ReadPolicy {
    /// RTT-SETTING: 0 = namespace default, −1 = never, 1 … 100 = percent; other values → 4.
    pub read_touch_ttl_percent: i32,
    /// Filter expression (RP-06): the read applies only when it is true on the record.
    pub filter_expression: Option<Expression>,
    /// Total deadline; `None` = none.
    pub total_timeout: Option<Duration>,
}
