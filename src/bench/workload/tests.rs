use super::*;
use crate::bench::target::{OpResult, TargetStats};

/// A target whose every operation succeeds at once.
struct Instant0;

impl BenchTarget for Instant0 {
    fn name(&self) -> String {
        "instant".into()
    }
    fn insert(&self, _: u64, _: &[u8]) -> OpResult<()> {
        Ok(())
    }
    fn read(&self, _: u64) -> OpResult<usize> {
        Ok(0)
    }
    fn update(&self, _: u64, _: &[u8]) -> OpResult<()> {
        Ok(())
    }
    fn read_modify_write(&self, _: u64, _: &mut dyn FnMut(&mut Vec<u8>)) -> OpResult<u32> {
        Ok(0)
    }
    fn stats(&self) -> TargetStats {
        TargetStats::default()
    }
}

fn spec(workload: Workload, threads: usize) -> PhaseSpec {
    PhaseSpec {
        workload,
        threads,
        records: 10_000,
        value_size: 16,
        distribution: Distribution::Uniform,
        duration: Some(Duration::from_millis(300)),
        ops: None,
        seed: 1,
    }
}

/// A phase with an operation budget (the load) is timed to its last operation, not to the
/// progress loop's next 100 ms tick: the ops/s of a load that takes 1.7 s must not read as if it
/// took 1.8 s.
#[test]
fn a_budget_phase_ends_with_its_last_operation() {
    for threads in [1, 3] {
        let r = run_phase(
            &Instant0,
            &spec(Workload::Load, threads),
            &ProgressBar::hidden(),
        );
        assert_eq!(r.ops, 10_000);
        assert!(
            r.elapsed < Duration::from_millis(50),
            "{threads} thread(s): 10,000 instant inserts timed at {:?}",
            r.elapsed
        );
    }
}

/// A timed phase still runs for its duration.
#[test]
fn a_timed_phase_runs_its_duration() {
    let r = run_phase(&Instant0, &spec(Workload::YcsbC, 2), &ProgressBar::hidden());
    assert!(r.elapsed >= Duration::from_millis(300), "{:?}", r.elapsed);
    assert!(r.ops > 0);
}
