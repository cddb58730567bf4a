"""The core's deferred nesting check (framing.parse measure_later, CPython).

On CPython the core does not measure the nesting of a CALL or CALLRESULT
with many brackets up front: a payload that passes its schema check is
bounded by the protocol's PAYLOAD_DEPTH. Everywhere else (refusals, relaxed
validation, unmatched results) it measures then. The verdicts must be
exactly those of measuring every frame first: each test feeds the same
frames to a session that defers and to one whose parse measures eagerly,
and compares events and answers field by field.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ocpp16 import protocol
from ocppj import framing
from ocppj.session import Session
from ocppj.validation import Validation

TIMESTAMP = "2024-05-01T12:00:00Z"


def _sampled(count):
    return [{"value": "%d" % i, "unit": "Wh"} for i in range(count)]


def meter_values(count=40, **extra):
    payload = {
        "connectorId": 1,
        "meterValue": [{"timestamp": TIMESTAMP, "sampledValue": _sampled(count)}],
    }
    payload.update(extra)
    return payload


def nested(depth):
    value = []
    for _ in range(depth - 1):
        value = [value]
    return value


def _plain(value):
    """Comparable form of an event field."""
    if isinstance(value, (str, int, float)) or value is None:
        return value
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "code") and hasattr(value, "description"):
        return (
            "error",
            type(value).__name__,
            value.code,
            value.description,
            value.details,
        )
    return (
        type(value).__name__,
        sorted((k, _plain(v)) for k, v in vars(value).items()),
    )


def _outcome(session, texts):
    out = []
    for text in texts:
        for event in session.receive_text(text, 1.0):
            out.append((event.kind, [_plain(getattr(event, n)) for n in event.fields]))
        out.append(("sent", [json.loads(f) for f in session.data_to_send()]))
    return out


def _session(role, outstanding, validation):
    session = Session(protocol, role, validation=validation, id_factory=lambda: "ours-1")
    if outstanding:
        from ocpp16 import call

        session.send_call(call.Heartbeat(), 0.0)
        session.data_to_send()
    return session


def _both(texts, role="CentralSystem", outstanding=False, validation=None):
    deferred = _outcome(_session(role, outstanding, validation), texts)
    eager_parse = framing.parse

    def parse(data, max_frame_size, max_depth, measure_later=False):
        return eager_parse(data, max_frame_size, max_depth, False)

    framing.parse = parse
    try:
        eager = _outcome(_session(role, outstanding, validation), texts)
    finally:
        framing.parse = eager_parse
    assert deferred == eager
    return deferred


def call(unique_id, action, payload):
    return json.dumps([2, unique_id, action, payload])


def result(unique_id, payload):
    return json.dumps([3, unique_id, payload])


def test_protocol_bounds_valid_payloads():
    assert protocol.PAYLOAD_DEPTH == 5


def test_valid_deep_enough_frame_is_accepted_unmeasured():
    frame = framing.parse(call("a", "MeterValues", meter_values()), 1 << 20, 32, True)
    assert frame.unmeasured is not None  # 40+ brackets: measuring was deferred
    assert framing.parse(call("a", "MeterValues", meter_values()), 1 << 20, 32).unmeasured is None


def test_valid_meter_values_with_many_brackets():
    events = _both([call("a", "MeterValues", meter_values())])
    assert events[0][0] == "CallReceived"


@pytest.mark.parametrize(
    "text",
    [
        # invalid against the schema and too deep: FormationViolation wins
        call("a", "MeterValues", meter_values(extra=nested(40))),
        call("a", "MeterValues", meter_values(connectorId=nested(33))),
        # invalid, within the limit: the schema verdict
        call("a", "MeterValues", meter_values(extra=nested(20))),
        # unknown action, direction, payload too deep / not
        call("a", "NoSuchAction", {"x": nested(40), "y": _sampled(30)}),
        call("a", "NoSuchAction", {"x": nested(10), "y": _sampled(30)}),
        call("a", "Reset", {"type": nested(40), "y": _sampled(30)}),
        call("a", "DataTransfer", {"vendorId": "v", "data": nested(40), "y": _sampled(3)}),
    ],
)
def test_refused_calls_get_the_eager_verdict(text):
    events = _both([text])
    assert events[0][0] == "FrameRejected"


def test_duplicate_id_deep_frame():
    texts = [
        call("a", "MeterValues", meter_values()),
        call("a", "MeterValues", meter_values(extra=nested(40))),
        call("a", "MeterValues", meter_values()),
    ]
    _both(texts)


def test_relaxed_validation_measures():
    relaxed = Validation(skip_incoming=["MeterValues", "DataTransfer"])
    texts = [
        call("a", "MeterValues", meter_values(extra=nested(40))),
        call("b", "MeterValues", meter_values(extra=nested(30))),
        call("c", "DataTransfer", {"vendorId": "v", "data": "x", "more": nested(33)}),
    ]
    events = _both(texts, validation=relaxed)
    assert [kind for kind, _ in events if kind != "sent"] == [
        "FrameRejected",
        "CallReceived",
        "FrameRejected",
    ]


def test_results_matched_and_unmatched():
    deep_conf = {"currentTime": TIMESTAMP, "x": nested(40), "y": _sampled(5)}
    for texts in (
        [result("ours-1", deep_conf)],
        [result("ours-1", {"currentTime": TIMESTAMP, "x": nested(20), "y": _sampled(20)})],
        [result("other", deep_conf)],
        [result("other", {"x": nested(20), "y": _sampled(20)})],
        [result("ours-1", {"currentTime": TIMESTAMP, "y": _sampled(20)})],
    ):
        _both(texts, role="ChargePoint", outstanding=True)
    relaxed = Validation(incoming=False)
    _both(
        [result("ours-1", deep_conf)],
        role="ChargePoint",
        outstanding=True,
        validation=relaxed,
    )


def test_a_small_max_depth_is_never_vouched_for():
    session = _session("CentralSystem", False, None)
    session.max_depth = 4  # below PAYLOAD_DEPTH + 1: a valid MeterValues is too deep
    events = session.receive_text(call("a", "MeterValues", meter_values(3)), 1.0)
    assert events[0].kind == "FrameRejected"
    assert events[0].error.code == "FormationViolation"


_json = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=3),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=60,
)


@settings(max_examples=150, deadline=None)
@given(
    depth=st.integers(1, 45),
    where=st.sampled_from(["extra", "connectorId", "meterValue", "sampledValue"]),
    junk=_json,
    message_type=st.sampled_from([2, 3]),
    unique_id=st.sampled_from(["a", "ours-1"]),
    skip=st.booleans(),
)
def test_random_nesting_gets_the_eager_verdict(depth, where, junk, message_type, unique_id, skip):
    payload = meter_values(12)
    if where == "extra":
        payload["extra"] = [nested(depth), junk]
    elif where == "connectorId":
        payload["connectorId"] = nested(depth)
    elif where == "meterValue":
        payload["meterValue"].append({"timestamp": TIMESTAMP, "sampledValue": [nested(depth)]})
    else:
        payload["meterValue"][0]["sampledValue"].append({"value": nested(depth), "j": junk})
    if message_type == 2:
        text = call(unique_id, "MeterValues", payload)
        role, outstanding = "CentralSystem", False
    else:
        text = result(unique_id, payload)
        role, outstanding = "ChargePoint", True
    validation = Validation(incoming=False) if skip else None
    _both([text], role=role, outstanding=outstanding, validation=validation)
