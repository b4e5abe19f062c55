//! Model-based tests of the write, read and delete paths: random sequences of put / operate
//! (write, add, append, prepend, touch, delete-all, reads) / delete / durable delete / touch / get
//! / exists with random policies (exists action, generation policy and N, TTL incl. invalid,
//! durable_delete, send_key, respond_all_ops, filters), key forms (digest only, wrong user key, bad
//! set, bad key type, bad namespace), clock jumps (also backwards) and sweeps, on four records,
//! compared step by step with the reference model in `tests/model` (result code, entries,
//! generation, void-time, LUT, then every record's full stored state).
//!
//! Rows exercised: §7.1 WP-01, WP-05 … WP-19, WP-22, WP-NOCHANGE; §7.2 RP-01 … RP-09; §7.3
//! DP-01, DP-04 … DP-11; §8 W-*; §9 G-*; §10 GC-*; §11 TCH-*; §12 D-*; §13 Z-*; §14 R-*, RTT-*;
//! §15 OP-*, OPR-*, O-*; §16 TTL-*; §17 EX-DEF, EX-SWEEP, EX-TOMB; §18 SK-*; MD-LUT-MONO.
//!
//! Case count: `PROPTEST_CASES` (default 64 here, a few seconds). Steps are decoded from random
//! bytes by `tests/model/bytes.rs`, the same generator the `write_path` fuzz target uses.

mod common;
mod model;

use model::harness::Harness;
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(64)
}

fn run(data: &[u8]) -> Result<(), String> {
    let (cfg, steps) = model::bytes::scenario(data, 200);
    let mut dir = None;
    let mut h = Harness::open(cfg, |ns| {
        let (ns, d) = common::with_backend(ns);
        dir = d;
        ns
    });
    let r = h.run(&steps).map_err(|e| format!("{cfg:?}\n{e}"));
    drop(h);
    if let Some(d) = dir {
        let _ = std::fs::remove_dir_all(d);
    }
    r
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    /// Every row listed in the module doc, through random step sequences.
    #[test]
    fn engine_agrees_with_model(data in proptest::collection::vec(any::<u8>(), 0..1500)) {
        if let Err(e) = run(&data) {
            prop_assert!(false, "{}", e);
        }
    }
}

/// The generator is not degenerate: fixed byte patterns yield every step kind and every result
/// code the model can produce, and the runs agree (guards against a decoder change that silently
/// stops generating some requests).
#[test]
fn generator_covers_every_step_kind_and_code() {
    let mut kinds = std::collections::BTreeSet::new();
    let mut codes = std::collections::BTreeMap::new();
    for seed in 1..=12u32 {
        let mut x = u64::from(seed).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let data: Vec<u8> = (0..8_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                (x >> 24) as u8
            })
            .collect();
        let mut data = data;
        // Cycle the configuration: sweeping on/off, allow_ttl_without_sweep on/off.
        data[0] = seed as u8;
        data[1] = if seed % 2 == 0 { 200 } else { 10 };
        let (cfg, steps) = model::bytes::scenario(&data, 400);
        for s in &steps {
            kinds.insert(match s {
                model::steps::Step::Put(..) => "put",
                model::steps::Step::Operate(..) => "operate",
                model::steps::Step::Delete(..) => "delete",
                model::steps::Step::Touch(..) => "touch",
                model::steps::Step::Get(..) => "get",
                model::steps::Step::Exists(..) => "exists",
                model::steps::Step::OperateRead(..) => "operate_read",
                model::steps::Step::Advance(..) => "advance",
                model::steps::Step::Sweep => "sweep",
            });
        }
        let mut dir = None;
        let mut h = Harness::open(cfg, |ns| {
            let (ns, d) = common::with_backend(ns);
            dir = d;
            ns
        });
        let r = h.run(&steps);
        let codes_seen = std::mem::take(&mut h.codes);
        drop(h);
        if let Some(d) = dir {
            let _ = std::fs::remove_dir_all(d);
        }
        if let Err(e) = r {
            panic!("seed {seed}: {cfg:?}\n{e}");
        }
        for (c, n) in codes_seen {
            *codes.entry(c).or_insert(0u64) += n;
        }
    }
    assert_eq!(kinds.len(), 9, "{kinds:?}");
    for code in [0, 2, 3, 4, 5, 12, 19, 20, 21, 22, 27] {
        assert!(
            codes.contains_key(&code),
            "code {code} never expected: {codes:?}"
        );
    }
}
