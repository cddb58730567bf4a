"""Schema validation in both directions, and exactly what each relaxation
lets through."""

import fake_protocol as P
from ocppj import errors
from ocppj.validation import Validation
from scenario_support import (
    NOW,
    authorize_request,
    boot_request,
    boot_response,
    call_text,
    central_system,
    charge_point,
    deliver,
    heartbeat_request,
    kinds,
    only,
    pair,
    raises,
    result_text,
    sent,
)

LONG_VENDOR = "V" * 21


def test_invalid_outgoing_call_raises_naming_field_and_rule():
    session = charge_point()
    exc = raises(
        errors.OutgoingValidationError,
        session.send_call,
        boot_request(vendor=LONG_VENDOR),
        NOW,
    )
    assert exc.action == "BootNotification"
    assert exc.path == "chargePointVendor"
    assert exc.rule == "maxLength 20"
    assert exc.code == "PropertyConstraintViolation"
    message = str(exc)
    assert "chargePointVendor" in message and "maxLength 20" in message
    assert session.data_to_send() == []
    assert session.outstanding_call is None


def test_invalid_incoming_call_is_answered_with_the_validation_code():
    cases = (
        (
            {"chargePointModel": "M"},
            "OccurenceConstraintViolation",
            "chargePointVendor",
            "required",
        ),
        (
            {"chargePointVendor": 5, "chargePointModel": "M"},
            "TypeConstraintViolation",
            "chargePointVendor",
            "type string",
        ),
        (
            {"chargePointVendor": LONG_VENDOR, "chargePointModel": "M"},
            "PropertyConstraintViolation",
            "chargePointVendor",
            "maxLength 20",
        ),
        (
            {"chargePointVendor": "V", "chargePointModel": "M", "extra": 1},
            "FormationViolation",
            "extra",
            "additionalProperties",
        ),
    )
    for payload, code, path, rule in cases:
        session = central_system()
        event = only(
            session.receive_text(call_text("v1", "BootNotification", payload), NOW),
            "FrameRejected",
        )
        assert event.error.code == code, (payload, event)
        frame = sent(session)[0]
        assert frame[:3] == [4, "v1", code]
        assert path in frame[3] and rule in frame[3], frame
        assert frame[4] == {"path": path, "rule": rule}


def test_nested_path_is_reported():
    cp = charge_point()
    call_id = cp.send_call(authorize_request(), NOW)
    cp.data_to_send()
    bad = {"idTagInfo": {"status": "Accepted", "parentIdTag": "P" * 21}}
    event = only(cp.receive_text(result_text(call_id, bad), NOW), "ResultRejected")
    assert event.error.details == {
        "path": "idTagInfo.parentIdTag",
        "rule": "maxLength 20",
    }


def test_outgoing_relaxation_sends_what_the_schema_forbids():
    cp, cs = pair(validation=Validation(outgoing=False))
    cp.send_call(boot_request(vendor=LONG_VENDOR), NOW)
    # the strict peer still refuses it
    strict = central_system()
    event = only(deliver(cp, strict), "FrameRejected")
    assert event.error.code == "PropertyConstraintViolation"


def test_outgoing_relaxation_still_needs_a_payload_object():
    session = charge_point(validation=False)
    raises(errors.PayloadTypeError, session.send_call, {"chargePointVendor": "V"}, NOW)
    raises(errors.PayloadTypeError, session.send_call, boot_response(), NOW)
    raises(errors.WrongDirectionError, session.send_call, P.ResetRequest(type="Hard"), NOW)


def test_per_action_outgoing_relaxation_is_only_for_that_action():
    session = charge_point(validation=Validation(skip_outgoing=("BootNotification",)))
    session.send_call(boot_request(vendor=LONG_VENDOR), NOW)
    raises(errors.OutgoingValidationError, session.send_call, authorize_request("T" * 21), NOW)


def test_incoming_relaxation_lets_schema_breaches_through():
    session = central_system(validation=Validation(incoming=False))
    payload = {"chargePointVendor": LONG_VENDOR, "chargePointModel": 7, "extra": True}
    event = only(
        session.receive_text(call_text("r1", "BootNotification", payload), NOW),
        "CallReceived",
    )
    assert event.request.charge_point_vendor == LONG_VENDOR
    assert event.request.charge_point_model == 7
    assert event.payload == payload


def test_incoming_relaxation_still_needs_a_decodable_payload():
    session = central_system(validation=Validation(incoming=False))
    # required field missing: the decoder cannot build the object
    event = only(
        session.receive_text(call_text("r2", "BootNotification", {"chargePointModel": "M"}), NOW)
    )
    assert event.kind == "FrameRejected"
    assert event.error.code == "FormationViolation"
    assert "cannot be decoded" in event.error.description
    # and the frame rules are never relaxed
    event = only(session.receive_text('[2,"r3","BootNotification",[]]', NOW))
    assert event.error.code == "FormationViolation"
    event = only(session.receive_text(call_text("r4", "Nope", {}), NOW))
    assert event.error.code == "NotImplemented"
    event = only(session.receive_text(call_text("r5", "Reset", {}), NOW))
    assert event.error.code == "NotSupported"


def test_per_action_incoming_relaxation():
    session = central_system(validation=Validation(skip_incoming=("Authorize",)))
    assert kinds(session.receive_text(call_text("a", "Authorize", {"idTag": "T" * 30}), NOW)) == [
        "CallReceived"
    ]
    event = only(session.receive_text(call_text("b", "BootNotification", {}), NOW))
    assert event.kind == "FrameRejected"


def test_incoming_result_relaxation_and_decode_failure():
    cp = charge_point(validation=Validation(incoming=False))
    call_id = cp.send_call(boot_request(), NOW)
    cp.data_to_send()
    odd = {"status": "Maybe", "currentTime": "yesterday", "interval": 1.5}
    event = only(cp.receive_text(result_text(call_id, odd), NOW), "ResultReceived")
    assert event.response.status == "Maybe"
    call_id = cp.send_call(authorize_request(), NOW)
    cp.data_to_send()
    event = only(cp.receive_text(result_text(call_id, {"idTagInfo": "Accepted"}), NOW))
    assert event.kind == "ResultRejected"
    assert event.error.code == "FormationViolation"


def test_invalid_outgoing_result_raises_and_call_stays_owed():
    session = central_system()
    session.receive_text(
        call_text("q", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
        NOW,
    )
    bad = P.BootNotificationResponse(
        status="Maybe", current_time="2024-01-01T00:00:00Z", interval=1
    )
    exc = raises(errors.OutgoingValidationError, session.send_result, "q", bad)
    assert exc.path == "status" and exc.rule == "enum"
    assert session.data_to_send() == []
    assert session.unanswered_calls == ["q"]
    session.send_result("q", boot_response())
    assert sent(session)[0][0] == 3


def test_outgoing_result_relaxation_sends_it():
    session = central_system(validation=Validation(skip_outgoing=("BootNotification",)))
    session.receive_text(
        call_text("q", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
        NOW,
    )
    bad = P.BootNotificationResponse(
        status="Maybe", current_time="2024-01-01T00:00:00Z", interval=1
    )
    session.send_result("q", bad)
    assert sent(session)[0][2]["status"] == "Maybe"


def test_answer_must_be_the_calls_response_type():
    session = central_system()
    session.receive_text(
        call_text("q", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}),
        NOW,
    )
    raises(
        errors.PayloadTypeError,
        session.send_result,
        "q",
        P.HeartbeatResponse(current_time="2024-01-01T00:00:00Z"),
    )
    raises(errors.PayloadTypeError, session.send_result, "q", boot_request())
    raises(errors.PayloadTypeError, session.send_result, "q", {"status": "Accepted"})
    raises(errors.PayloadTypeError, session.send_result, "q", None)
    assert session.unanswered_calls == ["q"]


def test_per_call_validate_false_skips_request_and_its_response():
    cp = charge_point()
    call_id = cp.send_call(boot_request(vendor=LONG_VENDOR), NOW, validate=False)
    cp.data_to_send()
    odd = {"status": "Maybe", "currentTime": "2024-01-01T00:00:00Z", "interval": 1}
    assert kinds(cp.receive_text(result_text(call_id, odd), NOW)) == ["ResultReceived"]
    # the next call is checked again
    raises(
        errors.OutgoingValidationError,
        cp.send_call,
        boot_request(vendor=LONG_VENDOR),
        NOW,
    )


def test_direction_is_checked_both_ways():
    cs = central_system()
    raises(errors.WrongDirectionError, cs.send_call, heartbeat_request(), NOW)
    cp = charge_point()
    raises(errors.WrongDirectionError, cp.send_call, P.ResetRequest(type="Hard"), NOW)


def test_data_transfer_goes_both_ways():
    cp, cs = pair()
    cs.send_call(P.DataTransferRequest(vendor_id="acme"), NOW)
    assert kinds(deliver(cs, cp)) == ["CallReceived"]
    cp.send_call(P.DataTransferRequest(vendor_id="acme"), NOW)
    assert kinds(deliver(cp, cs)) == ["CallReceived"]


def test_role_none_skips_direction_checks():
    from ocppj.session import Session

    session = Session(P, None)
    session.send_call(P.ResetRequest(type="Hard"), NOW)
    session.send_call(heartbeat_request(), NOW)
    assert kinds(session.receive_text(call_text("x", "Reset", {"type": "Soft"}), NOW)) == [
        "CallReceived"
    ]


def test_bad_constructor_arguments_are_usage_errors():
    from ocppj.session import Session

    raises(errors.UsageError, Session, P, "Server")
    raises(errors.UsageError, Session, P, "ChargePoint", validation="yes")
    raises(errors.UsageError, Session, P, "ChargePoint", queue_limit=-1)
    raises(errors.UsageError, Session, P, "ChargePoint", response_timeout=0)


class _SingleInitiatorProtocol:
    """fake_protocol, but naming one initiator for DataTransfer, as the
    architecture's table allows."""

    def __getattr__(self, name):
        return getattr(P, name)


def test_data_transfer_goes_both_ways_with_a_single_named_initiator():
    from ocppj.session import Session

    protocol = _SingleInitiatorProtocol()
    actions = dict(P.ACTIONS)
    actions["DataTransfer"] = ("ChargePoint", "Core")
    protocol.ACTIONS = actions
    cs = Session(protocol, "CentralSystem")
    cp = Session(protocol, "ChargePoint")
    cs.send_call(P.DataTransferRequest(vendor_id="acme"), NOW)
    assert kinds(deliver(cs, cp)) == ["CallReceived"]
