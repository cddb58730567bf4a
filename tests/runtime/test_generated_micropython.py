"""The 39 actions through both roles on a real MicroPython, with the
MicroPython flavour of the generated protocol (generated/micropython), on
1.29 and on the 1.13 stand-in, each as source and as bytecode.

CPython writes the cases (for every action and direction: a payload with
every optional field present and one with only the required ones, read off
the patched schemas by tests/generated), MicroPython pipes them through two
``ocppj`` Sessions with a 512 KB heap and prints what the receiving ends
re-encoded, and CPython checks that is what was sent. The same script runs
under CPython with the same flavour, so both interpreters are held to it.
"""

import json
import os
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "generated"))

from ocpp16 import protocol  # noqa: E402
from payload_strategies import full_payload  # noqa: E402
from wire_schemas import message_schema, resolve  # noqa: E402

from tests.micropython.support import TARGET_IDS, TARGETS  # noqa: E402

SCRIPT = os.path.join(HERE, "mp_generated_pipe.py")
FLAVOUR = os.path.join(ROOT, "generated", "micropython")
RUNTIME = os.path.join(ROOT, "runtime")


def minimal_payload(root, node=None):
    """Only required fields, arrays at their minimum length."""
    node = resolve(root, root if node is None else node)
    if node["type"] == "object":
        properties = node.get("properties", {})
        return {name: minimal_payload(root, properties[name]) for name in node.get("required", [])}
    if node["type"] == "array":
        return [minimal_payload(root, node["items"]) for _ in range(node.get("minItems", 0))]
    return full_payload(root, node)


def _cases():
    cases = []
    for action in sorted(protocol.ACTIONS):
        initiator = protocol.ACTIONS[action][0]
        senders = ["ChargePoint", "CentralSystem"] if initiator == "Both" else [initiator]
        request_schema = message_schema(action, "request")
        response_schema = message_schema(action, "response")
        for sender in senders:
            for build in (full_payload, minimal_payload):
                cases.append([action, sender, build(request_schema), build(response_schema)])
    return cases


def _same(a, b):
    # MicroPython prints floats with fewer digits; the schema values here
    # are exact in both, so compare numbers by value.
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


def _run(tmp_path, target=None):
    """Runs the cases on ``target`` (a MicroPython and the code's form), or
    on CPython with the MicroPython flavour's source."""
    cases = _cases()
    path = tmp_path / "cases.json"
    # raw UTF-8, not \u escapes: the 1.13 stand-in's json keeps only their low byte
    path.write_text(json.dumps(cases, ensure_ascii=False), encoding="utf-8")
    flavour, runtime = FLAVOUR, RUNTIME
    command = [sys.executable]
    if target is not None:
        command = [str(target.require()), "-X", "heapsize=512K"]
        flavour, runtime = str(target.flavour_parent()), str(target.runtime_parent())
    completed = subprocess.run(
        command + [SCRIPT, str(path), flavour, runtime],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env=dict(os.environ, MICROPYPATH=""),
    )
    lines = completed.stdout.splitlines()
    assert lines and lines[-1] == "DONE", completed.stdout[-3000:] + completed.stderr[-3000:]
    failures = [line for line in lines if line.startswith("FAIL")]
    assert not failures, "\n".join(failures)
    wires = [json.loads(line[5:]) for line in lines if line.startswith("WIRE ")]
    assert len(wires) == len(cases)
    for case, wire in zip(cases, wires):
        assert wire[:2] == case[:2]
        assert _same(wire[2], case[2]), (case[0], "request", wire[2], case[2])
        assert _same(wire[3], case[3]), (case[0], "response", wire[3], case[3])
    actions = {case[0] for case in cases}
    assert len(actions) == 39
    return len(cases)


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_all_39_actions_both_roles_on_micropython(tmp_path, target):
    assert _run(tmp_path, target) == 80


def test_the_same_cases_on_cpython_with_the_micropython_flavour(tmp_path):
    assert _run(tmp_path) == 80
