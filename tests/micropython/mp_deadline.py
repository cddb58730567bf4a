"""A device CALL times out at its deadline, not one read later, on an
integer clock (MicroPython's time.time() counts whole seconds, so `now`
equals a deadline exactly). Issue 13 item 15: a pump comparing with `>`
instead of `>=` got through the suite.

usage: micropython mp_deadline.py FLAVOUR_PARENT RUNTIME_PARENT
Prints "PASS name" / "FAIL name: why" per check, then DONE.
"""

import sys

sys.path.insert(0, sys.argv[1])
sys.path.insert(0, sys.argv[2])

from ocpp16 import protocol  # noqa: E402
from ocppj import errors  # noqa: E402
from ocppj.device import ChargePoint  # noqa: E402


class QuietLink:
    """Nothing ever arrives: recv() is a read that timed out."""

    def __init__(self):
        self.sent = []
        self.reads = 0

    def send(self, text):
        self.sent.append(text)

    def recv(self):
        self.reads += 1
        return None


class Device(ChargePoint):
    """Each reading of the clock is one read period (1 s) later, in ints."""

    def __init__(self, *args, **kwargs):
        self.clock = 100
        ChargePoint.__init__(self, *args, **kwargs)

    def _now(self):
        self.clock += 1
        return self.clock


CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


@check
def a_call_times_out_on_the_read_at_its_deadline():
    link = QuietLink()
    cp = Device("CP-1", link, response_timeout=5, protocol=protocol)
    try:
        cp.call(cp._call.HeartbeatPayload())
        raise AssertionError("no timeout")
    except errors.CallTimeoutError:
        pass
    # sent at 101, deadline 106: reads at 102 .. 106, the fifth times it out
    assert link.reads == 5, link.reads
    assert cp.clock == 106, cp.clock


@check
def the_core_times_out_at_the_deadline_itself():
    cp = Device("CP-1", QuietLink(), response_timeout=5, protocol=protocol)
    session = cp._session
    session.send_call(cp._call.HeartbeatPayload(), 10)
    assert session.next_deadline() == 15
    assert session.handle_timer(14) == []
    timed_out = session.handle_timer(15)
    assert [event.kind for event in timed_out] == ["CallTimedOut"]


def main():
    for fn in CHECKS:
        try:
            fn()
            print("PASS %s" % fn.__name__)
        except Exception as error:
            print("FAIL %s: %s %r" % (fn.__name__, type(error).__name__, error))
    print("DONE")


main()
