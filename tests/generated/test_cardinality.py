"""Too few items in a 1..* array is an occurrence fault (issue 13, item 7).

OCPP-J's CallError table has OccurenceConstraintViolation for "a field
violates occurence constraints", and the specification gives every field
its cardinality (0..1, 1..1, 1..*). JSON Schema spells 1..* as minItems 1,
so an empty list there is answered OccurenceConstraintViolation, not
PropertyConstraintViolation, by both flavours and on both interpreters.
"""

import json
import subprocess

import pytest
from micropython_flavour import PACKAGE_DIR, module
from ocpp16 import protocol as cpython_protocol

from tests.micropython.support import MICROPYTHON

OCCURENCE = "OccurenceConstraintViolation"  # the 1.6 wire spelling

SAMPLE = {"value": "10"}
CASES = [
    # (payload, path, rule)
    ({"connectorId": 1, "meterValue": []}, "meterValue", "minItems 1"),
    (
        {
            "connectorId": 1,
            "meterValue": [{"timestamp": "2024-01-01T00:00:00Z", "sampledValue": []}],
        },
        "meterValue[0].sampledValue",
        "minItems 1",
    ),
    (
        {
            "connectorId": 1,
            "meterValue": [
                {"timestamp": "2024-01-01T00:00:00Z", "sampledValue": [SAMPLE]},
                {"timestamp": "2024-01-01T00:00:00Z", "sampledValue": []},
            ],
        },
        "meterValue[1].sampledValue",
        "minItems 1",
    ),
]


def verdict(protocol, payload):
    try:
        protocol.validate_request("MeterValues", payload)
    except protocol.ValidationError as error:
        return [error.code, error.path, error.rule]
    return None


@pytest.mark.parametrize("flavour", ["cpython", "micropython"])
@pytest.mark.parametrize("payload, path, rule", CASES, ids=["top", "nested", "second"])
def test_an_empty_one_or_more_array_is_an_occurrence_fault(flavour, payload, path, rule):
    protocol = cpython_protocol if flavour == "cpython" else module("protocol")
    assert verdict(protocol, payload) == [OCCURENCE, path, rule]


PROGRAM = """
import sys
sys.path.insert(0, %(flavour)r)
from ocpp16 import protocol
for payload in %(payloads)s:
    try:
        protocol.validate_request("MeterValues", payload)
        print("valid")
    except protocol.ValidationError as e:
        print(e.code, e.path, e.rule)
"""


def test_on_micropython_too():
    if not MICROPYTHON.exists():
        pytest.fail("no MicroPython at %s: run `make setup`" % MICROPYTHON)
    payloads = json.dumps([payload for payload, _, _ in CASES])
    source = PROGRAM % {"flavour": str(PACKAGE_DIR.parent), "payloads": payloads}
    completed = subprocess.run(
        [str(MICROPYTHON), "-c", source], capture_output=True, text=True, timeout=60
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.splitlines() == [
        "%s %s %s" % (OCCURENCE, path, rule) for _, path, rule in CASES
    ]
