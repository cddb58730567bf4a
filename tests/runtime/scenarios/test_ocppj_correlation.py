"""Matching CALLRESULT/CALLERROR to our CALL: reordered, late, duplicate
and unknown ids never complete the wrong call."""

import fake_protocol as P
from ocppj import errors
from scenario_support import (
    NOW,
    authorize_request,
    authorize_response,
    boot_request,
    boot_response,
    call_text,
    deliver,
    error_text,
    heartbeat_request,
    heartbeat_response,
    kinds,
    only,
    pair,
    result_text,
    sent,
)


def test_result_is_matched_with_action_and_typed_response():
    cp, cs = pair()
    call_id = cp.send_call(boot_request(), NOW)
    received = only(deliver(cp, cs), "CallReceived")
    assert received.unique_id == call_id
    assert received.action == "BootNotification"
    assert received.request == boot_request()
    cs.send_result(call_id, boot_response())
    result = only(deliver(cs, cp), "ResultReceived")
    assert result.unique_id == call_id
    assert result.action == "BootNotification"
    assert result.response == boot_response()
    assert result.payload["interval"] == 300
    assert cp.outstanding_call is None


def test_call_error_is_matched_and_mapped_to_its_class():
    cp, cs = pair()
    call_id = cp.send_call(heartbeat_request(), NOW)
    deliver(cp, cs)
    cs.send_error(call_id, errors.SecurityError("not accepted yet", {"hint": "boot"}))
    event = only(deliver(cs, cp), "CallErrorReceived")
    assert event.unique_id == call_id and event.action == "Heartbeat"
    assert isinstance(event.error, errors.SecurityError)
    assert event.error.description == "not accepted yet"
    assert event.error.details == {"hint": "boot"}


def test_every_table_code_maps_to_its_class():
    for code in errors.ERROR_CLASSES:
        cp, cs = pair()
        call_id = cp.send_call(heartbeat_request(), NOW)
        cp.data_to_send()
        event = only(cp.receive_text(error_text(call_id, code, "d"), NOW))
        assert type(event.error) is errors.ERROR_CLASSES[code], code
        assert event.error.code == code


def test_corrected_spellings_are_accepted_when_receiving():
    for code, cls in (
        ("FormatViolation", errors.FormationViolationError),
        ("OccurrenceConstraintViolation", errors.OccurenceConstraintViolationError),
    ):
        cp, cs = pair()
        call_id = cp.send_call(heartbeat_request(), NOW)
        cp.data_to_send()
        event = only(cp.receive_text(error_text(call_id, code), NOW), "CallErrorReceived")
        assert type(event.error) is cls
        # and the class still speaks 1.6 on the wire
        assert event.error.code in (
            "FormationViolation",
            "OccurenceConstraintViolation",
        )


def test_unknown_error_code_is_kept_not_dropped():
    cp, cs = pair()
    call_id = cp.send_call(heartbeat_request(), NOW)
    cp.data_to_send()
    event = only(cp.receive_text(error_text(call_id, "RpcFrameworkError", "x"), NOW))
    assert event.kind == "CallErrorReceived"
    assert type(event.error) is errors.OCPPError
    assert event.error.code == "RpcFrameworkError"


def test_unknown_id_is_reported_and_call_stays_outstanding():
    cp, cs = pair()
    call_id = cp.send_call(heartbeat_request(), NOW)
    cp.data_to_send()
    event = only(
        cp.receive_text(result_text("stranger", {"currentTime": "2024-01-01T00:00:00Z"}), NOW)
    )
    assert event.kind == "UnmatchedResponse"
    assert event.unique_id == "stranger" and event.reason == "unknown"
    assert event.message_type == 3
    assert cp.outstanding_call == call_id
    assert cp.data_to_send() == []  # never answered
    event = only(cp.receive_text(error_text("stranger2", "GenericError"), NOW))
    assert event.kind == "UnmatchedResponse" and event.message_type == 4
    cs.receive_text(call_text(call_id, "Heartbeat", {}), NOW)
    cs.send_result(call_id, heartbeat_response())
    assert kinds(deliver(cs, cp)) == ["ResultReceived"]


def test_duplicate_response_is_reported_once_matched():
    cp, cs = pair()
    call_id = cp.send_call(heartbeat_request(), NOW)
    deliver(cp, cs)
    cs.send_result(call_id, heartbeat_response())
    frame = cs.data_to_send()[0]
    assert kinds(cp.receive_text(frame, NOW)) == ["ResultReceived"]
    event = only(cp.receive_text(frame, NOW), "UnmatchedResponse")
    assert event.reason == "unknown"


def test_late_response_after_timeout_is_labelled_late():
    cp, cs = pair(response_timeout=10)
    call_id = cp.send_call(heartbeat_request(), 0)
    deliver(cp, cs, 0)
    timed_out = only(cp.handle_timer(10), "CallTimedOut")
    assert timed_out.unique_id == call_id and timed_out.sent
    cs.send_result(call_id, heartbeat_response())
    event = only(deliver(cs, cp, 11), "UnmatchedResponse")
    assert event.unique_id == call_id and event.reason == "late"


def test_late_response_never_completes_the_next_call():
    cp, cs = pair(response_timeout=10)
    first = cp.send_call(heartbeat_request(), 0)
    cp.data_to_send()
    cp.handle_timer(10)
    second = cp.send_call(authorize_request(), 10)
    cp.data_to_send()
    # the answer to the first arrives while the second is outstanding
    event = only(cp.receive_text(result_text(first, {"currentTime": "2024-01-01T00:00:00Z"}), 11))
    assert event.kind == "UnmatchedResponse" and event.reason == "late"
    assert cp.outstanding_call == second


def test_reordered_answers_match_only_the_sent_call():
    cp, cs = pair()
    first = cp.send_call(heartbeat_request(), NOW)
    second = cp.send_call(authorize_request(), NOW)
    assert cp.outstanding_call == first
    assert cp.queued_calls == [second]
    frames = sent(cp)
    assert len(frames) == 1 and frames[0][1] == first
    # an answer for the queued call first: it was never sent, so unmatched
    event = only(cp.receive_text(result_text(second, {"idTagInfo": {"status": "Accepted"}}), NOW))
    assert event.kind == "UnmatchedResponse"
    assert cp.queued_calls == [second]
    # then the real answer to the first: the second goes out
    event = only(cp.receive_text(result_text(first, {"currentTime": "2024-01-01T00:00:00Z"}), NOW))
    assert event.kind == "ResultReceived" and event.unique_id == first
    frames = sent(cp)
    assert [frame[1] for frame in frames] == [second]
    event = only(cp.receive_text(result_text(second, {"idTagInfo": {"status": "Accepted"}}), NOW))
    assert event.kind == "ResultReceived" and event.action == "Authorize"
    assert event.response == authorize_response()


def test_broken_answer_to_our_call_finishes_it_as_rejected():
    cp, cs = pair()
    first = cp.send_call(heartbeat_request(), NOW)
    second = cp.send_call(heartbeat_request(), NOW)
    cp.data_to_send()
    event = only(cp.receive_text('[3,"%s",[]]' % first, NOW), "ResultRejected")
    assert event.unique_id == first and event.action == "Heartbeat"
    assert event.error.code == "FormationViolation"
    frames = sent(cp)
    # nothing answered to the broken frame; the queued call goes out
    assert [frame[0] for frame in frames] == [2]
    assert frames[0][1] == second


def test_broken_call_error_to_our_call_finishes_it_as_rejected():
    cp, cs = pair()
    call_id = cp.send_call(heartbeat_request(), NOW)
    cp.data_to_send()
    event = only(cp.receive_text('[4,"%s","GenericError","d",null]' % call_id, NOW))
    assert event.kind == "ResultRejected"
    assert event.error.code == "FormationViolation"
    assert cp.outstanding_call is None
    assert cp.data_to_send() == []


def test_invalid_result_payload_is_rejected_with_path_and_rule():
    cp, cs = pair()
    call_id = cp.send_call(boot_request(), NOW)
    cp.data_to_send()
    bad = {"status": "Maybe", "currentTime": "2024-01-01T00:00:00Z", "interval": 300}
    event = only(cp.receive_text(result_text(call_id, bad), NOW), "ResultRejected")
    assert event.error.code == "PropertyConstraintViolation"
    assert event.error.details == {"path": "status", "rule": "enum"}
    assert "status" in event.error.description and "enum" in event.error.description
    assert event.payload == bad
    assert cp.outstanding_call is None


def test_crossing_calls_are_both_answered():
    # OCPP-J 4.1.1 note: CALLs from both sides may cross.
    cp, cs = pair()
    cp_call = cp.send_call(heartbeat_request(), NOW)
    cs_call = cs.send_call(P.ResetRequest(type="Soft"), NOW)
    at_cs = only(deliver(cp, cs), "CallReceived")
    at_cp = only(deliver(cs, cp), "CallReceived")
    assert at_cs.unique_id == cp_call and at_cp.unique_id == cs_call
    cs.send_result(cp_call, heartbeat_response())
    cp.send_result(cs_call, P.ResetResponse(status="Accepted"))
    assert kinds(deliver(cs, cp)) == ["ResultReceived"]
    assert kinds(deliver(cp, cs)) == ["ResultReceived"]
    assert cp.outstanding_call is None and cs.outstanding_call is None


def test_same_id_in_both_directions_is_not_confused():
    # Ids are unique per sender; the peer may reuse one of ours.
    cp, cs = pair()
    cp.send_call(heartbeat_request(), NOW, unique_id="same")
    cs.send_call(P.ResetRequest(type="Hard"), NOW, unique_id="same")
    assert kinds(deliver(cp, cs)) == ["CallReceived"]
    assert kinds(deliver(cs, cp)) == ["CallReceived"]
    cp.send_result("same", P.ResetResponse(status="Rejected"))
    event = only(deliver(cp, cs), "ResultReceived")
    assert event.action == "Reset"
    cs.send_result("same", heartbeat_response())
    event = only(deliver(cs, cp), "ResultReceived")
    assert event.action == "Heartbeat"
