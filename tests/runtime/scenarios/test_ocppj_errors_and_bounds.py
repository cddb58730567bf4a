"""The error classes, and that no buffer grows without bound whatever the
peer sends and however slowly the pump drains."""

from ocppj import errors
from ocppj import session as session_module
from scenario_support import (
    NOW,
    call_text,
    central_system,
    charge_point,
    heartbeat_request,
    kinds,
    result_text,
)


def test_error_classes_carry_the_1_6_wire_codes():
    expected = {
        "NotImplemented": errors.NotImplementedCallError,
        "NotSupported": errors.NotSupportedError,
        "InternalError": errors.InternalError,
        "ProtocolError": errors.ProtocolError,
        "SecurityError": errors.SecurityError,
        "FormationViolation": errors.FormationViolationError,
        "PropertyConstraintViolation": errors.PropertyConstraintViolationError,
        "OccurenceConstraintViolation": errors.OccurenceConstraintViolationError,
        "TypeConstraintViolation": errors.TypeConstraintViolationError,
        "GenericError": errors.GenericError,
    }
    assert len(errors.ERROR_CLASSES) == 10
    for code in expected:
        cls = expected[code]
        assert errors.error_class(code) is cls
        assert cls.code == code
        error = cls()
        assert isinstance(error, errors.OCPPError)
        assert error.details == {}
        assert error.description == cls.default_description
        assert code in str(error)
    assert errors.error_class("FormatViolation") is None
    # each class is named after its code; the names of earlier releases stay
    for code in expected:
        assert getattr(errors, code) is expected[code]
    assert errors.FormatViolationError is errors.FormationViolationError
    assert errors.OccurrenceConstraintViolationError is errors.OccurenceConstraintViolationError


def test_details_default_is_a_fresh_dict():
    first = errors.GenericError()
    first.details["x"] = 1
    assert errors.GenericError().details == {}


def test_api_misuse_is_not_an_ocpp_error():
    for cls in (
        errors.PayloadTypeError,
        errors.WrongDirectionError,
        errors.InvalidUniqueIdError,
        errors.QueueFullError,
        errors.NoSuchCallError,
        errors.SessionClosedError,
    ):
        assert issubclass(cls, errors.UsageError)
        assert not issubclass(cls, errors.OCPPError)
    assert not issubclass(errors.CallTimeoutError, errors.UsageError)
    assert not issubclass(errors.CallTimeoutError, errors.OCPPError)
    error = errors.CallTimeoutError("id1", "Heartbeat", 30)
    assert "Heartbeat" in str(error) and "30" in str(error)


def test_error_answers_stop_queueing_when_nobody_drains():
    session = central_system()
    answered = 0
    for index in range(session_module.OUTBOX_ERROR_LIMIT + 50):
        event = session.receive_text("junk %d" % index, NOW)[0]
        assert event.kind == "FrameRejected"
        if event.answered:
            answered += 1
    assert answered == session_module.OUTBOX_ERROR_LIMIT
    assert len(session.data_to_send()) == session_module.OUTBOX_ERROR_LIMIT
    # drained: answers resume
    assert session.receive_text("junk", NOW)[0].answered


def test_late_id_memory_is_bounded():
    session = charge_point(response_timeout=1)
    ids = []
    for index in range(session_module.LATE_ID_MEMORY + 5):
        ids.append(session.send_call(heartbeat_request(), index * 10))
        session.handle_timer(index * 10 + 1)
    session.data_to_send()
    reasons = [session.receive_text(result_text(i, {}), 1000)[0].reason for i in ids]
    remembered = session_module.LATE_ID_MEMORY
    assert reasons == ["unknown"] * (len(ids) - remembered) + ["late"] * remembered


def test_a_flood_of_calls_leaves_bounded_state():
    session = central_system(incoming_limit=4)
    for index in range(500):
        session.receive_text(call_text("f%d" % index, "Heartbeat", {}), NOW)
        session.data_to_send()
    assert len(session.unanswered_calls) == 4
    assert kinds(session.receive_text(result_text("x", {}), NOW)) == ["UnmatchedResponse"]


def test_events_take_their_fields_in_order():
    from ocppj import events

    kinds = (
        events.CallReceived,
        events.ResultReceived,
        events.CallErrorReceived,
        events.ResultRejected,
        events.CallTimedOut,
        events.CallCancelled,
        events.UnmatchedResponse,
        events.FrameRejected,
    )
    for cls in kinds:
        values = ["v%d" % index for index in range(len(cls.fields))]
        event = cls(*values)
        assert isinstance(event, events.Event) and event.kind == cls.kind
        assert [getattr(event, name) for name in cls.fields] == values
        assert repr(event).startswith("<%s unique_id='v0'" % cls.kind)
    assert events.ResultRejected("u", "a", "e").payload is None
    rejected = events.FrameRejected("u", "e", False)
    assert rejected.answer_id is None and rejected.action is None
