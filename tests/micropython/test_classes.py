"""The runtime's classes on real MicroPythons (1.29 and the 1.13 stand-in,
source and bytecode): errors, CallError codes and events are ordinary
classes, there once the modules are imported, and nothing the runtime does
later imports anything (a lazy import that fails for memory can leave a
module half made on 1.13, issue 11)."""

import pytest

from bench import micropython_footprint as footprint

from .support import TARGET_IDS, TARGETS

PROBE_PRELUDE = r"""
import sys
from usr.ocpp16 import protocol
from usr.ocppj import session, routing, charge_point, errors, events, framing

def loaded():
    return sorted(k[len("usr.ocppj."):] for k in sys.modules if k.startswith("usr.ocppj."))

IMPORTED = loaded()
"""


@pytest.fixture(scope="module", params=TARGETS, ids=TARGET_IDS)
def target(request):
    request.param.require()
    return request.param


def _run(target, body):
    completed = footprint.run_micropython(
        target.bundle(), PROBE_PRELUDE + body + "\nprint('DONE')\n", interpreter=target.require()
    )
    assert completed.stdout.strip().endswith("DONE"), completed.stdout + completed.stderr
    return [line for line in completed.stdout.splitlines() if line != "DONE"]


def test_each_error_name_is_one_class(target):
    body = r"""
from usr.ocppj.errors import QueueFullError, FormationViolation
assert issubclass(QueueFullError, errors.UsageError)
assert not issubclass(QueueFullError, errors.OCPPError)
try:
    raise errors.GenericError("x")
except errors.GenericError as exc:
    assert type(exc) is errors.ERROR_CLASSES["GenericError"]
    assert exc.code == "GenericError"
assert errors.FormationViolationError is errors.FormatViolationError is FormationViolation
assert errors.NotImplementedCallError is errors.NotImplemented
assert errors.error_class("NotImplemented") is errors.NotImplemented
assert errors.error_class("FormatViolation") is None
assert errors.from_call_error("FormatViolation", "d", {}).code == "FormationViolation"
error = errors.from_call_error("OccurrenceConstraintViolation", "d", {})
assert error.code == "OccurenceConstraintViolation"
for code, cls in errors.ERROR_CLASSES.items():
    assert cls.code == code and issubclass(cls, errors.OCPPError)
print(len(errors.ERROR_CLASSES), loaded() == IMPORTED)
"""
    assert _run(target, body) == ["10 True"]


def test_events_are_classes_with_their_fields(target):
    body = r"""
s = session.Session(protocol, "ChargePoint")
event = s.receive_text('[2,"r1","Reset",{"type":"Soft"}]', 0)[0]
assert type(event) is events.CallReceived and isinstance(event, events.Event)
assert event.kind == "CallReceived" and event.fields[0] == "unique_id"
assert [getattr(event, name) for name in event.fields[:2]] == ["r1", "Reset"]
event = s.receive_text('[2,"r2","Reset"', 0)[0]
assert type(event) is events.FrameRejected and event.answer_id == "r2"
assert type(framing.parse("junk")) is framing.Rejected
assert framing.peek('[2,"abc",') == (2, "abc")
print(repr(events.CallCancelled("c1", "Heartbeat", sent=False)))
print(loaded() == IMPORTED)
"""
    assert _run(target, body) == [
        "<CallCancelled unique_id='c1' action='Heartbeat' sent=False>",
        "True",
    ]


def test_rare_paths_import_nothing(target):
    # Misuse, refused input, a CALLERROR, a timeout and close: every module
    # they need was imported with the session.
    body = r"""
s = session.Session(protocol, "ChargePoint", response_timeout=5)
call_id = s.send_call(protocol.request_class("Heartbeat")(), 0)
s.receive_text('[4,"%s","NotSupported","no",{}]' % call_id, 1)
call_id = s.send_call(protocol.request_class("Heartbeat")(), 1)
assert s.handle_timer(10)[0].kind == "CallTimedOut"
bad = ('junk', '[3,"x",{}]', '[2,"a","Nope",{}]', '[2,"b","Reset",{"type":"Hard!"}]', b"\xff")
for text in bad:
    s.receive_text(text, 11)
try:
    s.send_result("nobody", None)
except errors.NoSuchCallError as exc:
    print(exc)
s.close()
try:
    s.send_call(protocol.request_class("Heartbeat")(), 12)
except errors.SessionClosedError as exc:
    print(exc)
print(loaded() == IMPORTED, len(IMPORTED))
"""
    assert _run(target, body) == [
        "no unanswered CALL with unique id 'nobody'",
        "the session is closed",
        "True 8",
    ]
