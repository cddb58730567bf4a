"""Names the runtime makes on first use, on a real MicroPython.

ocppj.errors, ocppj.events and ocppj.framing make their classes (the two
error bases included) when first asked for; error_classes.py, misuse.py and
rejection.py load when something goes wrong. That must save heap without
changing what a name means: each name is one class for good, so isinstance
and except work, and firmware without module __getattr__ gets everything at
import instead.
"""

import pytest

from bench import micropython_footprint as footprint

PROBE_PRELUDE = r"""
import sys
from usr.ocpp16 import protocol
from usr.ocppj import core, routing, charge_point, errors, events, framing

def loaded():
    return sorted(k[len("usr.ocppj."):] for k in sys.modules if k.startswith("usr.ocppj."))

def public(module):
    # Not dir(): MicroPython's dir() asks for every interned name, which
    # makes everything a module __getattr__ offers.
    return sorted(k for k in module.__dict__ if k[:1] != "_" and k[:1].isupper())
"""


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    bundles, _ = footprint.build_bundles(tmp_path_factory.mktemp("device"))
    return bundles["mpy-v6"]


def _run(bundle, body):
    completed = footprint.run_micropython(bundle, PROBE_PRELUDE + body + "\nprint('DONE')\n")
    assert completed.stdout.strip().endswith("DONE"), completed.stdout + completed.stderr
    return [line for line in completed.stdout.splitlines() if line != "DONE"]


def test_import_makes_only_the_bases(bundle):
    lines = _run(
        bundle,
        "print(errors.MODULE_GETATTR)\n"
        "print(loaded())\n"
        "print(public(errors))\n"
        "print(public(events))\n",
    )
    assert lines == [
        "True",
        "['charge_point', 'core', 'errors', 'events', 'framing', 'jsontext', 'routing', 'validation']",
        "['MODULE_GETATTR']",
        "['Event']",
    ]


def test_each_error_name_is_one_class_for_good(bundle):
    body = r"""
first = errors.QueueFullError
from usr.ocppj.errors import QueueFullError
assert QueueFullError is first is errors.lookup("QueueFullError")
assert issubclass(first, errors.UsageError) and not issubclass(first, errors.OCPPError)
try:
    raise errors.GenericError("x")
except errors.GenericError as exc:
    assert type(exc) is errors.ERROR_CLASSES["GenericError"]
    assert exc.code == "GenericError"
assert errors.FormatViolationError is errors.FormationViolationError
assert errors.error_class("NotImplemented") is errors.NotImplementedCallError
assert errors.error_class("FormatViolation") is None
assert errors.from_call_error("OccurrenceConstraintViolation", "d", {}).code == "OccurenceConstraintViolation"
for name in ("NoSuchThing", "_private", "__path__"):
    try:
        getattr(errors, name)
        raise SystemExit("made " + name)
    except AttributeError:
        pass
print(loaded())
"""
    assert _run(bundle, body) == [
        "['charge_point', 'core', 'error_classes', 'errors', 'events', 'framing', 'jsontext', 'routing', 'validation']"
    ]


def test_without_module_getattr_every_name_is_made_at_import(bundle):
    # What errors.py does on such firmware (MODULE_GETATTR False).
    body = r"""
from usr.ocppj import error_classes
error_classes.make_all()
names = sorted(k for k in errors.__dict__ if k[:1] != "_")
print(names)
"""
    names = eval(_run(bundle, body)[0])
    for name in (
        "CallCancelledError",
        "CallTimeoutError",
        "ERROR_CLASSES",
        "FormatViolationError",
        "FormationViolationError",
        "GenericError",
        "InternalError",
        "InvalidUniqueIdError",
        "NoSuchCallError",
        "NotImplementedCallError",
        "NotSupportedError",
        "OccurenceConstraintViolationError",
        "OccurrenceConstraintViolationError",
        "OutgoingValidationError",
        "PayloadTypeError",
        "PropertyConstraintViolationError",
        "ProtocolError",
        "QueueFullError",
        "RECEIVED_SPELLINGS",
        "SecurityError",
        "SessionClosedError",
        "TypeConstraintViolationError",
        "WrongDirectionError",
        "describe_validation",
        "error_class",
        "from_call_error",
    ):
        assert name in names, name


def test_events_and_frames_are_made_when_they_first_occur(bundle):
    body = r"""
conn = core.Connection(protocol, "ChargePoint")
print(public(events))
event = conn.receive_text('[2,"r1","Reset",{"type":"Soft"}]', 0)[0]
assert type(event) is events.CallReceived and isinstance(event, events.Event)
print(public(events), loaded())
event = conn.receive_text('[2,"r2","Reset"', 0)[0]
assert type(event) is events.FrameRejected
assert framing.parse("junk").__class__ is framing.Rejected
assert framing.peek('[2,"abc",') == (2, "abc")
print(loaded())
"""
    assert _run(bundle, body) == [
        "['Event']",
        "['CallReceived', 'Event'] ['charge_point', 'core', 'errors', 'events', 'framing', 'jsontext', 'routing', 'validation']",
        "['charge_point', 'core', 'error_classes', 'errors', 'events', 'framing', 'jsontext', 'rejection', 'routing', 'validation']",
    ]


def test_misuse_loads_its_wording_when_it_happens(bundle):
    body = r"""
conn = core.Connection(protocol, "ChargePoint")
conn.close()
try:
    conn.send_result("x", None)
    raise SystemExit("not refused")
except errors.SessionClosedError as exc:
    print(str(exc))
print("misuse" in loaded())
"""
    assert _run(bundle, body) == ["the connection is closed", "True"]
