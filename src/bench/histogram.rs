//! Latency histograms: nanosecond resolution with 3 significant digits (hdrhistogram), values
//! clamped into 1 ns … 100 s so recording never fails, plus the quantile summary the report needs.
//!
//! Invariant: `count()` equals the number of `record` calls plus the counts of merged histograms.

use hdrhistogram::Histogram;
use std::time::Duration;

/// Largest latency tracked; longer ones are recorded as this.
pub const MAX_TRACKED_NS: u64 = 100_000_000_000;

/// Quantiles reported for CDF plots (a "nines" scale).
pub const CDF_QUANTILES: [f64; 18] = [
    0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995,
    0.9999, 1.0,
];

/// One latency histogram.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    h: Histogram<u64>,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram::new()
    }
}

/// Quantiles of one histogram, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LatencySummary {
    /// Operations recorded.
    pub count: u64,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile.
    pub p99_us: f64,
    /// 99.9th percentile.
    pub p999_us: f64,
    /// Maximum.
    pub max_us: f64,
    /// Mean.
    pub mean_us: f64,
}

impl LatencyHistogram {
    /// Empty histogram.
    pub fn new() -> LatencyHistogram {
        let h = Histogram::new_with_bounds(1, MAX_TRACKED_NS, 3)
            .expect("static histogram bounds are valid");
        LatencyHistogram { h }
    }

    /// Record one latency.
    pub fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.record_ns(ns);
    }

    /// Record one latency in nanoseconds (clamped to 1 ns … [`MAX_TRACKED_NS`]).
    pub fn record_ns(&mut self, ns: u64) {
        self.h.saturating_record(ns.clamp(1, MAX_TRACKED_NS));
    }

    /// Add another histogram's counts.
    pub fn merge(&mut self, other: &LatencyHistogram) {
        // Same bounds on both sides, so adding cannot fail.
        self.h
            .add(&other.h)
            .expect("histograms with equal bounds add");
    }

    /// Operations recorded.
    pub fn count(&self) -> u64 {
        self.h.len()
    }

    /// Latency at quantile `q` (0…1), microseconds.
    pub fn quantile_us(&self, q: f64) -> f64 {
        if self.h.is_empty() {
            return 0.0;
        }
        self.h.value_at_quantile(q) as f64 / 1000.0
    }

    /// The report's summary.
    pub fn summary(&self) -> LatencySummary {
        if self.h.is_empty() {
            return LatencySummary::default();
        }
        LatencySummary {
            count: self.h.len(),
            p50_us: self.quantile_us(0.5),
            p99_us: self.quantile_us(0.99),
            p999_us: self.quantile_us(0.999),
            max_us: self.h.max() as f64 / 1000.0,
            mean_us: self.h.mean() / 1000.0,
        }
    }

    /// `(quantile, µs)` at each of [`CDF_QUANTILES`].
    pub fn cdf(&self) -> Vec<(f64, f64)> {
        CDF_QUANTILES
            .iter()
            .map(|&q| (q, self.quantile_us(q)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_values() {
        let mut h = LatencyHistogram::new();
        for us in 1..=1000u64 {
            h.record(Duration::from_micros(us));
        }
        let s = h.summary();
        assert_eq!(s.count, 1000);
        assert!((s.p50_us - 500.0).abs() < 2.0, "{s:?}");
        assert!((s.p99_us - 990.0).abs() < 2.0, "{s:?}");
        assert!((s.max_us - 1000.0).abs() < 2.0, "{s:?}");
        let mut other = LatencyHistogram::new();
        other.record(Duration::from_secs(1000));
        h.merge(&other);
        assert_eq!(h.count(), 1001);
        assert!(h.summary().max_us >= 99_000_000.0);
    }

    #[test]
    fn empty_summary_is_zero() {
        assert_eq!(LatencyHistogram::new().summary(), LatencySummary::default());
        assert_eq!(LatencyHistogram::new().cdf().len(), CDF_QUANTILES.len());
    }
}
