"""Fuzzing the core with Hypothesis (CPython only).

Whatever text reaches ``receive_text`` (arbitrary text, arbitrary bytes,
arbitrary JSON, frame-shaped arrays, sequences of them), the core never
raises, every input yields at least one event, and every frame it emits is
JSON; each CALLERROR among them is a well-formed 1.6 CALLERROR and there is
exactly one per answered FrameRejected.

Budget: the `ci` profile (tests/conftest.py) runs 300 examples per property;
HYPOTHESIS_PROFILE=long runs 20 000 per property, over 100 000 frames in
all; the frame count is printed at the end of the module.
"""

import json
import os

import fake_protocol as P
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ocppj import errors
from ocppj.session import Session
from scenario_support import heartbeat_request, is_well_formed_call_error

LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"
EXAMPLES = 20000 if LONG else 300

FRAMES_FED = [0]
OUR_CALL = "fz-1"


@pytest.fixture(scope="module", autouse=True)
def report_frame_count(request):
    yield
    # printed in the terminal summary by tests/runtime/conftest.py
    request.config.ocppj_fuzz_frames = FRAMES_FED[0]


class Ids:
    def __call__(self):
        return OUR_CALL


def _session(role):
    session = Session(P, role, id_factory=Ids())
    if role == "ChargePoint":
        # an outstanding CALL, so fuzzed responses sometimes match it
        session.send_call(heartbeat_request(), 0)
        session.data_to_send()
    return session


def _feed(session, data, now=1.0):
    FRAMES_FED[0] += 1
    events = session.receive_text(data, now)
    assert events, data
    answered = 0
    for event in events:
        if event.kind == "FrameRejected":
            assert isinstance(event.error, errors.OCPPError)
            if event.answered:
                answered += 1
        elif event.kind == "CallReceived":
            session.send_error(event.unique_id, errors.NotSupportedError())
            answered += 1
    frames = [json.loads(text) for text in session.data_to_send()]
    errors_sent = [frame for frame in frames if frame[0] == 4]
    for frame in errors_sent:
        assert is_well_formed_call_error(frame), frame
    assert len(errors_sent) == answered, (data, events, frames)
    assert len(frames) == len(errors_sent)
    return events


ROLES = st.sampled_from(["ChargePoint", "CentralSystem"])

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
message_types = st.sampled_from([2, 3, 4]) | st.integers(-3, 9) | json_values
unique_ids = (
    st.just(OUR_CALL)
    | st.text(max_size=40)
    | st.sampled_from(["", "-1", "x" * 36, "y" * 37])
    | json_values
)
actions = st.sampled_from(sorted(P.ACTIONS)) | st.text(max_size=30) | json_values
error_codes = (
    st.sampled_from(
        [
            "GenericError",
            "NotSupported",
            "FormatViolation",
            "OccurrenceConstraintViolation",
        ]
    )
    | st.text(max_size=30)
    | json_values
)
payloads = (
    st.dictionaries(
        st.sampled_from(
            [
                "idTag",
                "chargePointVendor",
                "chargePointModel",
                "currentTime",
                "status",
                "type",
                "vendorId",
                "data",
            ]
        ),
        json_values,
        max_size=4,
    )
    | json_values
)
frame_elements = st.one_of(message_types, unique_ids, actions, error_codes, payloads)


@st.composite
def frame_shaped(draw):
    kind = draw(message_types)
    length = draw(st.integers(0, 6))
    frame = [
        kind,
        draw(unique_ids),
        draw(actions),
        draw(payloads),
        draw(payloads),
        draw(frame_elements),
    ]
    return frame[:length]


@settings(max_examples=EXAMPLES)
@given(ROLES, st.text())
def test_arbitrary_text(role, text):
    _feed(_session(role), text)


@settings(max_examples=EXAMPLES)
@given(ROLES, st.binary())
def test_arbitrary_bytes(role, data):
    _feed(_session(role), data)


@settings(max_examples=EXAMPLES)
@given(ROLES, json_values)
def test_arbitrary_json(role, value):
    _feed(_session(role), json.dumps(value))


@settings(max_examples=EXAMPLES)
@given(
    ROLES,
    st.tuples(message_types, unique_ids, actions | error_codes, payloads | st.text(), payloads),
)
def test_arbitrary_five_element_arrays(role, elements):
    _feed(_session(role), json.dumps(list(elements)))


@settings(max_examples=EXAMPLES)
@given(ROLES, frame_shaped())
def test_frame_shaped_arrays(role, frame):
    _feed(_session(role), json.dumps(frame))


@settings(max_examples=EXAMPLES)
@given(
    ROLES,
    st.lists(
        frame_shaped().map(json.dumps) | st.text(max_size=30),
        min_size=1,
        max_size=8,
    ),
)
def test_sequences_on_one_session(role, texts):
    session = _session(role)
    for step, text in enumerate(texts):
        _feed(session, text, now=float(step))
        # the one-outstanding rule holds throughout
        assert session.outstanding_call in (None, OUR_CALL)
