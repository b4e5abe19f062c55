"""Seeds 000 and 003 through the official Python client against `aerolite serve`.

Runs the examples' own code (examples/clients/seed000_race.py, seed003_exactly_once.py) with
small sizes: scripts/python-client-smoke starts `aerolite serve --memory` on a free loopback port
and passes it in AEROLITE_PORT. Seed 000: writers with the SA-RETRY loop race a scan-based
cleanup that durably deletes with generation checks; no update is lost (the audience counts add
up exactly); a TTL passing between read and write answers 3, then 2 on the re-read. Seed 003:
replies lost by a proxy surface as in doubt, the blind retry debits twice, the tagged retry
answers 24 and the balance moves exactly once per debit.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "examples", "clients"))

import seed000_race  # noqa: E402
import seed003_exactly_once  # noqa: E402
from lossy_proxy import LossyProxy  # noqa: E402


@pytest.fixture(scope="module")
def port():
    return int(os.environ["AEROLITE_PORT"])


@pytest.fixture(scope="module")
def client(port):
    c = seed000_race.connect(f"127.0.0.1:{port}")
    yield c
    c.close()


def test_seed000_race_loses_no_update(client):
    race = seed000_race.Race(client, set_name="seed000", profiles=64, writers=4, seconds=1.2,
                             period_ms=300, stale_ms=20, think_ms_max=5).run()
    race.print()
    assert race.check() == []
    assert race.totals["cycles"] >= 3
    assert sum(b["deleted"] for b in race.buckets.values()) > 0, "the cleanup deleted profiles"


def test_seed000_ttl_expiry_between_read_and_write_answers_3_then_2(client):
    assert seed000_race.ttl_expiry(client, set_name="seed000ttl") == (3, 2, 0)


def test_seed000_update_only_gives_the_seeds_two_errors_2(client):
    codes = seed000_race.update_only_trap(client, set_name="seed000trap")
    assert codes == {"POLICY_EXISTS_UPDATE": (2, 2), "POLICY_EXISTS_IGNORE": (3, 0)}


def test_seed003_lost_replies_are_in_doubt_and_retry_is_exactly_once(client, port):
    proxy = LossyProxy("127.0.0.1", port)
    through = seed000_race.connect(f"127.0.0.1:{proxy.port}")
    try:
        r = seed003_exactly_once.run(through, client, proxy, set_name="seed003", debits=30)
    finally:
        through.close()
        proxy.close()
    seed003_exactly_once.print_report(r)
    assert r["blind_in_doubt"], "a lost reply is in doubt"
    assert r["blind_balance"] == seed003_exactly_once.START_BALANCE - 2 * r["amount"]
    assert r["replies_lost"] > 0
    assert seed003_exactly_once.check(r) == []
