"""The blocking device pump (ocppj.device) against a scripted central system.

usage: micropython mp_pump.py FLAVOUR_PARENT RUNTIME_PARENT
Prints "PASS name" / "FAIL name: why" per check, then DONE.
"""

import sys

try:
    import ujson as json
except ImportError:
    import json

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])

from ocpp16 import protocol  # noqa: E402
from ocppj import errors  # noqa: E402
from ocppj.device import ChargePoint  # noqa: E402
from ocppj.routing import on  # noqa: E402

BOOT_ANSWER = {"currentTime": "2024-01-01T00:00:00Z", "interval": 300, "status": "Accepted"}


class Link:
    """A WebSocket stand-in: what the charge point sends is answered by a
    scripted central system; recv() returns None when nothing is queued."""

    def __init__(self, answer=True):
        self.inbox = []
        self.sent = []
        self.answer = answer
        self.gone = False

    def send(self, text):
        self.sent.append(json.loads(text))
        frame = self.sent[-1]
        if frame[0] == 2 and self.answer and frame[2] == "BootNotification":
            # The central system sends a CALL of its own before answering.
            self.inbox.append(json.dumps([2, "cs-1", "Reset", {"type": "Soft"}]))
            self.inbox.append(json.dumps([3, frame[1], BOOT_ANSWER]))
        elif frame[0] == 2 and self.answer and frame[2] == "Authorize":
            self.inbox.append(json.dumps([4, frame[1], "NotSupported", "no", {}]))

    def recv(self):
        if self.inbox:
            return self.inbox.pop(0)
        if self.gone:
            raise OSError("connection closed")
        return None


class Device(ChargePoint):
    clock = 0.0

    def _now(self):
        Device.clock += 1.0  # every poll takes a second
        return Device.clock

    @on("Reset")
    def on_reset(self, type, **kwargs):
        self.reset = type
        return self._call_result.ResetPayload(status="Accepted")


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def call_returns_the_typed_response_and_serves_calls_meanwhile():
    link = Link()
    cp = Device("CP-1", link, response_timeout=30, protocol=protocol)
    assert cp._ocpp_version == "1.6"
    response = cp.call(
        cp._call.BootNotificationPayload(charge_point_vendor="Quectel", charge_point_model="EC200U")
    )
    assert isinstance(response, cp._call_result.BootNotificationPayload)
    assert response.status == "Accepted" and response.interval == 300
    assert cp.reset == "Soft"
    assert link.sent[0][0] == 2 and link.sent[0][2] == "BootNotification"
    assert link.sent[0][3] == {"chargePointVendor": "Quectel", "chargePointModel": "EC200U"}
    assert link.sent[1] == [3, "cs-1", {"status": "Accepted"}]


@check
def a_call_error_is_none_when_suppressed_and_raised_otherwise():
    cp = Device("CP-1", Link(), protocol=protocol)
    assert cp.call(cp._call.AuthorizePayload(id_tag="T")) is None
    try:
        cp.call(cp._call.AuthorizePayload(id_tag="T"), suppress=False)
        raise AssertionError("no error")
    except errors.OCPPError as error:
        assert error.code == "NotSupported"


@check
def a_silent_central_system_times_the_call_out():
    link = Link(answer=False)
    cp = Device("CP-1", link, response_timeout=5, protocol=protocol)
    start = Device.clock
    try:
        cp.call(cp._call.HeartbeatPayload(), unique_id="hb-1")
        raise AssertionError("no timeout")
    except errors.CallTimeoutError:
        pass
    assert 5 <= Device.clock - start <= 8
    assert link.sent[0] == [2, "hb-1", "Heartbeat", {}]


@check
def start_serves_until_the_connection_goes():
    link = Link()
    link.inbox.append(json.dumps([2, "cs-2", "Reset", {"type": "Hard"}]))
    link.inbox.append(json.dumps([2, "cs-3", "Reset", {"type": "Bogus"}]))
    link.gone = True
    cp = Device("CP-1", link, protocol=protocol)
    try:
        cp.start()
        raise AssertionError("start returned")
    except OSError:
        pass
    assert cp.reset == "Hard"
    assert link.sent[0] == [3, "cs-2", {"status": "Accepted"}]
    assert (
        link.sent[1][0] == 4
        and link.sent[1][1] == "cs-3"
        and link.sent[1][2] == "PropertyConstraintViolation"
    )
    try:
        cp.call(cp._call.HeartbeatPayload())
        raise AssertionError("call on a closed session")
    except errors.UsageError:
        pass


def main():
    # by their global names: MicroPython 1.13 functions have no __name__
    for name in sorted(globals()):
        fn = globals()[name]
        if fn not in CHECKS:
            continue
        try:
            fn()
            print("PASS %s" % name)
        except Exception as error:
            print("FAIL %s: %s %r" % (name, type(error).__name__, error))
    print("DONE")


main()
