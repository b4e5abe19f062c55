"""`aerolite serve` through the official Python client (aerospike 19.0.0, the C client 7.x inside).

.ci/run starts `aerolite serve --memory` on a free loopback port and passes it in AEROLITE_PORT.
Each test checks results and result codes the way an application against Aerospike would.
"""
import os
import time

import aerospike
import pytest
from aerospike import exception as ex
from aerospike_helpers import expressions as exp
from aerospike_helpers.operations import list_operations as lops
from aerospike_helpers.operations import map_operations as mops
from aerospike_helpers.operations import operations as ops

NS = "test"


@pytest.fixture(scope="module")
def client():
    port = int(os.environ["AEROLITE_PORT"])
    c = aerospike.client({"hosts": [("127.0.0.1", port)]})
    if not c.is_connected():
        c.connect()
    yield c
    c.close()


def key(set_name, k):
    return (NS, set_name, k)


def test_put_get_select_exists_remove(client):
    k = key("py", "kv")
    client.put(k, {"s": "text", "i": 42, "f": 1.5, "l": [1, "a"], "m": {"x": 1}})
    _, meta, bins = client.get(k)
    assert meta["gen"] == 1
    assert bins == {"s": "text", "i": 42, "f": 1.5, "l": [1, "a"], "m": {"x": 1}}
    _, _, sel = client.select(k, ["i"])
    assert sel == {"i": 42}
    _, meta = client.exists(k)
    assert meta is not None and meta["gen"] == 1
    client.remove(k)
    _, meta = client.exists(k)
    assert meta is None
    with pytest.raises(ex.RecordNotFound) as e:
        client.get(k)
    assert e.value.code == 2


def test_touch_increment_append_prepend_and_generation(client):
    k = key("py", "scalar")
    client.put(k, {"n": 1, "s": "b"})
    client.increment(k, "n", 4)
    client.append(k, "s", "c")
    client.prepend(k, "s", "a")
    client.touch(k, 100)
    _, meta, bins = client.get(k)
    assert bins == {"n": 5, "s": "abc"}
    assert meta["gen"] == 5, "every write, touch included, bumps the generation"
    assert 0 < meta["ttl"] <= 100
    with pytest.raises(ex.RecordGenerationError) as e:
        client.put(k, {"n": 0}, meta={"gen": 1}, policy={"gen": aerospike.POLICY_GEN_EQ})
    assert e.value.code == 3
    client.put(k, {"n": 0}, meta={"gen": 5}, policy={"gen": aerospike.POLICY_GEN_EQ})
    with pytest.raises(ex.RecordExistsError) as e:
        client.put(k, {"n": 1}, policy={"exists": aerospike.POLICY_EXISTS_CREATE})
    assert e.value.code == 5


def test_ttl_never_expire_and_default(client):
    k = key("py", "ttl")
    client.put(k, {"a": 1}, meta={"ttl": aerospike.TTL_NEVER_EXPIRE})
    _, meta, _ = client.get(k)
    assert meta["ttl"] == 0xFFFFFFFF, "a record that never expires reports TTL 0xFFFFFFFF"
    client.put(k, {"a": 2}, meta={"ttl": 50})
    _, meta, _ = client.get(k)
    assert 0 < meta["ttl"] <= 50
    client.put(k, {"a": 3}, meta={"ttl": aerospike.TTL_DONT_UPDATE})
    _, meta, _ = client.get(k)
    assert 0 < meta["ttl"] <= 50 and meta["gen"] == 3


def test_operate_map_and_list(client):
    k = key("py", "cdt")
    client.put(k, {"m": {"a": 1}, "l": [3, 1, 2]})
    _, _, bins = client.operate(
        k,
        [
            mops.map_put("m", "b", 2),
            mops.map_get_by_key("m", "b", aerospike.MAP_RETURN_VALUE),
            lops.list_append("l", 4),
            lops.list_get_by_index("l", 0, aerospike.LIST_RETURN_VALUE),
            ops.read("m"),
        ],
    )
    assert bins["m"] == {"a": 1, "b": 2}
    assert bins["l"] == 3
    _, _, bins = client.get(k)
    assert bins["l"] == [3, 1, 2, 4]


def test_batch(client):
    keys = [key("pyb", i) for i in range(5)]
    for i, k in enumerate(keys[:4]):
        client.put(k, {"i": i})
    res = client.batch_read(keys)
    codes = [br.result for br in res.batch_records]
    assert codes == [0, 0, 0, 0, 2]
    assert res.batch_records[2].record[2] == {"i": 2}


def test_scan_and_query_with_expression_then_truncate(client):
    for i in range(20):
        client.put(key("pyq", i), {"i": i})
    q = client.query(NS, "pyq")
    assert len(q.results()) == 20
    q = client.query(NS, "pyq")
    e = exp.GE(exp.IntBin("i"), 15).compile()
    got = sorted(r[2]["i"] for r in q.results(policy={"expressions": e}))
    assert got == [15, 16, 17, 18, 19]
    with pytest.raises(ex.FilteredOut) as fe:
        client.get(key("pyq", 1), policy={"expressions": e})
    assert fe.value.code == 27
    client.truncate(NS, "pyq", 0)
    time.sleep(0.1)
    assert client.query(NS, "pyq").results() == []


def test_error_codes(client):
    with pytest.raises(ex.NamespaceNotFound) as e:
        client.get(("nope", "s", 1))
    assert e.value.code == 20
    with pytest.raises(ex.RecordNotFound):
        client.remove(key("py", "missing"))
    client.put(key("py", "str"), {"s": "x"})
    with pytest.raises(ex.BinIncompatibleType) as e:
        client.increment(key("py", "str"), "s", 1)
    assert e.value.code == 12
