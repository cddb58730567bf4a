"""The error classes, and that no buffer grows without bound whatever the
peer sends and however slowly the pump drains."""

from ocppj import core, errors
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
    conn = central_system()
    answered = 0
    for index in range(core.OUTBOX_ERROR_LIMIT + 50):
        event = conn.receive_text("junk %d" % index, NOW)[0]
        assert event.kind == "FrameRejected"
        if event.answered:
            answered += 1
    assert answered == core.OUTBOX_ERROR_LIMIT
    assert len(conn.data_to_send()) == core.OUTBOX_ERROR_LIMIT
    # drained: answers resume
    assert conn.receive_text("junk", NOW)[0].answered


def test_late_id_memory_is_bounded():
    conn = charge_point(response_timeout=1)
    ids = []
    for index in range(core.LATE_ID_MEMORY + 5):
        ids.append(conn.send_call(heartbeat_request(), index * 10))
        conn.handle_timer(index * 10 + 1)
    conn.data_to_send()
    assert len(conn._late_ids) == core.LATE_ID_MEMORY
    oldest = conn.receive_text(result_text(ids[0], {}), 1000)[0]
    newest = conn.receive_text(result_text(ids[-1], {}), 1000)[0]
    assert oldest.reason == "unknown" and newest.reason == "late"


def test_a_flood_of_calls_leaves_bounded_state():
    conn = central_system(incoming_limit=4)
    for index in range(500):
        conn.receive_text(call_text("f%d" % index, "Heartbeat", {}), NOW)
        conn.data_to_send()
    assert len(conn.unanswered_calls) == 4
    assert kinds(conn.receive_text(result_text("x", {}), NOW)) == ["UnmatchedResponse"]
