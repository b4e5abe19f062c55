//! The only place that reads time (MD-CLOCK, CH-CLOCK). Engine time is milliseconds since
//! 2010-01-01T00:00:00Z (MD-LUT-UNIT); seconds for void-times (MD-VOID-UNIT).
//!
//! Invariant: `ManualClock` only moves when told to; `SystemClock` may go backwards (the engine
//! keeps LUTs monotonic itself, MD-LUT-MONO).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// 2010-01-01T00:00:00Z in Unix seconds (MD-EPOCH).
pub const CITRUSLEAF_EPOCH_UNIX_S: u64 = 1_262_304_000;

/// A source of engine time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since 2010-01-01.
    fn now_ms(&self) -> u64;
    /// Seconds since 2010-01-01 (floor).
    fn now_s(&self) -> u32 {
        u32::try_from(self.now_ms() / 1000).unwrap_or(u32::MAX)
    }
}

/// The system wall clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        let unix_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_millis());
        u64::try_from(unix_ms)
            .unwrap_or(u64::MAX)
            .saturating_sub(CITRUSLEAF_EPOCH_UNIX_S * 1000)
    }
}

/// A clock that tests move by hand. Clones share the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    ms: Arc<AtomicU64>,
}

impl ManualClock {
    /// Start at `ms` since 2010-01-01.
    pub fn new(ms: u64) -> ManualClock {
        ManualClock {
            ms: Arc::new(AtomicU64::new(ms)),
        }
    }

    /// Start at a fixed, realistic time (2026-01-01T00:00:00Z).
    pub fn at_2026() -> ManualClock {
        ManualClock::new((1_767_225_600 - CITRUSLEAF_EPOCH_UNIX_S) * 1000)
    }

    /// Move forward (or back, with a negative delta); stops at 0 and at `u64::MAX` instead of
    /// wrapping around.
    pub fn advance_ms(&self, delta: i64) {
        let step = |ms: u64| {
            Some(if delta >= 0 {
                ms.saturating_add(delta.unsigned_abs())
            } else {
                ms.saturating_sub(delta.unsigned_abs())
            })
        };
        // The closure always returns Some, so the update cannot fail.
        let _ = self
            .ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, step);
    }

    /// Move forward by seconds (stops at `u64::MAX`).
    pub fn advance_s(&self, s: u64) {
        let step = |ms: u64| Some(ms.saturating_add(s.saturating_mul(1000)));
        // The closure always returns Some, so the update cannot fail.
        let _ = self
            .ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, step);
    }

    /// Set the time.
    pub fn set_ms(&self, ms: u64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.ms.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 11 point 9: moving back past the epoch stops at 0 instead of wrapping around;
    /// moving forward past the end stops at `u64::MAX`.
    #[test]
    fn manual_clock_saturates_at_both_ends() {
        let c = ManualClock::at_2026();
        c.set_ms(500);
        c.advance_ms(-1_000);
        assert_eq!(c.now_ms(), 0, "below zero stops at 0");
        c.advance_ms(i64::MIN);
        assert_eq!(c.now_ms(), 0);
        c.advance_ms(250);
        assert_eq!(c.now_ms(), 250);
        c.set_ms(u64::MAX - 10);
        c.advance_ms(i64::MAX);
        assert_eq!(c.now_ms(), u64::MAX, "past the end stops at the end");
        c.advance_s(u64::MAX);
        assert_eq!(c.now_ms(), u64::MAX);
    }
}
