"""Every case of a JSON file through two ocppj Sessions, one per role,
with the generated protocol found under FLAVOUR_PARENT (MicroPython-safe).

usage: micropython mp_generated_pipe.py CASES FLAVOUR_PARENT RUNTIME_PARENT

CASES holds [[action, sender_role, request, response], ...] in wire form.
Per case prints "PASS action sender_role" or "FAIL action sender_role: why",
then "WIRE <json>" with the request and response as the receiving ends
re-encoded them, and finally DONE.
"""

import sys

try:
    import ujson as json
except ImportError:
    import json

try:
    import gc
except ImportError:
    gc = None

sys.path.insert(0, sys.argv[2])
sys.path.insert(0, sys.argv[3])

from ocpp16 import protocol  # noqa: E402
from ocppj.session import Session  # noqa: E402


def _receiver_of(sender):
    if sender == "ChargePoint":
        return "CentralSystem"
    return "ChargePoint"


def run_case(action, sender_role, request_wire, response_wire):
    sender = Session(protocol, sender_role)
    receiver = Session(protocol, _receiver_of(sender_role))
    request = protocol.decode_request(action, request_wire)
    call_id = sender.send_call(request, 0)
    frames = sender.data_to_send()
    assert len(frames) == 1, frames
    events = receiver.receive_text(frames[0], 0)
    assert len(events) == 1 and events[0].kind == "CallReceived", events
    received = events[0]
    assert received.unique_id == call_id and received.action == action
    receiver.send_result(call_id, protocol.decode_response(action, response_wire))
    frames = receiver.data_to_send()
    assert len(frames) == 1, frames
    events = sender.receive_text(frames[0], 1)
    assert len(events) == 1 and events[0].kind == "ResultReceived", events
    answered = events[0]
    assert answered.unique_id == call_id and answered.action == action
    return protocol.encode(received.request), protocol.encode(answered.response)


def main():
    with open(sys.argv[1]) as handle:
        cases = json.load(handle)
    for case in cases:
        action, sender_role = case[0], case[1]
        label = "%s %s" % (action, sender_role)
        try:
            request, response = run_case(action, sender_role, case[2], case[3])
        except Exception as exc:
            print("FAIL %s: %s %s" % (label, type(exc).__name__, exc))
        else:
            print("PASS " + label)
            print("WIRE " + json.dumps([action, sender_role, request, response]))
        if gc is not None:
            gc.collect()
    print("DONE")


main()
