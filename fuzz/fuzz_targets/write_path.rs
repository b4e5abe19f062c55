//! `write_path`: a differential fuzzer of the record model. The input bytes decode (with
//! `tests/model/bytes.rs`, the generator `tests/model_operate.rs` uses) into a namespace
//! configuration and up to 300 steps — put / operate (write, add, append, prepend, touch,
//! delete-all, reads) / delete / durable delete / touch / get / exists / read-only operate with
//! arbitrary policies (exists action, generation policy and N, TTL incl. invalid, durable_delete,
//! send_key, respond_all_ops, filters), key forms (digest only, wrong user key, bad set, bad key
//! type, bad namespace), clock jumps and sweeps — run against aerolite (memory backend) and the
//! reference model `tests/model`. After every step the result code, in-doubt flag, entries,
//! generation, void-time, LUT and every record's full stored state must agree; any difference or
//! panic is a crash.
//!
//! Does not cover: CDT ops (the `cdt` target), concurrency (`tests/simulation.rs` interleaves
//! clients deterministically), the device backend and restarts (`recovery`, simulation),
//! overload / key-busy / stop-writes / out-of-space / record-too-big (WP-02..04, WP-20), more than
//! four records or sets, clocks past the 40-bit LUT range (year 2044).
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::cell::RefCell;
use std::collections::HashMap;

#[path = "../../tests/model/mod.rs"]
mod model;

use model::harness::Harness;

thread_local! {
    /// One database per configuration, reset between inputs (opening one per input costs more
    /// than the input's steps).
    static DBS: RefCell<HashMap<model::Cfg, Harness>> = RefCell::new(HashMap::new());
}

fuzz_target!(|data: &[u8]| {
    let (cfg, steps) = model::bytes::scenario(data, 300);
    DBS.with(|dbs| {
        let mut dbs = dbs.borrow_mut();
        let h = dbs.entry(cfg).or_insert_with(|| {
            let mut h = Harness::open(cfg, |ns| ns);
            h.full_sweep = false;
            h
        });
        h.reset();
        if let Err(e) = h.check_state() {
            panic!("reset left state behind: {e}");
        }
        if let Err(e) = h.run(&steps) {
            panic!("{cfg:?}\n{e}");
        }
    });
});
