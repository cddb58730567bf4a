"""The scenario suite on a real MicroPython with a 512 KB heap, on both
interpreters (1.29, and the 1.13 stand-in for QuecPython's), each with the
runtime as source and as the bytecode `make device` builds for it; compared
name by name with the same runner under CPython and with pytest's own
collection."""

import ast
import os
import subprocess
import sys

import pytest

from tests.micropython.support import TARGET_IDS, TARGETS

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
RUNNER = os.path.join(HERE, "mp_run.py")
SCENARIOS = os.path.join(HERE, "scenarios")
HEAP = "512K"  # about what a QuecPython module leaves to user code


def _run(command):
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    results = {}
    for line in completed.stdout.splitlines():
        if line.startswith("PASS ") or line.startswith("FAIL "):
            status, rest = line.split(" ", 1)
            name = rest.split(": ", 1)[0]
            results[name] = line
    return completed, results


def _collected_by_pytest():
    names = set()
    for entry in sorted(os.listdir(SCENARIOS)):
        if entry.startswith("test_") and entry.endswith(".py"):
            with open(os.path.join(SCENARIOS, entry)) as handle:
                tree = ast.parse(handle.read())
            for node in tree.body:
                if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                    names.add("%s::%s" % (entry[:-3], node.name))
    return names


@pytest.fixture(scope="module")
def cpython_run():
    return _run([sys.executable, RUNNER])


@pytest.fixture(scope="module", params=TARGETS, ids=TARGET_IDS)
def both_runs(request, cpython_run):
    target = request.param
    interpreter = str(target.require())
    micro = _run(
        [interpreter, "-X", "heapsize=" + HEAP, RUNNER, "--runtime", str(target.runtime_parent())]
    )
    return micro, cpython_run


def test_micropython_passes_every_scenario(both_runs):
    (completed, results), _ = both_runs
    failures = [line for line in results.values() if line.startswith("FAIL")]
    assert not failures, "\n".join(failures) + completed.stderr
    assert completed.returncode == 0, completed.stdout[-2000:] + completed.stderr


def test_same_scenarios_with_identical_results(both_runs):
    (_, micro), (_, cpython) = both_runs
    assert sorted(micro) == sorted(cpython)
    for name in micro:
        assert micro[name] == cpython[name], name


def test_runner_sees_what_pytest_collects(both_runs):
    (_, micro), _ = both_runs
    expected = _collected_by_pytest()
    assert len(expected) > 50
    assert set(micro) == expected


MEMORY_PROBE = r"""
import gc, sys
sys.path.insert(0, RUNTIME); sys.path.insert(0, "tests/runtime")
import fake_protocol as P
from ocppj.session import Session
session = Session(P, "CentralSystem")
frames = ['[2,"%d","Heartbeat",{}]', 'junk %d', '[3,"%d",{}]', '[2,"%d","Nope",{}]',
          '[2,"%d","BootNotification",{"chargePointVendor":"V","chargePointModel":"M"}]']
def burst(count):
    for index in range(count):
        for frame in frames:
            for event in session.receive_text(frame % index, index):
                if event.kind == "CallReceived":
                    session.send_error(event.unique_id, answer_error)
        session.data_to_send()
from ocppj.errors import NotSupportedError
answer_error = NotSupportedError()
burst(50)
gc.collect(); before = gc.mem_alloc()
burst(500)
gc.collect(); after = gc.mem_alloc()
print(before, after)
"""


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_micropython_heap_does_not_grow_with_traffic(target):
    # MicroPython's allocator is deterministic: after a warm-up, 2 500 more
    # frames through one session must leave the live heap where it was.
    interpreter = str(target.require())
    probe = "RUNTIME = %r\n" % str(target.runtime_parent()) + MEMORY_PROBE
    completed = subprocess.run(
        [interpreter, "-X", "heapsize=" + HEAP, "-c", probe],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    before, after = [int(part) for part in completed.stdout.split()]
    assert after <= before + 256, (before, after)
