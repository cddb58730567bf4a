"""The QuecPython port's spellings (issue 11, item 4; issue 13, item 6).

Nested values were dicts in the port (wire camelCase keys) and in
mobilityhouse ocpp (snake_case keys); here they are objects, and they
answer to both kinds of key as well as to attributes. The port's
`Action.CancelReservation` names the same member as `Action.cancel_reservation`.
Both flavours, on CPython and on each MicroPython target.
"""

import pytest
from micropython_flavour import module as micropython_module
from ocpp16 import enums as cpython_enums
from ocpp16 import protocol as cpython_protocol

from tests.micropython.support import TARGET_IDS, TARGETS, micropython

# Run as it is by every interpreter: `protocol` and `enums` are given.
PROGRAM = """
response = protocol.decode_response(
    "Authorize", {"idTagInfo": {"status": "Accepted", "expiryDate": "2024-01-01T00:00:00Z"}}
)
info = response.id_tag_info
out = []
out.append(info["status"] == "Accepted")
out.append(info["expiryDate"] == info["expiry_date"] == info.expiry_date)
out.append(info["parentIdTag"] is None)
out.append(info.get("parentIdTag", "none"))
out.append(info.get("expiryDate"))
out.append(info.get("noSuchKey", "default"))
out.append(["status" in info, "expiryDate" in info, "parentIdTag" in info, "x" in info])
out.append(response["idTagInfo"] is info and response["id_tag_info"] is info)
for key in ("noSuchKey", "__class__", "get", 0):
    try:
        info[key]
        out.append("no error for %r" % (key,))
    except KeyError:
        out.append("KeyError")
request = protocol.decode_request(
    "MeterValues",
    {"connectorId": 1, "meterValue": [{"timestamp": "2024-01-01T00:00:00Z",
                                       "sampledValue": [{"value": "10", "unit": "Wh"}]}]},
)
out.append(request["meterValue"][0]["sampledValue"][0]["unit"] == "Wh")
out.append(enums.Action.CancelReservation == enums.Action.cancel_reservation == "CancelReservation")
out.append(enums.Action.BootNotification == "BootNotification")
print(repr(out))
"""

EXPECTED = repr(
    [
        True,
        True,
        True,
        "none",
        "2024-01-01T00:00:00Z",
        "default",
        [True, True, False, False],
        True,
        "KeyError",
        "KeyError",
        "KeyError",
        "KeyError",
        True,
        True,
        True,
    ]
)


def run_here(protocol, enums):
    import contextlib
    import io

    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(PROGRAM, {"protocol": protocol, "enums": enums})
    return printed.getvalue().strip()


def test_cpython_flavour():
    assert run_here(cpython_protocol, cpython_enums) == EXPECTED


def test_micropython_flavour_on_cpython():
    assert run_here(micropython_module("protocol"), micropython_module("enums")) == EXPECTED


@pytest.mark.parametrize("target", TARGETS, ids=TARGET_IDS)
def test_micropython_flavour_on_micropython(target):
    source = "import sys\nsys.path.insert(0, %r)\nfrom ocpp16 import protocol, enums\n" % str(
        target.flavour_parent()
    )
    completed = micropython(["-c", source + PROGRAM], target=target, timeout=120)
    assert completed.returncode == 0, completed.stderr[-2000:]
    assert completed.stdout.strip() == EXPECTED


def test_the_port_spelling_is_an_alias_not_a_new_member():
    action = cpython_enums.Action
    assert action.CancelReservation is action.cancel_reservation
    assert action("CancelReservation") is action.cancel_reservation
    assert len(list(action)) == len(cpython_protocol.ACTIONS) == 39
    assert {member.value for member in action} == set(cpython_protocol.ACTIONS)
    for name in cpython_protocol.ACTIONS:
        assert getattr(action, name).value == name
