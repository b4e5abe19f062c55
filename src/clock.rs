//! The only place that reads time (MD-CLOCK, CH-CLOCK). Engine time is milliseconds since
//! 2010-01-01T00:00:00Z (MD-LUT-UNIT); seconds for void-times (MD-VOID-UNIT).
//!
//! Two readings: the *wall* time (`now_ms`, LUTs and void-times) and a *monotonic* time
//! (`monotonic_us`, microseconds from an arbitrary origin) for everything that measures an
//! interval: request deadlines, lock waits, flush timers, group-commit ages, tombstone-reclaim
//! periods, progress timing. Engine and storage read time only through a `Clock`
//! (`tests/tidy_time.rs` fails on `Instant::now` / `SystemTime::now` anywhere else).
//!
//! Invariants: `ManualClock`'s wall time only moves when told to; its monotonic reading is the
//! process's real monotonic time unless the clock was made with
//! [`ManualClock::with_manual_monotonic`], and then it only moves forward and only when told to;
//! `SystemClock` may go backwards (the engine keeps LUTs monotonic itself, MD-LUT-MONO), its
//! monotonic reading never does.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    /// Microseconds on a monotonic scale with an arbitrary origin (never goes backwards).
    /// Default: the process's real monotonic time.
    fn monotonic_us(&self) -> u64 {
        process_monotonic_us()
    }
    /// The monotonic reading `after` from now (saturating): a deadline for `monotonic_us`.
    fn deadline_us(&self, after: Duration) -> u64 {
        self.monotonic_us().saturating_add(duration_us(after))
    }
}

/// `d` in whole microseconds, saturating at `u64::MAX`.
pub fn duration_us(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// Real monotonic microseconds since the first reading in this process.
fn process_monotonic_us() -> u64 {
    static ORIGIN: OnceLock<Instant> = OnceLock::new();
    let origin = *ORIGIN.get_or_init(Instant::now);
    duration_us(Instant::now().saturating_duration_since(origin))
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
///
/// Its monotonic reading is real time by default, so timers of background threads (flush,
/// group commit, lock waits) run as with [`SystemClock`] while the test jumps wall time.
/// [`ManualClock::with_manual_monotonic`] makes it manual too: it then moves forward with every
/// forward `advance_*` and with [`ManualClock::advance_monotonic_us`], and a thread waiting for a
/// monotonic deadline (a request's `total_timeout`, a group-commit gather wait) waits until the
/// test moves it.
#[derive(Debug, Clone)]
pub struct ManualClock {
    ms: Arc<AtomicU64>,
    /// The manual monotonic reading, when the clock has one.
    mono_us: Option<Arc<AtomicU64>>,
}

impl ManualClock {
    /// Start at `ms` since 2010-01-01.
    pub fn new(ms: u64) -> ManualClock {
        ManualClock {
            ms: Arc::new(AtomicU64::new(ms)),
            mono_us: None,
        }
    }

    /// The same wall time, with a manual monotonic reading starting at 0 (clones made after this
    /// share it).
    pub fn with_manual_monotonic(self) -> ManualClock {
        ManualClock {
            ms: self.ms,
            mono_us: Some(Arc::new(AtomicU64::new(0))),
        }
    }

    /// Move the manual monotonic reading forward by `us` (stops at `u64::MAX`); no effect on a
    /// clock whose monotonic reading is real time.
    pub fn advance_monotonic_us(&self, us: u64) {
        if let Some(m) = &self.mono_us {
            let step = |v: u64| Some(v.saturating_add(us));
            // The closure always returns Some, so the update cannot fail.
            let _ = m.fetch_update(Ordering::SeqCst, Ordering::SeqCst, step);
        }
    }

    /// Start at a fixed, realistic time (2026-01-01T00:00:00Z).
    pub fn at_2026() -> ManualClock {
        ManualClock::new((1_767_225_600 - CITRUSLEAF_EPOCH_UNIX_S) * 1000)
    }

    /// Move forward (or back, with a negative delta); stops at 0 and at `u64::MAX` instead of
    /// wrapping around.
    pub fn advance_ms(&self, delta: i64) {
        if delta > 0 {
            self.advance_monotonic_us(delta.unsigned_abs().saturating_mul(1000));
        }
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
        self.advance_monotonic_us(s.saturating_mul(1_000_000));
        let step = |ms: u64| Some(ms.saturating_add(s.saturating_mul(1000)));
        // The closure always returns Some, so the update cannot fail.
        let _ = self
            .ms
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, step);
    }

    /// Set the wall time (the monotonic reading stays where it is).
    pub fn set_ms(&self, ms: u64) {
        self.ms.store(ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.ms.load(Ordering::SeqCst)
    }
    fn monotonic_us(&self) -> u64 {
        match &self.mono_us {
            Some(m) => m.load(Ordering::SeqCst),
            None => process_monotonic_us(),
        }
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

    /// Issue 12 point 6: a manual monotonic reading moves only forward and only when told to;
    /// by default it is real time and ignores the manual wall time.
    #[test]
    fn manual_monotonic_moves_only_when_told() {
        let c = ManualClock::at_2026().with_manual_monotonic();
        let shared = c.clone();
        assert_eq!(c.monotonic_us(), 0);
        std::thread::sleep(Duration::from_millis(2));
        assert_eq!(c.monotonic_us(), 0, "real time does not move it");
        shared.advance_ms(3);
        shared.advance_ms(-10);
        shared.set_ms(0);
        assert_eq!(c.monotonic_us(), 3_000, "forward wall steps only");
        c.advance_s(1);
        c.advance_monotonic_us(7);
        assert_eq!(shared.monotonic_us(), 1_003_007);
        assert_eq!(c.deadline_us(Duration::from_micros(5)), 1_003_012);

        let real = ManualClock::at_2026();
        let before = real.monotonic_us();
        real.advance_s(3600);
        real.advance_monotonic_us(1 << 40);
        let after = real.monotonic_us();
        assert!(after >= before && after - before < 60_000_000, "real time");
        assert!(SystemClock.monotonic_us() >= before);
    }
}
