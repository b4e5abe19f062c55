"""Seed 000 through the official Python client (aerospike 19.x) against `aerolite serve`.

Writers do read-modify-write on profiles with UPDATE (POLICY_EXISTS_IGNORE here: create or
merge, Java's RecordExistsAction.UPDATE) + EXPECT_GEN_EQUAL(gen read) while a cleanup
job, every period, scans with a filter expression for stale or empty profiles
(since_update >= stale_ms or not bin_exists("audience")) and durably deletes each one with
EXPECT_GEN_EQUAL at the generation the scan returned — the seed's two processes. The same story
as `aerolite scenario gen-race` (src/cli/scenario_gen_race/cleanup.rs) and the Rust example
(examples/client_seeds/seed000.rs), with real threads and real time.

It prints the burst of errors per half period (writes answered 3 = GenerationError: the record
was deleted or written after our read; re-reads answered 2 = RecordNotFound: the cleanup deleted
it) and uses the retry that loses nothing (docs/semantics.md SA-RETRY-1..4): on 3 re-read; on 2
re-create with EXPECT_GEN_EQUAL(0). Check, exactly: every update applied once, and
sum(audience live) + sum(audience of the records the cleanup deleted) == updates applied.

update_only_trap: the seed's "both attempts fail with 2" is what POLICY_EXISTS_UPDATE (update-only
in this client) gives; POLICY_EXISTS_IGNORE (Java's UPDATE) gives 3, then the gen-0 re-create works.

Scenario B (ttl_expiry): the record's TTL passes between the read and the write: the write answers
3 (never 2), the re-read 2, the re-create with gen 0 succeeds.

Run: aerolite serve --memory &   python3 seed000_race.py --hosts 127.0.0.1:3000 [--seconds 5]
Point --hosts at an Aerospike cluster and the same code runs there. Exits 1 if the check fails.
"""
import argparse
import random
import sys
import threading
import time

import aerospike
from aerospike import exception as ex
from aerospike_helpers import expressions as exp

MAX_ATTEMPTS = 16  # SA-RETRY-4: bound the retries
EMPTY_ONE_IN = 4
CROSS_SHARD_ONE_IN = 100


class Race:
    def __init__(self, client, ns="test", set_name="profiles", profiles=200, writers=16,
                 seconds=5.0, period_ms=1000, stale_ms=100, think_ms_max=20, seed=1):
        self.c, self.ns, self.set = client, ns, set_name
        self.profiles, self.writers, self.seconds = profiles, writers, seconds
        self.period_ms, self.stale_ms, self.think_ms_max = period_ms, stale_ms, think_ms_max
        self.seed = seed
        self.lock = threading.Lock()
        self.buckets = {}  # half period -> counters
        self.totals = dict(updates=0, applied=0, gave_up=0, first_write_refused=0,
                           recreated=0, cycles=0, deleted_audience=0, live_audience=0)
        self.start = 0.0
        self.errors = []

    def key(self, i):
        return (self.ns, self.set, i)

    def count(self, name, n=1, bucket=True):
        with self.lock:
            if bucket:
                b = int((time.monotonic() - self.start) * 1000) // (self.period_ms // 2)
                row = self.buckets.setdefault(b, dict(cycle=None, deleted=0, refused=0,
                                                      write_3=0, read_2=0))
                row[name] = n if name == "cycle" else row[name] + n
            else:
                self.totals[name] += n

    def load(self):
        """Empty the set (the counts start from zero; the set is the example's own), then
        create the profiles: three in four with audience 0, the rest empty."""
        self.c.truncate(self.ns, self.set, 0)
        time.sleep(0.02)  # step past the truncate's instant before writing
        replace = {"exists": aerospike.POLICY_EXISTS_CREATE_OR_REPLACE}
        for i in range(self.profiles):
            bins = {"profile": "new"} if i % EMPTY_ONE_IN == 0 else {"audience": 0}
            self.c.put(self.key(i), bins, policy=replace)

    def update(self, k, think_s):
        """Add 1 to "audience" with the SA-RETRY loop; True when applied."""
        for attempt in range(MAX_ATTEMPTS):
            try:
                _, meta, bins = self.c.get(k)
                gen, current = meta["gen"], bins.get("audience", 0)
            except ex.RecordNotFound:  # 2: the cleanup deleted it -> re-create with gen 0
                self.count("read_2")
                self.count("recreated", bucket=False)
                gen, current = 0, 0
            time.sleep(think_s)  # modify + network: the window the cleanup races into
            try:
                # Java's RecordExistsAction.UPDATE (create or merge) is POLICY_EXISTS_IGNORE in
                # the Python / C client; POLICY_EXISTS_UPDATE there means update-only (answers 2
                # on a missing record, so the re-create below could never succeed).
                self.c.put(k, {"audience": current + 1}, meta={"gen": gen},
                           policy={"exists": aerospike.POLICY_EXISTS_IGNORE,
                                   "gen": aerospike.POLICY_GEN_EQ})
                return True
            except ex.RecordGenerationError:  # 3: not at gen any more -> re-read
                self.count("write_3")
                if attempt == 0:
                    self.count("first_write_refused", bucket=False)
        return False

    def writer(self, w):
        rng = random.Random(self.seed * 1000 + w)
        own = max(self.profiles // self.writers, 1)
        deadline = self.start + self.seconds
        try:
            while time.monotonic() < deadline:
                if rng.randrange(CROSS_SHARD_ONE_IN) == 0:
                    i = rng.randrange(self.profiles)
                else:
                    i = (rng.randrange(own) * self.writers + w) % self.profiles
                applied = self.update(self.key(i), rng.randint(0, self.think_ms_max) / 1000)
                self.count("updates", bucket=False)
                self.count("applied" if applied else "gave_up", bucket=False)
        except ex.AerospikeError as e:
            self.errors.append(f"writer {w}: {e}")

    def cleanup_cycle(self):
        stale = exp.GE(exp.SinceUpdateTime(), self.stale_ms)
        expr = exp.Or(stale, exp.Not(exp.BinExists("audience"))).compile()
        for k, meta, bins in self.c.query(self.ns, self.set).results(policy={"expressions": expr}):
            try:
                self.c.remove(k, meta={"gen": meta["gen"]},
                              policy={"gen": aerospike.POLICY_GEN_EQ, "durable_delete": True})
                self.count("deleted")
                self.count("deleted_audience", bins.get("audience", 0), bucket=False)
            except ex.RecordGenerationError:  # SA-11: updated after the scan: left alone
                self.count("refused")
            except ex.RecordNotFound:
                pass

    def run(self):
        self.load()
        self.start = time.monotonic()
        threads = [threading.Thread(target=self.writer, args=(w,)) for w in range(self.writers)]
        for t in threads:
            t.start()
        cycle = 1
        while cycle * self.period_ms < self.seconds * 1000:
            time.sleep(max(0.0, self.start + cycle * self.period_ms / 1000 - time.monotonic()))
            self.count("cycle", cycle)
            self.cleanup_cycle()
            self.totals["cycles"] = cycle
            cycle += 1
        for t in threads:
            t.join()
        live = self.c.query(self.ns, self.set).results()
        self.totals["live_audience"] = sum(b.get("audience", 0) for _, _, b in live)
        return self

    def check(self):
        t = self.totals
        problems = list(self.errors)
        if t["gave_up"] or t["applied"] != t["updates"]:
            problems.append(f"{t['updates'] - t['applied']} of {t['updates']} updates not applied")
        if t["live_audience"] + t["deleted_audience"] != t["applied"]:
            problems.append(f"audience live {t['live_audience']} + deleted "
                            f"{t['deleted_audience']} != applied {t['applied']}")
        return problems

    def print(self):
        t = self.totals
        print(f"seed 000: {self.writers} writers, {self.profiles} profiles, {self.seconds} s, "
              f"cleanup every {self.period_ms} ms (stale after {self.stale_ms} ms)")
        print("  t(ms)  cycle  deleted  refused(3)  write 3s  re-read 2s")
        for b in sorted(self.buckets):
            r = self.buckets[b]
            cyc = "-" if r["cycle"] is None else r["cycle"]
            print(f"  {b * (self.period_ms // 2):>5}  {cyc:>5}  {r['deleted']:>7}  "
                  f"{r['refused']:>10}  {r['write_3']:>8}  {r['read_2']:>10}")
        print(f"  updates {t['updates']}, applied {t['applied']}, gave up {t['gave_up']}; "
              f"re-created after a delete {t['recreated']}; a same-generation resend would "
              f"have dropped {t['first_write_refused']}")
        print(f"  audience: live {t['live_audience']} + deleted by the cleanup "
              f"{t['deleted_audience']} = applied {t['applied']}")


def ttl_expiry(client, ns="test", set_name="profiles"):
    """Scenario B: the TTL passes between the read (gen G) and the EXPECT_GEN_EQUAL(G) write.

    Returns the codes of (write at G, re-read, re-create with gen 0): (3, 2, 0) expected — an
    expired record has generation 0, not G (SA-RETRY-1), and is gone on the re-read.
    """
    k = (ns, set_name, "ttl-profile")
    client.put(k, {"audience": 1}, meta={"ttl": 1},
               policy={"exists": aerospike.POLICY_EXISTS_CREATE_OR_REPLACE})
    _, meta, _ = client.get(k)
    time.sleep(2.1)  # past a 1 s TTL whatever the sub-second phase of the server's clock
    codes = []
    for step in ("write", "reread", "recreate"):
        try:
            if step == "reread":
                client.get(k)
            else:
                gen = meta["gen"] if step == "write" else 0
                client.put(k, {"audience": 1 if gen == 0 else 2}, meta={"gen": gen},
                           policy={"exists": aerospike.POLICY_EXISTS_IGNORE,
                                   "gen": aerospike.POLICY_GEN_EQ})
            codes.append(0)
        except ex.AerospikeError as e:
            codes.append(e.code)
    print(f"seed 000 scenario B (TTL passes between read and write): write with EQ(G) -> "
          f"{codes[0]}, re-read -> {codes[1]}, re-create with EQ(0) -> {codes[2]}")
    return tuple(codes)


def update_only_trap(client, ns="test", set_name="profiles"):
    """The seed's production symptom, reproduced: after a durable delete, a write with
    EXPECT_GEN_EQUAL(G) and then the gen-0 retry both answer 2 when the exists policy is
    POLICY_EXISTS_UPDATE, which in the Python / C client means update-only (Java's UPDATE_ONLY).
    With POLICY_EXISTS_IGNORE (Java's UPDATE: create or merge) the first answers 3 and the gen-0
    re-create succeeds. Returns {policy name: (code at G, code at gen 0)}.
    """
    k = (ns, set_name, "trap-profile")
    out = {}
    for name, exists in (("POLICY_EXISTS_UPDATE", aerospike.POLICY_EXISTS_UPDATE),
                         ("POLICY_EXISTS_IGNORE", aerospike.POLICY_EXISTS_IGNORE)):
        client.put(k, {"audience": 1},
                   policy={"exists": aerospike.POLICY_EXISTS_CREATE_OR_REPLACE})
        _, meta, _ = client.get(k)
        client.remove(k, policy={"durable_delete": True})  # the cleanup job
        codes = []
        for gen in (meta["gen"], 0):
            try:
                client.put(k, {"audience": 2}, meta={"gen": gen},
                           policy={"exists": exists, "gen": aerospike.POLICY_GEN_EQ})
                codes.append(0)
            except ex.AerospikeError as e:
                codes.append(e.code)
        out[name] = tuple(codes)
        print(f"seed 000 with {name}: write at G -> {codes[0]}, retry at gen 0 -> {codes[1]}")
    return out


def connect(hosts):
    pairs = []
    for h in hosts.split(","):
        host, _, port = h.rpartition(":")
        pairs.append((host, int(port)))
    client = aerospike.client({"hosts": pairs})
    if not client.is_connected():
        client.connect()
    return client


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", default="127.0.0.1:3000")
    p.add_argument("--seconds", type=float, default=5.0)
    p.add_argument("--writers", type=int, default=16)
    p.add_argument("--profiles", type=int, default=200)
    a = p.parse_args(argv)
    client = connect(a.hosts)
    race = Race(client, profiles=a.profiles, writers=a.writers, seconds=a.seconds).run()
    race.print()
    problems = race.check()
    trap = update_only_trap(client)
    if trap != {"POLICY_EXISTS_UPDATE": (2, 2), "POLICY_EXISTS_IGNORE": (3, 0)}:
        problems.append(f"exists-policy codes {trap}")
    ttl_codes = ttl_expiry(client)
    if ttl_codes != (3, 2, 0):
        problems.append(f"scenario B codes {ttl_codes}, expected (3, 2, 0)")
    client.close()
    verdict = "check passed" if not problems else "CHECK FAILED: " + "; ".join(problems)
    print(f"seed 000: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
