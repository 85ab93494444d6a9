"""Redis's own test suite against Debian's redis-server on Kestrel (issue
21): a few units of it, the ones that run in seconds under TCG, through
scripts/redis-suite (Debian's redis source package, runtest's
external-server mode over QEMU's hostfwd). Each unit must pass at least as
many tests as it did when this floor was set and fail none, so that a
regression in what Redis uses (epoll, sockets, timers, memory) fails here.
The whole suite is `make check-redis-suite` (counts in docs/linux-abi.md)."""

import json
import os
import subprocess

import pytest

from conftest import ROOT

# unit -> tests that passed on Kestrel when the floor was set (all of the
# unit's tests that external mode runs with the tags scripts/redis-suite denies).
FLOOR = {
    "unit/type/incr": 25,
    "unit/protocol": 25,
    "unit/keyspace": 54,
    "unit/info-command": 3,
}


def test_redis_suite_units(tmp_path):
    if not os.path.exists("/usr/bin/redis-server") or not os.path.exists("/usr/bin/tclsh"):
        pytest.fail("redis-server or tclsh is missing: run scripts/deps")
    out = tmp_path / "results.json"
    r = subprocess.run([os.path.join(ROOT, "scripts", "redis-suite"), "--units"] + list(FLOOR) +
                       ["--min-ok", str(sum(FLOOR.values())), "--expect-clean"] + list(FLOOR) +
                       ["--json", str(out), "--timeout", "120"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    units = json.loads(out.read_text())["units"]
    for unit, floor in FLOOR.items():
        got = units[unit]
        assert got["ok"] >= floor and not got["err"] and not got["aborted"] and not got["server_died"], (unit, got)
