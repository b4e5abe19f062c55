"""Seed 003 through the official Python client (aerospike 19.x) against `aerolite serve`.

A debit whose reply is lost ends in doubt (the client raises with `in_doubt` set). A blind retry
debits twice. The exactly-once write tags the debit with a txn id in a key-ordered map bin
"txns" written with MAP_WRITE_FLAGS_CREATE_ONLY in the same operate as the debit
(record-model.md section 22.2): if an earlier attempt was applied, the retry's map put fails with
24 (ElementExists), the whole operate changes nothing, and the answer means "already applied".

The lost reply is real: a proxy (lossy_proxy.py) forwards the write to the server and throws the
server's answer away, because `aerolite serve` has no fault injection of its own. The same story
as `aerolite scenario in-doubt` (there the replication stub loses the reply) and the Rust example
(examples/client_seeds/seed003.rs).

Check: every lost reply surfaced as in doubt, every in-doubt retry answered "already applied",
the balance moved by exactly the sum of the debits and "txns" holds one tag per debit.

Run: aerolite serve --memory &   python3 seed003_exactly_once.py --hosts 127.0.0.1:3000
Exits 1 if the check fails.
"""
import argparse
import random
import sys
import time

import aerospike
from aerospike import exception as ex
from aerospike_helpers.operations import map_operations as mops
from aerospike_helpers.operations import operations as ops

from lossy_proxy import LossyProxy
from seed000_race import connect

ELEMENT_EXISTS = 24
MAX_ATTEMPTS = 8
START_BALANCE = 1_000_000
NO_RETRY = {"max_retries": 0}  # the example retries itself, to show what the application sees
TAG_POLICY = {"map_write_flags": aerospike.MAP_WRITE_FLAGS_CREATE_ONLY,
              "map_order": aerospike.MAP_KEY_ORDERED}


def open_account(client, key):
    client.put(key, {"balance": START_BALANCE},
               policy={"exists": aerospike.POLICY_EXISTS_CREATE_OR_REPLACE})


def balance_and_tags(client, key):
    _, _, bins = client.get(key)
    return bins.get("balance"), len(bins.get("txns", {}))


def blind(through, direct, proxy, ns, set_name, amount):
    """A debit with a lost reply, then the naive retry: the same request again."""
    key = (ns, set_name, "bob")
    open_account(direct, key)
    proxy.drop_next_replies(1)
    in_doubt = False
    try:
        through.operate(key, [ops.increment("balance", -amount)], policy=NO_RETRY)
    except ex.AerospikeError as e:
        in_doubt = bool(e.in_doubt)
    through.operate(key, [ops.increment("balance", -amount)], policy=NO_RETRY)
    return balance_and_tags(direct, key)[0], in_doubt


def debit_once(client, key, txn, amount):
    """One tagged debit retried until definitive: (in-doubt attempts, 1 if already applied)."""
    tag = mops.map_put("txns", txn, int(time.time() * 1000), map_policy=TAG_POLICY)
    debit = ops.increment("balance", -amount)
    in_doubt = 0
    for _ in range(MAX_ATTEMPTS):
        try:
            client.operate(key, [tag, debit], policy=NO_RETRY)
            return in_doubt, 0
        except ex.AerospikeError as e:
            if e.code == ELEMENT_EXISTS:  # the tag is there: an earlier attempt was applied
                return in_doubt, 1
            if not e.in_doubt:
                raise
            in_doubt += 1
    raise RuntimeError(f"debit {txn}: still in doubt after {MAX_ATTEMPTS} attempts")


def run(through, direct, proxy, ns="test", set_name="accounts", debits=200, amount=10,
        lose_one_in=3, seed=3):
    r = dict(debits=debits, in_doubt=0, already_applied=0)
    r["blind_balance"], r["blind_in_doubt"] = blind(through, direct, proxy, ns, set_name, amount)
    key = (ns, set_name, "alice")
    open_account(direct, key)
    rng = random.Random(seed)
    lost_before = proxy.dropped
    for d in range(debits):
        if rng.randrange(lose_one_in) == 0:
            proxy.drop_next_replies(1)
        doubt, applied = debit_once(through, key, f"tx-{d}", amount)
        r["in_doubt"] += doubt
        r["already_applied"] += applied
    r["replies_lost"] = proxy.dropped - lost_before
    r["expected_balance"] = START_BALANCE - amount * debits
    r["balance"], r["tags"] = balance_and_tags(direct, key)
    r["amount"] = amount
    return r


def check(r):
    problems = []
    if r["in_doubt"] != r["replies_lost"]:
        problems.append(f"{r['replies_lost']} replies lost but {r['in_doubt']} in doubt")
    if r["already_applied"] != r["in_doubt"]:
        problems.append(f"{r['in_doubt']} in-doubt writes (all applied) but "
                        f"{r['already_applied']} retries said already applied")
    if r["balance"] != r["expected_balance"] or r["tags"] != r["debits"]:
        problems.append(f"balance {r['balance']} (expected {r['expected_balance']}), "
                        f"{r['tags']} tags for {r['debits']} debits")
    return problems


def print_report(r):
    print(f"seed 003: blind retry of a debit of {r['amount']} whose reply was lost (in doubt: "
          f"{r['blind_in_doubt']}): balance {START_BALANCE} -> {r['blind_balance']} "
          "(debited twice)")
    print(f"  exactly-once: {r['debits']} debits, {r['replies_lost']} replies lost by the proxy, "
          f"{r['in_doubt']} in doubt, {r['already_applied']} retries answered 24 (already applied)")
    print(f"  balance {r['balance']} (expected {r['expected_balance']}), {r['tags']} txn tags")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--hosts", default="127.0.0.1:3000")
    p.add_argument("--debits", type=int, default=200)
    a = p.parse_args(argv)
    host, _, port = a.hosts.split(",")[0].rpartition(":")
    proxy = LossyProxy(host, int(port))
    direct = connect(a.hosts)
    through = connect(f"127.0.0.1:{proxy.port}")
    r = run(through, direct, proxy, debits=a.debits)
    print_report(r)
    problems = check(r)
    for c in (through, direct):
        c.close()
    proxy.close()
    verdict = "check passed" if not problems else "CHECK FAILED: " + "; ".join(problems)
    print(f"seed 003: {verdict}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
