//! `Database::put` is exactly an operate of one `operations::put` (a write op) per bin, in order:
//! the put path hands the bins to the write path without building that op list (`ops::WriteOps`),
//! so it must keep every answer of the op-list path. Two databases on the same manual clock take
//! the same seeded stream of requests — one as puts, the other as operates of write ops — over a
//! few keys in every record state, with every exists action, generation policy, TTL, send-key,
//! respond-all-ops and durable-delete choice, and bin lists that include Nil (bin delete), empty
//! lists, names too long, duplicate names, values that do not normalize (a map with a duplicate
//! key, a wildcard) and an ordered map to normalize. After each request the two replies (record
//! or error code, detail and in-doubt flag) and the two stored records must be equal.

mod common;

use aerolite::{
    operations as op, Bin, Bins, Expiration, GenerationPolicy, Key, Map, MapOrder, ReadPolicy,
    Record, RecordExistsAction as A, Value, WritePolicy,
};
use common::TestDb;

/// A small deterministic generator (the stream must be the same on every run).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

const ACTIONS: [A; 6] = [
    A::Update,
    A::UpdateOnly,
    A::Replace,
    A::ReplaceOnly,
    A::CreateOnly,
    A::Update,
];

fn policy(g: &mut Lcg) -> WritePolicy {
    let mut p = WritePolicy::with_action(ACTIONS[g.below(6) as usize]);
    (p.generation_policy, p.generation) = match g.below(6) {
        0 => (GenerationPolicy::ExpectGenEqual, g.below(4) as u32),
        1 => (GenerationPolicy::ExpectGenGt, g.below(4) as u32),
        _ => (GenerationPolicy::None, 0),
    };
    p.expiration = match g.below(5) {
        0 => Expiration::Never,
        1 => Expiration::DontUpdate,
        2 => Expiration::Seconds(1 + g.below(3) as u32),
        _ => Expiration::NamespaceDefault,
    };
    p.send_key = g.below(2) == 0;
    p.respond_all_ops = g.below(3) == 0;
    p.durable_delete = g.below(2) == 0;
    p.max_retries = 0;
    p
}

fn value(g: &mut Lcg) -> Value {
    match g.below(9) {
        0 | 1 => Value::Nil,
        2 => Value::Int(g.below(100) as i64),
        3 => Value::String("x".repeat(g.below(40) as usize)),
        4 => Value::Blob(vec![7; g.below(300) as usize]),
        5 => Value::Map(Map {
            order: MapOrder::KeyOrdered,
            entries: vec![
                (Value::Int(2), Value::Int(0)),
                (Value::Int(1), Value::Int(0)),
            ],
        }),
        6 => Value::Map(Map {
            order: MapOrder::Unordered,
            entries: vec![
                (Value::Int(1), Value::Int(0)),
                (Value::Int(1), Value::Int(2)),
            ],
        }),
        7 => Value::Wildcard,
        _ => Value::Bool(true),
    }
}

fn bins(g: &mut Lcg) -> Vec<Bin> {
    const NAMES: [&str; 5] = ["a", "b", "c", "a-name-too-long!", ""];
    let n = g.below(4) as usize;
    (0..n)
        .map(|_| {
            let name = NAMES[g.below(NAMES.len() as u64) as usize];
            Bin::new(name, value(g))
        })
        .collect()
}

/// A reply as comparable data: the record, or (code, detail, in doubt).
fn reply(r: aerolite::Result<Record>) -> Result<Record, (i32, String, bool)> {
    r.map_err(|e| (e.code().code(), e.detail().to_string(), e.in_doubt()))
}

fn stored(t: &TestDb, k: &Key) -> Result<Record, (i32, String, bool)> {
    reply(t.db.get(&ReadPolicy::default(), k, Bins::All))
}

#[test]
fn put_answers_as_an_operate_of_write_ops() {
    let put_db = common::open();
    let ops_db = common::open();
    let mut g = Lcg(0x5eed_0016);
    let keys: Vec<Key> = (0..4)
        .map(|i| Key::new("test", "set", i).expect("integer keys are valid"))
        .collect();
    let mut answered = [0u32; 2];
    for step in 0..3000 {
        let k = &keys[g.below(keys.len() as u64) as usize];
        let p = policy(&mut g);
        let bins = bins(&mut g);
        let ops: Vec<_> = bins.iter().map(op::put).collect();
        let by_put = reply(put_db.db.put(&p, k, &bins));
        let by_ops = reply(ops_db.db.operate(&p, k, &ops));
        assert_eq!(by_put, by_ops, "step {step}: {p:?} {bins:?}");
        answered[usize::from(by_put.is_ok())] += 1;
        assert_eq!(stored(&put_db, k), stored(&ops_db, k), "step {step}");
        if g.below(10) == 0 {
            put_db.clock.advance_s(1);
            ops_db.clock.advance_s(1);
        }
    }
    // The stream reaches both outcomes often (a stream that never writes proves nothing).
    assert!(
        answered.iter().all(|&n| n > 300),
        "errors / successes: {answered:?}"
    );
}
