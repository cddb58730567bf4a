"""Helpers for the scenario suite (MicroPython-safe, no pytest)."""

try:
    import ujson as json
except ImportError:
    import json

import fake_protocol as P
from ocppj.session import Session

NOW = 1000.0


def loads_all(texts):
    return [json.loads(text) for text in texts]


def sent(session):
    """Drain ``session`` and return its frames parsed."""
    return loads_all(session.data_to_send())


def raises(exc_type, function, *args, **kwargs):
    """The exception ``function`` raised, which must be an ``exc_type``."""
    try:
        function(*args, **kwargs)
    except exc_type as exc:
        return exc
    raise AssertionError("%r did not raise %r" % (function, exc_type))


def central_system(**options):
    return Session(P, "CentralSystem", **options)


def charge_point(**options):
    return Session(P, "ChargePoint", **options)


class FixedIds:
    """Predictable CALL ids: prefix-1, prefix-2, ..."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.count = 0

    def __call__(self):
        self.count += 1
        return "%s-%d" % (self.prefix, self.count)


def pair(**options):
    """(charge point, central system) sessions with predictable ids."""
    cp = Session(P, "ChargePoint", id_factory=FixedIds("cp"), **options)
    cs = Session(P, "CentralSystem", id_factory=FixedIds("cs"), **options)
    return cp, cs


def deliver(source, target, now=NOW):
    """Move every pending frame of ``source`` into ``target``; returns the
    events ``target`` produced."""
    out = []
    for text in source.data_to_send():
        out.extend(target.receive_text(text, now))
    return out


def kinds(event_list):
    return [event.kind for event in event_list]


def only(event_list, kind=None):
    assert len(event_list) == 1, event_list
    if kind is not None:
        assert event_list[0].kind == kind, event_list
    return event_list[0]


def boot_request(vendor="VendorX", model="ModelY"):
    return P.BootNotificationRequest(charge_point_vendor=vendor, charge_point_model=model)


def boot_response(status="Accepted"):
    return P.BootNotificationResponse(
        status=status, current_time="2024-01-01T00:00:00Z", interval=300
    )


def heartbeat_request():
    return P.HeartbeatRequest()


def heartbeat_response():
    return P.HeartbeatResponse(current_time="2024-01-01T00:00:00Z")


def authorize_request(id_tag="TAG1"):
    return P.AuthorizeRequest(id_tag=id_tag)


def authorize_response(status="Accepted"):
    return P.AuthorizeResponse(id_tag_info=P.IdTagInfo(status=status))


def call_text(unique_id, action, payload):
    return json.dumps([2, unique_id, action, payload])


def result_text(unique_id, payload):
    return json.dumps([3, unique_id, payload])


def error_text(unique_id, code, description="", details=None):
    if details is None:
        details = {}
    return json.dumps([4, unique_id, code, description, details])


def is_well_formed_call_error(frame):
    """A parsed frame that is a valid 1.6 CALLERROR we may send."""
    codes = (
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    )
    return (
        type(frame) is list
        and len(frame) == 5
        and frame[0] == 4
        and type(frame[1]) is str
        and len(frame[1]) <= 36
        and frame[2] in codes
        and type(frame[3]) is str
        and type(frame[4]) is dict
    )
